"""Tests for trainwell.tabular.recipe: type inference, fitted statistics, encoding and the JSON round trip."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.data.io import read_table
from trainwell.tabular.recipe import IGNORED_REASON, TabularRecipe

ADULT = Path("/work/shared/data/adult/adult.data.gz")
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip


def _frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Mixed dtypes: text with gaps, an ID, numbers as text, bool, low- and high-cardinality ints, floats."""
    rng = np.random.default_rng(seed)
    area = rng.normal(70.0, 20.0, rows)
    area[rng.random(rows) < 0.1] = np.nan
    price_text = np.round(rng.uniform(1, 9, rows), 2).astype(str).astype(object)
    price_text[rng.random(rows) < 0.1] = None
    return pd.DataFrame(
        {
            "city": pd.Series(rng.choice(["paris", "rome", "oslo", None], rows), dtype="str"),
            "user_id": [f"u{index:05d}" for index in range(rows)],
            "price_text": pd.Series(price_text, dtype="str"),
            "member": rng.random(rows) < 0.3,
            "rooms": rng.integers(1, 6, rows),
            "visits": rng.integers(0, 1000, rows),
            "area": area,
            "empty": np.full(rows, np.nan),
            "y": rng.normal(size=rows),
        }
    )


def _fit(frame: pd.DataFrame, **options: object) -> TabularRecipe:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return TabularRecipe.fit(frame, target="y", **options)  # type: ignore[arg-type]


def test_inferred_types_and_dropped_columns() -> None:
    with pytest.warns(UserWarning) as caught:
        recipe = TabularRecipe.fit(_frame(), target="y")
    assert recipe.cat_names == ["city", "member", "rooms"]
    assert recipe.cont_names == ["price_text", "visits", "area"]
    assert recipe.target_names == ["y"]
    assert set(recipe.dropped) == {"user_id", "empty"}
    assert "a different value in 100% of rows: an ID or free text" in recipe.dropped["user_id"]
    assert recipe.dropped["empty"] == "missing in every training row"
    messages = sorted(str(warning.message) for warning in caught)
    assert messages[0] == "column 'empty' left out of the inputs: missing in every training row"
    assert messages[1].startswith(
        "column 'user_id' left out of the inputs: a different value in 100% of rows"
    )


def test_vocabularies_fill_values_and_indicators() -> None:
    frame = _frame()
    recipe = _fit(frame)
    assert recipe.categories == {
        "city": ["oslo", "paris", "rome"],
        "member": ["False", "True"],
        "rooms": ["1", "2", "3", "4", "5"],
    }
    assert recipe.fill_values["area"] == pytest.approx(frame["area"].median())
    assert recipe.fill_values["price_text"] == pytest.approx(pd.to_numeric(frame["price_text"]).median())
    assert recipe.fill_values["visits"] == pytest.approx(frame["visits"].median())
    assert recipe.na_indicator_names == ["price_text", "area"]
    assert recipe.input_names == [
        "city", "member", "rooms", "price_text_na", "area_na", "price_text", "visits", "area",
    ]  # fmt: skip
    assert recipe.cardinalities == [4, 3, 6, 3, 3]
    assert (recipe.n_cat, recipe.n_cont) == (5, 3)


