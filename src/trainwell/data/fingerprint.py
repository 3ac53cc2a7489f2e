"""Which rows trained a model, in a few kilobytes: a bottom-k sketch of the training rows' hashes.

Rows are table rows, texts, ratings or, for an image model, the decoded training images (each one a digest of
its pixels, :func:`item_digests`).

``trainwell report`` scores a model on the rows it is given. Given the training table itself (an easy mistake:
``--data train.csv``), its "validation" metrics are the training fit, optimistic by however much the model
memorised. The sketch keeps the ``k`` smallest 64-bit hashes of the training rows (Broder 1997; Cohen and
Kaplan 2007). Every training row whose hash is below the largest kept one is in the sketch, so among the rows
of another table whose hash falls below it (a uniform sample of that table), the share found in the sketch
estimates the share of that table that trained the model, with no row stored.

How many rows that estimate rests on is about ``k x (table rows / training rows)``: a test file a fortieth the
size of the training rows gets about ``k / 40`` of its rows checked. Hence ``k = 2048`` (16 kB of hashes), and
:func:`wilson_interval` for what a small sample can say.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RowSketch", "item_digests", "row_hashes", "wilson_interval"]

#: Hashes kept: 16 kB (22 kB of JSON), and about 2048 x (table rows / training rows) rows to estimate from.
#: Sketches written before kept 256: a test file a fortieth of the training rows got 6 rows checked.
SKETCH_SIZE = 2048
#: How values become text before hashing. 1: as pandas prints them, so an integer column that held a missing
#: value in training (floats: ``"7.0"``) never matched the same rows read without one (``"7"``). 2: whole
#: floats written as integers.
HASH_VERSION = 2


def row_hashes(frame: pd.DataFrame, columns: Sequence[str], version: int = HASH_VERSION) -> np.ndarray:
    """One uint64 per row over ``columns``, from the values' text (the same table read twice hashes the same;
    from version 2, ``7`` and ``7.0`` hash the same).

    Each column's distinct values are printed and hashed once, not each row's (pandas' ``astype(str)`` over a
    whole column took most of the time: 41k rows of bank marketing, a fifth of the time); the result
    is bit for bit what printing every row gives, which is what sketches stored in models hold."""
    import pandas as pd

    present = [name for name in columns if name in frame.columns]
    if not present:
        return pd.util.hash_pandas_object(pd.DataFrame(index=frame.index), index=False).to_numpy(np.uint64)
    selected = frame[present]
    hashed = [
        _column_hashes(selected.iloc[:, position], version >= 2 and position < len(present))
        for position in range(selected.shape[1])
    ]
    return _combined(hashed, len(selected))


def _column_hashes(values: pd.Series, whole_floats: bool) -> np.ndarray:
    """One uint64 per value of ``values`` printed as text (whole floats as integers when ``whole_floats``), as
    ``pandas.util.hash_pandas_object`` hashes a column of a frame."""
    import pandas as pd

    if _distinct_print_alike(values, whole_floats):
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        distinct = _column_text(pd.Series(uniques, dtype=values.dtype), whole_floats)
        return _text_hashes(distinct)[codes]
    return _text_hashes(_column_text(values.reset_index(drop=True), whole_floats))


def _distinct_print_alike(values: pd.Series, whole_floats: bool) -> bool:
    """Whether values that ``pandas.factorize`` counts as one also print alike, each by itself: numbers, truth
    values, strings and categories do (but ``0.0`` and ``-0.0``, unless whole floats print as integers); an
    object column of mixed values may not (``1``, ``1.0`` and ``True`` are one value to it) nor dates (printed by
    the whole column's format)."""
    import pandas as pd

    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f" and not whole_floats:
            numbers = values.to_numpy()
            return not bool(np.any((numbers == 0) & np.signbit(numbers)))
        if dtype.kind in "biuf":
            return True
        return dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=False) == "string"
    return isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))


def _column_text(values: pd.Series, whole_floats: bool) -> pd.Series:
    import pandas as pd

    text = values.astype(str)
    if whole_floats and pd.api.types.is_float_dtype(values.dtype):
        # A new series, not set in place: pandas refuses one value set into a column of text.
        return pd.Series(_whole_as_integers(values.to_numpy(np.float64), text), dtype=text.dtype)
    return text


def _text_hashes(text: pd.Series) -> np.ndarray:
    import pandas as pd

    return pd.util.hash_pandas_object(text, index=False).to_numpy(dtype=np.uint64)


