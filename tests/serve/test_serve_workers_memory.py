"""``trainwell serve --workers N`` keeps N copies of the model, not N+1: the supervisor checks the model in a
process of its own that ends before the workers start, and never loads it itself (tour59 #8: the parent held
torch and the weights for the server's life, as much memory as a worker). Nor does it import what loads and
serves a model (pandas, numpy, fastapi): the supervisor of a small table model was 138 MB resident, 43 MB
without them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from serve_support import ServeProcess, serve_command, serve_env

from trainwell.serve.backends import auto_choice_words, resolve_backend

WORKERS = 2


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def loads_torch(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


#: Compiled modules whose mapping in a process says it imported the package. (Not pydantic_core: typer's own
#: option parsing imports pydantic in every command; the app's stack is pandas and numpy in any case.)
WORKER_STACK = ("libtorch", "/pandas/", "/numpy/", "onnxruntime")


def worker_stack_loaded(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in WORKER_STACK if name in maps]


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc")
def test_the_supervisor_of_several_workers_holds_no_model(model_dir: Path) -> None:
    with ServeProcess(model_dir, "--workers", str(WORKERS), "--backend", "torch") as served:
        served.wait_ready()
        assert any("serving" in line and "with the torch backend" in line for line in served.log), served.said
        workers = [pid for pid in children(served.process.pid) if loads_torch(pid)]
        assert len(workers) == WORKERS  # each worker its own copy (the one that checked it has ended)
        assert not loads_torch(served.process.pid)  # and the supervisor none
        # What the probe looks for is there in a worker: it could find it in the supervisor.
        assert {"libtorch", "/pandas/", "/numpy/"} <= set(worker_stack_loaded(workers[0]))
        assert worker_stack_loaded(served.process.pid) == []  # nor pandas or numpy
        assert served.stop() == 0


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc")
def test_the_supervisor_says_what_auto_chose_on_without_reading_the_model_itself(
    onnx_model_dir: Path,
) -> None:
    # The reason comes from the process that checked the model, as the single server finds it itself.
    chosen = resolve_backend(onnx_model_dir, "auto")
    reason = auto_choice_words(onnx_model_dir, chosen)
    assert reason
    with ServeProcess(onnx_model_dir, "--workers", str(WORKERS), "--backend", "auto") as served:
        served.wait_ready()
        said = f"with the {chosen} backend ({reason})"
        assert any("serving" in line and said in line for line in served.log), served.said
        assert worker_stack_loaded(served.process.pid) == []
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