def test_transform_matches_hand_encoding_and_scikit_learn_scaling() -> None:
    frame = _frame()
    recipe = _fit(frame)
    categorical, continuous = recipe.transform(frame)
    assert categorical.dtype == torch.int64 and categorical.shape == (200, 5)
    assert continuous.dtype == torch.float32 and continuous.shape == (200, 3)
    city = frame["city"].map({"oslo": 1, "paris": 2, "rome": 3}).fillna(0).to_numpy()
    np.testing.assert_array_equal(categorical[:, 0].numpy(), city)
    np.testing.assert_array_equal(categorical[:, 1].numpy(), frame["member"].to_numpy().astype(int) + 1)
    np.testing.assert_array_equal(categorical[:, 2].numpy(), frame["rooms"].to_numpy())
    np.testing.assert_array_equal(categorical[:, 3].numpy(), np.where(frame["price_text"].isna(), 2, 1))
    np.testing.assert_array_equal(categorical[:, 4].numpy(), np.where(frame["area"].isna(), 2, 1))
    numbers = np.column_stack([pd.to_numeric(frame["price_text"]), frame["visits"], frame["area"]])
    reference = StandardScaler().fit_transform(SimpleImputer(strategy="median").fit_transform(numbers))
    np.testing.assert_allclose(continuous.numpy(), reference, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(continuous.numpy().mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(continuous.numpy().std(axis=0), 1.0, atol=1e-5)


def test_unseen_and_missing_categories_map_to_zero_and_keys_compare_as_text() -> None:
    recipe = _fit(_frame())
    rows = pd.DataFrame(
        {
            "city": ["tokyo", None, "rome"],
            "member": [True, None, False],
            "rooms": ["3", "99", "5"],  # text as after a CSV or JSON round trip
            "price_text": [2.0, None, 3.0],
            "visits": [1, 2, 3],
            "area": [60.0, 70.0, None],
            "extra": ["ignored", "ignored", "ignored"],
        }
    )
    categorical, _ = recipe.transform(rows)
    assert categorical.tolist() == [[0, 2, 3, 1, 1], [0, 0, 0, 2, 1], [3, 1, 5, 1, 2]]
    floats = rows.assign(rooms=[3.0, np.nan, 5.0])
    assert recipe.transform(floats)[0][:, 2].tolist() == [3, 0, 5]


def test_missing_columns_error_and_allow_missing_columns() -> None:
    recipe = _fit(_frame())
    rows = _frame(rows=4, seed=1).drop(columns=["city", "area"])
    with pytest.raises(DataError) as caught:
        recipe.transform(rows, source="new.csv")
    message = str(caught.value)
    assert message.startswith("input columns missing from new.csv: city, area; the recipe needs city, member")
    assert message.endswith("pass allow_missing_columns=True to treat them as missing")
    categorical, continuous = recipe.transform(rows, allow_missing_columns=True)
    assert categorical[:, 0].tolist() == [0, 0, 0, 0]
    assert categorical[:, 4].tolist() == [2, 2, 2, 2]
    expected_area = (recipe.fill_values["area"] - recipe.means["area"]) / recipe.stds["area"]
    np.testing.assert_allclose(continuous[:, 2].numpy(), expected_area, rtol=1e-6)


def test_a_missing_column_is_not_told_to_be_another_input_of_the_model() -> None:
    # education missing beside the input education-num: renaming education-num would lose an input, so no hint;
    # a column the model does not read, spelt like the missing one, is still offered
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "education": rng.choice(["HS-grad", "Bachelors", "Masters"], 60),
            "education-num": rng.integers(1, 16, 60),
            "y": rng.normal(size=60),
        }
    )
    recipe = _fit(frame)
    with pytest.raises(DataError) as caught:
        recipe.transform(frame.drop(columns=["education", "y"]), source="new.csv")
    assert str(caught.value).startswith("input column missing from new.csv: education; the recipe needs")
    renamed = frame.drop(columns=["y"]).rename(columns={"education": "Education"})
    with pytest.raises(
        DataError, match=r"^input column missing from new.csv: education \(did you mean 'Education'"
    ):
        recipe.transform(renamed, source="new.csv")


def test_text_in_a_continuous_column_names_column_row_and_value() -> None:
    recipe = _fit(_frame())
    rows = _frame(rows=30, seed=2)
    rows["area"] = rows["area"].astype(object)
    rows.loc[17, "area"] = "abc"
    expected = (
        "continuous column 'area' holds text that is not a number, e.g. 'abc' (data row 18); "
        "clean the value or leave it empty to mark it missing"
    )
    with pytest.raises(DataError, match=f"^{re.escape(expected)}$"):
        recipe.transform(rows)
    rows.loc[17, "area"] = "  "  # blank text is a missing value, not an error
    assert recipe.transform(rows)[0][17, 4].item() == 2


