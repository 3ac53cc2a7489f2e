"""Texts of several columns read as one example: a pair of sentences (GLUE's MRPC and RTE, SNLI's premise and
hypothesis, Quora's question pairs) or a title beside a body.

A row's fields are joined into one string, ``"<first> xxfld <second>"`` (:data:`FIELD_SEP`; ``xxfld`` is the
special token with a fixed id in every vocabulary), so every part that holds texts (splits, loaders, top losses,
reports) holds one string a row. The recipe cuts that string back into its fields and tokenises each alone
(:meth:`~trainwell.text.recipe.TextRecipe.encode`): a field's words never run into the next one's, and a bag
model of a pair reads which words both sides share and which only one holds (:func:`pair_features`), what a
paraphrase or an entailment turns on more than the words themselves, and each side's own bag, pooled apart so
that its head reads their product and difference (:class:`~trainwell.text.models.NgramBag`'s ``pairs``): whether
two reviews agree is a product of their two readings, which no bag of words holds.

No torch here: the predictor, the server and the ONNX runner read a model's fields through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.errors import ConfigError, DataError
from trainwell.text.specials import FLD, SPECIAL_TOKENS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FIELD_SEP",
    "blank_mask",
    "field_parts",
    "joined",
    "model_texts",
    "pair_features",
    "text_columns",
    "texts_of_inputs",
]

#: What stands between two fields of a row's text.
FIELD_SEP = f" {FLD} "
#: The id of ``xxfld`` in every vocabulary, word or subword (the special tokens' fixed order).
FLD_ID = SPECIAL_TOKENS.index(FLD)


def text_columns(text_col: str | Sequence[str], columns: Sequence[Any] | None = None) -> list[str]:
    """The text column(s) ``text_col`` names: one name, a list of names, or names joined by commas
    (``"sentence1,sentence2"``, as ``--text`` takes them) unless a column of ``columns`` bears that whole name.

    Raises:
        ConfigError: no name, an empty one, or one named twice.
    """
    if isinstance(text_col, str):
        names = (
            [text_col]
            if "," not in text_col or (columns is not None and text_col in columns)
            else [part.strip() for part in text_col.split(",")]
        )
    else:
        names = list(text_col)
    if not names or any(not isinstance(name, str) or not name.strip() for name in names):
        raise ConfigError(
            f"text columns must be one or more column names (--text sentence1,sentence2); got {text_col!r}"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError(f"text column {twice[0]!r} is named twice in {text_col!r}; name each column once")
    return names


def joined(frame: pd.DataFrame, columns: Sequence[str], what: str = "the data") -> pd.Series:
    """One string a row: the column's texts, or the fields of several columns joined by :data:`FIELD_SEP`.

    Raises:
        DataError: a field holding ``xxfld`` itself, which would read as two fields (its column and row said).
    """
    if len(columns) == 1:
        return frame[columns[0]]
    for name in columns:
        marked = frame[name].str.contains(FLD, regex=False).to_numpy(dtype=bool)
        if marked.any():
            row = int(np.flatnonzero(marked)[0])
            raise DataError(
                f"text column '{name}' in {what} holds the word '{FLD}' (data row {row + 1}), which trainwell puts "
                f"between the fields of a row's text; replace it in that column first"
            )
    texts = frame[columns[0]].astype(str)
    for name in columns[1:]:
        texts = texts + FIELD_SEP + frame[name].astype(str)
    return texts.rename(" + ".join(columns))


def field_parts(texts: Sequence[str], n_fields: int) -> list[list[str]]:
    """The ``n_fields`` fields of each joined text, field by field: ``parts[f][i]`` is field ``f`` of text ``i``.

    Raises:
        DataError: a text that is not ``n_fields`` fields joined by :data:`FIELD_SEP` (its position said).
    """
    parts: list[list[str]] = [[] for _ in range(n_fields)]
    for position, text in enumerate(texts):
        pieces = text.split(FIELD_SEP)
        if len(pieces) != n_fields:
            raise DataError(
                f"text {position} reads as {len(pieces)} field(s), not {n_fields}: a model of {n_fields} text "
                "columns takes a table holding them, or one tuple of texts a row"
            )
        for field, piece in enumerate(pieces):
            parts[field].append(piece)
    return parts


def texts_of_inputs(inputs: Any, columns: Sequence[str]) -> Any:
    """What a predictor of several text ``columns`` was handed, as joined texts: a table holding the columns is
    joined; a tuple (or list) of one text per field is one example; a list of such tuples is one a row.
    A table is returned as it is when it lacks a column (the caller names the missing one)."""
    import pandas as pd

    names = ", ".join(columns)
    if isinstance(inputs, pd.DataFrame):
        if any(name not in inputs.columns for name in columns):
            return inputs
        blank = [name for name in columns if _blank(inputs[name])]
        if blank:
            empty = np.flatnonzero(blank_mask(inputs[blank[0]]))
            raise DataError(
                f"text column '{blank[0]}' is empty in {empty_rows(empty, len(inputs))}; a text model has nothing "
                "to read there: fill or drop those rows"
            )
        return joined(inputs, columns, "the input").tolist()
    if isinstance(inputs, str | pd.Series):
        raise DataError(
            f"this model reads {len(columns)} texts an example ({names}); pass a table with those columns, "
            f"or one tuple of {len(columns)} texts an example"
        )
    rows = [inputs] if isinstance(inputs, tuple) and all(isinstance(item, str) for item in inputs) else inputs
    texts = []
    for position, row in enumerate(rows):
        if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != len(columns):
            raise DataError(
                f"example {position} is {str(row)[:60]!r}, not {len(columns)} texts ({names}); pass one tuple of "
                f"{len(columns)} texts an example"
            )
        for field, text in zip(columns, row, strict=True):
            if not isinstance(text, str) or not text.strip():
                raise DataError(
                    f"example {position}'s {field} is {str(text)[:40]!r}, not a text; a text model has nothing to "
                    "read there: fill or drop that example"
                )
            if FLD in text:
                raise DataError(
                    f"example {position}'s {field} holds the word '{FLD}', which trainwell puts between fields; "
                    "replace it first"
                )
        texts.append(FIELD_SEP.join(row))
    return texts


def model_texts(inputs: Any, columns: Sequence[str]) -> list[str]:
    """The texts a text classifier of the input ``columns`` reads in ``inputs``, checked: one string (one text), a
    list or Series of strings, or a table holding the columns; for several columns (fields), a table holding
    them or tuples of one text a field (:func:`texts_of_inputs`), joined.

    Raises:
        DataError: a missing column, a blank text or a non-text (its column and row said).
    """
    import pandas as pd

    from trainwell.text.inputs import validate_texts

    inputs = table_of_path(inputs, columns)
    _refuse_paths(inputs)
    if len(columns) > 1:
        inputs = texts_of_inputs(inputs, columns)
    if isinstance(inputs, str):
        inputs = [inputs]
    name = "texts"
    if isinstance(inputs, pd.DataFrame):
        absent = [column for column in columns if column not in inputs.columns]
        if absent:
            from trainwell.data.io import did_you_mean

            shown = ", ".join(map(str, list(inputs.columns)[:30]))
            close = did_you_mean([absent[0]], [str(column) for column in inputs.columns])
            raise DataError(
                f"text column '{absent[0]}' not found in the input table{close}; columns are: {shown}. A column "
                f"of texts named otherwise is read with text_col= (predict --text NAME)"
            )
        inputs, name = inputs[columns[0]], f"text column '{columns[0]}' row"
    if isinstance(inputs, pd.Series):
        # A blank cell reads as NaN: said as an empty text of a data row (from 1), not as "a float".
        empty = inputs.isna().to_numpy(dtype=bool) | inputs.map(
            lambda value: isinstance(value, str) and not value.strip()
        ).to_numpy(dtype=bool)
        if empty.any():
            rows = np.flatnonzero(empty)
            where = f"text column '{inputs.name}'" if inputs.name is not None else "the texts"
            raise DataError(
                f"{where} {'is' if inputs.name is not None else 'are'} empty in {empty_rows(rows, len(inputs))}; a "
                "text model has nothing to read there: "
                "fill or drop those rows"
            )
        inputs = inputs.tolist()
    texts, _ = validate_texts(inputs, name=name, droppable=False)
    return texts


#: The empty rows :func:`empty_rows` names before it counts the rest.
ROWS_NAMED = 3


def empty_rows(rows: np.ndarray, total: int) -> str:
    """Where the input's texts are empty (``rows``: their positions, from 0; ``total``: the input's rows), named
    from 1 as data rows are.

    Example:
        >>> empty_rows(np.array([1]), 4), empty_rows(np.array([1, 2]), 4)
        ("data row 2 of the input's 4 rows", "data rows 2 and 3 of the input's 4 rows")
        >>> empty_rows(np.array([0, 4, 6, 7, 9]), 10)
        "data rows 1, 5, 7 and 2 more of the input's 10 rows"
    """
    named = [str(int(row) + 1) for row in rows[:ROWS_NAMED]]
    rest = len(rows) - len(named)
    if len(named) == 1:
        listed = f"data row {named[0]}"
    elif rest:
        listed = f"data rows {', '.join(named)} and {rest:,} more"
    else:
        listed = f"data rows {', '.join(named[:-1])} and {named[-1]}"
    return f"{listed} of the input's {total:,} row{'' if total == 1 else 's'}"


def blank_mask(column: pd.Series) -> np.ndarray:
    """Where ``column`` holds no text: missing, not a string, or spaces only."""
    blank = column.map(lambda value: not isinstance(value, str) or not value.strip())
    return (column.isna() | blank.astype(bool)).to_numpy(dtype=bool)


def _blank(column: pd.Series) -> bool:
    return bool(blank_mask(column).any())


# Salts of the three kinds of word a pair's sides may hold; kept apart from the n-gram hashes' lengths (2-5).
_SHARED, _FIRST_ONLY, _SECOND_ONLY = 11, 12, 13
# Salts of the word-blind measures of how much the sides share: counts by rarity, and the share of words in common.
_COUNTED, _OVERLAP, _WEIGHTED_OVERLAP = 21, 22, 23
_HASH_MODULUS = 2**31 - 1
_HASH_MULTIPLIER = 1_000_003
_HASH_SALT = 7_919
#: Counts of words in common (or on one side only) of a rarity are read up to this many ("4 or more").
MAX_COUNT = 4
#: The share of words in common is read in steps of a tenth.
OVERLAP_STEPS = 10


def _hashed(values: np.ndarray, salt: int) -> np.ndarray:
    return (values * _HASH_MULTIPLIER + salt * _HASH_SALT) % _HASH_MODULUS


def _thermometer(rows: np.ndarray, bases: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ``(row, base, level)``, the ids ``hash(base, 1) ... hash(base, level)``: a count or a share read
    as "at least 1", "at least 2"..., so a linear model of the bag reads more as more."""
    levels = levels.astype(np.int64)
    repeated_rows = np.repeat(rows, levels)
    steps = np.arange(int(levels.sum()), dtype=np.int64) - np.repeat(np.cumsum(levels) - levels, levels) + 1
    return repeated_rows, _hashed(np.repeat(bases, levels) * 16 + steps, 0)


