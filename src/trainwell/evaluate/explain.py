"""Validation metrics explained for this data: a sentence per metric, a bootstrap interval, and the two
numbers people actually act on for a binary classifier (accuracy at the threshold in use, and how precise the
top-scored tenth is against the base rate).

Every fit ends with this table, so that an AUC is never read as an accuracy and a model is never judged
without the base rate beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from trainwell.core.numbers import amount
from trainwell.data.task import Task
from trainwell.evaluate._resampled import TOP_SHARE, resampled_metric, top_order, top_rows
from trainwell.evaluate.intervals import bootstrap_ci
from trainwell.metrics import functional
from trainwell.metrics.targets import target_key, target_labels

if TYPE_CHECKING:
    from trainwell.learner.label_thresholds import ThresholdSummary


@dataclass(frozen=True)
class MetricLine:
    """One metric on the validation rows: value, bootstrap interval and what it means here."""

    name: str
    value: float
    low: float
    high: float
    sentence: str


def top_precision(probabilities: torch.Tensor, targets: torch.Tensor, share: float = TOP_SHARE) -> float:
    """Share of positives among the ``share`` highest-scored rows (binary). Rows tied with the last one taken
    are taken in their order (a stable sort), as the bootstrap's batched form takes them."""
    n_top = top_rows(len(probabilities), share)
    order = top_order(probabilities.reshape(-1))[:n_top]
    return float(targets.reshape(-1)[order].float().mean())


def explain_validation(
    task: Task,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    metric_names: Sequence[str],
    *,
    n_boot: int = 300,
    seed: int = 0,
    unit: str = "row",
) -> list[MetricLine]:
    """A :class:`MetricLine` per metric of ``metric_names`` that this module can word, plus extras.

    Binary tasks also get ``top10_precision`` (with the base rate in its sentence); regression sentences
    compare errors with the target's spread. ``unit`` names one example in the sentences (``"image"``...).
    Several regression targets: each metric's headline (unit-free, pooled over targets), followed by a
    line per target in its own units, named ``"rmse[price]"``; each with its bootstrap interval.
    """
    kind = task.kind
    if kind == "regression" and targets.dim() == 2 and targets.shape[1] > 1:
        return _explain_targets(task, probabilities, targets, metric_names, n_boot=n_boot, seed=seed)
    lines = []
    functions = _functions(kind, task.decision_threshold)
    for name in [*metric_names, *(["top10_precision"] if kind == "binary" else [])]:
        metric = functions.get(name)
        if metric is None:
            continue
        fast = resampled_metric(name, kind, task.decision_threshold)  # every resample at once, same draws
        value, low, high = bootstrap_ci(
            metric, probabilities, targets, n_boot=n_boot, seed=seed, resampled_fn=fast
        )
        sentence = (
            _sentence(name, value, task, probabilities, targets)
            if math.isfinite(value)
            else _undefined_sentence(name, targets)
        )
        if unit != "row":
            sentence = _with_unit(sentence, unit)
        lines.append(MetricLine(name, value, low, high, sentence))
    return lines


def _undefined_sentence(name: str, targets: torch.Tensor) -> str:
    """What a metric that came out undefined (NaN) means here: most often a ranking measured on rows of one class
    (ROC AUC on a validation set of 1 row said "outranks ... nan% of the time")."""
    if name in ("roc_auc", "top10_precision", "average_precision") and targets.numel():
        flat = targets.reshape(len(targets), -1)
        if bool((flat == flat[:1]).all()):
            rows = (
                f"{len(targets)} rows it is measured on hold"
                if len(targets) != 1
                else "1 row it is measured on holds"
            )
            return f"undefined here: the {rows} one class only; judge on more rows"
    return "undefined on these rows (it needs more rows or more than one class); judge on more rows"


