"""``trainwell info`` on a folder whose fit checkpoint is cut short said "continue it with ... --resume", and
``fit --resume`` then said the checkpoint is corrupted (tour67, finding 9). It now says the checkpoint is
damaged and cannot be resumed, and what to do; a sound checkpoint is still offered to --resume."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import binary_table

from process_support import run_trainwell
from trainwell.callbacks import Checkpoint
from trainwell.core.model_dir import FIT_CHECKPOINT_FILE, fit_checkpoint_position
from trainwell.tabular import tabular_data, tabular_learner


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint a one-epoch fit wrote, as ``trainwell fit --out`` keeps it."""
    path = tmp_path_factory.mktemp("sound") / FIT_CHECKPOINT_FILE
    learn = tabular_learner(tabular_data(binary_table(n_rows=200), "y", batch_size=64), progress=False)
    learn.fit_one_cycle(1, 1e-2, callbacks=[Checkpoint(path)])
    return path


def _folder(tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / FIT_CHECKPOINT_FILE).write_bytes(content)
    return folder


def test_info_says_a_cut_short_empty_or_foreign_checkpoint_cannot_be_resumed(
    sound: Path, tmp_path: Path
) -> None:
    whole = sound.read_bytes()
    folders = {
        "cut": (_folder(tmp_path, "cut", whole[: len(whole) * 2 // 3]), "is damaged: it is cut short at "),
        "empty": (_folder(tmp_path, "empty", b""), "is damaged: it is empty (0 bytes)"),
        "foreign": (_folder(tmp_path, "foreign", b"not a checkpoint"), "is not a file torch.save writes"),
    }
    for folder, words in folders.values():
        said = run_trainwell("info", folder.name, cwd=tmp_path)
        assert said.returncode == 2, said.stderr
        line = " ".join(said.stderr.split())
        assert said.stderr.count("\n") == 1 and line.startswith(
            f"error: '{folder.name}' holds the checkpoint"
        ), line
        assert f"but that checkpoint {words}" in line, line
        assert (
            f"so it cannot be resumed: delete '{folder.name}/{FIT_CHECKPOINT_FILE}' and fit again" in line
        ), line
        assert "--resume" not in line, line
    # What --resume says of the cut file agrees: it cannot be resumed.
    table = tmp_path / "t.csv"
    binary_table(n_rows=200).to_csv(table, index=False)
    resumed = run_trainwell("fit", table, "--target", "y", "--out", "cut", "--resume", cwd=tmp_path)
    assert resumed.returncode == 2 and "is corrupted" in resumed.stderr, resumed.stderr


def test_a_sound_checkpoint_is_still_offered_to_resume(sound: Path, tmp_path: Path) -> None:
    from trainwell.core.model_dir import fit_checkpoint_damage

    assert fit_checkpoint_damage(sound) is None
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(sound, folder / FIT_CHECKPOINT_FILE)
    said = run_trainwell("info", folder)
    line = " ".join(said.stderr.split())
    assert said.returncode == 2 and "(after epoch 1 of 1)" in line, line
    assert "continue it with the same `trainwell fit` arguments and --resume" in line, line


def test_the_damage_is_found_from_the_zip_directory_without_reading_the_tensors(
    sound: Path, tmp_path: Path
) -> None:
    from trainwell.core.model_dir import fit_checkpoint_damage

    cut = tmp_path / "cut.pt"
    cut.write_bytes(sound.read_bytes()[:-1])  # one byte short: the zip's directory no longer ends the file
    assert fit_checkpoint_damage(cut) is not None and fit_checkpoint_position(cut) is None
    assert fit_checkpoint_damage(tmp_path / "missing.pt") == "cannot be read (no such file or directory)"
