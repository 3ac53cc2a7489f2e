"""The real ``torchrun`` (``python -m torch.distributed.run``) for the distributed tests, started in a fraction
of its time.

The launcher is forked from the tests' preloaded interpreter (:func:`process_support.run_python`): its own
``import torch`` cost about 5 s of every launch on a busy 2-core machine, as long as the job itself. The
workers it starts are fresh interpreters, as under any ``torchrun``, so what they import and how they join
the job is what a user's processes do.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from process_support import run_python

# PYTHONFAULTHANDLER: a process killed by a signal (an abort in Gloo's C++) prints every thread's Python stack.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "PYTHONFAULTHANDLER": "1"}
for variable in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
    ENV.pop(variable, None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def torchrun(
    *args: str | Path,
    processes: int = 2,
    options: tuple[str, ...] = (),
    cwd: Path | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """``torchrun --nproc_per_node PROCESSES OPTIONS ARGS`` on this machine, in ``cwd`` (this folder by default)."""
    command = [
        "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_addr", "127.0.0.1",
        "--master_port", str(free_port()), *options, *map(str, args),
    ]  # fmt: skip
    return run_python(command, env=ENV, cwd=cwd or Path(__file__).parent, timeout=timeout)


def launch(tmp_path: Path, *args: str | Path, processes: int = 2) -> tuple[int, list[tuple[str, str]]]:
    """Run ``args`` under torchrun in ``tmp_path``; its exit code and each rank's (stdout, stderr), read from
    torchrun's per-rank logs (``--log-dir``, ``--redirects 3``)."""
    logs = tmp_path / "logs"
    options = ("--log-dir", str(logs), "--redirects", "3")
    done = torchrun(*args, processes=processes, options=options, cwd=tmp_path)
    ranks = []
    for rank in range(processes):
        (folder,) = logs.glob(f"*/attempt_0/{rank}")
        ranks.append(((folder / "stdout.log").read_text(), (folder / "stderr.log").read_text()))
    return done.returncode, ranks


def one_process(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``trainwell ARGS`` in one process (no torchrun), in ``tmp_path``; it must succeed."""
    done = run_python(["-m", "trainwell", *args], env=ENV, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return done
