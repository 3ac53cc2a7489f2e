"""A fit stopped mid-epoch and resumed from its checkpoint, beside the same fit never stopped: what the exact-resume
tests of each application compare (weights, history)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trainwell.callbacks import Checkpoint
from trainwell.learner import Callback, Learner


class CrashAt(Callback):
    """Stands for a crash (Ctrl-C) at training batch ``batch`` of epoch ``epoch``, after that batch's checkpoint
    (:class:`Checkpoint` has order 60)."""

    order = 100

    def __init__(self, epoch: int = 1, batch: int = 3) -> None:
        self.epoch, self.batch = epoch, batch

    def after_batch(self, learn: Learner) -> None:
        if learn.training and (learn.epoch, learn.batch_index) == (self.epoch, self.batch):
            raise KeyboardInterrupt


class CrashAfter(Callback):
    """Stands for a crash after training batch ``iteration`` of the fit (counted over its epochs), once the
    checkpoint has been written."""

    order = 100

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.iteration == self.iteration:
            raise KeyboardInterrupt


def resumed_beside_uninterrupted(
    learner: Callable[[Path], Learner], folder: Path, lr: float = 1e-2, epochs: int = 3
) -> tuple[Learner, Learner]:
    """``fit_one_cycle(epochs, lr)`` of a learner from ``learner(path)``, run through in ``folder/full``, and
    crashed by :class:`CrashAt` in ``folder/run`` (a checkpoint every batch), then resumed there by a new learner
    from its checkpoint: the one run through and the resumed one."""
    reference = learner(folder / "full")
    reference.fit_one_cycle(epochs, lr)
    interrupted = learner(folder / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit_one_cycle(epochs, lr, callbacks=[Checkpoint(every_n_batches=1), CrashAt()])
    resumed = learner(folder / "run")
    resumed.fit_one_cycle(epochs, lr, resume_from=folder / "run" / "checkpoint.pt")
    return reference, resumed


#: A launcher script: ``trainwell ARGS`` stopped as Ctrl-C stops it, at the first training batch of the second epoch of the fit the
#: command checkpoints.
STOPPING = """
import os, signal
from trainwell.callbacks import Checkpoint
from trainwell.cli.app import main
from trainwell.learner import Callback, Learner


class CtrlC(Callback):
    order = 50  # before the checkpoint sees the batch: it finishes it, writes, and stops

    def after_batch(self, learn):
        if learn.training and (learn.epoch, learn.batch_index) == (1, 0):
            os.kill(os.getpid(), signal.SIGINT)


plain_fit = Learner._fit


def fit_stopped(self, n_epochs, callbacks, resume_from):
    if any(isinstance(callback, Checkpoint) for callback in callbacks):
        callbacks = [*callbacks, CtrlC()]
    return plain_fit(self, n_epochs, callbacks, resume_from)


Learner._fit = fit_stopped
main()
"""
