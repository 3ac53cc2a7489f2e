"""Scoring predictions with trainwell's own metric functions, and judging one model against another.

Everything is scored by :mod:`trainwell.metrics.functional` on probabilities, so a baseline's numbers and
trainwell's are computed by the same code and are comparable.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from trainwell.core.numbers import figure
from trainwell.evaluate.cv import CVResult, MetricSummary, OutOfFold, RowBootstrapCVResult
from trainwell.evaluate.heldout import HeldOutResult
from trainwell.evaluate.intervals import mean_ci
from trainwell.metrics import functional
from trainwell.metrics.registry import RANKING_PREFIXES, metric_bounds
from trainwell.metrics.registry import metrics as metric_registry
from trainwell.metrics.targets import split_target_key, target_key, target_labels

if TYPE_CHECKING:
    from trainwell.data.task import Task


#: The metrics a cross-validation can score the model and the baselines by, for ``metrics=`` (``evaluate
#: --metric``), by task: every one is computed from the probabilities (or numbers) each fold predicts.
_ONE_LABEL_METRICS = (
    "accuracy", "balanced_accuracy", "roc_auc", "f1", "precision", "recall", "log_loss", "error_rate",
    "average_precision", "mcc", "brier",
)  # fmt: skip
_MULTILABEL_METRICS = (
    "accuracy", "roc_auc", "f1", "precision", "recall", "log_loss", "average_precision", "mcc", "brier"
)  # fmt: skip
EVALUATION_METRICS = {
    "binary": _ONE_LABEL_METRICS,
    "multiclass": _ONE_LABEL_METRICS,
    "multilabel": _MULTILABEL_METRICS,
    "regression": ("rmse", "mae", "r2"),
}


def evaluation_metrics(metrics: Sequence[str] | None, task: Task) -> list[str]:
    """The metrics an evaluation of ``task`` scores: its own (``task.metric_names``) when ``metrics`` is empty,
    else those named (``auc``, ``acc`` and ``pr_auc`` read as ``roc_auc``, ``accuracy`` and
    ``average_precision``), each refused in one line unless :data:`EVALUATION_METRICS` lists it for the task's
    kind."""
    from trainwell.core.errors import ConfigError
    from trainwell.core.metric_names import ALIASES

    if not metrics:
        return list(task.metric_names)
    known = EVALUATION_METRICS.get(task.kind, ())
    chosen: list[str] = []
    for given in metrics:
        name = ALIASES.get(given, given)
        if name not in known:
            raise ConfigError(
                f"--metric {given!r} does not score a {task.kind} evaluation; use one of: {', '.join(known)} "
                "(Python: metrics=)"
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


def score(
    preds: torch.Tensor,
    targets: torch.Tensor,
    task: str,
    metric_names: Sequence[str],
    target_names: Sequence[str] = (),
) -> dict[str, float]:
    """``{metric: value}`` for activated ``preds`` against encoded ``targets`` (shapes as in ``functional``).

    Several regression targets (``targets`` of shape (N, K), K > 1): each metric's headline is followed by
    each target's value, computed on its column alone and named ``"rmse[price]"`` after ``target_names``
    (``"rmse[0]"``... when they do not name K columns), as in ``learn.history``.
    """
    values: dict[str, float] = {}
    several = task == "regression" and targets.dim() == 2 and targets.shape[1] > 1
    labels = target_labels(target_names, targets.shape[1]) if several else []
    for name in metric_names:
        function = getattr(functional, name)
        values[name] = float(function(preds, targets, task))
        for column, label in enumerate(labels):
            values[target_key(name, label)] = float(function(preds[:, column], targets[:, column], task))
    return values


#: Measures that are not registered metrics (a language model's, over tokens), and whether higher is better.
MEASURES = {"perplexity": False, "bits_per_char": False}


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (a per-target name such as ``"r2[price]"`` too) is better."""
    metric = split_target_key(metric)[0]
    if metric.startswith(RANKING_PREFIXES):
        return True
    if metric in MEASURES:
        return MEASURES[metric]
    return bool(metric_registry.entry(metric).metadata["higher_is_better"])


