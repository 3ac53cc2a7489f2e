"""Fold drawing and the generic cross-validation runner."""

from __future__ import annotations

import numpy as np
import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.evaluate import cross_validate, fold_indices


def test_folds_partition_the_rows_and_keep_class_ratios() -> None:
    targets = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    splits = fold_indices(targets, k=5, seed=0)
    valid = np.concatenate([v for _, v in splits])
    assert sorted(valid.tolist()) == list(range(100))
    for train, valid_index in splits:
        assert set(train.tolist()).isdisjoint(valid_index.tolist())
        assert len(train) + len(valid_index) == 100
        counts = {label: int((targets[valid_index] == label).sum()) for label in "abc"}
        assert counts == {"a": 12, "b": 6, "c": 2}


def test_folds_depend_on_the_seed_only() -> None:
    targets = np.arange(50) % 2
    first, again, other = (fold_indices(targets, 5, seed) for seed in (0, 0, 1))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, other, strict=True))


def test_cross_validate_runs_every_fold_and_summarises() -> None:
    y = np.random.default_rng(0).normal(size=40)
    seen: list[int] = []

    def fit_fold(train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        seen.append(fold)
        return {"valid_mean": float(y[valid].mean()), "train_rows": float(len(train))}

    result = cross_validate(40, y, fit_fold, k=4, stratified=False)
    assert seen == [0, 1, 2, 3] and result.k == 4
    assert result.values("train_rows").tolist() == [30.0] * 4
    folds_mean = np.mean([y[v].mean() for _, v in result.splits])
    summary = result.summary()["valid_mean"]
    assert summary.mean == pytest.approx(folds_mean)
    assert summary.low < summary.mean < summary.high
    assert result.to_dict()["summary"]["train_rows"]["std"] == 0.0


def test_a_metric_undefined_in_some_folds_says_over_how_many_it_is_averaged() -> None:
    # A 3-fold tagging run averaged entity_precision over the 2 folds that predicted an entity and printed it
    # beside f1 over all 3, without a word.
    from rich.console import Console

    from trainwell.data.task import infer_task
    from trainwell.evaluate.evaluation import Evaluation, render

    values = {0: 0.8, 1: float("nan"), 2: 0.6}
    result = cross_validate(
        30, None, lambda tr, va, i: {"precision": values[i], "f1": 0.5}, k=3, stratified=False
    )
    summary = result.summary()
    assert summary["precision"].mean == pytest.approx(0.7) and summary["precision"].n_folds == 2
    assert summary["f1"].n_folds == 3 and summary["f1"].of_folds(3) == ""
    assert result.to_dict()["summary"]["precision"]["n_folds"] == 2
    console = Console(width=200, record=True)
    render(Evaluation(infer_task(np.array([0.0, 1.0, 0.0, 1.0])), 30, result, {}, [1e-3] * 3), console)
    shown = console.export_text()
    assert "0.7000 ± 0.1414 (2 of 3 folds)" in shown and "(n of k folds): the metric was undefined" in shown
    assert "0.5000 ± 0.0000 (" not in shown


@pytest.mark.parametrize(
    ("k", "targets", "error", "message"),
    [
        (
            1,
            [0, 1] * 10,
            ConfigError,
            "k must be a whole number of folds of at least 2, got 1; pass e.g. k=5",
        ),
        (
            5,
            [0] * 17 + [1] * 3,
            DataError,
            "k=5 is more than the smallest class count: class '1' has only 3",
        ),
        (
            30,
            list(range(20)),
            DataError,
            "k=30 needs at least 30 rows, but the table has 20; pass k=20 or less",
        ),
    ],
)
def test_impossible_fold_counts_are_refused(k: int, targets: list[int], error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        fold_indices(targets, k, stratified=len(set(targets)) < 5)


def test_fold_intervals_stay_within_what_the_metric_can_take() -> None:
    import math

    from trainwell.evaluate import CVResult
    from trainwell.metrics.registry import metric_bounds, metrics

    # Three folds, one poor: a t interval of the mean would reach r2 1.10 and roc_auc 1.06 (seen in the wild).
    result = CVResult([{"r2": 0.95, "roc_auc": 0.99, "rmse": 0.1, "ndcg@10": 0.9, "own": 1.0},
                       {"r2": 0.50, "roc_auc": 0.70, "rmse": 3.0, "ndcg@10": 0.1, "own": 2.0},
                       {"r2": 0.90, "roc_auc": 0.95, "rmse": 0.2, "ndcg@10": 0.8, "own": 3.0}])  # fmt: skip
    summary = result.summary()
    assert summary["r2"].high == 1.0 and summary["roc_auc"].high == 1.0 and summary["ndcg@10"].high == 1.0
    assert summary["rmse"].low == 0.0 and summary["ndcg@10"].low == 0.0
    assert summary["own"].low < 0  # a metric of unknown range is not clipped
    assert summary["r2"].low < summary["r2"].mean < 1.0  # only the impossible side moves
    for name in metrics.names():
        low, high = metric_bounds(name)
        assert low < high and (math.isfinite(low) or math.isfinite(high)), f"{name} declares no bounds"


def test_a_mean_near_ten_million_shares_its_intervals_form() -> None:
    # rmse of a price in cents: a mean of 9.95 million with a bound over 10 million is written in one form, not
    # 9,950,000 beside [0.981e7, 1.009e7] (the bound alone past the compact form's threshold)
    from rich.console import Console

    from trainwell.data.task import infer_task
    from trainwell.evaluate.evaluation import Evaluation, render

    values = {0: 9.80e6, 1: 9.95e6, 2: 10.10e6}
    result = cross_validate(30, None, lambda tr, va, i: {"rmse": values[i]}, k=3, stratified=False)
    console = Console(width=200, record=True)
    render(Evaluation(infer_task(np.array([0.5, 1.5, 2.5, 3.5])), 30, result, {}, [1e-3] * 3), console)
    shown = console.export_text()
    assert "0.995e7 ± 0.015e7" in shown, shown
    assert "9,950,000" not in shown
