"""``trainwell serve --workers N`` keeps N copies of the model, not N+1: the supervisor checks the model in a
process of its own that ends before the workers start, and never loads it itself (tour59 #8: the parent held
torch and the weights for the server's life, as much memory as a worker)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

WORKERS = 2


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "trainwell.cli.serve_cmd", *(str(arg) for arg in args)]


def env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def loads_torch(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc")
def test_the_supervisor_of_several_workers_holds_no_model(model_dir: Path) -> None:
    process = subprocess.Popen(
        command(model_dir, "--port", "0", "--workers", str(WORKERS), "--threads", "1", "--backend", "torch"),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env(),
    )
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stderr is not None
    stderr = process.stderr

    def read_lines() -> None:
        for line in stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while not any("ready on" in line for line in seen):
            line = lines.get(timeout=180)
            assert line is not None, "the server exited before it was ready:\n" + "".join(seen)
            seen.append(line)
        assert any("serving" in line and "with the torch backend" in line for line in seen), "".join(seen)
        workers = [pid for pid in children(process.pid) if loads_torch(pid)]
        assert len(workers) == WORKERS  # each worker its own copy (the one that checked it has ended)
        assert not loads_torch(process.pid)  # and the supervisor none
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=60)
        stderr.close()
    assert process.returncode == 0


def test_a_model_that_cannot_be_served_is_said_once_before_the_workers_start(model_dir: Path) -> None:
    # No model.onnx: the check in its own process raises, and the supervisor says it as one worker would.
    done = subprocess.run(
        command(model_dir, "--port", "0", "--workers", str(WORKERS), "--backend", "onnx"),
        capture_output=True,
        text=True,
        env=env(),
        timeout=180,
    )
    assert done.returncode == 2, done.stderr
    assert "backend 'onnx' needs model.onnx" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Application startup" not in done.stderr  # no worker started
