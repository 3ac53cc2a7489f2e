"""Evaluation.out_of_fold and evaluate --oof / --json: each row's prediction by the fold that held it out, named
by its data row (rows without a target left out), scoring exactly what the folds reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli_many

from trainwell import evaluate_table
from trainwell.core.errors import ConfigError
from trainwell.evaluate import Evaluation


def _table(kind: str, n_rows: int = 150, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n_rows), rng.normal(size=n_rows)
    frame = pd.DataFrame({"x": x, "z": z, "colour": rng.choice(["red", "blue"], n_rows)})
    if kind == "multiclass":
        frame["y"] = np.where(x > 0.5, "high", np.where(x < -0.5, "low", "mid"))
    elif kind == "regression":
        frame["y"] = 3.0 * x + 0.1 * rng.normal(size=n_rows)
    else:
        frame["y"] = np.where(x + 0.3 * z > 0, "yes", "no")
    return frame


@pytest.mark.filterwarnings(
    "ignore:target .y. is missing:UserWarning", "ignore:column .x. alone decides:UserWarning"
)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_each_row_is_predicted_once_by_the_fold_that_held_it_out(kind: str) -> None:
    frame = _table(kind)
    frame.loc[[4, 77], "y"] = None  # left out of the folds: the rows after them keep their numbers
    evaluation = evaluate_table(frame, "y", cv=3, arch="gbdt", baselines=False)
    table = evaluation.out_of_fold()
    assert len(table) == len(frame) - 2 and table["row"].is_unique
    assert 5 not in set(table["row"]) and 78 not in set(table["row"])
    assert table["row"].is_monotonic_increasing and set(table["fold"]) == {1, 2, 3}
    source = frame.loc[table["row"] - 1, "y"].to_numpy()
    if kind == "regression":
        np.testing.assert_allclose(table["actual"].to_numpy(), source.astype(float), rtol=1e-6)
        for fold, part in table.groupby("fold"):
            rmse = float(np.sqrt(((part["prediction"] - part["actual"]) ** 2).mean()))
            assert rmse == pytest.approx(evaluation.model.values("rmse")[fold - 1], rel=1e-4)
        return
    assert (table["actual"].astype(str).to_numpy() == source.astype(str)).all()
    classes = sorted(set(source))
    wanted = [f"probability_{classes[-1]}"] if kind == "binary" else [f"probability_{c}" for c in classes]
    assert list(table.columns) == ["row", "fold", "actual", "prediction", *wanted]
    for fold, part in table.groupby("fold"):
        accuracy = float((part["actual"] == part["prediction"]).mean())
        assert accuracy == pytest.approx(evaluation.model.values("accuracy")[fold - 1], abs=1e-9)


def test_an_evaluation_without_row_predictions_says_so() -> None:
    evaluation = evaluate_table(_table("binary", 90), "y", cv=2, arch="gbdt", baselines=False)
    empty = Evaluation(evaluation.task, 90, evaluation.model, {}, evaluation.lrs, subject="interactions")
    with pytest.raises(
        ConfigError, match=r"kept no out-of-fold prediction of each row: out_of_fold \(--oof\)"
    ):
        empty.out_of_fold()


def test_the_command_line_writes_the_predictions_and_the_evaluation(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    _table("binary").to_csv(data, index=False)
    images = tmp_path / "photos"
    (images / "a").mkdir(parents=True)
    evaluate = ("evaluate", data, "--target", "y", "--cv", "3", "--arch", "gbdt", "--no-baselines")
    done, folder, suffix, to_folder = run_cli_many(
        [
            (*evaluate, "--oof", tmp_path / "oof.parquet", "--json", tmp_path / "ev.json"),
            ("evaluate", images, "--oof", tmp_path / "x.csv"),
            (*evaluate, "--oof", tmp_path / "oof.foo"),
            (*evaluate, "--json", tmp_path),
        ]
    )
    assert done.returncode == 0, done.explain()
    assert f"wrote 150 out-of-fold predictions to {tmp_path / 'oof.parquet'}" in done.stderr
    table = pd.read_parquet(tmp_path / "oof.parquet")
    kept = json.loads((tmp_path / "ev.json").read_text())
    folds = [row["accuracy"] for row in kept["trainwell"]["folds"]]
    by_fold = table.groupby("fold").apply(
        lambda g: float((g.actual == g.prediction).mean()), include_groups=False
    )
    np.testing.assert_allclose(by_fold.to_numpy(), folds)
    assert folder.returncode == 2 and "--oof" in folder.stderr and "images" in folder.stderr
    assert suffix.returncode == 2 and "--oof" in suffix.stderr and "'.foo' is not a format" in suffix.stderr
    assert to_folder.returncode == 2 and "is a directory; pass the file to write" in to_folder.stderr
