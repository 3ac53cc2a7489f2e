"""What a dataset's own documentation says about its columns.

Leaks: a column known only after the outcome (bank marketing's call ``duration``: "not known before a call is
performed ... should be discarded if the intention is to have a realistic predictive model") looks like any other
column to a statistical check, but its documentation says it. :func:`documented_leaks` reads the description
files beside a data file (``*names*``, ``README``, ``*.md``...) for sentences that name an input column together
with a warning of that kind.

Names: a UCI file without a header row (``adult.data``) comes with a ``.names`` file in C4.5's format, which
lists the class values and then each column as ``name: type.``; :func:`described_columns` reads it, so such a
file needs no ``--names`` and no ``--target``.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trainwell.core.warn import warn

__all__ = ["Described", "described_columns", "documented_leaks", "warn_documented_leaks"]

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
        # Sentences, and the clauses of a sentence that a semicolon joins: a list of findings in one long sentence
        # ("reading Adult works; the `duration` leak warning; missing values (housing, Age)") names a leak once.
        for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*[-*#\d])|;\s+", text):
            lowered = sentence.lower()
            if not any(phrase in lowered for phrase in LEAK_PHRASES):
                continue
            for column in columns:
                named = re.search(rf"(?<![\w-]){re.escape(column.lower())}(?![\w-])", lowered)
                if column not in found and len(column) > 1 and named:
                    found[column] = (column, doc, " ".join(sentence.split()))
    return list(found.values())


def warn_documented_leaks(data_file: Path, columns: Sequence[str]) -> list[str]:
    """Warn, once per column, of the inputs the data's own description says leak (:func:`documented_leaks`);
    returns those columns."""
    found = documented_leaks(data_file, columns)
    for column, doc, sentence in found:
        shown = sentence if len(sentence) <= 200 else sentence[:197] + "..."
        warn(
            f"'{doc}' beside the data says of column '{column}': \"{shown}\"; if it is not known when predicting, "
            f"drop it with --ignore {column} (Python: ignore=['{column}'])",
            UserWarning,
        )
    return [column for column, _doc, _sentence in found]


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


@dataclass(frozen=True)
class Described:
    """A headerless table's columns as its C4.5 ``.names`` file declares them."""

    names: list[str]  # every column, in the file's order
    target: str  # the class column: declared by name, else the last column, named "class"
    classes: list[str]  # the class values the description lists (empty when the class is a declared column)
    path: Path  # the description file

    def summary(self) -> str:
        """One line for a message: where the names came from and what the class is."""
        values = (
            f": {', '.join(self.classes[:6])}{', ...' if len(self.classes) > 6 else ''}"
            if self.classes
            else ""
        )
        return f"named from '{self.path}' (C4.5 format), the class '{self.target}'{values}"


#: Largest ``.names`` file read for column names, in bytes.
_MOST_NAMES_BYTES = 200_000
#: Most entries of a folder looked through for its one ``.names`` file.
_MOST_ENTRIES = 1000
#: A C4.5 declaration: ``name: type.`` (``:=`` declares a column computed from others, absent from the file).
_DECLARATION = re.compile(r"(?P<name>[^:|]+?)\s*:(?!=)\s*(?P<type>.+)", re.DOTALL)


def described_columns(data_file: str | Path, width: int | None = None) -> Described | None:
    """The columns of ``data_file`` as a C4.5 ``.names`` file beside it declares them (UCI's ``adult.names``
    for ``adult.data``, ``adult.test`` or ``adult.data.gz``; else the folder's only ``.names`` file), or ``None``
    when there is none, it is not in that format, or it declares other than ``width`` columns.

    The format: ``|`` starts a comment; the first declaration lists the class values (``>50K, <=50K.``) or
    names the column that is the class; then one ``name: type.`` a column (``continuous``, ``discrete N``,
    ``ignore`` or the values). With class values, the class is the file's last column, named ``class``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "wine.names").write_text("| wines\\nred, white.\\n\\nacid: continuous.\\nsugar: continuous.\\n")
        >>> described = described_columns(folder / "wine.data", width=3)
        >>> described.names, described.target, described.classes
        (['acid', 'sugar', 'class'], 'class', ['red', 'white'])
    """
    doc = _names_file(Path(data_file))
    if doc is None:
        return None
    try:
        text = doc.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    described = _parse_c45(text, doc)
    if described is None or (width is not None and len(described.names) != width):
        return None
    return described


def _names_file(data_file: Path) -> Path | None:
    """The ``.names`` file describing ``data_file``: ``<stem>.names`` (``adult.data.gz`` -> ``adult.names``),
    else the only ``.names`` file of its folder; ``None`` when there is none or it is too big to be one."""
    folder = data_file.parent
    bare = data_file.name.removesuffix(".gz")
    stem = bare.rsplit(".", 1)[0] if "." in bare else bare
    try:
        own = folder / f"{stem}.names"
        if own.is_file():
            found: Path | None = own
        else:  # a folder of many files (images beside a CSV) is not a UCI download: not read to its end
            with os.scandir(folder) as entries:
                first = list(itertools.islice(entries, _MOST_ENTRIES + 1))
            others = [Path(e.path) for e in first if e.name.lower().endswith(".names") and e.is_file()]
            found = others[0] if len(others) == 1 and len(first) <= _MOST_ENTRIES else None
        return found if found is not None and found.stat().st_size <= _MOST_NAMES_BYTES else None
    except OSError:
        return None


def _parse_c45(text: str, doc: Path) -> Described | None:
    """The columns a C4.5 ``.names`` text declares, or ``None`` when it is not one (free prose, as iris.names)."""
    plain = "\n".join(line.split("|", 1)[0] for line in text.splitlines())
    # A declaration ends with a period at the end of a line; a long list of values wraps after its commas.
    pieces = [" ".join(piece.split()) for piece in re.split(r"\.[ \t]*(?:\n|$)", plain)]
    statements = [piece for piece in pieces if piece]
    if not plain.rstrip().endswith(".") and statements and ":" not in statements[-1]:
        statements.pop()  # trailing text that declares nothing (a copy of adult.names ends with a name list)
    if len(statements) < 2:
        return None
    head, *rest = statements
    columns: list[str] = []
    for statement in rest:
        match = _DECLARATION.fullmatch(statement)
        if match is None:
            if ":=" in statement:
                continue  # computed from other columns: not in the data file
            return None
        columns.append(match["name"].strip())
    if not columns or any("," in name for name in columns) or len(set(columns)) < len(columns):
        return None
    columns = _unnumbered(columns)
    if ":" in head:
        return None
    if head in columns:  # the class is a declared column
        return Described(columns, head, [], doc)
    classes = [value.strip() for value in head.split(",") if value.strip()]
    if len(classes) < 2:
        return None
    target = "class" if "class" not in columns else "target"
    return Described([*columns, target], target, classes, doc)


def _unnumbered(names: list[str]) -> list[str]:
    """``names`` without an index written before each (``0age``, ``1workclass``...), where every one has it."""
    for start in (0, 1):
        prefixes = [str(start + i) for i in range(len(names))]
        if all(
            n.startswith(p) and len(n) > len(p) and not n[len(p)].isdigit()
            for n, p in zip(names, prefixes, strict=True)
        ):
            return [n[len(p) :] for n, p in zip(names, prefixes, strict=True)]
    return names
