"""Track a monitored value across epochs: stop early when it stops improving, keep the best weights."""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.callbacks._validate import choice, file_path, flag, non_negative_number
from trainwell.core.atomic import write_bytes_atomic
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.core.numbers import amount
from trainwell.core.warn import warn
from trainwell.learner.events import Callback, CancelFit
from trainwell.metrics.targets import split_target_key, target_keys

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

MODES = ("auto", "min", "max")


class TrackerCallback(Callback):
    """Base class: follows ``monitor`` (a column of ``learn.history``) and knows when it improved.

    ``mode="auto"`` minimises losses and follows each metric's ``higher_is_better``; a metric function's is read
    from its name when it was not given (``mae``, ``my_error`` go down: :mod:`trainwell.metrics.function`),
    with a warning when the name says nothing (``median_gap``). The name is checked in
    ``before_fit`` against what the Recorder will write: ``train_loss``, and with a validation set
    ``valid_loss``, the learner's metric names and, for several regression targets, each target's
    (``"r2[area]"``, to stop on one target).

    Attributes:
        best_value: the best value seen in the current fit (``None`` before the first epoch).
        best_epoch: the epoch where it was seen, as ``learn.epoch`` counts it (from 0 in the fit), which a
            resume reads.
        best_epoch_shown: the same epoch as ``learn.history``, the messages, the screen, ``history.csv`` and
            ``learn.history_table()`` number it (from 1 over every fit): ``"(epoch 6)"`` is ``best_epoch_shown``
            6 and ``best_epoch`` 5.
    """

    runs_in_lr_find = (
        False  # the learning-rate finder's sweep has no validation to judge, nor weights to keep
    )

    def __init__(self, monitor: str = "valid_loss", mode: str = "auto", min_delta: float = 0.0) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError(f"{self.name} monitor must be a history column name, got {monitor!r}")
        self.monitor = monitor
        self.mode = choice(self.name, "mode", mode, MODES)
        self.min_delta = non_negative_number(self.name, "min_delta", min_delta)
        self.higher_is_better = False
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self._warned_direction = False
        self._earlier_epochs = 0  # the learner's epochs before this fit (learn.recorder.earlier_epochs)

    @property
    def best_epoch_shown(self) -> int | None:
        """:attr:`best_epoch` numbered as people see it: from 1 over every fit of the learner (``None`` before)."""
        return None if self.best_epoch is None else self._earlier_epochs + self.best_epoch + 1

    def before_fit(self, learn: Learner) -> None:
        self.higher_is_better = self._resolve_mode(learn)
        self.best_value, self.best_epoch = None, None
        self._earlier_epochs = learn.recorder.earlier_epochs  # the Recorder (order -20) has counted them

    def _resolve_mode(self, learn: Learner) -> bool:
        metrics = {metric.name: metric for metric in learn.metrics}
        known = ["train_loss"]
        if learn.data.valid is not None:
            known += ["valid_loss", *metrics, *target_keys(learn.metrics, learn.task.target_names)]
        if self.monitor not in known:
            hint = "" if learn.data.valid is not None else " (this data has no validation set)"
            raise ConfigError(
                f"{self.name} monitor {self.monitor!r} is not a column of learn.history{hint}; "
                f"columns to monitor are: {', '.join(known)}. Pass monitor=NAME."
            )
        if self.mode != "auto":
            return self.mode == "max"
        metric = metrics.get(split_target_key(self.monitor)[0])
        if metric is None:
            return False
        if getattr(metric, "direction", None) == "assumed" and not self._warned_direction:
            # A function metric whose name says nothing of its direction (see trainwell.metrics.function): taken
            # as higher-is-better, which keeps the worst epoch of an error. Said once per tracker.
            self._warned_direction = True
            warn(
                f"{self.name} follows {metric.name!r}, a metric function whose direction was never set, as "
                f"higher-is-better (mode='auto'); if smaller is better, pass "
                f"metrics=[metric_function({metric.name}, higher_is_better=False)] (from trainwell.metrics) or "
                f"{self.name}({self.monitor!r}, mode='min'); higher_is_better=True or mode='max' says it is larger "
                "and silences this"
            )
        return bool(metric.higher_is_better)

    def _current(self, learn: Learner) -> float | None:
        """This epoch's value, or ``None`` when the epoch has none (e.g. validation was skipped)."""
        return _finite(learn.history[-1].get(self.monitor)) if learn.history else None

    def _update(self, value: float | None, epoch: int) -> bool:
        """Record ``value`` if it beats the best by more than ``min_delta``; whether it did."""
        if value is None:
            return False
        if self.best_value is not None:
            gain = value - self.best_value if self.higher_is_better else self.best_value - value
            if gain <= self.min_delta:
                return False
        self.best_value, self.best_epoch = value, epoch
        return True

    def __repr__(self) -> str:
        return f"{self.name}(monitor={self.monitor!r}, mode={self.mode!r})"


