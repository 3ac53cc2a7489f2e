"""One fit per model directory: a second process given the same --out is refused in one line while the first
runs, and takes the directory once it has ended (the lock file gone, or left by a killed process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from process_support import command_env, run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.core.out_lock import hold_out_dir, lock_path

HOLD = """
import sys, time
from pathlib import Path
from trainwell.core.out_lock import hold_out_dir
hold_out_dir(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(out: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=command_env(),
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_second_writer_is_refused_while_the_first_holds_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "model"
    holder = _holder(out, 60)
    try:
        with pytest.raises(
            ConfigError, match=r"is being written by another trainwell fit \(process \d+, since "
        ):
            hold_out_dir(out)
        table = tmp_path / "t.csv"
        table.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
        refused = run_trainwell("fit", table, "--target", "y", "--out", out)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith(f"error: --out '{out}' is being written by another trainwell fit")
        assert not out.exists()  # the second fit wrote nothing
        search = run_trainwell("tune", table, "--target", "y", "--trials", "2", "--out", out)
        assert search.returncode == 2 and "is being written by another trainwell fit" in search.stderr
    finally:
        holder.kill()  # a killed fit leaves its lock file, but no lock: the next one takes it
        holder.wait()
    assert lock_path(out).exists()
    hold_out_dir(out)
    assert str(os.getpid()) in lock_path(out).read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_fit_that_ends_removes_its_lock_file(tmp_path: Path) -> None:
    out = tmp_path / "model"
    holder = _holder(out, 0)
    assert holder.wait(timeout=30) == 0
    assert not lock_path(out).exists() and not out.exists()
    hold_out_dir(tmp_path / "missing" / "model")  # no folder yet: nothing to lock, nothing made
    assert not (tmp_path / "missing").exists()


def test_a_command_run_in_a_process_that_goes_on_lets_go_when_it_ends(tmp_path: Path) -> None:
    # A CliRunner test (or a notebook calling the command) held --out until the process ended: the next test's
    # fit into the same folder was refused as "being written by another trainwell fit".
    from typer.testing import CliRunner

    from trainwell.cli.app import app
    from trainwell.core import out_lock

    table = tmp_path / "t.csv"
    table.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(60)))
    out = tmp_path / "model"
    for _ in range(2):  # the second fit into the same folder is not refused
        done = CliRunner().invoke(app, ["fit", str(table), "--target", "y", "--arch", "mlp", "--epochs", "1",
                                        "--out", str(out)])  # fmt: skip
        assert done.exit_code == 0, done.output
        assert out.absolute() not in out_lock._held and not lock_path(out).exists()
