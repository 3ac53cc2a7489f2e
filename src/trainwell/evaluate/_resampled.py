"""Metrics scored on every bootstrap resample at once, with array operations instead of one call per resample.

A bootstrap's resamples are the rows of ``draws`` (B, N): the row indices each resample drew. The metrics an
evaluation reports are functions of sums over rows, so every resample's sums come from a few array operations,
where the generic path gathers each resample's rows and runs :mod:`trainwell.metrics.functional` on them, B
times. Counts (right decisions, true positives per class) are one matrix product with how many times each row
was drawn; losses, errors and target sums are gathered by ``draws`` and summed along each resample's rows; AUC
and average precision come from one sort of the scores (:func:`~trainwell.metrics._ranking.resampled_column_auc`,
every column at once, :func:`~trainwell.metrics._ranking.resampled_average_precision`); Matthews correlation
from the same counts as F1, through the same formula as the metric (:func:`~trainwell.metrics._stats.mcc_from_counts`);
``top10_precision`` from every resample's top rows at once, as
:func:`~trainwell.evaluate.explain.top_precision`'s stable sort takes them from one resample's rows.

The numbers are :mod:`~trainwell.metrics.functional`'s on each resample's rows, to the bit: decisions are made
by the same code (:mod:`trainwell.metrics._stats`), counts are whole numbers in float64 (exact in any order),
and losses and errors are summed in the same order and layout as the metric functions sum them. A metric without
a vectorised form here gets ``None`` from :func:`resampled_metric`, and the caller scores each resample through
the metric function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from trainwell.metrics._inputs import Threshold, as_positive, check_inputs, check_threshold
from trainwell.metrics._ranking import resampled_average_precision, resampled_column_auc
from trainwell.metrics._stats import _decisions, _truth, brier_errors, mcc_from_counts
from trainwell.metrics.functional import LOG_LOSS_EPS

#: ``f(preds, targets, draws) -> scores``: the metric on each resample's rows, ``draws`` (B, N) -> (B,) float64.
ResampledFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], np.ndarray]

#: At most this many gathered numbers at once (resamples x rows x columns): about 32 MB of float64.
GATHER_BLOCK = 1 << 22

#: ``top10_precision`` looks at this share of the highest-scored rows.
TOP_SHARE = 0.10

_NAN = float("nan")
_CLASSIFICATION = ("binary", "multiclass", "multilabel")
_SINGLE_LABEL = ("binary", "multiclass")
_PLAIN_BOUNDS = ("f1_micro", "f1_samples")


def resample_counts(draws: torch.Tensor, n_rows: int) -> torch.Tensor:
    """``(B, n_rows)`` float64: how many times each row appears in each resample of ``draws`` (B, N) (row
    indices, as :func:`torch.randint` draws them)."""
    counts = torch.zeros(len(draws), n_rows, dtype=torch.float64)
    return counts.scatter_add_(1, draws, torch.ones(draws.shape, dtype=torch.float64))


#: ``counts(preds, targets) -> (successes, trials)`` of a metric that is one share of independent rows.
CountsFn = Callable[[torch.Tensor, torch.Tensor], tuple[int, int]]


class Resampled:
    """A named metric's vectorised form: called as the :data:`ResampledFn` it wraps, and carrying the metric's
    ``name`` and, for a metric that is one proportion of rows (accuracy, error rate, a binary model's precision
    and recall, ``top10_precision``), ``counts``: its successes and trials on all the rows, from which
    :func:`~trainwell.evaluate.intervals.bootstrap_ci` gives a Wilson interval instead of a bootstrap one."""

    def __init__(
        self,
        function: ResampledFn,
        name: str,
        counts: CountsFn | None = None,
        constant_unknown: bool = True,
    ) -> None:
        self.function, self.name, self.counts = function, name, counts
        #: Resamples that all score the same give ``nan`` bounds (not estimable), not ``[v, v]``.
        self.constant_unknown = constant_unknown

    def __call__(self, preds: torch.Tensor, targets: torch.Tensor, draws: torch.Tensor) -> np.ndarray:
        return self.function(preds, targets, draws)


def resampled_metric(name: str, task: str, threshold: float | Sequence[float] = 0.5) -> Resampled | None:
    """The vectorised form of metric ``name`` for a ``task`` kind, or ``None`` when it has none (the metric is
    then scored resample by resample). ``threshold``: the decisions' threshold, as the metric functions take it
    (one per label for a multilabel task). A proportion of rows also carries its counts (:class:`Resampled`)."""
    function = _resampled_function(name, task, threshold)
    if function is None:
        return None
    # Micro and sample-averaged F1 were scored resample by resample, as a function of one's own, whose bounds stay
    # the plain percentiles where every resample scores the same: kept so, the same intervals as before.
    constant_unknown = name not in _PLAIN_BOUNDS
    return Resampled(function, name, _proportion_counts(name, task, threshold), constant_unknown)


def _proportion_counts(name: str, task: str, threshold: float | Sequence[float]) -> CountsFn | None:
    """``(successes, trials)`` of a metric that is a share of independent rows, or ``None``. A multilabel
    accuracy counts every label of a row, decisions that are not independent, and a multiclass precision or
    recall is a mean over classes: neither is one proportion, and they keep the bootstrap."""
    if task in _SINGLE_LABEL and name in ("accuracy", "error_rate"):
        decided = check_threshold(threshold, task)

        def right_rows(preds: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
            p, t = _inputs(preds, targets, task, name)
            right = int((_decisions(p, task, decided) == _truth(t, task)).sum())
            return (right if name == "accuracy" else len(p) - right), len(p)

        return right_rows
    if task == "binary" and name in ("precision", "recall"):
        decided = check_threshold(threshold, task)

        def positives(preds: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
            p, t = _inputs(preds, targets, task, name)
            every = torch.arange(len(p)).unsqueeze(0)  # one "resample": every row once
            hits, false_positive, false_negative = (
                int(c.sum()) for c in _confusion((p, t), task, decided, every)
            )
            return hits, hits + (false_positive if name == "precision" else false_negative)

        return positives
    if task == "binary" and name == "top10_precision":

        def top(preds: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
            n_top = top_rows(len(preds))
            order = top_order(preds.cpu().reshape(-1))[:n_top]
            return round(float(targets.cpu().reshape(-1)[order].float().sum())), n_top

        return top
    return None


def _resampled_function(name: str, task: str, threshold: float | Sequence[float]) -> ResampledFn | None:
    if task in _CLASSIFICATION:
        decided = check_threshold(threshold, task)  # a float, or one per label (a tuple)
        if name in ("accuracy", "error_rate"):
            flip = name == "error_rate"
            return lambda p, t, d: _accuracy(_inputs(p, t, task, name), task, decided, d, flip)
        if name in ("f1", "precision", "recall"):
            return lambda p, t, d: _shares(_inputs(p, t, task, name), task, decided, d, name)
        if name == "f1_micro" and task == "multilabel":
            return lambda p, t, d: _micro_f1(_inputs(p, t, task, name), decided, d)
        if name == "f1_samples" and task == "multilabel":
            return lambda p, t, d: _row_f1(_inputs(p, t, task, name), decided, d)
        if name == "mcc":
            return lambda p, t, d: _mcc(_inputs(p, t, task, name), task, decided, d)
        if name == "log_loss":
            return lambda p, t, d: _log_loss(_inputs(p, t, task, name), task, d)
        if name == "brier":
            return lambda p, t, d: _brier(_inputs(p, t, task, name), task, d)
        if name in ("roc_auc", "average_precision"):
            ranking = resampled_column_auc if name == "roc_auc" else _each_column(resampled_average_precision)
            return lambda p, t, d: _ranked(_inputs(p, t, task, name), task, d, ranking)
        if name == "top10_precision" and task == "binary":
            return _top_precision
        if name == "balanced_accuracy" and task in _SINGLE_LABEL:
            return lambda p, t, d: _balanced_accuracy(_inputs(p, t, task, name), task, decided, d)
    if task == "regression":
        if name in ("rmse", "mae"):
            root = name == "rmse"
            return lambda p, t, d: _error(_inputs(p, t, task, name), d, root)
        if name == "r2":
            return lambda p, t, d: _r2(_inputs(p, t, task, name), d)
    return None


def top_rows(n_rows: int, share: float = TOP_SHARE) -> int:
    """How many of ``n_rows`` rows are the ``share`` highest-scored: at least one."""
    return max(1, math.ceil(n_rows * share))


def top_order(scores: torch.Tensor) -> torch.Tensor:
    """Row positions of ``scores`` (..., N) from the highest score down, along the last dimension. Stable: tied
    rows keep their order, so the rows taken at a tie are the same whether one resample is sorted or a block
    of them (an unstable sort breaks ties one way in a row and another in a batch)."""
    return torch.argsort(scores, dim=-1, descending=True, stable=True)


def _top_precision(preds: torch.Tensor, targets: torch.Tensor, draws: torch.Tensor) -> np.ndarray:
    """Each resample's share of positives among its ``TOP_SHARE`` highest-scored rows, as
    :func:`~trainwell.evaluate.explain.top_precision` finds them on the resample's rows, and averaged in float32 as
    it averages them (a sum of whole numbers: exact in any order).

    Its stable sort orders a resample's rows by score, then by place in the resample. So does a key that is each
    row's rank among the distinct scores (0 the highest) times N, plus its place: no two keys are equal, so the
    top rows are the keys' smallest, which ``topk`` finds without sorting every row. Scores holding NaN (which a
    sort puts first, all of them alike, while no two NaNs are equal as distinct values) are sorted instead."""
    scores, truth = preds.cpu().reshape(-1), targets.cpu().reshape(-1).float()
    rows = draws.shape[1]
    n_top = top_rows(rows)
    step = max(1, GATHER_BLOCK // max(1, rows))
    keys = None
    if not bool(scores.isnan().any()):
        distinct, inverse = torch.unique(scores, sorted=True, return_inverse=True)
        keys = (
            len(distinct) - 1 - inverse
        ) * rows  # each row's rank among the scores, highest first, times N
    places = torch.arange(rows)
    shares = []
    for block in draws.split(step):
        if keys is not None:
            top = torch.topk(keys[block] + places, n_top, dim=1, largest=False, sorted=False).indices
        else:
            top = top_order(scores[block])[:, :n_top]
        shares.append(
            truth[block.gather(1, top)].mean(dim=1)
        )  # (b, n_top) targets of each resample's top rows
    return torch.cat(shares).to(torch.float64).numpy()


def _inputs(
    preds: torch.Tensor, targets: torch.Tensor, task: str, name: str
) -> tuple[torch.Tensor, torch.Tensor]:
    return check_inputs(preds.cpu(), targets.cpu(), task, name)


def _sums(per_row: torch.Tensor, draws: torch.Tensor, by_column: bool = False) -> torch.Tensor:
    """Each resample's sum of numbers ``per_row`` (N,) or (N, K), in float64: of everything, (B,), or with ``by_column``
    of each column, (B, K): the sums ``per_row[rows].sum()`` and ``per_row[rows].sum(dim=0)`` of each resample's
    ``rows``, in the same order."""
    values = per_row.to(torch.float64).reshape(len(per_row), -1)  # (N, K)
    width = values.shape[1]
    step = max(1, GATHER_BLOCK // max(1, draws.shape[1] * width))
    sums = []
    for block in draws.split(step):
        drawn = values[block]  # (b, N, K)
        sums.append(drawn.sum(dim=1) if by_column else drawn.reshape(len(block), -1).sum(dim=1))
    return torch.cat(sums)


def _counted(per_row: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Each resample's sum of whole numbers ``per_row`` (N,) or (N, K) -> (B,) or (B, K), given how many times
    each row was drawn, ``counts`` (B, N): one matrix product, exact (whole numbers in float64), so equal to any
    other order of summing them."""
    return counts @ per_row.to(torch.float64)