def _combined(hashed: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """The columns' hashes of each row combined as ``pandas.util.hash_pandas_object`` combines a frame's (after
    CPython's hash of a tuple)."""
    out = np.full(rows, 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    for position, column in enumerate(hashed):
        inverse = len(hashed) - position
        out ^= column
        out *= multiplier
        multiplier += np.uint64(82520 + inverse + inverse)
    out += np.uint64(97531)
    return out


def item_digests(items: np.ndarray) -> list[str]:
    """One 64-bit digest (16 hex digits) per item along the first axis of ``items``, over its bytes: how decoded
    images become rows a :class:`RowSketch` can hold (the same file decoded twice at one size gives the same
    pixels, so the same digest, wherever the file was moved or copied to). Items are read one at a time, so a
    memory-mapped array is never loaded whole."""
    import hashlib

    return [
        hashlib.blake2b(np.ascontiguousarray(item).tobytes(), digest_size=8).hexdigest() for item in items
    ]


def _whole_as_integers(values: np.ndarray, text: pd.Series) -> np.ndarray:
    """``text`` (the floats ``values`` printed) with whole values as integers: ``7.0`` -> ``"7"``; exact up to
    2**53, where floats stop holding every integer."""
    out = text.to_numpy(dtype=object).copy()
    whole = np.isfinite(values) & (np.abs(values) < 2.0**53)
    whole[whole] = values[whole] == np.round(values[whole])
    out[whole] = values[whole].astype(np.int64).astype(str)
    return out


def wilson_interval(found: int, sampled: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval (95% by default) for a share seen as ``found`` of ``sampled``: unlike
    ``share +- z * standard error``, it stays within [0, 1] and is not zero-width at 0 of 5 or 5 of 5."""
    if sampled <= 0:
        return 0.0, 1.0
    share = found / sampled
    denominator = 1 + z * z / sampled
    centre = (share + z * z / (2 * sampled)) / denominator
    half = z * math.sqrt(share * (1 - share) / sampled + z * z / (4 * sampled * sampled)) / denominator
    # Exact at the ends: 5 of 5 leaves 100% possible, 0 of 5 leaves 0% possible.
    return (0.0 if found == 0 else max(0.0, centre - half)), (
        1.0 if found == sampled else min(1.0, centre + half)
    )


@dataclass(frozen=True)
class RowSketch:
    """The ``k`` smallest hashes of the training rows (over ``columns``) and how many rows there were."""

    columns: list[str]
    hashes: np.ndarray
    n_rows: int
    version: int = HASH_VERSION

    @classmethod
    def of(cls, frame: pd.DataFrame, columns: Sequence[str], k: int = SKETCH_SIZE) -> RowSketch:
        return cls(list(columns), np.unique(row_hashes(frame, columns))[:k], len(frame))

    def training_count(self, frame: pd.DataFrame) -> tuple[int, int]:
        """``(found, sampled)``: of the ``sampled`` rows of ``frame`` the sketch can judge (a uniform sample of
        them, by hash), the ``found`` ones that were training rows (0 sampled: the table is too small to say)."""
        if not len(self.hashes):
            return 0, 0
        hashes = row_hashes(frame, self.columns, self.version)
        sampled = hashes[hashes <= self.hashes[-1]]
        return int(np.isin(sampled, self.hashes).sum()), len(sampled)

    def training_share(self, frame: pd.DataFrame) -> tuple[float, int]:
        """``(share, sampled)``: the estimated share of ``frame``'s rows that were training rows, and how many
        of its rows the estimate rests on (0: the table is too small to say; the share is then ``nan``)."""
        found, sampled = self.training_count(frame)
        return (found / sampled if sampled else float("nan")), sampled

    def to_dict(self) -> dict[str, Any]:
        packed = base64.b64encode(self.hashes.astype("<u8").tobytes()).decode("ascii")
        return {
            "columns": self.columns,
            "n_rows": self.n_rows,
            "version": self.version,
            "hashes_base64": packed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowSketch:
        if "hashes_base64" in data:
            hashes = np.frombuffer(base64.b64decode(data["hashes_base64"]), dtype="<u8").astype(np.uint64)
        else:  # written before: hex strings, values hashed as pandas printed them
            hashes = np.array([int(h, 16) for h in data["hashes"]], dtype=np.uint64)
        return cls(
            [str(c) for c in data["columns"]], hashes, int(data["n_rows"]), int(data.get("version", 1))
        )
