"""``trainwell serve --workers N`` keeps N copies of the model, not N+1: the supervisor checks the model in a
process of its own that ends before the workers start, and never loads it itself (tour59 #8: the parent held
torch and the weights for the server's life, as much memory as a worker)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from serve_support import ServeProcess, serve_command, serve_env

WORKERS = 2


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def loads_torch(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc")
def test_the_supervisor_of_several_workers_holds_no_model(model_dir: Path) -> None:
    with ServeProcess(model_dir, "--workers", str(WORKERS), "--backend", "torch") as served:
        served.wait_ready()
        assert any("serving" in line and "with the torch backend" in line for line in served.log), served.said
        workers = [pid for pid in children(served.process.pid) if loads_torch(pid)]
        assert len(workers) == WORKERS  # each worker its own copy (the one that checked it has ended)
        assert not loads_torch(served.process.pid)  # and the supervisor none
        assert served.stop() == 0


def test_a_model_that_cannot_be_served_is_said_once_before_the_workers_start(model_dir: Path) -> None:
    # No model.onnx: the check in its own process raises, and the supervisor says it as one worker would.
    done = subprocess.run(
        serve_command(model_dir, "--port", "0", "--workers", str(WORKERS), "--backend", "onnx"),
        capture_output=True,
        text=True,
        env=serve_env(),
        timeout=180,
    )
    assert done.returncode == 2, done.stderr
    assert "backend 'onnx' needs model.onnx" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Application startup" not in done.stderr  # no worker started
