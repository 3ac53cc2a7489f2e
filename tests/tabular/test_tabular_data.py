"""Tests for trainwell.tabular.data (tabular_data, default_batch_size) and trainwell.tabular.learner."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import random_split, tensor_data
from trainwell.tabular.data import default_batch_size, tabular_data
from trainwell.tabular.learner import tabular_learner
from trainwell.tabular.recipe import TabularRecipe


def make_table(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "area": rng.normal(50, 10, n_rows),
            "rooms": rng.integers(1, 6, n_rows),
            "city": rng.choice(["paris", "rome", "oslo"], n_rows),
        }
    )
    frame.loc[rng.choice(n_rows, n_rows // 10, replace=False), "area"] = np.nan
    frame["price"] = 3.0 * frame["area"].fillna(50) + 10 * frame["rooms"] + rng.normal(0, 5, n_rows)
    frame["expensive"] = np.where(frame["price"] > frame["price"].median(), "yes", "no")
    return frame


def loader_rows(loader: object) -> tuple[torch.Tensor, ...]:
    """The loader's tensors in their stored (unshuffled) row order."""
    return loader.tensors  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- batch size
@pytest.mark.parametrize(
    ("n_rows", "expected"),
    [
        (0, 32),
        (1, 32),
        (3_000, 32),
        (4_500, 32),
        (4_600, 64),
        (6_400, 64),
        (10_000, 128),
        (40_000, 512),
        (10**7, 512),
    ],
)
def test_default_batch_size_is_a_power_of_two_near_a_hundred_batches(n_rows: int, expected: int) -> None:
    # Hand values: 2 ** round(log2(n / 100)) clamped to [32, 512].
    # log2(45) = 5.49 rounds down to 32, log2(46) = 5.52 rounds up to 64.
    assert default_batch_size(n_rows) == expected


def test_default_batch_size_gives_about_a_hundred_batches_when_not_clamped() -> None:
    for n_rows in range(3_200, 51_200, 997):
        size = default_batch_size(n_rows)
        assert size & (size - 1) == 0
        assert 100 / math.sqrt(2) <= n_rows / size <= 100 * math.sqrt(2)


def test_batch_size_reaches_the_training_loader() -> None:
    frame = make_table()
    default = tabular_data(frame, "expensive")
    assert default.train.batch_size == default_batch_size(160)  # type: ignore[attr-defined]
    chosen = tabular_data(frame, "expensive", batch_size=np.int64(50))
    assert chosen.train.batch_size == 50  # type: ignore[attr-defined]
    # 160 training rows in batches of 50: the last partial batch (10 rows) is dropped for batch norm.
    assert [len(batch[0]) for batch in chosen.train] == [50, 50, 50]
    whole = tabular_data(frame, "expensive", batch_size=500)
    assert [len(batch[0]) for batch in whole.train] == [160]


@pytest.mark.parametrize("bad", [0, 1, -4, 2.5, True])
def test_bad_batch_size_is_refused_before_the_file_is_read(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"^batch_size must be a whole number of at least 2 .*, got"):
        tabular_data("does-not-exist.csv", "y", batch_size=bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------- splits
def test_valid_pct_holds_out_the_seeded_random_rows() -> None:
    frame = make_table()
    data = tabular_data(frame, "expensive", valid_pct=0.25, seed=3)
    train_index, valid_index = random_split(len(frame), 0.25, seed=3)
    assert len(valid_index) == 50
    # The drawn rows, kept in a fair order (each class in proportion in every prefix), named by data.valid_index.
    assert sorted(data.valid_index.tolist()) == valid_index.tolist()  # type: ignore[union-attr]
    valid_index = data.valid_index
    assert data.train.n_rows == 150 and data.valid.n_rows == 50  # type: ignore[union-attr]
    recipe = data.recipe
    assert isinstance(recipe, TabularRecipe)
    for loader, index in ((data.train, train_index), (data.valid, valid_index)):
        x_cat, x_cont, y = loader_rows(loader)
        expected_cat, expected_cont = recipe.transform(frame.iloc[index])
        assert torch.equal(x_cat, expected_cat) and torch.equal(x_cont, expected_cont)
        assert y.tolist() == (frame["expensive"].iloc[index] == "yes").astype(float).tolist()
    other_seed = tabular_data(frame, "expensive", valid_pct=0.25, seed=4)
    assert not torch.equal(loader_rows(other_seed.valid)[1], loader_rows(data.valid)[1])


def test_valid_pct_zero_trains_on_every_row() -> None:
    data = tabular_data(make_table(), "expensive", valid_pct=0)
    assert data.valid is None and data.train.n_rows == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, float("nan")])
