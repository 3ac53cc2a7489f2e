"""The model of an earlier run's trial, kept by a resumed study (``storage=``, :mod:`trainwell.automl._storage`):
its settings trained again, with the schedule the trial trained, within ``--time``, and checked against the
score stored for it.

A trial's model lives only in the run that trained it. When a resumed search keeps an earlier run's trial, its
settings are trained again (:func:`train_again`), with the same data and seed:

- **The schedule it trained.** A trial that the search's ``--time`` cut (``cut_by_time``) trained fewer batches
  than its ``epochs`` asked, its one-cycle schedule fitted to them as the budget re-planned it batch by batch;
  its score is of those. It is trained again for the batches it trained (:class:`TrainedBatches`: 6.3 of 14
  epochs), its schedule's progress following the one the trial trained (:class:`ProgressRecord` keeps it, at
  :data:`CURVE_POINTS` batches at most, read between them by straight lines past that): on the same machine the
  same fit, its score as stored. A busy machine's cut plan is not a
  plain one-cycle over those batches: a plan made short by slow first batches and lengthened later keeps its
  progress, so the learning rate falls early and trains a long tail low. (A whole 14-epoch schedule scored 0.853
  where the cut one had scored 0.889, below every other trial of the study.) A study written before the batches were kept
  holds no count: such a trial is not trained again while this run holds a model (its whole schedule is
  trained only when it holds none).
- **Within ``--time``.** The search keeps time for it: while the study's best trial is an earlier run's, no
  trial starts, and no trial's fit runs, into the seconds that trial took, times :data:`REFIT_MARGIN`
  (:func:`refit_reserve`). When what is left at the end is less than those seconds all the same, the trial is
  not trained again and the best model this run holds is written instead.
- **Checked.** The refit is scored on the same validation rows as the stored trial. It is *clearly worse* when
  the 90% paired bootstrap interval of its difference from the stored trial, over those rows (the same resamples
  and level as the gain's check, :mod:`trainwell.automl._gain`), lies wholly below zero: a gap the rows' noise
  does not explain, such as a schedule that was not the one scored. Within that interval the refit is the stored
  trial again, and is kept. Where the stored predictions are not at hand (a metric not of rows, or predictions
  too large to store) the tolerance is what keeps the written model no worse than another in hand: the refit is
  clearly worse when a model this run holds scores better. A refit clearly worse is replaced by the best model
  this run holds (its best trial's, or a defaults' trial's) when that scores at least as well as the refit.

What happened is one record, :attr:`~trainwell.automl.result.TuneResult.refitted` (``tuning.json``), which
``trainwell tune`` says in one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.callbacks.budget import format_duration
from trainwell.core.numbers import figure, format_epochs
from trainwell.learner.events import Callback, CancelFit, CancelTrain
from trainwell.learner.kept_predictions import KeepValidationPredictions, validation_predictions

if TYPE_CHECKING:
    from trainwell.automl.search import _Trials
    from trainwell.learner.learner import Learner

__all__ = ["CURVE_POINTS", "REFIT_MARGIN", "ProgressRecord", "TrainedBatches", "refit_reserve", "train_again"]

#: The time a search keeps for training an earlier run's trial again, as a multiple of the seconds that trial
#: took: the same settings on the same data take about the same time, and a fifth more absorbs a busier machine.
REFIT_MARGIN = 1.2


#: The most points of a cut trial's schedule a study keeps (its progress at evenly spaced batches, exact numbers:
#: a 3e-8 difference in the learning rate, 6 decimals of the progress, moved a Titanic MLP's ROC AUC by 0.01).
#: Up to this many batches the schedule is trained again exactly; past them, read between the points.
CURVE_POINTS = 20_000


class ProgressRecord(Callback):
    """Keeps the progress of a fit's schedules (``learn.pct_train``) at each training batch, as a time budget
    planned it (:attr:`progress`), for training a cut trial again on the same schedule (:meth:`curve`)."""

    order = (
        -20
    )  # after a TimeBudget (-40) has planned the batch, before the schedules (-10) read its progress

    def __init__(self) -> None:
        self.progress: list[float] = []

    def before_fit(self, learn: Learner) -> None:
        self.progress = []

    def before_batch(self, learn: Learner) -> None:
        if learn.training:
            self.progress.append(learn.pct_train)

    def curve(self) -> list[float]:
        """The progress at :data:`CURVE_POINTS` evenly spaced batches at most, the first and last included."""
        count = len(self.progress)
        if count <= CURVE_POINTS:
            return list(self.progress)
        last = count - 1
        return [self.progress[round(k * last / (CURVE_POINTS - 1))] for k in range(CURVE_POINTS)]


class TrainedBatches(Callback):
    """End a fit after ``batches`` training batches, its schedules' progress following ``curve`` (a
    :meth:`ProgressRecord.curve`; ``None``: planned over the batches from the first): a trial that a time budget
    cut, trained again for the batches it trained on the schedule it trained (the fit asks for whole epochs;
    the last one ends part-way, then validates)."""

    order = -50  # before the schedules read learn.pct_train (and before a TimeBudget plans)

    def __init__(self, batches: int, curve: list[float] | None = None) -> None:
        self.batches = max(1, int(batches))
        self.curve = list(curve) if curve else None

    def before_fit(self, learn: Learner) -> None:
        learn.n_iterations = min(learn.n_iterations, self.batches)

    def before_epoch(self, learn: Learner) -> None:
        if learn.iteration >= learn.n_iterations:
            raise CancelFit  # the batches ended with the last epoch's training, which has validated

    def before_batch(self, learn: Learner) -> None:
        if not learn.training:
            return
        if learn.iteration >= learn.n_iterations:
            raise CancelTrain  # this epoch trained a batch at least (before_epoch saw one left): it validates
        if self.curve is not None:
            learn.progress = _read(self.curve, learn.iteration, self.batches)


def _read(curve: list[float], batch: int, batches: int) -> float:
    """The progress at ``batch`` of ``batches`` on ``curve`` (evenly spaced over them), by a straight line
    between its points."""
    if len(curve) == 1 or batches <= 1:
        return curve[0]
    at = batch * (len(curve) - 1) / (batches - 1)
    low = min(int(at), len(curve) - 2)
    share = min(1.0, at - low)
    return curve[low] + share * (curve[low + 1] - curve[low])


@dataclass(frozen=True)
class _InHand:
    """A model this run trained and kept: its trial's number, score and learner."""

    number: int
    value: float
    learn: Learner


