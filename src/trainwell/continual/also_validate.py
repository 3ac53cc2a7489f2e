"""Forgetting, measured while it happens: earlier tasks' validation sets scored at the end of every epoch.

Training on a new task (with or without :class:`~trainwell.continual.Consolidation` or
:class:`~trainwell.continual.Replay`) reports the new task's scores only; what it costs the old ones showed
only by calling ``learn.validate(task_a.valid)`` by hand after the fit. :class:`AlsoValidate` scores each set
it is given with the learner's loss and metrics when the fit starts (the model as the earlier tasks left it)
and after every epoch, and writes the scores into the epoch's row of ``learn.history``, each key followed by
the set's name: ``valid_loss[A]``, ``accuracy[A]``. :attr:`AlsoValidate.forgetting` then says, per set and
metric, how much worse the model is now than when the fit started, and :meth:`AlsoValidate.summary` says it in
a line::

    >>> old = AlsoValidate({"A": task_a.valid})                               # doctest: +SKIP
    >>> learn.data = task_b; learn.fit_one_cycle(5, 1e-3, callbacks=[memory, old])  # doctest: +SKIP
    >>> learn.history[-1]["accuracy[A]"], old.forgetting["A"]["accuracy"]      # doctest: +SKIP
    (0.83, 0.12)
    >>> print(old.summary())                                                   # doctest: +SKIP
    A: accuracy 0.950 when the fit started, 0.830 now (forgot 0.120; lowest 0.801 at epoch 2 of 5)

The score "when the fit started" is taken at the first fit the object is given to, and kept through later
fits (a third task's), so that forgetting is always counted from the model that had just learnt the set's
task; build a new object to count from elsewhere. Each set costs one pass over its rows an epoch, with the
learner's own metrics (copies: the fit's validation scores are untouched).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trainwell.core.errors import ConfigError
from trainwell.core.numbers import figure
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["AlsoValidate"]


class AlsoValidate(Callback):
    """Score earlier tasks' validation sets when the fit starts and after every epoch (see the module docstring).

    Args:
        sets: By name, labelled loaders (``{"A": task_a.valid}``) or anything :meth:`Learner.validate` reads.
            The names appear in brackets after each key in ``learn.history``: ``accuracy[A]``.

    Attributes:
        start: Per name, the scores when the first fit began (``{"A": {"loss": ..., "accuracy": ...}}``).
        latest: Per name, the scores after the last epoch.
        worst: Per name and metric, the worst value seen after an epoch and the epoch (counted from 1 over
            the fits this object saw): ``{"A": {"accuracy": (0.80, 2)}}``.
    """

    order = (
        0  # after the Recorder (-20) wrote the epoch's row, before the progress line (50) and loggers read it
    )

    def __init__(self, sets: Mapping[str, Any]) -> None:
        if not isinstance(sets, Mapping) or not sets:
            raise ConfigError(
                "AlsoValidate takes the sets to score by name, e.g. AlsoValidate({'A': task_a.valid}); got "
                f"{type(sets).__name__ if not isinstance(sets, Mapping) else 'an empty mapping'}"
            )
        for name, loader in sets.items():
            if not isinstance(name, str) or not name or any(mark in name for mark in "[]"):
                raise ConfigError(
                    f"AlsoValidate: set names must be non-empty words without brackets, got {name!r}"
                )
            if loader is None:
                raise ConfigError(
                    f"AlsoValidate: the set {name!r} is None (a DataBundle built without a validation set?); "
                    "pass a loader of labelled batches such as task_a.valid"
                )
        self.sets = dict(sets)
        self.start: dict[str, dict[str, float]] = {}
        self.latest: dict[str, dict[str, float]] = {}
        self.worst: dict[str, dict[str, tuple[float, int]]] = {}
        self._directions: dict[str, bool] = {"loss": False}
        self._epochs = 0

    def scores(self, learn: Learner) -> dict[str, dict[str, float]]:
        """Each set's loss and metrics for ``learn``'s model as it is now, by name (the model is left in the
        mode it was in, and the fit's own metric states are untouched)."""
        metrics = learn.metrics
        was_training = learn.model.training
        results = {}
        try:
            for name, loader in self.sets.items():
                learn.metrics = [copy.deepcopy(metric) for metric in metrics]
                results[name] = {key: float(value) for key, value in learn.validate(loader).items()}
        finally:
            learn.metrics = metrics
            learn.model.train(was_training)
        for metric in metrics:
            self._directions[metric.name] = bool(getattr(metric, "higher_is_better", True))
        return results

    def before_fit(self, learn: Learner) -> None:
        missing = [name for name in self.sets if name not in self.start]
        if missing:
            measured = self.scores(learn)
            self.start.update({name: measured[name] for name in missing})

    def after_epoch(self, learn: Learner) -> None:
        if not learn.history:
            return
        self._epochs += 1
        self.latest = self.scores(learn)
        row = learn.history[-1]
        for name, values in self.latest.items():
            for key, value in values.items():
                row[f"{'valid_loss' if key == 'loss' else key}[{name}]"] = value
                worst = self.worst.setdefault(name, {}).get(key)
                if worst is None or self._worse(key, value, worst[0]):
                    self.worst[name][key] = (value, self._epochs)

    @property
    def forgetting(self) -> dict[str, dict[str, float]]:
        """Per set and metric, how much worse the score is after the last epoch than when the fit began
        (positive: forgotten; a loss counts its rise, a score its fall). Empty before an epoch ends."""
        result: dict[str, dict[str, float]] = {}
        for name, now in self.latest.items():
            before = self.start.get(name, {})
            result[name] = {
                key: (before[key] - value) if self._directions.get(key, True) else (value - before[key])
                for key, value in now.items()
                if key in before and math.isfinite(before[key]) and math.isfinite(value)
            }
        return result

    def summary(self) -> str:
        """One line per set on its first metric (its loss when it has none): the score when the fit began,
        now, what was forgotten and the worst epoch."""
        lines = []
        for name, now in self.latest.items():
            key = next((key for key in now if key != "loss"), "loss")
            shown = "valid_loss" if key == "loss" else key
            lost = self.forgetting[name].get(key, math.nan)
            worst, epoch = self.worst[name][key]
            word = "lowest" if self._directions.get(key, True) else "highest"
            # One form for the four, set by the largest: 0.812, 44,211 or 1.955e9 (a price's squared error)
            start, like = self.start[name][key], _largest(self.start[name][key], now[key], worst)
            said = [figure(value, 3, like=like) for value in (start, now[key], lost, worst)]
            lines.append(
                f"{name}: {shown} {said[0]} when the fit started, {said[1]} now "
                f"(forgot {said[2]}; {word} {said[3]} at epoch {epoch} of {self._epochs})"
            )
        return "\n".join(lines)

    def _worse(self, key: str, value: float, than: float) -> bool:
        return value < than if self._directions.get(key, True) else value > than

    # ------------------------------------------------------------------ exact resume
    def checkpoint_state(self) -> dict[str, Any]:
        return {"start": self.start, "latest": self.latest, "epochs": self._epochs, "worst": self.worst}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.start = {name: dict(values) for name, values in state["start"].items()}
        self.latest = {name: dict(values) for name, values in state["latest"].items()}
        self.worst = {
            name: {key: (float(pair[0]), int(pair[1])) for key, pair in values.items()}
            for name, values in state["worst"].items()
        }
        self._epochs = int(state["epochs"])


def _largest(*values: float) -> float:
    """The largest size of ``values``' finite numbers, which sets the form of each (0 where none is finite)."""
    return max((abs(value) for value in values if math.isfinite(value)), default=0.0)