#: The name the verdicts give to answering the positive class for every row: F1's and precision's trivial
#: reference for a binary classifier (recall 100%, F1 2p/(1+p) at a base rate p), whichever class is commoner.
#: The majority class is none: answering '0' everywhere scores F1 0 (Titanic: "beats majority class on f1 +0.741",
#: always true), and answering '1' everywhere is this reference under another name.
ALWAYS_POSITIVE = "always-positive"
#: Metrics judged against :data:`ALWAYS_POSITIVE` instead of a binary task's constant baseline.
POSITIVE_REFERENCE_METRICS = ("f1", "precision")
#: Metrics a binary task's constant baselines are no reference for at all: recall is 0 for one constant answer and 1
#: for the other, so neither says what a model has learned.
NO_CONSTANT_REFERENCE = ("recall",)
#: What a model that learned nothing scores on a ranking metric whatever the data (the baseline's own chance level is
#: read from the constant baseline for the metrics that depend on the class shares: accuracy and the like).
CHANCE = {"roc_auc": 0.5, "mcc": 0.0}
#: Metrics whose chance level is what the constant baseline (the majority class) scores on the same rows.
CHANCE_FROM_CONSTANT = ("accuracy", "balanced_accuracy", "average_precision")


@dataclass(frozen=True)
class Verdict:
    """How a model's metric compares with a baseline's over the same folds.

    ``outcome`` is ``"beats"`` (better, intervals apart), ``"within"`` (the intervals overlap), ``"worse"``
    (worse, intervals apart) or ``"undefined"`` (the metric is not a number in some fold, for one side or both:
    precision where nothing was predicted, say).
    """

    metric: str
    baseline: str
    outcome: str
    model: MetricSummary
    other: MetricSummary
    #: Model minus baseline, fold by fold, with its t interval (only when both ran on the same folds).
    paired: MetricSummary | None = None
    #: The chance level the baseline's whole interval lies below (logistic's ROC AUC 0.389 [0.332, 0.447] on a
    #: noise target, under 0.5), else ``None``: beating such a baseline is no evidence that the model learned
    #: anything (no signal in the data, or an artifact of the folds).
    below_chance: float | None = None

    def sentence(self, model_name: str = "trainwell") -> str:
        """The verdict in plain words, e.g. ``"trainwell's roc_auc 0.912 [0.905, 0.919] does not beat ..."``."""
        if self.outcome == "undefined":
            who = [
                name
                for name, side in ((model_name, self.model), (self.baseline, self.other))
                if side.mean != side.mean
            ]
            return (
                f"{self.metric} cannot compare {model_name} with {self.baseline}: "
                f"{' and '.join(_possessive(name) for name in who)} {self.metric} is undefined in at least one fold "
                "(nothing there for it to score, such as no positive predictions for a precision)"
            )
        ours = f"{_possessive(model_name)} {self.metric} {_interval(self.model)}"
        theirs = f"{_possessive(self.baseline)} {_interval(self.other)}"
        paired = self.paired is not None and self.paired.low == self.paired.low  # nan: one fold, no spread
        if not paired:
            reason = {
                "beats": "",
                "worse": ": the intervals do not overlap",
                "within": ": the difference is within the intervals",
            }[self.outcome]
        else:
            assert self.paired is not None
            over = _paired_over(self.paired)
            difference = (
                f"the paired difference over the same {over} is "
                f"{_interval(self.paired, signed=True, like=self.model.mean)}"
            )
            reason = {
                "beats": f" ({difference})",
                "worse": f": {difference}, wholly on the wrong side of zero",
                "within": f": {difference}, an interval that includes zero",
            }[self.outcome]
        verb = {"beats": "beats", "worse": "is worse than", "within": "does not beat"}[self.outcome]
        return f"{ours} {verb} {theirs}{reason}{self._chance_clause()}"

    def _chance_clause(self) -> str:
        """``"; but logistic scores below chance (0.5) ..."``, or ``""`` for a baseline at or above chance."""
        if self.below_chance is None or self.outcome != "beats":
            return ""
        return (
            f"; but {self.baseline} scores below chance ({figure(self.below_chance, 3)}) on {self.metric}: no signal "
            "in these data, or an artifact of the folds, so beating it is no evidence"
        )

    def short(self) -> str:
        """The metric and its figures, for a line that groups several metrics: the paired difference (model
        minus baseline) with its interval, else both intervals."""
        if self.paired is not None and self.paired.low == self.paired.low:
            return f"{self.metric} {_interval(self.paired, signed=True, like=self.model.mean)}"
        return f"{self.metric} {_interval(self.model)} against {_interval(self.other)}"


