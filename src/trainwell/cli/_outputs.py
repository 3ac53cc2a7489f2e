"""The checks an output file of a command gets before any work: it must not be one of the command's inputs, nor
a file of a model directory.

``trainwell predict MODEL rows.csv --out rows.csv`` had replaced the rows it read with its predictions, and
``--out MODEL/trainwell.json`` the model itself, each without a word: one typo lost the input for good. Such an
``--out`` is refused in one line. Any other existing file may well be meant (a predictions file written
again), so it is replaced, and the closing line of the command says so (:func:`replaced_note`). No torch,
NumPy or pandas here: the check runs on the command line's early path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from trainwell.core.errors import ConfigError
from trainwell.core.model_dir import METADATA_FILE

__all__ = ["check_out_file", "model_directory_holding", "replaced_note"]


def model_directory_holding(path: Path) -> Path | None:
    """The trainwell model directory (a folder holding ``trainwell.json``) that ``path`` lies in, at any depth,
    or ``None``; links are followed, so a path reaching a model directory through one is found too."""
    resolved = Path(os.path.realpath(path))
    for folder in resolved.parents:
        if (folder / METADATA_FILE).is_file():
            return folder
    return None


def check_out_file(out: Path | None, inputs: Iterable[Path | str], option: str = "--out") -> None:
    """Refuse an output file that is one of ``inputs`` (the same file, however named: through a link, ``./``) or
    that lies inside a model directory, whose files a table written over would destroy.

    Raises:
        ConfigError: Naming the input or the model directory, and what to pass instead.
    """
    if out is None or str(out) == "-":
        return
    target = os.path.realpath(out)
    for source in inputs:
        if str(source) in ("", "-"):
            continue
        if os.path.realpath(source) == target or _same_file(out, Path(source)):
            raise ConfigError(
                f"{option} '{out}' is the input '{source}' this command reads; writing there would replace it: "
                "choose another file name"
            )
    folder = model_directory_holding(out)
    if folder is not None:
        shown = _shown(folder)
        raise ConfigError(
            f"{option} '{out}' lies inside the model directory '{shown}', whose files it could replace (a file "
            f"written over {METADATA_FILE} destroys the model); write it outside that folder"
        )


def replaced_note(out: Path) -> str:
    """What the closing line of a command adds when ``out`` is about to replace an existing file (``""``
    otherwise): call it before writing."""
    return " (it replaced the file that was there)" if out.is_file() else ""


def _same_file(first: Path, second: Path) -> bool:
    """Whether two existing paths are one file (hard links too); ``False`` when either is missing."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _shown(folder: Path) -> str:
    """``folder`` relative to the working directory when it lies below it (as a user typed it), else whole."""
    try:
        return str(folder.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)
