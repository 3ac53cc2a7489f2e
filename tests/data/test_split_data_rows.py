"""Warnings and errors the tabular recipe raises on one split's rows name the row as the user's file (or
DataFrame) numbers it: "data row 70", the 70th row under the header, not its place among the training rows
("data row 58, index 69" sent a user to the wrong line of their CSV)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.core.errors import DataError
from trainwell.data.bundle import choose_split
from trainwell.data.dates import data_row, parse_dates
from trainwell.data.io import labelled_rows
from trainwell.tabular.data import tabular_data
from trainwell.tabular.recipe import TabularRecipe

#: The file's row (1-based, after the header) holding the bad value, far enough down to be renumbered by a split.
BAD_ROW = 70


def _table(n: int = 100) -> pd.DataFrame:
    """Days in ISO form, one unreadable date in data row :data:`BAD_ROW` (when it has one), a number, a category and a label."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d").tolist()
    if n >= BAD_ROW:
        dates[BAD_ROW - 1] = "not a date"
    return pd.DataFrame(
        {
            "sold": dates,
            "x": rng.normal(size=n).round(3),
            "colour": rng.choice(["red", "blue", "green"], n),
            "y": rng.choice(["a", "b"], n),
        }
    )


def _date_warnings(source: pd.DataFrame | Path, **kwargs: object) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tabular_data(source, "y", valid_pct=0.2, **kwargs)  # type: ignore[arg-type]
    return [str(w.message) for w in caught if str(w.message).startswith("date column 'sold'")]


def test_the_bad_date_is_in_the_training_rows_far_from_its_place_among_them() -> None:
    # The premise of the tests below: with the default seed the row trains, and its training position differs.
    train_index, _ = choose_split(_table(), valid_pct=0.2, valid_col=None, splits=None, seed=0)
    assert BAD_ROW - 1 in train_index
    assert int(np.flatnonzero(train_index == BAD_ROW - 1)[0]) != BAD_ROW - 1


def test_an_unread_date_in_a_file_names_its_data_row_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    _table().to_csv(path, index=False)
    assert path.read_text().splitlines()[BAD_ROW].startswith("not a date,")  # line 71: data row 70
    said = _date_warnings(path)
    assert len(said) == 1
    assert "'not a date' (data row 70): they are read as missing" in said[0], said


def test_an_unread_date_in_a_dataframe_names_its_data_row_and_index_label() -> None:
    frame = _table()
    assert "'not a date' (data row 70): they" in _date_warnings(frame)[0]  # 0, 1, 2...: the label is the row
    by_id = frame.set_axis([f"sale-{i}" for i in range(len(frame))])
    assert "'not a date' (data row 70, index sale-69): they" in _date_warnings(by_id)[0]
    shifted = frame.set_axis(range(1000, 1000 + len(frame)))
    assert "'not a date' (data row 70, index 1069): they" in _date_warnings(shifted)[0]