def refit_reserve(trials: _Trials, study: Any) -> float:
    """Seconds a search under a time budget keeps for training again the study's best trial so far, when that
    trial is an earlier run's (its model not in hand): the seconds it took times :data:`REFIT_MARGIN`; 0
    otherwise."""
    if trials.budget is None or not trials.earlier:
        return 0.0
    from optuna.trial import TrialState

    finished = [
        t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.value == t.value
    ]
    if not finished:
        return 0.0
    sign = 1.0 if trials.direction == "maximize" else -1.0
    best = max(finished, key=lambda trial: (sign * float(trial.value), -trial.number))
    if best.number not in trials.earlier or (best.number in trials.cut and best.number not in trials.trained):
        return 0.0  # in hand, or a cut trial of an earlier version's study, which is not trained again
    return REFIT_MARGIN * trials.times.get(best.number, 0.0)


def train_again(trials: _Trials, trial: Any, params: dict[str, Any]) -> tuple[Learner, int, dict[str, Any]]:
    """The model written for ``trial``, an earlier run's (its settings ``params``; see the module docstring):
    its settings trained again, or the best model this run holds in its place. Returns that learner, the number
    of the trial it is, and the record (:attr:`~trainwell.automl.result.TuneResult.refitted`)."""
    number, stored = trial.number, float(trial.value)
    hand = _best_in_hand(trials)
    record: dict[str, Any] = {"trial": number, "stored_value": stored}
    needs = trials.times.get(number, 0.0)
    budget = trials.budget
    if budget is not None and hand is not None and budget.remaining < needs:
        record.update(refit_value=None, kept_trial=hand.number, kept_value=hand.value,
                      time_left=round(budget.remaining, 3))  # fmt: skip
        record["said"] = (
            f"trial {number} (an earlier run's, {trials.chosen} {figure(stored)} stored) was not trained again: it "
            f"took {format_duration(needs)} and --time had {format_duration(budget.remaining)} left; the model "
            f"written is trial {hand.number}'s, {figure(hand.value)}, the best this run trained"
        )
        return hand.learn, hand.number, record
    if number in trials.cut and number not in trials.trained and hand is not None:
        record.update(refit_value=None, kept_trial=hand.number, kept_value=hand.value)
        record["said"] = (
            f"trial {number} (an earlier run's, {trials.chosen} {figure(stored)} stored) was not trained again: "
            "--time cut it, and the study (of an earlier version) kept no count of the epochs it trained, so its "
            f"score cannot be trained again; the model written is trial {hand.number}'s, {figure(hand.value)}, "
            "the best this run trained"
        )
        return hand.learn, hand.number, record
    params, callbacks, epochs = _schedule(trials, number, params)
    clock = trials.clock()
    started = clock()
    try:
        learn = trials.kinds[number].train(trials.data, params, trials.seed, callbacks, trials.progress)
    except KeyboardInterrupt:  # after the last trial: as Ctrl-C in a trial, the best model in hand is kept
        if hand is None or trials.interrupted is not None or trials.stopped_after is not None:
            raise  # none in hand, or a second Ctrl-C: stop at once
        trials.stopped_after = f"training trial {number} (an earlier run's) again"
        record.update(refit_value=None, kept_trial=hand.number, kept_value=hand.value, interrupted=True)
        record["said"] = (
            f"trial {number} (an earlier run's, {trials.chosen} {figure(stored)} stored) was not trained again: "
            f"Ctrl-C stopped its training; the model written is trial {hand.number}'s, {figure(hand.value)}, the "
            "best this run trained"
        )
        return hand.learn, hand.number, record
    seconds = clock() - started
    # The row of the weights kept (a table's MLP: its epoch of lowest validation loss), as the trial was scored
    value = float(learn.final_row[trials.chosen]) if learn.history else math.nan
    record.update(refit_value=value, seconds=round(seconds, 3))
    if epochs is not None:
        record["epochs_trained"] = epochs
    if number in trials.cut and epochs is None:
        record["whole_schedule"] = True  # cut, but a study of an earlier version kept no count of its batches
    worse = _clearly_worse(trials, number, learn, value, hand)
    schedule = _schedule_said(trials, number, epochs)
    took = format_duration(seconds)
    if budget is not None:  # past --time only where this run kept no model to write in its place
        took += (
            " of --time"
            if budget.remaining > 0
            else ", past --time (this run kept no model to write instead)"
        )
    if worse is None:
        record["kept_trial"] = number
        same = (
            "as stored" if value == stored else f"{figure(stored)} stored, within the validation rows' noise"
        )
        record["said"] = (
            f"the model written is trial {number}'s, from an earlier run: its settings were trained again {schedule} "
            f"in {took}, {trials.chosen} {figure(value)}, {same}"
        )
        return learn, number, record
    record["clearly_worse"] = worse
    if hand is not None and not _better(value, hand.value, trials.direction):
        record.update(kept_trial=hand.number, kept_value=hand.value)
        record["said"] = (
            f"trial {number}'s settings (an earlier run's) trained again {schedule} scored {trials.chosen} "
            f"{figure(value)} in {took}, clearly below the {figure(stored)} stored ({worse}); the model written is "
            f"trial {hand.number}'s instead, {figure(hand.value)}, the best this run trained"
        )
        return hand.learn, hand.number, record
    record["kept_trial"] = number
    record["said"] = (
        f"the model written is trial {number}'s, from an earlier run: its settings trained again {schedule} scored "
        f"{trials.chosen} {figure(value)} in {took}, clearly below the {figure(stored)} stored ({worse}), but above "
        "every model this run trained"
    )
    return learn, number, record


