"""Checkpoint: when it writes, what position the file records, rank 0 only, argument checks."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data

import trainwell.callbacks.checkpoint as checkpoint_module
from clock_support import FakeClock as Clock
from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.learner import Callback, Learner, read_checkpoint


def spy_saves(learn: Learner) -> list[tuple[int, int, bool]]:
    """Record (epoch, iteration, training) at each save, then save for real."""
    calls: list[tuple[int, int, bool]] = []
    real_save = learn.save_checkpoint

    def save(path, settings=None):
        calls.append((learn.epoch, learn.iteration, learn.training))
        return real_save(path, settings)

    learn.save_checkpoint = save  # type: ignore[method-assign]
    return calls


def test_writes_every_n_batches_and_every_epoch(tmp_path: Path) -> None:
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)  # 60 train rows: 5 batches
    calls = spy_saves(learn)
    checkpoint = Checkpoint("run/ck.pt", every_n_batches=3)
    learn.fit(2, callbacks=[checkpoint])
    assert calls == [(0, 3, True), (0, 5, False), (1, 6, True), (1, 9, True), (1, 10, False)]
    assert checkpoint.last_path == tmp_path / "run" / "ck.pt"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "ck.pt"
    ]  # replaced atomically, no temp files


def test_the_file_holds_the_position_after_the_saved_batch(tmp_path: Path) -> None:
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    learn.fit(2, callbacks=[Checkpoint(every_n_batches=4, every_epoch=False)])  # last write: epoch 1, batch 3
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["next_batch"], state["iteration"]) == (1, 3, 8)
    assert state["n_epochs"] == 2 and state["n_iterations"] == 10
    assert len(state["recorder"]["history"]) == 1  # epoch 0's row


def test_epoch_checkpoint_points_to_the_next_epoch_even_without_validation(tmp_path: Path) -> None:
    learn = linear_learner(regression_data(64, batch_size=16, valid_pct=0), path=tmp_path)
    learn.fit(1, callbacks=[Checkpoint()])
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["next_batch"]) == (1, 0)


def test_only_rank_zero_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another rank of a distributed fit: it hands its own part to rank 0 (nothing comes back) and writes nothing.
    import trainwell.learner._checkpoint as checkpoint_state_module

    monkeypatch.setattr(checkpoint_state_module, "_distributed", lambda: True)
    monkeypatch.setattr(checkpoint_state_module, "_gathered", lambda own: None)
    monkeypatch.setattr(checkpoint_module, "is_rank_zero", lambda: False)
    learn = linear_learner(path=tmp_path)
    checkpoint = Checkpoint(every_n_batches=1)
    learn.fit(1, callbacks=[checkpoint])
    assert list(tmp_path.iterdir()) == [] and checkpoint.last_path is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every_n_batches": 0}, "Checkpoint every_n_batches must be a whole number >= 1, got 0"),
        ({"every_epoch": "yes"}, "Checkpoint every_epoch must be True or False, got 'yes'"),
        ({"path": ""}, "Checkpoint path must be a file path, got ''"),
        (
            {"every_epoch": False},
            "Checkpoint would never write: pass every_n_batches=N or every_seconds=S, keep every_epoch=True, "
            "or pass save_on_interrupt=True to write only on Ctrl-C (or SIGTERM)",
        ),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Checkpoint(**kwargs)


class Tick(Callback):
    """Moves the clock one second per training batch."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def before_batch(self, learn: Learner) -> None:
        if learn.training:
            self.clock.now += 1.0


def test_every_seconds_writes_after_the_batch_that_ends_that_long_after_the_last_write(
    tmp_path: Path,
) -> None:
    clock = Clock()
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)  # 5 training batches an epoch
    calls = spy_saves(learn)
    learn.fit(2, callbacks=[Tick(clock), Checkpoint(every_seconds=2.5, every_epoch=False, clock=clock)])
    assert calls == [(0, 3, True), (1, 6, True), (1, 9, True)]


def test_max_overhead_skips_writes_that_come_too_soon_after_a_slow_one(tmp_path: Path) -> None:
    clock = Clock()
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    calls: list[int] = []
    real_save = learn.save_checkpoint

    def slow_save(path, settings=None):  # each write takes one second
        calls.append(learn.iteration)
        clock.now += 1.0
        return real_save(path, settings)

    learn.save_checkpoint = slow_save  # type: ignore[method-assign]
    checkpoint = Checkpoint(every_n_batches=1, every_epoch=False, max_overhead=0.25, clock=clock)
    learn.fit(2, callbacks=[Tick(clock), checkpoint])
    # The first write is estimated from its few bytes (free); after it, one second of writing needs four of
    # training before the next.
    assert calls == [1, 5, 9]
    assert checkpoint.writes == 3 and checkpoint.seconds_writing == pytest.approx(3.0)


