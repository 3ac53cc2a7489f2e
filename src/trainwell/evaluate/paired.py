"""Two models judged on the same labelled rows (of a table, texts, images...): is B really better than A, or is the difference noise?

Both models' predictions of the same rows are scored by the same metric functions
(:mod:`trainwell.metrics.functional`, each model at its own decision threshold). The difference B - A gets a
percentile bootstrap interval over rows in which every resample draws the same rows for both models
(:func:`~trainwell.evaluate.intervals.bootstrap_ci` on the two predictions side by side): what makes a row easy
or hard cancels out, so the interval is much tighter than two separate intervals, and a difference is called
only when its whole interval lies on one side of zero (:func:`~trainwell.evaluate.compare.judge`).

A single-label classifier's decisions are also compared row by row with McNemar's test: only the rows where
exactly one model is right carry information, and under "no difference" each of them is equally likely to be
A's or B's (an exact binomial test, with its less conservative mid-p value beside it).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from trainwell.core.errors import ConfigError
from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.compare import higher_is_better, judge
from trainwell.evaluate.cv import MetricSummary
from trainwell.evaluate.intervals import bootstrap_ci
from trainwell.metrics import functional
from trainwell.metrics._stats import _decisions, _truth

Threshold = float | tuple[float, ...]

#: The verdict of each outcome of :func:`~trainwell.evaluate.compare.judge` (B judged against A).
VERDICTS = {
    "beats": "B is better",
    "worse": "A is better",
    "within": "no clear difference: the interval holds 0",
    "undefined": "no verdict: the metric is undefined on these rows",
}


@dataclass(frozen=True)
class PairedMetric:
    """One metric of models A and B on the same rows, and their paired difference.

    Attributes:
        metric: the metric's name.
        a, b: each model's value, with its own bootstrap interval (the same resamples for both).
        difference: B - A on all rows, with its paired bootstrap interval.
        higher_is_better: whether a larger value is better (a positive difference favours B).
        outcome: ``"beats"`` (B better), ``"worse"`` (A better), ``"within"`` (the interval holds 0) or
            ``"undefined"`` (the metric has no value on these rows for one model).
    """

    metric: str
    a: MetricSummary
    b: MetricSummary
    difference: MetricSummary
    higher_is_better: bool
    outcome: str

    @property
    def verdict(self) -> str:
        """The outcome in plain words: ``"B is better"``, ``"A is better"`` or ``"no clear difference: ..."``."""
        return VERDICTS[self.outcome]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "a": _finite(self.a.mean),
            "a_interval": [_finite(self.a.low), _finite(self.a.high)],
            "b": _finite(self.b.mean),
            "b_interval": [_finite(self.b.low), _finite(self.b.high)],
            "difference": _finite(self.difference.mean),
            "difference_interval": [_finite(self.difference.low), _finite(self.difference.high)],
            "level": self.difference.level,
            "outcome": self.outcome,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on two classifiers' decisions of the same rows.

    Attributes:
        a_only: rows A decides right and B wrong.
        b_only: rows B decides right and A wrong.
        p_exact: two-sided exact binomial p-value of ``a_only`` against ``b_only`` (1 when both are 0).
        p_mid: its mid-p value (the probability of the observed split counted half), closer to the nominal level.
    """

    a_only: int
    b_only: int
    p_exact: float
    p_mid: float

    def sentence(self, alpha: float = 0.05, unit: str = "rows") -> str:
        """The test in plain words, e.g. ``"A alone is right on 12 rows, B alone on 30: McNemar exact p =
        0.0076 (mid-p 0.0054); the decisions differ beyond chance"`` (``unit``: what the examples are, ``texts``,
        ``images``...)."""
        if self.a_only + self.b_only == 0:
            return (
                f"A and B are right and wrong on exactly the same {unit}: McNemar's test has nothing to weigh"
            )
        reading = (
            f"{'B' if self.b_only > self.a_only else 'A'} decides right more often beyond chance"
            if self.p_mid < alpha
            else "no clear difference in right decisions"
        )
        return (
            f"A alone is right on {_counted(self.a_only, unit)}, B alone on {self.b_only:,}: McNemar exact p = "
            f"{self.p_exact:.4g} (mid-p {self.p_mid:.4g}); {reading}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"a_only": self.a_only, "b_only": self.b_only, "p_exact": self.p_exact, "p_mid": self.p_mid}


@dataclass(frozen=True)
class PairedComparison:
    """Models A and B on the same rows: one :class:`PairedMetric` per metric and, for a single-label classifier,
    McNemar's test on their decisions."""

    task: str
    n_rows: int
    metrics: tuple[PairedMetric, ...]
    mcnemar: McNemar | None
    n_boot: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "rows": self.n_rows,
            "resamples": self.n_boot,
            "seed": self.seed,
            "metrics": [row.to_dict() for row in self.metrics],
            "mcnemar": None if self.mcnemar is None else self.mcnemar.to_dict(),
        }


