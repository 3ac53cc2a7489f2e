"""The vectorised bootstrap against the generic one: every resample scored at once must equal the metric
function on that resample's rows, and an interval must not depend on which path scored it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainwell.data.task import Task
from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.cv import RowBootstrapCVResult
from trainwell.evaluate.explain import _functions, explain_validation
from trainwell.evaluate.intervals import bootstrap_ci, folds_bootstrap_ci, wilson_interval
from trainwell.metrics import functional
from trainwell.metrics.targets import split_target_key

ROWS, RESAMPLES = 24, 60
CLASSIFICATION_METRICS = ("accuracy", "error_rate", "f1", "precision", "recall", "log_loss", "roc_auc")
CASES = [
    *((task, name) for task in ("binary", "multiclass", "multilabel") for name in CLASSIFICATION_METRICS),
    ("binary", "balanced_accuracy"),
    ("multiclass", "balanced_accuracy"),
    *(("regression", name) for name in ("rmse", "mae", "r2")),
]


def _data(task: str, seed: int = 0, width: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Small, awkward predictions: tied scores (AUC's ties), a class that few rows hold (resamples without it),
    exact 0 and 1 probabilities (log loss's clipping)."""
    generator = torch.Generator().manual_seed(seed)
    if task == "binary":
        preds = (torch.rand(ROWS, generator=generator) * 4).round() / 4  # 0, 0.25 ... 1: ties
        targets = torch.zeros(ROWS)
        targets[[3, 17]] = 1.0  # two positives: about one resample in eight holds none
        return preds, targets
    if task == "multiclass":
        preds = torch.softmax(torch.randn(ROWS, width, generator=generator) * 2, dim=1)
        targets = torch.multinomial(
            torch.tensor([0.6, 0.3, 0.1]), ROWS, replacement=True, generator=generator
        )
        return preds.round(decimals=1), targets
    if task == "multilabel":
        preds = (torch.rand(ROWS, width, generator=generator) * 4).round() / 4
        return preds, (torch.rand(ROWS, width, generator=generator) < torch.tensor([0.5, 0.2, 0.1])).float()
    targets = torch.randn(ROWS, 2, generator=generator) * torch.tensor([1.0, 100.0])
    return targets + torch.randn(ROWS, 2, generator=generator) * 0.5, targets


def _draws(seed: int = 1) -> torch.Tensor:
    return torch.randint(0, ROWS, (RESAMPLES, ROWS), generator=torch.Generator().manual_seed(seed))


def _same(fast: np.ndarray, generic: np.ndarray) -> None:
    assert fast.shape == generic.shape
    assert np.array_equal(np.isnan(fast), np.isnan(generic))
    np.testing.assert_array_equal(fast, generic)  # to the bit: the same sums in the same order


@pytest.mark.parametrize(("task", "name"), CASES)
def test_each_resample_scores_as_the_metric_function_on_its_rows(task: str, name: str) -> None:
    preds, targets = _data(task)
    function = getattr(functional, name)
    draws = _draws()
    fast = resampled_metric(name, task)
    assert fast is not None
    found = fast(preds, targets, draws)
    expected = np.array([function(preds[rows], targets[rows], task) for rows in draws], dtype=np.float64)
    _same(found, expected)
    if task == "regression":  # one target: a column alone, in its own units
        column = fast(preds[:, 1], targets[:, 1], draws)
        _same(column, np.array([function(preds[rows, 1], targets[rows, 1], task) for rows in draws]))


def test_some_binary_resamples_hold_one_class() -> None:
    # What the binary data is there for: resamples where AUC is undefined (nan, left out of an interval).
    preds, targets = _data("binary")
    assert any(math.isnan(functional.roc_auc(preds[rows], targets[rows], "binary")) for rows in _draws())


