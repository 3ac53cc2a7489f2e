"""The Recorder: losses, metrics, learning rates and times, per epoch and per batch.

It accumulates on the device (no ``.item()`` per batch, so no synchronisation on a GPU) and turns sums into
numbers once per epoch. Every Learner has one; ``learn.history`` is its table: a row per epoch with the
losses, each metric under its name and, for a model of several regression targets, each target's value
under ``"metric[target]"`` (``"rmse[price]"``).

A row's ``epoch`` counts from 1 over every fit of the history, as the screen, ``history.csv``, ``curves.png`` and
a server's ``/metadata`` count it (fine-tuning's frozen epoch 1, then 2, 3, 4); its ``fit`` says which fit wrote
it. Rows written before (checkpoints, ``trainwell.json``) counted from 0 within each fit: a checkpoint's are
renumbered as it is read, and every reader of a model directory's rows numbers them by position
(:func:`~trainwell.learner.run_files.epochs_from_one`). ``learn.history[-1]["epoch"]`` after ``fit(3)`` read 2
while the table above it said 3.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback
from trainwell.metrics.targets import metric_values

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

SMOOTHING = 0.98
#: Said when the Recorder leaves a Learner (``learn.remove_callback(Recorder)``): every reader of the history
#: (``learn.history``, ``learn.recorder.plot()``, ``curves.png``, ``history.csv``, the report) then gets no new
#: epoch, where they had stayed empty without a word, or blamed a fit that had not run.
RECORDER_REMOVED = (
    "the Recorder callback was removed: the epochs fitted from now on are not recorded (learn.history, "
    "learn.recorder.plot(), curves.png, history.csv and the report get none of them); put it back with "
    "learn.add_callbacks(learn.recorder)"
)
#: What a reader of an empty history says when the Recorder was removed.
NO_HISTORY = (
    "no history: the Recorder callback was removed; put it back with learn.add_callbacks(learn.recorder)"
)


class Recorder(Callback):
    """Keeps ``history`` (a row per epoch) and per-iteration ``lrs`` and ``losses`` (for curves)."""

    order = -20  # first at every event, so the others see this epoch's numbers

    def __init__(self) -> None:
        self.history: list[dict[str, Any]] = []
        self.lrs: list[float] = []
        #: Each training batch's learning rate of every layer group (``learn.layer_groups()``, in order; of every
        #: parameter group of an optimizer that names none), where ``lrs`` holds the last one's: discriminative
        #: rates (``slice(1e-4, 1e-2)`` over 3 groups) differ from group to group.
        self.group_lrs: list[tuple[float, ...]] = []
        self.losses: list[float] = []
        # The number of batch losses recorded when each epoch of ``history`` ended (where ``curves.png`` puts
        # the epoch's losses: epochs cut short by a time budget or an early stop are not evenly spaced).
        self.epoch_ends: list[int] = []
        self.fit_count = 0
        self.smooth_loss: torch.Tensor | None = None
        self._pending_losses: list[torch.Tensor] = []
        self._train_sum: torch.Tensor | float = 0.0
        self._train_rows = 0
        self._valid_sum: torch.Tensor | float = 0.0
        self._valid_rows = 0
        self._epoch_start = 0.0
        self.resumed = False
        self.earlier_epochs = 0
        self._model: Any = None  # the model of the fits it recorded (a weak reference), to see it change
        self._learn: Any = None  # the Learner of those fits (a weak reference): which epoch its weights are
        self._weights_when_removed: Any = None
        #: Whether the model changed while the Recorder was out of the Learner's callbacks: epochs not recorded.
        self.missed_training = False
        self._removed = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = None  # a weak reference does not pickle; the weights state alone is compared
        state["_learn"] = None
        return state

    @property
    def removed(self) -> bool:
        """Whether the Learner's callbacks no longer hold it (``learn.remove_callback``): fits record nothing."""
        return self._removed

    @removed.setter
    def removed(self, value: bool) -> None:
        if value and not self._removed:
            self._weights_when_removed = self._weights_now()
        elif not value and self._removed:  # put back: did the model train meanwhile?
            self.missed_training = self.missed_training or self._changed_since_removal()
        self._removed = value

    def _weights_now(self) -> Any:
        from trainwell.learner.kept_predictions import weights_state

        model = self._model() if self._model is not None else None
        return None if model is None else weights_state(model)

    def _changed_since_removal(self) -> bool:
        before, now = self._weights_when_removed, self._weights_now()
        return before is not None and now is not None and now != before

    def unrecorded_training(self, learn: Learner) -> bool:
        """Whether ``learn``'s model trained (or changed) while this Recorder was out of its callbacks, so that
        the history misses epochs: removed before any recorded fit, with a fit since (:attr:`Learner.fits`:
        ``learn.opt`` built read as one, but a model fitted in closed form, boosted trees, builds none), or
        removed after some, with the weights changed since. ``learn.epoch`` and ``learn.n_epochs`` cannot say how
        many: they count the last fit's epochs alone (an ``lr_find`` sweep's too, which is no fit here)."""
        if self.missed_training:
            return True
        if not self._removed:
            return False
        if self._weights_when_removed is None:  # removed before it recorded a fit
            return not self.history and getattr(learn, "fits", 0) > 0
        return self._changed_since_removal()

    def plot(self, path: str | Path = "curves.png") -> Path:
        """Write the training curves as ``curves.png`` in a model directory shows them: the batch losses with each
        epoch's train and validation loss, the validation metrics, the learning rate (fastai's
        ``recorder.plot_loss`` and more, in one PNG), and the epoch whose weights the model holds when a best
        epoch was loaded back. A relative ``path`` is under the current folder."""
        from trainwell.learner._export import kept_epoch
        from trainwell.learner.plots import plot_history

        self._flush_losses()
        if not self.losses and self.removed:
            raise ConfigError(f"nothing to plot: {NO_HISTORY} before fitting")
        if not self.losses:
            raise ConfigError(
                "nothing to plot: no training batch has run (call fit first; a model fitted in closed form, as "
                "boosted trees, trains none: its scores are in learn.history)"
            )
        learn = self._learn() if self._learn is not None else None
        return plot_history(
            self.history,
            self.lrs,
            self.losses,
            Path(path),
            epoch_ends=self.epoch_ends,
            group_lrs=self.aligned_group_lrs(),
            kept_epoch=None if learn is None else kept_epoch(learn),
        )

    def aligned_group_lrs(self) -> list[tuple[float, ...]]:
        """:attr:`group_lrs`, one entry per entry of :attr:`lrs`: a learning-rate sweep's batches, which
        ``lr_find`` drops from ``lrs`` after it, are dropped here too; batches of a checkpoint written before the
        groups were kept have their ``lrs`` value alone."""
        kept = self.group_lrs[: len(self.lrs)]
        return kept + [(lr,) for lr in self.lrs[len(kept) :]]

    # --------------------------------------------------------------------------------- events
    def before_fit(self, learn: Learner) -> None:
        self._model = weakref.ref(learn.model)
        self._learn = weakref.ref(learn)
        if not self.resumed:
            # Numbered among the fits that recorded a row: one that ended before its first epoch's row (it raised,
            # or was cancelled) leaves its number to this one; the next fit's rows said fit 2, with no fit 1.
            if self.fit_count == 0 or any(row.get("fit") == self.fit_count for row in self.history):
                self.fit_count += 1
            self.smooth_loss = None
        self._smooth_steps = 0
        # Rows of earlier fits (fine-tuning's frozen phase): this fit's epochs are shown numbered after them.
        self.earlier_epochs = sum(row.get("fit") != self.fit_count for row in self.history)

    def shown_epoch(self, epoch: int) -> int:
        """The number people see for this fit's ``epoch`` (0-based, as ``learn.epoch`` counts): counted from 1
        over every fit of the history, as the history's ``"epoch"`` and the rows of ``curves.png`` are, so that
        fine-tuning's unfrozen phase goes on from its frozen one (1; 2, 3, 4)."""
        return self.earlier_epochs + epoch + 1

    def fit_epoch(self, row: dict[str, Any]) -> int:
        """The 0-based epoch of the current fit (``learn.epoch``'s count) that ``row``, one of this fit's, records:
        :meth:`shown_epoch` undone."""
        return int(row["epoch"]) - self.earlier_epochs - 1

    def before_epoch(self, learn: Learner) -> None:
        self._epoch_start = time.perf_counter()
        # An epoch cancelled before validation must not report the previous epoch's validation numbers.
        self._valid_sum, self._valid_rows = 0.0, 0
        if self.resumed:
            self.resumed = False
            if learn._start_batch > 0:  # mid-epoch: this epoch's sums so far came from the checkpoint
                return
        self._train_sum, self._train_rows = 0.0, 0

    def after_batch(self, learn: Learner) -> None:
        if not learn.training or learn.loss.numel() == 0:
            return
        loss = learn.loss.detach()
        rows = learn.batch_weight(learn.yb)
        self._train_sum = self._train_sum + loss.float() * rows
        self._train_rows += rows
        self.smooth_loss = loss if self.smooth_loss is None else torch.lerp(loss, self.smooth_loss, SMOOTHING)
        self._pending_losses.append(loss)
        assert learn.opt is not None
        self.group_lrs = self.aligned_group_lrs()  # after a sweep (lr_find restores lrs alone): in step again
        self.group_lrs.append(_layer_group_lrs(learn.opt.param_groups))
        self.lrs.append(learn.opt.param_groups[-1]["lr"])

    def before_validate(self, learn: Learner) -> None:
        self._valid_sum, self._valid_rows = 0.0, 0
        for metric in learn.metrics:
            metric.reset()

    def after_loss(self, learn: Learner) -> None:
        if learn.training:
            return
        rows = learn.batch_weight(learn.yb)
        self._valid_sum = self._valid_sum + learn.loss.detach().float() * rows
        self._valid_rows += rows
        if learn.metrics:
            pred = learn.pred  # validation runs without gradients: nothing to detach
            activated = learn.activate(pred, learn.xb)
            for metric in learn.metrics:
                metric.update(activated, learn.yb)

    def after_epoch(self, learn: Learner) -> None:
        self._flush_losses()
        row: dict[str, Any] = {"fit": self.fit_count, "epoch": self.shown_epoch(learn.epoch)}
        row["train_loss"] = _mean(self._train_sum, self._train_rows)
        if learn.data.valid is not None and self._valid_rows:
            row["valid_loss"] = _mean(self._valid_sum, self._valid_rows)
            # Headlines, then with several regression targets each target's value ("rmse[price]").
            row.update(metric_values(learn.metrics, learn.task.target_names))
        row["lr"] = self.lrs[-1] if self.lrs else float("nan")
        row["time"] = round(time.perf_counter() - self._epoch_start, 3)
        self.history.append(row)
        self.epoch_ends.append(len(self.losses))

    def after_fit(self, learn: Learner) -> None:
        self._flush_losses()

    def combine(self, phase: str, add_up: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Replace this process's loss sum and row count of ``phase`` (``"train"`` or ``"valid"``) by their
        totals over every process; ``add_up`` sums a float64 tensor across them (an all-reduce).

        A distributed fit calls this once a phase ends, before the epoch's row is written, so the history
        holds the loss over all the data, the same in every process."""
        if phase == "train":
            totals = add_up(
                torch.tensor([float(self._train_sum), float(self._train_rows)], dtype=torch.float64)
            )
            self._train_sum, self._train_rows = float(totals[0]), int(totals[1])
        else:
            totals = add_up(
                torch.tensor([float(self._valid_sum), float(self._valid_rows)], dtype=torch.float64)
            )
            self._valid_sum, self._valid_rows = float(totals[0]), int(totals[1])

    # --------------------------------------------------------------------------------- state
    def _flush_losses(self) -> None:
        if self._pending_losses:
            self.losses.extend(torch.stack(self._pending_losses).float().cpu().tolist())
            self._pending_losses = []

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to carry on mid-epoch after a resume (plain values and tensors only)."""
        self._flush_losses()
        return {
            "history": [dict(row) for row in self.history],
            "lrs": list(self.lrs),
            "group_lrs": [list(rates) for rates in self.aligned_group_lrs()],
            "losses": list(self.losses),
            "epoch_ends": list(self.epoch_ends),
            "fit_count": self.fit_count,
            "epochs_from_one": True,  # the rows' epochs counted from 1 over every fit (older: from 0 a fit)
            "train_sum": float(self._train_sum),
            "train_rows": self._train_rows,
            "smooth_loss": None if self.smooth_loss is None else self.smooth_loss.detach().cpu().clone(),
        }

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.history = [dict(row) for row in state["history"]]
        if not state.get("epochs_from_one", False):  # an older checkpoint: each fit's rows counted from 0
            self.history = [
                {**row, "epoch": number} if "epoch" in row else row
                for number, row in enumerate(self.history, start=1)
            ]
        self.lrs = list(state["lrs"])
        # Older checkpoints hold no group rates: their batches show the last group's (aligned_group_lrs).
        self.group_lrs = [tuple(rates) for rates in state.get("group_lrs", [])]
        self.losses = list(state["losses"])
        self.epoch_ends = list(state.get("epoch_ends", []))  # older checkpoints hold none: spaced evenly
        self.fit_count = state["fit_count"]
        # Losses of batches after the checkpoint (a learner that ran on past it, then resumes) are not the
        # checkpoint's: kept, they were flushed after its own and the list outgrew ``lrs`` at every resume.
        self._pending_losses = []
        self._train_sum = torch.tensor(state["train_sum"], device=device)
        self._train_rows = state["train_rows"]
        smooth = state["smooth_loss"]
        self.smooth_loss = None if smooth is None else smooth.to(device)
        self.resumed = True


def _mean(total: torch.Tensor | float, rows: int) -> float:
    return float(total) / rows if rows else float("nan")


def _layer_group_lrs(param_groups: list[dict[str, Any]]) -> tuple[float, ...]:
    """The learning rate of each layer group, in order: its parameter groups (with and without weight decay)
    share it; an optimizer's groups that name no ``layer_group`` are each their own."""
    rates: dict[int, float] = {}
    for index, group in enumerate(param_groups):
        rates.setdefault(int(group.get("layer_group", index)), float(group["lr"]))
    return tuple(rates[key] for key in sorted(rates))
