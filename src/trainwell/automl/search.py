"""The hyper-parameter search every application shares, with Optuna: trainwell's own training, tried with
other settings (tables: :mod:`trainwell.automl.table`; recommenders and taggers beside it).

A :class:`Space` says what one kind of model tries: its defaults (what ``trainwell fit`` does), the
:class:`Range` of each setting, and how one trial trains. :func:`run_search` runs the study: the first trial is
always the defaults, so the record says plainly whether the search beat them; every trial trains on the same
training rows, with the same seed, and is scored on the same validation rows by one metric; a trial whose
curve falls below the median of the earlier ones at the same point of its schedule is stopped early (Optuna's
median pruner). The best trial's model is kept (never trained again) and written with ``tuning.json``: every
trial's settings, score, state and time.

``timeout`` bounds the whole search, from the call to the best model in hand: it is one
:class:`~trainwell.callbacks.TimeBudget` shared by the trials, so the trial running when time runs short is
fitted to what is left (its schedule shortened, ``cut_by_time`` in its record) instead of running over, and
no trial starts once less than a quarter of a typical trial's time is left.

Choosing the best of many trials on the same validation rows flatters that score: confirm it on held-out data
(``trainwell evaluate`` or a test set) before trusting the difference.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainwell.callbacks.budget import TimeBudget, format_duration, parse_duration
from trainwell.core.errors import ConfigError, UserError
from trainwell.data.bundle import DataBundle
from trainwell.evaluate.compare import higher_is_better
from trainwell.learner.events import Callback, CancelFit
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.learner.learner import Learner
from trainwell.learner.run_files import FitRun, check_fit_settings, write_run

__all__ = [
    "OptunaPruning",
    "Range",
    "Space",
    "TuneResult",
    "TuningDependencyError",
    "run_search",
]

INSTALL_HINT = "pip install 'trainwell[tune]' (or: pip install optuna)"
#: The metric a search maximises or minimises, per task, unless one is named.
SEARCH_METRIC = {"binary": "roc_auc", "multilabel": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}
TUNING_FILE = "tuning.json"
#: Under a timeout, no trial starts with less than this share of the median trial's time left: a trial cut
#: that short would only add a poor score to the record.
LAST_TRIAL_SHARE = 0.25


class TuningDependencyError(UserError, ModuleNotFoundError):
    """Optuna is not installed; the message says how to install it."""


def import_optuna() -> Any:
    try:
        import optuna
    except ModuleNotFoundError as error:
        missing = TuningDependencyError(f"hyper-parameter search needs the package 'optuna': {INSTALL_HINT}")
        missing.name = "optuna"
        raise missing from error
    return optuna


class OptunaPruning(Callback):
    """Reports the search metric to an Optuna trial and stops the fit when the trial's pruner says so (the
    objective then marks the trial pruned).

    The step reported is the share of the fit done, in tenths (10, 20, ... 100), not the epoch: under a
    one-cycle schedule a 20-epoch trial at epoch 2 is still warming up, and is only fairly compared with a
    5-epoch trial at the same point of its schedule.
    """

    order = 50  # after the Recorder wrote the epoch's row

    def __init__(self, trial: Any, metric: str) -> None:
        self.trial, self.metric, self.pruned = trial, metric, False
        self._reported: set[int] = set()

    def after_epoch(self, learn: Learner) -> None:
        value = learn.history[-1].get(self.metric) if learn.history else None
        step = 10 * int(10 * (learn.epoch + 1) / max(learn.n_epochs, 1))
        if value is None or step in self._reported or step == 0:
            return
        self._reported.add(step)
        self.trial.report(float(value), step)
        if self.trial.should_prune():
            self.pruned = True
            raise CancelFit


@dataclass
class TuneResult:
    """What :func:`tune_table` found.

    Attributes:
        metric, direction: What was optimised (``"maximize"`` or ``"minimize"``).
        best_params: The best trial's settings; ``best_value`` its validation score.
        default_value: The score of trial 0, the library's defaults (``None`` if it did not finish).
        trials: Per trial: ``number``, ``state``, ``value``, ``params``, ``seconds``, ``defaults`` (trial 0)
            and ``cut_by_time`` (the timeout shortened its schedule).
        run: The best trial's learner (kept, not trained again), written to ``model_dir``.
        timeout: The seconds the whole search was given, or ``None``.
    """

    metric: str
    direction: str
    best_params: dict[str, Any]
    best_value: float
    default_value: float | None
    trials: list[dict[str, Any]]
    run: FitRun
    model_dir: Path | None = None
    study: Any = field(default=None, repr=False)
    timeout: float | None = None

    @property
    def improvement(self) -> float | None:
        """How much better than the defaults the best trial scored (positive = better), or ``None``."""
        if self.default_value is None:
            return None
        sign = 1.0 if self.direction == "maximize" else -1.0
        return sign * (self.best_value - self.default_value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "direction": self.direction,
            "best_params": self.best_params,
            "best_value": self.best_value,
            "default_value": self.default_value,
            "timeout": self.timeout,
            "improvement": self.improvement,
            "trials": self.trials,
            "note": "best of the trials on the same validation rows: confirm on held-out data",
        }


@dataclass(frozen=True)
class Range:
    """How one setting is searched: between ``low`` and ``high`` (``log`` scale, ``whole`` numbers), among
    ``choices``, or held at ``fixed``."""

    low: float = 0.0
    high: float = 0.0
    log: bool = False
    whole: bool = False
    choices: tuple[Any, ...] = ()
    fixed: Any = None

    def suggest(self, trial: Any, name: str) -> Any:
        if self.fixed is not None:
            return self.fixed
        if self.choices:
            return trial.suggest_categorical(name, self.choices)
        if self.whole:
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def holds(self, value: Any) -> Any:
        """``value`` (a default) moved into this range: clipped, or the first choice when not among them."""
        if self.fixed is not None:
            return self.fixed
        if self.choices:
            return value if value in self.choices else self.choices[0]
        clipped = min(max(value, self.low), self.high)
        return round(clipped) if self.whole else float(clipped)

    def describe(self) -> str:
        if self.fixed is not None:
            return repr(self.fixed)
        if self.choices:
            return "one of " + ", ".join(map(repr, self.choices))
        return f"{self.low:g} to {self.high:g}" + (" (log scale)" if self.log else "")


@dataclass(frozen=True)
class Space:
    """What a search tries for one kind of model.

    Attributes:
        defaults: ``(data, seed) -> params``: trial 0, what ``trainwell fit`` would do.
        ranges: Each searched setting's :class:`Range` (``lr`` among them).
        train: ``(data, params, seed, callbacks, progress) -> Learner``: one trial's fit.
        run_class: The pipeline's run record (``TableRun``, ``RatingsRun``...) for the best model.
    """

    defaults: Callable[[DataBundle, int], dict[str, Any]]
    ranges: dict[str, Range]
    train: Callable[[DataBundle, dict[str, Any], int, list[Callback], bool], Learner]
    run_class: type[FitRun]

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {name: bound.suggest(trial, name) for name, bound in self.ranges.items()}

    def narrowed(self, search: dict[str, Any] | None) -> Space:
        """This space with the ranges a user gave (``search=``): a ``(low, high)`` tuple searches between them
        (on the setting's own scale), a list among its values, a single value holds the setting there. Settings
        not named keep their ranges.

        Raises:
            ConfigError: A name that is not searched, or a range that cannot be read.
        """
        if not search:
            return self
        if not isinstance(search, dict):
            raise ConfigError(
                f"search must be a dict of setting -> (low, high), [choices] or a value, got {type(search).__name__}"
            )
        ranges = dict(self.ranges)
        for name, spec in search.items():
            if name not in ranges:
                raise ConfigError(
                    f"search names {name!r}, which is not searched here; the settings are: {', '.join(ranges)}"
                )
            ranges[name] = _user_range(name, spec, ranges[name])
        return Space(self.defaults, ranges, self.train, self.run_class)

    def start(self, defaults: dict[str, Any]) -> dict[str, Any]:
        """Trial 0's settings: the defaults, each moved into its range (a narrowed search starts inside it)."""
        return {name: self.ranges[name].holds(value) if name in self.ranges else value
                for name, value in defaults.items()}  # fmt: skip


def _user_range(name: str, spec: Any, library: Range) -> Range:
    """Read one setting's range from ``search=``, on the scale and kind of the library's range."""
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"search[{name!r}] is an empty list; give the values to try")
        return Range(choices=tuple(spec))
    if isinstance(spec, tuple):
        if len(spec) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec):
            raise ConfigError(
                f"search[{name!r}] = {spec!r}: a range is a tuple of two numbers (low, high); a list gives values"
            )
        low, high = spec
        if library.choices:
            raise ConfigError(
                f"search[{name!r}] takes values, not a range ({library.describe()}); pass a list of them"
            )
        if not low <= high or (library.log and low <= 0):
            need = "0 < low <= high (a log scale)" if library.log else "low <= high"
            raise ConfigError(f"search[{name!r}] = {spec!r}: the range needs {need}")
        return Range(low, high, log=library.log, whole=library.whole)
    return Range(fixed=spec)