def _one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels.long(), n_classes)  # (N, C)


def _masked_mean(values: torch.Tensor, keep: torch.Tensor) -> np.ndarray:
    """Each row's mean of ``values`` (B, K) over the entries ``keep`` marks; ``nan`` where it marks none."""
    kept = keep.sum(dim=1)
    total = torch.where(keep, values, torch.zeros_like(values)).sum(dim=1)
    return torch.where(kept > 0, total / kept.clamp(min=1), torch.full_like(total, _NAN)).numpy()


def _accuracy(
    inputs: tuple[torch.Tensor, torch.Tensor],
    task: str,
    threshold: Threshold,
    draws: torch.Tensor,
    flip: bool,
) -> np.ndarray:
    preds, targets = inputs
    right = _decisions(preds, task, threshold) == _truth(targets, task)  # (N,) or (N, L)
    correct = _counted(right.reshape(len(right), -1).sum(dim=1), resample_counts(draws, len(right)))
    share = correct / (draws.shape[1] * right[0].numel())  # over the decisions in a resample
    return (1.0 - share if flip else share).numpy()


def _balanced_accuracy(
    inputs: tuple[torch.Tensor, torch.Tensor], task: str, threshold: Threshold, draws: torch.Tensor
) -> np.ndarray:
    preds, targets = inputs
    truth = _truth(targets, task).long()
    right = _decisions(preds, task, threshold).long() == truth
    classes = _one_hot(truth, 2 if task == "binary" else preds.shape[1])  # (N, C)
    counts = resample_counts(draws, len(preds))
    rows = _counted(classes, counts)  # (B, C)
    correct = _counted(classes * right.unsqueeze(1), counts)
    return _masked_mean(correct / rows.clamp(min=1), rows > 0)