def verdict_lines(found: Sequence[Verdict], model_name: str = "trainwell") -> list[tuple[str, str]]:
    """What a person needs to read of ``found`` (verdicts that are not "beats"): one line per baseline, as
    ``(kind, line)``: ``"warning"`` when the model is clearly worse on some metric, ``"note"`` when it only
    shows no clear gain (a difference whose interval includes zero), each metric with its figures. One metric
    keeps the full sentence (:meth:`Verdict.sentence`); an undefined comparison keeps its own line."""
    by_baseline: dict[str, list[Verdict]] = {}
    beaten: dict[str, list[Verdict]] = {}
    below: dict[str, list[Verdict]] = {}
    for verdict in found:
        if verdict.below_chance is not None:
            below.setdefault(verdict.baseline, []).append(verdict)  # said on a line of its own
            if verdict.outcome == "beats":
                continue  # not presented as evidence: beating a baseline below chance shows nothing
        if verdict.outcome != "beats":
            by_baseline.setdefault(verdict.baseline, []).append(verdict)
        else:
            beaten.setdefault(verdict.baseline, []).append(verdict)
    lines: list[tuple[str, str]] = []
    for baseline, group in by_baseline.items():
        lines.extend(("note", v.sentence(model_name)) for v in group if v.outcome == "undefined")
        worse = [v for v in group if v.outcome == "worse"]
        within = [v for v in group if v.outcome == "within"]
        kind = "warning" if worse else "note"
        # The metrics it does beat the baseline on, said too: a line naming roc_auc and f1 alone left a reader
        # wondering what became of accuracy.
        wins = beaten.get(baseline, [])
        beats = f"; it beats {baseline} on {'; '.join(v.short() for v in wins)}" if wins else ""
        if len(worse) + len(within) == 1:
            lines.append(
                (
                    kind,
                    (worse or within)[0].sentence(model_name)
                    + beats
                    + _reference_clause(group, figures=False),
                )
            )
            continue
        if not (worse or within):
            continue
        parts = []
        if worse:
            parts.append(f"is worse than {baseline} on {'; '.join(v.short() for v in worse)}")
        if within:
            verb = "does not clearly beat it" if worse else f"does not clearly beat {baseline}"
            parts.append(f"{verb} on {'; '.join(v.short() for v in within)}")
        paired = [v.paired for v in worse + within if v.paired is not None and v.paired.low == v.paired.low]
        zero = "; an interval that includes zero is no clear difference" if within else ""
        legend = (
            f" (the differences {model_name} minus {baseline}, paired over the same {_paired_over(paired[0])}{zero})"
            if paired
            else " (the intervals overlap)"
            if within
            else ""
        )
        lines.append(
            (kind, f"{model_name} " + ", and ".join(parts) + legend + beats + _reference_clause(group))
        )
    for baseline, wins in beaten.items():  # beaten on every metric: said too (it said nothing at all)
        if baseline in by_baseline:
            continue
        paired = [v.paired for v in wins if v.paired is not None and v.paired.low == v.paired.low]
        legend = (
            f" (the differences {model_name} minus {baseline}, paired over the same {_paired_over(paired[0])})"
            if paired
            else ""
        )
        lines.append(
            (
                "note",
                f"{model_name} beats {baseline} on {'; '.join(v.short() for v in wins)}{legend}"
                + _reference_clause(wins),
            )
        )
    for baseline, group in below.items():
        lines.append(("warning", _below_chance_line(baseline, group, model_name)))
    return lines


def _reference_clause(group: Sequence[Verdict], figures: bool = True) -> str:
    """What :data:`ALWAYS_POSITIVE` is, said once on its line (``figures``: with its scores, which a whole
    sentence has said already): ``""`` for any other baseline."""
    if not group or group[0].baseline != ALWAYS_POSITIVE:
        return ""
    scores = "; ".join(f"{v.metric} {_interval(v.other)}" for v in group) if figures else "the score above"
    return (
        f"; {ALWAYS_POSITIVE} is answering the positive class for every row, which already reaches recall 100% and "
        f"{scores}: the bar f1 and precision are judged against, not the majority class (whose f1 is 0 when it "
        "answers the negative class)"
    )


