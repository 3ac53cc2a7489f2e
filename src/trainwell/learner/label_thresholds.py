"""Per-label decision thresholds at the end of a multi-label fit, chosen on the validation rows.

The choosing itself is a pure function (:func:`trainwell.metrics.thresholds.choose_thresholds`); this module
applies it to a trained Learner: the thresholds go into the task (so ``export``, ``predict``, ``serve`` and the
metrics decode with them), and the last history row gets the threshold-dependent metrics as they now stand.
Scored again on the rows they were chosen on, those metrics tend to flatter the model: ``learn.validate()`` on them
warns (:func:`warn_in_sample_thresholds`) and names the cross-fitted figures; new rows are scored in silence.

Every one-call pipeline with multi-label targets (``fit_table``, ``fit_images``, ``fit_texts``) ends with
:func:`choose_label_thresholds`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import torch

from trainwell.core.errors import DataError
from trainwell.metrics import functional
from trainwell.metrics.registry import get_metric, list_metrics
from trainwell.metrics.registry import metrics as metric_registry
from trainwell.metrics.thresholds import PRIOR_POSITIVES, choose_thresholds, cross_fitted_decisions

__all__ = [
    "THRESHOLD_METRICS",
    "ThresholdSummary",
    "choose_label_thresholds",
    "cross_fitted_votes",
    "cross_fitting_plan",
    "label_baseline_shortfall",
    "say_threshold_note",
    "thresholds_beat_half",
    "tune_label_thresholds",
    "warn_in_sample_thresholds",
    "warn_label_baselines",
]

#: Metrics whose value depends on the decision threshold (and so change when the thresholds do).
THRESHOLD_METRICS = ("accuracy", "error_rate", "f1")
#: The suffix of their values at the chosen thresholds in the last history row (``"f1_tuned"``).
TUNED_SUFFIX = "_tuned"
#: The suffix of their values at 0.5 in ``learn.threshold_figures`` (``"f1 at 0.5"``).
AT_HALF_SUFFIX = " at 0.5"
#: The cross-fitting behind the held-out check: :data:`FOLDS` folds (each chooses on 4/5 of the rows, near what
#: the adopted thresholds choose on), drawn :data:`REPEATS` times, while rows x labels x (folds - 1) x draws stays
#: within :data:`CROSS_FIT_CELLS`, the work of choosing that one split into halves did on GoEmotions' 5,426
#: validation texts of 28 labels (it runs after every multi-label fit); above it, two halves once, steady there
#: (:func:`cross_fitting_plan`). One split of 100 rows alone: the same model kept 0.5 or adopted its thresholds
#: by the seed (tests/learner/test_b4_steady_check.py).
FOLDS, REPEATS = 5, 3
CROSS_FIT_CELLS = 150_000


@dataclass(frozen=True)
class ThresholdSummary:
    """What choosing the thresholds did, on the validation rows.

    Attributes:
        thresholds: label -> threshold.
        global_threshold: the one threshold best for all labels together (labels without positives get it).
        n_rows: validation rows the thresholds were chosen on.
        few_positives: labels with fewer than :data:`~trainwell.metrics.thresholds.PRIOR_POSITIVES` positives
            there (their thresholds lean on the global one).
        at_half: threshold metrics at 0.5 for every label (as during training).
        cross_fitted: the same metrics with per-label thresholds, each row decided by thresholds chosen without
            it (:func:`cross_fitted_votes`: an honest estimate).
        in_sample_f1: macro F1 on the very rows the thresholds were chosen on (optimistic as a rule; on a few
            rows it can come out below ``cross_fitted``'s, and the note says which).
        decisions, truth: ``(N, L)`` 0/1 tensors: the cross-fitted decisions behind ``cross_fitted`` and the
            labels they are scored against (for their intervals,
            :func:`~trainwell.evaluate.explain.cross_fitted_intervals`); ``decisions`` is ``None`` when the
            thresholds were not adopted (no ``_tuned`` figures to give intervals to).
        adopted: whether the model decides at ``thresholds``: only when their cross-fitted macro F1 beats the
            macro F1 at 0.5 on the same rows (:func:`thresholds_beat_half`); otherwise every label stays at 0.5
            and ``thresholds`` are the ones that were tried.
        folds, repeats: the cross-fitting behind ``cross_fitted`` (:func:`cross_fitting_plan`).
    """

    thresholds: dict[str, float]
    global_threshold: float
    n_rows: int
    few_positives: tuple[str, ...]
    at_half: dict[str, float]
    cross_fitted: dict[str, float]
    in_sample_f1: float
    decisions: torch.Tensor | None = field(default=None, repr=False)
    truth: torch.Tensor | None = field(default=None, repr=False)
    adopted: bool = True
    folds: int = 2
    repeats: int = 1

    def _how(self) -> str:
        """How the cross-fitted figures were made: "chosen on one half of the 100 validation rows and scored on
        the other", or on four fifths of them."""
        if self.folds == 2 and self.repeats == 1:
            return f"chosen on one half of the {self.n_rows:,} validation rows and scored on the other"
        draws = (
            f"drawn {self.repeats} times, each row decided by its draws' majority" if self.repeats > 1 else ""
        )
        return (
            f"chosen on {self.folds - 1}/{self.folds} of the {self.n_rows:,} validation rows and scored on the "
            f"rest, in {self.folds} folds" + (f" {draws}" if draws else "")
        )

    def note(self, test_given: bool = False) -> str:
        """One paragraph for the fit output: what changed, and how far to trust the figures it shows;
        ``test_given``: a test set is scored after it (no advice to judge the model on one, then)."""
        before, after = self.at_half.get("f1"), self.cross_fitted.get("f1")
        if not self.adopted:
            figures = (
                f" (macro F1 {before:.4f} at 0.5, {after:.4f} at per-label thresholds {self._how()})"
                if before is not None and after is not None
                else ""
            )
            return (
                f"per-label thresholds did not beat 0.5 on the held-out check: kept 0.5{figures}; every label is "
                "decided at 0.5."
            )
        change = (
            f"macro F1 {before:.4f} at 0.5 (f1) -> {after:.4f} at them (f1_tuned); "
            if before is not None and after is not None
            else ""
        )
        shown = ", ".join(f"{label} {value:.2f}" for label, value in list(self.thresholds.items())[:8])
        more = f" and {len(self.thresholds) - 8} more" if len(self.thresholds) > 8 else ""
        rare = (
            f" Labels with under {PRIOR_POSITIVES:g} validation positives are pulled toward the threshold best "
            f"for all labels together ({self.global_threshold:.2f}): {', '.join(self.few_positives[:8])}"
            + (f" and {len(self.few_positives) - 8} more" if len(self.few_positives) > 8 else "")
            + "."
            if self.few_positives
            else ""
        )
        # Measured where they were chosen, F1 is optimistic as a rule, but on a few rows it can come out below the
        # cross-fitted figure (GoEmotions' first 800 texts: 0.1056 against 0.1138): said by the numbers.
        in_sample = (
            f"{self.in_sample_f1:.4f}, no higher than the cross-fitted {after:.4f} here"
            if after is not None and not self.in_sample_f1 > after
            else f"{self.in_sample_f1:.4f}, which is optimistic"
        )
        return (
            f"The model decides each label at its own threshold, chosen on the {self.n_rows:,} validation rows for "
            f"the best F1 ({shown}{more}; trainwell info lists them all). {change}the _tuned figures are "
            f"cross-fitted: thresholds {self._how()}; measured on the rows they were chosen on, F1 would read "
            f"{in_sample}.{rare}" + ("" if test_given else " Judge the model on a test set.")
        )


def cross_fitting_plan(n_rows: int, n_labels: int) -> tuple[int, int]:
    """The folds and draws of :func:`cross_fitted_votes` for ``n_rows`` validation rows of ``n_labels`` labels:
    :data:`FOLDS` folds drawn up to :data:`REPEATS` times (an odd number, for a majority) within
    :data:`CROSS_FIT_CELLS`; two halves once where even one draw of the folds is more work than that (many rows,
    where one split is steady), or where there are too few rows for the folds.

    Example:
        >>> cross_fitting_plan(100, 3), cross_fitting_plan(1_000, 28), cross_fitting_plan(5_426, 28)
        ((5, 3), (5, 1), (2, 1))
    """
    work = n_rows * max(n_labels, 1) * (FOLDS - 1)
    if n_rows < 2 * FOLDS or work > CROSS_FIT_CELLS:
        return 2, 1
    repeats = max(1, min(REPEATS, CROSS_FIT_CELLS // work))
    return FOLDS, repeats - (1 - repeats % 2)


def cross_fitted_votes(
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    *,
    seed: int = 0,
    folds: int = FOLDS,
    repeats: int = REPEATS,
) -> torch.Tensor:
    """0/1 decisions ``(N, L)`` with per-label thresholds, each row decided by thresholds chosen without it.

    The rows are cut into ``folds`` folds at random, and thresholds chosen on the others
    (:func:`~trainwell.metrics.thresholds.choose_thresholds`) decide each fold; that is drawn ``repeats`` times
    (seeds ``seed``, ``seed + 1``...), and each row's decision is the majority of its draws. One split alone
    decided by its luck on a few hundred rows: which rows fell in which half moved the cross-fitted macro F1 by
    more than the thresholds' gain, and the check kept 0.5 or not by the seed. Folds of four fifths choose
    from nearly as many rows as the adopted thresholds do (halves choose from half: a check leaning to 0.5).
    ``folds=2, repeats=1``: :func:`~trainwell.metrics.thresholds.cross_fitted_decisions` itself.
    """
    if folds == 2 and repeats == 1:
        return cross_fitted_decisions(probabilities, targets, seed=seed)
    n_rows = len(probabilities)
    if n_rows < folds:
        raise DataError(f"cross-fitted decisions in {folds} folds need at least {folds} rows; got {n_rows}")
    truth = targets.detach().cpu() > 0.5
    scores = probabilities.detach().double().cpu()
    votes = torch.zeros(truth.shape, dtype=torch.int64)
    for draw in range(repeats):
        fold_of = torch.empty(n_rows, dtype=torch.int64)
        fold_of[torch.randperm(n_rows, generator=torch.Generator().manual_seed(seed + draw))] = (
            torch.arange(n_rows) % folds
        )
        for fold in range(folds):
            decided, chosen_on = fold_of == fold, fold_of != fold
            choice = choose_thresholds(scores[chosen_on], truth[chosen_on])
            votes[decided] += (scores[decided] >= torch.tensor(choice.thresholds, dtype=torch.float64)).long()
    return votes * 2 > repeats


def thresholds_beat_half(at_half_f1: float, cross_fitted_f1: float) -> bool:
    """Whether per-label thresholds earn their place: their cross-fitted macro F1 (each validation row decided
    by thresholds chosen without it, :func:`cross_fitted_votes`) is above the macro F1 of deciding every label
    at 0.5 on the same rows. Both figures are on the same rows, neither chose anything on the rows it scores, so they
    compare like with like; a tie keeps 0.5, the simpler rule. (A tour: "macro F1 0.7091 at 0.5 -> 0.6995 at
    them", and the thresholds were adopted all the same.)

    Example:
        >>> thresholds_beat_half(0.7091, 0.6995), thresholds_beat_half(0.40, 0.45)
        (False, True)
    """
    return cross_fitted_f1 > at_half_f1


def tune_label_thresholds(learn: Any, *, seed: int = 0) -> ThresholdSummary | None:
    """Choose a threshold per label on ``learn``'s validation rows and make the model decode with them, when
    they beat 0.5 on the held-out check (:func:`thresholds_beat_half`).

    Adopted, they set ``learn.task`` and ``learn.data.task`` to the task with ``label_thresholds``, the
    Learner's registered metrics are rebuilt with them, and the last history row gets the cross-fitted values
    of :data:`THRESHOLD_METRICS` at the chosen thresholds (``"f1_tuned"``...); ``"f1"`` stays the value at
    0.5, as in every epoch before it, so the curves compare like with like. Not adopted (their cross-fitted
    macro F1 is no better than at 0.5), the model, its task and its history are left as they were, every label
    decided at 0.5, and the summary says so (``adopted=False``). Does nothing (``None``) unless the task is
    multilabel and there are validation rows.
    """
    task = learn.task
    if task.kind != "multilabel" or learn.data.valid is None:
        return None
    from trainwell.learner.kept_predictions import validation_predictions

    probabilities, targets = validation_predictions(learn)  # the fit's last pass's, when it kept them
    if targets is None or not len(probabilities):
        return None
    probabilities, targets = probabilities.float().cpu(), targets.float().cpu()
    choice = choose_thresholds(probabilities, targets)
    folds, repeats = cross_fitting_plan(*probabilities.shape)
    decisions = cross_fitted_votes(probabilities, targets, seed=seed, folds=folds, repeats=repeats).float()
    half_f1, crossed_f1 = _score("f1", probabilities, targets, 0.5), _score("f1", decisions, targets, 0.5)
    if not thresholds_beat_half(half_f1, crossed_f1):
        return _kept_at_half(learn, probabilities, targets, decisions, choice, (folds, repeats))
    tuned = dataclasses.replace(task, label_thresholds=choice.thresholds)
    learn.task = learn.data.task = tuned
    # Only the registry's own metrics are rebuilt: a metric of your own keeps its object, even under a
    # registered name.
    learn.metrics = [
        get_metric(metric.name, tuned.kind, threshold=tuned.decision_threshold, classes=tuned.classes)
        if _registered(metric)
        else metric
        for metric in learn.metrics
    ]
    names = [
        metric.name for metric in learn.metrics if metric.name in THRESHOLD_METRICS and _registered(metric)
    ]
    at_half = {name: _score(name, probabilities, targets, 0.5) for name in names}
    cross_fitted = {name: _score(name, decisions, targets, 0.5) for name in names}
    if learn.history:
        row = learn.history[-1]
        for name in names:
            row[f"{name}{TUNED_SUFFIX}"] = cross_fitted[name]
    # validate() on these very rows scores at thresholds chosen on them: it warns, and names the honest figures.
    learn.thresholds_chosen_on = learn.data.valid
    learn.threshold_figures = {
        **{f"{name}{TUNED_SUFFIX}": value for name, value in cross_fitted.items()},
        **{f"{name}{AT_HALF_SUFFIX}": value for name, value in at_half.items()},
    }
    return ThresholdSummary(
        thresholds={str(label): value for label, value in zip(tuned.classes, choice.thresholds, strict=True)},
        global_threshold=choice.global_threshold,
        n_rows=len(probabilities),
        few_positives=tuple(
            str(label)
            for label, count in zip(tuned.classes, choice.positives, strict=True)
            if count < PRIOR_POSITIVES
        ),
        at_half=at_half,
        cross_fitted=cross_fitted,
        in_sample_f1=_score("f1", probabilities, targets, choice.thresholds),
        decisions=decisions,
        truth=targets,
        folds=folds,
        repeats=repeats,
    )


def _kept_at_half(
    learn: Any,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    decisions: torch.Tensor,
    choice: Any,
    plan: tuple[int, int],
) -> ThresholdSummary:
    """The summary of thresholds tried and not adopted: the model keeps 0.5 for every label, its history and
    metrics untouched; ``at_half`` and ``cross_fitted`` hold the two macro F1s (and the other threshold
    metrics the Learner reports) that decided it."""
    names = [
        metric.name for metric in learn.metrics if metric.name in THRESHOLD_METRICS and _registered(metric)
    ]
    shown = list(dict.fromkeys(["f1", *names]))
    classes = learn.task.classes
    return ThresholdSummary(
        thresholds={str(label): value for label, value in zip(classes, choice.thresholds, strict=True)},
        global_threshold=choice.global_threshold,
        n_rows=len(probabilities),
        few_positives=tuple(
            str(label)
            for label, count in zip(classes, choice.positives, strict=True)
            if count < PRIOR_POSITIVES
        ),
        at_half={name: _score(name, probabilities, targets, 0.5) for name in shown},
        cross_fitted={name: _score(name, decisions, targets, 0.5) for name in shown},
        in_sample_f1=_score("f1", probabilities, targets, choice.thresholds),
        decisions=None,
        truth=targets,
        adopted=False,
        folds=plan[0],
        repeats=plan[1],
    )


def choose_label_thresholds(
    learn: Any,
    *,
    seed: int = 0,
    progress: bool = True,
    tune: bool = True,
    decision: str | float | None = None,
) -> ThresholdSummary | None:
    """:func:`tune_label_thresholds` at the end of a pipeline's fit, saying what it did on stderr (with
    ``progress``) so that the F1 in the table that follows is read as what it is. ``tune=False``
    (``tune_thresholds=False``, ``--no-label-thresholds``): the thresholds stay at 0.5, and the decisions at 0.5
    are held to the trivial answers all the same (:func:`warn_label_baselines`); ``None`` is returned.

    ``decision`` (binary targets: ``decision_threshold=``, ``--decision-threshold``): the metric to choose the
    one decision threshold for on the validation rows (``"f1"``...), or the threshold itself
    (:func:`~trainwell.learner.decision_threshold.choose_decision_threshold`; ``learn.decision_threshold``
    says what it did)."""
    if decision is not None:
        from trainwell.learner.decision_threshold import choose_decision_threshold

        choose_decision_threshold(learn, decision, seed=seed, progress=progress)
    if not tune:
        warn_label_baselines(learn)
        return None
    summary = tune_label_thresholds(learn, seed=seed)
    if summary is not None and progress:
        say_threshold_note(summary, test_given=getattr(learn.data, "test", None) is not None)
    if summary is not None:
        # tried, adopted or not: a short F1 at 0.5 is not for want of thresholds, so the advice is to train on
        warn_label_baselines(learn, summary)
    return summary


def warn_label_baselines(learn: Any, summary: ThresholdSummary | None = None) -> None:
    """Warn (:class:`~trainwell.metrics.label_baselines.BaselineNotBeaten`) when the last history row's threshold
    metrics, at 0.5 and ``_tuned``, do not beat answering no label anywhere or the training rows' most frequent
    label set on the rows the thresholds were chosen on (:func:`~trainwell.metrics.label_baselines.label_baselines`).
    Without ``summary`` (no thresholds chosen: every label decided at 0.5), its metrics at 0.5 on the validation
    rows, in the same words; nothing for another task or without validation rows."""
    from trainwell.core.warn import warn

    if not learn.history:
        return
    if summary is not None:
        truth = summary.truth
    elif learn.task.kind == "multilabel" and learn.data.valid is not None:
        from trainwell.learner.kept_predictions import validation_predictions

        truth = validation_predictions(learn)[1]  # the fit's last pass's, when it kept them
    else:
        return
    warning = label_baseline_shortfall(learn, truth, thresholds_tuned=summary is not None)
    if warning is not None:
        warn(warning)


def label_baseline_shortfall(
    learn: Any, truth: torch.Tensor | None, *, thresholds_tuned: bool
) -> Warning | None:
    """The :class:`~trainwell.metrics.label_baselines.BaselineNotBeaten` warning for ``learn``'s last history row
    against the trivial label sets on the rows of ``truth`` (``(N, L)`` 0/1), or ``None`` when it beats them or
    there are no rows: what :func:`warn_label_baselines` says, and a multi-label cross-validation's folds keep."""
    from trainwell.metrics.label_baselines import label_baseline_warning, label_baselines

    if truth is None or not len(truth):
        return None
    train = getattr(learn.data.train, "targets", None)
    baselines = label_baselines(
        truth.float().cpu(),
        list(learn.task.classes or ()),
        train_targets=train if isinstance(train, torch.Tensor) and train.ndim == 2 else None,
    )
    return label_baseline_warning(
        learn.history[-1], baselines, tuned_suffix=TUNED_SUFFIX, thresholds_tuned=thresholds_tuned
    )


def say_threshold_note(summary: ThresholdSummary, test_given: bool = False) -> None:
    """Print ``summary``'s note on stderr, as ``trainwell fit`` and ``trainwell tune`` show it (``test_given``:
    the fit scores a test set next, :meth:`ThresholdSummary.note`)."""
    from rich.console import Console

    Console(stderr=True).print(summary.note(test_given), soft_wrap=True, markup=False)


def warn_in_sample_thresholds(learn: Any, results: dict[str, float]) -> None:
    """Warn, in one line, that ``results`` (``learn.validate()`` on the rows the thresholds were chosen on) score
    the threshold metrics at thresholds fitted to those very rows, and name the honest figures to read."""
    from trainwell.core.warn import warn

    shown = [name for name in THRESHOLD_METRICS if name in results]
    if not shown:
        return
    figures = getattr(learn, "threshold_figures", {}) or {}
    # Scored where they were chosen, a figure flatters the model when it beats the cross-fitted one (or when
    # there is none to compare with); on a few rows it can come out no better (GoEmotions' first 800 texts:
    # f1 0.1056 against f1_tuned 0.1138), and saying "flatter" of it then reads the numbers backwards.
    flattering = [name for name in shown if _flatters(name, results[name], figures.get(name + TUNED_SUFFIX))]
    no_better = [name for name in shown if name not in flattering]
    flattered = ", ".join(f"{name} {results[name]:.4f}" for name in flattering)
    plain = ", ".join(f"{name} {results[name]:.4f}" for name in no_better)
    tuned = ", ".join(f"{name} {value:.4f}" for name, value in figures.items() if name.endswith(TUNED_SUFFIX))
    half = ", ".join(
        f"{name.removesuffix(AT_HALF_SUFFIX)} {value:.4f}"
        for name, value in figures.items()
        if name.endswith(AT_HALF_SUFFIX)
    )
    binary = getattr(getattr(learn, "task", None), "kind", None) == "binary"
    where = "learn.decision_threshold" if binary else "learn.history[-1]"
    honest = f"read the fit's cross-fitted {tuned} ({where}; at 0.5: {half}), or " if tuned else ""
    chosen = (
        "the decision threshold was chosen on, at that threshold"
        if binary
        else ("the label thresholds were chosen on, at those thresholds")
    )
    is_are = "is" if len(no_better) == 1 else "are"
    if flattering:
        also = f" (its {plain} {is_are} no better than the cross-fitted figures here)" if no_better else ""
        judged = f"so its {flattered} {'flatters' if len(flattering) == 1 else 'flatter'} the model{also}"
    else:
        judged = f"its {plain} {is_are} no better than the cross-fitted figures here, but not a test either"
    warn(
        f"learn.validate() scored the rows {chosen}, {judged}: {honest}validate on new labelled rows, "
        "learn.validate(new_rows)",
        UserWarning,
    )


def _flatters(name: str, in_sample: float, cross_fitted: float | None) -> bool:
    """Whether ``in_sample`` (metric ``name`` on the rows the thresholds were chosen on) reads better than
    ``cross_fitted``, its honest figure; true when there is none to compare with."""
    if cross_fitted is None or not math.isfinite(cross_fitted) or not math.isfinite(in_sample):
        return True
    return in_sample < cross_fitted if name == "error_rate" else in_sample > cross_fitted


def _registered(metric: Any) -> bool:
    """Whether ``metric`` is the registry's metric of its name (not one of your own that shares the name)."""
    return metric.name in list_metrics() and type(metric) is metric_registry.entry(metric.name).factory


def _score(name: str, probabilities: Any, targets: Any, threshold: Any) -> float:
    function = {"accuracy": functional.accuracy, "error_rate": functional.error_rate, "f1": functional.f1}[
        name
    ]
    return float(function(probabilities, targets, "multilabel", threshold))
