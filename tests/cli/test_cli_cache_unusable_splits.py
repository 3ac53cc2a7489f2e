"""A folder of splits (train.csv, valid.csv) is joined into the cache: a ``TRAINWELL_CACHE`` naming a file ended the
fit in a NotADirectoryError traceback (exit 1); it is said in one line, exit 2 (bad-input tour 55, #1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import binary_table, cli_env

from process_support import run_python

pytestmark = pytest.mark.slow  # the real command, in a process of its own


def test_a_folder_of_splits_with_an_unusable_cache_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "splits"
    folder.mkdir()
    binary_table(n_rows=80).to_csv(folder / "train.csv", index=False)
    binary_table(seed=2, n_rows=40).to_csv(folder / "valid.csv", index=False)
    cache = folder / "train.csv"  # a file
    done = run_python(
        ["-m", "trainwell.cli.app", "fit", str(folder), "--target", "y", "--epochs", "1", "--out", "m"],
        env={**cli_env(), "TRAINWELL_CACHE": str(cache)},
        cwd=tmp_path,
        timeout=120,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert lines == [
        f"error: TRAINWELL_CACHE '{cache}' is a file, not a folder; point TRAINWELL_CACHE at a folder you may "
        "write, or unset it (then ~/.cache/trainwell is used)"
    ], done.stderr
    assert not (tmp_path / "m").exists()
