"""Metrics as pure functions: activated predictions and targets in, one Python float out.

Inputs per task (predictions are already activated, i.e. probabilities, not logits):

- ``"binary"``: ``preds`` (N,) probability of the positive class; ``targets`` (N,) of 0/1, float or long.
- ``"multiclass"``: ``preds`` (N, C) class probabilities; ``targets`` (N,) long class indices.
- ``"multilabel"``: ``preds`` (N, L) probabilities; ``targets`` (N, L) of 0/1.
- ``"regression"``: ``preds`` (N,) or (N, K); ``targets`` of the same shape. With K > 1 targets, RMSE and MAE
  are averaged over targets in units of each target's standard deviation (see :func:`rmse`); slice a column
  for one target's value in its own units.

A binary or multilabel decision is ``preds >= threshold`` (0.5 unless told; multilabel may give one threshold
per label, compared column by column), the same rule that decodes predictions; a multiclass decision is the
most probable class. A value that is undefined for the data (AUC with one class present, average precision
without a positive, any metric on zero rows) is returned as ``float('nan')`` rather than raised, so that one odd
validation batch does not stop training. Matthews correlation, whose 0/0 (one class only) scikit-learn scores 0,
is 0 there too.

For imbalanced classes, beside ROC AUC: :func:`average_precision` (compare it with the base rate, a random
ranking's score), :func:`mcc` (decisions: 0 for a model that answers the common class everywhere) and
:func:`brier` (how far the probabilities are from what happened; lower is better).

Example:
    >>> import torch
    >>> accuracy(torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0]), "binary")
    0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trainwell.core.errors import ConfigError
from trainwell.metrics import _stats
from trainwell.metrics._inputs import as_positive, check_inputs, check_threshold
from trainwell.metrics._ranking import column_auc, column_average_precision

#: Probabilities are clipped to ``[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]`` so that a confident miss costs ~34.5, not inf.
LOG_LOSS_EPS = 1e-15

CLASSIFICATION_TASKS: tuple[str, ...] = ("binary", "multiclass", "multilabel")
SINGLE_LABEL_TASKS: tuple[str, ...] = ("binary", "multiclass")
REGRESSION_TASKS: tuple[str, ...] = ("regression",)


def _prepare(
    preds: torch.Tensor, targets: torch.Tensor, task: str, metric: str, fits: tuple[str, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    if task in fits or task not in CLASSIFICATION_TASKS + REGRESSION_TASKS:
        return check_inputs(preds, targets, task, metric)
    raise ConfigError(
        f"metric {metric!r} does not fit a {task} task; it fits: {', '.join(fits)}. Pick a metric for {task}."
    )


def _columns(preds: torch.Tensor) -> tuple[int, int]:
    """Scores as columns: binary (N,) is one column, (N, 1); the width is given, as -1 cannot be read from zero
    rows."""
    return preds.shape[0], preds.shape[1] if preds.dim() == 2 else 1


def accuracy(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Share of right decisions.

    Binary and multiclass: share of rows whose predicted class is right. Multilabel: share of all N * L label
    decisions that are right (Hamming score), not scikit-learn's all-labels-right subset accuracy.
    """
    preds, targets = _prepare(preds, targets, task, "accuracy", CLASSIFICATION_TASKS)
    return _stats.accuracy_value(
        _stats.accuracy_stats(preds, targets, task, check_threshold(threshold, task))
    )