def test_bad_valid_pct_is_refused_before_the_file_is_read(bad: float) -> None:
    with pytest.raises(ConfigError, match=r"^valid_pct must be at least 0 and less than 1, got"):
        tabular_data("does-not-exist.csv", "y", valid_pct=bad)


def test_valid_col_marks_validation_rows_and_is_not_an_input() -> None:
    frame = make_table()
    frame["split"] = np.where(np.arange(len(frame)) % 4 == 0, "valid", "train")
    data = tabular_data(frame, "expensive", valid_col="split")
    assert data.valid.n_rows == 50 and data.train.n_rows == 150  # type: ignore[union-attr]
    assert "split" not in data.recipe.input_names  # type: ignore[union-attr]
    _, x_cont, _ = loader_rows(data.valid)
    assert sorted(data.valid_index.tolist()) == np.flatnonzero(frame["split"] == "valid").tolist()  # type: ignore[union-attr]
    expected = data.recipe.transform(frame.iloc[data.valid_index])[1]  # type: ignore[union-attr]
    assert torch.equal(x_cont, expected)


def test_valid_col_errors_name_the_column() -> None:
    frame = make_table()
    with pytest.raises(
        DataError, match=r"validation column 'nope' not found in the table; columns are: area"
    ):
        tabular_data(frame, "expensive", valid_col="nope")
    frame["flag"] = "maybe"
    with pytest.raises(DataError, match=r"--valid-col 'flag' must hold true/false .*maybe"):
        tabular_data(frame, "expensive", valid_col="flag")


def test_explicit_splits_are_row_positions() -> None:
    frame = make_table()
    data = tabular_data(frame, "expensive", splits=(range(10, 60), [0, 1, 2]))
    assert data.train.n_rows == 50 and data.valid.n_rows == 3  # type: ignore[union-attr]
    expected = data.recipe.transform(frame.iloc[[0, 1, 2]])[1]  # type: ignore[union-attr]
    assert torch.equal(loader_rows(data.valid)[1], expected)
    with pytest.raises(ConfigError, match="splits must hold row positions from 0 to 199"):
        tabular_data(frame, "expensive", splits=([0, 1, 200], [3]))


def test_rows_without_a_target_are_left_out_of_every_split_with_a_warning(tmp_path: Path) -> None:
    # They stopped the run ("drop those rows or fill them"), which the command line could not do.
    frame = make_table()
    frame.loc[[3, 10, 11], "expensive"] = None
    frame.loc[12, "expensive"] = "  "
    with pytest.warns(UserWarning, match=r"target 'expensive' is missing in 4 of 200 rows of the table \(the "
                      r"first: data row 4\): those rows are left out of training and validation; trainwell "
                      r"predict answers them$"):  # fmt: skip
        data = tabular_data(frame, "expensive", splits=(range(10, 60), [0, 1, 2, 3]))
    assert data.train.n_rows == 47 and data.valid.n_rows == 3  # type: ignore[union-attr]
    assert data.task.classes == ("no", "yes")  # no class of blanks
    test = make_table(40, seed=1)
    test.loc[0, "expensive"] = None
    with pytest.warns(UserWarning, match="1 of 40 rows of the test table .* left out of the test scores"):
        data = tabular_data(make_table(), "expensive", test=test)
    assert data.test.n_rows == 39  # type: ignore[union-attr]
    frame["expensive"] = None  # none labelled: the column is refused by name
    with pytest.raises(DataError, match="target 'expensive' has no values"):
        tabular_data(frame, "expensive")


