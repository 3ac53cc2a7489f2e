"""Ctrl-C under torchrun: the command printed to resume repeats the torchrun launch, and ``fit --resume`` by
another number of processes is refused before the data is read, naming the processes (tour62 #1: the hint left
torchrun out, and following it was refused as if the batch size or the data had changed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Learner, read_checkpoint

ARGV = ["/src/trainwell/__main__.py", "fit", "adult3k.csv", "--target", "income", "--out", "d5"]


def test_the_resume_command_under_torchrun_repeats_the_launch() -> None:
    from trainwell.cli._resume import resume_command

    two = {"WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2", "RANK": "0"}
    assert resume_command(ARGV, two) == (
        "torchrun --nproc_per_node 2 -m trainwell fit adult3k.csv --target income --out d5 --resume"
    )
    two_machines = {"WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4", "RANK": "0"}
    assert resume_command(ARGV, two_machines).startswith(
        "torchrun --nnodes 2 --nproc_per_node 4 -m trainwell fit "
    )
    assert resume_command(ARGV, {}) == "trainwell fit adult3k.csv --target income --out d5 --resume"


def _checkpoint_of_processes(tmp_path: Path, processes: int) -> Path:
    data = tensor_data(torch.randn(40, 3), torch.randn(40), batch_size=8, valid_pct=0.25, seed=0)
    learn = Learner(torch.nn.Linear(3, 1), data, progress=False, path=tmp_path)
    learn.fit(1, 1e-2, callbacks=[Checkpoint()])
    path = tmp_path / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["world_size"] = processes
    torch.save(state, path)
    return path


def test_a_resume_by_another_number_of_processes_is_refused_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.cli._resume import _check_same_processes

    path = _checkpoint_of_processes(tmp_path, 2)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ConfigError) as caught:
        _check_same_processes(read_checkpoint(path))
    assert str(caught.value) == (
        f"--resume: checkpoint '{path}' was written by 2 processes (torchrun) and this fit runs in one process: "
        "each process's share of the batches and its random streams are in it; resume under "
        "`torchrun --nproc_per_node 2`"
    )
    monkeypatch.setenv("WORLD_SIZE", "2")
    _check_same_processes(read_checkpoint(path))  # the same number: accepted
    single = _checkpoint_of_processes(tmp_path / "one", 1)
    with pytest.raises(
        ConfigError,
        match=r"written by one process and this fit runs in 2 \(torchrun\); resume "
        "without torchrun",
    ):
        _check_same_processes(read_checkpoint(single))
