"""Categories as text keys: one rule for every application that maps values (a city, a user, a movie) to codes.

A value is compared by its text form so that ``1`` and ``"1"`` (a CSV round trip, a JSON request) are the same
category. Whole floats are written without the fraction (``3.0`` is ``"3"``, matching an integer column that
picked up a missing value); other floats use Python's shortest ``repr`` (``0.5`` is ``"0.5"``), so the text
``"3.0"`` is *not* the float ``3.0``. Booleans are ``"True"``/``"False"``. A vocabulary lists the training keys;
position ``i`` encodes as ``i + 1`` and 0 is reserved for missing values, and for unseen ones unless the caller
gives them a code of their own (``unseen=``: a table groups its rare values with the unseen ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["category_counts", "category_key", "category_vocabulary", "encode_categories", "vocabulary_of"]


def category_key(value: object) -> str:
    """The text form that identifies a category value (see the module docstring).

    >>> category_key(3.0), category_key(0.5), category_key("3.0"), category_key(True)
    ('3', '0.5', '3.0', 'True')
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def category_vocabulary(values: pd.Series, min_count: int = 1) -> list[str]:
    """Distinct non-missing keys seen in at least ``min_count`` rows, in numeric order when all are numbers, else
    in text order."""
    return vocabulary_of(category_counts(values), min_count)


def vocabulary_of(counts: dict[str, int], min_count: int = 1) -> list[str]:
    """The vocabulary of keys counted by :func:`category_counts`: those with at least ``min_count`` rows, in the
    order of :func:`category_vocabulary`."""
    return _ordered(key for key, count in counts.items() if count >= min_count)


def category_counts(values: pd.Series) -> dict[str, int]:
    """How many rows hold each non-missing key (values with the same key counted together)."""
    codes, uniques = _factorize(values)
    per_value = np.bincount(codes[codes >= 0], minlength=len(uniques))
    counts: dict[str, int] = {}
    for value, count in zip(uniques, per_value, strict=True):
        key = category_key(value)
        counts[key] = counts.get(key, 0) + int(count)
    return counts


def _ordered(keys: Iterable[str]) -> list[str]:
    ordered = sorted(set(keys))
    try:
        return sorted(ordered, key=float)
    except ValueError:
        return ordered


def encode_categories(values: pd.Series, vocabulary: list[str], unseen: int = 0) -> np.ndarray:
    """Map values to vocabulary indices; missing values to 0 and values not in the vocabulary to ``unseen``."""
    codes, uniques = _factorize(values)
    index = {key: position + 1 for position, key in enumerate(vocabulary)}
    # The trailing 0 is what the missing-value code -1 picks up.
    lookup = np.array([index.get(category_key(value), unseen) for value in uniques] + [0], dtype=np.int64)
    return lookup[codes]


def _factorize(values: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize(values)``: a code per row (-1 for a missing value) and the distinct values, each of whose
    rows shares one key. Python holds ``True == 1 == 1.0``, so factorize gave ``[1, True]`` one code and the key of
    whichever came first: in a server's batch, one client's ``True`` changed the code of another's ``1``. A
    column of objects that may mix booleans with other values is factorized by its keys instead."""
    import pandas as pd

    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("mixed", "mixed-integer"):
        missing = values.isna().to_numpy()
        keys = np.array(
            [
                None if absent else category_key(value)
                for value, absent in zip(values.tolist(), missing, strict=True)
            ],
            dtype=object,
        )
        return pd.factorize(keys, use_na_sentinel=True)
    return pd.factorize(values, use_na_sentinel=True)
