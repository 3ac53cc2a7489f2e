"""Gradient accumulation: step the optimizer once every ``n_batches`` batches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.callbacks._validate import positive_int
from trainwell.learner.events import Callback, CancelStep

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


class GradientAccumulation(Callback):
    """Sum the gradients of ``n_batches`` batches before each optimizer step (a larger effective batch).

    Each batch's ``loss_grad`` is divided by the number of batches in its group (``n_batches``, or fewer in
    the last group of an epoch or of the fit), so with a mean loss and equal batch sizes every step equals one
    taken on the group's batches together: 5 batches accumulated by 2 step like batches of 2, 2 and 1, not a
    last step at half its size. The step (and the zeroing of gradients)
    is cancelled except on every ``n_batches``-th batch of the epoch and on its last batch, so no gradient
    leaks into the next epoch. ``learn.loss`` (what is logged) keeps the undivided value.

    Counting follows the position in the epoch (``learn.batch_index``), and the learning-rate schedule still
    advances every batch, not every step: ``fit_one_cycle`` keeps its shape over the same number of batches.
    The gradients accumulated so far are part of a checkpoint written mid-group (by
    :class:`~trainwell.callbacks.Checkpoint` every N batches, every S seconds or on Ctrl-C), as any gradients a
    ``CancelStep`` keeps are, so a resumed fit goes on with them and ends exactly like one never stopped; a
    checkpoint on a step boundary holds none.

    :meth:`~trainwell.learner.Learner.lr_find` sweeps without it, one step per batch (as with no accumulation):
    its suggestion is for the batches the loader gives.

    Args:
        n_batches: how many batches make one optimizer step (1 = no accumulation).

    Example:
        >>> accumulate = GradientAccumulation(n_batches=4)   # batch 32 behaves like batch 128
    """

    order = 10  # before MixedPrecision and GradientClip: they must only see batches that step
    # The learning-rate finder's sweep is one rate per step: accumulated, it recorded n_batches losses per step
    # taken, three of them at weights no step had moved, and its suggestion moved (0.54 to 0.39 for n_batches=4).
    runs_in_lr_find = False

    def __init__(self, n_batches: int) -> None:
        self.n_batches = positive_int("GradientAccumulation", "n_batches", n_batches)

    def before_backward(self, learn: Learner) -> None:
        if self.n_batches > 1:
            learn.loss_grad = learn.loss_grad / self._group_size(learn)

    def _group_size(self, learn: Learner) -> int:
        """Batches in the group of the current one: ``n_batches`` but at the end of the epoch or the fit. (A
        fit cut short mid-group by a TimeBudget ends with a smaller step: its earlier batches were already
        divided.)"""
        start = learn.batch_index - learn.batch_index % self.n_batches
        end = start + self.n_batches
        n_batches = len(learn.loader) if hasattr(learn.loader, "__len__") else None  # type: ignore[arg-type]
        if n_batches is not None:
            end = min(end, n_batches)
        if learn.training and learn.n_iterations:
            end = min(end, learn.batch_index + learn.n_iterations - learn.iteration)
        return max(end - start, 1)

    def after_backward(self, learn: Learner) -> None:
        position = learn.batch_index + 1
        n_batches = len(learn.loader) if hasattr(learn.loader, "__len__") else None  # type: ignore[arg-type]
        # Step at the end of every group, of the epoch, and of the fit (a TimeBudget may end it mid-epoch).
        last_of_fit = learn.training and learn.iteration + 1 >= learn.n_iterations
        if position % self.n_batches == 0 or position == n_batches or last_of_fit:
            return
        raise CancelStep

    def __repr__(self) -> str:
        return f"GradientAccumulation(n_batches={self.n_batches})"