def mcnemar(correct_a: Sequence[bool] | np.ndarray, correct_b: Sequence[bool] | np.ndarray) -> McNemar:
    """McNemar's exact test (and mid-p) of two models' right decisions on the same rows.

    Args:
        correct_a, correct_b: ``(N,)`` whether each model decided each row right.

    Example:
        >>> test = mcnemar([1, 0, 1, 1, 1, 1, 1, 0], [1, 1, 0, 0, 0, 0, 0, 0])
        >>> test.a_only, test.b_only, round(test.p_exact, 5), round(test.p_mid, 5)
        (5, 1, 0.21875, 0.125)
    """
    from scipy import stats

    first = np.asarray(correct_a, dtype=bool).reshape(-1)
    second = np.asarray(correct_b, dtype=bool).reshape(-1)
    if first.shape != second.shape:
        raise ConfigError(
            f"correct_a and correct_b must mark the same rows, got {first.size} and {second.size} of them"
        )
    a_only, b_only = int((first & ~second).sum()), int((second & ~first).sum())
    n, k = a_only + b_only, min(a_only, b_only)
    if n == 0:
        return McNemar(0, 0, 1.0, 1.0)
    tail = float(stats.binom.cdf(k, n, 0.5))
    exact = min(1.0, 2 * tail)
    mid = min(1.0, 2 * tail - float(stats.binom.pmf(k, n, 0.5)))
    return McNemar(a_only, b_only, exact, mid)


def metric_fn(
    name: str, task: str, threshold: Threshold = 0.5
) -> Callable[[torch.Tensor, torch.Tensor], float]:
    """``f(preds, targets) -> value`` of :mod:`~trainwell.metrics.functional`'s metric ``name`` for a ``task``
    kind, deciding at ``threshold`` where the metric makes decisions.

    Example:
        >>> accuracy = metric_fn("accuracy", "binary", threshold=0.8)
        >>> accuracy(torch.tensor([0.9, 0.7]), torch.tensor([1.0, 1.0]))
        0.5
    """
    function = getattr(functional, name)
    if "threshold" in inspect.signature(function).parameters:
        return lambda preds, targets: float(function(preds, targets, task, threshold))
    return lambda preds, targets: float(function(preds, targets, task))