def test_a_split_that_leaves_one_training_row_is_refused() -> None:
    with pytest.raises(DataError, match=r"leaves 1 training row\(s\) after the validation split"):
        tabular_data(make_table(), "expensive", splits=([5], list(range(6, 200))))


# ------------------------------------------------------------------------------------------------- recipe
def test_recipe_is_fitted_on_training_rows_only() -> None:
    rng = np.random.default_rng(1)
    n_rows = 200
    is_valid = np.arange(n_rows) >= 150
    frame = pd.DataFrame(
        {
            # Train rows around 0, validation rows around 100: any leak moves the mean far from train's.
            "drift": np.where(is_valid, rng.normal(100, 1, n_rows), rng.normal(0, 1, n_rows)),
            "city": np.where(is_valid, "atlantis", rng.choice(["paris", "rome"], n_rows)),
            "y": rng.choice(["a", "b"], n_rows),
            "is_valid": is_valid,
        }
    )
    frame.loc[[3, 160], "drift"] = np.nan
    data = tabular_data(frame, "y", valid_col="is_valid")
    recipe = data.recipe
    assert isinstance(recipe, TabularRecipe)
    train_drift = frame.loc[~is_valid, "drift"].to_numpy()
    median = np.nanmedian(train_drift)
    filled = np.where(np.isnan(train_drift), median, train_drift)
    assert recipe.fill_values["drift"] == pytest.approx(median)
    assert recipe.means["drift"] == pytest.approx(filled.mean())
    assert recipe.stds["drift"] == pytest.approx(filled.std())
    assert abs(recipe.means["drift"]) < 1
    # A category seen only in validation rows is not in the vocabulary: it encodes as unseen (0).
    assert recipe.categories["city"] == ["paris", "rome"]
    assert set(loader_rows(data.valid)[0][:, 0].tolist()) == {0}
    # Validation rows are filled and standardised with the training statistics, so they land far from 0.
    valid_drift = frame["drift"].iloc[data.valid_index].to_numpy()  # the loader's order
    expected = (np.where(np.isnan(valid_drift), median, valid_drift) - filled.mean()) / filled.std()
    np.testing.assert_allclose(loader_rows(data.valid)[1][:, 0].numpy(), expected, rtol=1e-5)
    assert expected.mean() > 50


def test_regression_hints_are_the_training_targets_mean_and_std() -> None:
    frame = make_table()
    data = tabular_data(frame, "price", valid_pct=0.2, seed=0)
    assert data.task.kind == "regression"
    train_index, _ = random_split(len(frame), 0.2, seed=0)
    train_price = frame["price"].iloc[train_index].to_numpy()
    hints = data.model_hints
    assert hints["n_out"] == 1 and hints["n_cont"] == data.recipe.n_cont  # type: ignore[union-attr]
    assert hints["cardinalities"] == data.recipe.cardinalities  # type: ignore[union-attr]
    assert hints["target_mean"] == pytest.approx([train_price.mean()], rel=1e-5)
    assert hints["target_std"] == pytest.approx([train_price.std(ddof=1)], rel=1e-4)


def test_regression_hints_for_several_targets() -> None:
    frame = make_table()
    frame["half"] = frame["price"] / 2
    data = tabular_data(frame.drop(columns="expensive"), ["price", "half"], splits=(range(200), []))
    assert data.task.kind == "regression" and data.valid is None
    assert data.model_hints["n_out"] == 2
    assert data.model_hints["target_mean"] == pytest.approx(
        [frame.price.mean(), frame.price.mean() / 2], rel=1e-5
    )
    assert data.model_hints["target_std"] == pytest.approx(
        [frame.price.std(), frame.price.std() / 2], rel=1e-4
    )


def test_classification_has_no_target_scaling_hints() -> None:
    hints = tabular_data(make_table(), "expensive").model_hints
    assert "target_mean" not in hints and hints["n_out"] == 1


