"""The fold loop shared by every kind of data ``evaluate`` cross-validates (``evaluate/spread.py``), in one
process: what a fold function records per fold reads as after a plain loop. Under torchrun:
``tests/distributed/test_distributed_evaluate.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from trainwell.evaluate import CVResult, fold_indices
from trainwell.evaluate.spread import cross_validate_spread


@dataclass
class CountingFold:
    """Scores a fold by its validation rows' mean; records them, and a baseline only from the second fold on
    (as the implicit-feedback fold keeps its run's baselines only when the run had them)."""

    y: np.ndarray
    per_fold: ClassVar[tuple[str, ...]] = ("means", "extras")
    means: list[float] = field(default_factory=list)
    extras: dict[str, list[int]] = field(default_factory=dict)
    calls: list[int] = field(default_factory=list)  # not a per-fold record: left as the calls leave it

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        self.calls.append(fold)
        self.means.append(float(self.y[valid].mean()))
        self.extras.setdefault("rows", []).append(len(valid))
        if fold > 0:
            self.extras.setdefault("late", []).append(fold)
        return {"mean": float(self.y[valid].mean()), "train_rows": float(len(train))}


def test_one_process_runs_every_fold_in_order_and_keeps_the_records() -> None:
    y = np.arange(30, dtype=float)
    splits = fold_indices(y, 3, seed=1, stratified=False)
    fold = CountingFold(y)
    seen: list[int] = []

    def baselines(some: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, CVResult]:
        seen.append(len(some))
        return {"first row": CVResult([{"mean": float(y[valid][0])} for _, valid in some], list(some), 1)}

    model, others = cross_validate_spread(fold, splits, seed=1, stratified=False, baselines=baselines)
    assert fold.calls == [0, 1, 2] and seen == [3]
    assert model.folds == [{"mean": float(y[valid].mean()), "train_rows": 20.0} for _, valid in splits]
    assert (model.seed, model.stratified, len(model.splits)) == (1, False, 3)
    assert fold.means == [row["mean"] for row in model.folds]
    assert fold.extras == {"rows": [10, 10, 10], "late": [1, 2]}
    assert list(others) == ["first row"]
    assert others["first row"].values("mean").tolist() == [float(y[valid][0]) for _, valid in splits]
    assert others["first row"].seed == 1 and len(others["first row"].splits) == 3


def test_without_baselines_there_are_none() -> None:
    y = np.arange(12, dtype=float)
    model, others = cross_validate_spread(
        lambda tr, va, i: {"n": float(len(va))}, fold_indices(y, 2, 0, False)
    )
    assert model.values("n").tolist() == [6.0, 6.0] and others == {}
