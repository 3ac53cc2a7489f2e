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
    """Set each group's ``lr`` to ``max_lr * lr(pct)``, its momentum to ``momentum(pct)``, and any other
    optimizer setting it names to its schedule's value.

    Args:
        lr: multiplier of each group's peak learning rate, as a function of ``pct`` in [0, 1].
        momentum: momentum (SGD) or first beta (Adam family), as a function of ``pct``.
        **others: other settings of the optimizer's groups, each a multiplier of the group's own value when
            first scheduled (kept in the group as ``initial_<name>``, so a resumed fit goes on from it), e.g.
            ``weight_decay=lambda pct: 1 - pct`` (a group without decay keeps 0).

    Raises:
        ConfigError: a setting the optimizer's groups do not have.
    """

    order = -10
    #: What made it, for messages: ``"fit_one_cycle"`` for the schedule that method adds; ``None`` for one of yours.
    made_by: str | None = None

    def __init__(
        self, lr: Schedule | None = None, momentum: Schedule | None = None, **others: Schedule
    ) -> None:
        self.lr = lr
        self.momentum = momentum
        self.others = others

    @property
    def scheduled(self) -> list[str]:
        """The optimizer settings it sets: ``lr``, ``momentum`` and the others it was given."""
        return [name for name, given in (("lr", self.lr), ("momentum", self.momentum)) if given] + list(
            self.others
        )

    def __repr__(self) -> str:
        return (
            f"{self.made_by}'s schedule" if self.made_by else f"ParamScheduler({', '.join(self.scheduled)})"
        )

    def before_fit(self, learn: Learner) -> None:
        _say_overlapping_schedules(self, learn)
        if not self.others or learn.opt is None:
            return
        groups = learn.opt.param_groups
        missing = [name for name in self.others if any(name not in group for group in groups)]
        if missing:
            from trainwell.core.errors import ConfigError

            known = sorted(key for key in groups[0] if isinstance(groups[0][key], (int, float)))
            raise ConfigError(
                f"ParamScheduler({', '.join(f'{name}=...' for name in missing)}): the optimizer's groups have no "
                f"such setting; they have: {', '.join(known)}"
            )
        for group in groups:  # the value the schedule multiplies, kept in the group (so checkpoints keep it)
            for name in self.others:
                group.setdefault(f"initial_{name}", float(group[name]))

    def before_batch(self, learn: Learner) -> None:
        if not learn.training or learn.opt is None:
            return
        pct = learn.pct_train
        lr_mult = self.lr(pct) if self.lr is not None else None
        momentum = self.momentum(pct) if self.momentum is not None else None
        others = {name: schedule(pct) for name, schedule in self.others.items()}
        for group in learn.opt.param_groups:
            if lr_mult is not None:
                group["lr"] = group["max_lr"] * lr_mult
            if momentum is not None:
                set_momentum(group, momentum)
            for name, mult in others.items():
                group[name] = group[f"initial_{name}"] * mult


def _say_overlapping_schedules(scheduler: ParamScheduler, learn: Learner) -> None:
    """Warn, once per fit (from the first scheduler), when two schedulers set the same optimizer setting: the one
    that runs later overwrites the other at every batch (``fit_one_cycle`` with a ``ParamScheduler(lr=...)``
    trained at the constant rate and the one-cycle was dropped without a word)."""
    schedulers = [cb for cb in getattr(learn, "_active", []) if isinstance(cb, ParamScheduler)]
    if len(schedulers) < 2 or schedulers[0] is not scheduler:
        return
    from trainwell.core.warn import warn

    for index, earlier in enumerate(schedulers):
        for later in schedulers[index + 1 :]:
            shared = [name for name in earlier.scheduled if name in later.scheduled]
            if shared:
                said = ", ".join(shared)
                warn(
                    f"two schedules set {said} in this fit, {earlier!r} and {later!r}: {later!r} runs after it and "
                    f"sets {said} at every batch, so {earlier!r} has no effect on {said}; pass one schedule "
                    "(fit with callbacks=[ParamScheduler(...)] instead of fit_one_cycle, or schedule other settings)",
                    UserWarning,
                )
                return
