"""Sufficient statistics for each metric, and the metric value computed from them.

Every metric is split in two: ``*_stats(preds, targets, ...)`` turns one batch into a dict of tensors that
can be summed across batches and processes, and ``*_value(stats)`` turns the (summed) dict into a float.
The functional API runs both on one batch; the accumulating :class:`~trainwell.metrics.Metric` sums the
first over batches and calls the second once. So both give the same number by construction.

The ``*_stats`` functions never read a value back to the host (no ``.item()``, no ``bincount``, whose output
size depends on the data): they are safe to call every batch on an accelerator. Inputs are already checked
and in canonical form (see :func:`trainwell.metrics._inputs.check_inputs`).
"""

from __future__ import annotations

import torch

from trainwell.core.errors import DataError
from trainwell.metrics._inputs import Threshold, accumulation_dtype, as_positive

Stats = dict[str, torch.Tensor]
_NAN = float("nan")


def _count(like: torch.Tensor, count: int) -> torch.Tensor:
    # new_full fills on the device itself: no host-to-device copy.
    return like.new_full((), count, dtype=accumulation_dtype(like.device))


def _class_counts(indices: torch.Tensor, weights: torch.Tensor, n_classes: int) -> torch.Tensor:
    totals = torch.zeros(n_classes, dtype=weights.dtype, device=weights.device)
    return totals.scatter_add_(0, indices, weights)


def _decisions(preds: torch.Tensor, task: str, threshold: Threshold) -> torch.Tensor:
    """Predicted class indices (multiclass) or positive/negative decisions (binary, multilabel; per-label
    thresholds compare column by column)."""
    if task == "multiclass":
        return preds.argmax(dim=1)
    if isinstance(threshold, tuple):
        if preds.ndim != 2 or preds.shape[1] != len(threshold):
            raise DataError(
                f"{len(threshold)} per-label thresholds for predictions of shape {tuple(preds.shape)}; "
                "give one threshold per label (output column)"
            )
        return preds >= torch.tensor(threshold, dtype=preds.dtype, device=preds.device)
    return preds >= threshold


def _truth(targets: torch.Tensor, task: str) -> torch.Tensor:
    return targets if task == "multiclass" else as_positive(targets)


def accuracy_stats(preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: Threshold) -> Stats:
    """Right decisions and decisions made (multilabel: every label of every row is one decision)."""
    right = _decisions(preds, task, threshold) == _truth(targets, task)
    dtype = accumulation_dtype(preds.device)
    return {"correct": right.sum(dtype=dtype), "total": _count(preds, right.numel())}


def accuracy_value(stats: Stats) -> float:
    total = float(stats["total"])
    return float(stats["correct"]) / total if total > 0 else _NAN


def balanced_accuracy_stats(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: Threshold
) -> Stats:
    """Per class (binary: negative, positive): rows of that class, and those of them predicted right."""
    dtype = accumulation_dtype(preds.device)
    truth = _truth(targets, task).long()
    right = (_decisions(preds, task, threshold).long() == truth).to(dtype)
    n_classes = 2 if task == "binary" else preds.shape[1]
    return {
        "class_rows": _class_counts(truth, torch.ones_like(right), n_classes),
        "class_correct": _class_counts(truth, right, n_classes),
    }


def balanced_accuracy_value(stats: Stats) -> float:
    rows, correct = stats["class_rows"], stats["class_correct"]
    present = rows > 0
    # Classes absent from the targets have no recall; like scikit-learn we leave them out of the mean.
    if rows.dim() == 0 or not bool(present.any()):
        return _NAN
    return float((correct[present] / rows[present]).mean())