def pair_features(
    first: tuple[np.ndarray, np.ndarray],
    second: tuple[np.ndarray, np.ndarray],
    n_tokens: int,
    n_buckets: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a pair, the hashed ids (``n_tokens + hash % n_buckets``) of what the two sides share, as flat
    ids and offsets (row ``i`` is ``ids[offsets[i]:offsets[i + 1]]``):

    - each word (not a special token) both sides hold, each only the first holds, each only the second holds: a
      bag of these tells a model "the second sentence drops 'not'" or "shares 'Paris'";
    - word-blind measures, which carry over to words seen in few training pairs: how many words of each rarity
      (the log2 of the word's frequency rank, the vocabulary's order) are shared or on one side only, and the
      share of the two sides' words in common (Jaccard), plain and weighted by rarity, each read as "at least
      k" steps (:func:`_thermometer`).

    ``first`` and ``second`` are each side's token ids and offsets, one entry a row.
    """
    n_rows = len(first[1]) - 1
    specials = len(SPECIAL_TOKENS)

    def keys(ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(offsets))
        kept = ids >= specials
        return np.unique(rows[kept] * n_tokens + ids[kept].astype(np.int64))

    a, b = keys(*first), keys(*second)
    shared = np.intersect1d(a, b, assume_unique=True)
    groups = [
        (shared, _SHARED),
        (np.setdiff1d(a, b, assume_unique=True), _FIRST_ONLY),
        (np.setdiff1d(b, a, assume_unique=True), _SECOND_ONLY),
    ]
    rows_of: list[np.ndarray] = []
    hashes_of: list[np.ndarray] = []
    for group, salt in groups:
        rows, words = group // n_tokens, group % n_tokens
        rows_of.append(rows)
        hashes_of.append(_hashed(words, salt))
        # how many words of each rarity: (row, rarity) counted, read as at least 1..MAX_COUNT
        rarity = np.log2(words).astype(np.int64)
        counted, counts = np.unique(rows * 64 + rarity, return_counts=True)
        thermometer_rows, thermometer_ids = _thermometer(
            counted // 64, (_COUNTED * 8 + salt) * 64 + counted % 64, np.minimum(counts, MAX_COUNT)
        )
        rows_of.append(thermometer_rows)
        hashes_of.append(thermometer_ids)
    # the share of words in common, plain and weighted by rarity
    for salt, weight in ((_OVERLAP, None), (_WEIGHTED_OVERLAP, "rarity")):

        def total(group: np.ndarray, weight: str | None = weight) -> np.ndarray:
            weights = None if weight is None else np.log2(group % n_tokens)
            return np.bincount(group // n_tokens, weights=weights, minlength=n_rows)

        union = total(a) + total(b) - total(shared)
        share = np.divide(total(shared), union, out=np.zeros(n_rows), where=union > 0)
        steps = np.floor(share * OVERLAP_STEPS + 1e-9).astype(np.int64)
        thermometer_rows, thermometer_ids = _thermometer(
            np.arange(n_rows, dtype=np.int64), np.full(n_rows, salt, dtype=np.int64), steps
        )
        rows_of.append(thermometer_rows)
        hashes_of.append(_hashed(thermometer_ids, salt))
    size = n_tokens + n_buckets
    merged = np.unique(np.concatenate(rows_of) * size + n_tokens + np.concatenate(hashes_of) % n_buckets)
    row_of = merged // size
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=n_rows), out=offsets[1:])
    return merged - row_of * size, offsets


def check_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """A recipe's ``fields``: none (one text column) or two or more column names."""
    fields = tuple(fields)
    if len(fields) == 1 or any(not isinstance(name, str) or not name for name in fields):
        raise ConfigError(f"fields must be two or more column names, or none; got {list(fields)!r}")
    return fields


#: The table files a lone string or path given as the inputs is read as (``predict("new.csv")``), not a text.
TABLE_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".parquet", ".pq", ".jsonl", ".jsonl.gz", ".ndjson")


