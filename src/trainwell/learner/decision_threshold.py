"""A binary classifier's decision threshold, chosen on the validation rows or given, at the end of a fit.

Every binary model decides "positive" where the probability reaches ``task.threshold``; 0.5 unless the fit
was asked otherwise. On imbalanced data 0.5 is seldom the best cut: on bank marketing (11% positives) the same
boosted trees score test F1 0.544 at 0.5 and 0.625 at 0.30. ``fit_table(..., decision_threshold="f1")``
(``trainwell fit --decision-threshold f1``) chooses the threshold that maximises F1 (or balanced accuracy,
MCC, accuracy) on the validation rows; a number sets it. The threshold goes into the task, so the test set,
the model directory, ``predict``, ``serve`` and an exported model decide with it.

Scored again on the rows it was chosen on, a threshold metric flatters the model: the note says so, and gives
a cross-fitted figure (the threshold chosen on one half of the rows, scored on the other) beside it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainwell.core.errors import ConfigError

__all__ = [
    "DECISION_METRICS",
    "DecisionThreshold",
    "best_threshold",
    "check_decision_threshold",
    "choose_decision_threshold",
    "decision_threshold_setting",
    "set_decision_threshold",
]

#: The metrics a threshold can be chosen for, by name.
DECISION_METRICS = ("f1", "balanced_accuracy", "mcc", "accuracy")
#: Chosen thresholds stay inside this range (a model directory needs one strictly between 0 and 1).
LOWEST, HIGHEST = 1e-3, 1 - 1e-3
#: Where a fixed threshold is given, the figure its note shows at 0.5 and at it.
SHOWN_FOR_A_NUMBER = "f1"
#: Options of the command line whose names are not the keyword with dashes.
_OPTIONS = {"tune_thresholds": "--label-thresholds"}


@dataclass(frozen=True)
class DecisionThreshold:
    """What setting the decision threshold did, on the validation rows.

    Attributes:
        threshold: the threshold the model now decides at.
        metric: the metric it was chosen for; ``None`` when it was given as a number.
        n_rows: validation rows (0 without any: no figures then).
        at_half: ``metric`` (F1 for a given number) on them at 0.5, as during training.
        at_threshold: the same at ``threshold``; for a chosen one, on the rows it was chosen on (optimistic).
        cross_fitted: for a chosen one, ``metric`` with each half of the rows decided at the threshold chosen on
            the other half (an honest estimate); ``None`` otherwise, or where a half has no positive.
    """

    threshold: float
    metric: str | None
    n_rows: int
    at_half: float | None = None
    at_threshold: float | None = None
    cross_fitted: float | None = None

    def note(self, test_given: bool = False) -> str:
        """One line for the fit's output; ``test_given``: a test set is scored after it."""
        shown = self.metric or SHOWN_FOR_A_NUMBER
        figures = (
            f"{shown} on the {self.n_rows:,} validation rows {self.at_half:.4f} at 0.5 -> {self.at_threshold:.4f} "
            f"at {self.threshold:g}"
            if self.at_half is not None and self.at_threshold is not None
            else ""
        )
        if self.metric is None:
            return f"decision threshold {self.threshold:g} (given)" + (f": {figures}" if figures else "")
        honest = (
            f"chosen on one half of them and scored on the other, {shown} is {self.cross_fitted:.4f}; "
            if self.cross_fitted is not None
            else ""
        )
        judge = "the test set's figures are honest" if test_given else "judge the model on a test set"
        return (
            f"decision threshold {self.threshold:g}, chosen for the best {self.metric}: {figures}. Measured on the "
            f"rows it was chosen on, those figures (and the table's) flatter the model: {honest}{judge}"
        )


def decision_threshold_setting(value: str | float | None) -> str | float | None:
    """``value`` as a setting: ``None``; a threshold strictly between 0 and 1 (a number, or its text, ``"0.3"``);
    or the name of a metric to choose it for (:data:`DECISION_METRICS`; ``"F1"``, ``"balanced-accuracy"``).

    Raises:
        ConfigError: for anything else, naming what is accepted.
    """
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            name = text.lower().replace("-", "_")
            if name in DECISION_METRICS:
                return name
            raise ConfigError.worded(
                lambda say: (
                    f"{say('decision_threshold', value)} is neither a metric to choose the threshold for "
                    f"({', '.join(DECISION_METRICS)}) nor a number between 0 and 1; e.g. "
                    f"{say('decision_threshold', 'f1')} or {say('decision_threshold', 0.3)}"
                )
            ) from None
    if not 0 < number < 1:  # NaN fails too
        raise ConfigError.worded(
            lambda say: (
                f"{say('decision_threshold', value)}: a threshold must lie strictly between 0 and 1 (a row is "
                f"called positive where its probability reaches it); e.g. {say('decision_threshold', 0.3)}, "
                f"or {say('decision_threshold', 'f1')} to choose it on the validation rows"
            )
        )
    return number


