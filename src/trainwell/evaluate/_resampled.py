"""Metrics scored on every bootstrap resample at once, from how many times each row was drawn.

A resample of N rows is a row of ``counts`` (B, N): how many times each row was drawn. The metrics an evaluation
reports are functions of sums over rows (right decisions, true positives per class, losses, errors, target
sums), so a resample's sums are ``counts @ per_row``: one matrix product scores all B resamples, where the
generic path gathers each resample's rows and runs :mod:`trainwell.metrics.functional` on them, B times. AUC
comes from one sort of the scores (:func:`~trainwell.metrics._ranking.resampled_auc`).

The numbers are :mod:`~trainwell.metrics.functional`'s on each resample's rows: counts of decisions and AUC
exactly (whole numbers in float64), summed losses and errors to rounding (the sums run in another order). A
metric not listed here has no vectorised form; :func:`resampled_metric` returns ``None`` and the caller scores
each resample through the metric function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from trainwell.metrics._inputs import as_positive, check_inputs
from trainwell.metrics._ranking import resampled_auc
from trainwell.metrics.functional import LOG_LOSS_EPS

#: ``f(preds, targets, counts) -> scores``: the metric on each resample (B,) given by ``counts`` (B, N).
ResampledFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], np.ndarray]

_NAN = float("nan")
_CLASSIFICATION = ("binary", "multiclass", "multilabel")
_SINGLE_LABEL = ("binary", "multiclass")


def resample_counts(draws: torch.Tensor, n_rows: int) -> torch.Tensor:
    """``(B, n_rows)`` float64: how many times each row appears in each resample of ``draws`` (B, N) (row
    indices, as :func:`torch.randint` draws them)."""
    counts = torch.zeros(len(draws), n_rows, dtype=torch.float64)
    return counts.scatter_add_(1, draws, torch.ones(draws.shape, dtype=torch.float64))


def resampled_metric(name: str, task: str, threshold: float = 0.5) -> ResampledFn | None:
    """The vectorised form of metric ``name`` for a ``task`` kind (decisions at ``threshold``), or ``None`` when
    it has none (the metric is then scored resample by resample)."""
    if task in _CLASSIFICATION:
        if name in ("accuracy", "error_rate"):
            flip = name == "error_rate"
            return lambda p, t, c: _accuracy(_inputs(p, t, task, name), task, threshold, c, flip)
        if name in ("f1", "precision", "recall"):
            return lambda p, t, c: _shares(_inputs(p, t, task, name), task, threshold, c, name)
        if name == "log_loss":
            return lambda p, t, c: _log_loss(_inputs(p, t, task, name), task, c)
        if name == "roc_auc":
            return lambda p, t, c: _roc_auc(_inputs(p, t, task, name), task, c)
        if name == "balanced_accuracy" and task in _SINGLE_LABEL:
            return lambda p, t, c: _balanced_accuracy(_inputs(p, t, task, name), task, threshold, c)
    if task == "regression":
        if name in ("rmse", "mae"):
            root = name == "rmse"
            return lambda p, t, c: _error(_inputs(p, t, task, name), c, root)
        if name == "r2":
            return lambda p, t, c: _r2(_inputs(p, t, task, name), c)
    return None


def _inputs(
    preds: torch.Tensor, targets: torch.Tensor, task: str, name: str
) -> tuple[torch.Tensor, torch.Tensor]:
    return check_inputs(preds.cpu(), targets.cpu(), task, name)


def _decisions(preds: torch.Tensor, task: str, threshold: float) -> torch.Tensor:
    """Predicted class (multiclass, (N,)) or positive decisions (binary (N,), multilabel (N, L)), as the
    metric functions decide."""
    return preds.argmax(dim=1) if task == "multiclass" else preds >= threshold


def _truth(targets: torch.Tensor, task: str) -> torch.Tensor:
    return targets if task == "multiclass" else as_positive(targets)


def _sums(counts: torch.Tensor, per_row: torch.Tensor) -> torch.Tensor:
    """Each resample's sum of ``per_row`` ((N,) -> (B,), (N, K) -> (B, K)), in float64."""
    return counts @ per_row.to(torch.float64)


def _one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels.long(), n_classes).to(torch.float64)  # (N, C)


def _masked_mean(values: torch.Tensor, keep: torch.Tensor) -> np.ndarray:
    """Each row's mean of ``values`` (B, K) over the entries ``keep`` marks; ``nan`` where it marks none."""
    kept = keep.sum(dim=1)
    total = torch.where(keep, values, torch.zeros_like(values)).sum(dim=1)
    return torch.where(kept > 0, total / kept.clamp(min=1), torch.full_like(total, _NAN)).numpy()


def _accuracy(
    inputs: tuple[torch.Tensor, torch.Tensor], task: str, threshold: float, counts: torch.Tensor, flip: bool
) -> np.ndarray:
    preds, targets = inputs
    right = _decisions(preds, task, threshold) == _truth(targets, task)  # (N,) or (N, L)
    per_row = right.reshape(len(right), -1)
    correct = _sums(counts, per_row.sum(dim=1))  # (B,)
    share = correct / (counts.sum(dim=1) * per_row.shape[1])
    return (1.0 - share if flip else share).numpy()


