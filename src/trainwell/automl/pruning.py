"""Median pruning of a search's trials, through one callback (:class:`OptunaPruning`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainwell.learner.events import Callback, CancelFit

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["OptunaPruning"]


class OptunaPruning(Callback):
    """Reports the search metric to an Optuna trial and stops the fit when the trial's pruner says so (the
    objective then marks the trial pruned).

    The step reported is the share of the fit done, in tenths (10, 20, ... 100), not the epoch: under a
    one-cycle schedule a 20-epoch trial at epoch 2 is still warming up, and is only fairly compared with a
    5-epoch trial at the same point of its schedule.
    """

    order = 50  # after the Recorder wrote the epoch's row

    runs_in_lr_find = False  # a learning-rate sweep is not a point of the trial's schedule to report

    def __init__(self, trial: Any, metric: str) -> None:
        self.trial, self.metric, self.pruned = trial, metric, False
        #: Where the pruner stopped the fit: ``(epochs trained, epochs planned)``; ``None`` while it runs on.
        self.pruned_at: tuple[int, int] | None = None
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
            self.pruned_at = (learn.epoch + 1, learn.n_epochs)
            raise CancelFit
