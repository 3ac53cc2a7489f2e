"""The fold loop shared by every kind of data ``evaluate`` cross-validates (``evaluate/spread.py``), in one
process: what a fold function records per fold reads as after a plain loop. Under torchrun:
``tests/distributed/test_distributed_evaluate.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pytest

from clock_support import on_a_clock_of_its_own
from trainwell.evaluate import CVResult, fold_indices
from trainwell.evaluate.cv import RowBootstrapCVResult, join_folds
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


def _constant_baseline(y: np.ndarray, splits: list) -> RowBootstrapCVResult:
    """The training mean of 0/1 targets predicted for every validation row, scored as a binary task."""
    import torch

    from trainwell.evaluate import score
    from trainwell.evaluate.baselines import baseline_result

    folds, out_of_fold = [], []
    for train, valid in splits:
        preds = torch.full((len(valid),), float(y[train].mean()))
        targets = torch.as_tensor(y[valid], dtype=torch.float32)
        folds.append(score(preds, targets, "binary", ["accuracy", "f1"]))
        out_of_fold.append((valid, preds, targets))
    result = baseline_result("majority class", folds, splits, out_of_fold, "binary")
    assert isinstance(result, RowBootstrapCVResult)
    return result


def test_a_constant_baseline_keeps_its_intervals_over_rows() -> None:
    # The loop rebuilt every baseline as a plain CVResult: the majority class lost its out-of-fold predictions,
    # so `trainwell evaluate` printed its t interval over fold scores (zero-width where the folds agreed) and
    # compared the model with it fold by fold, the very thing its row bootstrap was made to replace.
    y = np.array([1.0] * 22 + [0.0] * 18)
    splits = fold_indices(y, 4, seed=0)
    direct = _constant_baseline(y, splits)
    _, others = cross_validate_spread(
        lambda tr, va, i: {"accuracy": 1.0},
        splits,
        baselines=lambda some: {"majority class": _constant_baseline(y, list(some))},
    )
    kept = others["majority class"]
    assert isinstance(kept, RowBootstrapCVResult) and len(kept.out_of_fold) == 4
    assert kept.summary()["f1"] == direct.summary()["f1"] and kept.summary()["f1"].n_rows == 40


def test_results_of_some_folds_each_join_in_fold_order() -> None:
    # What torchrun's processes send back: process 0 ran folds 0 and 2, process 1 folds 1 and 3.
    y = np.array([1.0] * 22 + [0.0] * 18)
    splits = fold_indices(y, 4, seed=0)
    whole = _constant_baseline(y, splits)
    parts = [
        ([0, 2], _constant_baseline(y, [splits[0], splits[2]])),
        ([1, 3], _constant_baseline(y, [splits[1], splits[3]])),
    ]
    joined = join_folds(parts, splits)
    assert isinstance(joined, RowBootstrapCVResult)
    assert joined.folds == whole.folds and [rows.tolist() for rows, _, _ in joined.out_of_fold] == [
        valid.tolist() for _, valid in splits
    ]
    assert joined.summary() == whole.summary()  # the same bootstrap over the same rows
    plain = join_folds(
        [([1], CVResult([{"a": 2.0}], [splits[1]], 5)), ([0], CVResult([{"a": 1.0}], [splits[0]], 5))],
        splits[:2],
    )
    assert type(plain) is CVResult and plain.values("a").tolist() == [1.0, 2.0] and plain.seed == 5


def test_a_warning_every_fold_meets_is_said_once() -> None:
    import warnings

    # Each fold met what the data holds again: "a median of 181 words", then 183... five folds said it five times.
    def fold(train: np.ndarray, valid: np.ndarray, number: int) -> dict[str, float]:
        warnings.warn(
            f"column 'text' is read as words (a median of {180 + number}.5 words a row)", stacklevel=1
        )
        if number == 1:
            warnings.warn("fold 1 alone met this", stacklevel=1)
        return {"n": float(len(valid))}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cross_validate_spread(fold, fold_indices(np.arange(30.0), 3, 0, False))
    assert [str(w.message) for w in caught] == [
        "column 'text' is read as words (a median of 180.5 words a row)",
        "fold 1 alone met this",
    ]


def test_under_a_budget_the_baselines_run_first_and_the_folds_share_what_is_left(monkeypatch) -> None:
    # evaluate --time 50s took 83 s: the baselines and the data reading came on top of the folds' shares.
    import contextlib

    import trainwell.evaluate.spread as spread
    from trainwell.evaluate.evaluation import check_settings

    clock = [1000.0]  # a clock of its own: the test reads no real time
    on_a_clock_of_its_own(monkeypatch, lambda: clock[0])
    given: list[float] = []

    @contextlib.contextmanager
    def recorded(seconds, number):  # the share each fold is given, as _budgeted receives it
        given.append(seconds)
        yield []

    monkeypatch.setattr(spread, "_budgeted", recorded)
    order: list[str] = []
    share = check_settings(cv=3, time_budget=3.0)
    assert isinstance(share, spread.FoldShare) and share == 1.0  # still each fold's equal share, as a float

    def baselines(splits):
        order.append("baselines")
        clock[0] += 0.9  # slow baselines: 0.9 s of the 3 s come out of the folds' shares
        return {}

    def fold(train, valid, number):
        order.append(f"fold {number}")
        clock[0] += 0.1
        return {"n": float(len(valid))}

    y = np.arange(30.0)
    cross_validate_spread(fold, fold_indices(y, 3, 0, False), baselines=baselines, fold_seconds=share)
    assert order == ["baselines", "fold 0", "fold 1", "fold 2"]
    # (3 - 0.9) / 3; then what is left: in one process the last fold is given the 0.9 s the others left unused
    # (each took 0.1 s of its share), which nothing else would use
    assert given == pytest.approx([0.7, 1.0, 1.9])
    assert share.marks == {"baselines": 1000.0, "folds": 1000.9, "after folds": 1001.2}
    assert share.now(1, even=True) == 1.0  # side by side under torchrun: never more than an equal share
    starved = spread.FoldShare.of(3.0, 3)
    clock[0] += 10  # spent before the folds began: each still gets half its equal share
    assert starved.now(3) == 0.5
    given.clear()
    order.clear()
    cross_validate_spread(fold, fold_indices(y, 3, 0, False), baselines=baselines, fold_seconds=1.0)
    assert order == ["fold 0", "fold 1", "fold 2", "baselines"] and given == [1.0, 1.0, 1.0]  # a plain float