def table_path(inputs: Any) -> str | None:
    """The path ``inputs`` names when it is one string or path naming an existing table file
    (:data:`TABLE_SUFFIXES`), else ``None`` (a list of texts is never read as paths: a served request's texts
    are texts)."""
    import os
    from pathlib import Path

    if isinstance(inputs, str):
        if len(inputs) >= 4096 or "\n" in inputs:
            return None
    elif not isinstance(inputs, os.PathLike):
        return None
    path = Path(inputs)
    try:
        found = path.name.lower().endswith(TABLE_SUFFIXES) and path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: a text
        return None
    return os.fspath(inputs) if found else None


def table_of_path(inputs: Any, columns: Sequence[str], text_col: str | Sequence[str] | None = None) -> Any:
    """``inputs`` as they are, or, when they name a table file (:func:`table_path`: ``predict("new.csv")``,
    as ``learn.validate("new.csv")`` reads it), that table: its text column(s) named ``text_col``, else as in
    training (``columns``), else found as ``text_data`` finds a column of texts, said in a note
    (:func:`~trainwell.text._text_column.found_text_col`)."""
    path = table_path(inputs)
    if path is None:
        return inputs
    from trainwell.text.table import read_text_table

    named = columns if text_col is None else [text_col] if isinstance(text_col, str) else list(text_col)
    frame = read_text_table(path, f"'{path}'", as_written=list(named))
    if text_col is not None or len(columns) != 1 or columns[0] in frame.columns:
        return frame
    from trainwell.text._text_column import found_text_col

    try:
        found = found_text_col(frame, (), None, f"'{path}'")
    except DataError:  # none, or several: the missing column is refused by name (model_texts)
        return frame
    return frame.rename(columns={found: columns[0]}) if isinstance(found, str) else frame


