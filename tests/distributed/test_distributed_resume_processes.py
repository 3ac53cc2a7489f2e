"""A checkpoint says how many processes wrote it, and a resume by another number is refused naming that number.

Under torchrun each process reads its own share of the batches, so a checkpoint of 2 processes holds half the
batches an epoch of a single process: resumed without torchrun, it was refused as if "the batch size or the
training data changed", which neither had (tour62 #1). The checkpoints here are written by one process and
edited to say what a two-process fit writes (``world_size`` and one part per process).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Learner, read_checkpoint


def _learner(tmp_path: Path, batch_size: int) -> Learner:
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=generator)
    y = (x.sum(1) > 0).long()
    data = tensor_data(x, y, batch_size=batch_size, valid_pct=0.25, seed=0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    return Learner(model, data, progress=False, path=tmp_path)


def _checkpoint(tmp_path: Path) -> Path:
    """A checkpoint of a 3-epoch fit in batches of 16 (72 training rows: 5 batches an epoch), after epoch 1."""
    learn = _learner(tmp_path, batch_size=16)
    learn.fit(1, 1e-2, callbacks=[Checkpoint()])
    path = tmp_path / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["n_epochs"] = state["n_epochs"] + 2
    state["n_iterations"] = state["planned_iterations"] = state["n_iterations"] * 3
    torch.save(state, path)
    return path


def _as_written_by(path: Path, processes: int | None) -> None:
    """Make the checkpoint say it was written by ``processes`` (``None``: an old one of a single process, which
    says nothing)."""
    state = torch.load(path, weights_only=True)
    if processes is None:
        state.pop("world_size", None)
        state.pop("ranks", None)
    else:
        state["world_size"] = processes
        part = {key: state[key] for key in ("rng", "epoch_rng", "recorder")}
        state["ranks"] = [dict(part, callbacks={}) for _ in range(processes)]
    torch.save(state, path)


def test_a_checkpoint_records_the_processes_that_wrote_it(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path)
    assert torch.load(path, weights_only=True)["world_size"] == 1
    assert read_checkpoint(path).processes == 1
    _as_written_by(path, 2)
    assert read_checkpoint(path).processes == 2
    # A distributed fit's checkpoint from before the count was kept: told by its per-process parts.
    state = torch.load(path, weights_only=True)
    del state["world_size"]
    torch.save(state, path)
    assert read_checkpoint(path).processes == 2
    _as_written_by(path, None)
    assert read_checkpoint(path).processes is None


def test_resuming_a_two_process_checkpoint_in_one_process_names_torchrun(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path)
    _as_written_by(path, 2)
    # Twice the batch size: as many batches an epoch as each of the two processes ran (what torchrun changes).
    learn = _learner(tmp_path, batch_size=8)
    with pytest.raises(ConfigError) as caught:
        learn.fit(3, 1e-2, resume_from=path)
    assert str(caught.value) == (
        f"checkpoint '{path}' was written by 2 processes (torchrun) and this fit runs in one process: each "
        "process's share of the batches and its random streams are in it; resume under "
        "`torchrun --nproc_per_node 2`"
    )


def test_an_old_checkpoint_keeps_the_batch_count_refusal(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path)
    _as_written_by(path, None)
    learn = _learner(tmp_path, batch_size=8)
    with pytest.raises(ConfigError, match="comes from a fit of 5 batches an epoch and this one has 9"):
        learn.fit(3, 1e-2, resume_from=path)


def test_a_one_process_checkpoint_still_resumes(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path)
    learn = _learner(tmp_path, batch_size=16)
    learn.fit(3, 1e-2, resume_from=path)
    assert len(learn.history) == 3