def _best_in_hand(trials: _Trials) -> _InHand | None:
    """The best-scoring model this run trained and kept: its best trial's, or one of its defaults' trials'."""
    held = []
    if trials.kept:
        held.append(_InHand(trials.kept["number"], float(trials.kept["value"]), trials.kept["learn"]))
    for number, learn in trials.defaults.items():
        if learn.history and number not in {model.number for model in held}:
            held.append(_InHand(number, float(learn.final_row[trials.chosen]), learn))
    held = [model for model in held if model.value == model.value]
    if not held:
        return None
    sign = 1.0 if trials.direction == "maximize" else -1.0
    return max(held, key=lambda model: (sign * model.value, -model.number))


def _schedule(
    trials: _Trials, number: int, params: dict[str, Any]
) -> tuple[dict[str, Any], list[Callback], float | None]:
    """The settings, callbacks and epochs trained (``None``: the whole schedule) of ``number``'s refit: a trial
    the budget cut trains the batches it trained (:class:`TrainedBatches`), in the whole epochs that hold them."""
    callbacks: list[Callback] = [KeepValidationPredictions()]
    trained = trials.trained.get(number)
    if number not in trials.cut or trained is None:
        return params, callbacks, None
    batches, per_epoch = trained
    epochs = batches / max(1, per_epoch)
    whole = max(1, math.ceil(epochs - 1e-9))
    replay = TrainedBatches(batches, trials.curves.get(number))
    return {**params, "epochs": whole}, [replay, *callbacks], round(epochs, 3)


