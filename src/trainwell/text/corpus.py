"""Read a corpus of raw text for a language model: a folder of ``.txt`` files, a text file, a column of a CSV or
TSV file, or texts in Python."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.paths import is_table_file
from trainwell.core.text_encoding import file_lines
from trainwell.core.warn import warn
from trainwell.data.io import read_text_file
from trainwell.text._splits import split_of
from trainwell.text.tokenize import read_text_files, validate_texts

__all__ = ["Source", "corpus_splits", "read_corpus"]

Source = str | os.PathLike[str] | Sequence[str]


def read_corpus(
    source: Source,
    *,
    text_col: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    whole_files: bool = False,
    names: Sequence[str] | None = None,
) -> list[str]:
    """The texts of ``source``: a folder of ``.txt`` files (one text each), a ``.txt``/``.txt.gz`` file (one
    text per non-blank line, as in PTB; the whole file as one text with ``whole_files``, as a model trained on
    a folder of files reads text: :attr:`LMRecipe.documents`), a table (CSV, TSV, Parquet, JSON lines; ``.gz``
    too) or a DataFrame with a ``text_col`` column (``names``: the column names of a file without a header row),
    or a list of texts.

    ``encoding`` is that of the files (``"cp1252"`` for text saved by Windows tools); never guessed.
    ``encoding_errors="replace"`` reads bytes not in ``encoding`` as U+FFFD instead of stopping (``"strict"``).

    Raises:
        DataError: The source is missing, empty, not ``encoding`` text (the file and line are named), or the
            column is absent.
        ConfigError: ``encoding`` is not a text encoding Python knows.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return _folder_texts(path, encoding, encoding_errors)
        if not path.is_file():
            raise DataError(
                f"text source {path} does not exist; pass a folder of .txt files, a file or texts"
            )
        if is_table_file(path):
            return _read_table_texts(path, text_col, encoding, encoding_errors, names)
        from trainwell.text._fasttext import is_fasttext_file, read_fasttext

        if is_fasttext_file(path):  # __label__pos a great film: the texts, without their labels
            return read_fasttext(path, encoding=encoding, encoding_errors=encoding_errors)["text"].tolist()
        if names is not None:
            raise ConfigError(
                f"'{path}' is read as text, one text a line; --names (Python: names=) is for a table without a "
                "header row (.csv, .tsv): drop it"
            )
        content = read_text_file(path, encoding=encoding, encoding_errors=encoding_errors)
        if whole_files:
            if not content.strip():
                raise DataError(f"{path} holds no text; pass a non-empty corpus")
            return [content]
        lines = [line for line in file_lines(content) if line.strip()]
        if not lines:
            raise DataError(f"{path} holds no text; pass a non-empty corpus")
        return lines
    if isinstance(source, bytes):
        raise DataError("text source is bytes; decode it to str first or pass a file path")
    if type(source).__name__ == "DataFrame":  # iterating one would give its column names as the texts
        return _column_texts(source, text_col, "the DataFrame")
    texts, _ = validate_texts(source, name="texts", drop_empty=True)
    return texts


def corpus_splits(source: object) -> dict[str, Path] | None:
    """The train, valid and test files of a corpus folder laid out as PTB is (``ptb.train.txt``,
    ``ptb.valid.txt``, ``ptb.test.txt``; ``.txt.gz`` too), named as :func:`~trainwell.text.tagging.conll.find_split_files`
    reads names; ``None`` when ``source`` is not a folder whose top level holds a train file beside a valid or
    test one (its ``.txt`` files are then the corpus's texts, one each).

    Each file is then read as a text file is, a text a line; the test file is never trained on.

    Raises:
        DataError: Two files of the folder point to one split.
    """
    if not isinstance(source, str | os.PathLike) or not Path(source).is_dir():
        return None
    folder = Path(source)
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.lower().endswith((".txt", ".txt.gz")):
            for split in split_of(path.name):
                found.setdefault(split, []).append(path)
    if "train" not in found or not found.keys() & {"valid", "test"}:
        return None
    for split, paths in found.items():
        if len(paths) > 1:
            raise DataError(
                f"{folder} holds {len(paths)} {split} files: {', '.join(path.name for path in paths)}; keep one "
                "of them, or pass the training file itself (its validation and test text as options)"
            )
    return {split: paths[0] for split, paths in found.items()}


def _folder_texts(folder: Path, encoding: str, encoding_errors: Literal["strict", "replace"]) -> list[str]:
    """The texts of a folder's ``.txt`` files, one each; empty files (nothing but white space) are left out
    with a warning that names them, as blank lines are in a text file, and a folder of only those stops."""
    files = read_text_files(folder, encoding=encoding, encoding_errors=encoding_errors)
    empty = [path for path, text in files.items() if not text.strip()]
    if len(empty) == len(files):
        raise DataError(
            f"text folder {folder}: its {len(files)} .txt file(s) are all empty; pass a folder holding some text"
        )
    if empty:
        shown = ", ".join(str(path.relative_to(folder)) for path in empty[:5])
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        warn(
            f"skipped {len(empty)} empty .txt file(s) of {len(files)} in {folder}: {shown}{more}",
            UserWarning,
        )
    return [text for text in files.values() if text.strip()]


def _read_table_texts(
    path: Path, text_col: str | None, encoding: str, encoding_errors: str, names: Sequence[str] | None
) -> list[str]:
    """The texts of a table's ``text_col`` column, every cell read as written ('NA' and '?' are texts too)."""
    from trainwell.data.io import read_table

    frame = read_table(
        path, names=names, na_values=(), pandas_na=False, encoding=encoding, encoding_errors=encoding_errors
    )
    return _column_texts(frame, text_col, str(path))


def _column_texts(frame: Any, text_col: str | None, path: str) -> list[str]:
    """The texts of ``frame``'s ``text_col`` column (a table file's, or a DataFrame given as it is)."""
    if text_col is None:
        raise DataError(
            f"{path} is a table; name its text column with --text (Python: text_col=); columns are: "
            f"{', '.join(map(str, list(frame.columns)[:20]))}"
        )
    if text_col not in frame.columns:
        several = [name.strip() for name in text_col.split(",")] if "," in text_col else []
        if len(several) > 1 and all(name in frame.columns for name in several):
            raise ConfigError(
                f"a language model reads one text column; --text {text_col} names {len(several)}, which a "
                "classifier reads as one example: pass one of them"
            )
        from trainwell.data.io import did_you_mean

        close = did_you_mean([text_col], [str(column) for column in frame.columns])
        raise DataError(
            f"text column {text_col!r} not found in {path}{close}; columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    column = frame[text_col]
    cells = (
        column.where(column.isna(), column.astype(str)).fillna("").tolist()
    )  # numbers as written in the file
    texts, _ = validate_texts(cells, name=f"{path}:{text_col}", drop_empty=True)
    return texts
