"""An epoch's end is written even when the max_overhead cap would skip it, unless a write during that epoch came
just before: a kill -9 then repeats at most the epoch in progress (a table MLP killed after epoch 3 resumed
after epoch 2, its epoch-3 write skipped by the 2% cap)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from callbacks_helpers import linear_learner, regression_data

from clock_support import FakeClock as Clock
from trainwell.callbacks import Checkpoint
from trainwell.learner import Callback, Learner, read_checkpoint

KILLED_AFTER_EPOCH_3 = textwrap.dedent(
    """
    import os, signal, sys
    import torch
    from torch import nn
    from trainwell.callbacks import Checkpoint
    from trainwell.data import tensor_data
    from trainwell.learner import Callback, Learner

    class KillAfterEpoch3(Callback):
        order = 100  # after the checkpoint (85) has done what it does at the epoch's end

        def after_epoch(self, learn):
            if learn.epoch == 2:
                os.kill(os.getpid(), signal.SIGKILL)  # no handler, no cleanup: as kill -9

    torch.manual_seed(0)
    x = torch.randn(80, 3)
    data = tensor_data(x, (x @ torch.tensor([1.0, -2.0, 0.5])).numpy(), valid_pct=0.25, batch_size=12, seed=0)
    learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu", lr=0.05, path=sys.argv[1])
    # A cap no write can meet: before, it skipped every epoch's end and the file was never written.
    checkpoint = Checkpoint("checkpoint.pt", max_overhead=1e-12)
    learn.fit(6, callbacks=[checkpoint, KillAfterEpoch3()])
    """
)


def test_a_process_killed_after_epoch_3_resumes_at_epoch_4(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_EPOCH_3, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    info = read_checkpoint(tmp_path / "checkpoint.pt")
    assert (info.epoch, info.next_batch) == (3, 0)  # the 4th epoch's start: nothing finished is repeated
    resumed = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    resumed.fit(6, resume_from=tmp_path / "checkpoint.pt")
    assert len(resumed.history) == 6


class Tick(Callback):
    """Moves the clock one second per training batch."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def before_batch(self, learn: Learner) -> None:
        if learn.training:
            self.clock.now += 1.0


def _saves(learn: Learner) -> list[tuple[int, int, bool]]:
    calls: list[tuple[int, int, bool]] = []
    real_save = learn.save_checkpoint

    def save(path, settings=None):  # type: ignore[no-untyped-def]
        calls.append((learn.epoch, learn.iteration, learn.training))
        return real_save(path, settings)

    learn.save_checkpoint = save  # type: ignore[method-assign]
    return calls


def test_every_epoch_end_is_written_whatever_the_cap_without_writes_between(tmp_path: Path) -> None:
    clock = Clock()
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)  # 5 training batches an epoch
    calls = _saves(learn)
    learn.fit(3, callbacks=[Tick(clock), Checkpoint(max_overhead=1e-12, clock=clock)])
    assert calls == [(0, 5, False), (1, 10, False), (2, 15, False)]


def test_the_cap_may_skip_an_epoch_end_just_after_a_write_in_that_epoch(tmp_path: Path) -> None:
    clock = Clock()
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    calls = _saves(learn)
    real_save = learn.save_checkpoint

    def slow_save(path, settings=None):  # type: ignore[no-untyped-def]
        clock.now += (
            1.0  # each write takes one second: at max_overhead=0.25, four of training before the next
        )
        return real_save(path, settings)

    learn.save_checkpoint = slow_save  # type: ignore[method-assign]
    # Mid-epoch writes every 3 batches, within the cap at batches 3, 9 and 15 (6 and 12 wait on it): each
    # epoch's end comes 1 or 2 batches after a write of its own and the cap skips it, the file never more than
    # 2 batches behind.
    checkpoint = Checkpoint(every_n_batches=3, max_overhead=0.25, clock=clock)
    learn.fit(3, callbacks=[Tick(clock), checkpoint])
    assert calls == [(0, 3, True), (1, 9, True), (2, 15, True)]
    assert checkpoint.writes == 3