def paired_metric(
    name: str,
    task: str,
    preds_a: torch.Tensor,
    preds_b: torch.Tensor,
    targets: torch.Tensor,
    *,
    thresholds: tuple[Threshold, Threshold] = (0.5, 0.5),
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> PairedMetric:
    """Metric ``name`` of A's and B's activated predictions of the same rows, and B - A with a paired bootstrap
    interval: every resample draws the same rows for both models (and for their own intervals: the draws come
    from ``seed``). ``thresholds``: A's and B's decision thresholds.

    Example:
        >>> targets = torch.tensor([1.0, 0.0] * 50)
        >>> right, coin = targets * 0.8 + 0.1, torch.full((100,), 0.6)
        >>> row = paired_metric("accuracy", "binary", coin, right, targets, n_boot=200)
        >>> row.a.mean, row.b.mean, row.verdict
        (0.5, 1.0, 'B is better')
    """
    if preds_a.shape != preds_b.shape:
        raise ConfigError(
            f"A's and B's predictions must have the same shape, got {tuple(preds_a.shape)} and "
            f"{tuple(preds_b.shape)}: compare models of the same task on the same rows"
        )
    functions = [metric_fn(name, task, threshold) for threshold in thresholds]
    fast = [resampled_metric(name, task, threshold) for threshold in thresholds]
    summaries = []
    for preds, function, resampled in zip((preds_a, preds_b), functions, fast, strict=True):
        point, low, high = bootstrap_ci(function, preds, targets, n_boot, level, seed, resampled)
        summaries.append(MetricSummary(point, math.nan, low, high, level, n_rows=len(targets)))
    first, second = functions
    # Side by side, (N, 2, ...): bootstrap_ci resamples rows, so both models always see the same draw.
    pair = torch.stack([preds_a, preds_b.to(preds_a.dtype)], dim=1)
    both_fast = fast[0] is not None and fast[1] is not None

    def resampled_difference(pairs: torch.Tensor, truth: torch.Tensor, draws: torch.Tensor) -> np.ndarray:
        assert fast[0] is not None and fast[1] is not None
        return fast[1](pairs[:, 1], truth, draws) - fast[0](pairs[:, 0], truth, draws)

    point, low, high = bootstrap_ci(
        lambda pairs, truth: second(pairs[:, 1], truth) - first(pairs[:, 0], truth),
        pair,
        targets,
        n_boot,
        level,
        seed,
        resampled_difference if both_fast else None,
    )
    difference = MetricSummary(point, math.nan, low, high, level, n_rows=len(targets))
    # judge() reads the model against a baseline: here B is the model and A the baseline, so "beats" is B.
    verdict = judge(name, "A", summaries[1], summaries[0], difference)
    return PairedMetric(name, summaries[0], summaries[1], difference, higher_is_better(name), verdict.outcome)


def compare_predictions(
    task: str,
    preds_a: torch.Tensor,
    preds_b: torch.Tensor,
    targets: torch.Tensor,
    metric_names: Sequence[str],
    *,
    thresholds: tuple[Threshold, Threshold] = (0.5, 0.5),
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """A :class:`PairedComparison` of A's and B's activated predictions of the same labelled rows (encoded
    ``targets``), on each of ``metric_names``; with McNemar's test for a binary or multiclass ``task``.

    Example:
        >>> targets = torch.tensor([0, 1, 2, 0, 1, 2] * 10)
        >>> same = torch.nn.functional.one_hot(targets, 3).float() * 0.5 + 0.1
        >>> found = compare_predictions("multiclass", same, same, targets, ["accuracy"], n_boot=100)
        >>> found.metrics[0].verdict, found.mcnemar.a_only, found.mcnemar.b_only
        ('no clear difference: the interval holds 0', 0, 0)
    """
    if n_boot < 1:
        raise ConfigError(f"the number of resamples must be at least 1, got {n_boot}; pass e.g. 1000")
    rows = tuple(
        paired_metric(
            name,
            task,
            preds_a,
            preds_b,
            targets,
            thresholds=thresholds,
            n_boot=n_boot,
            level=level,
            seed=seed,
        )
        for name in metric_names
    )
    test = None
    if task in ("binary", "multiclass"):
        truth = _truth(targets, task)
        right = [
            (_decisions(preds, task, threshold) == truth).numpy()
            for preds, threshold in zip((preds_a, preds_b), thresholds, strict=True)
        ]
        test = mcnemar(right[0], right[1])
    return PairedComparison(task, len(targets), rows, test, n_boot, seed)


def _finite(value: float) -> float | None:
    """``value``, or ``None`` for JSON where it is not a number."""
    return value if math.isfinite(value) else None


def _counted(count: int, unit: str) -> str:
    """``"12 texts"``, ``"1 text"``: ``count`` of ``unit`` (a plural: rows, texts, images, ratings)."""
    return f"{count:,} {unit.removesuffix('s') if count == 1 else unit}"