def f1_stats(preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: Threshold) -> Stats:
    """True positives, false positives and false negatives per class (binary: of the positive class)."""
    dtype = accumulation_dtype(preds.device)
    decisions, truth = _decisions(preds, task, threshold), _truth(targets, task)
    if task == "multiclass":
        n_classes = preds.shape[1]
        ones = torch.ones(truth.shape, dtype=dtype, device=preds.device)
        true_positive = _class_counts(truth, (decisions == truth).to(dtype), n_classes)
        predicted = _class_counts(decisions, ones, n_classes)
        actual = _class_counts(truth, ones, n_classes)
    else:
        # Binary (N,) and multilabel (N, L) alike: count over rows, keep one entry per label.
        # (N, 1) or (N, L); the width given, since -1 cannot be read from zero rows.
        shape = (preds.shape[0], preds.shape[1] if preds.dim() == 2 else 1)
        decisions, truth = decisions.reshape(shape), truth.reshape(shape)
        true_positive = (decisions & truth).sum(dim=0, dtype=dtype)
        predicted = decisions.sum(dim=0, dtype=dtype)
        actual = truth.sum(dim=0, dtype=dtype)
    return {
        "true_positive": true_positive,
        "false_positive": predicted - true_positive,
        "false_negative": actual - true_positive,
        "rows": _count(preds, preds.shape[0]),
    }


def row_f1_stats(preds: torch.Tensor, targets: torch.Tensor, threshold: Threshold) -> Stats:
    """The sum of each row's F1 between its labels and the multi-label decisions, and the rows: a row with no
    label and none given scores 0, as scikit-learn's ``f1_score(average="samples")`` does by default."""
    dtype = accumulation_dtype(preds.device)
    decisions, truth = _decisions(preds, "multilabel", threshold), _truth(targets, "multilabel")
    shape = (preds.shape[0], preds.shape[1] if preds.dim() == 2 else 1)
    decisions, truth = decisions.reshape(shape), truth.reshape(shape)
    hits = (decisions & truth).sum(dim=1, dtype=dtype)
    denominator = decisions.sum(dim=1, dtype=dtype) + truth.sum(dim=1, dtype=dtype)
    per_row = torch.where(denominator > 0, 2 * hits / denominator.clamp(min=1), 0.0)
    return {"f1_sum": per_row.sum(dtype=dtype), "rows": _count(preds, preds.shape[0])}


def row_f1_value(stats: Stats) -> float:
    rows = float(stats["rows"])
    return float(stats["f1_sum"]) / rows if rows else _NAN


def micro_f1_value(stats: Stats) -> float:
    """Micro-averaged F1 from :func:`f1_stats`' counts: every label decision pooled."""
    if float(stats["rows"]) == 0:
        return _NAN
    hits = float(stats["true_positive"].sum())
    wrong = float(stats["false_positive"].sum() + stats["false_negative"].sum())
    return 2 * hits / (2 * hits + wrong) if hits or wrong else 0.0


def f1_value(stats: Stats, task: str) -> float:
    if float(stats["rows"]) == 0:
        return _NAN
    true_positive = stats["true_positive"]
    denominator = 2 * true_positive + stats["false_positive"] + stats["false_negative"]
    # A class never present and never predicted has F1 = 0/0. scikit-learn scores it 0 for binary and
    # multilabel, and leaves it out of a multiclass macro mean (its labels are those seen); we do the same.
    per_class = torch.where(denominator > 0, 2 * true_positive / denominator.clamp(min=1), 0.0)
    if task == "multiclass":
        per_class = per_class[denominator > 0]
    return float(per_class.mean())


def share_value(stats: Stats, task: str, missed: str) -> float:
    """Precision (``missed="false_positive"``) or recall (``"false_negative"``) from :func:`f1_stats`' counts:
    ``tp / (tp + missed)`` of the positive class (binary), macro-averaged over labels (multilabel) or over the
    classes present in the targets or the predictions (multiclass), as scikit-learn's ``precision_score`` and
    ``recall_score``; a class with ``tp + missed == 0`` scores 0, as their default ``zero_division`` does."""
    if float(stats["rows"]) == 0:
        return _NAN
    true_positive = stats["true_positive"]
    denominator = true_positive + stats[missed]
    per_class = torch.where(denominator > 0, true_positive / denominator.clamp(min=1), 0.0)
    if task == "multiclass":
        seen = (true_positive + stats["false_positive"] + stats["false_negative"]) > 0
        per_class = per_class[seen]
    return float(per_class.mean()) if per_class.numel() else _NAN


