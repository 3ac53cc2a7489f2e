"""95% bootstrap intervals of each class's precision, recall and F1, and of their macro and weighted averages.

The resamples are :func:`~trainwell.evaluate.intervals.bootstrap_ci`'s: rows drawn with replacement, the draws
of one seeded ``torch.randint`` call, the bounds the percentiles of the resamples where the figure is defined.
They are drawn once for every class and figure: one ``bootstrap_ci`` call per class and figure would draw
``3 x classes`` times (a quarter of a second each on 10,000 rows: over a minute for 100 classes). A resample's
counts per class come from :func:`~trainwell.evaluate._resampled.resample_counts` (how many times each row was
drawn) times each row's one-hot class, the sums :mod:`~trainwell.evaluate._resampled` scores F1 from; so the
interval of a class here is the one ``bootstrap_ci`` gives that class's figure with the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from trainwell.evaluate._resampled import GATHER_BLOCK, resample_counts

#: The figures an interval is given for, in the order of the per-class table.
FIGURES = ("precision", "recall", "f1")


@dataclass(frozen=True)
class ClassIntervals:
    """``low`` and ``high`` bounds per figure (:data:`FIGURES`), each ``(classes + 2,)``: every class in the
    model's order, then the macro and the weighted average; ``nan`` where no resample defines the figure (the
    precision of a class never predicted, the recall of a class absent from the rows)."""

    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]


def class_figures(
    hits: np.ndarray, given: np.ndarray, support: np.ndarray, seen: np.ndarray
) -> dict[str, np.ndarray]:
    """Precision, recall and F1 from counts per class, ``(..., C)`` (rows right, rows predicted, rows present),
    each ``(..., C + 2)``: the classes (``nan`` with nothing to divide by), then the macro and the weighted
    average over the classes ``seen`` (present or predicted on all rows), a ``nan`` counted as 0, as
    scikit-learn's ``classification_report`` averages."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {
            "precision": np.where(given > 0, hits / np.maximum(given, 1), np.nan),
            "recall": np.where(support > 0, hits / np.maximum(support, 1), np.nan),
            "f1": np.where(support + given > 0, 2 * hits / np.maximum(support + given, 1), np.nan),
        }
        weights = support[..., seen] / np.maximum(support.sum(axis=-1, keepdims=True), 1)
    result = {}
    for name, values in shares.items():
        counted = np.nan_to_num(values[..., seen])
        macro = counted.mean(axis=-1) if seen.any() else np.full(values.shape[:-1], np.nan)
        weighted = (counted * weights).sum(axis=-1) if seen.any() else macro
        result[name] = np.concatenate([values, macro[..., None], weighted[..., None]], axis=-1)
    return result


def class_intervals(
    actual: np.ndarray,
    predicted: np.ndarray,
    count: int,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> ClassIntervals:
    """Percentile bootstrap intervals over rows of every class's precision, recall and F1 and their averages.

    Args:
        actual: each row's class, an index into the model's ``count`` classes.
        predicted: the model's decision for each row, the same way.
        count: the number of classes.
        n_boot, level, seed: as :func:`~trainwell.evaluate.intervals.bootstrap_ci` takes them.
    """
    actual_t = torch.as_tensor(np.asarray(actual, dtype=np.int64))
    predicted_t = torch.as_tensor(np.asarray(predicted, dtype=np.int64))
    n = len(actual_t)
    present = torch.nn.functional.one_hot(actual_t, count).to(torch.float64)  # (N, C)
    decided = torch.nn.functional.one_hot(predicted_t, count).to(torch.float64)
    right = present * (actual_t == predicted_t).unsqueeze(1)
    seen = (present.sum(dim=0) + decided.sum(dim=0) > 0).numpy()
    generator = torch.Generator().manual_seed(seed)
    draws = torch.randint(0, n, (n_boot, n), generator=generator)  # (B, N), as bootstrap_ci draws them
    tables: dict[str, list[np.ndarray]] = {name: [] for name in FIGURES}
    for block in draws.split(max(1, GATHER_BLOCK // max(n, 1))):  # at most about 32 MB of counts at once
        counts = resample_counts(block, n)  # (b, N): how many times each row was drawn
        hits, given, support = ((counts @ rows).numpy() for rows in (right, decided, present))  # (b, C)
        figures = class_figures(hits, given, support, seen)
        for name in FIGURES:
            tables[name].append(figures[name])
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}
    for name in FIGURES:
        resampled = np.concatenate(tables[name])  # (B, C + 2)
        bounds = [_percentiles(resampled[:, column], level) for column in range(resampled.shape[1])]
        low[name] = np.array([bound[0] for bound in bounds])
        high[name] = np.array([bound[1] for bound in bounds])
    return ClassIntervals(low, high)


def _percentiles(scores: np.ndarray, level: float) -> tuple[float, float]:
    """The bounds of ``bootstrap_ci``: the quantiles of the resamples where the figure is defined."""
    defined = scores[~np.isnan(scores)]
    if defined.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(defined, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
