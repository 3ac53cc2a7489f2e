"""Atomic file writes: a temp file in the same folder, flushed, then renamed over the target."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: The mode of every file trainwell writes: readable by others (a model directory is often served, or copied
#: into an image, by another account), as files written with the usual umask are. ``mkstemp`` and
#: safetensors' writer make 0600 files.
READABLE = 0o644


def make_readable(path: str | Path) -> None:
    """Give a file written through ``mkstemp`` or safetensors the usual mode, :data:`READABLE`."""
    os.chmod(path, READABLE)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half of one."""
    return write_atomic(path, lambda stream: stream.write(data))


def write_atomic(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(stream)`` on a temp file beside ``path``, then rename it over ``path``: readers see the old
    file or the new one, never half of one. The content goes straight to the file, so a large one (a
    checkpoint) is never held in memory whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        make_readable(temp_name)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))