def _below_chance_line(baseline: str, group: Sequence[Verdict], model_name: str) -> str:
    """The warning that ``baseline`` scores wholly below chance on the metrics of ``group``, and what the model's
    difference from it is worth (nothing, as evidence)."""
    scores = "; ".join(
        f"{v.metric} {_interval(v.other)} (chance {figure(v.below_chance or 0.0, 3)})" for v in group
    )
    beats = [v for v in group if v.outcome == "beats"]
    worth = (
        f"; {model_name} beating it ({'; '.join(v.short() for v in beats)}) is no evidence that {model_name} "
        "learned anything"
        if beats
        else ""
    )
    return (
        f"{baseline} scores below chance on {scores}, its whole interval under what a model that learned nothing "
        f"scores there: no signal in these data, or an artifact of the folds (a model fitted on noise can score below chance "
        f"on rows it never saw){worth}"
    )


def _paired_over(paired: MetricSummary) -> str:
    """What a paired difference was resampled or taken over."""
    if paired.over is not None:
        return f"{paired.over} (bootstrap)"
    if paired.n_rows is not None:
        return f"{paired.n_rows:,} validation rows (bootstrap within folds)"
    return "folds"


def _possessive(name: str) -> str:
    """``"trainwell's"``, ``"user + item biases'"``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _interval(summary: MetricSummary, signed: bool = False, like: float | None = None) -> str:
    """``mean [low, high]`` to 3 decimals, whole from 10,000 up (``like``: see :func:`figure`)."""
    like = summary.mean if like is None else like  # the bounds take the mean's decimals
    low, mean, high = (figure(value, 3, signed, like) for value in (summary.low, summary.mean, summary.high))
    return f"{mean} [{low}, {high}]"


def judge(
    metric: str,
    baseline: str,
    model: MetricSummary,
    other: MetricSummary,
    paired: MetricSummary | None = None,
) -> Verdict:
    """Compare the model with a baseline on one metric.

    With ``paired`` (the fold-by-fold difference model - baseline on the same folds) the verdict reads its
    interval: "beats" when the whole interval is better than zero, "worse" when it is wholly worse. Fold
    difficulty cancels out in the difference, so this sees gaps that two separate intervals hide. Without
    it, the model beats the baseline only when its whole interval is better than the baseline's.
    An interval that is ``nan`` (one fold) cannot show a difference: ``"within"``. A mean that is not a number
    (the metric undefined in some fold) makes no comparison: ``"undefined"``.
    """
    sign = 1.0 if higher_is_better(metric) else -1.0
    if not (math.isfinite(model.mean) and math.isfinite(other.mean)):
        return Verdict(metric, baseline, "undefined", model, other, paired)
    if paired is not None and math.isfinite(paired.low) and math.isfinite(paired.high):
        low, high = sorted((sign * paired.low, sign * paired.high))
        outcome = "beats" if low > 0 else "worse" if high < 0 else "within"
        return Verdict(metric, baseline, outcome, model, other, paired)
    # Oriented so that larger is better: the model's worst case against the baseline's best case.
    model_low, model_high = sorted((sign * model.low, sign * model.high))
    other_low, other_high = sorted((sign * other.low, sign * other.high))
    if model_low > other_high:
        outcome = "beats"
    elif model_high < other_low:
        outcome = "worse"
    else:
        outcome = "within"
    return Verdict(metric, baseline, outcome, model, other, paired)


def verdicts(
    model: CVResult,
    baselines: Mapping[str, CVResult],
    level: float = 0.95,
    model_predictions: Sequence[OutOfFold] = (),
) -> list[Verdict]:
    """A :class:`Verdict` for every baseline and every metric the model and the baseline share.

    Where a baseline ran on the model's folds, the fold-by-fold difference and its t interval come along
    (a paired comparison, tighter than two separate intervals because fold difficulty cancels out).
    A model judged on one held-out split (:class:`~trainwell.evaluate.heldout.HeldOutResult`) is compared with
    each baseline scored on the same items by a paired bootstrap over their groups.
    A constant baseline (:class:`RowBootstrapCVResult`) is compared over rows instead: with the model's
    out-of-fold ``model_predictions`` (``(valid_index, predictions, targets)`` per fold, in fold order), the
    mean difference over folds with a paired bootstrap interval over their rows; without them, the model's
    interval against the baseline's. A t interval of its fold-by-fold difference is not used: that moves with
    whichever class each fold's majority was.
    """
    ours = model.summary(level)
    chance = _chance_levels(baselines, level)
    found = []
    for name, result in baselines.items():
        theirs = result.summary(level)
        constant = _binary_constant(result)
        for metric in ours:
            if metric not in theirs:
                continue
            if constant and metric in NO_CONSTANT_REFERENCE:
                continue
            if constant and metric in POSITIVE_REFERENCE_METRICS:
                assert isinstance(result, RowBootstrapCVResult)
                found.append(_against_always_positive(metric, ours[metric], result, model_predictions, level))
                continue
            paired = None
            if isinstance(model, HeldOutResult):  # one held-out split: paired over its groups of items
                paired = model.paired_difference(metric, result, level)
            elif isinstance(result, RowBootstrapCVResult) and len(result.out_of_fold) == result.k:
                if model_predictions:
                    paired = result.paired_difference(metric, model_predictions, level)
            elif _same_folds(model, result):
                difference = model.values(metric) - result.values(metric)
                # The same folds: their training rows overlap, as the model's own interval allows for.
                mean, std, low, high = mean_ci(difference, level, model.test_share())
                # A t interval of few folds reaches past what a difference can be (-1.69 for an F1 over 2 folds).
                floor, ceiling = metric_bounds(metric)
                paired = MetricSummary(
                    mean, std, max(low, floor - ceiling), min(high, ceiling - floor), level
                )
            verdict = judge(metric, name, ours[metric], theirs[metric], paired)
            level_below = chance.get(metric) if not isinstance(result, RowBootstrapCVResult) else None
            if level_below is not None and theirs[metric].high < level_below:
                verdict = dataclasses.replace(verdict, below_chance=level_below)
            found.append(verdict)
    return found


def _binary_constant(result: CVResult) -> bool:
    """Whether ``result`` is a binary task's constant baseline with every fold's predictions (the majority class)."""
    return (
        isinstance(result, RowBootstrapCVResult)
        and result.task == "binary"
        and len(result.out_of_fold) == result.k
        and result.k > 0
    )


def always_positive(result: RowBootstrapCVResult) -> RowBootstrapCVResult:
    """:data:`ALWAYS_POSITIVE` on the rows of a binary task's constant baseline ``result``: probability 1 for
    every row, scored on :data:`POSITIVE_REFERENCE_METRICS`, its intervals a bootstrap over the same rows."""
    parts = [(rows, torch.ones_like(preds), targets) for rows, preds, targets in result.out_of_fold]
    chosen = [name for name in POSITIVE_REFERENCE_METRICS if name in result.metric_names]
    folds = [score(preds, targets, "binary", chosen) for _, preds, targets in parts]
    return RowBootstrapCVResult(
        folds, list(result.splits), result.seed, result.stratified, out_of_fold=parts, task="binary",
        n_boot=result.n_boot,
    )  # fmt: skip


def _against_always_positive(
    metric: str,
    ours: MetricSummary,
    constant: RowBootstrapCVResult,
    model_predictions: Sequence[OutOfFold],
    level: float,
) -> Verdict:
    """The model against :data:`ALWAYS_POSITIVE` on ``metric``, paired over the constant baseline's rows."""
    reference = always_positive(constant)
    theirs = reference.summary(level)[metric]
    paired = reference.paired_difference(metric, model_predictions, level) if model_predictions else None
    return judge(metric, ALWAYS_POSITIVE, ours, theirs, paired)


def _chance_levels(baselines: Mapping[str, CVResult], level: float) -> dict[str, float]:
    """What a model that learned nothing scores on each metric that has such a level: :data:`CHANCE`, and what
    the constant baseline scores on the metrics of :data:`CHANCE_FROM_CONSTANT` (accuracy: the majority class's)."""
    found = dict(CHANCE)
    for result in baselines.values():
        if isinstance(result, RowBootstrapCVResult) and result.task in ("binary", "multiclass"):
            summary = result.summary(level)
            for metric in CHANCE_FROM_CONSTANT:
                if metric in summary and math.isfinite(summary[metric].mean):
                    found[metric] = summary[metric].mean
            break
    return found


def _same_folds(first: CVResult, second: CVResult) -> bool:
    if first.k != second.k or len(first.splits) != first.k or len(second.splits) != second.k:
        return False
    return all(np.array_equal(a[1], b[1]) for a, b in zip(first.splits, second.splits, strict=True))
