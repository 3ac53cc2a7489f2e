"""``trainwell fit ... | head``: a reader that stops reading ends what the command prints, not the command.

Click exited with 1 in silence at the first write after the reader had gone, in the middle of training, and left
the fit's checkpoint in the model directory (the next fit there refused it). A command whose work is a file goes
on and writes it; one whose answer is what it prints stops, as Unix tools do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import binary_table, cli_env, run_cli

pytestmark = pytest.mark.slow


def _piped(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``trainwell ARGS`` with standard output a pipe whose reader has already gone (``| head -0``, or a
    ``head`` that has read its lines before the next one comes: the same broken pipe at the next write, without
    a race against a busy machine)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "trainwell.cli.app", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=cli_env(),
            text=True,
            timeout=300,
        )
    finally:
        os.close(writer)
    return done.returncode, done.stderr


def test_a_fit_whose_output_is_closed_goes_on_and_writes_its_model(tmp_path: Path) -> None:
    binary_table(n_rows=400).to_csv(tmp_path / "t.csv", index=False)
    # --lr: the learning-rate sweep (and its plot) is no part of what a closed output does to the fit
    code, error = _piped(["fit", "t.csv", "--target", "y", "--arch", "mlp", "--epochs", "6", "--lr", "1e-2",
                          "--out", "m"], tmp_path)  # fmt: skip
    assert code == 0, error
    assert "note: standard output was closed by its reader; the command goes on" in error
    written = sorted(path.name for path in (tmp_path / "m").iterdir())
    assert "model.safetensors" in written and "fit-checkpoint.pt" not in written, written
    assert "Traceback" not in error


def test_a_command_that_answers_on_its_output_stops_when_it_is_closed(tmp_path: Path) -> None:
    binary_table(n_rows=400).to_csv(tmp_path / "t.csv", index=False)
    # The model predict reads: its fit is no part of the pipe, so it is forked from the preloaded interpreter.
    fitted = run_cli("fit", "t.csv", "--target", "y", "--arch", "gbdt", "--out", "m", cwd=tmp_path)
    assert fitted.returncode == 0, fitted.explain()
    big = binary_table(n_rows=50)
    big.to_csv(tmp_path / "many.csv", index=False)
    code, error = _piped(["predict", "m", "many.csv"], tmp_path)
    assert code == 1 and "Traceback" not in error and "note: standard output" not in error, error
