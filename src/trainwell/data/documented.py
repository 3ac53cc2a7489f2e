"""Leaks a dataset's own documentation warns of: a column known only after the outcome (bank marketing's call
``duration``: "not known before a call is performed ... should be discarded if the intention is to have a
realistic predictive model") looks like any other column to a statistical check, but its documentation says it.

:func:`documented_leaks` reads the description files beside a data file (``*names*``, ``README``, ``*.md``...)
for sentences that name an input column together with a warning of that kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from trainwell.core.warn import warn

__all__ = ["documented_leaks", "warn_documented_leaks"]

#: Words of a description that say a column is not known when predicting, or leaks the answer.
LEAK_PHRASES = (
    "leak",
    "should be discarded",
    "not known before",
    "known only after",
    "only be included for benchmark",
    "not available at prediction",
    "not available when predicting",
    "future information",
)
#: Largest description file read, in bytes: a data file is not documentation.
_MOST_BYTES = 2_000_000
_DOC_WORDS = ("names", "readme", "description", "codebook", "dictionary")
_DOC_SUFFIXES = ("", ".txt", ".md", ".rst", ".names")


def documented_leaks(data_file: Path, columns: Sequence[str]) -> list[tuple[str, Path, str]]:
    """``(column, description file, sentence)`` for each of ``columns`` that a description file beside
    ``data_file`` names in a sentence warning of a leak (:data:`LEAK_PHRASES`), once per column.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "names.txt").write_text("duration: call length. The duration is not known before a call.")
        >>> [(column, path.name) for column, path, _ in documented_leaks(folder / "bank.csv", ["age", "duration"])]
        [('duration', 'names.txt')]
    """
    found: dict[str, tuple[str, Path, str]] = {}
    folder = data_file.parent
    if not folder.is_dir():
        return []
    for doc in sorted(folder.iterdir()):
        if doc == data_file or not _is_description(doc):
            continue
        try:
            text = doc.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*[-*#\d])", text):
            lowered = sentence.lower()
            if not any(phrase in lowered for phrase in LEAK_PHRASES):
                continue
            for column in columns:
                named = re.search(rf"(?<![\w-]){re.escape(column.lower())}(?![\w-])", lowered)
                if column not in found and len(column) > 1 and named:
                    found[column] = (column, doc, " ".join(sentence.split()))
    return list(found.values())


def warn_documented_leaks(data_file: Path, columns: Sequence[str]) -> None:
    """Warn, once per column, of the inputs the data's own description says leak (:func:`documented_leaks`)."""
    for column, doc, sentence in documented_leaks(data_file, columns):
        shown = sentence if len(sentence) <= 200 else sentence[:197] + "..."
        warn(
            f"'{doc}' beside the data says of column '{column}': \"{shown}\"; if it is not known when predicting, "
            f"drop it with --ignore {column} (Python: ignore=['{column}'])",
            UserWarning,
        )


def _is_description(path: Path) -> bool:
    """A small text file named as a dataset's description (``bank-additional-names.txt``, ``README.md``)."""
    name = path.name.lower()
    if not path.is_file() or name.startswith("."):
        return False
    suffix = Path(name).suffix if Path(name).suffix in _DOC_SUFFIXES else None
    named = suffix in (".md", ".rst", ".names") or (suffix is not None and any(w in name for w in _DOC_WORDS))
    try:
        return named and path.stat().st_size <= _MOST_BYTES
    except OSError:
        return False