def error_rate(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Share of wrong decisions: ``1 - accuracy`` (same tasks and conventions as :func:`accuracy`)."""
    preds, targets = _prepare(preds, targets, task, "error_rate", CLASSIFICATION_TASKS)
    return 1.0 - _stats.accuracy_value(
        _stats.accuracy_stats(preds, targets, task, check_threshold(threshold, task))
    )


def balanced_accuracy(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Mean over classes of each class's recall (binary and multiclass only).

    Classes absent from ``targets`` have no recall and are left out of the mean, as in scikit-learn.
    """
    preds, targets = _prepare(preds, targets, task, "balanced_accuracy", SINGLE_LABEL_TASKS)
    stats = _stats.balanced_accuracy_stats(preds, targets, task, check_threshold(threshold, task))
    return _stats.balanced_accuracy_value(stats)


def roc_auc(preds: torch.Tensor, targets: torch.Tensor, task: str) -> float:
    """Area under the ROC curve, computed exactly from ranks (ties count half).

    Binary: AUC of the positive-class probability. Multiclass: one-vs-rest AUC of each class, macro-averaged.
    Multilabel: AUC of each label, macro-averaged. In the multiclass and multilabel cases classes or labels
    whose targets hold only one value are left out of the mean (scikit-learn raises instead).

    Returns:
        The AUC, or ``nan`` when no class (binary: the data) has both a positive and a negative row.
    """
    preds, targets = _prepare(preds, targets, task, "roc_auc", CLASSIFICATION_TASKS)
    if preds.device.type == "mps":
        # Ranking works in float64, which MPS lacks; AUC runs once per epoch, so the copy is cheap.
        preds, targets = preds.cpu(), targets.cpu()
    if task == "multiclass":
        classes = torch.arange(preds.shape[1], device=preds.device)
        positive = targets.unsqueeze(1) == classes
    else:
        positive = as_positive(targets)
    shape = _columns(preds)
    per_column = column_auc(preds.reshape(shape), positive.reshape(shape))
    defined = per_column[~per_column.isnan()]
    return float(defined.mean()) if defined.numel() > 0 else float("nan")


def average_precision(preds: torch.Tensor, targets: torch.Tensor, task: str) -> float:
    """Average precision: the area under the precision-recall curve, scikit-learn's ``average_precision_score``.

    Going down the distinct scores, each step adds the share of the positives it reaches times the precision of
    flagging every row scored at or above it (a step sum, no interpolation; tied scores form one step). A random
    ranking scores about the base rate (the share of positives), a perfect one 1: on rare positives it says more
    than ROC AUC, which rows of the common class flatter.

    Binary: of the positive-class probability. Multiclass: one-vs-rest average precision of each class,
    macro-averaged. Multilabel: of each label, macro-averaged. Classes or labels without a positive row are left
    out of the mean (scikit-learn scores them 0 with a warning).

    Returns:
        The average precision, or ``nan`` when no class (binary: the data) has a positive row.
    """
    preds, targets = _prepare(preds, targets, task, "average_precision", CLASSIFICATION_TASKS)
    if preds.device.type == "mps":  # float64, which MPS lacks, as roc_auc
        preds, targets = preds.cpu(), targets.cpu()
    if task == "multiclass":
        positive = targets.unsqueeze(1) == torch.arange(preds.shape[1], device=preds.device)
    else:
        positive = as_positive(targets)
    shape = _columns(preds)
    per_column = column_average_precision(preds.reshape(shape), positive.reshape(shape))
    defined = per_column[~per_column.isnan()]
    return float(defined.mean()) if defined.numel() > 0 else float("nan")


def mcc(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Matthews correlation coefficient of the decisions, in [-1, 1]: 0 = no better than chance, 1 = perfect.

    It weighs all four cells of the confusion matrix, so a model that answers the common class for every row
    scores 0, however high its accuracy. Binary: ``(tp tn - fp fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn))``.
    Multiclass: the multiclass generalisation (Gorodkin's R_K), as scikit-learn's ``matthews_corrcoef``.
    Multilabel: each label's binary MCC, averaged over labels. Where the denominator is 0 (one class only in
    the targets or in the decisions) the value is 0, as in scikit-learn.
    """
    preds, targets = _prepare(preds, targets, task, "mcc", CLASSIFICATION_TASKS)
    stats = _stats.f1_stats(preds, targets, task, check_threshold(threshold, task))
    return _stats.mcc_value(stats, task)


def brier(preds: torch.Tensor, targets: torch.Tensor, task: str) -> float:
    """Brier score: the mean squared error of the probabilities (lower is better, 0 = perfect).

    Binary: mean of ``(p - y)²`` over rows, in [0, 1] (scikit-learn's ``brier_score_loss``; always answering
    the base rate ``r`` scores ``r (1 - r)``). Multiclass: Brier's original definition, the sum over classes of
    ``(p_k - y_k)²`` with ``y`` the one-hot truth, averaged over rows, in [0, 2] (scikit-learn's multiclass
    ``brier_score_loss``; for two classes it is twice the binary figure). Multilabel: mean of ``(p - y)²`` over
    all N * L label decisions, i.e. each label's binary Brier score averaged over labels.
    """
    preds, targets = _prepare(preds, targets, task, "brier", CLASSIFICATION_TASKS)
    return _stats.brier_value(_stats.brier_stats(preds, targets, task))


def f1(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """F1 score, the harmonic mean of precision and recall.

    Binary: F1 of the positive class. Multiclass: macro mean over the classes present in the targets or the
    predictions. Multilabel: macro mean over all labels. A label with no true and no predicted positive
    scores 0, as in scikit-learn's default.
    """
    preds, targets = _prepare(preds, targets, task, "f1", CLASSIFICATION_TASKS)
    return _stats.f1_value(_stats.f1_stats(preds, targets, task, check_threshold(threshold, task)), task)


def f1_micro(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Micro-averaged F1 of multi-label decisions: every (row, label) decision pooled into one count of hits,
    false alarms and misses (scikit-learn's ``f1_score(average="micro")``)."""
    preds, targets = _prepare(preds, targets, task, "f1_micro", ("multilabel",))
    return _stats.micro_f1_value(_stats.f1_stats(preds, targets, task, check_threshold(threshold, task)))


def f1_samples(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Sample-averaged F1 of multi-label decisions: each row's F1 between its labels and the model's, averaged
    over rows (scikit-learn's ``f1_score(average="samples")``; a row with no label given none scores 0)."""
    preds, targets = _prepare(preds, targets, task, "f1_samples", ("multilabel",))
    return _stats.row_f1_value(_stats.row_f1_stats(preds, targets, check_threshold(threshold, task)))


def precision(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Share of the rows flagged positive that are positive, ``tp / (tp + fp)``.

    Binary: of the positive class. Multiclass: macro mean over the classes present in the targets or the
    predictions. Multilabel: macro mean over all labels. A class never predicted scores 0, as in scikit-learn.
    """
    preds, targets = _prepare(preds, targets, task, "precision", CLASSIFICATION_TASKS)
    stats = _stats.f1_stats(preds, targets, task, check_threshold(threshold, task))
    return _stats.share_value(stats, task, "false_positive")


def recall(
    preds: torch.Tensor, targets: torch.Tensor, task: str, threshold: float | Sequence[float] = 0.5
) -> float:
    """Share of the positive rows that are flagged, ``tp / (tp + fn)`` (sensitivity).

    Binary: of the positive class. Multiclass: macro mean over the classes present in the targets or the
    predictions. Multilabel: macro mean over all labels. A class never present scores 0, as in scikit-learn.
    """
    preds, targets = _prepare(preds, targets, task, "recall", CLASSIFICATION_TASKS)
    stats = _stats.f1_stats(preds, targets, task, check_threshold(threshold, task))
    return _stats.share_value(stats, task, "false_negative")


def log_loss(preds: torch.Tensor, targets: torch.Tensor, task: str, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log of the probability given to the true answer (natural log).

    Binary: mean binary cross-entropy. Multiclass: mean of ``-log p[target]``. Multilabel: mean binary
    cross-entropy over all N * L label decisions. Probabilities are clipped to ``[eps, 1 - eps]``.
    """
    preds, targets = _prepare(preds, targets, task, "log_loss", CLASSIFICATION_TASKS)
    return _stats.log_loss_value(_stats.log_loss_stats(preds, targets, task, eps))


def rmse(preds: torch.Tensor, targets: torch.Tensor, task: str = "regression") -> float:
    """Root mean squared error, in the target's units.

    With several outputs (N, K) the errors of different targets are in different units, so they are not
    pooled: the result is each output's RMSE divided by that output's standard deviation over the same rows
    (ddof 0), averaged over outputs, i.e. the mean of ``sqrt(1 - R²_k)`` (0 = perfect, 1 = no better than
    predicting the mean). Outputs whose targets are all equal are left out of that mean. Each output's RMSE in
    its own units is ``rmse(preds[:, k], targets[:, k])``.
    """
    preds, targets = _prepare(preds, targets, task, "rmse", REGRESSION_TASKS)
    return _stats.error_value(_stats.error_stats(preds, targets, power=2), root=True)


def mae(preds: torch.Tensor, targets: torch.Tensor, task: str = "regression") -> float:
    """Mean absolute error, in the target's units.

    With several outputs, as :func:`rmse`: each output's MAE divided by its standard deviation, averaged
    over outputs; ``mae(preds[:, k], targets[:, k])`` is output ``k``'s MAE in its units.
    """
    preds, targets = _prepare(preds, targets, task, "mae", REGRESSION_TASKS)
    return _stats.error_value(_stats.error_stats(preds, targets, power=1), root=False)


def r2(preds: torch.Tensor, targets: torch.Tensor, task: str = "regression") -> float:
    """Coefficient of determination; with several outputs, the uniform mean of each output's R².

    That is scikit-learn's ``r2_score`` with ``multioutput="uniform_average"``; ``r2(preds[:, k],
    targets[:, k])`` is output ``k``'s own. An output whose target is constant scores 1 if predicted exactly,
    else 0 (as scikit-learn does). The sums are kept in float64; targets whose mean is more than ~1e6 times
    their spread lose precision.
    """
    preds, targets = _prepare(preds, targets, task, "r2", REGRESSION_TASKS)
    return _stats.r2_value(_stats.r2_stats(preds, targets))
