"""Stop, or roll back, when the training loss becomes NaN or infinite."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import torch

from trainwell.callbacks._validate import choice, positive_int
from trainwell.core.errors import TrainingDiverged
from trainwell.core.warn import warn
from trainwell.learner.events import Callback, CancelEpoch

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

ACTIONS = ("stop", "rollback")


class NanGuard(Callback):
    """Check every training loss; when it is not finite, stop with a clear message or roll back.

    * ``action="stop"`` (every Learner has one by default) raises :class:`TrainingDiverged` saying where it
      happened and at which learning rate, before the bad loss reaches the weights.
    * ``action="rollback"`` keeps a copy of the model and optimizer state from the start of each epoch
      (skipped when those weights are already not finite). On a non-finite loss it restores that copy,
      halves every group's ``max_lr`` and ``lr``, warns, and cancels the rest of the epoch (the fit goes on
      with the next epoch, so the epoch's history row has no validation numbers). After ``max_rollbacks``
      rollbacks in one fit it stops as above. The copy costs one model and optimizer state of memory.

    The check is one ``isfinite`` per training batch; reading its answer waits for the loss (on a GPU, a
    synchronisation per batch). To replace the default guard, pass yours in ``Learner(callbacks=...)`` or call
    ``learn.remove_callback(NanGuard)`` first: two guards would both act.

    Args:
        action: ``"stop"`` or ``"rollback"``.
        max_rollbacks: rollbacks allowed per fit before stopping (``"rollback"`` only).

    Attributes:
        rollbacks: rollbacks made in the current fit.

    Example:
        >>> guard = NanGuard(action="rollback", max_rollbacks=2)
    """

    runs_in_lr_find = False  # the sweep diverges on purpose, and stops itself there
    order = -15  # right after the Recorder: nothing else should see a non-finite loss first

    def __init__(self, action: str = "stop", max_rollbacks: int = 3) -> None:
        self.action = choice("NanGuard", "action", action, ACTIONS)
        self.max_rollbacks = positive_int("NanGuard", "max_rollbacks", max_rollbacks, example=3)
        self.rollbacks = 0
        self._snapshot: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None

    def before_fit(self, learn: Learner) -> None:
        self.rollbacks = 0
        self._snapshot = None

    def before_epoch(self, learn: Learner) -> None:
        if self.action != "rollback" or learn.opt is None or not _finite_weights(learn.model):
            return
        model_state = {key: value.detach().clone() for key, value in learn.model.state_dict().items()}
        self._snapshot = (model_state, copy.deepcopy(learn.opt.state_dict()))

    def after_loss(self, learn: Learner) -> None:
        if not learn.training or bool(torch.isfinite(learn.loss.detach()).all()):
            return
        if self.action == "stop":
            raise TrainingDiverged(self._describe(learn))
        if self._snapshot is None or self.rollbacks >= self.max_rollbacks:
            reason = (
                f"after {self.rollbacks} rollbacks"
                if self._snapshot
                else "with no finite state to roll back to"
            )
            raise TrainingDiverged(self._describe(learn, f" {reason}"))
        self._roll_back(learn, self._describe(learn))
        raise CancelEpoch

    def _describe(self, learn: Learner, context: str = "") -> str:
        value = "nan" if bool(torch.isnan(learn.loss.detach()).any()) else "infinite"
        return (
            f"loss became {value} at epoch {learn.recorder.shown_epoch(learn.epoch)}, batch {learn.batch_index + 1} "
            f"(learning rate {_current_lr(learn):.1e}){context}; lower the learning rate (--lr) or add GradientClip"
        )

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
        warn(
            f"{message}. Rolled back to the start of the epoch with the learning rate halved to "
            f"{_current_lr(learn):.1e} (rollback {self.rollbacks} of {self.max_rollbacks})",
            RuntimeWarning,
        )

    def __repr__(self) -> str:
        return f"NanGuard(action={self.action!r}, max_rollbacks={self.max_rollbacks})"


def _current_lr(learn: Learner) -> float:
    return (
        max((group["lr"] for group in learn.opt.param_groups), default=float("nan"))
        if learn.opt
        else float("nan")
    )


def _finite_weights(model: torch.nn.Module) -> bool:
    flags = [torch.isfinite(param.detach()).all() for param in model.parameters()]
    return bool(torch.stack(flags).all()) if flags else True