def test_max_overhead_estimates_a_first_write_from_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linear(3, 1) and AdamW's two moments and step counters: 56 bytes, which at 8 bytes a second "take" 7 s:
    # at max_overhead=1 a write after each batch (one second each) waits for the seventh; the writes after it
    # are measured (free here).
    monkeypatch.setattr(checkpoint_module, "ASSUMED_WRITE_SPEED", 8.0)
    clock = Clock()
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    calls = spy_saves(learn)
    checkpoint = Checkpoint(every_n_batches=1, every_epoch=False, max_overhead=1.0, clock=clock)
    learn.fit(2, callbacks=[Tick(clock), checkpoint])
    assert calls == [(1, 7, True), (1, 8, True), (1, 9, True), (1, 10, True)]


class CtrlC(Callback):
    """Presses Ctrl-C (sends this process SIGINT) at a batch, before the Checkpoint callback sees it."""

    order = 50

    def __init__(self, epoch: int, batch: int, training: bool = True, sent: int = signal.SIGINT) -> None:
        self.epoch, self.batch, self.training, self.sent = epoch, batch, training, sent

    def after_batch(self, learn: Learner) -> None:
        if learn.training == self.training and (learn.epoch, learn.batch_index) == (self.epoch, self.batch):
            os.kill(os.getpid(), self.sent)


@pytest.mark.parametrize(("training", "position"), [(True, (1, 3, 8)), (False, (1, 0, 5))])
def test_ctrl_c_writes_the_checkpoint_after_the_batch_then_stops(
    tmp_path: Path, training: bool, position: tuple[int, int, int]
) -> None:
    """Ctrl-C in a training batch: the checkpoint holds that batch; in validation: the whole epoch. Either way
    the resumed fit ends like one never stopped, and Ctrl-C is Python's again afterwards."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    reference = linear_learner(regression_data(80, batch_size=12), path=tmp_path / "full")
    reference.fit_one_cycle(2, 0.05)

    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    checkpoint = Checkpoint(every_epoch=False, every_n_batches=100, save_on_interrupt=True)
    ctrl_c = CtrlC(epoch=1, batch=2) if training else CtrlC(epoch=0, batch=0, training=False)
    with pytest.raises(KeyboardInterrupt):
        learn.fit_one_cycle(2, 0.05, callbacks=[checkpoint, ctrl_c])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["next_batch"], state["iteration"]) == position

    resumed = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    resumed.fit_one_cycle(2, 0.05, resume_from=tmp_path / "checkpoint.pt")
    assert torch.equal(resumed.model.weight, reference.model.weight)
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]


def test_sigterm_writes_the_checkpoint_as_ctrl_c_does_and_says_which_signal(tmp_path: Path) -> None:
    """kill, a container's stop or a job scheduler sends SIGTERM: the fit ended at once (exit 143) and lost what
    it had trained since the last write; now it is saved as for Ctrl-C, and the interrupt names the signal."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:  # ours not taken: the signal would end the run
        pytest.skip("SIGTERM is handled by someone else in this test run")
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    checkpoint = Checkpoint(every_epoch=False, every_n_batches=100, save_on_interrupt=True)
    with pytest.raises(KeyboardInterrupt, match=r"^SIGTERM$"):
        learn.fit_one_cycle(2, 0.05, callbacks=[checkpoint, CtrlC(epoch=1, batch=2, sent=signal.SIGTERM)])
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the process's own again
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["next_batch"], state["iteration"]) == (1, 3, 8)


def test_without_save_on_interrupt_ctrl_c_is_left_alone(tmp_path: Path) -> None:
    learn = linear_learner(regression_data(80, batch_size=12), path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(2, callbacks=[Checkpoint(every_epoch=False, every_n_batches=100), CtrlC(epoch=0, batch=1)])
    assert not (tmp_path / "checkpoint.pt").exists()  # stopped at once, nothing written


def test_settings_are_kept_in_the_file_and_read_back(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    settings = {"epochs": 3, "lr": None, "metric": ["rmse"], "data": {"size": 10}}
    learn.fit(2, callbacks=[Checkpoint(settings=settings)])
    info = read_checkpoint(tmp_path / "checkpoint.pt")
    assert info.settings == settings
    assert (info.epoch, info.next_batch, info.n_epochs, info.phase) == (2, 0, 2, "")
    assert set(info.peak_lrs) == {0.05}  # each parameter group's (weights with decay, biases without)
    with pytest.raises(ConfigError, match="Checkpoint settings must be a dict of plain values"):
        Checkpoint(settings={"data": Path("x.csv")})
