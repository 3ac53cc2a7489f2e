"""How the ``trainwell`` command's process ends: at once, once its work is saved.

After a fit has printed its last line, the interpreter's own shutdown (freeing every tensor and module one by one,
torch's and pandas' included) took 1 to 4 s more on a busy 2-core machine, 11 s at worst, before the shell got
its prompt back. :func:`end_process` does what that shutdown does for the files, and nothing else, then leaves
with ``os._exit``:

1. it waits for the threads that are not daemons, and runs what :mod:`threading` runs at exit first
   (``concurrent.futures`` shuts its pools down there), as the interpreter does before anything else;
2. it runs the ``atexit`` handlers: the output folder's lock is let go, a process group under ``torchrun``
   left, :mod:`logging`'s handlers flushed and closed, a tracker's writer closed where it registered one;
3. it closes the files still open for writing (a tensorboard event file, a user's log file left open, a gzip
   stream whose end is not written yet), outermost wrapper first, as their finalizers would;
4. it flushes standard output and error; a standard output that cannot be flushed (its reader gone) makes the
   exit code 120, as the interpreter's own shutdown does.

The exit code is the one the command gave (:class:`SystemExit`'s, 1 and the traceback for an uncaught error).
Only :func:`trainwell.cli.app.main` ends this way, and only where :func:`ends_fast` allows it.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from typing import Any

__all__ = ["end_process", "ends_fast", "exit_code"]

#: Commands that end their process the usual way: ``serve`` runs a server that stops its workers and its
#: batching threads itself, on its own signals.
SLOW_EXIT_COMMANDS = frozenset({"serve"})
#: Set to 1 to end every command the interpreter's usual way (to compare, or if a library needs its finalizers).
SLOW_EXIT_VARIABLE = "TRAINWELL_SLOW_EXIT"


def ends_fast(argv: list[str]) -> bool:
    """Whether the command in ``argv`` may end with :func:`end_process`: not ``serve``, not under ``torchrun``
    with several processes (each leaves its process group in an ``atexit`` handler, waiting for the others, and
    the launcher watches the processes end; that path keeps the interpreter's own shutdown), not under a
    profiler, a debugger or ``python -i``, and not when ``TRAINWELL_SLOW_EXIT=1``."""
    if os.environ.get(SLOW_EXIT_VARIABLE, "") not in ("", "0"):
        return False
    if sys.flags.inspect or sys.getprofile() is not None or sys.gettrace() is not None:
        return False  # python -i, -m cProfile, -m pdb: they go on after the command (a profile written, a prompt)
    if os.environ.get("WORLD_SIZE", "") not in ("", "0", "1"):
        return False
    distributed = sys.modules.get("torch.distributed")
    if distributed is not None and distributed.is_available() and distributed.is_initialized():
        return False  # a process group joined by hand, without torchrun's variables
    command = next((word for word in argv if not word.startswith("-")), None)
    return command not in SLOW_EXIT_COMMANDS


def exit_code(done: SystemExit) -> int:
    """The process's exit status for ``done``, as the interpreter computes it: ``None`` is 0, a number is
    itself (modulo 256), anything else is printed to standard error and is 1."""
    code = done.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


def end_process(code: int) -> None:
    """End the process now with ``code``, its threads waited for, ``atexit`` handlers run and files closed."""
    _let_threads_finish()
    atexit._run_exitfuncs()
    _close_open_files()
    if not _flush_standard_streams():
        code = 120
    os._exit(code)


def _let_threads_finish() -> None:
    """What the interpreter does first at exit: ``threading``'s exit hooks, then wait for non-daemon threads.
    ``threading._shutdown`` is that step itself (Python 3.10 to 3.13); where it is missing, join them here."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
        return
    for thread in threading.enumerate():  # pragma: no cover - a Python without threading._shutdown
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()


def _close_open_files() -> None:
    """Close the file objects still open for writing, as their finalizers would at the interpreter's end: text
    wrappers first, then other Python-level streams (gzip), then buffered files, so that each closes what it
    wraps with its own buffer written. The standard streams stay open (flushed afterwards)."""
    import _io

    standard = {id(stream) for stream in _standard_streams()}
    layers: list[list[Any]] = [[], [], []]
    for obj in gc.get_objects():
        kind = type(obj)  # not isinstance: it reads __class__, which some objects answer with a warning
        if not issubclass(kind, _io._IOBase) or issubclass(kind, _io.FileIO) or id(obj) in standard:
            continue
        try:
            if obj.closed or not obj.writable() or obj.fileno() in (0, 1, 2):
                continue
        except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation: no file descriptor (BytesIO)
            if issubclass(kind, _io.BytesIO | _io.StringIO):
                continue
        if issubclass(kind, _io._TextIOBase):
            layers[0].append(obj)
        elif kind.__module__ not in ("_io", "io"):
            layers[1].append(obj)
        else:
            layers[2].append(obj)
    for layer in layers:
        for stream in layer:
            with contextlib.suppress(Exception):
                stream.close()


def _standard_streams() -> list[Any]:
    """The standard streams, the wrappers :mod:`trainwell.cli._pipes` puts around them, and what they wrap."""
    streams: list[Any] = []
    for stream in (sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__):
        while stream is not None and stream not in streams:
            streams.append(stream)
            stream = getattr(stream, "_stream", None) or getattr(stream, "buffer", None)
    for stream in list(streams):
        raw = getattr(stream, "raw", None)
        if raw is not None:
            streams.append(raw)
    return streams


def _flush_standard_streams() -> bool:
    """Flush standard output and error; ``False`` when standard output could not be (the interpreter then
    says so on standard error and exits with 120)."""
    flushed = True
    for stream in (sys.stdout, sys.stderr):
        if stream is None or getattr(stream, "closed", False):
            continue
        try:
            stream.flush()
        except (OSError, ValueError) as error:
            if stream is sys.stdout:
                flushed = False
                with contextlib.suppress(Exception):
                    print(
                        f"Exception ignored in: {stream!r}\n{type(error).__name__}: {error}", file=sys.stderr
                    )
                    sys.stderr.flush()
    return flushed
