"""Helpers of the serve tests (a live uvicorn server, a ``trainwell serve`` process, small limits, image files,
a crafted pickle, a bounded fuzz, one torch thread while training); fixtures live in conftest.py.

Test modules import these from here, never from ``conftest``: that module name is shared by several test folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pickle
import re
import shutil
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import monotonic as _real_monotonic  # bound here: a test's monkeypatch of time.monotonic leaves it
from typing import Any

import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from PIL import Image

from image_files import make_image_folder as make_shapes_folder
from logged_process import LoggedProcess


@dataclass
class LiveServer:
    """A uvicorn server running ``app`` in a thread, reachable at :attr:`url`."""

    app: FastAPI
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop as SIGTERM does. A server still running 30 s later is forced as a second Ctrl-C would and, if its
        thread still runs (a daemon: it ends with the process), left with a warning that holds what its event
        loop was waiting on. Stopping is what test_serve_drain tests; here it is the session's teardown.

        The session's server once failed to stop at the end of full runs: its loop awaited
        ``main_loop -> sleep``, a 0.1 s tick scheduled while a later test on the same worker had replaced
        ``time.monotonic`` with a clock of its own (at 1000 s) and due only when the real clock reached it.
        Its loop now reads the real clock (:class:`RealClockLoop`)."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        if not self.thread.is_alive():
            return
        waiting = _waiting_tasks(self.server)
        self.server.force_exit = True
        self.thread.join(timeout=10)
        state = (
            "stopped once forced" if not self.thread.is_alive() else "still running, left as a daemon thread"
        )
        warnings.warn(
            f"the test's uvicorn server did not stop within 30 s of should_exit ({state}); its loop awaited:\n"
            f"{waiting}",
            stacklevel=2,
        )


def _waiting_tasks(server: uvicorn.Server) -> str:
    """The stacks of the tasks of ``server``'s event loop (read from another thread: for a diagnosis only)."""
    loops = {listener.get_loop() for listener in getattr(server, "servers", [])}
    lines: list[str] = []
    for loop in loops:
        for task in list(asyncio.all_tasks(loop)):
            chain: list[str] = []
            awaited: Any = task.get_coro()
            while awaited is not None:  # the coroutine chain down to what it waits on
                frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
                if frame is not None:
                    chain.append(
                        f"{frame.f_code.co_name} ({Path(frame.f_code.co_filename).name}:{frame.f_lineno})"
                    )
                awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
            lines.append(f"{task.get_name()}: {' -> '.join(chain) or '(no frame)'}")
    return "\n".join(lines) or "(no task found)"


class RealClockLoop(asyncio.SelectorEventLoop):
    """An event loop on the real monotonic clock, whatever a test does to ``time.monotonic``.

    asyncio's loops read ``time.monotonic`` at each call: a test that monkeypatches it (a fake clock at 100 s or
    1000 s, as the evaluate tests' budgets do) moves the clock of every loop in the process, a server's in its
    thread too. A timer set meanwhile (uvicorn's 0.1 s tick that looks at ``should_exit``) fell due when the
    real clock reached the fake one: minutes after the stop on a machine up for less than 1000 s.
    """

    def time(self) -> float:
        return _real_monotonic()


def start_server(app: FastAPI) -> LiveServer:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    port = sock.getsockname()[1]
    # A bound on the shutdown's wait for requests under way, as `trainwell serve --shutdown-grace` sets one. The
    # stops that hung at the end of full runs were not such a request but the moved clock (RealClockLoop).
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=10, loop=RealClockLoop
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-test")
    thread.start()
    return LiveServer(app, f"http://127.0.0.1:{port}", server, thread)


#: The rows of the embedded Adult sample the session's table model is fitted on (conftest.py's ``model_dir``).
TRAIN_ROWS = 800

# Small limits, so the limit tests send small bodies; a long batch wait, so concurrent requests merge even
# when the shared test machine is slow to deliver them.
LIMITS: dict[str, Any] = {"max_rows": 20, "max_body_bytes": 40_000, "batch_wait_ms": 250.0}


VISION_CLASSES = ("horizontal", "square", "vertical")


