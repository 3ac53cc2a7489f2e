"""Atomic file writes: a temp file in the same folder, flushed, then renamed over the target."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The mode of every file trainwell writes: readable by others (a model directory is often served, or copied
#: into an image, by another account), as files written with the usual umask are. ``mkstemp`` and
#: safetensors' writer make 0600 files.
READABLE = 0o644


def make_readable(path: str | Path) -> None:
    """Give a file written through ``mkstemp`` or safetensors the usual mode, :data:`READABLE`."""
    os.chmod(path, READABLE)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
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
