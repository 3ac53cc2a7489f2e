"""Which rows trained a model, in a few kilobytes: a bottom-k sketch of the training rows' hashes.

``trainwell report`` scores a model on the rows it is given. Given the training table itself (an easy mistake:
``--data train.csv``), its "validation" metrics are the training fit, optimistic by however much the model
memorised. The sketch keeps the ``k`` smallest 64-bit hashes of the training rows (Broder 1997; Cohen and
Kaplan 2007). Every training row whose hash is below the largest kept one is in the sketch, so among the rows
of another table whose hash falls below it (a uniform sample of that table), the share found in the sketch
estimates the share of that table that trained the model, with no row stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RowSketch", "row_hashes"]

#: Hashes kept: a few kilobytes of JSON, and about 256 x (table rows / training rows) rows to estimate from.
SKETCH_SIZE = 256


def row_hashes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One uint64 per row over ``columns``, from the values' text (``7`` and ``7.0`` read from one file agree
    with themselves; the same table read twice hashes the same)."""
    import pandas as pd

    present = [name for name in columns if name in frame.columns]
    text = frame[present].astype(str) if present else pd.DataFrame(index=frame.index)
    return pd.util.hash_pandas_object(text, index=False).to_numpy(dtype=np.uint64)


@dataclass(frozen=True)
class RowSketch:
    """The ``k`` smallest hashes of the training rows (over ``columns``) and how many rows there were."""

    columns: list[str]
    hashes: np.ndarray
    n_rows: int

    @classmethod
    def of(cls, frame: pd.DataFrame, columns: Sequence[str], k: int = SKETCH_SIZE) -> RowSketch:
        return cls(list(columns), np.unique(row_hashes(frame, columns))[:k], len(frame))

    def training_share(self, frame: pd.DataFrame) -> tuple[float, int]:
        """``(share, sampled)``: the estimated share of ``frame``'s rows that were training rows, and how many
        of its rows the estimate rests on (0: the table is too small to say; the share is then ``nan``)."""
        if not len(self.hashes):
            return float("nan"), 0
        hashes = row_hashes(frame, self.columns)
        sampled = hashes[hashes <= self.hashes[-1]]
        if not len(sampled):
            return float("nan"), 0
        return float(np.isin(sampled, self.hashes).mean()), len(sampled)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "n_rows": self.n_rows, "hashes": [f"{h:016x}" for h in self.hashes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowSketch:
        hashes = np.array([int(h, 16) for h in data["hashes"]], dtype=np.uint64)
        return cls([str(c) for c in data["columns"]], hashes, int(data["n_rows"]))
