"""Apply schedules (pure functions of training progress) to the optimizer before every training batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from trainwell.learner.events import Callback
from trainwell.optim import set_momentum

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

Schedule = Callable[[float], float]


class ParamScheduler(Callback):
    """Set each group's ``lr`` to ``max_lr * lr(pct)`` and its momentum to ``momentum(pct)``.

    Args:
        lr: multiplier of each group's peak learning rate, as a function of ``pct`` in [0, 1].
        momentum: momentum (SGD) or first beta (Adam family), as a function of ``pct``.
    """

    order = -10

    def __init__(self, lr: Schedule | None = None, momentum: Schedule | None = None) -> None:
        self.lr = lr
        self.momentum = momentum

    def before_batch(self, learn: Learner) -> None:
        if not learn.training or learn.opt is None:
            return
        pct = learn.pct_train
        lr_mult = self.lr(pct) if self.lr is not None else None
        momentum = self.momentum(pct) if self.momentum is not None else None
        for group in learn.opt.param_groups:
            if lr_mult is not None:
                group["lr"] = group["max_lr"] * lr_mult
            if momentum is not None:
                set_momentum(group, momentum)
