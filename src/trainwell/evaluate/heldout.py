"""One model judged on one held-out split instead of by folds, in the shape of a cross-validation's result, so
that an :class:`~trainwell.evaluate.Evaluation` holds it: its metrics with intervals from a bootstrap over groups
of the split's items, and paired differences with other models scored on the same items.

A language model is judged this way (:func:`trainwell.evaluate_language_model`): one fit per fold would multiply
its training time by k, and a corpus usually comes with a test text of its own. Each metric is a function of the
mean of per-item values (perplexity is ``exp`` of the mean loss per token), and the items of one group (the
tokens of one text) are resampled together, since they are not independent
(:func:`~trainwell.evaluate.intervals.grouped_mean_ci`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainwell.evaluate.cv import CVResult, MetricSummary
from trainwell.evaluate.intervals import grouped_resample_means

#: Above this, ``exp`` of a mean loss is clipped (a model that gives the true token no probability at all).
MAX_EXPONENT = 700.0


@dataclass(frozen=True)
class ItemMetric:
    """A metric that is a function of the mean of one value per item: ``exp`` of it (perplexity from the loss
    per token), or ``scale`` times it (bits per character from the loss in nats; 1 for a share, such as the
    next-word accuracy).

    Attributes:
        values: ``(N,)`` one value per item.
        exp: the metric is ``exp(mean)``.
        scale: else the metric is ``scale * mean``.
    """

    values: np.ndarray
    exp: bool = False
    scale: float = 1.0

    def of(self, means: np.ndarray) -> np.ndarray:
        """The metric from means of the values (any shape)."""
        return np.exp(np.minimum(means, MAX_EXPONENT)) if self.exp else means * self.scale


@dataclass
class HeldOutResult(CVResult):
    """One model's metrics on one held-out split: a single entry in ``folds``, with intervals from a bootstrap
    over ``groups`` of its items rather than over folds.

    Make one with :meth:`of`. Two results whose metrics come from the same items (two models scored on the same
    test text) are compared pairwise by :meth:`paired_difference`: each resample draws the same groups for
    both, so what the groups share (an easy text) cancels out.

    Attributes:
        items: each metric's per-item values and how the metric follows from their mean.
        groups: ``(N,)`` the group of each item, non-negative integers.
        grouped_by: what a group is, in the plural (``"test texts"``).
        n_boot: bootstrap resamples of each interval.
    """

    items: dict[str, ItemMetric] = field(default_factory=dict, repr=False)
    groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    grouped_by: str = "groups"
    n_boot: int = 1000

    @classmethod
    def of(
        cls,
        items: Mapping[str, ItemMetric],
        groups: np.ndarray,
        grouped_by: str,
        seed: int = 0,
        n_boot: int = 1000,
    ) -> HeldOutResult:
        """The result whose metrics are ``items`` on items grouped by ``groups`` (resampled from ``seed``)."""
        scores = {name: float(item.of(np.array(item.values.mean()))) for name, item in items.items()}
        groups = np.asarray(groups, dtype=np.int64).reshape(-1)
        return cls(
            [scores], [], seed, False, items=dict(items), groups=groups, grouped_by=grouped_by, n_boot=n_boot
        )

    @property
    def n_groups(self) -> int:
        return int(np.unique(self.groups).size)

    @property
    def over(self) -> str:
        """What the intervals resample, in words: ``"20 test texts"``."""
        return f"{self.n_groups:,} {self.grouped_by}"

    def summary(self, level: float = 0.95) -> dict[str, MetricSummary]:
        """Each metric on the whole split, with a ``level`` bootstrap interval over the groups (``std`` is
        ``nan``: there are no folds to spread over)."""
        found = {}
        for name, item in self.items.items():
            low, high = self._interval([item], level)
            found[name] = MetricSummary(self.folds[0][name], float("nan"), low, high, level, over=self.over)
        return found

    def paired_difference(self, metric: str, other: CVResult, level: float = 0.95) -> MetricSummary | None:
        """This model's ``metric`` minus ``other``'s, with a paired bootstrap interval over the same groups;
        ``None`` unless ``other`` is a :class:`HeldOutResult` of the same items that has ``metric`` too."""
        if not isinstance(other, HeldOutResult) or metric not in self.items or metric not in other.items:
            return None
        mine, theirs = self.items[metric], other.items[metric]
        if mine.values.shape != theirs.values.shape or not np.array_equal(self.groups, other.groups):
            return None
        low, high = self._interval([mine, theirs], level)
        point = self.folds[0][metric] - other.folds[0][metric]
        return MetricSummary(point, float("nan"), low, high, level, over=self.over)

    def _interval(self, items: list[ItemMetric], level: float) -> tuple[float, float]:
        """The bootstrap interval of the first item's metric, less the second's when there are two (the same
        groups drawn for both: a paired difference)."""
        if self.n_groups < 2:
            return float("nan"), float("nan")
        values = np.stack([item.values.astype(np.float64) for item in items])  # (M, N)
        means = grouped_resample_means(values, self.groups, self.n_boot, self.seed)  # (n_boot, M)
        metric = items[0].of(means[:, 0])
        if len(items) == 2:
            metric = metric - items[1].of(means[:, 1])
        low, high = np.quantile(metric, [(1 - level) / 2, (1 + level) / 2])
        return float(low), float(high)

    def to_dict(self, level: float = 0.95) -> dict[str, Any]:
        """JSON-ready: the metrics on the split, what the intervals resample, and each metric's summary."""
        return {
            "held_out": True,
            "over": self.over,
            "items": int(self.groups.size),
            "seed": self.seed,
            "scores": dict(self.folds[0]),
            "summary": {name: summary.to_dict() for name, summary in self.summary(level).items()},
        }