def mcc_from_counts(
    true_positive: torch.Tensor,
    false_positive: torch.Tensor,
    false_negative: torch.Tensor,
    rows: torch.Tensor | float,
    task: str,
) -> torch.Tensor:
    """Matthews correlation from per-class counts (..., C) over ``rows`` rows -> (...): the correlation between
    the true and the predicted one-hot classes, in [-1, 1] (0 = no better than chance, 1 = perfect).

    Multiclass: Gorodkin's R_K, scikit-learn's ``matthews_corrcoef``, ``(c s - t.p) / sqrt((s² - t.t)(s² - p.p))``
    with ``t`` and ``p`` each class's true and predicted rows, ``c`` the right ones and ``s`` all rows. Binary: the
    usual ``(tp tn - fp fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn))`` (the same number for two classes); multilabel:
    each label's, averaged over labels. Where the denominator is 0 (one class in the targets or in the
    decisions) the value is 0, as scikit-learn scores it.
    """
    if task == "multiclass":
        actual, predicted = true_positive + false_negative, true_positive + false_positive
        covariance = true_positive.sum(dim=-1) * rows - (actual * predicted).sum(dim=-1)
        spreads = (rows * rows - actual.square().sum(dim=-1)) * (rows * rows - predicted.square().sum(dim=-1))
        return torch.where(
            spreads > 0, covariance / spreads.clamp(min=1).sqrt(), torch.zeros_like(covariance)
        )
    true_negative = rows - true_positive - false_positive - false_negative
    numerator = true_positive * true_negative - false_positive * false_negative
    spreads = (
        (true_positive + false_positive)
        * (true_positive + false_negative)
        * (true_negative + false_positive)
        * (true_negative + false_negative)
    )
    per_label = torch.where(spreads > 0, numerator / spreads.clamp(min=1).sqrt(), torch.zeros_like(numerator))
    return per_label.mean(dim=-1)


def mcc_value(stats: Stats, task: str) -> float:
    """Matthews correlation from :func:`f1_stats`' counts (see :func:`mcc_from_counts`); ``nan`` on no rows."""
    rows = stats["rows"]
    if float(rows) == 0:
        return _NAN
    counts = stats["true_positive"], stats["false_positive"], stats["false_negative"]
    return float(mcc_from_counts(*counts, rows, task))


def brier_errors(probabilities: torch.Tensor, targets: torch.Tensor, task: str) -> torch.Tensor:
    """Each row's squared error of its probabilities: multiclass (N,), the sum over classes of ``(p_k - y_k)²``
    with ``y`` the one-hot truth; binary (N,) and multilabel (N, L), ``(p - y)²`` of each decision."""
    if task == "multiclass":
        truth = torch.nn.functional.one_hot(targets, probabilities.shape[1]).to(probabilities.dtype)
        return (probabilities - truth).square().sum(dim=1)
    return (probabilities - as_positive(targets).to(probabilities.dtype)).square()


def brier_stats(preds: torch.Tensor, targets: torch.Tensor, task: str) -> Stats:
    """Summed squared errors of the probabilities (:func:`brier_errors`) and how many were summed."""
    errors = brier_errors(preds.to(accumulation_dtype(preds.device)), targets, task)
    return {"squared_error_sum": errors.sum(), "count": _count(preds, errors.numel())}


def brier_value(stats: Stats) -> float:
    count = float(stats["count"])
    return float(stats["squared_error_sum"]) / count if count > 0 else _NAN


def log_loss_stats(preds: torch.Tensor, targets: torch.Tensor, task: str, eps: float) -> Stats:
    """Summed negative log-likelihood of the true answers, and how many answers were scored."""
    dtype = accumulation_dtype(preds.device)
    probabilities = preds.to(dtype)
    if task == "multiclass":
        chosen = probabilities.gather(1, targets.unsqueeze(1)).clamp(eps, 1 - eps)
        losses = -chosen.log()
    else:
        probabilities = probabilities.clamp(eps, 1 - eps)
        positive = as_positive(targets)
        losses = -torch.where(positive, probabilities.log(), (1 - probabilities).log())
    return {"loss_sum": losses.sum(), "count": _count(preds, losses.numel())}


def log_loss_value(stats: Stats) -> float:
    count = float(stats["count"])
    return float(stats["loss_sum"]) / count if count > 0 else _NAN