def _balanced_accuracy(
    inputs: tuple[torch.Tensor, torch.Tensor], task: str, threshold: float, counts: torch.Tensor
) -> np.ndarray:
    preds, targets = inputs
    truth = _truth(targets, task).long()
    right = (_decisions(preds, task, threshold).long() == truth).to(torch.float64)
    classes = _one_hot(truth, 2 if task == "binary" else preds.shape[1])  # (N, C)
    rows = _sums(counts, classes)  # (B, C)
    correct = _sums(counts, classes * right.unsqueeze(1))
    present = rows > 0
    return _masked_mean(correct / rows.clamp(min=1), present)


def _shares(
    inputs: tuple[torch.Tensor, torch.Tensor], task: str, threshold: float, counts: torch.Tensor, name: str
) -> np.ndarray:
    """F1, precision or recall from each resample's true positives, predicted and actual positives per class."""
    preds, targets = inputs
    decisions, truth = _decisions(preds, task, threshold), _truth(targets, task)
    if task == "multiclass":
        actual_rows, decided_rows = _one_hot(truth, preds.shape[1]), _one_hot(decisions, preds.shape[1])
        hit_rows = actual_rows * (decisions == truth).to(torch.float64).unsqueeze(1)
    else:
        decisions, truth = decisions.reshape(len(preds), -1), truth.reshape(len(preds), -1)
        actual_rows, decided_rows, hit_rows = truth, decisions, decisions & truth
    true_positive = _sums(counts, hit_rows)  # (B, C)
    false_positive = _sums(counts, decided_rows) - true_positive
    false_negative = _sums(counts, actual_rows) - true_positive
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


def _log_loss(inputs: tuple[torch.Tensor, torch.Tensor], task: str, counts: torch.Tensor) -> np.ndarray:
    preds, targets = inputs
    probabilities = preds.to(torch.float64)
    if task == "multiclass":
        chosen = probabilities.gather(1, targets.unsqueeze(1)).clamp(LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
        losses = -chosen.log()
    else:
        probabilities = probabilities.clamp(LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
        losses = -torch.where(as_positive(targets), probabilities.log(), (1 - probabilities).log())
    per_row = losses.reshape(len(preds), -1)
    return (_sums(counts, per_row.sum(dim=1)) / (counts.sum(dim=1) * per_row.shape[1])).numpy()


def _roc_auc(inputs: tuple[torch.Tensor, torch.Tensor], task: str, counts: torch.Tensor) -> np.ndarray:
    preds, targets = inputs
    if task == "multiclass":
        positive = targets.unsqueeze(1) == torch.arange(preds.shape[1])
    else:
        positive = as_positive(targets)
    scores, positive = preds.reshape(len(preds), -1), positive.reshape(len(preds), -1)
    per_column = torch.stack(
        [resampled_auc(scores[:, k], positive[:, k], counts) for k in range(scores.shape[1])], dim=1
    )  # (B, K): nan where a resample holds one class of that column
    return _masked_mean(per_column, ~per_column.isnan())


def _target_sums(actual: torch.Tensor, counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each resample's total sum of squares of each target about its mean (B, K) and its row count (B, 1); the
    round-off of a (near-)constant target clamped to zero, as the metric functions do."""
    rows = counts.sum(dim=1, keepdim=True)
    square_sum = _sums(counts, actual.square())
    total = square_sum - _sums(counts, actual).square() / rows
    return torch.where(total <= 1e-12 * square_sum, torch.zeros_like(total), total), rows


def _error(inputs: tuple[torch.Tensor, torch.Tensor], counts: torch.Tensor, root: bool) -> np.ndarray:
    """RMSE or MAE; with several targets, each target's in units of its spread, averaged (see ``rmse``)."""
    preds, targets = inputs
    predicted, actual = preds.to(torch.float64), targets.to(torch.float64)  # (N, K)
    errors = (predicted - actual).abs().pow(2 if root else 1)
    rows = counts.sum(dim=1, keepdim=True)  # (B, 1)
    mean = _sums(counts, errors) / rows  # (B, K)
    per_output = mean.sqrt() if root else mean
    if actual.shape[1] == 1:
        return per_output[:, 0].numpy()
    total, _ = _target_sums(actual, counts)
    spread = (total / rows).sqrt()
    has_spread = spread > 0
    return _masked_mean(per_output / torch.where(has_spread, spread, torch.ones_like(spread)), has_spread)


def _r2(inputs: tuple[torch.Tensor, torch.Tensor], counts: torch.Tensor) -> np.ndarray:
    preds, targets = inputs
    predicted, actual = preds.to(torch.float64), targets.to(torch.float64)  # (N, K)
    total, _ = _target_sums(actual, counts)
    residual = _sums(counts, (actual - predicted).square())
    # A constant target scores 1 if predicted exactly, else 0, as the metric (and scikit-learn) does.
    per_output = torch.where(
        total > 0,
        1 - residual / total.clamp(min=torch.finfo(total.dtype).tiny),
        torch.where(residual == 0, 1.0, 0.0).to(total.dtype),
    )
    return per_output.mean(dim=1).numpy()