def test_a_few_words_among_numbers_are_missing_values_of_a_continuous_column() -> None:
    # One 'unknown' among 1,000 numbers made the column text: read as words (R² 0.35 where 0.995) or left out
    # as an ID, with advice to pass it as categories.
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 200).round(3).astype(object)
    x[[5, 9, 30]] = ["unknown", " - ", "unknown"]
    frame = pd.DataFrame({"x": x, "y": rng.normal(size=200)})
    with pytest.warns(
        UserWarning,
        match=r"^column 'x' holds numbers but for 3 of its 200 training values, read as missing: 'unknown' \(2 "
        r"rows\), '-' \(1 row\); pass it in --cat-names \(Python: cat_names=\['x'\]\) to read every value as",
    ):
        recipe = TabularRecipe.fit(frame, target="y")
    assert recipe.cont_names == ["x"] and recipe.missing_words == {"x": ["unknown", "-"]}
    assert recipe.na_indicator_names == ["x"]  # the words are missing values, with their indicator
    again = TabularRecipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    rows = pd.DataFrame({"x": ["unknown", "12.5", None]})
    categorical, continuous = again.transform(rows)
    assert categorical[:, 0].tolist() == [2, 1, 2]  # missing, present, missing
    assert continuous[0, 0] == continuous[2, 0]  # both filled with the training median
    with pytest.raises(
        DataError, match=r"continuous column 'x' holds text that is not a number, e\.g\. 'n/k'"
    ):
        again.transform(pd.DataFrame({"x": ["n/k"]}))  # a word training never met is still refused
    # Where the numbers are few whole values, categories lose nothing; a word with a digit is a number written
    # in a form not read here; many words make a column of categories: each left as it was.
    for values in (
        ["1", "2", "3"] * 20 + ["unknown"],
        [f"{v:.2f}" for v in rng.normal(size=60)] + ["(12.5)"],
        [f"{v:.2f}" for v in rng.normal(size=60)] + ["a", "b", "c", "d", "e", "f"],
    ):
        assert _fit(pd.DataFrame({"x": values, "y": 0.0})).cont_names == []


def test_declared_continuous_column_with_text() -> None:
    frame = pd.DataFrame({"age": ["31", "40", "abc", "22"], "y": [0, 1, 0, 1]})
    frame.index = [14, 15, 17, 18]
    expected = (
        "column 'age' is declared continuous but holds text, e.g. 'abc' (data row 3, index 17); "
        "pass it in --cat-names or clean it"
    )
    with pytest.raises(DataError, match=f"^{re.escape(expected)}$"):
        TabularRecipe.fit(frame, target="y", cont_names=["age"])


def test_named_columns_are_checked() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "y": [0, 1]})
    with pytest.raises(DataError) as caught:
        TabularRecipe.fit(frame, target="price", source="train.csv")
    assert (
        str(caught.value)
        == "target column 'price' not found in train.csv; columns are: a, b, y. Pass --target NAME (Python: target=)."
    )
    with pytest.raises(
        DataError, match=r"^categorical column 'c' not found in the training data; columns are"
    ):
        TabularRecipe.fit(frame, target="y", cat_names=["c"])
    spelled = pd.DataFrame({"Income": [1, 2], "marital_status": ["x", "y"], "age": [30, 40]})
    for given, meant in (("income", "Income"), ("marital-status", "marital_status"), ("agee", "age")):
        with pytest.raises(
            DataError, match=rf"^target column '{given}' not found in t.csv \(did you mean '{meant}'\?\);"
        ):
            TabularRecipe.fit(spelled, target=given, source="t.csv")
    with pytest.raises(
        ConfigError, match=r"^column 'y' is in both --target and --cont-names; give it one role$"
    ):
        TabularRecipe.fit(frame, target="y", cont_names=["y"])
    with pytest.raises(ConfigError, match="max_card must be a non-negative integer, got -1"):
        TabularRecipe.fit(frame, target="y", max_card=-1)
    with pytest.raises(DataError, match=r"^the training data has no rows"):
        TabularRecipe.fit(frame.iloc[:0], target="y")
    with pytest.raises(DataError, match=r"^no input columns left in the training data besides the target y"):
        TabularRecipe.fit(frame, target="y", ignore=["a", "b"])


def test_one_list_given_sends_leftover_integers_to_the_other_kind() -> None:
    frame = _frame()
    only_cats = _fit(frame, cat_names=["city"])
    assert only_cats.cat_names == ["city", "member"]
    assert only_cats.cont_names == ["price_text", "rooms", "visits", "area"]
    only_conts = _fit(frame, cont_names=["area"])
    assert only_conts.cat_names == ["city", "member", "rooms", "visits"]
    assert only_conts.cont_names == ["area", "price_text"]
    both = _fit(frame, cat_names=["rooms"], cont_names=["visits"], ignore=["city"])
    assert (both.cat_names, both.cont_names) == (["rooms"], ["visits"])
    assert both.dropped == {"city": IGNORED_REASON}  # recorded, so a served model accepts rows holding it
    assert _fit(frame, max_card=3).cont_names == ["price_text", "rooms", "visits", "area"]


