"""Stop, or roll back, when the training loss becomes NaN or infinite."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import torch

from trainwell.callbacks._validate import choice, positive_int
from trainwell.core.errors import TrainingDiverged
from trainwell.core.warn import warn
from trainwell.learner.events import Callback, CancelEpoch

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

ACTIONS = ("stop", "rollback")
ACCELERATOR_CHECK_EVERY = 32  # batches between reads of the checks on a GPU (each read waits for the device)


class NanGuard(Callback):
    """Check every training loss; when it is not finite, stop with a clear message or roll back.

    * ``action="stop"`` (every Learner has one by default) raises :class:`TrainingDiverged` saying where it
      happened and at which learning rate.
    * ``action="rollback"`` keeps a copy of the model and optimizer state from the start of each epoch
      (skipped when those weights are already not finite). On a non-finite loss it restores that copy,
      halves every group's ``max_lr`` and ``lr``, warns, and cancels the rest of the epoch (the fit goes on
      with the next epoch, so the epoch's history row has no validation numbers). After ``max_rollbacks``
      rollbacks in one fit it stops as above. The copy costs one model and optimizer state of memory.

    Every training loss is copied aside on the device as it is computed; the copies are read on the host every
    ``check_every`` batches and at the end of each training phase. Reading one makes the host wait for the
    device: on the CPU that costs nothing, so the default there is every batch, and the guard stops before the
    bad loss reaches the weights. On a GPU a wait at every batch would stop the host from queueing the next
    batch while the device works on this one, so the default there is every 32 batches: the guard then names
    the batch where the loss went bad, says how many optimizer steps ran after it, and a rollback still
    restores the start of the epoch. ``check_every=1`` gives the CPU's behaviour on any device.

    To replace the default guard, pass yours in ``Learner(callbacks=...)`` or call
    ``learn.remove_callback(NanGuard)`` first: two guards would both act.

    Args:
        action: ``"stop"`` or ``"rollback"``.
        max_rollbacks: rollbacks allowed per fit before stopping (``"rollback"`` only).
        check_every: read the checks every this many training batches; ``None``: 1 on the CPU,
            ``ACCELERATOR_CHECK_EVERY`` (32) on other devices.

    Attributes:
        rollbacks: rollbacks made in the current fit.

    Example:
        >>> guard = NanGuard(action="rollback", max_rollbacks=2)
    """

    runs_in_lr_find = False  # the sweep diverges on purpose, and stops itself there
    order = -15  # right after the Recorder: nothing else should see a non-finite loss first

    def __init__(self, action: str = "stop", max_rollbacks: int = 3, check_every: int | None = None) -> None:
        self.action = choice("NanGuard", "action", action, ACTIONS)
        self.max_rollbacks = positive_int("NanGuard", "max_rollbacks", max_rollbacks, example=3)
        self.check_every = (
            None if check_every is None else positive_int("NanGuard", "check_every", check_every, example=1)
        )
        self.rollbacks = 0
        self._snapshot: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None
        self._every = 1
        self._losses: torch.Tensor | None = None  # each unread batch's training loss, on the device
        # Each unread batch's (shown epoch, batch, learning rate), for the message.
        self._unread: list[tuple[int, int, float]] = []

    def before_fit(self, learn: Learner) -> None:
        self.rollbacks = 0
        self._snapshot = None
        on_cpu = torch.device(learn.device).type == "cpu"
        self._every = self.check_every or (1 if on_cpu else ACCELERATOR_CHECK_EVERY)
        self._losses = None
        self._unread = []

    def before_epoch(self, learn: Learner) -> None:
        self._unread = []
        if self.action != "rollback" or learn.opt is None or not _finite_weights(learn.model):
            return
        model_state = {key: value.detach().clone() for key, value in learn.model.state_dict().items()}
        self._snapshot = (model_state, copy.deepcopy(learn.opt.state_dict()))

    def after_loss(self, learn: Learner) -> None:
        if not learn.training:
            return
        loss = learn.loss.detach()
        loss = loss if loss.ndim == 0 else loss.sum()  # a sum is finite only when every element is
        if self._losses is None or (self._losses.device, self._losses.dtype) != (loss.device, loss.dtype):
            self._losses = torch.zeros(self._every, dtype=loss.dtype, device=loss.device)
        self._losses[len(self._unread)] = loss  # a copy on the device, read later: no wait here
        self._unread.append(
            (learn.recorder.shown_epoch(learn.epoch), learn.batch_index + 1, _current_lr(learn))
        )
        if len(self._unread) == self._every:
            self._read(learn, stepped=False)

    def after_train(self, learn: Learner) -> None:
        self._read(learn, stepped=True)

    def after_epoch(self, learn: Learner) -> None:
        self._read(learn, stepped=True, can_cancel=False)  # a training phase another callback cut short

    def after_fit(self, learn: Learner) -> None:
        self._read(learn, stepped=True, can_cancel=False)  # a fit another callback cancelled mid-epoch

    def _read(self, learn: Learner, *, stepped: bool, can_cancel: bool = True) -> None:
        """Read the unread batches' checks (one wait for the device) and act on the first bad loss.

        ``stepped``: whether the last unread batch's optimizer step has run (at the end of a phase it has;
        from ``after_loss`` it has not)."""
        unread, self._unread = self._unread, []
        if not unread or self._losses is None:
            return
        losses = self._losses[: len(unread)].tolist()
        bad = next((i for i, loss in enumerate(losses) if not math.isfinite(loss)), None)
        if bad is None:
            return
        epoch, batch, lr = unread[bad]
        value = "nan" if math.isnan(losses[bad]) else "infinite"
        # Optimizer steps that ran from the bad loss on: its own and those of the batches read with it.
        steps = len(unread) - bad - (0 if stepped else 1)
        where = f"loss became {value} at epoch {epoch}, batch {batch} (learning rate {lr:.1e})"
        if steps:
            where += (
                f"; {steps} optimizer step{'s' if steps > 1 else ''} ran from it before the check was read "
                f"(NanGuard reads its checks every {self._every:,} batches here; check_every=1 stops before the step)"
            )
        if self.action == "stop":
            raise _diverged(where)
        if self._snapshot is None or self.rollbacks >= self.max_rollbacks:
            reason = (
                f" after {self.rollbacks} rollbacks"
                if self._snapshot
                else " with no finite state to roll back to"
            )
            raise _diverged(where + reason)
        self._roll_back(learn, where)
        if can_cancel:
            raise CancelEpoch

    def _roll_back(self, learn: Learner, message: str) -> None:
        assert self._snapshot is not None and learn.opt is not None
        model_state, opt_state = self._snapshot
        learn.model.load_state_dict(model_state)
        # A copy: the optimizer may keep the given tensors and update them in place.
        learn.opt.load_state_dict(copy.deepcopy(opt_state))
        learn.opt.zero_grad(set_to_none=True)
        for group in learn.opt.param_groups:
            group["lr"] /= 2
            if "max_lr" in group:
                group["max_lr"] /= 2
        self.rollbacks += 1

        def words(command_line: bool) -> str:
            return (
                f"{message}{_advice(command_line)}. Rolled back to the start of the epoch with the learning rate "
                f"halved to {_current_lr(learn):.1e} (rollback {self.rollbacks} of {self.max_rollbacks})"
            )

        said = RuntimeWarning(words(command_line=False))
        said.command_line = words(command_line=True)  # type: ignore[attr-defined]
        warn(said)

    def __repr__(self) -> str:
        every = "" if self.check_every is None else f", check_every={self.check_every}"
        return f"NanGuard(action={self.action!r}, max_rollbacks={self.max_rollbacks}{every})"


def _advice(command_line: bool) -> str:
    """What to change when the loss diverged, in the words of whoever trains: options or Python's names."""
    if command_line:
        return "; lower the learning rate (--lr) or clip the gradients (--clip 1.0)"
    return "; lower the learning rate (lr=) or clip the gradients (callbacks=[GradientClip(1.0)])"


def _diverged(where: str) -> TrainingDiverged:
    """The error that ends a diverged fit, its advice worded for Python and for the command line."""
    error = TrainingDiverged(where + _advice(command_line=False))
    error.command_line = where + _advice(command_line=True)
    return error


def _current_lr(learn: Learner) -> float:
    return (
        max((group["lr"] for group in learn.opt.param_groups), default=float("nan"))
        if learn.opt
        else float("nan")
    )


def _finite_weights(model: torch.nn.Module) -> bool:
    flags = [torch.isfinite(param.detach()).all() for param in model.parameters()]
    return bool(torch.stack(flags).all()) if flags else True