def make_image_folder(root: Path, per_class: int, seed: int = 0, size: int = 20) -> Path:
    """``root/<label>/<index>.png``: real PNG files of :data:`VISION_CLASSES`."""
    return make_shapes_folder(root, VISION_CLASSES, per_class, size=size, seed=seed)


def encoded(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


#: Bodies Python's JSON reader refuses with something other than a JSONDecodeError, and what the 400 says.
UNREADABLE_BODIES = [
    (
        b'{"rows": [{"sex": "\xff"}]}',
        "body: invalid JSON: not UTF-8 text (invalid start byte at byte 19); send the JSON encoded as UTF-8",
    ),
    (
        b"[" * 10_000 + b"]" * 10_000,
        "body: invalid JSON: nested too deeply to read (GET /docs shows the body)",
    ),
    (
        b'{"rows": [{"age": 1' + b"0" * 5000 + b"}]}",
        "body: invalid JSON: a number has 5001 digits, more than the 4300 read; send numbers of ordinary size",
    ),
]


class CreatesMarker:
    """Unpickling this opens (creates) ``path``: what a malicious "model.safetensors" could do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.path), "w"))


@contextlib.contextmanager
def pickle_in_place_of_weights(model_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of ``model_dir`` whose ``model.safetensors`` is a pickle that creates a marker file when unpickled.

    On leaving, checks that nothing done inside unpickled it (no marker), then that the payload is live:
    unpickling it does create the marker, so the check above could have failed.
    """
    crafted = tmp_path / f"crafted-{model_dir.name}"
    shutil.copytree(model_dir, crafted)
    marker = tmp_path / "marker"
    payload = pickle.dumps(CreatesMarker(marker))
    (crafted / "model.safetensors").write_bytes(payload)
    yield crafted
    assert not marker.exists()
    pickle.loads(payload).close()
    assert marker.exists()


def fuzz(
    schema: Any, mode: Any, max_examples: int = 40, keep: Callable[[Any], bool] | None = None, **validate: Any
) -> None:
    """Schemathesis' checks (``validate``: options of ``call_and_validate``) on ``max_examples`` requests that
    ``schema`` generates in ``mode``, the same ones on every run (derandomised, no example database); ``keep``:
    which generated cases to send (all when ``None``)."""
    cases = schema.as_strategy(generation_mode=mode)

    @given(case=cases if keep is None else cases.filter(keep))
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.call_and_validate(**validate)

    check()


#: ``trainwell serve``'s line once it listens (with several workers: once every worker serves).
READY = re.compile(
    r"ready on (http://127\.0\.0\.1:\d+) after \d+\.\d s \(imports \d+\.\d s, model \d+\.\d s\)"
)


def serve_command(*args: str | Path) -> list[str]:
    """``trainwell serve ARGS`` as a user runs it on its own (``python -m trainwell.cli.serve_cmd``)."""
    return [sys.executable, "-m", "trainwell.cli.serve_cmd", *(str(arg) for arg in args)]


def serve_env() -> dict[str, str]:
    """The tests' environment for a server process: one torch thread, a wide terminal (one-line messages)."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}


class ServeProcess(LoggedProcess):
    """``trainwell serve MODEL --port 0 --threads 1 OPTIONS`` as a real process on loopback, its stderr read
    line by line on a thread into :attr:`log` (what an operator reads); its stdout goes to the file ``stdout``
    (nowhere by default). A context manager: leaving it kills the process if it still runs and closes its stderr
    (:class:`~logged_process.LoggedProcess`, which a bare ``run_server`` in ``tests/cli`` is started with too).

    Example:
        >>> with ServeProcess(model_dir, "--workers", "2") as served:    # doctest: +SKIP
        ...     url = served.wait_ready()
        ...     code = served.stop()
    """

    def __init__(self, model_dir: Path, *options: str, stdout: Path | None = None) -> None:
        super().__init__(
            serve_command(model_dir, "--port", "0", "--threads", "1", *options),
            stdout=stdout,
            env=serve_env(),
        )
        self.url = ""

    def wait_ready(self) -> str:
        """Waits for the "ready on URL" line, and returns the URL (also in :attr:`url`)."""
        self.wait_for(READY)
        self.url = next(found.group(1) for line in self.log if (found := READY.search(line)))
        return self.url

    def __enter__(self) -> ServeProcess:
        return self