class EarlyStopping(TrackerCallback):
    """Stop the fit when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Runs late in ``after_epoch`` (order 90) so that the epoch is logged, checkpointed and tracked by
    :class:`SaveBest` before the fit stops. When a fit is resumed from a checkpoint, the epochs already in
    ``learn.history`` are replayed, so the stop happens where the uninterrupted run would stop.

    Args:
        monitor: a column of ``learn.history`` (``"valid_loss"``, ``"train_loss"`` or a metric name).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (losses down, metrics as their ``higher_is_better``).
        patience: epochs without improvement before stopping. ``0`` and ``1`` both stop after the first epoch
            without improvement, as Keras' and Lightning's ``patience=0`` does. An epoch without a ``monitor``
            value (its validation skipped by ``CancelValidate`` or ``CancelEpoch``) is not counted.
        min_delta: the smallest change that counts as an improvement.

    An epoch that ends while a learning-rate schedule is still warming up (``fit_one_cycle``'s rise toward its
    peak, or any :class:`~trainwell.callbacks.schedule.ParamScheduler` whose rate has not yet peaked) does not
    count against ``patience``: the validation loss often rises as the rate climbs, and ``--patience 1
    --epochs 12`` stopped after epoch 2 of a rise lasting three. An improvement there still sets the best value.

    Attributes:
        wait: epochs with a value since the last improvement (warm-up epochs not counted).
        warmup_waited: warm-up epochs without improvement that were not counted, since the last improvement.
        stopped_epoch: the epoch after which the fit was stopped (from 0 in the fit, as ``learn.epoch``), or
            ``None``; ``stopped_epoch_shown`` is the number the message says (from 1 over every fit), as
            ``best_epoch_shown`` is :attr:`best_epoch`'s.

    Example:
        >>> stop = EarlyStopping("accuracy", patience=2)
    """

    order = 90

    def __init__(
        self, monitor: str = "valid_loss", mode: str = "auto", patience: int = 3, min_delta: float = 0.0
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience = _patience(patience)
        self.wait = 0
        self.warmup_waited = 0
        self.stopped_epoch: int | None = None
        self._peak = 0.0  # the share of the fit at which its learning rate first peaks (0: no warm-up)

    def before_fit(self, learn: Learner) -> None:
        super().before_fit(learn)
        self.wait, self.warmup_waited, self.stopped_epoch = 0, 0, None
        self._peak = lr_peak(getattr(learn, "_active", None) or learn.callbacks)
        # A resumed fit already has some of its rows: replay them (a fresh fit has none).
        for row in learn.history:
            if row.get("fit") == learn.recorder.fit_count:
                epoch = learn.recorder.fit_epoch(row)
                self._observe(_finite(row.get(self.monitor)), epoch, self._warming(learn, epoch, replay=True))
                if learn.stopped_by == self.name and self.wait >= max(self.patience, 1):
                    self.stopped_epoch = epoch  # a resume of the fit this stopped

    @property
    def stopped_epoch_shown(self) -> int | None:
        """:attr:`stopped_epoch` numbered as the message says it: from 1 over every fit (``None`` if not stopped)."""
        return None if self.stopped_epoch is None else self._earlier_epochs + self.stopped_epoch + 1

    def _warming(self, learn: Learner, epoch: int, replay: bool = False) -> bool:
        """Whether the fit's ``epoch`` (from 0) ended before the learning rate's peak (or on it): an epoch of
        the schedule's warm-up. Its share of the fit is read from the learner's plan (its progress under a time
        budget, which re-plans; replayed rows of a resume take the planned epochs)."""
        if self._peak <= 0:
            return False
        progress = getattr(learn, "progress", None)
        if progress is not None and not replay:
            end = float(progress)
        else:
            end = (epoch + 1) / max(1, int(getattr(learn, "n_epochs", 0) or 0) or epoch + 1)
        return end <= self._peak + 1e-9

    def _observe(self, value: float | None, epoch: int, warming: bool = False) -> None:
        # An epoch with no value (validation skipped by CancelValidate, CancelEpoch) says nothing either way:
        # counted as "no improvement", a fit validating every other epoch stopped after its first, unvalidated.
        if value is None:
            return
        if self._update(value, epoch):
            self.wait = self.warmup_waited = 0
        elif warming:  # the rate still climbing: a worse epoch is expected, not a sign of a plateau
            self.warmup_waited += 1
        else:
            self.wait += 1

    def after_epoch(self, learn: Learner) -> None:
        self._observe(self._current(learn), learn.epoch, self._warming(learn, learn.epoch))
        if self.wait >= max(self.patience, 1):  # 0 as Keras: the first epoch without improvement stops
            self.stopped_epoch = learn.epoch
            from trainwell.callbacks.progress import say

            best = (
                f"on {self.best_value:.4g} (epoch {self.best_epoch_shown})"
                if self.best_value is not None and self.best_epoch is not None
                else "at all"
            )
            epochs = f"{self.wait} epoch{'' if self.wait == 1 else 's'}"
            skipped = self.warmup_waited
            warmup = (
                f" after the learning rate's warm-up (the {skipped} epoch{'' if skipped == 1 else 's'} before its "
                "peak not counted)"
                if skipped
                else ""
            )
            say(
                learn,
                f"EarlyStopping: {self.monitor} has not improved {best} for {epochs}{warmup}: stopping after "
                f"epoch {self.stopped_epoch_shown}",
            )
            learn.stopped_by = self.name  # checkpoints say so: a resume of the same call trains no more
            raise CancelFit


class SaveBest(TrackerCallback):
    """Keep a copy of the weights from the epoch where ``monitor`` was best, and load it back after the fit.

    The copy lives on the CPU (one model's worth of memory). With ``path`` it is also written, atomically, to
    a safetensors file each time it improves (on rank 0 only); a relative ``path`` is under ``learn.path``.
    The copy is part of a checkpoint, so a resumed fit still restores the best epoch of the whole fit.

    Args:
        monitor: a column of ``learn.history``.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        restore: load the best weights into the model when the fit ends (also after an early stop).
        path: optional ``.safetensors`` file for the best weights.

    Example:
        >>> best = SaveBest("valid_loss", path="best.safetensors")
    """

    order = 80  # after the Recorder's row, before EarlyStopping may end the fit

    def __init__(
        self,
        monitor: str = "valid_loss",
        mode: str = "auto",
        restore: bool = True,
        path: str | Path | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0)
        self.restore = flag("SaveBest", "restore", restore)
        self.path = None if path is None else file_path("SaveBest", "path", path)
        self.best_state: dict[str, torch.Tensor] | None = None

    def before_fit(self, learn: Learner) -> None:
        super().before_fit(learn)
        self.best_state = None

    def after_epoch(self, learn: Learner) -> None:
        if not self._update(self._current(learn), learn.epoch):
            return
        from trainwell.learner._checkpoint import plain_model

        # A torch.compile'd model's own module: its keys are those learn.save, learn.load and export use.
        self.best_state = {
            key: value.detach().to("cpu", copy=True).contiguous()
            for key, value in plain_model(learn.model).state_dict().items()
        }
        if self.path is not None and is_rank_zero():
            from safetensors.torch import save

            write_bytes_atomic(learn.path / self.path, save(self.best_state, metadata=self._metadata()))

    def checkpoint_state(self) -> dict[str, Any] | None:
        if self.best_state is None:
            return None
        return {"best_value": self.best_value, "best_epoch": self.best_epoch, "best_state": self.best_state}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        from trainwell.learner._checkpoint import plain_keys

        self.best_value, self.best_epoch = state["best_value"], state["best_epoch"]
        self.best_state = plain_keys(state["best_state"])

    def _metadata(self) -> dict[str, str]:
        return {
            "monitor": self.monitor,
            "best_value": repr(self.best_value),
            "best_epoch": str(self.best_epoch),
        }

    def after_fit(self, learn: Learner) -> None:
        if self.restore and self.best_state is not None:
            from trainwell.learner._checkpoint import plain_model

            plain_model(learn.model).load_state_dict(self.best_state)
            # The model now holds that epoch's weights: what it reports (exports, summaries) is that row.
            fit = learn.recorder.fit_count
            rows = [
                i
                for i, row in enumerate(learn.history)
                if row.get("fit") == fit and row.get("epoch") == self.best_epoch_shown
            ]
            if rows:
                learn.weights_row = rows[-1]
            if self.best_epoch is not None and self.best_epoch != learn.epoch and self.best_value is not None:
                from trainwell.callbacks.progress import say

                say(
                    learn,
                    f"SaveBest: the model holds epoch {self.best_epoch_shown}'s weights, its "
                    f"best {self.monitor} ({amount(self.best_value)})",  # 1.955e9, 44,211: not 4.421e+04
                )


#: Points at which a schedule's learning rate is read to find its peak.
_PEAK_GRID = 10_000


def lr_peak(callbacks: Any) -> float:
    """The share of a fit (0 to 1) at which the learning rate of the first schedule among ``callbacks`` that
    sets it (a :class:`~trainwell.callbacks.schedule.ParamScheduler`) first reaches its highest value: 0.25 for
    ``fit_one_cycle``'s default warm-up, 0 without a schedule or for one that starts at its peak (flat, cosine
    decay)."""
    from trainwell.callbacks.schedule import ParamScheduler

    schedule = next(
        (cb.lr for cb in callbacks or () if isinstance(cb, ParamScheduler) and cb.lr is not None), None
    )
    if schedule is None:
        return 0.0
    try:
        values = [float(schedule(step / _PEAK_GRID)) for step in range(_PEAK_GRID + 1)]
    except Exception:  # a schedule of your own that cannot be read ahead: no warm-up assumed
        return 0.0
    top = max(values)
    if not math.isfinite(top) or top <= 0:
        return 0.0
    first = next(step for step, value in enumerate(values) if value >= top * (1 - 1e-9))
    return first / _PEAK_GRID


def _patience(value: Any) -> int:
    """``patience`` of :class:`EarlyStopping`: a whole number >= 0. Keras and Lightning take ``0`` to stop at
    the first epoch without improvement, and a user coming from them was refused "must be a whole number >= 1";
    an epoch without improvement always counts one, so 0 stops where 1 does."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ConfigError(
            f"EarlyStopping patience must be a whole number >= 0 (epochs without improvement before stopping; 0 "
            f"and 1 both stop after the first), got {value!r}; pass e.g. patience=3"
        )
    return int(value)


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