def _confusion(
    inputs: tuple[torch.Tensor, torch.Tensor], task: str, threshold: Threshold, draws: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each resample's true positives, false positives and false negatives per class (B, C), as
    :func:`~trainwell.metrics._stats.f1_stats` counts them (binary: of the positive class, C = 1)."""
    preds, targets = inputs
    decisions, truth = _decisions(preds, task, threshold), _truth(targets, task)
    if task == "multiclass":
        actual_rows, decided_rows = _one_hot(truth, preds.shape[1]), _one_hot(decisions, preds.shape[1])
        hit_rows = actual_rows * (decisions == truth).unsqueeze(1)
    else:
        decisions, truth = decisions.reshape(len(preds), -1), truth.reshape(len(preds), -1)
        actual_rows, decided_rows, hit_rows = truth, decisions, decisions & truth
    counts = resample_counts(draws, len(preds))
    true_positive = _counted(hit_rows, counts)  # (B, C)
    false_positive = _counted(decided_rows, counts) - true_positive
    false_negative = _counted(actual_rows, counts) - true_positive
    return true_positive, false_positive, false_negative


def _mcc(
    inputs: tuple[torch.Tensor, torch.Tensor], task: str, threshold: Threshold, draws: torch.Tensor
) -> np.ndarray:
    rows = torch.tensor(float(draws.shape[1]), dtype=torch.float64)  # as the metric's 0-dim row count
    return mcc_from_counts(*_confusion(inputs, task, threshold, draws), rows, task).numpy()


def _shares(
    inputs: tuple[torch.Tensor, torch.Tensor],
    task: str,
    threshold: Threshold,
    draws: torch.Tensor,
    name: str,
) -> np.ndarray:
    """F1, precision or recall from each resample's true positives, predicted and actual positives per class."""
    true_positive, false_positive, false_negative = _confusion(inputs, task, threshold, draws)
    if name == "f1":
        denominator = 2 * true_positive + false_positive + false_negative
        numerator = 2 * true_positive
    else:
        denominator = true_positive + (false_positive if name == "precision" else false_negative)
        numerator = true_positive
    per_class = torch.where(denominator > 0, numerator / denominator.clamp(min=1), 0.0)
    if task != "multiclass":
        return per_class.mean(dim=1).numpy()
    # Multiclass: macro mean over the classes seen (F1: those with a non-zero denominator, the same classes).
    seen = (true_positive + false_positive + false_negative) > 0
    return _masked_mean(per_class, seen)


def _micro_f1(
    inputs: tuple[torch.Tensor, torch.Tensor], threshold: Threshold, draws: torch.Tensor
) -> np.ndarray:
    """Micro-averaged F1 of multi-label decisions, every label decision of a resample pooled, as
    :func:`~trainwell.metrics._stats.micro_f1_value` takes it from the counts (whole numbers: exact)."""
    true_positive, false_positive, false_negative = _confusion(inputs, "multilabel", threshold, draws)
    hits = true_positive.sum(dim=1)
    wrong = false_positive.sum(dim=1) + false_negative.sum(dim=1)
    doubled = 2 * hits
    return torch.where(hits + wrong > 0, doubled / (doubled + wrong).clamp(min=1), 0.0).numpy()


def _row_f1(
    inputs: tuple[torch.Tensor, torch.Tensor], threshold: Threshold, draws: torch.Tensor
) -> np.ndarray:
    """Sample-averaged F1: each row's F1 (:func:`~trainwell.metrics._stats.row_f1_stats`, a row's own, the same
    in every resample that draws it), summed over a resample's rows in the metric's order."""
    preds, targets = inputs
    decisions, truth = _decisions(preds, "multilabel", threshold), _truth(targets, "multilabel")
    decisions, truth = decisions.reshape(len(preds), -1), truth.reshape(len(preds), -1)
    hits = (decisions & truth).sum(dim=1, dtype=torch.float64)
    denominator = decisions.sum(dim=1, dtype=torch.float64) + truth.sum(dim=1, dtype=torch.float64)
    per_row = torch.where(denominator > 0, 2 * hits / denominator.clamp(min=1), 0.0)
    return (_sums(per_row, draws) / draws.shape[1]).numpy()


def _log_loss(inputs: tuple[torch.Tensor, torch.Tensor], task: str, draws: torch.Tensor) -> np.ndarray:
    preds, targets = inputs
    probabilities = preds.to(torch.float64)
    if task == "multiclass":
        chosen = probabilities.gather(1, targets.unsqueeze(1)).clamp(LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
        losses = -chosen.log()
    else:
        probabilities = probabilities.clamp(LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
        losses = -torch.where(as_positive(targets), probabilities.log(), (1 - probabilities).log())
    return (_sums(losses, draws) / (draws.shape[1] * losses[0].numel())).numpy()


def _brier(inputs: tuple[torch.Tensor, torch.Tensor], task: str, draws: torch.Tensor) -> np.ndarray:
    preds, targets = inputs
    errors = brier_errors(preds.to(torch.float64), targets, task)  # (N,) or (N, L), as the metric sums them
    return (_sums(errors, draws) / (draws.shape[1] * errors[0].numel())).numpy()


def _ranked(
    inputs: tuple[torch.Tensor, torch.Tensor],
    task: str,
    draws: torch.Tensor,
    ranking: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> np.ndarray:
    """ROC AUC or average precision (``ranking``, every column's value on every resample, (B, K)): of the
    positive class, or macro over classes (one against the rest) or labels, those undefined in a resample left
    out."""
    preds, targets = inputs
    if task == "multiclass":
        positive = targets.unsqueeze(1) == torch.arange(preds.shape[1])
    else:
        positive = as_positive(targets)
    scores, positive = preds.reshape(len(preds), -1), positive.reshape(len(preds), -1)
    counts = resample_counts(draws, len(preds))  # (B, N)
    per_column = ranking(scores, positive, counts)  # (B, K): nan where a resample lacks what a column needs
    return _masked_mean(per_column, ~per_column.isnan())


def _each_column(
    ranking: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """``ranking`` of one column (N,) -> (B,), made to score every column of (N, K) -> (B, K), one by one."""

    def every_column(scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        return torch.stack([ranking(scores[:, k], positive[:, k], counts) for k in range(scores.shape[1])], 1)

    return every_column


def _total_squares(actual: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
    """Each resample's total sum of squares of each target about its mean (B, K); the round-off of a
    (near-)constant target clamped to zero, as the metric functions do."""
    square_sum = _sums(actual.square(), draws, by_column=True)
    total = square_sum - _sums(actual, draws, by_column=True).square() / draws.shape[1]
    return torch.where(total <= 1e-12 * square_sum, torch.zeros_like(total), total)


def _error(inputs: tuple[torch.Tensor, torch.Tensor], draws: torch.Tensor, root: bool) -> np.ndarray:
    """RMSE or MAE; with several targets, each target's in units of its spread, averaged (see ``rmse``)."""
    preds, targets = inputs
    predicted, actual = preds.to(torch.float64), targets.to(torch.float64)  # (N, K)
    errors = (predicted - actual).abs().pow(2 if root else 1)
    rows = draws.shape[1]
    if actual.shape[1] == 1:
        # As the metric: a Python float's power, which can differ from a square root in the last bit.
        means = (_sums(errors, draws) / rows).tolist()
        return np.array([mean**0.5 if root else mean for mean in means], dtype=np.float64)
    mean = _sums(errors, draws, by_column=True) / rows  # (B, K)
    per_output = mean.sqrt() if root else mean
    spread = (_total_squares(actual, draws) / rows).sqrt()
    has_spread = spread > 0
    return _masked_mean(per_output / torch.where(has_spread, spread, torch.ones_like(spread)), has_spread)


def _r2(inputs: tuple[torch.Tensor, torch.Tensor], draws: torch.Tensor) -> np.ndarray:
    preds, targets = inputs
    predicted, actual = preds.to(torch.float64), targets.to(torch.float64)  # (N, K)
    total = _total_squares(actual, draws)
    residual = _sums((actual - predicted).square(), draws, by_column=True)
    # A constant target scores 1 if predicted exactly, else 0, as the metric (and scikit-learn) does.
    per_output = torch.where(
        total > 0,
        1 - residual / total.clamp(min=torch.finfo(total.dtype).tiny),
        torch.where(residual == 0, 1.0, 0.0).to(total.dtype),
    )
    return per_output.mean(dim=1).numpy()
