"""A column of numbers written with decimal commas (a ';'-separated file, as Excel saves one where the comma is the
decimal mark) holding a few cells of text: read as numbers but for those cells, which fit then refuses or reads
as missing as it does in a column of numbers written with a dot (trainwell.data.io, trainwell.data.text_cells)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import DataError
from trainwell.data.io import read_table
from trainwell.tabular.data import tabular_data


def _prices(path: Path, bad: dict[int, str], column: str = "price", n_rows: int = 60) -> Path:
    """A ';' file of ``n_rows`` rows, its numbers written with decimal commas, the ``bad`` cells (by 0-based row)
    of ``column`` written in place of its numbers."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "price": rng.uniform(1, 50, n_rows).round(1),
            "kind": rng.choice(["x", "y"], n_rows),
            "weight": rng.uniform(1, 9, n_rows).round(2),
        }
    )
    frame = frame.astype({column: object})
    frame[column] = [str(value).replace(".", ",") for value in frame[column]]
    for row, cell in bad.items():
        frame.loc[row, column] = cell
    frame.to_csv(path, index=False, sep=";", decimal=",")
    return path


def _read(path: Path) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_table(path)
    return table, [str(w.message) for w in caught]


def test_a_unit_in_a_column_of_decimal_commas_is_refused_at_fit_naming_the_cell_and_its_row() -> None:
    # '12,5 GBP' left the whole column text: read as categories, each price one of its own, in silence.
    path = _prices(Path("shop.csv"), {4: "12,5 GBP"})
    table, said = _read(path)
    assert (
        "'shop.csv': column 'price' writes numbers with a decimal comma ('3,0'), read as numbers (3), but for "
        "1 cell that is not one: '12,5 GBP' (data row 5)"
    ) in said, said
    assert table.loc[0, "price"] == str(float(table.loc[0, "price"]))  # the numbers as Python writes them
    assert table.loc[4, "price"] == "12,5 GBP"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as caught:
            tabular_data(path, "weight")
    assert str(caught.value).startswith(
        "column 'price' of shop.csv holds numbers but 1 of its 60 values is text: '12,5 GBP' (data row 5); "
    ), caught.value
    assert "--cat-names price" in str(caught.value)


def test_a_word_in_a_column_of_decimal_commas_is_read_as_missing_as_with_dots() -> None:
    path = _prices(Path("shop.csv"), {7: "abc"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = tabular_data(path, "weight")
    said = [str(w.message) for w in caught]
    assert "price" in data.recipe.cont_names  # type: ignore[union-attr]
    assert any("but for 1 cell that is not one: 'abc' (data row 8)" in message for message in said), said
    assert any("column 'price' holds numbers but for" in m and "read as missing: 'abc'" in m for m in said), (
        said
    )


def test_a_target_of_decimal_commas_with_text_is_refused_naming_its_row() -> None:
    path = _prices(Path("shop.csv"), {2: "n.a.", 3: "12,5 GBP"}, column="weight")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as caught:
            tabular_data(path, "weight")
    assert str(caught.value).startswith(
        "target 'weight' holds numbers but 2 of its 60 values are text: 'n.a.' (data row 3), '12,5 GBP' (data "
        "row 4); "
    ), caught.value


def test_a_clean_column_of_decimal_commas_is_read_as_before_and_codes_stay_as_written() -> None:
    table, said = _read(_prices(Path("shop.csv"), {}))
    assert pd.api.types.is_float_dtype(table["price"]) and pd.api.types.is_float_dtype(table["weight"])
    assert said == [
        "'shop.csv': columns 'price', 'weight' write numbers with a decimal comma ('3,0'): read as numbers (3)"
    ]
    # Codes such as 'A,1' beside '1,2': text, left as written, with no word about numbers.
    codes = Path("codes.csv")
    pd.DataFrame({"code": [f"A,{i}" if i % 3 else f"{i},2" for i in range(30)], "n": range(30)}).to_csv(
        codes, index=False, sep=";"
    )
    table, said = _read(codes)
    assert list(table["code"][:4]) == ["0,2", "A,1", "A,2", "3,2"] and said == []


def test_predict_on_decimal_commas_names_the_cell_that_is_not_a_number() -> None:
    # predict refused the file quoting a good number as the bad one: "e.g. '42,4' (data row 1)".
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    runner = CliRunner()
    model = Path("model")
    fitted = runner.invoke(
        app,
        [
            "fit",
            str(_prices(Path("train.csv"), {})),
            "--target",
            "weight",
            "--arch",
            "gbdt",
            "--out",
            str(model),
        ],
    )
    assert fitted.exit_code == 0, fitted.output
    predicted = runner.invoke(app, ["predict", str(model), str(_prices(Path("new.csv"), {4: "12,5 GBP"}))])
    assert predicted.exit_code == 2
    assert (
        "continuous column 'price' holds text that is not a number, e.g. '12,5 GBP' (data row 5)"
        in predicted.output
    )