def test_whole_numbers_kept_as_written_are_read_as_integers_are() -> None:
    # read_table keeps '01' and '02134' as written: the recipe reads them as it reads the integers they were.
    months = [f"{1 + i % 12:02d}" for i in range(60)]
    frame = pd.DataFrame(
        {"month": months, "zip": [f"{i * 1567:05d}" for i in range(60)], "y": [0.0, 1.0] * 30}
    )
    as_written = _fit(frame)
    as_integers = _fit(frame.assign(month=[int(m) for m in months], zip=[i * 1567 for i in range(60)]))
    assert (as_written.cat_names, as_written.cont_names) == (as_integers.cat_names, as_integers.cont_names)
    assert as_written.cat_names == ["month"] and as_written.cont_names == ["zip"]
    declared = _fit(frame, cat_names=["zip"])  # the leftover integers go to the other kind, as integers do
    assert (declared.cat_names, declared.cont_names) == (["zip"], ["month"])


def test_pandas_extension_dtypes() -> None:
    frame = pd.DataFrame(
        {
            "grade": pd.Categorical(["a", "b", None, "a"]),
            "count": pd.array([1, None, 3, 3], dtype="Int64"),
            "ratio": pd.array([0.5, None, 1.5, 2.5], dtype="Float64"),
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "label": pd.Series(["x", None, "y", "x"], dtype=pd.StringDtype()),
            "mixed": pd.Series([True, False, None, True], dtype=object),
            "y": [0, 1, 0, 1],
        }
    )
    recipe = TabularRecipe.fit(frame, target="y", min_category_count=1)
    assert recipe.cat_names == ["grade", "count", "flag", "label", "mixed"]
    assert recipe.cont_names == ["ratio"]
    assert recipe.categories["count"] == ["1", "3"]
    categorical, continuous = recipe.transform(frame)
    assert categorical.tolist() == [
        [1, 1, 2, 1, 2, 1],
        [2, 0, 0, 0, 1, 2],
        [0, 2, 1, 2, 0, 1],
        [1, 2, 2, 1, 2, 1],
    ]
    filled = np.array([0.5, 1.5, 1.5, 2.5])
    np.testing.assert_allclose(continuous[:, 0].numpy(), (filled - filled.mean()) / filled.std(), rtol=1e-6)


def test_constant_column_keeps_unit_std() -> None:
    frame = pd.DataFrame({"c": [4.0, 4.0, 4.0], "d": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    recipe = TabularRecipe.fit(frame, target="y", cont_names=["c", "d"])  # declared: kept
    assert recipe.stds["c"] == 1.0 and recipe.means["c"] == 4.0
    assert recipe.transform(frame)[1][:, 0].tolist() == [0.0, 0.0, 0.0]


def test_a_column_of_one_value_is_left_out_and_said() -> None:
    # A constant column ('A' in every row) was kept as an input in silence: a code that tells nothing.
    frame = pd.DataFrame(
        {"k": ["A"] * 6, "c": [4.0] * 6, "d": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "y": [0, 1] * 3}
    )
    with pytest.warns(
        UserWarning, match=r"column 'k' left out of the inputs: the same value in every training row"
    ):
        recipe = TabularRecipe.fit(frame, target="y")
    assert recipe.input_names == ["d"] and set(recipe.dropped) == {"k", "c"}
    gappy = frame.assign(k=["A", None, "A", "A", None, "A"])  # present or missing: that tells something
    assert "k" in _fit(gappy).cat_names


def test_json_round_trip_gives_identical_transform() -> None:
    frame = _frame()
    recipe = _fit(frame)
    restored = TabularRecipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert restored == recipe
    before, after = recipe.transform(frame), restored.transform(frame)
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])
    broken = recipe.to_dict() | {"surprise": 1}
    with pytest.raises(ArtifactError, match=r"unknown keys \['surprise'\]"):
        TabularRecipe.from_dict(broken)


