"""A disk cache of decoded images: decode and resize once, memory-map the pixels on every later run.

The cache key is a hash of the file list (paths, sizes, modification times) and the decoding settings, so a
changed, added or removed file makes a new entry. An entry is a ``.npy`` file of ``uint8`` ``(N, C, H, W)``
plus a JSON file of the indices kept (corrupt files are skipped and named when the entry is made, never later).
Both are written under temporary names and renamed when complete, so an interrupted run leaves no half entry.

Mapped copy-on-write: the process can read a set bigger than its memory (the operating system pages it in),
and nothing it does can alter the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from trainwell.core.atomic import write_text_atomic
from trainwell.vision.io import decode_images

FORMAT = 2  # 2: large JPEGs decoded at a reduced scale (open_image at_least)


def default_cache_dir() -> Path:
    """``$TRAINWELL_CACHE`` or ``~/.cache/trainwell``, with an ``images`` folder inside."""
    from trainwell.core.paths import cache_root

    return cache_root() / "images"


def cache_key(paths: Sequence[Path], size: tuple[int, int], channels: int, method: str) -> str:
    digest = hashlib.sha256(f"{FORMAT}|{size[0]}x{size[1]}|{channels}|{method}".encode())
    from trainwell.core.paths import file_state

    for path in paths:
        digest.update(f"\n{file_state(path)}".encode())
    return digest.hexdigest()[:32]


def cached_decode(
    paths: Sequence[Path],
    size: tuple[int, int],
    channels: int,
    method: str,
    *,
    cache_dir: Path,
    n_workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`decode_images`, through the disk cache: ``(memory-mapped images, kept indices)``; ``progress``
    as there, called only when the files are decoded (an entry found says nothing)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(paths, size, channels, method)
    pixels_path, kept_path = cache_dir / f"{key}.npy", cache_dir / f"{key}.json"
    found = _entry(pixels_path, kept_path)
    if found is not None:
        return found
    temp = cache_dir / f".{key}.{os.getpid()}.npy"
    try:
        # Decoded straight into the file: a set bigger than memory never has to fit in it.
        target = np.lib.format.open_memmap(
            temp, mode="w+", dtype=np.uint8, shape=(len(paths), channels, *size)
        )
        images, kept = decode_images(
            paths, size, channels, method, n_workers=n_workers, out=target, progress=progress
        )
        target.flush()
        del target, images
        os.replace(temp, pixels_path)
    finally:
        temp.unlink(missing_ok=True)
    write_text_atomic(kept_path, json.dumps({"format": FORMAT, "kept": kept.tolist()}))
    return np.load(pixels_path, mmap_mode="c")[: len(kept)], kept


def cached_entry(
    paths: Sequence[Path], size: tuple[int, int], channels: int, method: str, *, cache_dir: Path
) -> tuple[np.ndarray, np.ndarray] | None:
    """The entry an earlier run left in ``cache_dir`` for exactly these files and decoding settings, as
    :func:`cached_decode` gives it; ``None`` when there is none (nothing is decoded or written). A folder without
    any entry answers without looking at the files."""
    if not cache_dir.is_dir() or next(cache_dir.glob("*.npy"), None) is None:
        return None
    key = cache_key(paths, size, channels, method)
    return _entry(cache_dir / f"{key}.npy", cache_dir / f"{key}.json")


def _entry(pixels_path: Path, kept_path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """A complete entry's ``(memory-mapped images, kept indices)``, or ``None``."""
    if not (pixels_path.is_file() and kept_path.is_file()):
        return None
    kept = np.array(json.loads(kept_path.read_text())["kept"], dtype=np.int64)
    return np.load(pixels_path, mmap_mode="c")[: len(kept)], kept
