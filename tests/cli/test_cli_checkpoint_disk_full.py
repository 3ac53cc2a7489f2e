"""A disk that fills while a checkpoint is written: ``torch.save`` wraps the ``OSError`` (ENOSPC) in a
``RuntimeError`` ("unexpected pos ..."), and ``trainwell fit`` printed a 40-line traceback ending "raised in
callback Checkpoint" (tour67, finding 4). The Checkpoint callback now raises an ``OSError`` of a full disk naming
the file, what is free, and whether the previous checkpoint is intact; the command says it in one line, exit 2.

A tmpfs cannot be mounted in the tests: the disk fills by ``torch.save`` raising as it does on a full disk, from
its second write on (a real fit, a real file system for the first write). Checked by hand on a 1.5 MB tmpfs.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from cli_support import binary_table, cli_env

from process_support import run_python
from trainwell.callbacks import Checkpoint
from trainwell.core.model_dir import fit_checkpoint_position
from trainwell.learner import read_checkpoint
from trainwell.tabular import tabular_data, tabular_learner

#: What torch.save raises when the disk fills under it (torch 2.x: the OSError is the RuntimeError's context).
TORCH_WORDS = "[enforce fail at inline_container.cc:672] . unexpected pos 43456 vs 43344"


def _full_from_second_write(monkeypatch: pytest.MonkeyPatch, chained: bool = True) -> None:
    plain_save, calls = torch.save, []

    def save(obj: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            return plain_save(obj, stream, *args, **kwargs)
        stream.write(b"PK\x03\x04" + bytes(1000))  # part of the file, as far as the disk had room
        if not chained:
            raise RuntimeError(TORCH_WORDS)
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError(TORCH_WORDS)  # noqa: B904 - torch's own chaining: the OSError as context

    monkeypatch.setattr(torch, "save", save)


def _learner() -> Any:
    return tabular_learner(tabular_data(binary_table(n_rows=200), "y", batch_size=64), progress=False)


def test_a_full_disk_is_an_oserror_naming_the_file_and_the_intact_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.callbacks.checkpoint import CheckpointSpaceError

    path = tmp_path / "fit-checkpoint.pt"
    _full_from_second_write(monkeypatch)
    learn = _learner()
    with pytest.raises(CheckpointSpaceError) as caught:
        learn.fit_one_cycle(3, 1e-2, callbacks=[Checkpoint(path)])
    error = caught.value
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC and error.filename == str(path)
    assert isinstance(error.__cause__, RuntimeError) and "unexpected pos" in str(error.__cause__)
    assert error.kept == "after epoch 1 of 3" and error.needed_bytes > 0 and error.free_bytes is not None
    assert "the checkpoint written before (after epoch 1 of 3) is intact" in str(error)
    # The first write is whole and resumable; the half-written temporary file is gone.
    assert [file.name for file in tmp_path.iterdir()] == [path.name]
    assert fit_checkpoint_position(path) == "after epoch 1 of 3" and read_checkpoint(path).epoch == 1


def test_torchs_words_alone_count_when_the_disk_has_less_room_than_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.callbacks.checkpoint import CheckpointSpaceError

    path = tmp_path / "fit-checkpoint.pt"
    _full_from_second_write(monkeypatch, chained=False)
    room = SimpleNamespace(total=10**9, used=10**9 - 1000, free=1000)  # 1 kB left
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: room)
    with pytest.raises(CheckpointSpaceError, match=r"No space left on device: .* \(1 kB free, "):
        _learner().fit_one_cycle(2, 1e-2, callbacks=[Checkpoint(path)])
    monkeypatch.undo()
    # With room enough the same words are some other failure: torch's error goes on as it was.
    _full_from_second_write(monkeypatch, chained=False)
    with pytest.raises(RuntimeError, match="unexpected pos") as caught:
        _learner().fit_one_cycle(2, 1e-2, callbacks=[Checkpoint(tmp_path / "other.pt")])
    assert not isinstance(caught.value, OSError)


LAUNCHER = """
import errno, sys, torch
plain_save, calls = torch.save, []

def save(obj, stream, *args, **kwargs):
    calls.append(1)
    if len(calls) == 1:
        return plain_save(obj, stream, *args, **kwargs)
    stream.write(b"PK" + bytes(1000))
    try:
        raise OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 43456 vs 43344")

torch.save = save
from trainwell.cli.app import main
main()
"""


def test_fit_says_a_full_disk_in_one_line_and_exits_2(tmp_path: Path) -> None:
    binary_table(n_rows=200).to_csv(tmp_path / "t.csv", index=False)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    args = [
        "fit",
        "t.csv",
        "--target",
        "y",
        "--arch",
        "mlp",
        "--epochs",
        "3",
        "--batch-size",
        "64",
        "--out",
        "m",
    ]
    done = run_python([launcher, *args], env=cli_env(), cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and done.stderr.endswith(errors[0] + "\n"), done.stderr  # one line, the last
    line = errors[0]
    checkpoint = tmp_path / "m" / "fit-checkpoint.pt"
    assert line.startswith(f"error: cannot write the checkpoint '{checkpoint}': no space left on device ("), (
        line
    )
    assert " free there; writing it takes at least " in line, line
    assert (
        "the checkpoint written before (after epoch 1 of 3) is intact: free some space there and continue with the "
        "same command and --resume, or start again with another --out" in line
    ), line
    assert fit_checkpoint_position(checkpoint) == "after epoch 1 of 3"
