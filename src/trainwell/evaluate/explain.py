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
    train_shares: Sequence[float] | None = None,
) -> list[MetricLine]:
    """A :class:`MetricLine` per metric of ``metric_names`` that this module can word, plus extras.

    Binary tasks also get ``top10_precision`` (with the base rate in its sentence); regression sentences
    compare errors with the target's spread. ``unit`` names one example in the sentences (``"image"``...).
    Several regression targets: each metric's headline (unit-free, pooled over targets), followed by a
    line per target in its own units, named ``"rmse[price]"``; each with its bootstrap interval.

    ``train_shares``: each class's share of the training rows, in ``task.classes`` order (binary and
    multiclass), when the caller knows them: the accuracy sentence then names the training rows' commoner class
    (what a model could know in advance) and the log-loss sentence scores always answering the training shares;
    without them both use these rows' own classes, and say so.

    On fewer than :data:`FEW_ROWS` rows every figure is rough: :func:`small_sample_caution` words the line a table
    of these lines needs under it (the fit's table and the report say it there, not inside a sentence); a figure
    that rests on fewer than :data:`MIN_JUDGED_ROWS` rows (the top tenth, an F1 of few positives) says so in its
    own sentence.
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
            _sentence(name, value, task, probabilities, targets, train_shares)
            if math.isfinite(value)
            else _undefined_sentence(name, targets)
        )
        if unit != "row":
            sentence = _with_unit(sentence, unit)
        lines.append(MetricLine(name, value, low, high, sentence))
    return lines


#: Fewer rows than this and every figure of the table is rough: a line under the table says so.
FEW_ROWS = 50
#: A figure that rests on fewer rows than this (the top tenth's, an F1's positives) says it is too few to judge,
#: as the report's per-class table does.
MIN_JUDGED_ROWS = 20


def small_sample_caution(n_rows: int, unit: str = "row") -> str:
    """The caution a table of metrics on ``n_rows`` rows needs, said on a line of its own under the table; ``""``
    from :data:`FEW_ROWS` rows on. Its report of 15 rows read ``accuracy 0.7333 [0.4667, 0.9333]`` without a word
    of it; said inside the first metric's sentence, it read as a remark on that metric alone. ``unit`` names one
    example (``"image"``)."""
    if n_rows >= FEW_ROWS:
        return ""
    caution = (
        f"Caution: only {n_rows:,} row{'s' if n_rows != 1 else ''}, so every figure in the table is rough (see how "
        f"wide the intervals are); judge on {FEW_ROWS} rows or more."
    )
    return _with_unit(caution, unit) if unit != "row" else caution


def _rests_on(count: int, what: str) -> str:
    """``"; it rests on 14 rows, too few to judge (under 20)"`` when ``count`` < :data:`MIN_JUDGED_ROWS`."""
    if count >= MIN_JUDGED_ROWS:
        return ""
    what = what.removesuffix("s") if count == 1 else what  # "1 row", not "1 rows"
    return f"; it rests on {count:,} {what}, too few to judge (under {MIN_JUDGED_ROWS})"


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

    The validation rows are resampled with their cross-fitted decisions, each fold's thresholds held as they
    were chosen (the majority of its draws where several were drawn). The interval measures how much the figure owes to which rows were validated on. It leaves
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
            "(0 = always answering these rows' own average); each target's below"
        )
    error, scale = {
        "rmse": ("RMSE", "0 = perfect, 1 = no better than always answering these rows' own average"),
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
        "r2": f"the model explains {share(value)} of {whose} variation (0% = always answering these rows' own "
        "average)"
        if not value < 0
        else f"worse than always answering these rows' own average: {whose} average here would err less (R² "
        "below 0; 0% = always answering that average)",
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


def _sentence(
    name: str,
    value: float,
    task: Task,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    train_shares: Sequence[float] | None = None,
) -> str:
    percent = share(value)
    kind = task.kind
    if kind == "regression":
        return _regression_sentence(name, value, targets, "the target's")
    if kind == "binary":
        negative, positive = task.classes[0], task.classes[1]
        base_rate = float(targets.float().mean())
        trained_rate = float(train_shares[1]) if train_shares is not None and len(train_shares) == 2 else None
        if name == "f1":
            return _f1_sentence(probabilities, targets, task)
        if name == "top10_precision":
            n_top = top_rows(len(probabilities), TOP_SHARE)
            return (
                f"among the 10% highest-scored rows ({_rows(n_top)}), {percent} are '{positive}', against a base rate "
                f"of {100 * base_rate:.0f}%{_rests_on(n_top, 'rows')}"
            )
        return {
            "accuracy": f"{percent} of rows get the right class at threshold {task.threshold:g}; "
            + _commoner_class(task, targets, train_shares),
            "error_rate": f"{percent} of rows get the wrong class at threshold {task.threshold:g}",
            "balanced_accuracy": f"mean of the hit rates on '{positive}' and the other class: {percent}",
            # Against a row of the other class: against any other row (another '1' included) is another number.
            "roc_auc": f"a random '{positive}' row outranks a random '{negative}' row {percent} of the time; "
            "it is not accuracy",
            "log_loss": "average surprise at the true class (lower is better; always answering "
            + (
                f"the training rows' share of '{positive}', {share(trained_rate)}, would score "
                if trained_rate is not None
                else f"these rows' own share of '{positive}', {share(base_rate)}, would score "
            )
            + f"{_constant_log_loss(targets, train_shares, 2):.3f})",
            # A random ranking's precision is the base rate at every depth: the figure to beat, not 0.5.
            "average_precision": f"precision of the highest-scored rows, averaged over the '{positive}' rows "
            f"they reach: {percent}, against {share(base_rate)} (the base rate) for a random ranking",
            "mcc": f"correlation of the decisions at threshold {task.threshold:g} with the truth: "
            f"{value:.3f} (0 = chance, or one answer for every row; 1 = perfect)",
            "brier": f"mean squared gap between the probability of '{positive}' and what happened (lower is "
            f"better; always answering the base rate would score {base_rate * (1 - base_rate):.4f})",
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
            "log_loss": "average surprise at each right yes/no decision (lower is better; answering each label's "
            f"own share of these rows would score {_labels_log_loss(rates):.3f})",
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
        "accuracy": f"{percent} of rows get the right class; "
        + _commoner_class(task, targets, train_shares, probabilities.shape[-1]),
        "error_rate": f"{percent} of rows get a wrong class",
        "balanced_accuracy": f"the hit rate averaged over classes, rare ones counting fully: {percent}",
        "roc_auc": f"averaged over classes, a row of a class outranks a row of another {percent} of the time; "
        "it is not accuracy",
        "f1": "balance of precision and recall, averaged over classes",
        "log_loss": "average surprise at the true answer (lower is better; always answering "
        + (
            "the training rows' class shares"
            if train_shares is not None and len(train_shares) == probabilities.shape[-1]
            else "these rows' own class shares"
        )
        + f" would score {_constant_log_loss(targets, train_shares, probabilities.shape[-1]):.3f})",
        "average_precision": "averaged over classes, precision of the highest-scored rows for a class over "
        f"that class's rows they reach: {percent}, against {share(1 / max(1, len(class_rates)))} for a random "
        "ranking",
        "mcc": f"correlation of the predicted classes with the true ones: {value:.3f} (0 = chance, 1 = perfect)",
        "brier": "squared gaps between each class's probability and what happened, summed over classes and "
        "averaged over rows (lower is better; 2 = sure and wrong; always answering the class shares would "
        f"score {1 - float(class_rates.square().sum()):.4f})",
    }[name]


def _rows(count: int) -> str:
    """``"1 row"``, ``"85 rows"``."""
    return f"{count:,} row{'' if count == 1 else 's'}"


def _commoner_class(
    task: Task, targets: torch.Tensor, train_shares: Sequence[float] | None, n_classes: int = 2
) -> str:
    """What always answering the commoner class scores on these rows: the training rows' commoner class when
    ``train_shares`` are known (a model can know it in advance), else these rows' own (which peeks at the answers
    judged), said as such. Several classes: the commonest."""
    truth = (targets.reshape(-1) > 0.5).long() if n_classes == 2 else targets.reshape(-1).long()
    most = "commoner" if n_classes == 2 else "commonest"
    if train_shares is not None and len(train_shares) == n_classes:
        chosen = int(max(range(n_classes), key=lambda index: float(train_shares[index])))
        whose = f"the training rows' {most} class"
    else:
        counts = torch.bincount(truth, minlength=n_classes)
        # A tie of a binary task's two classes keeps its first class, as a rate of 0.5 always did.
        chosen = int(counts.argmax()) if len(truth) else 0
        whose = f"the {most} class of these rows"
    scored = float((truth == chosen).float().mean()) if len(truth) else float("nan")
    return f"always answering '{task.classes[chosen]}', {whose}, would score {100 * scored:.0f}%"


def _f1_sentence(probabilities: torch.Tensor, targets: torch.Tensor, task: Task) -> str:
    """F1 of the positive class in numbers, as the report's per-class sentence says it: how many of its rows
    the model finds, and how many of the rows it calls positive are right ("balance of precision and recall"
    said nothing a reader could check)."""
    positive = task.classes[1]
    decisions = probabilities.reshape(-1) >= task.threshold
    truth = targets.reshape(-1) > 0.5
    positives, called = int(truth.sum()), int(decisions.sum())
    hits = int((decisions & truth).sum())
    found = (
        f"for '{positive}': it finds {share(hits / positives)} of its {_rows(positives)}"
        if positives
        else f"no row here is '{positive}'"
    )
    if called == 0:
        right = f"it calls no row '{positive}'"
    elif called == 1:
        right = f"the 1 row it calls '{positive}' is {'right' if hits else 'wrong'}"
    else:
        right = f"{share(hits / called)} of the {called:,} rows it calls '{positive}' are right"
    return f"{found}, and {right} (F1 weighs the two together, at threshold {task.threshold:g})" + _rests_on(
        positives, f"'{positive}' rows"
    )


def _constant_log_loss(targets: torch.Tensor, train_shares: Sequence[float] | None, n_classes: int) -> float:
    """The log loss of always answering the class shares on these rows: the training rows' (``train_shares``)
    when known, else these rows' own (their entropy: 0.562 at a base rate of 25%; 0.693 only at 50%)."""
    codes = (targets.reshape(-1) > 0.5).long() if n_classes == 2 else targets.reshape(-1).long()
    counts = torch.bincount(codes, minlength=n_classes).double()
    here = counts / max(1.0, float(counts.sum()))
    if train_shares is not None and len(train_shares) == n_classes:
        answered = torch.tensor([float(value) for value in train_shares], dtype=torch.float64)
    else:
        answered = here
    answered = answered.clamp(1e-15, 1.0)
    held = here > 0
    return float(-(here[held] * answered[held].log()).sum())


def _labels_log_loss(rates: torch.Tensor) -> float:
    """The log loss of answering each label's share of these rows, averaged over labels (0 for a label no row
    holds, or every row holds)."""
    rates = rates.double().clamp(0.0, 1.0)
    entropy = -(rates * rates.clamp_min(1e-15).log() + (1 - rates) * (1 - rates).clamp_min(1e-15).log())
    return float(entropy.mean()) if rates.numel() else float("nan")


def _with_unit(sentence: str, unit: str) -> str:
    """The sentence with "row(s)" replaced by the data's own word for one example."""
    import re

    article = "an" if unit[:1] in "aeiou" else "a"
    sentence = re.sub(r"\ba row\b", f"{article} {unit}", sentence)
    return re.sub(r"\brow(s?)\b", lambda match: unit + match.group(1), sentence)
