"""``python ARGS`` for the tests, in a process of its own, started in milliseconds instead of seconds.

Most of a ``trainwell`` command's time in the tests was its imports (torch, torch._dynamo, pandas,
scikit-learn, matplotlib: about 3 s of 4 on an idle machine, several times that on a loaded one), paid again by
every one of the suite's hundreds of commands. :func:`run_python` asks a preloaded interpreter
(``fork_server.py``, one for the test process) to fork the command's process instead: the command still runs in
a process of its own, with its own pid, arguments, environment, folder, files, signals and exit code, and the
result is a :class:`subprocess.CompletedProcess` as :func:`subprocess.run` gives.

An environment that differs from the server's in what is read at import time (``PYTHON*``, ``MPLBACKEND``,
thread counts other than ``OMP_NUM_THREADS``, the locale) gets a server of its own. ``TRAINWELL_TEST_FRESH=1``
starts a fresh interpreter for every command instead, to check that the two agree.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

FRESH = os.environ.get("TRAINWELL_TEST_FRESH") == "1"
SERVER_SCRIPT = Path(__file__).with_name("fork_server.py")
# What an interpreter reads once, at start or at import: a command whose values differ needs another server.
_IMPORT_TIME_PREFIXES = ("PYTHON", "MPL", "MKL_", "TORCH", "LC_", "LANG", "KMP_", "OPENBLAS")
# scikit-learn and joblib set these two in os.environ when first imported (os.environ.setdefault), which a test
# may do at any point: the commands run after it then had another environment and started a second server, seconds
# of imports again in every test process. Set as they would be, before any server starts.
os.environ.setdefault("KMP_DUPLICATE_LIB_OK", "True")
os.environ.setdefault("KMP_INIT_AT_FORK", "FALSE")

# torch sets this one in os.environ the first time it compiles (its default folder, read at compile time, not at
# import): the commands run after it started a second preloaded server, seconds of imports in that test process.
_READ_AT_RUN_TIME = frozenset({"TORCHINDUCTOR_CACHE_DIR"})

_servers: dict[tuple[tuple[str, str], ...], _Server] = {}
_lock = threading.Lock()


class _Server:
    """One preloaded interpreter listening on a Unix socket in a folder of its own."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.folder = tempfile.mkdtemp(prefix="trainwell-fork-")
        self.socket_path = os.path.join(self.folder, "server.sock")
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), self.socket_path],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":  # its preload failed: say why, in its stderr
            raise RuntimeError(f"the fork server did not start (exit code {self.process.wait()})")

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: str, stdin: str | None, timeout: float | None
    ) -> tuple[int, str, str]:
        import json

        with tempfile.TemporaryDirectory(prefix="trainwell-run-") as folder:
            out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
            request = {
                "argv": list(argv),
                "env": dict(env),
                "cwd": cwd,
                "stdin": stdin,
                "stdout": out,
                "stderr": err,
            }
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(self.socket_path)
                connection.sendall(json.dumps(request).encode() + b"\n")
                reader = connection.makefile("rb")
                pid = int(reader.readline())
                connection.settimeout(timeout)
                try:
                    line = reader.readline()
                except TimeoutError:
                    _kill(pid)
                    raise subprocess.TimeoutExpired(
                        list(argv), timeout or 0, _read(out), _read(err)
                    ) from None
                if not line:
                    raise RuntimeError(f"the fork server lost the command {list(argv)}")
                return int(line), _read(out), _read(err)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except FileNotFoundError:
        return ""


def _server_for(env: Mapping[str, str]) -> _Server:
    key = tuple(
        sorted(
            (name, value)
            for name, value in env.items()
            if name.startswith(_IMPORT_TIME_PREFIXES) and name not in _READ_AT_RUN_TIME
        )
    )
    with _lock:
        if key not in _servers:
            _servers[key] = _Server(env)
        return _servers[key]


@atexit.register
def _close_servers() -> None:
    for server in _servers.values():
        server.close()
    _servers.clear()


def run_python(
    args: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` (``["-m", module, ...]`` or ``[script, ...]``) with its output captured as text, like
    ``subprocess.run([sys.executable, *args], capture_output=True, text=True, ...)``."""
    argv = [str(arg) for arg in args]
    env = dict(os.environ if env is None else env)
    cwd = str(Path(cwd if cwd is not None else os.getcwd()).resolve())
    if FRESH:
        return subprocess.run(
            [sys.executable, *argv], capture_output=True, text=True, env=env, cwd=cwd, input=input,
            timeout=timeout, check=False,
        )  # fmt: skip
    stdin_path = None
    with tempfile.TemporaryDirectory(prefix="trainwell-stdin-") as folder:
        if input is not None:
            stdin_path = os.path.join(folder, "stdin")
            Path(stdin_path).write_bytes(input.encode() if isinstance(input, str) else input)
        code, out, err = _server_for(env).run(argv, env, cwd, stdin_path, timeout)
    return subprocess.CompletedProcess([sys.executable, *argv], code, out, err)


def command_env() -> dict[str, str]:
    """The environment of a ``trainwell`` command run by the tests: single-threaded, wide, no colour
    settings."""
    env = dict(os.environ, COLUMNS="200", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    env.pop("NO_COLOR", None)
    return env


def run_trainwell(
    *args: str | Path, cwd: str | Path | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``trainwell ARGS`` (``python -m trainwell.cli.app ARGS``) in a process of its own, as a user runs it."""
    return run_python(
        ["-m", "trainwell.cli.app", *args], env=command_env(), cwd=cwd, input=input, timeout=timeout
    )
