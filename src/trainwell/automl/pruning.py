"""Median pruning of a search's trials, through one callback (:class:`OptunaPruning`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainwell.core.numbers import figure
from trainwell.learner.events import Callback, CancelFit

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["OptunaPruning", "pruned_outcome"]


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
            # For the line said as the trial ends (pruned_outcome), in the table's words: the epoch, not the tenth.
            self.trial.set_user_attr("pruned_at", list(self.pruned_at))
            self.trial.set_user_attr("pruned_value", float(value))
            raise CancelFit


def pruned_outcome(trial: Any, metric: str) -> str:
    """A pruned trial's outcome as its line says it when it ends, in the words of the trials table: ``pruned at
    epoch 2 of 3 (roc_auc 0.8512 then)``. The line once said ``pruned at 60% of its epochs`` (the tenths
    reported to Optuna, floored) of a trial the table said was pruned at epoch 2 of 3. A trial without the epoch
    (stopped before it reported) says the share of its schedule Optuna last heard of, or nothing."""
    where = trial.user_attrs.get("pruned_at")
    value = trial.user_attrs.get("pruned_value")
    # as the trials' table writes it: 0.8436, 44,211, 5.468e7 (not 54681978.9672)
    then = f" ({metric} {figure(float(value))} then)" if isinstance(value, (int, float)) else ""
    if where is not None:
        return f"pruned at epoch {int(where[0])} of {int(where[1])}{then}"
    if trial.last_step is not None:
        return f"pruned at {int(trial.last_step)}% of its epochs{then}"
    return "pruned"
