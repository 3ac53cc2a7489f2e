"""The checks :func:`~trainwell.text.data.text_data` makes of its settings and of a table's columns, texts
and labels before it tokenises anything: each refusal names the row or column and what to do."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.text.tokenize import validate_texts

if TYPE_CHECKING:
    import pandas as pd


def check_settings(valid_pct: float, batch_size: int | None) -> None:
    """Refuse a batch size that is not a whole number of at least 1, and a held-out share outside [0, 1)."""
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ConfigError(f"--batch-size must be a whole number of at least 1, got {batch_size!r}")
    if not 0 <= valid_pct < 1:
        raise ConfigError(f"--valid-pct must be at least 0 and less than 1, got {valid_pct}")


_PYTHON_NAMES = {"--text": "text_col", "--target": "target", "--valid-col": "valid_col"}


def check_column(frame: pd.DataFrame, name: str, flag: str, what: str) -> None:
    """Refuse a table without the column ``name``, naming the columns it has and the option (``flag``) to set."""
    if name not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:30]))
        raise DataError(
            f"{flag.strip('-')} column '{name}' not found in {what}; columns are: {shown}. Pass {flag} NAME "
            f"(Python: {_PYTHON_NAMES.get(flag, flag)}=)"
        )


def checked_texts(
    frame: pd.DataFrame, text_col: str, what: str, drop_empty: bool, *, from_file: bool = True
) -> pd.DataFrame:
    """Rows with a real text: non-strings and (unless ``drop_empty``) blank texts raise, naming the row.

    A row is named as a file's data row (from 1, below the header), or a DataFrame's index label; a missing
    cell and one of nothing but white space count alike. Dropped rows are counted in a warning.
    """
    column = frame[text_col]

    def row_name(position: int) -> str:
        return f"data row {position + 1}" if from_file else f"the row at index {frame.index[position]!r}"

    blank = column.map(lambda value: isinstance(value, str) and not value.strip()).to_numpy(dtype=bool)
    empty = column.isna().to_numpy() | blank
    if empty.any():
        rows = np.flatnonzero(empty)
        if not drop_empty:
            raise DataError(
                f"text column '{text_col}' in {what} is empty in {row_name(int(rows[0]))} ({len(rows)} "
                f"row{'' if len(rows) == 1 else 's'} in all); fill or drop those rows, or pass --drop-empty "
                "(Python: drop_empty=True)"
            )
        if len(rows) == len(frame):
            raise DataError(
                f"text column '{text_col}' in {what} is empty in every row; there is nothing to read"
            )

        warn(
            f"dropped {len(rows)} of {len(frame)} rows of {what} whose text column '{text_col}' is empty (the first: "
            f"{row_name(int(rows[0]))})",
            UserWarning,
        )
    strings = column.map(lambda value: isinstance(value, str)).to_numpy(dtype=bool)
    other = np.flatnonzero(~empty & ~strings)
    if len(other):
        value = column.iloc[int(other[0])]
        raise DataError(
            f"text column '{text_col}' in {what} holds {str(value)[:40]} ({type(value).__name__}), not text, in "
            f"{row_name(int(other[0]))}; convert the column to text first"
        )
    if empty.any():
        frame = frame.loc[~empty].reset_index(drop=True)
    validate_texts(frame[text_col].tolist(), name=f"text column '{text_col}' row")
    return frame


def check_labels_present(labels: pd.Series, target: str, what: str) -> None:
    """Refuse a single-label column with missing or blank labels, counted over every row of ``what``."""
    empty = labels.map(lambda value: value is None or (isinstance(value, str) and not value.strip()))
    missing = int((labels.isna() | empty.astype(bool)).sum())
    if missing:
        raise DataError(
            f"target '{target}' is missing in {missing} of {len(labels)} rows of {what}; drop those rows or "
            "fill them (several labels per text, where an empty cell means none? pass --label-delim)"
        )