def _refuse_paths(inputs: Any) -> None:
    """A path given where texts go, other than a table file's (read by :func:`table_of_path`): a
    :class:`~pathlib.Path` is refused (read as a text it would be its own name); a lone string naming an existing
    file or folder is predicted as the text it is, with a warning, since a short text may well look like a path."""
    import os
    from pathlib import Path

    from trainwell.core.warn import warn

    fix = (
        "read a folder's .txt files with trainwell.text.read_text_files(path) and pass list(texts.values()), or "
        "run trainwell predict MODEL PATH, which reads files, folders and fastText files (a table file, .csv .tsv "
        ".parquet .jsonl, is read as a table of texts)"
    )
    if isinstance(inputs, os.PathLike):
        raise DataError(f"predict reads texts, and got the path {os.fspath(inputs)!r}: {fix}")
    if (
        isinstance(inputs, str)
        and len(inputs) < 4096
        and "\n" not in inputs
        and (os.sep in inputs or Path(inputs).suffix in (".txt", ".csv", ".tsv", ".gz", ".parquet"))
        and Path(inputs).exists()
    ):
        kind = "folder" if Path(inputs).is_dir() else "file"
        warn(
            f"the text {inputs!r} names an existing {kind}: it was predicted as a text, not read; to read it, {fix}"
        )
