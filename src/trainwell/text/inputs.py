"""The texts a user hands in: :func:`validate_texts` checks a collection of them before any work, and
:func:`read_text_files` reads a folder of ``.txt`` files. Both are re-exported by
:mod:`trainwell.text.tokenize`; each refusal names the text or path and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from trainwell.core.errors import DataError

__all__ = ["read_text_files", "validate_texts"]


def validate_texts(
    texts: Iterable[object], *, name: str = "texts", drop_empty: bool = False, droppable: bool = True
) -> tuple[list[str], list[int]]:
    """Check that ``texts`` is a non-empty collection of non-blank strings; return them and their positions.

    Done once, before any work, so a bad row is reported by position instead of surfacing later as an odd
    shape or a silently empty sequence.

    Args:
        texts: Any iterable of strings (list, tuple, pandas Series, numpy array).
        name: How the error messages call the input (a column name, a file).
        drop_empty: Drop empty and whitespace-only texts instead of raising; the returned positions then
            say which inputs were kept (to drop the matching labels).
        droppable: Whether the caller takes ``drop_empty=True``, which the error for a blank text then offers
            (a predictor takes no such option: the error asks to fill or drop the text).

    Returns:
        ``(kept_texts, kept_positions)``.

    Raises:
        DataError: ``texts`` is a single string or empty, holds a non-string, or (without ``drop_empty``) a
            blank text.
    """
    if isinstance(texts, (str, bytes)):
        raise DataError(f"{name} is a single string; pass a list of texts, e.g. [text]")
    kept: list[str] = []
    positions: list[int] = []
    total = 0
    for position, text in enumerate(texts):
        total += 1
        if not isinstance(text, str):
            raise DataError(
                f"{name}[{position}] is {type(text).__name__} ({text!r:.40}), not a string; "
                "fill or drop missing texts and convert the column to text first"
            )
        if not text or text.isspace():
            if drop_empty:
                continue
            raise DataError(
                f"{name}[{position}] is empty or only whitespace; remove it or pass drop_empty=True to drop "
                "blank texts"
                if droppable
                else f"{name}[{position}] is empty or only whitespace; a model has nothing to read there: fill "
                "or drop that text"
            )
        kept.append(text)
        positions.append(position)
    if total == 0:
        raise DataError(f"{name} is empty; pass at least one text")
    if not kept:
        raise DataError(f"all {total} {name} are empty or only whitespace; there is nothing to tokenize")
    return kept, positions


#: The names of text files in a folder of texts: ``.txt``, gzipped or not (Tiny Shakespeare's ``input.txt.gz``).
TEXT_FILE_PATTERNS = ("*.txt", "*.txt.gz")


def text_files(folder: Path, *, recursive: bool = True) -> list[Path]:
    """The text files (:data:`TEXT_FILE_PATTERNS`) under ``folder`` (or in it only), in sorted path order."""
    found = {
        path
        for pattern in TEXT_FILE_PATTERNS
        for path in (folder.rglob(pattern) if recursive else folder.glob(pattern))
        if path.is_file()
    }
    return sorted(found)


def has_text_files(folder: Path, *, recursive: bool = True) -> bool:
    """Whether ``folder`` (or its subfolders) holds a text file (:data:`TEXT_FILE_PATTERNS`); stops at the first."""
    return any(
        next(iter(folder.rglob(pattern) if recursive else folder.glob(pattern)), None) is not None
        for pattern in TEXT_FILE_PATTERNS
    )


def read_text_files(
    folder: str | os.PathLike[str],
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    recursive: bool = True,
) -> dict[Path, str]:
    """Read every ``.txt`` file (``.txt.gz`` too) under ``folder`` as ``encoding`` text (UTF-8 by default), in
    sorted path order.

    Args:
        folder: The folder (searched recursively unless ``recursive=False``).
        encoding: The files' encoding, e.g. ``"cp1252"`` for text saved by Windows tools; never guessed.
        encoding_errors: ``"strict"`` raises on bytes not in ``encoding``, so a wrongly encoded corpus is
            noticed; ``"replace"`` decodes them as U+FFFD, only when asked. A UTF-8 byte-order mark is dropped.
        recursive: Search subfolders too.

    Returns:
        ``{path: text}``; the paths keep labels a folder layout may hold (``train/pos/1.txt``).

    Raises:
        ConfigError: ``encoding_errors`` is not ``"strict"`` or ``"replace"``.
        DataError: The folder is missing or has no ``.txt`` files, or a file is not valid UTF-8.
    """
    from trainwell.data.io import check_encoding_errors, read_text_file

    check_encoding_errors(encoding_errors)
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"text folder {root} does not exist or is not a folder; pass a folder of .txt files")
    paths = text_files(root, recursive=recursive)
    if not paths:
        where = "in it or its subfolders" if recursive else "in it"
        raise DataError(
            f"text folder {root} has no .txt files {where}; text files must end in .txt (or .txt.gz)"
        )

    return {path: read_text_file(path, encoding=encoding, encoding_errors=encoding_errors) for path in paths}
