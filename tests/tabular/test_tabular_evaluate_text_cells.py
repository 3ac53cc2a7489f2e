"""``evaluate`` on a file with text in a column of numbers, some rows without a target: refused as fit refuses it,
naming the file and the data rows as written, before any fold trains (trainwell.tabular.evaluation)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import DataError
from trainwell.tabular.evaluation import evaluate_table


def _fares(path: Path, fare: dict[int, str] | None = None, price: dict[int, str] | None = None) -> Path:
    """60 rows of fares and prices; rows 2 and 3 (data rows) without a price; ``fare``'s and ``price``'s cells (by
    0-based row) written in place of their numbers."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"fare": rng.uniform(1, 50, 60).round(2), "sex": rng.choice(["m", "f"], 60)})
    frame["price"] = (frame["fare"] * 3 + rng.normal(0, 1, 60)).round(2)
    frame = frame.astype({"fare": object, "price": object})
    frame.loc[[1, 2], "price"] = np.nan
    for row, cell in (fare or {}).items():
        frame.loc[row, "fare"] = cell
    for row, cell in (price or {}).items():
        frame.loc[row, "price"] = cell
    frame.to_csv(path, index=False)
    return path


def _refusal(path: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as caught:
            evaluate_table(path, "price", cv=2, arch="gbdt", baselines=False)
    return str(caught.value)


def test_text_in_an_input_column_of_numbers_names_the_file_and_its_data_row() -> None:
    # It said "column 'fare' of the table ... 1 of its 58 values ... (data row 4)": the rows counted and numbered
    # after the two without a price were dropped.
    message = _refusal(_fares(Path("fares.csv"), fare={5: "12,5 GBP"}))
    assert message.startswith(
        "column 'fare' of fares.csv holds numbers but 1 of its 60 values is text: '12,5 GBP' (data row 6); "
    ), message


def test_text_in_a_target_of_numbers_names_its_data_row() -> None:
    # It named the cell without its row: 'unknown'; a regression target must be...
    message = _refusal(_fares(Path("fares.csv"), price={6: "unknown"}))
    assert message.startswith(
        "target 'price' holds numbers but 1 of its 58 values is text: 'unknown' (data row 7); "
    ), message
