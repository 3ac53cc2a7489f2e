"""Ordering file paths as people read them: ``2.png`` before ``10.png``.

A plain sort compares ``"10.png" < "2.png"``, so a folder of numbered files comes back as 1, 10, 100, 11, ...
:func:`natural_sorted` compares runs of digits as numbers, part by part, and is used wherever a command lists a
folder's files back to the user (predictions beside their paths).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath
from typing import TypeVar

__all__ = [
    "TABLE_SUFFIXES",
    "cache_root",
    "data_folders",
    "is_idx_file",
    "is_model_directory",
    "is_table_file",
    "natural_key",
    "natural_sorted",
]

#: File endings (each may be followed by ``.gz``) of tables: CSV, TSV, Parquet and JSON.
TABLE_SUFFIXES = (
    ".csv", ".tsv", ".tab", ".parquet", ".pq", ".arrow", ".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".xls",
    ".ods",
)  # fmt: skip
#: Any IDX file's name, images or labels: ``<set>-<what>-idx<dims>-ubyte`` (``.gz`` or not).
_IDX_FILE = re.compile(r"-idx\d-ubyte(?:\.gz)?$")


def cache_root() -> Path:
    """``$TRAINWELL_CACHE``, else ``~/.cache/trainwell``: where trainwell keeps what it can make again (decoded
    images, unpacked archives)."""
    base = os.environ.get("TRAINWELL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "trainwell")
    return Path(base)


def file_state(path: Path) -> str:
    """``<resolved path>|<size>|<time of change, ns>``: what the keys of things made once from a file (an unpacked
    archive, joined splits, decoded images) hash, so that a changed file is made again."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def is_model_directory(path: Path) -> bool:
    """Whether ``path`` is a model directory ``trainwell fit`` wrote (it holds ``trainwell.json``): inside a
    folder of data (``trainwell fit photos/ --out photos/model``), not a class of it."""
    return path.is_dir() and (path / "trainwell.json").is_file()


def data_folders(folder: Path) -> list[Path]:
    """The sub-folders of ``folder`` that may hold data: not hidden, and not a model directory, which is said in
    a warning (``trainwell fit photos/ --out photos/model`` run again read ``model`` as a class of its plots)."""
    from trainwell.core.warn import warn

    folders = [child for child in folder.iterdir() if child.is_dir() and not child.name.startswith(".")]
    models = [child for child in folders if is_model_directory(child)]
    if models:
        warn(
            f"left out {', '.join(repr(str(model)) for model in models)}: a model directory trainwell wrote, not "
            f"data of '{folder}' (write models outside the data folder)",
            UserWarning,
        )
    return [child for child in folders if child not in models]


def walk_following_links(root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(root)`` (top down: a caller may prune ``dirs`` in place) that follows links to folders, as the
    data's readers do, each real folder once, and never into a link back to ``root`` or above it (the walk would
    not end)."""
    top = os.path.realpath(root)
    visited: set[str] = set()
    for current, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(current)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = [name for name in dirs if not _encloses(os.path.realpath(os.path.join(current, name)), top)]
        yield current, dirs, files


def _encloses(folder: str, path: str) -> bool:
    """Whether the real path ``folder`` is ``path`` or a folder above it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def is_table_file(path: PurePath) -> bool:
    """Whether ``path`` is named as a table (:data:`TABLE_SUFFIXES`, optionally ``.gz``-compressed:
    GoEmotions' ``train.tsv.gz``), not a text file of one text a line."""
    return path.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)


def is_idx_file(path: PurePath) -> bool:
    """Whether ``path`` is named as an IDX file (MNIST's ``train-images-idx3-ubyte.gz``, its labels file...)."""
    return _IDX_FILE.search(path.name) is not None


_DIGITS = re.compile(r"(\d+)")
P = TypeVar("P", bound=PurePath | str)


def natural_key(path: PurePath | str) -> tuple[tuple[tuple[int, int | str], ...], ...]:
    """A sort key comparing each path part's digit runs as numbers and the rest case-insensitively.

    Ties (``a.txt``/``A.txt``, ``1.txt``/``01.txt``) fall back to the exact text, so the order is total.
    """
    return tuple((*_pieces(part), (1, part)) for part in PurePath(path).parts)


def _pieces(part: str) -> tuple[tuple[int, int | str], ...]:
    """``"img10.png"`` -> ``((1, "img"), (0, 10), (1, ".png"))``."""
    return tuple(
        (0, int(piece)) if piece.isdigit() else (1, piece.casefold())
        for piece in _DIGITS.split(part)
        if piece
    )


def natural_sorted(paths: Iterable[P]) -> list[P]:
    """``paths`` sorted by :func:`natural_key` (``img2.png`` before ``img10.png``)."""
    return sorted(paths, key=natural_key)