@pytest.mark.parametrize("name", ["rmse", "mae", "r2"])
def test_a_constant_target_scores_as_the_metric_function_does(name: str) -> None:
    # Several targets: a constant one has no spread (left out of rmse and mae, R² 1 if exact else 0).
    preds, targets = _data("regression")
    targets[:, 1] = 100.0
    preds[:, 1] = torch.where(torch.arange(ROWS) < 22, 100.0, 101.0)  # exact on most rows
    draws = _draws()
    for columns in ([0, 1], [1]):
        found = resampled_metric(name, "regression")(  # type: ignore[misc]
            preds[:, columns], targets[:, columns], draws
        )
        function = getattr(functional, name)
        expected = [
            function(preds[rows][:, columns], targets[rows][:, columns], "regression") for rows in draws
        ]
        _same(found, np.array(expected))


def test_a_binary_threshold_moves_the_decisions_as_the_metric_function_does() -> None:
    preds, targets = _data("binary")
    draws = _draws()
    found = resampled_metric("f1", "binary", threshold=0.7)(preds, targets, draws)  # type: ignore[misc]
    expected = [functional.f1(preds[rows], targets[rows], "binary", threshold=0.7) for rows in draws]
    _same(found, np.array(expected))


def test_metrics_without_a_vectorised_form_have_none() -> None:
    assert resampled_metric("top10_precision", "multiclass") is None
    assert resampled_metric("balanced_accuracy", "multilabel") is None
    assert resampled_metric("rmse", "binary") is None


@pytest.mark.parametrize(
    ("task", "name"), [("binary", "roc_auc"), ("multiclass", "log_loss"), ("regression", "r2")]
)
def test_an_interval_is_the_same_by_either_path(task: str, name: str) -> None:
    preds, targets = _data(task)
    other_preds, other_targets = _data(task, seed=4)
    folds = [(preds, targets), (other_preds[:17], other_targets[:17])]

    def metric(p: torch.Tensor, t: torch.Tensor) -> float:
        return float(getattr(functional, name)(p, t, task))

    fast = resampled_metric(name, task)
    generic = folds_bootstrap_ci(metric, folds, n_boot=80, level=0.9, seed=3)
    assert folds_bootstrap_ci(metric, folds, n_boot=80, level=0.9, seed=3, resampled_fn=fast) == generic
    alone = bootstrap_ci(metric, preds, targets, n_boot=80, seed=7)
    assert bootstrap_ci(metric, preds, targets, n_boot=80, seed=7, resampled_fn=fast) == alone


def _constant_baseline(task: str, target_names: tuple[str, ...] = ()) -> tuple[RowBootstrapCVResult, list]:
    """A constant baseline's result over two folds of :func:`_data`'s rows, and a model's predictions there."""
    preds, targets = _data(task)
    constant = preds.mean(dim=0, keepdim=True).expand_as(preds).clone()
    halves = [np.arange(0, 12), np.arange(12, ROWS)]
    out_of_fold = [(rows, constant[rows], targets[rows]) for rows in halves]
    model = [(rows, preds[rows], targets[rows]) for rows in halves]
    metrics = {"regression": ["rmse", "r2", "rmse[b]"], "binary": ["accuracy", "roc_auc", "f1"]}[task]
    result = RowBootstrapCVResult(
        [{name: 0.0 for name in metrics}] * 2,
        [(rows, rows) for rows in halves],
        seed=2,
        out_of_fold=out_of_fold,
        task=task,
        target_names=target_names,
        n_boot=50,
    )
    return result, model