def check_decision_threshold(value: str | float | None, task: Any, has_validation: bool = True) -> None:
    """Refuse ``value`` (already a :func:`decision_threshold_setting`) before training where it cannot apply:
    a task that is not binary (multi-label: each label's threshold is chosen by ``tune_thresholds``,
    ``--label-thresholds``), or a metric to choose for without validation rows to choose on."""
    if value is None:
        return
    if task.kind != "binary":
        target = ", ".join(map(str, task.target_names)) or "the target"
        multilabel = task.kind == "multilabel"
        raise ConfigError.worded(
            lambda say: (
                f"{say('decision_threshold')} is for binary targets (two classes); target '{target}' is "
                f"{task.kind}: drop it"
                + (
                    f"; a multi-label model gets a threshold per label, chosen on the validation rows by "
                    f"{say('tune_thresholds')} (on by default)"
                    if multilabel
                    else ""
                )
            ),
            _OPTIONS,
        )
    if isinstance(value, str) and not has_validation:
        raise ConfigError.worded(
            lambda say: (
                f"{say('decision_threshold', value)} chooses the threshold on the validation rows, and this fit "
                f"has none (valid_pct 0): keep some, or give the threshold as a number, e.g. "
                f"{say('decision_threshold', 0.3)}"
            )
        )


def best_threshold(probabilities: Any, targets: Any, metric: str = "f1") -> tuple[float, float]:
    """The threshold that maximises ``metric`` of a binary classifier on these rows, and that value (exact, one
    sort). Rows are called positive where their probability reaches the threshold; it lies halfway between the
    lowest probability called positive and the next one down, so that rows alike fall on the same side. Of
    thresholds that score alike, the one nearest 0.5 is kept. ``(0.5, nan)`` with fewer than two different
    probabilities, or without both classes.

    >>> best_threshold([0.875, 0.5, 0.25, 0.125], [1, 1, 0, 0])
    (0.375, 1.0)
    """
    scores = np.asarray(_numbers(probabilities), dtype=np.float64).reshape(-1)
    truth = np.asarray(_numbers(targets), dtype=np.float64).reshape(-1) > 0.5
    positives = int(truth.sum())
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0 or len(np.unique(scores)) < 2:
        return 0.5, math.nan
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], truth[order]
    tp = np.cumsum(hits)[:-1].astype(np.float64)  # k = 1 .. N-1 rows called positive
    called = np.arange(1, len(ordered), dtype=np.float64)
    values = _from_counts(metric, tp, called - tp, positives, negatives)
    cuts = ordered[:-1] > ordered[1:]  # only between different probabilities
    thresholds = np.clip((ordered[:-1] + ordered[1:]) / 2, LOWEST, HIGHEST)
    values = np.where(cuts, values, -np.inf)
    best = values.max()
    tied = np.flatnonzero(values >= best - 1e-12)
    chosen = tied[np.argmin(np.abs(thresholds[tied] - 0.5))]
    return float(thresholds[chosen]), float(best)


