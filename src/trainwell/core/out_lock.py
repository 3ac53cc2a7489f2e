"""One writer per model directory: two fits given the same ``--out`` (the default ``model`` in two terminals)
wrote their checkpoints over each other and left a directory holding one fit's weights beside the other's
history. A fit holds an exclusive lock on a small file beside its directory until it ends; a second fit is
refused in one line, naming the process that holds it.

The lock is an advisory ``flock`` (POSIX), released by the operating system when the process ends however it
ends, so a killed fit never leaves a stale lock: only a hidden file, which the next fit takes over. Where
``fcntl`` is missing (Windows) no lock is taken.

The lock is keyed on the directory's real path (links resolved): ``--out model`` and ``--out link`` where ``link``
points at ``model`` are one directory, and a second fit through the link is refused as through the same name.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import time
from pathlib import Path
from typing import IO

from trainwell.core.errors import ConfigError

_held: dict[Path, IO[str]] = {}


def lock_path(out: Path) -> Path:
    """The lock file of the model directory ``out``: hidden, beside the directory ``out`` really is (links
    resolved, so that every name of one directory has one lock; ``out`` itself may not exist yet)."""
    real = real_out(out)
    return real.parent / f".{real.name}.trainwell-lock"


def real_out(out: Path) -> Path:
    """``out`` as an absolute path with every link resolved (those of the part that exists: a folder not made
    yet keeps its name), so that two spellings of one directory (``model``, a link to it) are one key; the
    absolute path where it cannot be resolved (a loop of links, a folder that cannot be read)."""
    try:
        return Path(out).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop of links, before Python 3.13
        return Path(out).absolute()


def hold_out_dir(out: Path, what: str = "fit") -> None:
    """Take the lock on ``out`` for this process (until it exits), or refuse when another process holds it.

    Nothing is locked when ``out``'s folder does not exist yet (a fit makes it when it writes) or is read-only
    (the fit says so when it writes), nor twice by the same process.

    Raises:
        ConfigError: another process holds the lock.
    """
    given, out = Path(out), real_out(out)
    if out in _held or not out.parent.is_dir():
        return
    handle = _locked(out, "a+", given)  # held open until the command or the process ends
    if handle is None:
        return
    handle.seek(0)
    handle.truncate()
    handle.write(f"{what} (process {os.getpid()}, since {time.strftime('%H:%M:%S')})")
    handle.flush()
    _held[out] = handle
    atexit.register(_release, out)


def refuse_if_held(out: Path) -> None:
    """Refuse at once, before any work, when another process holds ``out`` (this one takes it later, as its
    training begins: :func:`hold_out_dir`); creates nothing.

    Raises:
        ConfigError: another process holds the lock.
    """
    given, out = Path(out), real_out(out)
    if out in _held or not lock_path(out).is_file():
        return
    handle = _locked(out, "r", given)
    if handle is not None:
        handle.close()  # free: let go at once


def _locked(out: Path, mode: str, given: Path) -> IO[str] | None:
    """``out``'s lock file opened in ``mode`` and locked by this process; ``None`` where no lock can be taken
    (no ``fcntl``: Windows; a file that cannot be opened). ``given`` is ``out`` as the user named it.

    Raises:
        ConfigError: another process holds the lock (named from what it wrote in the file).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        handle = open(lock_path(out), mode, encoding="utf-8")  # noqa: SIM115 - the caller closes it
    except OSError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise _held_elsewhere(out, holder, given) from None
    return handle


def _held_elsewhere(out: Path, holder: str, given: Path) -> ConfigError:
    shown = given.absolute()
    linked = out != real_out(given.parent) / given.name  # the name itself is a link (not a folder above it)
    same = f" (the directory '{out}', which it names through a link)" if linked else ""
    return ConfigError(
        f"--out '{shown}'{same} is being written by another trainwell {holder or 'process'}: two fits into one "
        "directory would mix their checkpoints and files; wait for it to end, or pass another --out"
    )


def release_out_dir(out: Path) -> None:
    """Let go of ``out`` when this process holds it (a command that ran in a process that goes on: a test's
    ``CliRunner``, a notebook calling the command's function); a process that ends lets go by itself."""
    _release(real_out(out))


def _release(out: Path) -> None:
    handle = _held.pop(out, None)
    if handle is None:
        return
    with contextlib.suppress(OSError):  # removed while still held: no one can take a file about to go
        lock_path(out).unlink(missing_ok=True)
    handle.close()
