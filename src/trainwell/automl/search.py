"""The hyper-parameter search every application shares, with Optuna: trainwell's own training, tried with
other settings (tables: :mod:`trainwell.automl.table`; recommenders and taggers beside it).

A :class:`Space` says what one kind of model tries: its defaults (what ``trainwell fit`` does), the
:class:`Range` of each setting, and how one trial trains; a :class:`MixedSpace` searches several kinds in one
study (tables' ``arch="auto"``), each trial picking its kind. :func:`run_search` runs the study: the first
trials are always the defaults (one per kind), so the record says plainly whether the search beat them, and
which kind each trial trained (``arch``) and which won; every trial trains on the same
training rows, with the same seed, and is scored on the same validation rows by one metric; a trial whose
curve falls below the median of the earlier ones at the same point of its schedule is stopped early (Optuna's
median pruner). The best trial's model is kept (never trained again) and written with ``tuning.json``: every
trial's settings, score, state and time; but when its gain over the better defaults' trial is within the noise
of the validation rows, the choice of the best among the trials counted (a reality check over resamples of
those rows, :mod:`trainwell.automl._gain`, with a p-value at or above 0.05), the defaults' trial's model is
kept instead, unless ``keep="best"`` (:func:`~trainwell.automl._gain.choose_kept`): the best of many trials on
the same rows is flattered by having been chosen on them.

``timeout`` bounds the whole search, from the call to the best model in hand: it is one
:class:`~trainwell.callbacks.TimeBudget` shared by the trials, so the trial running when time runs short is
fitted to what is left (its schedule shortened, ``cut_by_time`` in its record) instead of running over, and
no trial starts with less time left than a trial takes (:func:`_time_needed`): the shortest of the finished
trials of a kind the budget fits to the time, the median one of a kind fitted in one step (boosted trees),
which nothing can cut; under a :class:`MixedSpace`, of whichever kind needs more. (Trials were once let start
with a quarter of a typical trial's time, and with none at all after trials the budget had all cut: an image or
text search started trials with 1 or 2 s left, which trained a sliver of an epoch and ran past ``--time``.)

The start-up (reading the data, choosing the defaults, loading the training code: ``torch._dynamo``, which
the first optimizer would otherwise import inside trial 0) is timed apart from the trials, before the first one
(:attr:`~trainwell.automl.result.TuneResult.startup_seconds`): trial 0's seconds, and so what the time left is
compared with, are its training's alone. A search of boosted trees alone (no kind whose ``Space.steps``) builds no
optimizer and loads none of that code, with or without ``timeout``: a second of CPU a process saved.

With ``storage=`` (``--storage tune.db``) the study is kept across runs (:mod:`trainwell.automl._storage`): the
same search run again resumes it, ``n_trials`` more trials after the stored ones, its defaults' trials not run
again, and the best trial of all the runs is kept (one of an earlier run trained again from its settings); a
stored study made for other data, metric, seed or ranges is refused.

Under ``torchrun --nproc_per_node N`` the search runs N trials at a time, one per process, each trained by
its process alone (no ``DistributedDataParallel``), all in one study (:mod:`trainwell.automl._spread`): the
sampler and the pruner see every process's trials, ``n_trials`` and ``timeout`` are the whole search's, and the
kept model is written once, by the process that trained it. Rank 0 says so in one line as the trials begin
(:func:`spread_line`).

Choosing the best of many trials on the same validation rows flatters that score: confirm it on held-out data
(``trainwell evaluate`` or a test set) before trusting the difference.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from trainwell.automl._gain import (
    KEEP_CHOICES,
    KeptTrial,
    SelectionCheck,
    check_gain,
    of_rows,
)
from trainwell.automl._refit import ProgressRecord, refit_reserve, train_again
from trainwell.automl.pruning import OptunaPruning, pruned_outcome
from trainwell.automl.result import TUNING_FILE, TuneResult
from trainwell.automl.space import ARCH_PARAM, MixedSpace, Range, Space
from trainwell.callbacks.budget import TimeBudget, format_duration, load_training_imports, parse_duration
from trainwell.core.errors import ConfigError, UserError
from trainwell.core.numbers import figure
from trainwell.core.seeding import seed_everything
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle
from trainwell.evaluate.compare import higher_is_better
from trainwell.evaluate.evaluation import decided_at, of_decisions
from trainwell.learner.events import Callback
from trainwell.learner.kept_predictions import KeepValidationPredictions, validation_predictions
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.learner.learner import Learner
from trainwell.learner.run_files import check_fit_settings, score_test_set, write_run

if TYPE_CHECKING:
    import torch

    from trainwell.automl._storage import StoredStudy

__all__ = [
    "OptunaPruning",
    "Range",
    "SearchSettings",
    "Space",
    "TuneResult",
    "TuningDependencyError",
    "run_search",
]

INSTALL_HINT = "pip install 'trainwell[tune]' (or: pip install optuna)"
#: The metric a search maximises or minimises, per task, unless one is named.
SEARCH_METRIC = {"binary": "roc_auc", "multilabel": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}


class TuningDependencyError(UserError, ModuleNotFoundError):
    """Optuna is not installed; the message says how to install it."""


def one_time_setting(timeout: float | str | None, time_budget: float | str | None) -> float | str | None:
    """The search's time from ``timeout=`` or ``time_budget=`` (the name ``fit_*`` and ``evaluate_*`` give the
    same setting); both at once are refused."""
    if time_budget is None:
        return timeout
    if timeout is not None:
        from trainwell.core.errors import ConfigError

        raise ConfigError(
            f"time_budget= and timeout= are one setting, given twice ({time_budget!r}, {timeout!r}): pass one"
        )
    return time_budget


def import_optuna() -> Any:
    try:
        import optuna
    except ModuleNotFoundError as error:
        missing = TuningDependencyError(f"hyper-parameter search needs the package 'optuna': {INSTALL_HINT}")
        missing.name = "optuna"
        raise missing from error
    return optuna


def check_search_settings(
    n_trials: int,
    timeout: float | str | None,
    out: str | Path | None,
    keep: str = "clear",
    storage: str | Path | None = None,
    study_name: str | None = None,
) -> StoredStudy | None:
    """Refuse a search's settings, and a missing Optuna, before any data is read; the stored study that
    ``storage`` and ``study_name`` name (``None``: a study in memory)."""
    import_optuna()
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigError(f"--trials must be a whole number of at least 1, got {n_trials!r}")
    if keep not in KEEP_CHOICES:
        raise ConfigError(
            f"keep (--keep) {keep!r} is not a choice: clear (the default: the best trial only when its gain over "
            "the defaults is clear of the validation rows' noise, the choice of the best counted, else the "
            "defaults') or best (the best trial always)"
        )
    if timeout is not None:
        parse_duration(timeout, "timeout")  # seconds, or a duration such as "10m": refused in one line
    check_fit_settings(None, None, out)
    from trainwell.automl._storage import resolve_storage

    study = resolve_storage(storage, study_name)
    if study is not None:
        from trainwell.distributed.spread import spread_position

        if spread_position()[1] > 1:
            raise ConfigError(
                "--storage (storage=) is not kept under torchrun: a spread search keeps its study in a journal "
                "of its own for that run; run the search without torchrun to keep it in --storage, or leave "
                "--storage out"
            )
    return study


def search_budget(timeout: float | str | None) -> TimeBudget | None:
    """The time budget of a whole search, counting from now (``None`` without a timeout)."""
    # The training code's imports wait for the space (_Trials.start_up): boosted trees alone need none of them.
    return None if timeout is None else TimeBudget(timeout).start(imports=False)


@dataclass(frozen=True)
class SearchSettings:
    """How a study runs, whatever it searches: the settings every ``tune_*`` function passes to
    :func:`run_search` as they were given (``budget`` from :func:`search_budget`)."""

    n_trials: int
    budget: TimeBudget | None
    out: str | Path | None
    seed: int
    pruner: Any = None
    progress: bool = False
    tune_thresholds: bool = True
    keep: str = "clear"
    #: Where the study is kept across runs (``storage=``, ``study_name=``); ``None``: in memory.
    study: StoredStudy | None = None
    #: When the search began (:func:`start_search`), on the budget's clock (else ``time.perf_counter``'s): the
    #: start-up before the first trial is counted from it; ``None``: from :func:`run_search`'s call.
    started_at: float | None = None
    #: Binary targets (``decision_threshold=``, ``--decision-threshold``), as ``fit_*`` take it: the metric each
    #: trial's model chooses its threshold for on the validation rows, or the threshold itself; ``None``: 0.5.
    decision_threshold: str | float | None = None


def start_search(
    n_trials: int,
    timeout: float | str | None,
    out: str | Path | None,
    seed: int,
    pruner: Any,
    progress: bool,
    keep: str,
    tune_thresholds: bool = True,
    *,
    storage: str | Path | None = None,
    study_name: str | None = None,
    decision_threshold: str | float | None = None,
) -> SearchSettings:
    """A search's settings, refused in one line before any data is read (:func:`check_search_settings`), with
    its time budget started and every generator seeded with ``seed``; ``storage`` and ``study_name``: the study
    kept across runs (:mod:`trainwell.automl._storage`); ``decision_threshold``: as ``fit_*`` take it (its value
    checked here, its task in :func:`run_search`)."""
    from trainwell.learner.decision_threshold import decision_threshold_setting

    decision = decision_threshold_setting(decision_threshold)
    study = check_search_settings(n_trials, timeout, out, keep, storage, study_name)
    budget = search_budget(timeout)
    started_at = budget.clock() if budget is not None else time.perf_counter()
    settings = SearchSettings(
        n_trials, budget, out, seed, pruner, progress, tune_thresholds, keep, study, started_at, decision
    )
    seed_everything(seed)
    return settings


def search_metric(
    data: DataBundle, metric: str | None, default: str | None, choices: Sequence[str] | None = None
) -> str:
    """The metric a search optimises: ``metric`` if given, else ``default``; it must be one of ``choices``
    (default: the metrics of ``data``'s task; measures a callback writes, such as ``ndcg@10``, may be listed)."""
    if data.valid is None:
        raise ConfigError(
            "a search needs validation rows to score trials; pass --valid-pct above 0 or --valid-col"
        )
    from trainwell.core.metric_names import ALIASES
    from trainwell.evaluate.compare import EVALUATION_METRICS

    chosen = ALIASES.get(metric, metric) if metric else default
    known = list(data.task.metric_names if choices is None else choices)
    if choices is None:  # those fit and evaluate score when asked (log_loss), each trial then scores it too
        known += [name for name in EVALUATION_METRICS.get(data.task.kind, ()) if name not in known]
    if chosen is None or chosen not in known:
        raise ConfigError(
            f"--metric {chosen!r} does not score a {data.task.kind} task here; use one of: {', '.join(known)}"
        )
    return chosen


def run_search(
    data: DataBundle, space: Space | MixedSpace, chosen: str, settings: SearchSettings
) -> TuneResult:
    """The study shared by every application: the defaults first (one trial per kind of model of a
    :class:`MixedSpace`), then Optuna's TPE sampler with pruning; the best trial's model is kept and written,
    or under ``keep="clear"`` the better defaults' trial's when the best's gain is within the validation rows'
    noise, the choice of the best counted (see the module docstring); a multi-label model then decides each
    label at its own threshold unless ``tune_thresholds`` is false. The ``settings``' budget is shared by the
    trials."""
    from trainwell.learner.decision_threshold import check_decision_threshold
    from trainwell.learner.learner import scoring_also

    check_decision_threshold(settings.decision_threshold, data.task, has_validation=data.valid is not None)
    with scoring_also([chosen]):  # a metric the task does not score by default: every trial's learner does
        return _run_search(data, space, chosen, settings)


def _run_search(
    data: DataBundle, space: Space | MixedSpace, chosen: str, settings: SearchSettings
) -> TuneResult:
    from trainwell.distributed.spread import spread_position

    if spread_position()[1] > 1:  # under torchrun: one study, a trial per process at a time
        from trainwell.automl._spread import run_spread_search

        return run_spread_search(data, space, chosen, settings)
    optuna = import_optuna()
    seed, budget, keep = settings.seed, settings.budget, settings.keep
    direction = "maximize" if higher_is_better(chosen) else "minimize"
    trials = _Trials(space, data, chosen, direction, seed, budget, settings.progress)
    trials.decision = settings.decision_threshold
    started_at = settings.started_at if settings.started_at is not None else trials.clock()()
    said: AbstractContextManager[None] = nullcontext()  # a stored study's database errors, in one line
    if settings.study is None:
        starts = [kind.start(kind.defaults(data, seed)) for kind in space.kinds]
        study = _defaults_first_study(optuna, space, starts, direction, seed, settings.pruner)
    else:  # kept across runs: made, or resumed with the trials of the earlier runs
        from trainwell.automl._storage import recall_trials, storage_errors, stored_study

        study, starts, trials.before = stored_study(optuna, space, data, chosen, direction, settings)
        trials.stored = settings.study
        recall_trials(trials, study)
        said = storage_errors(settings.study, opening=False)
    _refuse_a_spent_budget(budget)
    report = _TRIAL_REPORT.get()
    trials.start_up(started_at, report)
    with said:
        study.optimize(
            trials.objective,
            n_trials=settings.n_trials,
            timeout=None if budget is None else budget.remaining,
            gc_after_trial=False,
            callbacks=[
                trials.stop_when_time_is_short,
                *([_trial_reporter(report, chosen, settings.n_trials, trials.cut)] if report else []),
            ],
        )
    finished = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    if trials.interrupted is not None and not finished:
        raise KeyboardInterrupt  # nothing to keep: the command line says so, as for any Ctrl-C
    if not finished:
        raise_none_finished()
    best = study.best_trial
    interval, selection, kept = _gain_unless_interrupted(
        trials, best, keep, _default_scores(study, len(space.kinds)), finished
    )
    if trials.interrupted is not None:  # said once the model kept is known: the best's, or the defaults'
        warn(
            f"interrupted (Ctrl-C) in trial {trials.interrupted}: the search stopped there, and "
            f"{_kept_of_finished(kept, best.number, finished)} (Ctrl-C again stops at once)"
        )
    # The best trial's learner, or the defaults' kept in its place; an earlier run's trial is trained again
    # (or, when that cannot be done well in the time left, the best model this run trained is kept instead).
    kept_trial = study.get_trials(deepcopy=False)[kept.number] if kept.number != best.number else best
    learn, number = trials.kept_learner(kept_trial, best_params(starts, trials, kept_trial))
    if number != kept.number:
        assert trials.refitted is not None
        kept = KeptTrial(number, trials.refitted["said"])
    return finish_search(study, best, trials, starts, learn, settings, interval=interval, selection=selection,
                         kept=kept)  # fmt: skip


def _gain_unless_interrupted(
    trials: _Trials, best: Any, keep: str, default_scores: dict[int, float], finished: int
) -> tuple[tuple[float, float] | None, SelectionCheck | None, KeptTrial]:
    """:func:`~trainwell.automl._gain.check_gain` of the ``best`` trial; Ctrl-C during it (seconds of resampling
    after the last trial) skips the check and keeps the best trial, unchecked, as Ctrl-C in a trial keeps the
    trials finished before it (it threw the whole search away: "nothing was written", no model, no record). A
    search Ctrl-C already stopped in a trial stops at once, as its warning says."""
    try:
        return check_gain(trials, best.number, float(best.value), keep, default_scores)
    except KeyboardInterrupt:
        if trials.interrupted is not None:
            raise
    trials.stopped_after = "the check of the best trial's gain over the defaults"
    reason = (
        "Ctrl-C stopped the check of its gain over the defaults after the last trial: the check was skipped, "
        "and the best trial kept unchecked"
    )
    warn(
        f"interrupted (Ctrl-C) after the last trial, in {trials.stopped_after}: the check was skipped, and the "
        f"best of the {finished} finished trial{'' if finished == 1 else 's'} (trial {best.number}) is kept, "
        "unchecked (Ctrl-C again stops at once)"
    )
    return None, None, KeptTrial(best.number, reason)


def _kept_of_finished(kept: KeptTrial, best: int, finished: int) -> str:
    """Which of the ``finished`` trials' models a search Ctrl-C stopped keeps, in words that agree with the
    verdict: the best's, or the defaults' trial kept in its place (its gain within the noise)."""
    trials = f"{finished} finished trial{'' if finished == 1 else 's'}"
    if kept.number == best:
        return f"the best of the {trials} is kept"
    if kept.defaults:
        return (
            f"of the {trials} the defaults' (trial {kept.number}) is kept: the best's (trial {best}) gain over "
            "them is within the validation rows' noise (--keep best keeps the best)"
        )
    return f"of the {trials} trial {kept.number}'s model is kept (below)"


#: What each trial's fit gets besides pruning and the budget (:func:`trial_callbacks`): experiment loggers.
_TRIAL_CALLBACKS: ContextVar[Callable[[int, dict[str, Any]], list[Callback]] | None] = ContextVar(
    "trainwell_trial_callbacks", default=None
)


@contextmanager
def trial_callbacks(make: Callable[[int, dict[str, Any]], list[Callback]]) -> Iterator[None]:
    """Within this block every trial's fit also runs ``make(trial number, its settings)``'s callbacks, such as
    a :class:`~trainwell.callbacks.TensorBoardLogger` per trial (``trainwell tune --track``). Trials run in one
    process; under torchrun they are not logged. A block within another adds its callbacks to the outer one's
    (``trainwell tune``'s own, inside a caller's, keeps the caller's)."""
    outer = _TRIAL_CALLBACKS.get()

    def both(number: int, params: dict[str, Any]) -> list[Callback]:
        return [*(outer(number, params) if outer is not None else []), *make(number, params)]

    token = _TRIAL_CALLBACKS.set(both)
    try:
        yield
    finally:
        _TRIAL_CALLBACKS.reset(token)


#: Where a search says each trial as it ends (:func:`trial_reports`); ``None``: silent, as in Python by default.
_TRIAL_REPORT: ContextVar[Callable[[str], None] | None] = ContextVar("trainwell_trial_report", default=None)


@contextmanager
def trial_reports(say: Callable[[str], None]) -> Iterator[None]:
    """Within this block a search passes ``say`` one line as each trial ends (``trainwell tune`` prints them, so
    a search of trials minutes long is not silent until its table)::

        trial 2 (3 of 8): accuracy 0.4120 (lr 3.1e-03, wd 0.012, epochs 7), 52 s
    """
    token = _TRIAL_REPORT.set(say)
    try:
        yield
    finally:
        _TRIAL_REPORT.reset(token)


def _trial_reporter(
    say: Callable[[str], None], metric: str, n_trials: int, cut: set[int] | None = None
) -> Callable[..., None]:
    """An Optuna callback saying one finished trial: its score, or that it was pruned or failed, and which of
    this run's ``n_trials`` it is (a resumed study's trials are numbered after its earlier runs'; under torchrun,
    ``position`` is the ticket the trial was handed out with, of all the processes')."""
    count = itertools.count(1)

    def reported(study: Any, trial: Any, position: int | None = None) -> None:
        state = trial.state.name
        seconds = trial.duration.total_seconds() if trial.duration is not None else 0.0
        settings = ", ".join(f"{name} {_shown(value)}" for name, value in trial.params.items())
        if trial.user_attrs.get("interrupted"):
            outcome = "interrupted (Ctrl-C): the search stops here"
        elif state == "COMPLETE":
            outcome = f"{metric} {figure(float(trial.value))}"
            if cut is not None and trial.number in cut:  # as the table marks it: "(cut)"
                outcome += ", cut short by --time"
        elif state == "PRUNED":
            outcome = pruned_outcome(trial, metric)
        else:
            outcome = state.lower()
        said = f" ({settings})" if settings else ""
        # Numbered as the table and tuning.json number trials (from 0: the defaults'), with the count beside.
        which = next(count) if position is None else position
        say(f"trial {trial.number} ({which} of {n_trials}): {outcome}{said}, {seconds:.0f} s")

    return reported


def startup_line(seconds: float, *, imports: bool = True) -> str:
    """The search's start-up, said before its first trial: a first trial's seconds once held seconds of one-off
    work (the import of ``torch._dynamo`` by its first optimizer), which looked like its training's. ``imports``:
    whether it loaded the training code (a search of boosted trees alone does not)."""
    loading = ", loading the training code" if imports else ""
    return (
        f"start-up {format_duration(seconds)} (reading the data, choosing the defaults{loading}), before the "
        "first trial: not counted in any trial's seconds"
    )


def spread_line(processes: int, n_trials: int, timeout: float | None, gpus: int) -> str:
    """What a search under ``torchrun`` does, said once by rank 0 as its trials begin (``torchrun ... trainwell
    tune`` said nothing of whether the processes shared the trials or trained each one together); ``gpus``: the
    GPUs each process sees (0: it trains on the CPU), which the processes take by ``LOCAL_RANK``
    (:func:`~trainwell.distributed.spread.each_process_alone`)."""
    if gpus >= processes:
        where = "its own GPU (cuda:LOCAL_RANK)"
    elif gpus > 0:
        where = f"GPU LOCAL_RANK mod {gpus} (the {processes} processes share {gpus} GPU{'' if gpus == 1 else 's'})"
    else:
        where = f"the CPU (the {processes} processes share its cores)"
    time_part = f" and --time {format_duration(timeout)}" if timeout is not None else ""
    return (
        f"tune under torchrun: {processes} processes run {processes} trials at a time, each trial trained by one "
        f"process alone on {where}, not by all of them together (no DDP), in one study; --trials {n_trials}"
        f"{time_part} are the whole search's; rank 0 says its own trials as they end and the table lists every "
        "process's"
    )


def _shown(value: Any) -> str:
    """A setting as a trial line shows it: 3.1e-03, 0.012, 7, mlp."""
    if isinstance(value, float):
        return f"{value:.1e}" if abs(value) < 1e-2 and value != 0 else f"{value:.3g}"
    return str(value)


def raise_none_finished() -> NoReturn:
    """The one-line error of a search in which no trial finished."""
    raise ConfigError(
        "no trial finished (all were pruned or failed); run more trials or a longer --time (timeout=)"
    )


def best_params(starts: list[dict[str, Any]], trials: _Trials, best: Any) -> dict[str, Any]:
    """The best trial's settings: those its kind's defaults' trial held fixed (``search=``) with those it
    searched."""
    return {**starts[trials.space.kinds.index(trials.kinds[best.number])], **_settings(best.params)}


def finish_search(
    study: Any,
    best: Any,
    trials: _Trials,
    starts: list[dict[str, Any]],
    learn: Learner,
    settings: SearchSettings,
    *,
    interval: tuple[float, float] | None,
    selection: SelectionCheck | None,
    kept: KeptTrial,
) -> TuneResult:
    """The search's result around ``learn``, the learner of the trial ``kept`` (the ``best`` trial, or the
    defaults' in its place), written to ``settings.out`` with ``tuning.json`` when given; ``interval`` and
    ``selection``: the best trial's gain interval and its reality check, as
    :func:`~trainwell.automl._gain.check_gain` gave them with ``kept``."""
    kept_trial = study.get_trials(deepcopy=False)[kept.number] if kept.number != best.number else best
    kept_as = (trials.kinds[kept.number], best_params(starts, trials, kept_trial))
    result = _result(study, trials, best_params(starts, trials, best), learn, settings.tune_thresholds,
                     best=best, kept=kept_as)  # fmt: skip
    result.improvement_interval, result.selection = interval, selection
    result.keep, result.kept_trial, result.kept_reason = settings.keep, kept.number, kept.reason
    if kept.number != best.number:  # the model written is another trial's: fit_kwargs() trains that one
        result.kept_fit_settings = _fit_settings(trials, kept.number, kept_as[1])
    if trials.stored is not None:
        result.study_name, result.storage = trials.stored.name, trials.stored.shown
        result.trials_before = trials.before
    result.refitted = trials.refitted
    result.stopped_after = trials.stopped_after
    result.startup_seconds = None if trials.startup is None else round(trials.startup, 3)
    if trials.budget is not None:
        result.timeout = trials.budget.seconds
        result.not_started = _not_started(study, trials, settings.n_trials)
    learn.tuning = result.summary()  # in trainwell.json: what the search tried and which kind won
    finish = getattr(trials.kinds[kept.number], "finish", None)
    if finish is not None:  # as the one-call fit finishes its model (its scores above are the trial's own)
        finish(learn)
    score_test_set(learn)  # a folder's test/ or test=: the kept model scored once, as fit scores it
    if settings.out is not None:
        record = json.dumps(result.to_dict(), indent=2).encode()
        result.model_dir = write_run(learn, Path(settings.out), None, {TUNING_FILE: record})
        assert result.run is not None
        result.run.model_dir = result.model_dir
    return result


def _defaults_first_study(
    optuna: Any,
    space: Space | MixedSpace,
    starts: list[dict[str, Any]],
    direction: str,
    seed: int,
    pruner: Any,
    **stored: Any,
) -> Any:
    """A TPE study (the median pruner unless ``pruner``) whose first trials, 0, 1..., are each kind's defaults
    (``starts``), in the order of ``space.kinds``. ``stored``: the ``storage`` and ``study_name`` of a study
    shared by several processes (default: in memory)."""
    study = optuna.create_study(direction=direction, **sampler_and_pruner(optuna, seed, pruner), **stored)
    enqueue_defaults(study, space, starts)
    return study


def enqueue_defaults(study: Any, space: Space | MixedSpace, starts: list[dict[str, Any]]) -> None:
    """Queue each kind's defaults' trial (``starts``) in ``study``, in the order of ``space.kinds``."""
    for kind, start in zip(space.kinds, starts, strict=True):
        picked = {ARCH_PARAM: kind.arch} if isinstance(space, MixedSpace) else {}
        study.enqueue_trial(
            {**picked, **{name: value for name, value in start.items() if _searched(kind, name)}}
        )


def sampler_and_pruner(optuna: Any, seed: int, pruner: Any) -> dict[str, Any]:
    """A study's TPE sampler, seeded, and its pruner (the median pruner unless ``pruner``)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return {
        "sampler": optuna.samplers.TPESampler(seed=seed),
        "pruner": pruner or optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=30),
    }


def _refuse_a_spent_budget(budget: TimeBudget | None) -> None:
    """A one-line error when the defaults (the learning-rate finder) used up the whole budget."""
    if budget is not None and budget.remaining <= 0:
        raise ConfigError(
            f"the --time (timeout=) of {format_duration(budget.seconds)} was spent before the first trial began, on "
            "reading the data and choosing the defaults (the learning-rate finder); give the search more time"
        )


class _Trials:
    """The study's objective and its record: each trial's kind of model, wall time and share of the budget,
    which trials the budget fitted and which it cut, and the best finished trial's learner so far (kept, so
    the best model is never trained again)."""

    def __init__(
        self,
        space: Space | MixedSpace,
        data: DataBundle,
        chosen: str,
        direction: str,
        seed: int,
        budget: TimeBudget | None,
        progress: bool,
    ) -> None:
        self.space, self.data, self.chosen, self.direction = space, data, chosen, direction
        self.seed, self.budget, self.progress = seed, budget, progress
        self.times: dict[int, float] = {}  # each trial's wall time, for the record
        self.spent: dict[int, float] = {}  # each trial's share of the budget
        self.cut: set[int] = set()
        self.budgeted: set[int] = (
            set()
        )  # trials fitted under the budget (one-step fits, such as trees, are not)
        self.kinds: dict[int, Space] = {}  # each trial's kind of model
        self.kept: dict[str, Any] = {}  # the best finished trial so far: its number, value and learner
        self.defaults: dict[int, Learner] = {}  # each kind's defaults' trial, finished: its learner
        # Each finished trial's score and validation predictions, when the metric is one of rows: the gain's
        # checks resample them (a few floats a row: small beside the data); the validation rows' targets.
        self.predictions: dict[int, tuple[float, torch.Tensor]] = {}
        self.targets: torch.Tensor | None = None
        self.processes: dict[int, int] = {}  # under torchrun: the rank of the process that trained each trial
        self.interrupted: int | None = None  # the trial Ctrl-C stopped, which ended the search there
        # What Ctrl-C stopped after the last trial (then skipped): the gain's check; ``None``: nothing.
        self.stopped_after: str | None = None
        self.stored: StoredStudy | None = None  # where the study is kept across runs (storage=)
        self.before = 0  # the trials a stored study held before this run
        # A stored study's trials of earlier runs (their models are not in hand).
        self.earlier: set[int] = set()
        # The trials the budget cut: the training batches each trained, and its epoch's batches.
        self.trained: dict[int, tuple[int, int]] = {}
        self.curves: dict[int, list[float]] = {}  # and its schedule's progress (ProgressRecord.curve)
        # An earlier run's trial kept: what training its settings again gave (automl._refit.train_again).
        self.refitted: dict[str, Any] | None = None
        self.short: dict[str, Any] | None = None  # why the search stopped before its trials (shortfall)
        # The seconds before the first trial: the data, the defaults, the imports (start_up).
        self.startup: float | None = None
        # The trials that did not finish (pruned, or no time to train), and where the pruner stopped each of
        # those it stopped: the epochs trained of those planned.
        self.unfinished: set[int] = set()
        self.pruned_at: dict[int, tuple[int, int]] = {}
        # Binary targets: the setting of each trial's decision threshold (decision_threshold=), and the threshold
        # each finished trial's model decides at.
        self.decision: str | float | None = None
        self.thresholds: dict[int, float] = {}

    def decide(self, trial: Any, learn: Learner) -> float | None:
        """Set the decision threshold of a finished trial's model as ``fit_*(decision_threshold=)`` sets it (a
        metric's: chosen on the validation rows; a number: given), kept in its record; ``None`` without
        :attr:`decision`. The trials share their data: its task is left as it was, each model deciding alone."""
        if self.decision is None or not learn.history:
            return None
        from trainwell.learner.decision_threshold import choose_decision_threshold

        shared = self.data.task
        try:
            summary = choose_decision_threshold(learn, self.decision, seed=self.seed, progress=False)
        finally:
            self.data.task = shared
        assert summary is not None
        self.thresholds[trial.number] = summary.threshold
        trial.set_user_attr("decision_threshold", summary.threshold)
        return summary.threshold

    def decided_value(self, learn: Learner, threshold: float) -> float:
        """The search's metric, one of decisions (``f1``...), of ``learn``'s validation predictions at
        ``threshold``."""
        from trainwell.metrics import functional

        preds, targets = validation_predictions(learn)
        return float(getattr(functional, self.chosen)(preds, targets, self.data.task.kind, threshold))

    def start_up(self, started_at: float, report: Callable[[str], None] | None) -> None:
        """Load the training code now (:func:`~trainwell.callbacks.budget.load_training_imports`: the first
        optimizer imports ``torch._dynamo``, seconds, which without a timeout fell inside trial 0's time), and
        keep the start-up's seconds, from ``started_at`` (on :meth:`clock`) to the first trial, apart from every
        trial's; said in one line to ``report``. A search of kinds fitted in one step alone (boosted trees) builds
        no optimizer, and loads none of it (1 s of CPU a process)."""
        steps = any(kind.steps for kind in self.space.kinds)
        if steps:
            began = self.clock()()
            load_training_imports()
            if self.budget is not None:  # started without them (search_budget): not the search's time
                self.budget.set_aside(self.clock()() - began)
        self.startup = max(0.0, self.clock()() - started_at)
        if report is not None:
            report(startup_line(self.startup, imports=steps))

    def objective(self, trial: Any) -> float:
        """:meth:`train_trial`; Ctrl-C (KeyboardInterrupt) in a trial ends the search there, the trial told to
        the study as pruned and marked ``interrupted``, so that the trials finished before it are kept (Optuna
        logged the interrupt as a failed trial with its traceback, and every finished trial was lost)."""
        if self.stored is not None:  # which run trains it: a later run fails it if this one is killed
            from trainwell.automl._storage import claim

            claim(trial)
        try:
            return self.train_trial(trial)
        except KeyboardInterrupt:
            self.interrupted = trial.number
            trial.set_user_attr("interrupted", True)
            trial.study.stop()
            raise import_optuna().TrialPruned() from None

    def train_trial(self, trial: Any) -> float:
        budget = self.budget
        clock = self.clock()
        started, left = clock(), budget.remaining if budget is not None else 0.0
        kind = self.kinds[trial.number] = self.space.pick(trial)
        params = kind.suggest(trial)
        pruning = OptunaPruning(trial, self.chosen)
        fits_before = len(budget.fits) if budget is not None else 0
        record = (
            ProgressRecord()
        )  # the schedule a budget fits to the time: a cut trial's refit trains it again
        callbacks: list[Callback] = [pruning] if budget is None else [pruning, budget, record]
        if of_rows(self):  # the gain's check reads the trial's predictions: its last validation pass's, kept
            # A tagger's tag paths are decoded once, after the fit, not at every epoch's pass.
            callbacks.append(KeepValidationPredictions(activate_after_fit=self.data.task.kind == "tagging"))
        make_loggers = _TRIAL_CALLBACKS.get()
        if make_loggers is not None:  # trainwell tune --track: each trial logged as a run of its own
            callbacks.extend(make_loggers(trial.number, dict(params)))
        reserve = refit_reserve(self, trial.study)
        if budget is not None and 0 < reserve < left:  # an earlier run's best is trained again at the end
            budget.share_next_fit((left - reserve) / left)
        try:
            learn = kind.train(self.data, params, self.seed, callbacks, self.progress)
        finally:
            if budget is not None:
                budget.share_next_fit(1.0)  # a fit the trial did not run (trees) leaves the share unused
        self.times[trial.number] = clock() - started
        if budget is not None:
            self.spent[trial.number] = left - budget.remaining  # on the budget's own clock
            if len(budget.fits) > fits_before:
                self.budgeted.add(trial.number)
                if budget.fits[-1]["shortened"]:
                    self.cut.add(trial.number)
                    fit = budget.fits[-1]
                    self.trained[trial.number] = (int(fit["trained_batches"]), int(fit["batches_per_epoch"]))
                    self.curves[trial.number] = record.curve()
        if self.stored is not None:  # for the record of a later run
            trial.set_user_attr("seconds", round(self.times[trial.number], 3))
            trial.set_user_attr("cut_by_time", trial.number in self.cut)
            if trial.number in self.trained:  # what a refit of this trial trains again
                trial.set_user_attr("trained_batches", list(self.trained[trial.number]))
                trial.set_user_attr("trained_progress", self.curves[trial.number])
        if pruning.pruned or not learn.history:  # pruned, or no time was left to train at all
            self.unfinished.add(trial.number)
            if pruning.pruned_at is not None:
                self.pruned_at[trial.number] = pruning.pruned_at
                if self.stored is not None:  # for the table of a later run
                    trial.set_user_attr("pruned_at", list(pruning.pruned_at))
            raise import_optuna().TrialPruned()
        # The row of the weights the model holds: the last epoch's, or the one a callback kept (a table's MLP
        # keeps its epoch of lowest validation loss, as fit_table(**result.fit_kwargs()) will)
        value = float(learn.final_row[self.chosen])
        threshold = self.decide(trial, learn)
        if threshold is not None and value == value and of_decisions(self.chosen):
            value = self.decided_value(learn, threshold)  # scored as it decides, as fit's test set is
        if trial.number < len(self.space.kinds) and value == value:
            self.defaults[trial.number] = learn  # kept in place of the best when its gain is within the noise
        if value == value and of_rows(self):
            preds, targets = validation_predictions(learn)  # the trial's last validation pass's, when kept
            if threshold is not None and of_decisions(
                self.chosen
            ):  # the gain's checks resample its decisions
                preds = decided_at(preds, threshold)
            self.predictions[trial.number], self.targets = (value, preds), targets
            if self.stored is not None:  # the gain's check of a later run compares this trial too
                from trainwell.automl._storage import kept_predictions

                kept_predictions(trial, trial.study, preds, targets)
        kept = self.kept
        if value == value and (
            not kept or _better(value, kept["value"], self.direction)
        ):  # NaN: a failed trial
            kept.update(number=trial.number, value=value, learn=learn)
        return value

    def clock(self) -> Callable[[], float]:
        """The clock trials are timed on: the budget's (``time.perf_counter`` unless a test passed its own), so
        that a trial's seconds are those it took of the budget."""
        return self.budget.clock if self.budget is not None else time.perf_counter

    def stop_when_time_is_short(self, study: Any, trial: Any) -> None:
        reserve = refit_reserve(self, study)
        queued = _queued_kind(self.space, study)  # a defaults' trial waiting: its kind's time is what counts
        if self.shortfall(reserve, queued) is not None:
            # Kept for the --time line: a search that stops before --trials says why the rest never started.
            self.short = self.shortfall(reserve, queued)
            study.stop()

    def time_is_short(self, reserve: float = 0.0) -> bool:
        """Whether the budget has too little time left for another trial, ``reserve`` seconds kept aside (for
        training an earlier run's best trial again, :func:`~trainwell.automl._refit.refit_reserve`)."""
        return self.shortfall(reserve) is not None

    def shortfall(self, reserve: float = 0.0, kind: Space | None = None) -> dict[str, Any] | None:
        """Why no further trial may start (``None``: one may): ``left``, the seconds left after ``reserve``;
        ``needs``, the seconds a trial takes, which it must start with (:func:`_time_needed`); ``estimate``,
        what they are of (``"shortest"``, ``"median"`` or ``"pruned"``: the longest of the trials the pruner
        stopped, where none finished); ``cut``, whether the budget cuts that kind's trials to the time left (a
        one-step fit, such as boosted trees', it cannot); ``arch``, that kind's name; ``reserve``, the seconds
        kept for a refit. ``kind``: the next trial's kind when known (a defaults' trial queued), else whichever
        kind it picks must have its time: the most any kind needs."""
        if self.budget is None:
            return None
        needs = [(_time_needed(each, self), each) for each in ((kind,) if kind else self.space.kinds)]
        (need, estimate), kind = max(needs, key=lambda pair: pair[0][0])
        left = self.budget.remaining
        cut = any(number in self.budgeted for number in self.spent if self.kinds.get(number) is kind)
        said = {"needs": need, "estimate": estimate, "cut": cut, "arch": kind.arch, "reserve": reserve}
        if reserve > 0:
            if reserve >= left:  # what is left is the refit's
                return {"left": 0.0, **said}
            left -= reserve
        if left >= need:
            return None
        return {"left": left, **said}

    def kept_learner(self, trial: Any, params: dict[str, Any]) -> tuple[Learner, int]:
        """The learner of ``trial`` (its settings ``params``), the trial kept: the best finished trial's or a
        defaults' one, as kept when it finished, and its number. A trial of an earlier run of a stored study has
        no learner here: its settings are trained again, with the same data and seed and the schedule it
        trained, or the best model this run trained is kept in its place (:func:`~trainwell.automl._refit.
        train_again`; :attr:`refitted` says which, and why)."""
        if self.kept.get("number") == trial.number:
            return self.kept["learn"], trial.number
        if trial.number in self.defaults:
            return self.defaults[trial.number], trial.number
        learn, number, self.refitted = train_again(self, trial, params)
        return learn, number


def _result(
    study: Any,
    trials: _Trials,
    best_params: dict[str, Any],
    learn: Learner,
    tune_thresholds: bool,
    *,
    best: Any,
    kept: tuple[Space, dict[str, Any]],
) -> TuneResult:
    """The search's :class:`TuneResult` of the ``best`` trial (its settings ``best_params``), its run
    ``learn``, the kept trial's learner, of the kind and settings ``kept`` (thresholds chosen for a multi-label
    model unless ``tune_thresholds`` is false)."""
    direction, seed, progress = trials.direction, trials.seed, trials.progress
    kinds = trials.space.kinds
    records = [_trial_record(t, trials.kinds.get(t.number), len(kinds), trials.times, trials.cut,
                             trials.processes, trials.pruned_at) for t in _begun(study)]  # fmt: skip
    for record in records:
        number = record["number"]
        if number in trials.trained:  # the epochs a cut trial trained, which its score is of
            batches, per_epoch = trials.trained[number]
            record["epochs_trained"] = round(batches / max(1, per_epoch), 3)
        if trials.stored is not None:  # a study kept across runs: which trials this run trained
            record["earlier_run"] = number in trials.earlier
    default_values = _default_values(study, kinds)
    # A multi-label model decides each label at its own threshold, as after trainwell fit (and is held to the
    # trivial answers at 0.5 without them).
    thresholds = choose_label_thresholds(learn, seed=seed, progress=progress, tune=tune_thresholds)
    decided = None
    if (
        trials.decision is not None
    ):  # decision_threshold=: the kept trial's model decides as it did in its trial
        from trainwell.learner.decision_threshold import choose_decision_threshold, set_decision_threshold

        decided = getattr(learn, "decision_threshold", None)
        if decided is None:  # an earlier run's trial, trained again: chosen as its trial chose it
            decided = choose_decision_threshold(learn, trials.decision, seed=seed, progress=False)
        else:
            set_decision_threshold(learn, decided.threshold)  # its data's task too, which the trials shared
    # The search's budget spoke for every trial: the model's own record says nothing of it (tuning.json does).
    learn.time_budget = None
    kept_kind, kept_params = kept
    rate = kept_params.get("lr", kept_params.get("learning_rate", float("nan")))  # trees: their shrinkage
    run = kept_kind.run_class(learn, trials.data, float(rate), None, thresholds=thresholds)
    finished_defaults = [value for value in default_values.values() if value is not None]
    default_value = (
        (max if direction == "maximize" else min)(finished_defaults) if finished_defaults else None
    )
    named = {name: value for name, value in default_values.items() if name is not None}
    return TuneResult(trials.chosen, direction, best_params, float(best.value), default_value, records, run,
                      study=study, arch=trials.kinds[best.number].arch, best_trial=best.number,
                      default_values=named, thresholds=thresholds,
                      fit_settings=_fit_settings(trials, best.number, best_params),
                      decision_threshold=trials.decision,
                      decided_at=None if decided is None else decided.threshold)  # fmt: skip


def _fit_settings(trials: _Trials, number: int, params: dict[str, Any]) -> dict[str, Any] | None:
    """The keywords of the one-call fit that trains trial ``number``'s settings ``params`` (its kind's
    :attr:`Space.fit_kwargs`; ``None`` where not offered): a trial the budget cut, for the whole epochs nearest
    those it trained, which its score is of."""
    make = trials.kinds[number].fit_kwargs
    if make is None:
        return None
    if number in trials.trained and "epochs" in params:
        batches, per_epoch = trials.trained[number]
        params = {**params, "epochs": max(1, round(batches / max(1, per_epoch)))}
    decision = {"decision_threshold": trials.decision} if trials.decision is not None else {}
    return {**make(params), **decision}


def _not_started(study: Any, trials: _Trials, asked: int) -> dict[str, Any] | None:
    """How many of the ``asked`` trials this run did not start, and why (:meth:`_Trials.shortfall`, or
    ``{"left": 0.0}`` when the time ran out); ``None`` when every one started."""
    started = len(_begun(study)) - trials.before
    if started >= asked or trials.interrupted is not None or trials.budget is None:  # Ctrl-C says its own
        return None
    # The stop's own record, else (processes taking turns stop on their own check) the same check now.
    queued = _queued_kind(trials.space, study)
    why = trials.short or trials.shortfall(0.0, queued) or {"left": max(0.0, trials.budget.remaining)}
    return {"asked": asked, "started": started, **why}


def _begun(study: Any) -> list[Any]:
    """The study's trials that began: a defaults' trial queued but never started (``--time`` ran out first)
    is none of them (it was counted: "2 trials" of a search that ran one)."""
    from optuna.trial import TrialState

    return [t for t in study.get_trials(deepcopy=False) if t.state != TrialState.WAITING]


def _queued_kind(space: Space | MixedSpace, study: Any) -> Space | None:
    """The kind of the next trial when it is known: a defaults' trial queued (``None``: the sampler picks)."""
    from optuna.trial import TrialState

    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    if not waiting:
        return None
    if len(space.kinds) == 1:
        return space.kinds[0]
    queued = {**waiting[0].system_attrs.get("fixed_params", {}), **waiting[0].params}  # enqueue_trial's
    return next((kind for kind in space.kinds if kind.arch == queued.get(ARCH_PARAM)), None)


def _time_needed(kind: Space, trials: _Trials) -> tuple[float, str]:
    """The seconds a trial of ``kind`` takes, which under a timeout it must start with, from this run's trials
    of that kind (their shares of the budget, :attr:`_Trials.spent`), and what they are of: for a kind whose
    fits the budget cuts to the time left, the shortest finished trial's (a trial started with them trains at
    least as long as that one did, cut or not; where the pruner stopped every one, the longest of those, the
    least a whole trial takes); for a kind fitted in one step that nothing cuts (trees), the median trial's,
    since running past the budget is what it risks. ``(0.0, "none")`` before any trial of the kind ended."""
    own = [number for number in trials.spent if trials.kinds.get(number) is kind]
    if not own:
        return 0.0, "none"
    finished = sorted(trials.spent[number] for number in own if number not in trials.unfinished)
    if any(number in trials.budgeted for number in own):
        if finished:
            return finished[0], "shortest"
        return max(trials.spent[number] for number in own), "pruned"
    seconds = finished or sorted(trials.spent[number] for number in own)
    return seconds[len(seconds) // 2], "median"


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    """A trial's settings, without the parameter that picked its kind of model."""
    return {name: value for name, value in params.items() if name != ARCH_PARAM}


def _trial_record(
    trial: Any,
    kind: Space | None,
    n_defaults: int,
    times: dict[int, float],
    cut: set[int],
    processes: dict[int, int] | None = None,
    pruned_at: dict[int, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """One trial as ``tuning.json`` lists it (see :class:`TuneResult`)."""
    state = "interrupted" if trial.user_attrs.get("interrupted") else trial.state.name.lower()
    return {
        "number": trial.number,
        "state": state,
        "value": trial.value,
        **({"arch": kind.arch} if kind is not None and kind.arch is not None else {}),
        "params": _settings(trial.params),
        "seconds": round(times.get(trial.number, 0.0), 3),
        "defaults": trial.number < n_defaults,
        "cut_by_time": trial.number in cut,
        **({"process": processes[trial.number]} if processes and trial.number in processes else {}),
        **(
            {"decision_threshold": trial.user_attrs["decision_threshold"]}
            if "decision_threshold" in trial.user_attrs
            else {}
        ),
        **(_where_pruned(trial, pruned_at or {}) if state == "pruned" else {}),
        **({"run_ended": trial.user_attrs["run_ended"]} if "run_ended" in trial.user_attrs else {}),
    }


def _where_pruned(trial: Any, pruned_at: dict[int, tuple[int, int]]) -> dict[str, Any]:
    """Where the pruner stopped a pruned trial: ``pruned_at_epoch`` of ``epochs_planned`` (this run's trials, or
    a stored one's kept by its run), else ``pruned_at_percent``, the share of its schedule Optuna last heard of
    (:class:`OptunaPruning` reports tenths of it); empty for a trial stopped before it reported anything."""
    where = pruned_at.get(trial.number) or trial.user_attrs.get("pruned_at")
    if where is not None:
        return {"pruned_at_epoch": int(where[0]), "epochs_planned": int(where[1])}
    if trial.last_step is not None:
        return {"pruned_at_percent": int(trial.last_step)}
    return {}


def _default_scores(study: Any, n_defaults: int) -> dict[int, float]:
    """Each finished defaults' trial of ``study`` (of this run or, when stored, an earlier one), by number: its
    score."""
    from optuna.trial import TrialState

    return {
        trial.number: float(trial.value)
        for trial in study.get_trials(deepcopy=False)[:n_defaults]
        if trial.state == TrialState.COMPLETE
    }


def _default_values(study: Any, kinds: tuple[Space, ...]) -> dict[str | None, float | None]:
    """Each kind's defaults' score, by its name: trial ``i`` is kind ``i``'s defaults (``None``: it did not
    finish, or never ran)."""
    from optuna.trial import TrialState

    trials = study.trials
    return {
        kind.arch: trials[i].value if i < len(trials) and trials[i].state == TrialState.COMPLETE else None
        for i, kind in enumerate(kinds)
    }


def _searched(space: Space, name: str) -> bool:
    bound = space.ranges.get(name)
    return bound is not None and bound.fixed is None


def _better(value: float, than: float, direction: str) -> bool:
    return value > than if direction == "maximize" else value < than