def cross_fitted_intervals(
    summary: ThresholdSummary, *, n_boot: int = 300, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """A 95% percentile bootstrap interval ``(low, high)`` of each cross-fitted metric of a multi-label fit
    (``summary.cross_fitted``, the ``"f1_tuned"`` of the fit table), with as many resamples as
    :func:`explain_validation` draws for the other metrics.

    The validation rows are resampled with their cross-fitted decisions, the two halves' thresholds held as
    they were chosen. The interval measures how much the figure owes to which rows were validated on. It leaves
    out how the thresholds would move had other rows chosen them (choosing again within each resample would put
    copies of a row in both halves), so it is somewhat too narrow, most for labels with few positives; nor
    does it cover a new training run. Empty when the summary kept no decisions.
    """
    if summary.decisions is None or summary.truth is None:
        return {}
    functions = _functions("multilabel", 0.5)  # the decisions are 0/1: 0.5 reads them as they are
    decisions, truth = summary.decisions.float(), summary.truth.float()
    found = {}
    for name in summary.cross_fitted:
        fast = resampled_metric(name, "multilabel", 0.5)
        _, low, high = bootstrap_ci(
            functions[name], decisions, truth, n_boot=n_boot, seed=seed, resampled_fn=fast
        )
        found[name] = (low, high)
    return found


def _explain_targets(
    task: Task,
    predictions: torch.Tensor,
    targets: torch.Tensor,
    metric_names: Sequence[str],
    *,
    n_boot: int,
    seed: int,
) -> list[MetricLine]:
    """Lines for a model of several regression targets: headline, then one line per target, per metric."""
    functions = _functions("regression", task.threshold)
    labels = target_labels(task.target_names, targets.shape[1])
    lines = []
    for name in metric_names:
        metric = functions.get(name)
        if metric is None:
            continue
        fast = resampled_metric(name, "regression")
        value, low, high = bootstrap_ci(
            metric, predictions, targets, n_boot=n_boot, seed=seed, resampled_fn=fast
        )
        lines.append(MetricLine(name, value, low, high, _pooled_sentence(name, len(labels))))
        for column, label in enumerate(labels):
            own_predictions, own_targets = predictions[:, column], targets[:, column]
            value, low, high = bootstrap_ci(
                metric, own_predictions, own_targets, n_boot=n_boot, seed=seed, resampled_fn=fast
            )
            sentence = _regression_sentence(name, value, own_targets, f"{label}'s")
            lines.append(MetricLine(target_key(name, label), value, low, high, sentence))
    return lines


def _pooled_sentence(name: str, n_targets: int) -> str:
    """What a headline over ``n_targets`` targets means: in standard deviations, since units differ."""
    if name == "r2":
        return (
            f"share of a target's variation the model explains, averaged over the {n_targets} targets "
            "(0 = predicting the mean); each target's below"
        )
    error, scale = {
        "rmse": ("RMSE", "0 = perfect, 1 = no better than predicting the mean"),
        "mae": ("MAE", "0 = perfect"),
    }[name]
    return (
        f"each target's {error} divided by its standard deviation, averaged over the {n_targets} targets "
        f"(unit-free: {scale}); each target's {error} in its own units below"
    )


def _regression_sentence(name: str, value: float, targets: torch.Tensor, whose: str) -> str:
    """A regression metric of one target in plain words; ``whose`` is ``"the target's"`` or ``"price's"``."""
    spread = float(targets.float().std()) if len(targets) > 1 else float("nan")
    return {
        "rmse": f"typical error {amount(value)} in {whose} units (big errors weigh more); "
        f"{whose} standard deviation is {amount(spread)}",
        "mae": f"average error {amount(value)} in {whose} units",
        "r2": f"the model explains {share(value)} of {whose} variation (0% = predicting the mean)"
        if not value < 0
        else f"worse than predicting the mean: always answering {whose} average would err less (R² below 0; "
        "0% = predicting the mean)",
    }[name]


def _functions(
    kind: str, threshold: float | tuple[float, ...]
) -> dict[str, Callable[[torch.Tensor, torch.Tensor], float]]:
    if kind == "regression":
        return {
            "rmse": lambda p, t: functional.rmse(p, t),
            "mae": lambda p, t: functional.mae(p, t),
            "r2": lambda p, t: functional.r2(p, t),
        }
    found: dict[str, Callable[[torch.Tensor, torch.Tensor], float]] = {
        "accuracy": lambda p, t: functional.accuracy(p, t, kind, threshold),
        "error_rate": lambda p, t: functional.error_rate(p, t, kind, threshold),
        "roc_auc": lambda p, t: functional.roc_auc(p, t, kind),
        "f1": lambda p, t: functional.f1(p, t, kind, threshold),
        "log_loss": lambda p, t: functional.log_loss(p, t, kind),
        "average_precision": lambda p, t: functional.average_precision(p, t, kind),
        "mcc": lambda p, t: functional.mcc(p, t, kind, threshold),
        "brier": lambda p, t: functional.brier(p, t, kind),
    }
    if kind in ("binary", "multiclass"):
        found["balanced_accuracy"] = lambda p, t: functional.balanced_accuracy(p, t, kind, threshold)
    if kind == "binary":
        found["top10_precision"] = top_precision
    return found


def share(value: float) -> str:
    """``value`` (a share) as a percentage that never claims more than it is: ``0.9959`` is ``"99.6%"``, not
    ``"100%"``; ``0.00004`` is ``"0.004%"``, not ``"0%"``."""
    percent = 100 * value
    if not math.isfinite(percent):
        return "nan%"
    for digits in range(4):
        shown = float(f"{percent:.{digits}f}")
        if (shown != 100.0 or percent == 100.0) and (shown != 0.0 or percent == 0.0):
            return f"{percent:.{digits}f}%"
    return ">99.999%" if percent > 50 else "<0.001%"


def _sentence(name: str, value: float, task: Task, probabilities: torch.Tensor, targets: torch.Tensor) -> str:
    percent = share(value)
    kind = task.kind
    if kind == "regression":
        return _regression_sentence(name, value, targets, "the target's")
    if kind == "binary":
        negative, positive = task.classes[0], task.classes[1]
        base_rate = float(targets.float().mean())
        majority = max(base_rate, 1 - base_rate)
        return {
            "accuracy": f"{percent} of rows get the right class at threshold {task.threshold:g}; always "
            f"answering the commoner class would score {100 * majority:.0f}%",
            "error_rate": f"{percent} of rows get the wrong class at threshold {task.threshold:g}",
            "balanced_accuracy": f"mean of the hit rates on '{positive}' and the other class: {percent}",
            # Against a row of the other class: against any other row (another '1' included) is another number.
            "roc_auc": f"a random '{positive}' row outranks a random '{negative}' row {percent} of the time; "
            "it is not accuracy",
            "f1": f"balance of precision and recall for '{positive}' at threshold {task.threshold:g}",
            "log_loss": "average surprise at the true class (lower is better; 0.693 = a coin flip)",
            # A random ranking's precision is the base rate at every depth: the figure to beat, not 0.5.
            "average_precision": f"precision of the highest-scored rows, averaged over the '{positive}' rows "
            f"they reach: {percent}, against {share(base_rate)} (the base rate) for a random ranking",
            "mcc": f"correlation of the decisions at threshold {task.threshold:g} with the truth: "
            f"{value:.3f} (0 = chance, or one answer for every row; 1 = perfect)",
            "brier": f"mean squared gap between the probability of '{positive}' and what happened (lower is "
            f"better; always answering the base rate would score {base_rate * (1 - base_rate):.4f})",
            "top10_precision": f"among the 10% highest-scored rows, {percent} are '{positive}', against a "
            f"base rate of {100 * base_rate:.0f}%",
        }[name]
    if kind == "multilabel":
        # The report judges the decisions the model makes: at each label's threshold when it has them.
        decided = "; each label decided at its own threshold" if task.label_thresholds else "; at 0.5"
        # Most decisions are "no" when labels are rare: answering no to every label scores this much.
        all_no = 1.0 - float(targets.float().mean()) if targets.numel() else float("nan")
        # Each label's share of positive rows; a random ranking's average precision for a label is its share
        # (labels no row holds have no precision curve and are left out of that mean, as the metric leaves them).
        rates = (targets.reshape(len(targets), -1) > 0.5).double().mean(dim=0)
        held = rates[rates > 0] if bool((rates > 0).any()) else rates
        return {
            "accuracy": f"{percent} of all label decisions (row x label, yes or no) are right{decided}; "
            f"answering no to every label would score {share(all_no)}",
            "error_rate": f"{percent} of all label decisions are wrong{decided}",
            "roc_auc": f"averaged over labels, a row with the label outranks a row without it {percent} of the "
            "time; it is not accuracy",
            "f1": "balance of precision and recall, averaged over the labels (a rare label counts as much as a "
            f"common one){decided}",
            "log_loss": "average surprise at each right yes/no decision (lower is better; 0.693 = a coin flip)",
            "average_precision": "averaged over labels, precision of the highest-scored rows over the rows with "
            f"the label they reach: {percent}, against {share(float(held.mean()))} for a random ranking (the labels' "
            "mean base rate)",
            "mcc": f"correlation of each label's decisions with its truth, averaged over labels: {value:.3f} "
            f"(0 = chance, 1 = perfect){decided}",
            "brier": "mean squared gap between each label's probability and what happened (lower is better; "
            f"answering each label's base rate would score {float((rates * (1 - rates)).mean()):.4f})",
        }[name]
    # Each class's share of the rows, of the classes present (a class no row holds has no precision curve).
    counts = torch.bincount(targets.long().reshape(-1), minlength=probabilities.shape[-1]).double()
    class_rates = counts[counts > 0] / max(1, len(targets))
    return {
        "accuracy": f"{percent} of rows get the right class",
        "error_rate": f"{percent} of rows get a wrong class",
        "balanced_accuracy": f"the hit rate averaged over classes, rare ones counting fully: {percent}",
        "roc_auc": f"averaged over classes, a row of a class outranks a row of another {percent} of the time; "
        "it is not accuracy",
        "f1": "balance of precision and recall, averaged over classes",
        "log_loss": "average surprise at the true answer (lower is better)",
        "average_precision": "averaged over classes, precision of the highest-scored rows for a class over "
        f"that class's rows they reach: {percent}, against {share(1 / max(1, len(class_rates)))} for a random "
        "ranking",
        "mcc": f"correlation of the predicted classes with the true ones: {value:.3f} (0 = chance, 1 = perfect)",
        "brier": "squared gaps between each class's probability and what happened, summed over classes and "
        "averaged over rows (lower is better; 2 = sure and wrong; always answering the class shares would "
        f"score {1 - float(class_rates.square().sum()):.4f})",
    }[name]


def _with_unit(sentence: str, unit: str) -> str:
    """The sentence with "row(s)" replaced by the data's own word for one example."""
    import re

    article = "an" if unit[:1] in "aeiou" else "a"
    sentence = re.sub(r"\ba row\b", f"{article} {unit}", sentence)
    return re.sub(r"\brow(s?)\b", lambda match: unit + match.group(1), sentence)