def test_trainwell_fit_warns_of_the_files_data_row(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    _table().to_csv(path, index=False)
    result = CliRunner().invoke(
        app,
        ["fit", str(path), "--target", "y", "--epochs", "1", "--out", str(tmp_path / "model")],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "such as 'not a date' (data row 70): they are read as missing" in flat, flat


def test_a_declared_continuous_column_names_the_training_rows_file_row() -> None:
    frame = _table()
    frame["x"] = frame["x"].astype(object)
    frame.loc[BAD_ROW - 1, "x"] = "abc"
    expected = (
        "column 'x' is declared continuous but holds text, e.g. 'abc' (data row 70); pass it in --cat-names"
    )
    with pytest.raises(DataError, match=re.escape(expected)):
        tabular_data(frame, "y", cont_names=["x"], cat_names=["colour", "sold"])


def test_a_validation_value_beyond_32_bits_names_its_file_row() -> None:
    frame = _table()
    frame.loc[BAD_ROW - 1, "x"] = 1e300
    train = [i for i in range(len(frame)) if i != BAD_ROW - 1]
    with pytest.raises(DataError, match=r"holds 1e\+300 \(data row 70\), which is "):
        tabular_data(frame, "y", splits=(train, [3, BAD_ROW - 1]))


def test_a_test_table_with_rows_left_out_names_its_own_data_row(tmp_path: Path) -> None:
    test = _table(30)
    test.loc[2, "y"] = None  # left out of the test scores: the rows below it move up one among those kept
    test.loc[20, "x"] = 1e300  # data row 21 of the test file
    path = tmp_path / "test.csv"
    test.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=r"^the test data '.*test\.csv': .*holds 1e\+300 \(data row 21\)"):
            tabular_data(_table(), "y", test=path)


def test_recipe_fit_and_transform_take_the_rows_place_in_the_table() -> None:
    frame = _table()
    rows = np.arange(len(frame))[::-1].copy()  # the rows in reverse: row 0 of the part is data row 100
    part = frame.iloc[rows]
    part.loc[part.index[0], "sold"] = "never"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recipe = TabularRecipe.fit(part, target="y", read_rows=rows)
    said = [str(w.message) for w in caught if "'never'" in str(w.message)]
    assert said and "'never' (data row 100)" in said[0], said
    with pytest.raises(DataError, match=r"holds 'never' \(data row 100\), which is not a date"):
        recipe.transform(part, read_rows=rows)


def test_data_row_names_the_place_in_the_whole_table() -> None:
    values = pd.Series(["a", "b", "c"], index=[4, 9, 2])
    assert data_row(values, 1) == "data row 2, index 9"  # the whole table: its position
    assert data_row(values, 1, read_rows=[4, 9, 2]) == "data row 10"  # a file's rows: label = place
    assert data_row(values, 1, read_rows=[0, 5, 7]) == "data row 6, index 9"  # a DataFrame's own labels
    with pytest.raises(DataError, match=r"holds 'x' \(data row 8, index 2\)"):
        parse_dates(
            pd.Series(["2020-01-01", "x"], index=[1, 2]), "ISO8601", "d", check=True, read_rows=[3, 7]
        )


def test_rows_without_a_target_are_named_with_a_dataframes_index_label() -> None:
    frame = pd.DataFrame({"x": range(6), "y": [1, 0, None, 1, 0, 1]}, index=list("abcdef"))
    with pytest.warns(UserWarning, match=r"\(the first: data row 3, index c\): those rows are left out"):
        labelled_rows(frame, "y", "the table")


def test_predict_names_a_row_past_the_first_batch_by_its_place_in_all_the_rows(tmp_path: Path) -> None:
    # The predictor encodes rows a batch at a time: the 9,001st row was "data row 809, index 9000".
    import trainwell
    from trainwell.tabular.predictor import BATCH_ROWS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainwell.fit_table(_table(), "y", out=tmp_path / "model", epochs=1, progress=False)
    rows = pd.concat([_table(100)] * 91, ignore_index=True).drop(columns="y")
    rows["sold"] = "2020-01-05"
    rows.loc[9000, "sold"] = "garbage"
    assert BATCH_ROWS <= 9000  # past the first batch
    with pytest.raises(DataError, match=r"holds 'garbage' \(data row 9001\), which is not a date"):
        trainwell.load(tmp_path / "model").predict(rows)


@pytest.mark.parametrize("baselines", [True, False])
def test_evaluate_names_the_files_data_row_when_rows_without_a_target_are_left_out(
    tmp_path: Path, baselines: bool
) -> None:
    # The baselines' layout was fitted on the labelled rows renumbered: data row 41 was "data row 31".
    from trainwell.tabular.evaluation import evaluate_table

    frame = _table().drop(columns="sold")
    frame["x"] = frame["x"].astype(object)
    frame.loc[:9, "y"] = None  # left out of the folds
    frame.loc[40, "x"] = "abc"
    path = tmp_path / "rows.csv"
    frame.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            DataError, match=r"holds text, e\.g\. 'abc' \(data row 41\); pass it in --cat-names"
        ):
            evaluate_table(
                path, "y", cont_names=["x"], cat_names=["colour"], cv=3, epochs=1, baselines=baselines
            )
