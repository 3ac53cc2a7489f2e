"""A checkpoint written in the middle of a GradientAccumulation group keeps the gradients summed so far, so the
resume is exact wherever it was written (a tour: Ctrl-C after batch 5 of groups of 4 resumed 0.013 away from the
run never stopped, with no warning); and a Checkpoint that writes only on Ctrl-C."""

from __future__ import annotations

import os
import signal
import warnings
from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data, weights_of

from clock_support import FakeClock
from resume_support import CrashAfter
from trainwell.callbacks import Checkpoint, GradientAccumulation
from trainwell.learner import Callback, Learner


def learner(path: Path) -> Learner:
    # 60 training rows in batches of 12: 5 batches an epoch, grouped by 2 as (0, 1), (2, 3), (4).
    return linear_learner(regression_data(80, batch_size=12), path=path)


class CtrlC(Callback):
    """Sends this process SIGINT after training batch ``iteration``, before the Checkpoint callback sees it."""

    order = 50

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.iteration == self.iteration:
            os.kill(os.getpid(), signal.SIGINT)


class Tick(Callback):
    """Moves the clock one second per training batch."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def before_batch(self, learn: Learner) -> None:
        if learn.training:
            self.clock.now += 1.0


def resumed_equals_uninterrupted(folder: Path, checkpoint: Checkpoint, stop: list[Callback]) -> dict:
    """Fit 3 epochs accumulating by 2, stopped by ``stop`` and resumed: the weights and history equal the run never
    stopped, bit for bit. The checkpoint's state is returned."""
    reference = learner(folder / "full")
    reference.fit_one_cycle(3, 0.05, callbacks=[GradientAccumulation(2)])
    interrupted = learner(folder / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit_one_cycle(3, 0.05, callbacks=[GradientAccumulation(2), checkpoint, *stop])
    state = torch.load(folder / "run" / "checkpoint.pt", weights_only=True)
    resumed = learner(folder / "run")
    resumed.fit_one_cycle(
        3, 0.05, callbacks=[GradientAccumulation(2)], resume_from=folder / "run" / "checkpoint.pt"
    )
    for key, value in weights_of(reference.model).items():
        assert torch.equal(weights_of(resumed.model)[key], value), key
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]
    return state


def test_every_n_batches_off_the_groups_resumes_exactly(tmp_path: Path) -> None:
    # Written after batch 3 of the fit (batch index 2: the first of group (2, 3)), crashed after batch 4.
    state = resumed_equals_uninterrupted(
        tmp_path, Checkpoint(every_n_batches=3, every_epoch=False), [CrashAfter(4)]
    )
    assert (state["epoch"], state["next_batch"]) == (0, 3)
    grads = state["grads"]
    assert set(grads) == {"weight", "bias"} and grads["weight"].abs().sum() > 0


def test_ctrl_c_mid_group_resumes_exactly_and_a_checkpoint_may_write_only_on_ctrl_c(tmp_path: Path) -> None:
    # save_on_interrupt alone is a reason to write (it was refused as "would never write").
    checkpoint = Checkpoint(every_epoch=False, save_on_interrupt=True)
    state = resumed_equals_uninterrupted(tmp_path, checkpoint, [CtrlC(8)])  # epoch 1, batch index 2
    assert (state["epoch"], state["next_batch"], state["iteration"]) == (1, 3, 8)
    assert "grads" in state
    assert checkpoint.writes == 1


def test_every_seconds_mid_group_resumes_exactly(tmp_path: Path) -> None:
    clock = FakeClock()
    checkpoint = Checkpoint(
        every_seconds=5.5, every_epoch=False, clock=clock
    )  # writes after batch 6 of the fit
    state = resumed_equals_uninterrupted(tmp_path, checkpoint, [Tick(clock), CrashAfter(8)])
    assert (state["epoch"], state["next_batch"]) == (1, 1)  # epoch 1's batch 0 began a group
    assert "grads" in state


def test_a_checkpoint_on_a_step_boundary_holds_no_gradients(tmp_path: Path) -> None:
    learn = learner(tmp_path)
    learn.fit(1, callbacks=[GradientAccumulation(2), Checkpoint(every_n_batches=2)])
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert "grads" not in state and "GradientAccumulation" not in state["callbacks"]
    assert all(parameter.grad is None for parameter in learn.model.parameters())


def test_a_checkpoint_only_on_ctrl_c_that_cannot_catch_it_says_it_writes_nothing(tmp_path: Path) -> None:
    def own_handler(signum: int, frame: object) -> None:  # someone else handles Ctrl-C
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, own_handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        learn = learner(tmp_path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            learn.fit(1, callbacks=[Checkpoint(every_epoch=False, save_on_interrupt=True)])
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    assert [str(warning.message) for warning in caught] == [
        "Checkpoint('checkpoint.pt') writes only on Ctrl-C or SIGTERM (save_on_interrupt=True, "
        "every_epoch=False), and it cannot catch them as another handler has Ctrl-C and SIGTERM: this fit "
        "writes no checkpoint; pass every_n_batches=N, every_seconds=S or every_epoch=True"
    ]