def check_search_settings(n_trials: int, timeout: float | str | None, out: str | Path | None) -> None:
    """Refuse a search's settings, and a missing Optuna, before any data is read."""
    import_optuna()
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigError(f"--trials must be a whole number of at least 1, got {n_trials!r}")
    if timeout is not None:
        parse_duration(timeout, "timeout")  # seconds, or a duration such as "10m": refused in one line
    check_fit_settings(None, None, out)


def search_budget(timeout: float | str | None) -> TimeBudget | None:
    """The time budget of a whole search, counting from now (``None`` without a timeout)."""
    return None if timeout is None else TimeBudget(timeout).start()


def search_metric(
    data: DataBundle, metric: str | None, default: str | None, choices: Sequence[str] | None = None
) -> str:
    """The metric a search optimises: ``metric`` if given, else ``default``; it must be one of ``choices``
    (default: the metrics of ``data``'s task; measures a callback writes, such as ``ndcg@10``, may be listed)."""
    if data.valid is None:
        raise ConfigError(
            "a search needs validation rows to score trials; pass --valid-pct above 0 or --valid-col"
        )
    chosen = metric or default
    known = list(data.task.metric_names if choices is None else choices)
    if chosen is None or chosen not in known:
        raise ConfigError(
            f"--metric {chosen!r} does not score a {data.task.kind} task here; use one of: {', '.join(known)}"
        )
    return chosen