def error_stats(preds: torch.Tensor, targets: torch.Tensor, power: int) -> Stats:
    """Per output (K,): summed ``|error| ** power``, sum of targets and of squared targets; and the row count.

    The target sums give each target's spread, which puts the errors of several targets on one scale.
    """
    dtype = accumulation_dtype(preds.device)
    predicted, actual = preds.to(dtype), targets.to(dtype)
    errors = (predicted - actual).abs().pow(power)  # (N, K)
    # One output: a whole-tensor sum, bit for bit the number single-target results have always had.
    error_sum = errors.sum().reshape(1) if errors.shape[1] == 1 else errors.sum(dim=0)
    return {
        "error_sum": error_sum,
        "target_sum": actual.sum(dim=0),
        "target_square_sum": actual.square().sum(dim=0),
        "rows": _count(preds, preds.shape[0]),
    }


def error_per_output(stats: Stats, root: bool) -> torch.Tensor:
    """Each output's mean ``|error| ** power`` (its root when ``root``), in that output's units: (K,)."""
    rows = float(stats["rows"])
    if rows == 0:
        return torch.full((max(1, stats["error_sum"].numel()),), _NAN, dtype=torch.float64)
    mean = stats["error_sum"] / rows
    return mean.sqrt() if root else mean


def error_value(stats: Stats, root: bool) -> float:
    """One output: its mean ``|error| ** power`` (rooted when ``root``), in its units, as always.

    Several outputs: each output's error divided by that output's standard deviation over the same rows
    (population, ddof 0), averaged over outputs. Errors in different units (dollars, square metres) cannot
    be added up; in standard deviations they can, and no target dominates because its numbers are larger.
    For RMSE the ratio is ``sqrt(1 - R²)`` of that output: 0 is perfect, 1 no better than predicting the
    mean. Outputs whose targets are all equal have no spread and are left out; none left gives ``nan``.
    """
    rows = float(stats["rows"])
    if rows == 0:
        return _NAN
    error_sum = stats["error_sum"]
    if error_sum.numel() == 1:
        mean = float(error_sum.reshape(-1)[0]) / rows
        return mean**0.5 if root else mean
    spread = (_total_squares(stats) / rows).sqrt()
    has_spread = spread > 0
    if not bool(has_spread.any()):
        return _NAN
    scaled = error_per_output(stats, root)[has_spread] / spread[has_spread]
    return float(scaled.mean())


def r2_stats(preds: torch.Tensor, targets: torch.Tensor) -> Stats:
    """Per output (K,): sum of targets, of squared targets and of squared residuals; and the row count."""
    dtype = accumulation_dtype(preds.device)
    predicted, actual = preds.to(dtype), targets.to(dtype)
    return {
        "target_sum": actual.sum(dim=0),
        "target_square_sum": actual.square().sum(dim=0),
        "residual_square_sum": (actual - predicted).square().sum(dim=0),
        "rows": _count(preds, preds.shape[0]),
    }


def _total_squares(stats: Stats) -> torch.Tensor:
    """Each output's total sum of squares about its mean, from running sums: (K,).

    The round-off of a (near-)constant target is clamped to exactly zero.
    """
    square_sum = stats["target_square_sum"]
    total = square_sum - stats["target_sum"].square() / float(stats["rows"])
    return torch.where(total <= 1e-12 * square_sum, torch.zeros_like(total), total)


def r2_per_output(stats: Stats) -> torch.Tensor:
    """Each output's R² (K,); ``nan`` when no row was seen."""
    rows = float(stats["rows"])
    if rows == 0:
        return torch.full((max(1, stats["target_sum"].numel()),), _NAN, dtype=torch.float64)
    residual = stats["residual_square_sum"]
    total = _total_squares(stats)
    # Constant target: scikit-learn scores a perfect fit 1 and anything else 0 rather than -inf.
    return torch.where(
        total > 0,
        1 - residual / total.clamp(min=torch.finfo(total.dtype).tiny),
        torch.where(residual == 0, 1.0, 0.0).to(total.dtype),
    )


def r2_value(stats: Stats) -> float:
    """R² averaged uniformly over outputs (scikit-learn's ``multioutput="uniform_average"``)."""
    if float(stats["rows"]) == 0:
        return _NAN
    return float(r2_per_output(stats).mean())
