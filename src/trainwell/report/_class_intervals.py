"""95% intervals of each class's precision, recall and F1, and of their macro and weighted averages.

A class's precision (rows right of the rows predicted as it) and recall (rows right of the rows that are it) are
each one proportion of independent rows: their interval is the Wilson score interval on those counts
(:func:`~trainwell.evaluate.intervals.wilson_interval`), as the metrics table's binary precision and recall are. A
percentile bootstrap of them collapsed on few rows: precision 1.0000 [1.0000, 1.0000] from the 1 row predicted
'1', where Wilson gives [0.207, 1]. F1 and the averages over classes are no single proportion and keep a
percentile bootstrap over rows; where every resample scores the same (F1 of 1 on a class all decided right) the
bootstrap cannot tell the spread, and the bounds are ``nan`` (not estimable), never a zero-width interval.

The resamples are :func:`~trainwell.evaluate.intervals.bootstrap_ci`'s: rows drawn with replacement, the draws
of one seeded ``torch.randint`` call, the bounds the percentiles of the resamples where the figure is defined.
They are drawn once for every class and figure: one ``bootstrap_ci`` call per class and figure would draw
``3 x classes`` times (a quarter of a second each on 10,000 rows: over a minute for 100 classes). A resample's
counts per class come from :func:`~trainwell.evaluate._resampled.resample_counts` (how many times each row was
drawn) times each row's one-hot class, the sums :mod:`~trainwell.evaluate._resampled` scores F1 from; so the
interval of a class here is the one ``bootstrap_ci`` gives that class's figure with the same seed. A
multi-label model's labels are judged the same way (:func:`label_intervals`), each as a yes/no decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from trainwell.evaluate._resampled import GATHER_BLOCK, resample_counts
from trainwell.evaluate.intervals import wilson_interval

#: The figures an interval is given for, in the order of the per-class table.
FIGURES = ("precision", "recall", "f1")
#: Resamples behind every interval of a report: its metrics table's (``explain_validation``'s) and its per-class
#: and per-label tables', so that a figure shown in two places (a binary model's F1 in the metrics and beside its
#: positive class) has one interval, from the same draws. 1,000 here against 300 there gave F1 0.7581 two
#: intervals on one page ([0.6667, 0.8327] and 0.6723 to 0.8382).
RESAMPLES = 300


@dataclass(frozen=True)
class ClassIntervals:
    """``low`` and ``high`` bounds per figure (:data:`FIGURES`), each ``(classes + 2,)``: every class in the
    model's order, then the macro and the weighted average; ``nan`` where the figure is undefined (the
    precision of a class never predicted, the recall of a class absent from the rows) or, for a bootstrapped
    figure (F1, the averages), where every resample scored the same (not estimable on these rows)."""

    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]


def class_figures(
    hits: np.ndarray, given: np.ndarray, support: np.ndarray, seen: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Precision, recall and F1 from counts per class, ``(..., C)`` (rows right, rows predicted, rows present),
    each ``(..., C + 2)``: the classes (``nan`` with nothing to divide by), then the macro and the weighted
    average over the classes ``seen`` (``(C,)`` or ``(..., C)``; default: those present or predicted in these
    counts, each resample's own as the metrics' macro averages take them), a ``nan`` counted as 0, as
    scikit-learn's ``classification_report`` averages."""
    if seen is None:
        seen = (support + given) > 0
    seen = np.broadcast_to(seen, support.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {
            "precision": np.where(given > 0, hits / np.maximum(given, 1), np.nan),
            "recall": np.where(support > 0, hits / np.maximum(support, 1), np.nan),
            "f1": np.where(support + given > 0, 2 * hits / np.maximum(support + given, 1), np.nan),
        }
        weights = np.where(seen, support, 0) / np.maximum(support.sum(axis=-1, keepdims=True), 1)
        n_seen = seen.sum(axis=-1)
        result = {}
        for name, values in shares.items():
            counted = np.where(seen, np.nan_to_num(values), 0.0)
            macro = np.where(n_seen > 0, counted.sum(axis=-1) / np.maximum(n_seen, 1), np.nan)
            weighted = np.where(n_seen > 0, (counted * weights).sum(axis=-1), np.nan)
            result[name] = np.concatenate([values, macro[..., None], weighted[..., None]], axis=-1)
    return result


def class_intervals(
    actual: np.ndarray,
    predicted: np.ndarray,
    count: int,
    n_boot: int = RESAMPLES,
    level: float = 0.95,
    seed: int = 0,
) -> ClassIntervals:
    """Intervals of every class's precision, recall and F1 and their averages: Wilson for a class's precision
    and recall, a percentile bootstrap over rows for F1 and the averages (see the module's docstring).

    Args:
        actual: each row's class, an index into the model's ``count`` classes.
        predicted: the model's decision for each row, the same way.
        count: the number of classes.
        n_boot, level, seed: as :func:`~trainwell.evaluate.intervals.bootstrap_ci` takes them (the default
            ``n_boot``: the report's, :data:`RESAMPLES`).
    """
    actual_t = torch.as_tensor(np.asarray(actual, dtype=np.int64))
    predicted_t = torch.as_tensor(np.asarray(predicted, dtype=np.int64))
    present = torch.nn.functional.one_hot(actual_t, count).to(torch.float64)  # (N, C)
    decided = torch.nn.functional.one_hot(predicted_t, count).to(torch.float64)
    bounds = decision_intervals(present, decided, n_boot=n_boot, level=level, seed=seed)
    # One answer per row: the weighted recall is the accuracy (rows right of all rows), a share of rows whose
    # interval is the metrics table's, Wilson's.
    weighted = wilson_interval(int((actual_t == predicted_t).sum()), len(actual_t), level)
    bounds.low["recall"][-1], bounds.high["recall"][-1] = weighted
    return bounds


def label_intervals(
    actual: np.ndarray, predicted: np.ndarray, n_boot: int = RESAMPLES, level: float = 0.95, seed: int = 0
) -> ClassIntervals:
    """The same intervals for each label of a multi-label model: ``actual`` and ``predicted`` are ``(N, L)``
    yes/no per row and label (the label present, the model giving it), each label judged as its own two-class
    problem on the same resamples of rows (the averages run over the labels present or given)."""
    present = torch.as_tensor(np.asarray(actual, dtype=bool)).to(torch.float64)  # (N, L)
    decided = torch.as_tensor(np.asarray(predicted, dtype=bool)).to(torch.float64)
    return decision_intervals(present, decided, n_boot=n_boot, level=level, seed=seed)


def decision_intervals(
    present: torch.Tensor, decided: torch.Tensor, n_boot: int = RESAMPLES, level: float = 0.95, seed: int = 0
) -> ClassIntervals:
    """The intervals from ``(N, C)`` 0/1 float64 indicators: the row is of class (has label) ``c``, the model
    answers ``c``. A row counts as a hit of ``c`` where both are set."""
    n = len(present)
    right = present * decided
    generator = torch.Generator().manual_seed(seed)
    draws = torch.randint(0, n, (n_boot, n), generator=generator)  # (B, N), as bootstrap_ci draws them
    tables: dict[str, list[np.ndarray]] = {name: [] for name in FIGURES}
    for block in draws.split(max(1, GATHER_BLOCK // max(n, 1))):  # at most about 32 MB of counts at once
        counts = resample_counts(block, n)  # (b, N): how many times each row was drawn
        hits, given, support = ((counts @ rows).numpy() for rows in (right, decided, present))  # (b, C)
        figures = class_figures(hits, given, support)  # averages over each resample's classes seen
        for name in FIGURES:
            tables[name].append(figures[name])
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}
    # A class's precision and recall: successes of trials on all the rows, a Wilson interval each.
    all_hits, all_given, all_support = (
        rows.sum(dim=0).round().long().tolist() for rows in (right, decided, present)
    )
    trials = {"precision": all_given, "recall": all_support}
    for name in FIGURES:
        resampled = np.concatenate(tables[name])  # (B, C + 2)
        bounds = [_percentiles(resampled[:, column], level) for column in range(resampled.shape[1])]
        if name in trials:
            bounds[: len(all_hits)] = [
                wilson_interval(hit, of, level) for hit, of in zip(all_hits, trials[name], strict=True)
            ]
        low[name] = np.array([bound[0] for bound in bounds])
        high[name] = np.array([bound[1] for bound in bounds])
    return ClassIntervals(low, high)


def _percentiles(scores: np.ndarray, level: float) -> tuple[float, float]:
    """The bounds of ``bootstrap_ci`` for a named metric: the quantiles of the resamples where the figure is
    defined; ``nan`` where none is, or where all score the same (not estimable: never a zero-width interval)."""
    defined = scores[~np.isnan(scores)]
    if defined.size == 0 or defined.max() - defined.min() <= 1e-12 * max(1.0, float(np.abs(defined).max())):
        return math.nan, math.nan
    low, high = np.quantile(defined, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