def run_search(
    data: DataBundle,
    space: Space,
    chosen: str,
    *,
    n_trials: int,
    budget: TimeBudget | None,
    out: str | Path | None,
    seed: int,
    pruner: Any,
    progress: bool,
    tune_thresholds: bool = True,
) -> TuneResult:
    """The study shared by every application: trial 0 the defaults, then Optuna's TPE sampler with pruning;
    the best trial's model is kept and written (see the module docstring); a multi-label model then decides
    each label at its own threshold unless ``tune_thresholds`` is false. ``budget`` (from
    :func:`search_budget`) is shared by the trials."""
    optuna = import_optuna()
    direction = "maximize" if higher_is_better(chosen) else "minimize"
    defaults = space.start(space.defaults(data, seed))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=pruner or optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=30),
    )
    study.enqueue_trial({name: value for name, value in defaults.items() if _searched(space, name)})
    times: dict[int, float] = {}  # each trial's wall time, for the record
    spent: dict[int, float] = {}  # each trial's share of the budget
    cut: set[int] = set()
    kept: dict[str, Any] = {}  # the best finished trial so far: its number, value and learner

    def objective(trial: Any) -> float:
        started, left = time.perf_counter(), budget.remaining if budget is not None else 0.0
        params = space.suggest(trial)
        pruning = OptunaPruning(trial, chosen)
        fits_before = len(budget.fits) if budget is not None else 0
        learn = space.train(data, params, seed, [pruning] if budget is None else [pruning, budget], progress)
        times[trial.number] = time.perf_counter() - started
        if budget is not None:
            spent[trial.number] = left - budget.remaining  # on the budget's own clock
            if len(budget.fits) > fits_before and budget.fits[-1]["shortened"]:
                cut.add(trial.number)
        if pruning.pruned or not learn.history:  # pruned, or no time was left to train at all
            raise optuna.TrialPruned()
        value = float(learn.history[-1][chosen])
        if value == value and (not kept or _better(value, kept["value"], direction)):  # NaN: a failed trial
            kept.update(number=trial.number, value=value, learn=learn)
        return value

    def stop_when_time_is_short(study: Any, trial: Any) -> None:
        whole = sorted(seconds for number, seconds in spent.items() if number not in cut)
        if budget is not None and whole and budget.remaining < LAST_TRIAL_SHARE * whole[len(whole) // 2]:
            study.stop()

    if budget is not None and budget.remaining <= 0:
        raise ConfigError(
            f"the --timeout of {format_duration(budget.seconds)} was spent before the first trial began, on "
            "reading the data and choosing the defaults (the learning-rate finder); give the search more time"
        )

    study.optimize(
        objective,
        n_trials=n_trials,
        timeout=None if budget is None else budget.remaining,
        gc_after_trial=False,
        callbacks=[stop_when_time_is_short],
    )
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        raise ConfigError(
            "no trial finished (all were pruned or failed); run more trials or a longer --timeout"
        )
    best = study.best_trial
    if kept.get("number") == best.number:
        learn = kept["learn"]
    else:  # not expected (the kept trial is Optuna's best by the same rule); train it again rather than guess
        learn = space.train(data, {**defaults, **best.params}, seed, [], progress)
    trials = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "value": t.value,
            "params": dict(t.params),
            "seconds": round(times.get(t.number, 0.0), 3),
            "defaults": t.number == 0,
            "cut_by_time": t.number in cut,
        }
        for t in study.trials
    ]
    first = study.trials[0]
    default_value = first.value if first.state == optuna.trial.TrialState.COMPLETE else None
    # A multi-label model decides each label at its own threshold, as after trainwell fit.
    thresholds = choose_label_thresholds(learn, seed=seed, progress=progress) if tune_thresholds else None
    # The search's budget spoke for every trial: the model's own record says nothing of it (tuning.json does).
    learn.time_budget = None
    best_params = {**defaults, **best.params}  # the settings held fixed (search=) with those searched
    rate = best_params.get("lr", best_params.get("learning_rate", float("nan")))  # trees: their shrinkage
    run = space.run_class(learn, data, float(rate), None, thresholds=thresholds)
    result = TuneResult(chosen, direction, best_params, float(best.value), default_value, trials, run,
                        study=study)  # fmt: skip
    if budget is not None:
        result.timeout = budget.seconds
    if out is not None:
        record = json.dumps(result.to_dict(), indent=2).encode()
        result.model_dir = write_run(learn, Path(out), None, {TUNING_FILE: record})
        result.run.model_dir = result.model_dir
    return result


def _searched(space: Space, name: str) -> bool:
    bound = space.ranges.get(name)
    return bound is not None and bound.fixed is None


def _better(value: float, than: float, direction: str) -> bool:
    return value > than if direction == "maximize" else value < than