def test_describe() -> None:
    text = _fit(_frame()).describe()
    lines = text.splitlines()
    expected = (
        "tabular recipe: 5 categorical inputs (2 missing-value indicators), 3 continuous inputs; target: y"
    )
    assert lines[0] == expected
    assert "  categorical: city (3 values), member (2 values), rooms (5 values)" in lines
    assert "  missing-value indicators: price_text_na, area_na" in lines
    assert any(line.startswith("  dropped user_id: a different value") for line in lines)


def test_transform_of_many_rows_matches_a_pandas_reference() -> None:
    recipe = _fit(_frame())
    rows = _frame(rows=100_000, seed=3)
    categorical, continuous = recipe.transform(rows)
    assert categorical.shape == (100_000, 5) and continuous.shape == (100_000, 3)
    city = rows["city"].map({"oslo": 1, "paris": 2, "rome": 3}).fillna(0).to_numpy()
    np.testing.assert_array_equal(categorical[:, 0].numpy(), city)
    visits = (rows["visits"] - recipe.means["visits"]) / recipe.stds["visits"]
    np.testing.assert_allclose(continuous[:, 1].numpy(), visits.to_numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.data
@pytest.mark.skipif(not ADULT.exists(), reason=f"{ADULT} is absent")
def test_adult_census() -> None:
    table = read_table(ADULT, names=ADULT_COLUMNS)
    assert len(table) == 32_561
    inferred = TabularRecipe.fit(table, target="income")
    # education-num holds 16 distinct integers, so max_card=20 makes it categorical.
    assert "education-num" in inferred.cat_names and len(inferred.cat_names) == 9
    declared_cats = [
        "workclass", "education", "marital-status", "occupation", "relationship", "race", "sex", "native-country",
    ]  # fmt: skip
    recipe = TabularRecipe.fit(table, target="income", cat_names=declared_cats)
    assert recipe.cat_names == declared_cats
    assert recipe.cont_names == [
        "age",
        "fnlwgt",
        "education-num",
        "capital-gain",
        "capital-loss",
        "hours-per-week",
    ]
    assert recipe.na_indicator_names == [] and recipe.dropped == {}
    assert "?" not in recipe.categories["workclass"]
    assert len(recipe.categories["workclass"]) == 8 and "Private" in recipe.categories["workclass"]
    categorical, continuous = recipe.transform(table)
    assert int((categorical[:, 0] == 0).sum()) == int(table["workclass"].isna().sum()) == 1836
    assert recipe.fill_values["age"] == float(table["age"].median())
    np.testing.assert_allclose(continuous.numpy().mean(axis=0), 0.0, atol=1e-4)


# ------------------------------------------------------------------------------------- rare categories
def _tickets() -> pd.DataFrame:
    """A ticket column where "A" is common, "B" seen 3 times, "C" twice and "D", "E" once; one value missing."""
    tickets = ["A"] * 6 + ["B"] * 3 + ["C"] * 2 + ["D", "E", None]
    return pd.DataFrame({"ticket": tickets, "x": np.arange(len(tickets), dtype=float), "y": [0, 1] * 7})


def test_values_rarer_than_min_category_count_share_the_code_of_unseen_values() -> None:
    recipe = TabularRecipe.fit(_tickets(), target="y")  # the default: 3 rows
    assert recipe.categories["ticket"] == ["A", "B"] and recipe.rare == {"ticket": 3}
    assert recipe.cardinalities == [4]  # missing, A, B, and the rare values' shared code
    assert recipe.unseen_code("ticket") == 3
    rows = pd.DataFrame({"ticket": ["A", "B", "C", "D", "never seen", None], "x": 0.0})
    assert recipe.transform(rows)[0][:, 0].tolist() == [1, 2, 3, 3, 3, 0]
    assert "ticket (2 values, 3 rare ones read as unseen)" in recipe.describe()
    kept = TabularRecipe.fit(_tickets(), target="y", min_category_count=1)
    assert kept.categories["ticket"] == ["A", "B", "C", "D", "E"] and kept.rare == {}
    assert kept.transform(rows)[0][:, 0].tolist() == [
        1,
        2,
        3,
        4,
        0,
        0,
    ]  # no rare values: unseen reads as missing


def test_rare_counts_survive_the_json_round_trip_and_older_recipes_read_unseen_as_missing() -> None:
    recipe = TabularRecipe.fit(_tickets(), target="y")
    again = TabularRecipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert again == recipe and again.min_category_count == 3
    older = recipe.to_dict()
    del older["rare"], older["min_category_count"]  # written before rare values were grouped
    old = TabularRecipe.from_dict(older)
    assert old.min_category_count == 1  # every value had a code of its own
    assert old.cardinalities == [3] and old.transform(pd.DataFrame({"ticket": ["C"], "x": [0.0]}))[
        0
    ].tolist() == [[0]]


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "3"])
def test_a_min_category_count_that_is_not_a_whole_number_of_rows_is_refused(value: object) -> None:
    from trainwell.tabular import tabular_data

    with pytest.raises(ConfigError, match=r"min_category_count must be a whole number of rows, at least 1 .*"
                                          r"pass e\.g\. min_category_count=3"):  # fmt: skip
        tabular_data(_tickets(), "y", min_category_count=value)  # type: ignore[arg-type]


