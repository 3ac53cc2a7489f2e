"""What a hyper-parameter search tries: each setting's :class:`Range`, one kind of model's :class:`Space`, and
several kinds searched in one study (:class:`MixedSpace`); users narrow them with ``search=``
(``--search NAME=LOW:HIGH|A,B|VALUE``). The study that runs them is :func:`trainwell.automl.search.run_search`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data.bundle import DataBundle
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.learner.run_files import FitRun

__all__ = ["ARCH_PARAM", "MixedSpace", "Range", "Space", "one_cycle_trial"]

#: One trial's fit: ``(data, params, seed, callbacks, progress) -> Learner``.
TrainTrial = Callable[[DataBundle, dict[str, Any], int, list[Callback], bool], Learner]


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
        defaults: ``(data, seed) -> params``: the defaults' trial, what ``trainwell fit`` would do.
        ranges: Each searched setting's :class:`Range` (``lr`` among them).
        train: ``(data, params, seed, callbacks, progress) -> Learner``: one trial's fit.
        run_class: The pipeline's run record (``TableRun``, ``RatingsRun``...) for the best model.
        arch: The kind of model, named in the record (``None``: not named).
        fit_kwargs: ``params -> keywords``: a trial's settings as the keywords of the application's one-call fit
            that trains them (``fit_table(source, target, **keywords)``), for
            :meth:`~trainwell.automl.result.TuneResult.fit_kwargs`; ``None``: not offered.
        finish: ``learn -> anything``: what the application's one-call fit does to its model after training,
            done to the kept trial's model before it is written (a recommender's fold-in of the ids only
            validation rows have); ``None``: nothing.
        steps: Whether a trial trains by gradient steps (an optimizer's): a search none of whose kinds does
            (boosted trees alone, fitted in one step) does not load the training code before its first trial.
    """

    defaults: Callable[[DataBundle, int], dict[str, Any]]
    ranges: dict[str, Range]
    train: TrainTrial
    run_class: type[FitRun]
    arch: str | None = None
    fit_kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    finish: Callable[[Learner], Any] | None = None
    steps: bool = True

    @property
    def kinds(self) -> tuple[Space, ...]:
        return (self,)

    def pick(self, trial: Any) -> Space:
        """The kind of model a trial trains: this one."""
        return self

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {name: bound.suggest(trial, name) for name, bound in self.ranges.items()}

    def narrowed(self, search: dict[str, Any] | None) -> Space:
        """This space with the ranges a user gave (``search=``): a ``(low, high)`` tuple searches between them
        (on the setting's own scale), a list among its values, a single value holds the setting there. Settings
        not named keep their ranges.

        Raises:
            ConfigError: A name that is not searched, or a range that cannot be read.
        """
        search = _search_dict(search)
        if not search:
            return self
        for name in search:
            if name not in self.ranges:
                raise ConfigError(
                    f"search names {name!r}, which is not searched here; the settings are: {', '.join(self.ranges)}"
                )
        return self._with(search)

    def _with(self, search: dict[str, Any]) -> Space:
        ranges = dict(self.ranges)
        for name, spec in search.items():
            ranges[name] = _user_range(name, spec, ranges[name])
        return dataclasses.replace(self, ranges=ranges)

    def start(self, defaults: dict[str, Any]) -> dict[str, Any]:
        """The defaults' trial's settings: each default moved into its range (a narrowed search starts inside
        it)."""
        return {name: self.ranges[name].holds(value) if name in self.ranges else value
                for name, value in defaults.items()}  # fmt: skip


def one_cycle_trial(
    learner: Callable[[DataBundle, dict[str, Any], bool], Learner],
    kept: Callable[[DataBundle], list[Callback]] | None = None,
) -> TrainTrial:
    """A :class:`Space`'s ``train`` for a model fitted by gradient steps: seeded, the learner that
    ``learner(data, params, progress)`` builds for a trial's settings, fitted one cycle of ``params["epochs"]``
    epochs at ``params["lr"]`` with the trial's callbacks (pruning, the search's time budget).

    ``kept(data)``: callbacks that decide which epoch's weights the model ends with, as the application's
    one-call fit decides it (a table's MLP: its epoch of lowest validation loss), so that a trial is scored on
    the model ``fit_*(**result.fit_kwargs())`` will keep (the search reads ``learn.final_row``)."""

    def train(
        data: DataBundle, params: dict[str, Any], seed: int, callbacks: list[Callback], progress: bool
    ) -> Learner:
        seed_everything(seed)
        learn = learner(data, params, progress)
        extra = kept(data) if kept is not None else []
        learn.fit_one_cycle(int(params["epochs"]), float(params["lr"]), callbacks=[*callbacks, *extra])
        return learn

    return train


#: The categorical parameter by which each trial of a :class:`MixedSpace` picks its kind of model.
ARCH_PARAM = "arch"


@dataclass(frozen=True)
class MixedSpace:
    """Several kinds of model searched in one study (tables' ``arch="auto"``: the MLP and boosted trees).

    Every kind's defaults are tried first, one trial each in the order of ``kinds``; then each trial picks its
    kind (the categorical parameter ``arch``) and only that kind's settings from its own ranges, Optuna's
    define-by-run conditional space. The kinds' settings must have different names (the sampler learns each
    name from the trials that drew it). A kind fitted in one step (boosted trees) never reports to the
    pruner, so the median a trial is pruned against is always of its own kind's trials at the same point of
    their schedules.
    """

    kinds: tuple[Space, ...]

    def __post_init__(self) -> None:
        names = [kind.arch for kind in self.kinds]
        assert len(self.kinds) > 1 and None not in names and len(set(names)) == len(names), names

    def pick(self, trial: Any) -> Space:
        """The kind of model a trial trains, by its ``arch`` parameter."""
        name = trial.suggest_categorical(ARCH_PARAM, [kind.arch for kind in self.kinds])
        return next(kind for kind in self.kinds if kind.arch == name)

    def narrowed(self, search: dict[str, Any] | None) -> MixedSpace:
        """Each kind narrowed by the settings of ``search=`` it has (see :meth:`Space.narrowed`): a setting of
        one kind narrows that kind alone; a name that no kind has is an error."""
        search = _search_dict(search)
        if not search:
            return self
        for name in search:
            if not any(name in kind.ranges for kind in self.kinds):
                settings = "; ".join(f"{kind.arch}: {', '.join(kind.ranges)}" for kind in self.kinds)
                raise ConfigError(
                    f"search names {name!r}, which is not searched here; the settings are: {settings}"
                )
        return MixedSpace(
            tuple(kind._with({k: v for k, v in search.items() if k in kind.ranges}) for kind in self.kinds)
        )


def _search_dict(search: Any) -> dict[str, Any]:
    """``search=`` as a dict (empty for ``None``); refuses anything else."""
    if search is not None and not isinstance(search, dict):
        raise ConfigError(
            f"search must be a dict of setting -> (low, high), [choices] or a value, got {type(search).__name__}"
        )
    return search or {}


def _user_range(name: str, spec: Any, library: Range) -> Range:
    """Read one setting's range from ``search=``, on the scale and kind of the library's range; each value
    checked against what the setting takes (``{"epochs": "abc"}`` failed inside a trial, after others ran)."""
    from trainwell.automl._search_values import check_search_value as checked

    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"search[{name!r}] is an empty list; give the values to try")
        return Range(choices=tuple(checked(name, spec)))
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
        low, high = checked(name, spec)
        return Range(low, high, log=library.log, whole=library.whole)
    return Range(fixed=checked(name, spec))
