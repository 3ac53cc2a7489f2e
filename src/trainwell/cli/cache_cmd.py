"""``trainwell cache``: what trainwell keeps in its cache folder (decoded images, unpacked archives, downloads,
splits joined into one table), and
``--clear`` to remove it; everything there is made again when needed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from trainwell.cli._common import guarded, out_console

#: The cache's parts: its folder name and what it holds, as the listing says it.
PARTS = (
    ("images", "decoded images"),
    ("unpacked", "unpacked archives"),
    ("downloads", "downloaded files"),
    ("joined", "joined splits"),
)


def cache(
    clear: Annotated[
        bool,
        typer.Option(
            "--clear",
            help="Remove the decoded images, unpacked archives, downloads and joined splits (made again when a "
            "command needs them).",
        ),
    ] = False,
) -> None:
    """Show what trainwell keeps in its cache folder ($TRAINWELL_CACHE, else ~/.cache/trainwell): decoded
    images, unpacked archives, downloads and joined splits, with their sizes; --clear removes them."""

    def run() -> None:
        from rich.table import Table

        from trainwell.core.archives import cache_problem, readable_size, unusable_cache
        from trainwell.core.paths import cache_root

        root = cache_root()
        problem = cache_problem(root)
        if problem is not None:
            if (
                not root.is_dir()
            ):  # a file, or nowhere: nothing to list or clear, and every command would fail
                raise unusable_cache(problem)
            from trainwell.core.warn import warn

            named = "TRAINWELL_CACHE" if os.environ.get("TRAINWELL_CACHE") else "trainwell's cache folder"
            warn(  # a folder that cannot be written in: what it holds is listed, and said to be stuck
                f"{named} '{root}': {problem}; commands that unpack archives or decode images cannot "
                "use it: point TRAINWELL_CACHE at a folder you may write",
                UserWarning,
            )
        table = Table(title=f"trainwell's cache: {root}")
        for heading in ("what", "entries", "size", "holds"):
            table.add_column(heading, justify="right" if heading in ("entries", "size") else "left")
        total = 0
        for name, what in PARTS:
            folder = root / name
            entries = _entries(folder)
            size = sum(_bytes(entry) for entry in entries)
            total += size
            table.add_row(what, f"{len(entries):,}", readable_size(size), _holds(folder, entries))
        if clear:
            for name, _what in PARTS:
                shutil.rmtree(root / name, ignore_errors=True)
            out_console.print(f"removed {readable_size(total)} from {root}", soft_wrap=True, markup=False)
            return
        out_console.print(table)
        out_console.print(
            f"{readable_size(total)} in all; trainwell cache --clear removes it (set TRAINWELL_CACHE to move it)",
            soft_wrap=True,
            markup=False,
        )

    guarded(run)


def _entries(folder: Path) -> list[Path]:
    """The entries of a cache part: an unpacked archive's folder, a decoded set's files (``.npy`` with its
    ``.json``) counted as one; temporary entries of a run under way left out."""
    if not folder.is_dir():
        return []
    found = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if folder.name == "images":
        return [entry for entry in found if entry.suffix == ".npy"]
    return [entry for entry in found if entry.is_dir()]


def _bytes(entry: Path) -> int:
    """The bytes of a file or folder (a decoded set's ``.json`` beside its ``.npy`` included)."""
    if entry.is_file():
        sidecar = entry.with_suffix(".json")
        return entry.stat().st_size + (sidecar.stat().st_size if sidecar.is_file() else 0)
    total = 0
    for folder, _dirs, files in os.walk(entry):
        for name in files:
            try:
                total += (Path(folder) / name).stat().st_size
            except OSError:
                continue
    return total


def _holds(folder: Path, entries: list[Path]) -> str:
    """For unpacked archives, the archives they were unpacked from, and for joined splits the folders they were
    joined from (each once, and whether each is still there); for downloaded files, their names."""
    if folder.name == "downloads":
        names = sorted(
            child.name for entry in entries for child in entry.iterdir() if not child.name.startswith(".")
        )
        return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    if folder.name not in ("unpacked", "joined") or not entries:
        return ""
    sources: dict[str, None] = {}  # each source once: a folder's splits joined in several states, or settings
    for entry in sorted(entries):
        marker = folder / f"{entry.name}.source"
        source = marker.read_text(encoding="utf-8") if marker.is_file() else entry.name
        sources[source if Path(source).exists() or not marker.is_file() else f"{source} (gone)"] = None
    names = list(sources)
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(names[:5]) + more