@pytest.mark.parametrize(("task", "target_names"), [("binary", ()), ("regression", ("a", "b"))])
def test_a_constant_baselines_intervals_and_paired_differences_are_the_generic_ones(
    task: str, target_names: tuple[str, ...]
) -> None:
    result, model = _constant_baseline(task, target_names)
    parts = [(preds, targets) for _, preds, targets in result.out_of_fold]
    summaries = result.summary(0.9)
    for name in result.metric_names:
        assert result.resampled_fn(name) is not None
        function = result.metric_fn(name)
        _, low, high = folds_bootstrap_ci(function, parts, n_boot=50, level=0.9, seed=2)
        assert (summaries[name].low, summaries[name].high) == (low, high)
        pairs = [
            (torch.stack([model_preds, preds], dim=1), targets)
            for (_, model_preds, _), (preds, targets) in zip(model, parts, strict=True)
        ]
        expected = folds_bootstrap_ci(
            lambda pair, t, f=function: f(pair[:, 0], t) - f(pair[:, 1], t),
            pairs,
            n_boot=50,
            level=0.9,
            seed=2,
        )
        paired = result.paired_difference(name, model, 0.9)
        assert paired is not None
        assert (paired.mean, paired.low, paired.high) == expected


def test_a_target_the_result_does_not_name_is_a_key_error_as_in_the_generic_path() -> None:
    result, _ = _constant_baseline("regression", ("a", "b"))
    preds, targets = result.out_of_fold[0][1:]
    draws = _draws()[:, :12] % 12
    with pytest.raises(KeyError):
        result.resampled_fn("rmse[price]")(preds, targets, draws)  # type: ignore[misc]
    with pytest.raises(KeyError):
        result.metric_fn("rmse[price]")(preds, targets)


@pytest.mark.parametrize("name", ["accuracy", "f1", "precision", "recall"])
def test_per_label_thresholds_decide_column_by_column_as_the_metric_function_does(name: str) -> None:
    preds, targets = _data("multilabel")
    draws = _draws()
    thresholds = (0.3, 0.5, 0.8)
    found = resampled_metric(name, "multilabel", thresholds)(preds, targets, draws)  # type: ignore[misc]
    function = getattr(functional, name)
    expected = [function(preds[rows], targets[rows], "multilabel", threshold=thresholds) for rows in draws]
    _same(found, np.array(expected))


@pytest.mark.parametrize(
    "task",
    [
        Task("binary", ("no", "yes"), threshold=0.4),
        Task("multiclass", ("a", "b", "c")),
        Task("multilabel", ("a", "b", "c"), ("tags",), label_thresholds=(0.3, 0.5, 0.8)),
        Task("regression", (), ("price", "area")),
    ],
    ids=lambda task: task.kind,
)
def test_explained_intervals_are_the_generic_bootstraps(task: Task) -> None:
    preds, targets = _data(task.kind)
    lines = explain_validation(task, preds, targets, task.metric_names, n_boot=70, seed=4)
    assert {split_target_key(line.name)[0] for line in lines} >= set(task.metric_names)
    generic = _functions(
        task.kind, task.decision_threshold
    )  # what explain scores each resample with otherwise
    proportions = 0
    for line in lines:
        metric, label = split_target_key(line.name)
        columns = slice(None) if label is None else ["price", "area"].index(label)
        own_preds = preds[:, columns] if preds.dim() == 2 else preds
        own_targets = targets[:, columns] if targets.dim() == 2 else targets
        fast = resampled_metric(metric, task.kind, task.decision_threshold)
        if (
            fast is not None and fast.counts is not None
        ):  # a share of rows: Wilson on its counts, not resampled
            successes, trials = fast.counts(own_preds, own_targets)
            assert line.value == pytest.approx(successes / trials), line.name
            assert (line.low, line.high) == wilson_interval(successes, trials), line.name
            proportions += 1
            continue
        value, low, high = bootstrap_ci(generic[metric], own_preds, own_targets, n_boot=70, seed=4)
        if low == high:  # every resample alike: a named metric's bounds are "not estimable", not [v, v]
            low = high = math.nan
        assert line.value == value, line.name
        assert np.array_equal([line.low, line.high], [low, high], equal_nan=True), line.name
    # accuracy (and a binary model's top10_precision) are shares of rows; a multilabel accuracy is not
    assert proportions == {"binary": 2, "multiclass": 1}.get(task.kind, 0)