def test_the_mlp_trains_the_code_that_new_values_read_as() -> None:
    # The point of grouping: the code a value unseen in training reads as gets gradient from training rows.
    # Without rare values that code is 0, which no row of a column without gaps ever uses.
    from trainwell.tabular import tabular_data, tabular_learner

    frame = pd.concat([_tickets().dropna()] * 4, ignore_index=True)  # "A", "B", "C" common now
    frame["ticket"] = [
        f"{t}{i}" if t in "DE" else t for i, t in enumerate(frame["ticket"])
    ]  # 8 one-off tickets
    for min_count, trained in ((3, True), (1, False)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = tabular_data(frame, "y", valid_pct=0, seed=0, min_category_count=min_count)
        learn = tabular_learner(data, progress=False)
        code = data.recipe.unseen_code("ticket")
        assert code == (len(data.recipe.categories["ticket"]) + 1 if trained else 0)
        x_cat, x_cont, y = data.train.tensors  # type: ignore[attr-defined]
        learn.loss_func(learn.model(x_cat, x_cont), y).backward()
        gradient = learn.model.embeddings[0].weight.grad[code]
        assert bool(gradient.abs().sum() > 0) == trained


def test_every_entry_point_defaults_to_the_one_rare_value_threshold() -> None:
    # The fold and the cross-validation cannot import the constant (the recipe loads torch), so they repeat it.
    import dataclasses
    import inspect

    from trainwell.cli._options import MinCategoryCount
    from trainwell.tabular.data import tabular_data
    from trainwell.tabular.evaluation import TabularFold, evaluate_table
    from trainwell.tabular.recipe import MIN_CATEGORY_COUNT

    assert inspect.signature(tabular_data).parameters["min_category_count"].default == MIN_CATEGORY_COUNT
    assert inspect.signature(evaluate_table).parameters["min_category_count"].default == MIN_CATEGORY_COUNT
    fold_default = {f.name: f.default for f in dataclasses.fields(TabularFold)}["min_category_count"]
    assert fold_default == MIN_CATEGORY_COUNT
    assert f"default {MIN_CATEGORY_COUNT};" in MinCategoryCount.__metadata__[0].help


def test_a_column_of_lists_is_refused_by_name() -> None:
    # JSON's "tags": ["a", "b"] crashed the recipe with "unhashable type: 'list'".
    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 4.0], "tags": [["x"], [], ["x", "y"], ["y"]], "y": [0, 1, 0, 1]}
    )
    with pytest.raises(
        DataError, match=r"^column 'tags' of t.json holds lists or objects, e.g. \['x'\]: .*--ignore tags"
    ):
        TabularRecipe.fit(frame, target="y", source="t.json")
    assert TabularRecipe.fit(frame, target="y", ignore=["tags"]).cont_names == ["a"]


def test_an_infinite_input_is_named_without_numpy_warnings_first() -> None:
    # "warning: invalid value encountered in remainder" came before the error, from the check for row numbers.
    import warnings

    frame = pd.DataFrame({"a": [1.0, np.inf] + [float(i) for i in range(60)], "y": [0, 1] * 31})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=r"column 'a' holds an infinite value \(data row 2"):
            TabularRecipe.fit(frame, target="y")
