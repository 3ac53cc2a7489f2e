"""Checkpoints during a fit, so that a killed run can be resumed exactly with ``fit(..., resume_from=path)``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trainwell.callbacks._validate import file_path, flag, positive_int
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


class Checkpoint(Callback):
    """Write ``learn.save_checkpoint(path)`` every ``every_n_batches`` training batches and/or every epoch.

    Each write replaces the previous file atomically, so the file always holds the latest complete state.
    Resuming with the same call (``learn.fit_one_cycle(3, resume_from=path)``) continues from the batch after
    the checkpoint and gives the same weights and history as a run that was never interrupted. Only rank 0
    writes; in a distributed fit the file keeps each process's RNG states and partial sums, and each process
    resumes from its own. A relative ``path`` is under ``learn.path``.

    The callback runs after the Recorder and the schedules (order 60) so that the file includes this batch;
    a callback that must see the file already written (or that may stop the process) needs a larger order.
    With :class:`GradientAccumulation`, choose ``every_n_batches`` as a multiple of its ``n_batches``:
    gradients accumulated between steps are not saved.

    Args:
        path: the checkpoint file.
        every_n_batches: also write after every this many training batches of the fit (``None``: never).
        every_epoch: write after every epoch (after validation).

    Attributes:
        last_path: the file written last, or ``None``.

    Example:
        >>> checkpoint = Checkpoint("run/checkpoint.pt", every_n_batches=500)
    """

    order = (
        85  # after SaveBest (80) has taken this epoch into account, before EarlyStopping (90) may end the fit
    )

    def __init__(
        self, path: str | Path = "checkpoint.pt", every_n_batches: int | None = None, every_epoch: bool = True
    ) -> None:
        self.path = file_path("Checkpoint", "path", path)
        self.every_n_batches = (
            None
            if every_n_batches is None
            else positive_int("Checkpoint", "every_n_batches", every_n_batches, example=500)
        )
        self.every_epoch = flag("Checkpoint", "every_epoch", every_epoch)
        if self.every_n_batches is None and not self.every_epoch:
            raise ConfigError(
                "Checkpoint would never write: pass every_n_batches=N, or keep every_epoch=True"
            )
        self.last_path: Path | None = None

    def _save(self, learn: Learner) -> None:
        # Every process takes part (each hands rank 0 its own RNG states and partial sums); rank 0 writes.
        path = learn.save_checkpoint(learn.path / self.path)
        if is_rank_zero():
            self.last_path = path

    def after_batch(self, learn: Learner) -> None:
        if (
            learn.training
            and self.every_n_batches is not None
            and learn.iteration % self.every_n_batches == 0
        ):
            self._save(learn)

    def after_epoch(self, learn: Learner) -> None:
        if self.every_epoch:
            self._save(learn)

    def __repr__(self) -> str:
        return f"Checkpoint(path='{self.path}', every_n_batches={self.every_n_batches}, every_epoch={self.every_epoch})"