def _schedule_said(trials: _Trials, number: int, epochs: float | None) -> str:
    """How a refit trained, in parentheses: ``(same data and seed, the 6.3 epochs --time cut it to)``."""
    if epochs is not None:
        return f"(same data and seed, the {format_epochs(epochs)} epochs --time cut it to)"
    if number in trials.cut:
        return (
            "(same data and seed, its whole schedule: the study kept no count of the epochs --time cut it to)"
        )
    return "(same data and seed)"


def _clearly_worse(
    trials: _Trials, number: int, learn: Learner, value: float, hand: _InHand | None
) -> str | None:
    """Why the refit of trial ``number`` (scoring ``value``) is clearly worse than the stored trial, in words
    for the record; ``None`` when it is not (see the module docstring for the rule)."""
    if value != value:
        return "it did not finish"
    stored = trials.predictions.get(number)
    if stored is not None and trials.targets is not None:
        low, high = _paired_interval(trials, stored[1], learn)
        if low == low:
            if (high if trials.direction == "maximize" else -low) < 0:
                return f"90% interval of the difference over the validation rows [{low:+.4f}, {high:+.4f}]"
            return None
    if hand is not None and _better(hand.value, value, trials.direction):
        return f"below trial {hand.number}'s {figure(hand.value)}, a model this run trained"
    return None


def _paired_interval(trials: _Trials, stored: Any, learn: Learner) -> tuple[float, float]:
    """The 90% paired bootstrap interval of the refit's score minus the stored trial's, over the validation rows
    (NaN, NaN when it cannot be had: other shapes, or no resample with the metric defined)."""
    from trainwell.automl._gain import GAIN_ALPHA, GAIN_RESAMPLES, resampled_scores
    from trainwell.metrics import functional

    preds, _ = validation_predictions(learn)
    targets = trials.targets
    assert targets is not None
    if preds.shape != stored.shape:
        return math.nan, math.nan
    metric, task = getattr(functional, trials.chosen), trials.data.task.kind
    binary_auc = trials.chosen == "roc_auc" and task == "binary" and stored.dim() == 1
    _, resampled = resampled_scores(
        [stored, preds.detach().cpu()], targets, lambda p, t: float(metric(p, t, task)), GAIN_RESAMPLES,
        trials.seed, binary_auc,
    )  # fmt: skip
    differences = resampled[:, 1] - resampled[:, 0]
    differences = differences[~np.isnan(differences)]
    if not len(differences):
        return math.nan, math.nan
    low, high = np.quantile(differences, [GAIN_ALPHA, 1 - GAIN_ALPHA])
    return float(low), float(high)


def _better(value: float, than: float, direction: str) -> bool:
    return value > than if direction == "maximize" else value < than