def test_test_table_is_encoded_with_the_training_recipe(tmp_path: Path) -> None:
    frame = make_table()
    test = make_table(n_rows=30, seed=9)
    test_file = tmp_path / "test.csv"
    test.to_csv(test_file, index=False)
    data = tabular_data(frame, "expensive", test=test_file)
    assert data.test is not None and data.test.n_rows == 30  # type: ignore[attr-defined]
    expected_cat, expected_cont = data.recipe.transform(test)  # type: ignore[union-attr]
    x_cat, x_cont, y = loader_rows(data.test)
    assert torch.equal(x_cat, expected_cat)
    assert torch.allclose(x_cont, expected_cont)
    assert y.tolist() == (test["expensive"] == "yes").astype(float).tolist()
    unlabelled = tmp_path / "kaggle_test.csv"  # rows to answer, as Kaggle's test.csv: no label column
    test.drop(columns="expensive").to_csv(unlabelled, index=False)
    with pytest.raises(DataError) as refused:
        tabular_data(frame, "expensive", test=unlabelled)
    assert str(refused.value) == (
        f"the test data {unlabelled} has no target column 'expensive' (its columns: {', '.join(test.columns[:-1])}"
        "): a test set measures the model on rows whose answers are known. To answer these rows instead, fit "
        f"without --test, then run: trainwell predict MODEL_DIR {unlabelled} (Python: "
        "trainwell.load(MODEL_DIR).predict(rows))"
    )
    with pytest.raises(
        DataError, match=r"the test DataFrame has no target column 'expensive' .*learn.predict"
    ):
        tabular_data(frame, "expensive", test=test.drop(columns="expensive"))


def test_task_inference_and_override() -> None:
    frame = make_table()
    assert tabular_data(frame, "rooms").task.kind == "multiclass"
    assert tabular_data(frame, "rooms", task="regression").task.kind == "regression"
    with pytest.raises(ConfigError, match="task='nonsense' is not known"):
        tabular_data(frame, "rooms", task="nonsense")


def test_table_errors_name_the_problem(tmp_path: Path) -> None:
    frame = make_table()
    with pytest.raises(
        DataError, match="target column 'cost' not found in the table; columns are: area, rooms"
    ):
        tabular_data(frame, "cost")
    with pytest.raises(DataError, match="has no input columns besides the target"):
        tabular_data(frame[["price"]], "price")
    with pytest.raises(DataError, match="has 4 input columns but only 4 rows"):
        tabular_data(frame.head(4), "expensive")
    with pytest.raises(DataError, match="has no rows"):
        tabular_data(frame.head(0), "expensive")
    missing = tmp_path / "missing.csv"
    with pytest.raises(DataError, match="not found"):
        tabular_data(missing, "expensive")


# ------------------------------------------------------------------------------------------------ learner
@pytest.mark.parametrize("numeric_embedding", ["periodic", "none"])
@pytest.mark.parametrize("columns", [["area", "rooms", "city"], ["rooms", "city"], ["area"]])
def test_layer_groups_cover_every_parameter_exactly_once(numeric_embedding: str, columns: list[str]) -> None:
    frame = make_table()[[*columns, "expensive"]]
    learn = tabular_learner(
        tabular_data(frame, "expensive"), numeric_embedding=numeric_embedding, progress=False
    )
    counts = Counter(id(param) for group in learn.layer_groups() for param in group.parameters())
    assert set(counts.values()) == {1}
    assert set(counts) == {id(param) for param in learn.model.parameters()}
    assert len(learn.layer_groups()) == 3


def test_tabular_learner_sizes_the_model_from_the_data() -> None:
    data = tabular_data(make_table(), "rooms")
    learn = tabular_learner(data, layers=(32, 16), progress=False)
    assert learn.model_spec is not None and learn.model_spec["name"] == "tabular_mlp"
    assert learn.model_spec["config"]["n_out"] == 5
    assert [e.num_embeddings for e in learn.model.embeddings] == data.recipe.cardinalities  # type: ignore[union-attr]
    x_cat, x_cont, _ = next(iter(data.train))
    assert learn.model.eval()(x_cat, x_cont).shape == (len(x_cat), 5)


