"""Rehearsal (:class:`trainwell.continual.Replay`): new classes arriving in one head, where weight penalties keep
nothing of the old classes and a small replayed memory keeps them; the memory's sampling, batch shapes,
refusals and exact resume."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from trainwell.continual import Consolidation, Replay
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.task import Task
from trainwell.learner import Learner
from trainwell.learner.events import Callback

TASK = Task("multiclass", classes=(0, 1, 2, 3))


def class_split(classes: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian classes in 10 dimensions; the rows of ``classes`` only."""
    centers = np.random.default_rng(7).normal(size=(4, 10)) * 2.0
    rng = np.random.default_rng(seed)
    y = rng.choice(classes, 600)
    return (centers[y] + rng.normal(size=(600, 10))).astype(np.float32), y


def split_digits(shared_data: Path, *callbacks: Replay | Consolidation) -> tuple[float, float]:
    """Test accuracy on digits 0-4 and on 5-9 after training on 0-4, then 5-9, with one ten-way head
    (class-incremental: 2,000 training digits a task, an MLP)."""
    from trainwell.vision import read_idx

    mnist = shared_data / "mnist"
    x = read_idx(mnist / "train-images-idx3-ubyte.gz")[:5000].reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(mnist / "train-labels-idx1-ubyte.gz")[:5000].astype(np.int64)
    ten = Task("multiclass", classes=tuple(range(10)))
    tasks = []
    for digits in ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9)):
        rows = np.flatnonzero(np.isin(y, digits))[:2400]
        tasks.append(tensor_data(x[rows], y[rows], task=ten, valid_pct=400 / 2400, batch_size=64, seed=0))
    seed_everything(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    learn = Learner(model, tasks[0], progress=False)
    learn.fit_one_cycle(2, 3e-3)
    for callback in callbacks:
        callback.remember(learn) if isinstance(callback, Replay) else callback.consolidate(learn)
    learn.data = tasks[1]
    learn.fit_one_cycle(2, 3e-3, callbacks=list(callbacks))
    return learn.validate(tasks[0].valid)["accuracy"], learn.validate()["accuracy"]


def test_replay_keeps_the_old_digits_plain_training_loses(shared_data: Path) -> None:
    # Measured: fine-tuning 0.00 / 0.90 (old digits / new), EWC 0.67 on the old, replaying 100 digits
    # 0.75 / 0.86, both 0.88 / 0.79. At longer training EWC keeps none of them (benchmarks/continual.py).
    plain_old, plain_new = split_digits(shared_data)
    ewc_old, _ = split_digits(shared_data, Consolidation("ewc"))
    old, new = split_digits(shared_data, Replay(per_task=100))
    assert plain_new > 0.85 and plain_old < 0.05  # the head learnt never to answer 0-4
    assert old > 0.7 and new > 0.85  # 100 remembered digits, a twentieth of the task
    both_old, both_new = split_digits(shared_data, Replay(per_task=100), Consolidation("ewc"))
    assert both_old > max(old, ewc_old) + 0.05 and both_new > 0.7


class Seen(Callback):
    order = 0  # after Replay (-7)

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.targets: list[torch.Tensor] = []

    def before_batch(self, learn: Learner) -> None:
        self.sizes.append(len(learn.yb) if learn.training else -len(learn.yb))
        if learn.training:
            self.targets.append(learn.yb.clone())


def test_each_training_batch_gains_a_share_of_remembered_rows_and_validation_none() -> None:
    x, y = class_split((0, 1), 0)
    first = tensor_data(x, y, task=TASK, batch_size=40, valid_pct=0.2, seed=0)
    learn = Learner(nn.Linear(10, 4), first, progress=False)
    memory = Replay(per_task=30, share=0.25).remember(learn)
    assert memory.tasks == 1 and [len(t) for t in memory.memory[0]] == [30, 30]
    x2, y2 = class_split((2, 3), 1)
    learn.data = tensor_data(x2, y2, task=TASK, batch_size=40, valid_pct=0.2, seed=0)
    seen = Seen()
    learn.fit(1, 1e-3, callbacks=[memory, seen])
    train = [s for s in seen.sizes if s > 0]
    assert train[:-1] == [50] * (len(train) - 1)  # 40 + a quarter of 40
    assert all(s <= 0 for s in seen.sizes[len(train) :])  # validation batches keep their own rows only
    assert -sum(s for s in seen.sizes if s < 0) == 120
    remembered = torch.cat([t[40:] for t in seen.targets[:-1]])
    assert set(remembered.tolist()) <= {0, 1} and set(torch.cat([t[:40] for t in seen.targets]).tolist()) <= {
        2,
        3,
    }


def test_the_memory_is_a_uniform_sample_of_the_task() -> None:
    # Rows 0..999 in order, one batch of 100 at a time: a reservoir keeps each with the same chance.
    batches = [
        (torch.arange(i, i + 100).float()[:, None], torch.zeros(100, dtype=torch.long))
        for i in range(0, 1000, 100)
    ]
    learn = Learner(
        nn.Linear(1, 2), tensor_data(np.zeros((10, 1), np.float32), np.arange(10) % 2), progress=False
    )
    kept = torch.cat(
        [Replay(per_task=100, seed=s).remember(learn, batches).memory[0][0][:, 0] for s in range(20)]
    )
    counts = torch.bincount((kept // 250).long(), minlength=4)  # four quarters of the rows
    assert kept.unique().numel() > 800
    assert counts.min() > 400 and counts.max() < 600  # 500 expected in each


def test_mismatched_inputs_and_bad_settings_are_refused_in_one_line() -> None:
    learn = Learner(nn.Linear(10, 4), tensor_data(*class_split((0, 1), 0), task=TASK), progress=False)
    memory = Replay(per_task=10).remember(learn)
    learn.data = tensor_data(np.zeros((50, 12), np.float32), np.arange(50) % 4, task=TASK)
    learn.model = nn.Linear(12, 4)
    with pytest.raises(ConfigError, match=r"input is \(10,\) per row where this batch's is \(12,\)"):
        learn.fit(1, 1e-3, callbacks=[memory])
    for bad in ({"per_task": 0}, {"share": 0}, {"share": True}, {"per_task": 2.5}):
        with pytest.raises(ConfigError):
            Replay(**bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="labelled batches"):
        Replay().remember(learn, [torch.zeros(4, 12)])


class Crash(Callback):
    order = 100  # after Checkpoint (85): the checkpoint of this batch is on disk

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.epoch == 1 and learn.batch_index == 3:
            raise RuntimeError("killed")


def test_a_resumed_fit_replays_the_same_rows_and_ends_alike(tmp_path: Path) -> None:
    from trainwell.callbacks import Checkpoint

    def run(crash: bool, resume: bool) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
        seed_everything(0)
        first = tensor_data(*class_split((0, 1), 0), task=TASK, batch_size=32, seed=0)
        learn = Learner(nn.Linear(10, 4), first, progress=False, path=tmp_path)
        memory = Replay(per_task=20, seed=5).remember(learn)
        learn.data = tensor_data(*class_split((2, 3), 1), task=TASK, batch_size=32, seed=0)
        seen = Seen()
        callbacks = [memory, seen, Checkpoint("ck.pt", every_n_batches=2)] + ([Crash()] if crash else [])
        with contextlib.suppress(RuntimeError):  # the crash
            learn.fit(3, 1e-2, callbacks=callbacks, resume_from=tmp_path / "ck.pt" if resume else None)
        return seen.targets, learn.model.state_dict()

    whole, weights = run(False, False)
    run(True, False)
    resumed, resumed_weights = run(False, True)
    per_epoch = len(whole) // 3
    # The crash came after batch 3 of epoch 1; the last checkpoint after batch 2 (every 2nd batch of the fit, the
    # 18th). Resuming from it replays exactly the rows the whole run drew.
    assert len(resumed) == len(whole) - per_epoch - 3
    for ours, theirs in zip(resumed, whole[per_epoch + 3 :], strict=True):
        assert torch.equal(ours, theirs)
    for name, value in weights.items():
        assert torch.equal(value, resumed_weights[name])
