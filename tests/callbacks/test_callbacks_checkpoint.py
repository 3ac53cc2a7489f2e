"""Checkpoint: when it writes, what position the file records, rank 0 only, argument checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data

import trainwell.callbacks.checkpoint as checkpoint_module
from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.learner import Learner


def spy_saves(learn: Learner) -> list[tuple[int, int, bool]]:
    """Record (epoch, iteration, training) at each save, then save for real."""
    calls: list[tuple[int, int, bool]] = []
    real_save = learn.save_checkpoint

    def save(path):
        calls.append((learn.epoch, learn.iteration, learn.training))
        return real_save(path)

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
            "Checkpoint would never write: pass every_n_batches=N, or keep every_epoch=True",
        ),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Checkpoint(**kwargs)
