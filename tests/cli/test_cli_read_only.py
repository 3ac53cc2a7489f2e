"""Writing where nothing can be written (a read-only mount, a full disk) is one line, before training if it can be.

The read-only case runs the real command inside a private mount namespace (``unshare --mount``) with the
folder bound read-only: the file system refuses the write, as a read-only volume in a container does.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import trainwell
from trainwell.cli._common import unwritable

ROOT = Path(__file__).resolve().parents[2]


def test_write_errors_become_one_line_naming_the_folder() -> None:
    read_only = OSError(errno.EROFS, "Read-only file system", "/srv/models/m/.model.onnx.abc.tmp")
    assert unwritable(read_only) == (
        "cannot write in '/srv/models/m': read-only file system; write elsewhere (--out), or copy the model "
        "directory to a writable place first"
    )
    full = OSError(errno.ENOSPC, "No space left on device", "/data/out/.trainwell.json.x")
    assert (
        unwritable(full)
        == "cannot write in '/data/out': no space left on device; free some space or write elsewhere (--out)"
    )
    assert unwritable(OSError(errno.ENOENT, "No such file or directory", "/x")) is None  # not a write problem


def _in_read_only(folder: Path, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Each command run with ``folder`` mounted read-only (skips when this machine cannot make the mount)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", f"mount --bind -o ro {folder} {folder}"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip("this process may not make a private read-only mount (needs CAP_SYS_ADMIN)")
    results = []
    for command in commands:
        quoted = " ".join(f"'{part}'" for part in command)
        script = f"mount --bind -o ro '{folder}' '{folder}' && {quoted}"
        results.append(subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True,
                                      timeout=300, cwd=folder.parent, env={"PATH": "/usr/bin:/bin",
                                      "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}))  # fmt: skip
    return results


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A table of 300 adult rows and a model fitted on it once (the learning rate given: the sweep is no part of
    these tests); each test copies them into its own folder."""
    folder = tmp_path_factory.mktemp("adult")
    table = folder / "adult.csv"
    trainwell.datasets.adult_sample().head(300).to_csv(table, index=False)
    trainwell.fit_table(table, "income", out=folder / "model", epochs=1, lr=1e-2, progress=False)
    return table, folder / "model"


def _copied(fitted: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """The table and the model of ``fitted`` copied into ``folder``, as ``adult.csv`` and ``model``."""
    folder.mkdir(exist_ok=True)
    shutil.copy(fitted[0], folder / "adult.csv")
    shutil.copytree(fitted[1], folder / "model")
    return folder / "adult.csv", folder / "model"


def test_a_read_only_folder_is_named_in_one_line(tmp_path: Path, fitted: tuple[Path, Path]) -> None:
    folder = tmp_path / "ro"
    table, _ = _copied(fitted, folder)
    cli = [sys.executable, "-m", "trainwell"]
    fit, export = _in_read_only(
        folder,
        [*cli, "fit", str(table), "--target", "income", "--out", str(folder / "again")],
        [*cli, "export", str(folder / "model"), "--onnx"],
    )
    assert fit.returncode == 2 and fit.stderr.strip() == (
        f"error: --out '{folder / 'again'}' cannot be written: '{folder}' is read-only for this process; choose "
        "another --out"
    )  # refused before any training: nothing printed on standard output
    assert "epoch" not in fit.stdout
    assert export.returncode == 2 and "Traceback" not in export.stderr
    assert export.stderr.strip().startswith(
        f"error: cannot write in '{folder / 'model'}': read-only file system"
    )


def test_an_existing_read_only_model_directory_is_refused_before_training(
    tmp_path: Path, fitted: tuple[Path, Path]
) -> None:
    # The model directory itself mounted read-only (its parent writable): the fit trained, then failed to save.
    table, model = _copied(fitted, tmp_path)
    (fit,) = _in_read_only(
        model,
        [sys.executable, "-m", "trainwell", "fit", str(table), "--target", "income", "--out", str(model)],
    )
    assert fit.returncode == 2 and fit.stderr.strip() == (
        f"error: --out '{model}' cannot be written: it is read-only for this process; choose another --out"
    ), fit.stderr
    assert "epoch" not in fit.stdout
