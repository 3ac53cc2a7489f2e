"""Cells of text in columns of numbers, and targets that read wrong: fitting refuses or says what it reads, as
predict does, from real CSV files (trainwell.data.text_cells, trainwell.data.task, trainwell.tabular.data)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import DataError
from trainwell.data.task import infer_task
from trainwell.tabular.data import tabular_data


def _passengers(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fare = rng.gamma(2.0, 15.0, n_rows).round(2)
    sex = rng.choice(["male", "female"], n_rows)
    return pd.DataFrame(
        {
            "Fare": fare,
            "Age": rng.normal(30, 12, n_rows).round(1).clip(1, 80),
            "Sex": sex,
            "Survived": ((sex == "female") ^ (rng.random(n_rows) < 0.2)).astype(int),
        }
    )


def _write(frame: pd.DataFrame, name: str) -> Path:
    path = Path(name)
    frame.to_csv(path, index=False)
    return path


def _quiet_fit(path: Path, target: str, **options: object):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = tabular_data(path, target, **options)  # type: ignore[arg-type]
    return data, [str(w.message) for w in caught]


def test_a_number_written_with_a_unit_in_a_column_of_numbers_is_refused_naming_the_cells() -> None:
    frame = _passengers().astype({"Fare": object})
    frame.loc[5, "Fare"] = "12,5 GBP"
    frame.loc[9, "Fare"] = "(7.25)"
    path = _write(frame, "fares.csv")
    with pytest.raises(DataError) as caught:
        tabular_data(path, "Survived")
    message = str(caught.value)
    assert message.startswith(
        "column 'Fare' of fares.csv holds numbers but 2 of its 200 values are text: '12,5 GBP' (data row 6), "
        "'(7.25)' (data row 10); "
    ), message
    assert "leave them empty to mark them missing" in message
    assert "--cat-names Fare (Python: cat_names=['Fare'])" in message
    # The fix it names works: declared categorical, the column is read as categories.
    data, _ = _quiet_fit(path, "Survived", cat_names=["Fare"])
    assert "Fare" in data.recipe.cat_names  # type: ignore[union-attr]


def test_more_than_three_bad_cells_are_counted_and_three_shown() -> None:
    frame = _passengers().astype({"Age": object})
    # Six different words: more than markers of a missing value, which the recipe reads as missing.
    for row, text in enumerate(("none", "?!", "tbd", "missing", "blank", "unsure"), start=1):
        frame.loc[row, "Age"] = text
    path = _write(frame, "ages.csv")
    with pytest.raises(DataError, match=r"6 of its 200 values are text: 'none' \(data row 2\), '\?!' \(data row 3\), "
                       r"'tbd' \(data row 4\), \.\.\.; "):  # fmt: skip
        tabular_data(path, "Survived")


def test_a_few_words_marking_missing_values_still_read_as_missing_with_a_warning() -> None:
    frame = _passengers().astype({"Fare": object})
    frame.loc[[3, 8], "Fare"] = "unknown"
    data, said = _quiet_fit(_write(frame, "fares.csv"), "Survived")
    assert "Fare" in data.recipe.cont_names  # type: ignore[union-attr]
    assert any(message.startswith("column 'Fare' holds numbers but for 2 of its") for message in said), said


def test_a_missing_word_only_in_validation_rows_is_read_as_missing_as_in_training_rows() -> None:
    frame = _passengers()
    first = tabular_data(frame, "Survived", seed=0)
    held_out = int(first.rows["valid"].index[0])  # a validation row of this seed
    frame = frame.astype({"Fare": object})
    frame.loc[held_out, "Fare"] = "unknown"
    data, said = _quiet_fit(_write(frame, "fares.csv"), "Survived", seed=0)
    assert "Fare" in data.recipe.cont_names  # type: ignore[union-attr]
    assert data.recipe.missing_words == {"Fare": ["unknown"]}  # type: ignore[union-attr]
    assert (
        f"column 'Fare' holds numbers but for 'unknown' (1 row) outside the training rows (the first: data row "
        f"{held_out + 1}), read as missing; pass it in --cat-names (Python: cat_names=['Fare']) to read every value "
        "as a category instead"
    ) in said


def test_a_column_of_numbers_with_many_missing_words_is_read_as_categories_and_said() -> None:
    frame = _passengers().astype({"Age": object})
    frame.loc[range(0, 200, 5), "Age"] = "unknown"  # 40 rows: 20%, too many to read as missing in silence
    frame.loc[range(1, 200, 10), "Age"] = "twenty"  # 20 rows
    data, said = _quiet_fit(_write(frame, "ages.csv"), "Survived")
    assert "Age" in data.recipe.cat_names  # type: ignore[union-attr]
    assert (
        "column 'Age' is read as categories, each number in it a category of its own: 60 of its 200 values are text "
        "('unknown' (40 rows), 'twenty' (20 rows); the first in data row 1). If it is a column of numbers, leave "
        "those cells empty to mark them missing; pass it in --cat-names (Python: cat_names=['Age']) to silence this"
    ) in said


def test_codes_that_are_partly_numbers_stay_categories_without_a_word() -> None:
    frame = _passengers()
    frame["Ticket"] = [
        f"CA. {1000 + i % 10}" if i % 4 == 0 else str(300000 + i % 40) for i in range(len(frame))
    ]
    data, said = _quiet_fit(_write(frame, "tickets.csv"), "Survived")
    assert "Ticket" in data.recipe.cat_names  # type: ignore[union-attr]
    assert not any("'Ticket'" in message for message in said), said


def test_decimal_commas_of_a_semicolon_file_are_still_read_as_numbers() -> None:
    frame = _passengers()
    path = Path("eu.csv")
    frame.to_csv(path, index=False, sep=";", decimal=",")
    data, said = _quiet_fit(path, "Survived")
    assert {"Fare", "Age"} <= set(data.recipe.cont_names)  # type: ignore[union-attr]
    assert any("decimal comma" in message for message in said), said


def _houses(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.gamma(3.0, 1.5, n_rows)
    return pd.DataFrame(
        {
            "median_income": income.round(4),
            "rooms": rng.integers(1, 9, n_rows),
            "median_house_value": (income * 50000 + rng.normal(0, 20000, n_rows)).round(1),
        }
    )


def test_a_target_of_prices_with_text_cells_is_refused_naming_them_not_made_thousands_of_classes() -> None:
    frame = _houses().astype({"median_house_value": object})
    frame.loc[10, "median_house_value"] = "N/A"  # read as missing: the row is left out, with a warning
    frame.loc[11, "median_house_value"] = "unknown"
    path = _write(frame, "houses.csv")
    expected = (
        "target 'median_house_value' holds numbers but 1 of its 299 values is text: 'unknown' (data row 12); a "
        "regression target must be a number in every row: fix those cells, or leave them empty (rows without a "
        "target are left out, with a warning)"
    )
    for task in (None, "regression"):  # --task regression quoted a good value ('452600.0') before
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(DataError) as caught:
                tabular_data(path, "median_house_value", task=task)
        assert str(caught.value) == expected


def test_a_regression_target_of_pandas_text_quotes_the_cell_that_is_not_a_number() -> None:
    values = pd.Series(["452600.0", "358500.0", "unknown", "341300.0"], dtype="string", name="price")
    with pytest.raises(DataError, match=r"target 'price' holds 1 cell of text, e.g. 'unknown'; "):
        infer_task(values, kind="regression")


def test_prices_with_a_word_given_to_infer_task_are_refused_without_rows_they_may_have_lost() -> None:
    # evaluate's folds renumber the rows left after those without a target: a row number would be off.
    prices = pd.Series([f"{100_000 + 1_000 * i}.5" for i in range(40)] + ["unknown"], name="price")
    with pytest.raises(DataError) as caught:
        infer_task(prices)
    assert str(caught.value).startswith(
        "target 'price' holds numbers but 1 of its 41 values is text: 'unknown'; a regression target must be"
    )


def test_a_few_whole_numbers_with_a_word_stay_classes() -> None:
    frame = _passengers().astype({"Survived": object})
    frame.loc[4, "Survived"] = "unsure"
    data, _ = _quiet_fit(_write(frame, "survived.csv"), "Survived")
    assert data.task.kind == "multiclass"


def test_a_zero_one_target_with_blank_cells_keeps_its_classes_as_written() -> None:
    frame = _passengers().astype({"Survived": object})
    frame.loc[range(0, 200, 20), "Survived"] = None
    data, said = _quiet_fit(_write(frame, "survived.csv"), "Survived")
    assert data.task.classes == (0, 1)
    assert all(type(label) is int for label in data.task.classes)
    assert any("target 'Survived' is missing in 10 of 200 rows" in message for message in said), said


def test_a_class_seen_in_a_single_row_is_warned_of_by_row() -> None:
    frame = _passengers()
    frame.loc[3, "Survived"] = 2  # a typo in a 0/1 target
    data, said = _quiet_fit(_write(frame, "survived.csv"), "Survived")
    assert data.task.kind == "multiclass"
    assert (
        "target 'Survived' has a class seen in a single row: '2' (data row 4); with it the task is multiclass over 3 "
        "classes. A class seen once cannot be learned and validated (its row is in training or in validation, not "
        "both): if it is a typo, fix it or leave that cell empty"
    ) in said


def test_well_populated_classes_give_no_single_row_warning() -> None:
    _, said = _quiet_fit(_write(_passengers(), "survived.csv"), "Survived")
    assert not any("single row" in message for message in said), said


def test_an_id_as_target_is_warned_of_as_input_ids_are() -> None:
    frame = _passengers().assign(PassengerId=np.arange(1, 201))
    data, said = _quiet_fit(_write(frame, "passengers.csv"), "PassengerId")
    assert data.task.kind == "regression"
    assert (
        "target 'PassengerId' looks like an ID (named like one, with a different whole number in (almost) every "
        "row): the other columns cannot tell it, so the model and its scores mean nothing; pick another --target"
    ) in said
