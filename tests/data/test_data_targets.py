"""A table's targets as named and the numbers in them (trainwell.data.targets), and cells of bytes: each mistake is
one line naming the column, its data row and the fix, before anything is trained (tour T47, findings 5, 14, 15)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.targets import target_names
from trainwell.tabular.data import tabular_data
from trainwell.tabular.evaluation import evaluate_table


def table(n_rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, n_rows),
            "income": rng.normal(50, 10, n_rows).round(2),
            "y": np.arange(n_rows) * 1.5,
        }
    )


def test_an_infinite_regression_target_is_refused_naming_its_data_row(tmp_path) -> None:
    # It trained, leaked "invalid value encountered in subtract", and stopped on "loss became infinite ... lower the
    # learning rate (--lr) or add GradientClip".
    frame = table()
    frame.loc[4, "y"] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning on the way
        with pytest.raises(
            DataError,
            match=r"^target 'y' holds an infinite value \(data row 5\); replace it or drop the row$",
        ):
            tabular_data(frame, "y")
    frame.to_csv(tmp_path / "t.csv", index=False)
    text = (tmp_path / "t.csv").read_text()
    assert ",inf\n" in text  # as the tour's file wrote it, read back as a float infinity
    with pytest.raises(DataError, match=r"^target 'y' holds an infinite value \(data row 5\)"):
        tabular_data(tmp_path / "t.csv", "y")


def test_a_target_beyond_float32_or_whose_square_overflows_is_refused() -> None:
    frame = table()
    frame.loc[4, "y"] = 1e300
    with pytest.raises(
        DataError,
        match=r"^target 'y' holds 1e\+300 \(data row 5\), beyond the largest 32-bit number \(3.4e\+38\) the model "
        r"computes with; check the value, or drop the row$",
    ):
        tabular_data(frame, "y")
    frame.loc[4, "y"] = -1e25  # a 32-bit number, but its squared error is not: the loss became infinite
    with pytest.raises(
        DataError,
        match=r"^target 'y' holds -1e\+25 \(data row 5\), 1e\+25 from the column's median .*squared error is beyond "
        r"the largest 32-bit number the loss computes with; .*rescale the column \(divide it by 1e6\)$",
    ):
        tabular_data(frame, "y")
    frame.loc[4, "y"] = 1e15  # large, and still trained on: its square fits
    assert tabular_data(frame, "y").task.kind == "regression"
    frame.loc[:, "y"] = 1e25 + np.arange(len(frame)) * 1e12  # far from zero but close together: fine
    assert tabular_data(frame, "y").task.kind == "regression"


def test_rows_are_numbered_in_the_table_as_given_when_rows_without_a_target_are_left_out() -> None:
    frame = table()
    frame.loc[[1, 2], "y"] = np.nan
    frame.loc[9, "y"] = -np.inf
    with (
        pytest.warns(UserWarning, match="missing in 2 of 60 rows"),
        pytest.raises(DataError, match=r"^target 'y' holds an infinite value \(data row 10\)"),
    ):
        tabular_data(frame, "y")
    with (
        pytest.warns(UserWarning, match="missing in 2 of 60 rows"),
        pytest.raises(DataError, match=r"^target 'y' holds an infinite value \(data row 10\)"),
    ):
        evaluate_table(frame, "y", cv=2, epochs=1, arch="mlp", baselines=False)


def test_several_targets_and_classes_written_as_numbers_are_checked_too() -> None:
    frame = table().assign(z=lambda f: f["income"] * 2)
    frame.loc[7, "z"] = np.inf
    with pytest.raises(DataError, match=r"^target 'z' holds an infinite value \(data row 8\)"):
        tabular_data(frame, ["y", "z"])
    classes = table().assign(y=[0.0, 1.0] * 30)
    classes.loc[3, "y"] = np.inf
    with pytest.raises(DataError, match=r"^target 'y' holds an infinite value \(data row 4\)"):
        tabular_data(classes, "y", task="multiclass")
    # Text that reads as numbers is numbers ...
    written = table().assign(y=lambda f: f["y"].astype(str))
    written.loc[2, "y"] = "inf"
    with pytest.raises(DataError, match=r"^target 'y' holds an infinite value \(data row 3\)"):
        tabular_data(written, "y")
    # ... but among words, 'inf' is a class like the others
    labels = table().assign(y=["low", "high", "inf"] * 20)
    with pytest.warns(UserWarning, match="writes some classes as numbers"):
        assert set(tabular_data(labels, "y").task.classes) == {"low", "high", "inf"}


def test_a_target_passed_as_the_column_itself_is_refused_naming_its_name() -> None:
    frame = table()
    # The message listed every value as a "target column", several kilobytes long.
    with pytest.raises(
        ConfigError,
        match=r"^target must be a column name \(or a list of names\), got a pandas Series; pass target='y'$",
    ):
        tabular_data(frame, frame["y"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"got a pandas Series; pass target='NAME', the column's name$"):
        target_names(pd.Series([1, 2]))
    with pytest.raises(ConfigError, match=r"got a pandas DataFrame; pass target=\['y', 'income'\]$"):
        tabular_data(frame, frame[["y", "income"]])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"got ndarray of values; pass the column's name"):
        tabular_data(frame, frame["y"].to_numpy())  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"^target must be a column name .* got a pandas Series; pass target='y'"
    ):
        evaluate_table(frame, frame["y"], cv=2, epochs=1)  # type: ignore[arg-type]
    assert target_names(pd.Index(["a", "b"])) == ["a", "b"] and target_names("y") == ["y"]


def test_a_column_of_bytes_is_refused_by_name() -> None:
    frame = table()
    # pandas stopped with a bare UnicodeDecodeError naming no column.
    with pytest.raises(
        DataError,
        match=r"^column 'b' of the table holds bytes, e.g. b'\\x00\\xff' \(data row 1\): a table model reads text or "
        r"numbers; decode it first \(df\['b'\] = df\['b'\].str.decode\('utf-8'\)\), or leave it out with --ignore b "
        r"\(Python: ignore=\['b'\]\)$",
    ):
        tabular_data(frame.assign(b=[b"\x00\xff"] * len(frame)), "y")
    with pytest.raises(DataError, match=r"^column 'b' of the table holds bytes, e.g. b'abc'"):
        tabular_data(frame.assign(b=[b"abc", "text"] * (len(frame) // 2)), "y")
    assert tabular_data(frame.assign(b=[b"abc"] * len(frame)), "y", ignore=["b"]).task.kind == "regression"