def test_tabular_learner_refuses_a_non_tabular_bundle() -> None:
    bundle = tensor_data(torch.randn(20, 3), torch.randn(20))
    with pytest.raises(
        ConfigError, match="tabular_learner needs data from tabular_data, got a 'generic' bundle"
    ):
        tabular_learner(bundle)


def _leak_table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rating = rng.integers(1, 11, n)
    return pd.DataFrame(
        {
            "rating": rating,  # the label is rating >= 7: a leak, as in the IMDB review table
            "colour": rng.choice(["red", "green", "blue"], n),
            "x": rng.normal(size=n),
            "review": [f"a film with {i} twists that kept me guessing to the end" for i in range(n)],
            "label": np.where(rating >= 7, "pos", "neg"),
        }
    )


def test_a_column_that_alone_decides_the_target_is_named_as_a_leak() -> None:
    with pytest.warns(UserWarning) as caught:
        tabular_data(_leak_table(), "label")
    messages = [str(w.message) for w in caught]
    leaks = [m for m in messages if "alone decides" in m]
    assert len(leaks) == 1 and leaks[0].startswith(
        "column 'rating' alone decides 'label' on the training rows"
    )
    assert "--ignore rating" in leaks[0]
    with pytest.warns(UserWarning):
        assert tabular_data(_leak_table(), "label").leaks == (
            "rating",
        )  # fit names it again under its scores
    # The review column is free text: the advice is a text model, not --cat-names.
    review = next(m for m in messages if m.startswith("column 'review' left out"))
    assert "free text (a median of 12 words a row)" in review and "--text review" in review


def test_no_leak_is_reported_where_the_classes_interleave_or_rows_are_few() -> None:
    import warnings

    table = _leak_table()
    table["label"] = np.where(
        (table["rating"] >= 7) ^ (table["x"] > 1.5), "pos", "neg"
    )  # rating mostly decides
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tabular_data(table, "label")
        tabular_data(_leak_table(40), "label")  # 30 training rows: a column can decide them by chance
    assert not [w for w in caught if "alone decides" in str(w.message)]


def test_a_regression_input_that_is_the_target_scaled_is_a_leak() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    table = pd.DataFrame({"x": x, "price_in_cents": 100 * (3 * x + 2), "noise": rng.normal(size=200)})
    table["price"] = 3 * x + 2 + 0.01 * rng.normal(size=200)
    with pytest.warns(
        UserWarning, match="column 'price_in_cents' alone decides 'price'.*it is the target, scaled"
    ):
        tabular_data(table, "price")


def test_a_source_or_target_of_the_wrong_kind_is_a_one_line_error() -> None:
    # Each of these stopped in an internal TypeError or AttributeError ('DataFrame' object has no attribute 'dtype').
    frame = pd.DataFrame(
        {"age": [30, 40, 50, 60] * 5, "hours": [1.0, 2.0, 3.0, 4.0] * 5, "y": ["a", "b"] * 10}
    )
    twice = frame.set_axis(["age", "age", "y"], axis=1)
    with pytest.raises(
        DataError, match=r"^the table names the column 'age' twice; give each column a name of its"
    ):
        tabular_data(twice, "y")
    with pytest.raises(ConfigError, match=r"^target \(--target\) must name the column to predict .*got None"):
        tabular_data(frame, None)  # type: ignore[arg-type]
    with pytest.raises(
        DataError, match=r"got ndarray \(an array: pd.DataFrame\(array, columns=\[...\]\) names"
    ):
        tabular_data(frame.to_numpy(), "y")  # type: ignore[arg-type]
    with pytest.raises(
        DataError, match=r"^source must be a table file's path or a pandas DataFrame, got int$"
    ):
        tabular_data(42, "y")  # type: ignore[arg-type]


def test_the_target_among_the_ignored_columns_is_refused() -> None:
    frame = pd.DataFrame(
        {"age": [30, 40, 50, 60] * 5, "hours": [1.0, 2.0, 3.0, 4.0] * 5, "y": ["a", "b"] * 10}
    )
    with pytest.raises(ConfigError, match=r"^column 'y' is in both --target and --ignore; give it one role$"):
        tabular_data(frame, "y", ignore=["hours", "y"])


