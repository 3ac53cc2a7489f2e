"""A tabular practitioner's tour (tour58): ``--valid-pct 0`` under ``arch="auto"``, categories of more than 255
levels in the trees, and the split's row positions on a table's DataBundle."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.tabular import tabular_data
from trainwell.tabular.gbdt import GradientBoostedTrees, fit_trees


def stores_table(n_rows: int = 3000, n_stores: int = 600, seed: int = 0) -> pd.DataFrame:
    """A ``store`` of hundreds of levels, each with an effect of its own, beside a number and classes."""
    rng = np.random.default_rng(seed)
    effect = np.random.default_rng(99).normal(scale=1.5, size=n_stores)
    store = rng.integers(0, n_stores, n_rows)
    x = rng.normal(size=n_rows)
    signal = effect[store] + 0.5 * x + rng.normal(size=n_rows)
    return pd.DataFrame({
        "store": pd.Series(store).map(lambda s: f"s{s}"), "x": x, "y": (signal > 0).astype(int),
        "band": pd.cut(signal, [-np.inf, -1, 1, np.inf], labels=["low", "mid", "high"]).astype(str),
    })  # fmt: skip


def test_a_column_of_more_than_255_categories_is_target_encoded_said_and_kept_on_save(tmp_path: Path) -> None:
    """Split as a number before (an arbitrary order of its codes), in silence; now target-encoded, said in one line
    naming the column, and a saved model answers as the fitted one."""
    frame, new = stores_table(), stores_table(1000, seed=1)
    with pytest.warns(UserWarning, match=r"column 'store' has \d+ categories, .*target encoding") as said:
        run = trainwell.fit_table(frame, "y", ignore=["band"], arch="gbdt", out=tmp_path / "m", progress=False,
                                  min_category_count=1)  # fmt: skip
    assert len([w for w in said if "more than the 255" in str(w.message)]) == 1
    model = run.learn.model
    assert isinstance(model, GradientBoostedTrees) and model.encoded == [0] and not model.is_categorical.any()
    # The store's effect is learned: far above the number alone (ROC AUC ~0.65 on these rows)
    from sklearn.metrics import roc_auc_score

    predictor = trainwell.load(tmp_path / "m")
    answer = predictor.predict(new.drop(columns=["y", "band"]))
    assert roc_auc_score(new["y"], answer["probability_1"]) > 0.8
    fitted = run.learn.predict(new.drop(columns=["y", "band"]))
    np.testing.assert_array_equal(answer["probability_1"].to_numpy(), fitted["probability_1"].to_numpy())
    assert not list(tmp_path.glob("m/*.pkl")) and not list(tmp_path.glob("m/*.pickle"))
    from trainwell.export.onnx import export_onnx  # the encoding is part of the exported walk too

    assert export_onnx(tmp_path / "m", inputs=new.drop(columns=["y", "band"]).head(300)).max_abs_diff <= 1e-5


def test_classes_split_a_many_levelled_column_by_its_most_frequent_levels() -> None:
    frame = stores_table()
    data = tabular_data(frame, "band", ignore=["y"], min_category_count=1, seed=0)
    with pytest.warns(UserWarning, match=r"column 'store' .* its 254 most frequent .* one category, 'other'"):
        model, config = fit_trees(data, {"max_iter": 20})
    assert config["remapped"] == [0] and config["encoded"] == []
    x_cat, x_cont = data.recipe.transform(frame.head(200))  # type: ignore[union-attr]
    assert (
        int(model.code_map.max()) == 255 and int(model.code_map[0, 0]) == 0
    )  # "other"; missing stays missing
    loaded = GradientBoostedTrees(**config)
    loaded.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(loaded(x_cat, x_cont), model(x_cat, x_cont), rtol=0, atol=0)


def test_auto_without_validation_rows_fits_the_trees_and_says_so(tmp_path: Path) -> None:
    """``valid_pct=0`` (train on every row) switched ``auto`` to the MLP in silence, the architecture the
    validated runs had rejected; now the trees are fitted, and one line says why."""
    frame = stores_table(800, n_stores=20)
    with pytest.warns(
        UserWarning, match=r"^no validation rows \(valid_pct=0\), so arch='auto' compared nothing"
    ) as said:
        run = trainwell.fit_table(frame, "y", ignore=["band"], valid_pct=0, progress=False)
    assert run.arch == "gbdt" and run.data.valid is None
    line = next(w.message for w in said if "no validation rows" in str(w.message))
    assert "--arch mlp" in line.command_line  # type: ignore[attr-defined]
    with warnings.catch_warnings():  # the MLP asked for: nothing to say
        warnings.filterwarnings("error", message="no validation rows")
        mlp = trainwell.fit_table(
            frame, "y", ignore=["band"], valid_pct=0, arch="mlp", epochs=1, progress=False
        )
    assert mlp.arch == "tabular_mlp"


def test_a_table_split_keeps_the_rows_of_each_split() -> None:
    frame = stores_table(500, n_stores=10)
    frame.loc[[3, 7], "y"] = np.nan  # unlabelled rows are in neither split
    data = tabular_data(frame, "y", ignore=["band"], valid_pct=0.2, seed=0)
    train_index, valid_index = data.train_index, data.valid_index
    assert train_index is not None and valid_index is not None
    assert len(train_index) == len(data.train.tensors[-1]) and len(valid_index) == len(data.valid.tensors[-1])  # type: ignore[union-attr]
    assert not set(train_index) & set(valid_index) and {3, 7}.isdisjoint({*train_index, *valid_index})
    assert len(train_index) + len(valid_index) == 498
    # Row i of the validation loader is frame.iloc[valid_index[i]]: its x as the recipe reads it
    x_cont = data.valid.tensors[1]  # type: ignore[union-attr]
    _, expected = data.recipe.transform(frame.iloc[valid_index])  # type: ignore[union-attr]
    torch.testing.assert_close(x_cont, expected)
    marked = frame.assign(is_valid=frame.index % 4 == 0)
    by_column = tabular_data(marked, "y", ignore=["band"], valid_col="is_valid")
    # The marked rows, in a fair order (each class in proportion in every prefix), not the table's.
    assert sorted(by_column.valid_index) == [i for i in range(500) if i % 4 == 0 and i not in (3, 7)]  # type: ignore[arg-type]
    assert len(tabular_data(frame, "y", ignore=["band"], valid_pct=0).valid_index) == 0  # type: ignore[arg-type]


def test_the_command_line_says_in_one_line_that_trees_on_every_row_scored_nothing(tmp_path: Path) -> None:
    """``fit --valid-pct 0`` with the trees printed an empty "Training results" table (trees have no training
    loss to show); now one line says nothing was scored before the test set."""
    from process_support import run_trainwell

    stores_table(300, n_stores=10).drop(columns=["band"]).to_csv(tmp_path / "t.csv", index=False)
    done = run_trainwell(
        "fit", tmp_path / "t.csv", "--target", "y", "--valid-pct", "0", "--out", tmp_path / "m"
    )
    assert done.returncode == 0, done.stderr
    assert "no validation rows: nothing scored before the test set (binary)" in done.stdout, done.stdout
    assert "Training results" not in done.stdout, done.stdout
