"""Row hashes (what finds validation rows copied from training rows, and a model's sketch of its training rows)
are computed per distinct value, not per row: bit for bit what printing every row gave, which is what sketches
already stored in models hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.data.fingerprint import HASH_VERSION, RowSketch, row_hashes


def hashes_printing_every_row(frame: pd.DataFrame, columns: list[str], version: int) -> np.ndarray:
    """How rows were hashed before: every value printed, whole floats then written as integers."""
    present = [name for name in columns if name in frame.columns]
    text = frame[present].astype(str)
    if version >= 2:
        for position in range(len(present)):
            values = frame[present].iloc[:, position]
            if pd.api.types.is_float_dtype(values.dtype):
                out = text.iloc[:, position].to_numpy(dtype=object).copy()
                numbers = values.to_numpy(np.float64)
                whole = np.isfinite(numbers) & (np.abs(numbers) < 2.0**53)
                whole[whole] = numbers[whole] == np.round(numbers[whole])
                out[whole] = numbers[whole].astype(np.int64).astype(str)
                text.iloc[:, position] = out
    return pd.util.hash_pandas_object(text, index=False).to_numpy(dtype=np.uint64)


def quirky_table() -> pd.DataFrame:
    n = 12
    return pd.DataFrame(
        {
            "float": [7.0, np.nan, -0.0, 0.0, np.inf, -np.inf, 2.0**60, 1.5, 7.0, 1e-300, 3.0, np.nan],
            "int": np.arange(n) % 3,
            "small": (np.arange(n) % 4).astype("uint8"),
            "truth": np.arange(n) % 2 == 0,
            # One value to pandas.factorize (1, 1.0, True), three to print: hashed row by row.
            "mixed": pd.Series([1, 1.0, True, None, np.nan, "x", "1", 2, b"by", (1,), 1, "x"], dtype=object),
            "words": pd.Series(
                ["a", "b", "a", "é", "", "a", "b", "c", "a", "nan", "None", "a"], dtype=object
            ),
            "gaps": pd.Series(
                ["a", None, np.nan, "a", "b", "a", "b", "c", "a", "nan", "None", "a"], dtype=object
            ),
            "str": pd.array(["a", None, "a", "nan", "b", "a", "b", "c", "a", "x", "", "a"], dtype="str"),
            "category": pd.Categorical(["a", None, "a", "b", "b", "a", "b", "c", "a", "a", "c", "a"]),
            "float categories": pd.Categorical([1.0, None, 2.0, 1.0, 1, 1, 2, 3, 1, 1, 3, 1]),
            "date": pd.to_datetime(["2020-01-01"] * 6 + ["2020-01-02 03:00"] * 5 + [None], format="ISO8601"),
            "Int64": pd.array([1, None, 2, 1, 1, 1, 2, 3, 1, 1, 3, 1], dtype="Int64"),
            "boolean": pd.array([True, None, False, True, True, True, False, True, True, True, False, True]),
            "Float64": pd.array([1.0, None, 2.5, 1, 1, 1, 2, 3, 1, 1, 3, 1], dtype="Float64"),
            "float32": np.array([7.0, 0.1, 0.1, 3, 4, 5, 6, 7, 8, 9, 10, np.nan], dtype="float32"),
        },
        index=np.arange(n)[::-1] * 10,
    )


@pytest.mark.parametrize("version", [1, HASH_VERSION])
def test_each_kind_of_column_hashes_as_printing_every_row_did(version: int) -> None:
    table = quirky_table()
    for name in table.columns:
        assert np.array_equal(
            row_hashes(table, [name], version), hashes_printing_every_row(table, [name], version)
        ), name
    columns = list(table.columns)
    assert np.array_equal(
        row_hashes(table, columns, version), hashes_printing_every_row(table, columns, version)
    )
    assert np.array_equal(
        row_hashes(table.iloc[:0], columns, version),
        hashes_printing_every_row(table.iloc[:0], columns, version),
    )


def test_a_real_table_hashes_as_printing_every_row_did(shared_data: Path) -> None:
    bank = pd.read_csv(shared_data / "bank_marketing" / "bank-additional-full.csv.gz", sep=";").iloc[::7]
    columns = list(bank.columns)
    assert np.array_equal(row_hashes(bank, columns), hashes_printing_every_row(bank, columns, HASH_VERSION))


def test_exact_copies_are_found_across_dtype_quirks() -> None:
    # Training rows read with a gap in "age" (floats) and as object strings; the validation rows copy 40 of them,
    # read without the gap (integers) and as pandas' own strings: the same rows.
    rng = np.random.default_rng(3)
    training = pd.DataFrame(
        {
            "age": rng.integers(1, 90, 400).astype(float),
            "city": pd.Series(rng.choice(["a", "b", "c"], 400), dtype=object),
            "income": rng.normal(50, 10, 400).round(3),
        }
    )
    training.loc[0, "age"] = np.nan
    copies = training.iloc[1:41].astype({"age": "int64", "city": "str"})
    fresh = pd.DataFrame(
        {"age": rng.integers(1, 90, 60), "city": rng.choice(["a", "b"], 60), "income": rng.normal(50, 10, 60)}
    )
    valid = pd.concat([copies, fresh], ignore_index=True)
    columns = ["age", "city", "income"]
    found = np.isin(row_hashes(valid, columns), row_hashes(training, columns))
    assert found[:40].all() and not found[40:].any()
    assert RowSketch.of(training, columns).training_count(valid)[0] == 40


def test_signed_zeros_and_mixed_objects_stay_apart_where_they_printed_apart() -> None:
    table = pd.DataFrame({"x": [0.0, -0.0, 0.0], "o": pd.Series([1, 1.0, True], dtype=object)})
    assert len(set(row_hashes(table, ["x"], version=1))) == 2
    assert len(set(row_hashes(table, ["x"]))) == 1  # whole floats print as integers: "0"
    assert len(set(row_hashes(table, ["o"]))) == 3


def test_a_table_of_one_row_with_a_float_column_hashes_as_that_row_does_among_others() -> None:
    # Printing every row set the whole floats back into the column of text, which pandas refused for one row
    # (TypeError: Invalid value "['1.5']" for dtype 'str'): a one-row validation table or sketch failed.
    table = pd.DataFrame({"x": [1.5, 7.0, 2.25], "city": ["a", "b", "c"]})
    for row in range(3):
        assert row_hashes(table.iloc[[row]], ["x", "city"])[0] == row_hashes(table, ["x", "city"])[row]