def test_like_reads_new_rows_as_the_first_data_did_and_a_learner_refuses_other_readings() -> None:
    # Continual learning on tables: task B's data coded its categories and scaled its numbers by its own rows,
    # and learn.data = B trained on them as if they were A's, in silence.
    first = make_table(200, seed=0)
    second = make_table(120, seed=1)
    second.loc[:5, "city"] = "lima"  # a category the first data never held: it shifted every later code
    a = tabular_data(first, "expensive")
    learn = tabular_learner(a)
    with pytest.raises(ConfigError, match=r"^learn.data: the new data was prepared with another recipe .* "
                       r"tabular_data\(rows, target, like=learn.data\)$"):  # fmt: skip
        learn.data = tabular_data(second, "expensive")
    b = tabular_data(second, "expensive", like=a)
    learn.data = b  # taken: read as the first
    assert b.recipe is a.recipe and b.task == a.task and b.model_hints == a.model_hints
    with pytest.raises(ConfigError, match=r"like= takes the columns' roles and the task from its data; drop "
                       r"cat_names="):  # fmt: skip
        tabular_data(second, "expensive", like=a, cat_names=["city"])
    with pytest.raises(ConfigError, match="like= holds data predicting expensive, not price"):
        tabular_data(second, "price", like=a)


def test_validation_rows_that_copy_training_rows_are_warned_of() -> None:
    # A table concatenated with itself was split with copies on both sides, and its validation scores were read
    # as honest (images and texts were checked for repeats; tables were not).
    import warnings

    from trainwell.datasets import adult_sample

    rows = adult_sample().head(300)
    with pytest.warns(
        UserWarning, match=r"of 120 validation rows of the table \(\d+%\) are exact copies"
    ) as said:
        data = tabular_data(pd.concat([rows, rows], ignore_index=True), "income", seed=0)
    copied = [str(w.message) for w in said if "exact copies" in str(w.message)]
    row, original = (
        int(n) for n in re.search(r"data row (\d+), a copy of data row (\d+)", copied[0]).groups()
    )
    assert abs(row - original) == 300  # the two copies of one row, numbered as the table's rows
    assert len(data.valid.tensors[0]) == 120  # warned, nothing dropped
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same rows once: no copies, no warning of them
        warnings.filterwarnings("ignore", message="^(?!.*exact copies)")
        tabular_data(rows, "income", seed=0)


def test_the_rows_kept_as_read_keep_their_index_in_the_source() -> None:
    # data.rows["valid"] was renumbered from 0: a top loss (its position in the split) led nowhere in the user's
    # table, whose first validation rows were id4, id11... found only by merging on every column.
    from trainwell.datasets import adult_sample

    frame = adult_sample().head(200)
    frame.index = [f"id{i}" for i in range(len(frame))]
    data = tabular_data(frame, "income", seed=0)
    valid = data.rows["valid"]
    assert valid.index.str.startswith("id").all()
    pd.testing.assert_frame_equal(valid, frame.loc[valid.index])
    assert set(data.rows["train"].index) <= set(frame.index)


def test_a_column_marking_validation_rows_is_not_an_input() -> None:
    # IMDB's sample: is_valid, warned of as a mark of validation rows, became a categorical input, and predict
    # then demanded it of new rows (and the README's "--ignore rating,file trains a text model" did not hold).
    from trainwell.datasets import adult_sample

    frame = adult_sample().head(300).copy()
    frame["is_valid"] = [i % 5 == 0 for i in range(len(frame))]
    with pytest.warns(UserWarning, match="column 'is_valid' looks like a mark of validation rows"):
        data = tabular_data(frame, "income", seed=0)
    assert "is_valid" not in [*data.recipe.cat_names, *data.recipe.cont_names]
    assert data.recipe.dropped["is_valid"].startswith("marks validation rows")
    kept = tabular_data(frame, "income", seed=0, cat_names=["is_valid", "workclass"], cont_names=["age"])
    assert "is_valid" in kept.recipe.cat_names  # named as an input: kept