def cross_fitted(probabilities: Any, targets: Any, metric: str = "f1", seed: int = 0) -> float | None:
    """``metric`` with each half of the rows (drawn at random with ``seed``) decided at the threshold
    :func:`best_threshold` chooses on the other half: what choosing on held-out rows scores. ``None`` where a
    half lacks a class."""
    scores = np.asarray(_numbers(probabilities), dtype=np.float64).reshape(-1)
    truth = np.asarray(_numbers(targets), dtype=np.float64).reshape(-1) > 0.5
    order = np.random.default_rng(seed).permutation(len(scores))
    halves = order[: len(order) // 2], order[len(order) // 2 :]
    decided = np.zeros(len(scores), dtype=bool)
    for chosen_on, scored in (halves, halves[::-1]):
        threshold, value = best_threshold(scores[chosen_on], truth[chosen_on], metric)
        if math.isnan(value):
            return None
        decided[scored] = scores[scored] >= threshold
    tp = float((decided & truth).sum())
    return float(
        _from_counts(metric, np.array([tp]), np.array([float(decided.sum()) - tp]), int(truth.sum()),
                     int((~truth).sum()))[0]
    )  # fmt: skip


def set_decision_threshold(learn: Any, threshold: float) -> None:
    """Make ``learn`` decide at ``threshold``: its task and its data's, and the registry's metrics rebuilt with
    it (a metric of your own keeps its object), so that the test set is scored as the model will decide."""
    from trainwell.learner.label_thresholds import _registered
    from trainwell.metrics.registry import get_metric

    task = dataclasses.replace(learn.task, threshold=float(threshold))
    learn.task = task
    if getattr(learn, "data", None) is not None:
        learn.data.task = task
    learn.metrics = [
        get_metric(metric.name, task.kind, threshold=task.decision_threshold, classes=task.classes)
        if _registered(metric)
        else metric
        for metric in learn.metrics
    ]


def choose_decision_threshold(
    learn: Any, setting: str | float | None, *, seed: int = 0, progress: bool = True
) -> DecisionThreshold | None:
    """Set a binary ``learn``'s decision threshold from ``setting`` (:func:`decision_threshold_setting`): a metric's
    name chooses it on the validation rows, a number sets it. Says what it did in one line on stderr (with
    ``progress``), kept as ``learn.decision_threshold`` too. ``None`` (nothing done) for ``setting=None``.

    A chosen threshold makes ``learn.validate()`` on the rows it was chosen on warn that its figures flatter
    the model (:func:`~trainwell.learner.label_thresholds.warn_in_sample_thresholds`).
    """
    setting = decision_threshold_setting(setting)
    if setting is None:
        return None
    valid = getattr(learn.data, "valid", None)
    check_decision_threshold(setting, learn.task, has_validation=valid is not None)
    probabilities = targets = None
    if valid is not None:
        from trainwell.learner.kept_predictions import validation_predictions

        found, truth = validation_predictions(learn)  # the fit's last pass's, when it kept them
        if truth is not None and len(found):
            probabilities, targets = found.float().cpu().reshape(-1), truth.float().cpu().reshape(-1)
    if isinstance(setting, str):
        if probabilities is None or targets is None:
            raise ConfigError("no validation predictions to choose the decision threshold on")
        # 3 significant digits: a threshold to read and to write (0.356, not 0.355598)
        threshold = float(f"{best_threshold(probabilities, targets, setting)[0]:.3g}")
        metric: str | None = setting
    else:
        threshold, metric = setting, None
    set_decision_threshold(learn, threshold)
    summary = DecisionThreshold(threshold, metric, 0 if probabilities is None else len(probabilities))
    if probabilities is not None and targets is not None:
        summary = _with_figures(summary, probabilities, targets, seed)
        if metric is not None:  # validate() on these very rows warns, and names the honest figures
            shown = f"{metric}_tuned"
            learn.thresholds_chosen_on = valid
            learn.threshold_figures = {
                **({shown: summary.cross_fitted} if summary.cross_fitted is not None else {}),
                **({f"{metric} at 0.5": summary.at_half} if summary.at_half is not None else {}),
            }
    learn.decision_threshold = summary
    if progress:
        _say(summary.note(test_given=getattr(learn.data, "test", None) is not None))
    return summary


def _with_figures(
    summary: DecisionThreshold, probabilities: Any, targets: Any, seed: int
) -> DecisionThreshold:
    from trainwell.metrics import functional

    name = summary.metric or SHOWN_FOR_A_NUMBER
    function = getattr(functional, name)

    def at(threshold: float) -> float:
        return float(function(probabilities, targets, "binary", threshold))

    return dataclasses.replace(
        summary,
        at_half=at(0.5),
        at_threshold=at(summary.threshold),
        cross_fitted=cross_fitted(probabilities, targets, name, seed) if summary.metric is not None else None,
    )


def _from_counts(metric: str, tp: np.ndarray, fp: np.ndarray, positives: int, negatives: int) -> np.ndarray:
    """``metric`` from the true and false positives of each cut (arrays), with the rows' class counts."""
    fn, tn = positives - tp, negatives - fp
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "f1":
            return np.asarray(2 * tp / (tp + fp + positives))
        if metric == "balanced_accuracy":
            return np.asarray((tp / positives + tn / negatives) / 2)
        if metric == "accuracy":
            return np.asarray((tp + tn) / (positives + negatives))
        if metric == "mcc":
            denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
            return np.asarray(np.where(denominator > 0, (tp * tn - fp * fn) / denominator, 0.0))
    raise ConfigError(
        f"no decision threshold is chosen for {metric!r}; use one of {', '.join(DECISION_METRICS)}"
    )


def _numbers(values: Any) -> Any:
    """A tensor as a numpy array (anything else as it is)."""
    from trainwell.core.arrays import as_array, is_tensor

    return as_array(values) if is_tensor(values) else values


def _say(line: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(line, soft_wrap=True, markup=False, highlight=False)
