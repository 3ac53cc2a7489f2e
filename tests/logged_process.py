"""A server-like process for the tests, its stderr read line by line as it runs: :class:`LoggedProcess`.

``trainwell serve`` (``serve_support.ServeProcess``) and a bare ``run_server`` (``tests/cli``) are both started
this way: started, read until a line says it listens, stopped with a signal, its exit status and the rest of its
log read. Only the standard library: a test of the command line needs neither torch nor FastAPI for it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path


class LoggedProcess:
    """``argv`` as a real process, its stderr read line by line on a thread into :attr:`log` (what an operator
    reads); its stdout goes to the file ``stdout`` (nowhere by default). A context manager: leaving it kills the
    process if it still runs and closes its stderr.

    Example:
        >>> with LoggedProcess([sys.executable, "-c", SCRIPT]) as started:    # doctest: +SKIP
        ...     started.wait_for("Uvicorn running on")
        ...     code = started.stop()
    """

    def __init__(
        self, argv: Sequence[str], *, stdout: Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        with contextlib.ExitStack() as files:
            out = files.enter_context(stdout.open("w")) if stdout is not None else subprocess.DEVNULL
            self.process = subprocess.Popen(
                list(argv),
                stderr=subprocess.PIPE,
                stdout=out,
                text=True,
                env=dict(env) if env is not None else dict(os.environ),
                start_new_session=True,  # its own process group: close() ends the workers it started too
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        self._reader = threading.Thread(target=self._read_lines, daemon=True)
        self._reader.start()

    def _read_lines(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)  # the process closed its stderr: it has exited (its children too)

    @property
    def said(self) -> str:
        """The log so far, as one text."""
        return "".join(self.log)

    def wait_for(self, pattern: str | re.Pattern[str], count: int = 1, timeout: float = 180) -> None:
        """Reads the log until ``pattern`` (a text, or a regular expression searched) is in ``count`` lines."""
        found = pattern.search if isinstance(pattern, re.Pattern) else lambda line: pattern in line
        while sum(bool(found(line)) for line in self.log) < count:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in the process's log:\n{self.said}") from None
            if line is None:
                raise AssertionError(f"the process exited before it logged {pattern!r}:\n{self.said}")
            self.log.append(line)

    def read_rest(self, timeout: float = 60) -> None:
        """Reads the log to its end (the process has ended, or is ending)."""
        while (line := self.lines.get(timeout=timeout)) is not None:
            self.log.append(line)

    def stop(self, stop_signal: int = signal.SIGTERM, timeout: float = 120) -> int:
        """Stops the process with ``stop_signal`` (SIGTERM as ``docker stop``, SIGINT as Ctrl+C), reads the rest
        of its log and returns its exit status."""
        self.process.send_signal(stop_signal)
        code = self.process.wait(timeout=timeout)
        self.read_rest()
        return code

    def close(self) -> None:
        """Kills what is left of the process's group (a server's workers hold its stderr open: a test that failed
        with them running waited forever on the reader thread), then closes its stderr."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(timeout=60)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> LoggedProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
