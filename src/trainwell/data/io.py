"""Reading tables from disk, with one clear error line for each way a data file can be unusable.

:func:`read_table` picks the reader from the file name (``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``, ``.json``,
each optionally ``.gz``-compressed; anything else is read as CSV), strips stray whitespace from column names and
text values, and reads ``'?'`` as missing on top of pandas' own missing-value markers. :func:`check_columns`
checks that the columns a user named exist before any work starts.
"""

from __future__ import annotations

import codecs
import gzip
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, cast

import numpy as np
import pandas as pd

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.missing_texts import PANDAS_MISSING_TEXTS
from trainwell.core.text_encoding import check_encoding, check_encoding_errors
from trainwell.core.warn import Note, warn
from trainwell.data._bad_lines import (
    BINARY_SNIFF,
    BadLine,
    bad_json_file,
    bad_json_line,
    bad_table_line,
    binary_bytes,
)
from trainwell.data.dates import data_row

__all__ = [
    "DEFAULT_NA_VALUES",
    "check_column_roles",
    "check_columns",
    "check_encoding",
    "check_encoding_errors",
    "described_table",
    "list_columns",
    "marked_encoding",
    "read_table",
    "undecodable_error",
]

#: The end of every "not <encoding> text" error where the bytes, not the encoding given, are the mistake.
READ_ANYWAY = (
    'or read such bytes as U+FFFD with --encoding-errors replace (Python: encoding_errors="replace")'
)

#: Extra strings read as missing, on top of pandas' defaults ('', 'NA', 'N/A', 'NaN', 'nan', 'null', ...).
#: UCI files such as Adult write a missing value as '?'.
DEFAULT_NA_VALUES: tuple[str, ...] = ("?",)

# The words a CLI flag stands for in "<what> column 'x' not found ..." messages.
_FLAG_WORDS = {
    "--target": "target",
    "--valid-col": "validation",
    "--cat-names": "categorical",
    "--cont-names": "continuous",
    "--ignore": "ignored",
    "--weight-col": "weight",
    "--user": "user",
    "--item": "item",
    "--time": "time",
    "--date-format": "date",
}
#: How to name a column on the command line, where it is not ``--flag NAME``.
_FLAG_FORMS = {
    "--date-format": "--date-format NAME=FORMAT",
    # The command line's --time is the training budget: interactions' times come from a column's name there.
    "--time": "the column that orders the interactions (the command line reads one named timestamp, time, date...)",
}
# Delimiters tried when the one implied by the extension leaves the whole header in a single column.
# "::" is MovieLens 1M's and 10M's (ratings.dat: 1::1193::5::978300760), read by pandas' Python parser.
_OTHER_DELIMITERS = (";", "\t", "|", ",", "::")
#: How a predictor's errors name rows given in memory (a DataFrame, dicts); rows it read from a file go by the
#: file's path (:func:`trainwell.data.tables.rows_source`).
INPUT_ROWS = "the input rows"
_MAX_LISTED_COLUMNS = 30
_SNIFFED_LINES = 5
# A number written with a decimal comma, optionally with dots between thousands: 0,25 or -1.234,5 (or 1.234).
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+)(?:,\d+)?")
# A number written with a currency sign, commas between thousands or a percent sign: $3,221.11, 1,200, 20.5%.
_MARKED_NUMBER = re.compile(
    r"[+-]?(?:[$€£¥]\s?)?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?(?:\s?[$€£¥])?%?|[+-]?\.\d+%?"
)
_MARKS = re.compile(r"[$€£¥%,]")
# A column name pandas gave the second of two columns named alike: "a.1".
_MANGLED = re.compile(r".+\.\d+")
_SCAN_CHUNK = 1 << 20
# Bytes looked at to tell UTF-8 text from cp1252/Latin-1 text, and codecs that read any Unicode text.
_SNIFF_BYTES = 4 << 20
_UNICODE = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


def read_table(
    path: str | Path,
    *,
    names: Sequence[str] | None = None,
    na_values: Sequence[str] = DEFAULT_NA_VALUES,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    pandas_na: bool = True,
    as_written: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or JSON-lines file into a DataFrame.

    The format comes from the file name: ``.csv`` (comma), ``.tsv`` (tab), ``.parquet``, ``.jsonl``/``.ndjson``
    (one JSON object a line) and ``.json`` (a JSON table), each of the text formats optionally ending in
    ``.gz``. Any other name is read as CSV. When a CSV's header comes out as one column holding ``;``, tab or
    ``|``, the file is read again with that delimiter.

    Whitespace around column names and text values is removed (Adult writes ``' <=50K'``); a text column whose
    values are then all numbers becomes numeric.

    Args:
        path: The file to read.
        names: Column names for a file without a header row; ``None`` means the first row is the header.
        na_values: Strings read as missing in addition to pandas' defaults (``''``, ``'NA'``, ``'NaN'``,
            ``'null'``, ...). The default adds ``'?'``; pass ``()`` to keep only pandas' list.
        encoding: Text encoding of CSV, TSV and JSON files, e.g. ``"cp1252"`` for a table Excel saved on
            Windows. Never guessed: a file that is not in it fails with the line of the first bad byte. A UTF-8
            byte-order mark is accepted.
        encoding_errors: ``"strict"`` stops at a byte ``encoding`` cannot decode; ``"replace"`` reads it as
            U+FFFD (the values holding it then match no training value that was read right).
        pandas_na: ``False`` reads only empty cells and ``na_values`` as missing in a CSV or TSV, not pandas'
            markers: a label ``NA`` (North America) or ``None`` stays text.
        as_written: Columns of a CSV or TSV kept as the text written (stripped), never read as numbers: a
            multi-label target of ids ``0,1`` (``label_delim=","``), which a TSV's decimal commas read as 0.1.

    Returns:
        The table, with at least one row.

    Raises:
        ConfigError: ``encoding`` is not a text encoding Python knows, or ``encoding_errors`` is neither
            ``"strict"`` nor ``"replace"``.
        DataError: The file is missing, is a directory, is an archive (``.tgz``, ``.zip``) or a spreadsheet
            workbook, is not ``encoding`` text, cannot be parsed, or has no data rows.

    Example:
        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = file.write_text("a, b\\n1, x \\n?, y\\n")
        >>> read_table(file).to_dict("list")
        {'a': [1.0, nan], 'b': ['x', 'y']}
    """
    check_encoding(encoding)
    check_encoding_errors(encoding_errors)
    path = Path(path)
    shown = str(path)
    path = _need_file(path, "data file", "a .csv, .tsv or .parquet file")
    kind = _kind_of(path)
    if names is not None and kind in ("json", "jsonl"):
        raise ConfigError(
            f"'{path}' is JSON, whose rows name their own fields; --names (Python: names=) is for CSV or TSV "
            "files without a header row: drop it"
        )
    if kind not in ("parquet", "excel"):
        _refuse_misnamed(path, shown, kind)
        encoding = marked_encoding(path, encoding, shown)
    described = None if names is not None else _described(Path(shown), path, encoding)
    if described is not None:
        names = described.names
    try:
        table = _read(path, kind, names, list(na_values), encoding, encoding_errors, pandas_na, as_written)
    except pd.errors.EmptyDataError:
        raise DataError(f"'{shown}' has no data rows") from None
    except BadLine as bad:  # as every data file's error: the file, its line, what is wrong and the fix
        raise DataError(f"{shown}, {bad}") from None
    except UnicodeDecodeError as error:
        raise undecodable_error(path, encoding, error) from None
    except (pd.errors.ParserError, gzip.BadGzipFile, zlib.error, EOFError, tarfile.TarError) as error:
        label = {"tsv": "TSV", "parquet": "Parquet", "json": "JSON", "jsonl": "JSON lines"}.get(kind, "CSV")
        fix = "check that it is a Parquet file" if kind == "parquet" else "check the delimiter and encoding"
        if isinstance(error, (gzip.BadGzipFile, zlib.error, EOFError, tarfile.TarError)):
            # The compression, not the table: a download or copy cut short, or a file that is not what it is named.
            fix = "the file is cut short or not the archive its name says; download or copy it again"
        raise DataError(f"could not read '{shown}' as {label}: {_short_reason(error)}; {fix}") from None
    except (ValueError, OSError, TypeError) as error:
        # pyarrow's ArrowInvalid is a ValueError; pandas' JSON reader raises plain ValueErrors (a TypeError for a
        # line holding a list).
        if kind not in ("parquet", "json", "jsonl"):
            raise
        label = {"parquet": "Parquet", "json": "JSON", "jsonl": "JSON lines"}[kind]
        found = (
            bad_json_line(path, encoding)
            if kind == "jsonl"
            else bad_json_file(path, encoding)
            if kind == "json"
            else None
        )
        if found is not None:  # pandas names a byte ("at position 36"); an editor shows lines
            raise DataError(f"{shown}, {found[0]}: {found[1]}") from None
        raise DataError(
            f"could not read '{shown}' as {label}: {_short_reason(error)}; check the file"
        ) from None
    if len(table) == 0:
        raise DataError(f"'{shown}' has no data rows")
    if (
        kind not in ("parquet", "excel")
        and codecs.lookup(encoding).name not in _UNICODE
        and _is_utf8_text(path)
    ):
        warn(
            f"'{shown}' is UTF-8 text with accents or symbols, read here as {encoding}: they come out wrong "
            "('é' as 'Ã©') and no longer match the training values; drop --encoding",
            UserWarning,
        )
    # A padded marker (' NaN ', quoted) is missing once stripped, as pandas reads the bare one (pandas_na=False:
    # only the given markers); serve reads a row's ' NaN ' so too.
    markers = set(na_values) | {""} | (PANDAS_MISSING_TEXTS if pandas_na else set())
    table = _marked_numbers(_tidy(table, markers, shown), shown)
    table = _text_again(table, as_written)
    if names is None and kind in ("csv", "tsv"):
        _say_unnamed(table, shown)
    if described is not None:  # kept by a model fitted on it, so predict names a new file's columns alike
        table.attrs["header_names"] = list(described.names)
    return table


#: Byte-order marks of UTF-32 and UTF-16 text (UTF-32's first: it starts as UTF-16's little-endian one does).
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def marked_encoding(path: Path, encoding: str, shown: str | Path) -> str:
    """The encoding to read ``path`` with: ``"utf-16"`` (or ``"utf-32"``) when it starts with that encoding's
    byte-order mark and ``encoding`` is UTF-8, the default, said in a note; else ``encoding``. The mark says what
    the text is as surely as a UTF-8 one, read without a word, does (Excel's "Unicode Text" and pandas'
    ``to_csv(encoding="utf-16")`` write it); read as UTF-8, every other byte of such a file is NUL. An encoding
    given otherwise is kept: the user chose it."""
    if codecs.lookup(encoding).name != "utf-8":
        return encoding
    try:
        with _open_bytes(path) as stream:
            start = stream.read(4)
    except (OSError, EOFError, zlib.error):
        return encoding  # the read proper says what is wrong
    marked = next((codec for mark, codec in _BYTE_ORDER_MARKS if start.startswith(mark)), None)
    if marked is None:
        return encoding
    warn(f"'{shown}' is {marked.upper()} text (its byte-order mark says so): read as {marked.upper()}", Note)
    return marked


def _say_unnamed(table: pd.DataFrame, shown: str) -> None:
    """Warn of a header cell left empty past the first column, which pandas names ``Unnamed: N`` (the first
    column's is usually the index pandas saved beside the data, and says nothing)."""
    unnamed = [
        (position, str(column))
        for position, column in enumerate(table.columns)
        if position > 0 and re.fullmatch(r"Unnamed: \d+", str(column))
    ]
    # A first row that reads as data (MovieLens' u.item, no header row) has empty values, not unnamed columns:
    # the reader that finds so (or the missing column it names) says what to do.
    if unnamed and not looks_like_data(table.columns):
        position, column = unnamed[0]
        more = f" (and {len(unnamed) - 1} more)" if len(unnamed) > 1 else ""
        warn(
            f"column {position + 1} of '{shown}' has no name in the header row{more}: read as '{column}'; name it "
            "in the file's first line to use a name of your own"
        )


def described_table(given: str | Path, encoding: str = "utf-8", path: str | Path | None = None) -> Any:
    """The columns a C4.5 ``.names`` file beside ``given`` declares for it (UCI's ``adult.names`` for
    ``adult.data``: :func:`~trainwell.data.documented.described_columns`), when its first row is data (it names
    none of them) as wide as they are; else ``None``. ``path`` is the file to read, when not ``given`` (an archive
    member unpacked)."""
    from trainwell.data.documented import described_columns

    if _kind_of(Path(given)) != "csv":
        return None
    described = described_columns(given)
    row = first_row(path or given, encoding) if described is not None else None
    if described is None or row is None or len(row.fields) != len(described.names):
        return None
    return None if set(row.fields) & set(described.names) else described  # else it has a header row


def _described(given: Path, path: Path, encoding: str) -> Any:
    """:func:`described_table`, said in a :class:`~trainwell.core.warn.Note` (the documented reading)."""
    described = described_table(given, encoding, path)
    if described is not None:
        warn(
            f"'{given}' has no header row: its columns are {described.summary()}; pass --names (Python: names=) "
            "to name them otherwise",
            Note,
        )
    return described


def _python_name(flag: str) -> str:
    """The keyword a Python call takes for the command-line option ``flag``: ``--valid-col`` is ``valid_col``
    (``--date-format`` is ``date_formats``)."""
    return {"--date-format": "date_formats"}.get(flag, flag.lstrip("-").replace("-", "_"))


def check_columns(df: pd.DataFrame, names: str | Sequence[str], source: str, flag: str) -> None:
    """Raise a :class:`DataError` unless every name in ``names`` is a column of ``df``.

    Args:
        df: The table to look in.
        names: One column name or several.
        source: How to call the table in the message, usually its file name.
        flag: The command-line option the names came from (``--target``, ``--valid-col``, ``--cat-names``...);
            it picks the wording and the fix.

    Raises:
        DataError: For example ``target column 'price' not found in train.csv; columns are: a, b, c.
            Pass --target NAME.``
    """
    wanted = [names] if isinstance(names, str) else list(names)
    columns = [str(column) for column in df.columns]
    missing = [name for name in wanted if name not in columns]
    if not missing:
        return
    one_column = one_column_error(columns, missing, source)
    if one_column is not None:
        raise DataError(one_column)
    word = _FLAG_WORDS.get(flag, "")
    noun = "column" if len(missing) == 1 else "columns"
    what = f"{word} {noun}" if word else noun
    quoted = ", ".join(f"'{name}'" for name in missing)
    headerless = (
        " Its first row reads as data, not column names: if the file has no header row, name its columns "
        f"(--names {placeholder_names(len(columns))}; Python: names=)."
        if looks_like_data(columns)
        else ""
    )
    raise DataError(
        f"{what} {quoted} not found in {source}{did_you_mean(missing, columns)}; columns are: "
        f"{list_columns(columns)}. Pass "
        f"{_FLAG_FORMS.get(flag, f'{flag} NAME')} (Python: {_python_name(flag)}=).{headerless}"
    )


def one_column_error(columns: Sequence[str], missing: Sequence[str], source: str) -> str | None:
    """The error for a table read as one column whose name holds the ``missing`` names between the same
    characters (``'age city income y'``): a file whose delimiter is not one the reader knows (spaces, ``:``), where
    "columns are: age city income y" read as four columns found and one missing; else ``None``. Rows a predictor
    was given in memory (``source`` :data:`INPUT_ROWS`) were read by the caller: it is told how to split them."""
    if len(columns) != 1:
        return None
    name = columns[0]
    runs = re.findall(r"[^\w.\-'\"]+", name)
    if not runs:
        return None
    spaced = all(not run.strip() for run in runs)  # spaces, aligned or single, or tabs in a .csv
    delimiter = max(set(runs), key=runs.count)
    parts = name.split() if spaced else name.split(delimiter)
    if len(parts) < 2 or not any(wanted in [part.strip() for part in parts] for wanted in missing):
        return None
    said = "spaces" if spaced else repr(delimiter)
    if source == INPUT_ROWS:  # a DataFrame of a space-delimited file read on commas: no file of ours to name
        split = "sep=r'\\s+'" if spaced else f"sep={delimiter!r}"
        return (
            f"{source} hold one column ({name[:60]!r}), the column names between {said}: split it into columns "
            f"(pandas.read_csv(path, {split}) reads such a file), or pass the path of the file re-saved with "
            "commas or tabs"
        )
    return (
        f"{source} was read as one column ({name[:60]!r}): its delimiter ({said}) is not one of , ; tab | ::; "
        "re-save it with commas or tabs"
    )


def did_you_mean(missing: Sequence[str], columns: Sequence[str], needed: Collection[str] = ()) -> str:
    """``" (did you mean 'Income'?)"`` for a missing name that is a column's but for case, spaces, ``-`` or ``_``,
    or close to one column's spelling; else nothing. ``needed``: the names read as themselves (the model's other
    inputs), never offered for the missing one: ``education`` missing beside the input ``education-num`` is not
    told to rename it."""
    import difflib

    def plain(name: str) -> str:
        return "".join(char for char in name.casefold() if char.isalnum())

    columns = [column for column in columns if column not in needed]
    name = missing[0]
    alike = [column for column in columns if plain(column) == plain(name)]
    close = alike or difflib.get_close_matches(name, columns, n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def labelled_examples(
    frame: pd.DataFrame,
    names: Sequence[str],
    source: str,
    method: str,
    targets: str,
    unit: str,
    label_delim: str | None,
) -> tuple[pd.DataFrame, bool]:
    """New examples' rows for ``method`` (``learn.validate``...) and whether their targets ``names`` are read:
    ``targets`` ``"required"`` (scores: a table without them is refused, in one line), ``"optional"`` (read when
    the table holds them) or ``"none"``. Rows missing their target are left out with :func:`labelled_rows`'
    warning; ``unit`` names them (``rows``, ``texts``)."""
    absent = [column for column in names if column not in frame.columns]
    unlabelled = bool(absent) or bool(frame[list(names)].isna().all().all())
    if targets == "required" and unlabelled:
        what = "target" if unit == "rows" else "label"
        said = (
            f"no {what} column {', '.join(map(repr, absent))}"
            if absent
            else f"no value of {', '.join(names)}"
        )
        raise DataError(
            f"{method}: {source} holds {said} (its columns: {list_columns([str(c) for c in frame.columns])}); scores "
            f"need the answers: learn.get_preds({unit}) or learn.predict({unit}) predict {unit} without them"
        )
    known = targets != "none" and not unlabelled
    if known:
        kept = labelled_rows(
            frame, names, source, label_delim=label_delim, left_out_of=f"{method}'s {unit}, in order"
        )
        frame = frame[kept.to_numpy()]
    return frame, known


def labelled_rows(
    df: pd.DataFrame,
    names: str | Sequence[str],
    source: str | Path,
    *,
    label_delim: str | None = None,
    left_out_of: str = "training and validation",
) -> pd.Series:
    """Which rows of ``df`` hold every target column in ``names`` (a blank text is as missing as an empty cell),
    as a boolean Series; when some do not, a warning says how many rows are left out and why.

    A row without its answer cannot train or judge a model, and filling one in is rarely right: the rows still to
    be labelled (a table labelled as it goes, Kaggle's train and test joined) are for ``trainwell predict``.
    Labels separated by ``label_delim`` read an empty cell as a row with no label, which is kept. When no row
    holds a target, every row is kept for the task inference to refuse the column by name. ``left_out_of``: what
    the warning says the rows are left out of."""
    wanted = [names] if isinstance(names, str) else list(names)
    present = pd.Series(True, index=df.index)
    if label_delim is not None:
        return present
    for name in wanted:
        column = df[name]
        blank = column.map(lambda value: isinstance(value, str) and not value.strip()).astype(bool)
        present &= ~(column.isna() | blank)
    missing = int((~present).sum())
    if missing == 0 or missing == len(df):
        return pd.Series(True, index=df.index)
    what = f"target '{wanted[0]}' is" if len(wanted) == 1 else f"targets {', '.join(wanted)} are"
    first = int(np.flatnonzero(~present.to_numpy())[0])
    delimited = any(
        isinstance(value, str) and any(mark in value for mark in LABEL_MARKS)
        for name in wanted
        for value in df[name][present].head(1000)
    )
    warn(
        f"{what} missing in {missing:,} of {len(df):,} rows of {source} (the first: {data_row(present, first)}): those "
        f"rows are left out of {left_out_of}; trainwell predict answers them"
        + (
            " (several labels a row, where an empty cell means none? pass --label-delim; Python: label_delim=)"
            if delimited
            else ""
        ),
        UserWarning,
    )
    return present


#: What separates several labels in one cell ('drama|comedy'), for labelled_rows' hint.
LABEL_MARKS = ("|", ";")


def check_test_targets(df: pd.DataFrame, names: str | Sequence[str], source: str | Path | None) -> None:
    """Raise a :class:`DataError` unless the test table ``df`` holds every target column in ``names``.

    A test set measures the model on rows whose answers are known; a table of rows to be answered (Kaggle's
    ``test.csv``, without its label column) is for ``trainwell predict``, and the message says so. ``source``
    is the file the table came from, or None for a DataFrame.
    """
    wanted = [names] if isinstance(names, str) else list(names)
    columns = [str(column) for column in df.columns]
    missing = [name for name in wanted if name not in columns]
    if not missing:
        return
    noun = "target column" if len(missing) == 1 else "target columns"
    quoted = ", ".join(f"'{name}'" for name in missing)
    if source is None:
        where, fix = (
            "the test DataFrame",
            "fit without test=, then call learn.predict(rows) or trainwell.load(MODEL_DIR).predict(rows)",
        )
    else:
        where, fix = (
            f"the test data {source}",
            f"fit without --test, then run: trainwell predict MODEL_DIR {source} (Python: "
            "trainwell.load(MODEL_DIR).predict(rows))",
        )
    raise DataError(
        f"{where} has no {noun} {quoted} (its columns: {list_columns(columns)}): a test set measures the model "
        f"on rows whose answers are known. To answer these rows instead, {fix}"
    )


def check_column_roles(df: pd.DataFrame, roles: Mapping[str, Sequence[str]], source: str) -> None:
    """Check that every named column exists, has a text name, and has only one role.

    Args:
        df: The table to look in.
        roles: Column names by the command-line option that names them, e.g.
            ``{"--target": ["y"], "--cat-names": ["city"], "--ignore": []}``.
        source: How to call the table in messages.

    Raises:
        DataError: The table has non-text column names, or a named column is absent.
        ConfigError: A column is named under two options.
    """
    not_text = [repr(name) for name in df.columns if not isinstance(name, str)]
    if not_text:
        raise DataError(
            f"column names of {source} must be text, got {', '.join(not_text[:5])}; name the columns "
            "(e.g. read_table(path, names=[...]))"
        )
    for flag, names in roles.items():
        check_columns(df, names, source, flag)
    seen: dict[str, str] = {}
    for flag, names in roles.items():
        for name in names:
            if name in seen:
                raise ConfigError(f"column '{name}' is in both {seen[name]} and {flag}; give it one role")
            seen[name] = flag


def undecodable_error(path: str | Path, encoding: str, error: UnicodeDecodeError | None = None) -> DataError:
    """The one-line error for a file that is not ``encoding`` text: where its first bad byte is, and the fix.

    The position in ``error`` is relative to whatever chunk the reader was decoding, so the file is scanned
    again to find the line (1-based) of the first byte ``encoding`` cannot read.

    Args:
        path: The file (``.gz`` files are scanned decompressed).
        encoding: The encoding it was read with.
        error: The reader's error, used for the byte when the scan finds nothing (a reader that decodes
            differently).

    Returns:
        For example ``'sales.csv' is not utf-8 text (byte 0xe9 on line 3); pass --encoding cp1252
        (Windows/Excel) or --encoding latin-1 (Python: encoding="cp1252"); or read such bytes as U+FFFD with
        --encoding-errors replace (Python: encoding_errors="replace")``.
    """
    path = Path(path)
    if not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        binary = binary_file_error(_scan(path)[:BINARY_SNIFF], path)
        if binary is not None:  # no --encoding reads it: latin-1, offered, read its bytes as garbage
            return binary
    found = _first_undecodable(path, encoding)
    if found is not None:
        where = f"byte 0x{found[1]:02x} on line {found[0]}"
    elif (
        error is not None and isinstance(error.object, bytes | bytearray) and error.start < len(error.object)
    ):
        where = f"byte 0x{error.object[error.start]:02x}"
    else:
        where = "a byte it cannot decode"
    fix = _encoding_fix(path, encoding)
    if not fix.startswith("the file is UTF-8"):  # else the encoding given is the mistake, not the bytes
        fix += f"; {READ_ANYWAY}"
    return DataError(f"'{path}' is not {encoding} text ({where}); {fix}")


def binary_file_error(start: bytes, shown: str | Path) -> DataError | None:
    """The error for a file whose first bytes ``start`` are a binary file's (:func:`binary_bytes`: a NUL byte, or
    many control codes), read as text; ``None`` for text. NUL bytes in every other place are UTF-16 text's,
    without the byte-order mark that would have said so: then the fix is ``--encoding utf-16``."""
    found = binary_bytes(start)
    if found is None:
        return None
    line, what = found
    nuls = start.count(b"\x00")
    odd = start[1::2].count(0)  # ASCII in UTF-16-LE: "a\0b\0"
    order = "le" if odd > 0.9 * nuls else "be" if nuls - odd > 0.9 * nuls else None
    fix = "pass a text file"
    if nuls >= len(start) // 3 and order is not None:
        fix = (
            f"if it is UTF-16 text without a byte-order mark, pass --encoding utf-16-{order} (Python: "
            f'encoding="utf-16-{order}"); else {fix}'
        )
    return DataError(f"{shown}, line {line}: {what}: the file is binary, not text; {fix}")


def _encoding_fix(path: Path, encoding: str) -> str:
    """What to pass instead of ``encoding``, from what the file's bytes allow.

    UTF-8 text first (then the fix is to drop the option). Latin-1 reads any byte, so it is offered only when
    it reads the file as cp1252 does: when no byte falls in 0x80-0x9F, where cp1252 has characters (curly
    quotes, the euro sign) and Latin-1 control codes.
    """
    codec = codecs.lookup(encoding).name
    if codec not in _UNICODE and _is_utf8_text(path):
        return "the file is UTF-8 text: drop --encoding (Python: leave encoding at its default)"
    if codec != "cp1252" and _first_undecodable(path, "cp1252") is None:
        if _has_c1_bytes(path):
            return 'pass --encoding cp1252 (Windows/Excel; Python: encoding="cp1252")'
        return 'pass --encoding cp1252 (Windows/Excel) or --encoding latin-1 (Python: encoding="cp1252")'
    return 'pass --encoding latin-1 (Python: encoding="latin-1")'


def _need_file(path: Path, what: str, kinds: str) -> Path:
    """The file to read for ``path``: refused in one line when it does not exist or is a folder (``what`` names
    the file, ``"data file"``; ``kinds`` what to pass instead of a folder, ``"a text file"``) or a workbook that
    cannot be read; an archive's one file, unpacked into the cache (Kaggle's ``train.csv.zip``)."""
    from trainwell.core.archives import member_names, unpacked
    from trainwell.core.paths import is_table_file

    # An address: its file, downloaded once; an archive (Kaggle's train.csv.zip): what it holds, unpacked once.
    inside = Path(unpacked(path))
    if inside != path and inside.is_dir():
        tables = sorted(  # the training table first (Kaggle's train.csv beside test.csv)
            (entry for entry in inside.rglob("*") if is_table_file(entry) and entry.is_file()),
            key=lambda entry: ("train" not in entry.name.lower(), entry),
        )
        example = f", e.g. '{tables[0]}'" if tables else ""
        raise DataError(
            f"{what} '{path}' is an archive of {member_names(inside)}, unpacked into '{inside}': pass the "
            f"file to read{example}"
        )
    if inside != path:
        return inside
    if not path.exists():
        raise DataError(f"{what} '{path}' not found; check the path")
    if path.is_dir():
        tables = sorted(  # the training table first (Kaggle's titanic/: train.csv beside test.csv)
            (entry for entry in path.iterdir() if is_table_file(entry) and entry.is_file()),
            key=lambda entry: ("train" not in entry.name.lower(), entry.name),
        )
        held = (
            f": it holds {', '.join(entry.name for entry in tables[:5])}, e.g. pass '{tables[0]}'"
            if tables
            else ""
        )
        raise DataError(f"{what} '{path}' is a directory, not a file; pass the path of {kinds}{held}")
    refused = workbook_error(path, what)
    if refused is not None:
        raise refused
    return path


#: Workbooks read (their first sheet), each ending with the module pandas reads it with and the package that
#: holds it, all in the optional extra trainwell[excel]: Excel's .xlsx/.xlsm and old .xls, and OpenDocument's .ods.
WORKBOOK_ENGINES = {
    ".xlsx": ("openpyxl", "openpyxl"),
    ".xlsm": ("openpyxl", "openpyxl"),
    ".xls": ("calamine", "python-calamine"),  # pandas' xlrd engine is deprecated
    ".ods": ("odf", "odfpy"),
}
WORKBOOK_SUFFIXES = tuple(WORKBOOK_ENGINES)


def _workbook_ending(path: Path) -> str | None:
    name = path.name.lower()
    return next((ending for ending in WORKBOOK_SUFFIXES if name.endswith(ending)), None)


def workbook_error(path: Path, what: str = "data file", *, writing: bool = False) -> DataError | None:
    """The error for a spreadsheet workbook that cannot be read (or, ``writing``, written): its reader not
    installed (openpyxl, python-calamine or odfpy: trainwell[excel]), or an old ``.xls`` to write; ``None`` for any other
    file, and for a workbook that can be."""
    import importlib.util

    ending = _workbook_ending(path)
    if ending is None:
        return None
    if writing and ending == ".xls":
        return DataError(
            f"{what} '{path}': the old Excel format .xls is read, not written; name the file .xlsx"
        )
    module, package = WORKBOOK_ENGINES[ending]
    if importlib.util.find_spec("python_calamine" if module == "calamine" else module) is None:
        kind = "an OpenDocument spreadsheet" if ending == ".ods" else "an Excel workbook"
        return DataError(
            f"{what} '{path}' is {kind}, and {'writing' if writing else 'reading'} one needs {package}, which is "
            f"not installed: pip install {package} (or trainwell[excel]), or save the sheet as CSV"
        )
    return None


def read_text_file(path: str | Path, *, encoding: str = "utf-8", encoding_errors: str = "strict") -> str:
    """A whole text file (``.gz`` decompressed) decoded from ``encoding``; a UTF-8 byte-order mark is dropped.

    Raises:
        ConfigError: ``encoding`` or ``encoding_errors`` is not one Python knows.
        DataError: The file is missing, a folder, unreadable or a broken ``.gz``; or a byte ``encoding`` cannot decode (with
            ``encoding_errors="strict"``): the file, line and byte, and the ``--encoding`` to pass (or
            ``--encoding-errors replace``).
    """
    check_encoding(encoding)
    check_encoding_errors(encoding_errors)
    shown = Path(path)
    path = _need_file(shown, "text file", "a text file")
    try:
        with _open_bytes(path) as stream:
            raw = stream.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DataError(
            f"text file '{path}' is not a complete gzip file ({error}); decompress it again, or drop the .gz suffix "
            "if it is plain text"
        ) from None
    except PermissionError:
        raise DataError(f"text file '{path}' cannot be read: permission denied; make it readable") from None
    encoding = marked_encoding(path, encoding, shown)
    if not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):  # their text holds NUL bytes
        refused = binary_file_error(raw[:BINARY_SNIFF], shown)
        if refused is not None:  # any encoding, even Latin-1 that reads every byte, would read garbage
            raise refused
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return raw.decode(codec, errors=encoding_errors)
    except UnicodeDecodeError as error:  # its last words already say --encoding-errors replace
        raise undecodable_error(path, encoding, error) from None


def _open_bytes(path: Path) -> IO[bytes]:
    """A data file's bytes, decompressed when its name ends in ``.gz``."""
    stream = gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")  # noqa: SIM115
    return cast(IO[bytes], stream)


def _scan(path: Path) -> bytes:
    """The first :data:`_SNIFF_BYTES` of a file (decompressed for ``.gz``), for guessing what its text is."""
    try:
        with _open_bytes(path) as stream:
            return bytes(stream.read(_SNIFF_BYTES))
    except (OSError, EOFError, zlib.error):
        return b""


def _is_utf8_text(path: Path) -> bool:
    """Whether the file's start is valid UTF-8 holding characters beyond ASCII (real cp1252 or Latin-1 text
    with accents is practically never valid UTF-8)."""
    data = _scan(path)
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(data) - 3  # only a character cut by the scan's end
    return True


def _has_c1_bytes(path: Path) -> bool:
    return any(0x80 <= byte <= 0x9F for byte in _scan(path))


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """``(line, byte)`` of the first byte of ``path`` that ``encoding`` cannot decode, or ``None``.

    Reads the file in chunks, so a large file is never held in memory for an error message.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    try:
        with _open_bytes(path) as stream:
            while True:
                chunk = stream.read(_SCAN_CHUNK)
                # A multi-byte character cut by the chunk's end waits in the decoder: positions in its error
                # count from the start of those pending bytes, whose line breaks were counted already.
                pending = decoder.getstate()[0]
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as error:
                    data = pending + chunk
                    before = line - pending.count(b"\n") + data.count(b"\n", 0, error.start)
                    return before, data[error.start]
                if not chunk:
                    return None
                line += chunk.count(b"\n")
    except (OSError, EOFError, zlib.error):
        return None


def list_columns(columns: Sequence[str]) -> str:
    """Join column names for a message, cut after the first thirty."""
    shown = ", ".join(str(column) for column in columns[:_MAX_LISTED_COLUMNS])
    if len(columns) > _MAX_LISTED_COLUMNS:
        shown += f", ... ({len(columns)} in all)"
    return shown


def _kind_of(path: Path) -> str:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    kinds = {
        ".tsv": "tsv",
        ".tab": "tsv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".arrow": "parquet",
        ".json": "json",
    }
    kinds.update(dict.fromkeys(WORKBOOK_SUFFIXES, "excel"))
    return kinds.get(last, "jsonl" if last in (".jsonl", ".ndjson") else "csv")


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` in the format its name says, as :func:`read_table` reads it back: ``.csv`` (and any other
    name), ``.tsv``, ``.parquet``, ``.jsonl`` (one object a line) or ``.json`` (a list of row objects), the text
    formats gzipped when the name ends in ``.gz``. UTF-8; written atomically (the old file or the new one).

    Raises:
        DataError: A Parquet name without pyarrow installed.
    """
    from trainwell.core.atomic import write_atomic

    path = Path(path)
    kind = _kind_of(path)
    if kind == "excel":  # a sheet Excel (or LibreOffice: .ods) opens as it is (trainwell[excel])
        refused = workbook_error(path, "--out", writing=True)
        if refused is not None:
            raise refused
        engine = WORKBOOK_ENGINES[_workbook_ending(path) or ".xlsx"][0]
        return write_atomic(path, lambda stream: table.to_excel(stream, index=False, engine=engine))
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401  (pandas needs it for Parquet)
        except ImportError:
            raise DataError(
                f"writing Parquet file '{path}' needs pyarrow, which is not installed; run: pip install pyarrow, "
                "or name the file .csv"
            ) from None
        return write_atomic(path, lambda stream: table.to_parquet(stream, index=False))
    if kind in ("json", "jsonl"):
        text = table.to_json(orient="records", lines=kind == "jsonl", force_ascii=False)
        # pandas escapes every "/" ("Mary\/PER"): valid JSON, but not what a reader expects to see. Each "\/"
        # is such an escape (a backslash of the data is itself escaped, "\\"), so the plain "/" reads the same.
        text = text.replace("\\/", "/")
    else:
        text = table.to_csv(index=False, sep="\t" if kind == "tsv" else ",")
    data = text.encode("utf-8")
    if path.suffix.lower() == ".gz":
        data = gzip.compress(data, mtime=0)
    return write_atomic(path, lambda stream: stream.write(data))


def _read(
    path: Path,
    kind: str,
    names: Sequence[str] | None,
    na_values: list[str],
    encoding: str,
    errors: str,
    pandas_na: bool = True,
    as_written: Sequence[str] = (),
) -> pd.DataFrame:
    if kind == "excel":
        try:
            return read_workbook(path, names, na_values, keep_default_na=pandas_na)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:  # openpyxl's, for a broken file
            raise DataError(
                f"could not read '{path}' as an Excel workbook: {_short_reason(error)}; check the file"
            ) from None
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401  (pandas needs it for Parquet)
        except ImportError:
            raise DataError(
                f"reading Parquet file '{path}' needs pyarrow, which is not installed; run: pip install pyarrow"
            ) from None
        from trainwell.core.columnar import is_arrow, read_columnar

        read = (
            read_columnar(path) if is_arrow(path) else pd.read_parquet(path)
        )  # Arrow: datasets' save_to_disk
        table = hub_class_names(read, path)
        if names is not None:
            table.columns = list(names)
        return table
    _refuse_binary(path, encoding)
    if kind in ("json", "jsonl"):
        # pandas' CSV reader skips a UTF-8 byte-order mark by itself; its JSON reader needs utf-8-sig for it.
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"
        table = pd.read_json(
            path, lines=kind == "jsonl", encoding=encoding, encoding_errors=errors, compression="infer"
        )
        return _flattened(table, path)
    options: dict[str, Any] = {
        "names": None if names is None else list(names),
        "header": 0 if names is None else None,
        "na_values": na_values,
        "keep_default_na": pandas_na,
        "skipinitialspace": True,
        "encoding": encoding,
        "encoding_errors": errors,
        "compression": "infer",
    }
    if as_written:  # as categories: no reading of numbers below looks at them (:func:`_text_again`)
        options["dtype"] = dict.fromkeys(as_written, "category")
    sep = "\t" if kind == "tsv" else ","
    if names is None:  # before parsing: MovieLens' u.item, '|' between fields, has commas in titles
        sep = _sniffed_delimiter(path, sep, encoding)
    else:  # no header row to check the delimiter on afterwards: look at the first line
        sep = _first_line_delimiter(path, sep, encoding)
        options["skiprows"] = preamble_lines(path, check_header_names(path, list(names), sep, encoding), sep)
    table = _read_csv(path, sep, options)
    if table.shape[1] == 1 and names is None:
        only = str(table.columns[0])
        sep = next((delimiter for delimiter in _OTHER_DELIMITERS if delimiter in only), sep)
        if sep in only:
            table = _read_csv(path, sep, options)
    if names is None:
        table = _below_a_title(table, path, sep, options)
        _refuse_repeated_header(table, path, sep, encoding)
    before = [column for column in table.columns if pd.api.types.is_numeric_dtype(table[column].dtype)]
    table = _decimal_commas(table, path, sep, set(na_values))
    numeric = [column for column in table.columns if pd.api.types.is_numeric_dtype(table[column].dtype)]
    if len(numeric) > len(before) and sep != ",":  # text read as numbers: the file writes decimal commas
        table = _thousands_dots(table, path, sep, options)
    return _leading_zeros(table, path, sep, options)


def _below_a_title(table: pd.DataFrame, path: Path, sep: str, options: dict[str, Any]) -> pd.DataFrame:
    """``table`` read again from the header row when the file opens with a title line above it (a report's
    "Sales 2024, generated 01-01"): its header came out as that title and unnamed columns, and ``--target``
    listed "Report generated 2024-01-01, Unnamed: 1, Unnamed: 2" as the columns. The lines before the first one
    holding the delimiter are left out, said in a warning."""
    columns = [str(column) for column in table.columns]
    if not all(re.fullmatch(r"Unnamed: \d+", column) for column in columns[1:]):
        return table  # (one column: pandas made the fields the title line lacks an index of the rows)
    import csv

    lines = head_lines(path, str(options["encoding"]))[:_TITLE_LINES]
    for number, line in enumerate(lines):  # noqa: B007  (number: the header's, after the loop)
        fields = next(csv.reader([line], delimiter=sep)) if len(sep) == 1 else line.split(sep)
        if sum(bool(field.strip()) for field in fields) >= 2:  # the header: two names or more
            break
    else:
        return table
    titles = [line.strip() for line in lines[:number] if line.strip()]
    if not titles or looks_like_data([field.strip() for field in fields]):
        return table  # a header of one name above rows of data: its other cells are unnamed, as read
    warn(
        f"'{path}': {number} line(s) above its header row left out, as they name no columns (a title: "
        f"{titles[0].strip(sep + ' ')[:60]!r}); the header is line {number + 1}",
        UserWarning,
    )
    return _read_csv(path, sep, {**options, "skiprows": number})


def _read_csv(path: Path, sep: str, options: dict[str, Any]) -> pd.DataFrame:
    """``pd.read_csv`` of ``path`` with ``sep`` and ``options``; a parser error it fails with is found again in the
    file (:func:`~trainwell.data._bad_lines.bad_table_line`) and raised as a :class:`BadLine` naming the line, as
    pandas' count of records is not the line an editor shows."""
    # Columns kept as written come as categories (no reading of numbers looks at them: :func:`_text_again`), but
    # pandas 3 reads a category column of numbers as numeric categories ('2' -> 2, '007' -> 7) and _text_again
    # then found no text at all: multi-label ids with no row of two ('0', '2', '') were all missing. They are
    # read as text, and made categories of that text.
    dtypes = options.get("dtype") or {}
    written = [name for name, kind in dtypes.items() if kind == "category"]
    if written:
        options = {**options, "dtype": {**dtypes, **dict.fromkeys(written, str)}}
    try:
        table = pd.read_csv(path, sep=sep, engine=_engine(sep), **options)
    except pd.errors.ParserError as error:
        names = options.get("names")
        found = bad_table_line(
            path,
            sep,
            str(options["encoding"]),
            int(options.get("skiprows") or 0),
            None if names is None else len(names),
            str(error),
        )
        if found is None:
            raise
        raise BadLine(*found) from None
    for name in written:
        if name in table.columns:
            table[name] = table[name].astype("category")
    return table


#: How many lines a title above a table's header may take.
_TITLE_LINES = 5


def hub_class_names(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``table`` (read from the Parquet file ``path``) with each integer column that the Hugging Face Hub's
    features call a ``ClassLabel`` read as its class names (IMDB's ``label``: 0 = neg, 1 = pos), and each column
    of lists of such numbers that they call a sequence of them (GoEmotions' ``labels``: several a row) read as
    lists of names, said in a warning; -1, the Hub's "no label" (an unlabelled test split), is missing. A column
    with a number outside its names is left as it is. List columns (read by pyarrow as arrays) hold lists, as every
    reader of labels expects (a row's several labels)."""
    from trainwell.core.columnar import class_feature, hub_features, schema_of

    table = _plain_lists(table)
    try:
        features = hub_features(schema_of(path))
    except (OSError, ValueError):  # unreadable: its reader said why, or will
        return table
    for column, feature in features.items():
        declared = class_feature(feature)
        if declared is None or column not in table.columns:
            continue
        names, several = declared
        if several:
            lists = _class_lists(table[column], names)
            if lists is None:
                continue
            table[column] = lists
        else:
            if not pd.api.types.is_integer_dtype(table[column].dtype):
                continue
            codes = table[column].to_numpy()
            if ((codes < -1) | (codes >= len(names))).any():
                continue
            table[column] = pd.Series(
                [None if code == -1 else str(names[code]) for code in codes], index=table.index
            )
        shown = ", ".join(f"{code} = {name}" for code, name in enumerate(names[:6])) + (
            ", ..." if len(names) > 6 else ""
        )
        warn(
            f"column '{column}' holds the class numbers the dataset's features (the Hugging Face Hub's ClassLabel) "
            f"name ({shown}){', several a row' if several else ''}: read as those names",
            UserWarning,
        )
    return table


def _plain_lists(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the cells of list columns, which pyarrow gives as NumPy arrays, as Python lists."""
    import numpy as np

    for column in table.columns:
        if table[column].dtype != object:
            continue
        present = table[column].dropna()
        if len(present) and isinstance(present.iloc[0], np.ndarray):
            table[column] = table[column].map(
                lambda cell: cell.tolist() if isinstance(cell, np.ndarray) else cell
            )
    return table


def _class_lists(column: pd.Series, names: list[str]) -> pd.Series | None:
    """A column of lists of class numbers as lists of ``names``; ``None`` when a cell is not a list of whole
    numbers within them (left as it is)."""
    import numpy as np

    converted: list[list[str] | None] = []
    for cell in column:
        if cell is None or (isinstance(cell, float) and cell != cell):
            converted.append(None)
            continue
        values = np.asarray(cell)
        if values.ndim != 1 or (len(values) and not np.issubdtype(values.dtype, np.integer)):
            return None
        if ((values < 0) | (values >= len(names))).any():
            return None
        converted.append([names[int(code)] for code in values])
    return pd.Series(converted, index=column.index, dtype=object)


def read_workbook(
    path: Path, names: Sequence[str] | None, na_values: Sequence[str] = (), *, keep_default_na: bool = True
) -> pd.DataFrame:
    """The first sheet of a workbook (Excel's ``.xlsx``, ``.xlsm``, ``.xls``; OpenDocument's ``.ods``) as a table,
    its first row the header unless ``names`` names the columns; the other sheets are named in a warning, as
    they are not read."""
    engine = WORKBOOK_ENGINES[_workbook_ending(path) or ".xlsx"][0]
    with pd.ExcelFile(path, engine=engine) as book:
        sheets = [str(sheet) for sheet in book.sheet_names]
        options: dict[str, Any] = {
            "sheet_name": sheets[0],
            "header": 0 if names is None else None,
            "names": None if names is None else list(names),
            "na_values": list(na_values),
            "keep_default_na": keep_default_na,
        }
        table = pd.read_excel(book, **options)
        whole = _whole_number_positions(table)
        if whole:  # a text cell '02134' is read as 2134: what each holds, as written
            chosen = {**options, "names": None if names is None else [list(names)[i] for i in whole]}
            table = _kept_as_written(table, whole, pd.read_excel(book, **chosen, usecols=whole, dtype=str))
    if len(sheets) > 1:
        warn(
            f"'{path}': read its first sheet, {sheets[0]!r}; it also holds {', '.join(map(repr, sheets[1:]))}, not "
            "read: to train on another, save that sheet as CSV (or move it first)",
            UserWarning,
        )
    return table


def _flattened(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``table`` with its columns of JSON objects spread into a column per field (``"meta": {"src": "web"}`` as
    ``meta.src``), said in a warning; other columns as they are."""
    nested = [
        str(column)
        for column in table.columns
        if table[column].dtype == object and table[column].map(lambda value: isinstance(value, dict)).any()
    ]
    if not nested:
        return table
    flat = pd.json_normalize(table.to_dict("records"), sep=".")
    added = [str(column) for column in flat.columns if str(column) not in table.columns]
    warn(
        f"'{path}': the objects in {', '.join(map(repr, nested))} read as a column per field: "
        f"{', '.join(added[:8])}{', ...' if len(added) > 8 else ''}",
        UserWarning,
    )
    return flat


def _engine(sep: str) -> Literal["c", "python"]:
    """pandas' parser for ``sep``: its C parser takes one character, its Python parser longer ones (``::``)."""
    return "c" if len(sep) == 1 else "python"


def looks_like_data(columns: Sequence[object]) -> bool:
    """Whether column names read from a file's first row are some of them data (a file without a header row,
    as GoEmotions' TSVs or MovieLens' ``u.data``): a name that is a number, or one that is a sentence (40
    characters, 5 words or more). A number with a decimal comma (``1,5``, a European CSV's) is one too."""
    names = [str(name) for name in columns]
    return any(
        is_number(name)
        or ("," in name and _DECIMAL_COMMA.fullmatch(name.strip()) is not None)
        or (len(name) >= 40 and len(name.split()) >= 5)
        for name in names
    )


def placeholder_names(width: int) -> str:
    """``col1,col2,...`` for ``width`` columns: a --names value to edit (a long table's middle elided)."""
    names = [f"col{i + 1}" for i in range(width)]
    return ",".join(names) if width <= 8 else ",".join([*names[:3], "...", names[-1]])


def is_number(text: object) -> bool:
    """Whether ``text`` reads as a number (``'196'``, ``'3.5'``, ``'1e3'``): a data value, not a column's name."""
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _refuse_repeated_header(table: pd.DataFrame, path: Path, sep: str, encoding: str) -> None:
    """Refuse a header row that names a column twice: pandas reads the second ``a`` as ``a.1``, a column the
    user never named, and a model trained on it would expect ``a.1`` of every file it reads."""
    columns = {str(column) for column in table.columns}
    if not any(str(column).rpartition(".")[0] in columns for column in columns if _MANGLED.fullmatch(column)):
        return
    first = first_row(path, encoding, sep)
    fields = [field.lstrip("\ufeff").strip() for field in first.fields] if first else []
    if looks_like_data(fields):  # a file without a header row (MovieLens' u1.base): its reader says so
        return
    repeated = sorted({field for field in fields if fields.count(field) > 1})
    if repeated:
        raise DataError(
            f"'{path}' names {', '.join(map(repr, repeated))} twice in its header row (pandas would read the "
            f"second as {repeated[0] + '.1'!r}): give each column a name of its own"
        )


def _marked_numbers(table: pd.DataFrame, shown: str) -> pd.DataFrame:
    """Read as numbers the text columns whose every value is a number written with a currency sign, commas
    between thousands or a percent sign (``$3,221.11``, ``1,200``, ``20.5%``: the number as written, 20.5), said
    in a warning; read as text, each was a category or an ID."""
    return _written_numbers(
        table,
        shown,
        _MARKED_NUMBER,
        _MARKS,
        lambda value: re.sub(r"[$€£¥%,\s]", "", value),
        "with a currency sign, thousands commas or %",
    )


def _leading_zeros(table: pd.DataFrame, path: Path, sep: str, options: dict[str, Any]) -> pd.DataFrame:
    """``table`` (read from the CSV or TSV ``path`` with ``sep`` and pandas' ``options``) with the columns read as
    whole numbers kept as written where some value has leading zeros (ZIP codes ``02134``, IDs ``0001``): codes,
    not amounts, which ``2134`` and ``1`` neither name nor write back (``predict --keep id``). A table model reads
    them as it reads integers (:mod:`trainwell.tabular.recipe`), so only what is shown and written changes."""
    whole = _whole_number_positions(table)
    suspects = _zero_led(path, sep, whole, options) if whole else []
    if not suspects:
        return table
    written = pd.read_csv(
        path, sep=sep, engine=_engine(sep), **{**options, "usecols": suspects, "dtype": str}
    )
    return _kept_as_written(table, suspects, written)


def _whole_number_positions(table: pd.DataFrame) -> list[int]:
    """The positions of ``table``'s columns of whole numbers (integers, or floats without a fraction)."""
    return [
        position
        for position, column in enumerate(table.columns)
        if pd.api.types.is_integer_dtype(table[column].dtype)
        or (
            pd.api.types.is_float_dtype(table[column].dtype)
            and table[column].notna().any()
            and bool((table[column].dropna() % 1 == 0).all())
        )
    ]


def _kept_as_written(table: pd.DataFrame, positions: list[int], written: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its columns at ``positions`` replaced by their text as ``written`` holds it (the same
    columns read as text) where every value is digits and some start with a zero."""
    for position, (_, raw) in zip(positions, written.items(), strict=True):
        text = raw.str.strip()
        present = text.dropna()
        if present.str.fullmatch(r"\d+").all() and present.str.fullmatch(r"0\d+").any():
            table[table.columns[position]] = text.set_axis(table.index)
    return table


def _zero_led(path: Path, sep: str, positions: list[int], options: dict[str, Any]) -> list[int]:
    """Those of the file's columns at ``positions`` where a value starts with a zero and another digit, found with
    pyarrow's CSV reader (pandas takes several times as long to read the columns as text); all of them when
    pyarrow cannot read the file as pandas did (a delimiter of two characters, bytes not in the encoding)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    if len(sep) != 1:
        return positions
    columns = {f"f{position}": position for position in positions}
    try:
        table = csv.read_csv(
            path,
            read_options=csv.ReadOptions(
                skip_rows=(1 if options["header"] == 0 else 0) + int(options.get("skiprows") or 0),
                autogenerate_column_names=True,
                encoding=options["encoding"],
            ),
            parse_options=csv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                include_columns=list(columns), column_types=dict.fromkeys(columns, pa.string())
            ),
        )
    except (pa.ArrowException, UnicodeError, LookupError, OSError):
        return positions
    return [
        position
        for name, position in columns.items()
        if pc.any(pc.match_substring_regex(table[name], r"^\s*0\d")).as_py()
    ]


def _decimal_commas(table: pd.DataFrame, path: Path, sep: str, na_strings: set[str]) -> pd.DataFrame:
    """Read as numbers the text columns of a ``;``- (or tab-) delimited file whose values are all numbers
    written with a decimal comma (``0,25``; ``1.234,5`` with dots between thousands), as Excel saves a table
    where the comma is the decimal mark: read as text, each value would look like an ID. Said in a warning.
    In a comma-delimited file such a value is quoted (``"55,62"``, as pandas' ``to_csv(decimal=",")`` writes it),
    and a quoted ``1,234`` is as likely a thousand: there a column is read so only where every value is digits, a
    comma and digits, none shaped as a thousand (``"1,234"`` beside ``"2,5"`` stays text; a column of ``1,234``
    alone is :func:`_marked_numbers`'); left as text, it was dropped as an ID with the advice to keep it as
    categories."""
    if sep == ",":
        return _quoted_decimal_commas(table, path, na_strings)
    return _written_numbers(
        table,
        str(path),
        _DECIMAL_COMMA,
        re.compile(","),
        lambda value: value.replace(".", "").replace(",", "."),
        "with a decimal comma",
        na_strings,
        partly=True,
    )


#: A number with a decimal comma, quoted in a comma-delimited file ("55,62"), and a number shaped as thousands.
_QUOTED_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_THOUSANDS_COMMAS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")


def _quoted_decimal_commas(table: pd.DataFrame, path: Path, na_strings: set[str]) -> pd.DataFrame:
    """``table`` (read from the comma-delimited ``path``) with its text columns whose every value is digits, a comma
    and digits (``"55,62"``), none shaped as a thousand (``"1,234"``), read as numbers with a decimal comma, said in a
    warning (:func:`_decimal_commas`)."""
    chosen = []
    for column in table.columns:
        values = table[column]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        head = values.head(1000).dropna().astype(str).str.strip()
        if not head[~head.isin(list(na_strings))].str.fullmatch(_QUOTED_DECIMAL).all():
            continue  # a column of text, told by its first values without reading them all
        text = values.dropna().astype(str).str.strip()
        text = text[~text.isin(list(na_strings))]
        if (
            not text.empty
            and text.str.fullmatch(_QUOTED_DECIMAL).all()
            and not text.str.fullmatch(_THOUSANDS_COMMAS).any()
        ):
            chosen.append(column)
    if not chosen:
        return table
    read = _written_numbers(
        table[chosen].copy(),
        str(path),
        _QUOTED_DECIMAL,
        re.compile(","),
        lambda value: value.replace(",", "."),
        "with a decimal comma",
        na_strings,
    )
    for column in chosen:
        table[column] = read[column]
    return table


#: A whole number with dots between thousands (1.250, 12.000.000), or without any (980).
_THOUSANDS_DOTS = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)")


def _thousands_dots(table: pd.DataFrame, path: Path, sep: str, options: dict[str, Any]) -> pd.DataFrame:
    """``table`` (read from ``path``, a file whose decimals are written with a comma) with the columns pandas read
    as decimals where every value is a whole number with dots between thousands (``1.250`` for 1250, ``980``):
    in such a file a dot is no decimal mark, and ``1.250`` read as 1.25 beside ``980`` scrambled the column's
    order with no word said. Said in a warning."""
    suspects = [
        position
        for position, column in enumerate(table.columns)
        if pd.api.types.is_float_dtype(table[column].dtype)
        and bool((table[column].dropna() % 1 != 0).any())  # 1.25: a dot the reader took for a decimal mark
    ]
    if not suspects:
        return table
    written = pd.read_csv(
        path, sep=sep, engine=_engine(sep), **{**options, "usecols": suspects, "dtype": str}
    )
    read: list[str] = []
    example = ""
    for position, (_, raw) in zip(suspects, written.items(), strict=True):
        text = raw.dropna().astype(str).str.strip()
        if (
            text.empty
            or not text.str.fullmatch(_THOUSANDS_DOTS).all()
            or not text.str.contains(".", regex=False).any()
        ):
            continue
        column = table.columns[position]
        table[column] = pd.to_numeric(
            raw.astype(str).str.strip().str.replace(".", "", regex=False).where(raw.notna())
        )
        table[column] = table[column].set_axis(table.index)
        example = example or min(text[text.str.contains(".", regex=False)], key=len)
        read.append(str(column))
    if read:
        warn(
            f"'{path}': column{'s' if len(read) > 1 else ''} {', '.join(map(repr, read))} "
            f"{'write' if len(read) > 1 else 'writes'} whole numbers with dots between thousands, as a file of "
            f"decimal commas does ({example!r}): read as {int(example.replace('.', '')):,}, not {float(example):g}",
            UserWarning,
        )
    return table


def _written_numbers(
    table: pd.DataFrame,
    shown: str,
    pattern: re.Pattern[str],
    marks: re.Pattern[str],
    plain: Callable[[str], str],
    written: str,
    na_strings: Collection[str] = (),
    *,
    partly: bool = False,
) -> pd.DataFrame:
    """``table`` with its text columns read as numbers where every value (missing ones and ``na_strings`` aside)
    matches ``pattern`` and some hold ``marks``; ``plain`` writes a value as Python reads a number. The columns
    read are said in one warning, with the shortest marked value as the example (``written``: how).

    With ``partly``, a column of such numbers but for a few cells (``12,5 GBP``, ``abc``; see
    :func:`_partly_numbers`) has its numbers written as Python reads them and those cells left as written, said
    in a warning of its own: read as text, the column was categories in silence, where a column of numbers
    written with a dot and the same cells is refused at fit, naming them (:mod:`trainwell.data.text_cells`)."""
    read: list[str] = []
    example = ""
    for column in table.columns:
        values = table[column]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        text = values.dropna().astype(str).str.strip()
        text = text[~text.isin(list(na_strings))]
        if text.empty or not text.str.contains(marks).any():
            continue
        matched = text.str.fullmatch(pattern)
        if not matched.all():
            if partly and _partly_numbers(matched):
                _read_partly(table, column, text, matched, (marks, plain), shown, written)
            continue
        table[column] = pd.to_numeric(text.map(plain)).reindex(values.index)
        example = example or min(text[text.str.contains(marks)], key=len)
        read.append(str(column))
    if read:
        warn(
            f"'{shown}': column{'s' if len(read) > 1 else ''} {', '.join(map(repr, read))} "
            f"{'write' if len(read) > 1 else 'writes'} numbers {written} "
            f"({example!r}): read as numbers ({float(plain(example)):g})",
            UserWarning,
        )
    return table


def _partly_numbers(matched: pd.Series) -> bool:
    """Whether cells of which ``matched`` marks the numbers make a column of numbers with a few cells of text in
    it, by the rule fit refuses such a column by (:data:`~trainwell.data.text_cells.NUMBER_SHARE` of them numbers,
    at least :data:`~trainwell.data.text_cells.MIN_NUMBERS`); codes such as ``A,1`` beside ``1,2`` are not."""
    numbers = int(matched.sum())
    if not numbers:
        return False
    from trainwell.data.text_cells import MIN_NUMBERS, NUMBER_SHARE

    return numbers >= MIN_NUMBERS and numbers >= NUMBER_SHARE * len(matched)


def _read_partly(
    table: pd.DataFrame,
    column: Any,
    text: pd.Series,
    matched: pd.Series,
    reading: tuple[re.Pattern[str], Callable[[str], str]],
    shown: str,
    written: str,
) -> None:
    """Write ``column``'s numbers (the cells ``matched`` marks) as Python reads them (``12,5`` as ``12.5``: the
    ``reading``'s marks and how to read them), its other cells as written, and say so, naming those cells and their data rows: fit then refuses them as it
    refuses text in any column of numbers, or reads a word such as ``unknown`` as missing."""
    marks, plain = reading
    values = table[column]
    table[column] = values.astype(object).where(values.isna(), values.astype(str).str.strip())
    table.loc[text.index[matched.to_numpy()], column] = text[matched].map(plain)
    others = text[~matched]
    positions = [values.index.get_loc(label) for label in others.index[:3]]
    cells = ", ".join(
        f"{value!r} (data row {position + 1})" for value, position in zip(others, positions, strict=False)
    )
    example = min(text[matched & text.str.contains(marks)], key=len, default=text[matched].iloc[0])
    warn(
        f"'{shown}': column {str(column)!r} writes numbers {written} ({example!r}), read as numbers "
        f"({float(plain(example)):g}), but for {len(others):,} cell{'s' if len(others) > 1 else ''} that "
        f"{'are' if len(others) > 1 else 'is'} not one: {cells}{', ...' if len(others) > 3 else ''}",
        UserWarning,
    )


def check_header_names(path: Path, names: list[str], sep: str, encoding: str) -> FirstRow | None:
    """Refuse ``names`` for a file without a header row that do not name each of its columns once: a blank or
    repeated name, a count other than the fields of its first data line (pandas would quietly make the extra
    leading fields an index), or the very names its first line already holds (a header row read as data).
    Returns that first row (:func:`first_row`; ``None`` for an empty file)."""
    blank = [index + 1 for index, name in enumerate(names) if not str(name).strip()]
    if blank:
        raise ConfigError(
            f"--names (Python: names=) has a blank name at position {blank[0]}: name every column"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(
            f"--names (Python: names=) repeats {repeated[0]!r}: each column needs a name of its own"
        )
    first = first_row(path, encoding, sep)
    if first is None:
        return None  # an empty file: the read says so
    line, fields = first.line, first.fields
    if fields == [str(name).strip() for name in names]:
        raise DataError(
            f"'{path}' starts with a header row naming these very columns; --names (Python: names=) is for a "
            "file without one: drop it"
        )
    if len(fields) != len(names):
        raise DataError(
            f"'{path}' has {len(fields)} columns a row (its line {line[:60]!r}), --names (Python: names=) gives "
            f"{len(names)}: name every column, in order"
        )
    return first


def preamble_lines(path: Path, first: FirstRow | None, sep: str) -> int:
    """How many lines to skip before ``first``, the first row of a file of several columns without a header row
    (:func:`first_row`): those before it, said in a warning when some hold text (a preamble, UCI Adult's test
    file's ``|1x3 Cross validator``, was read as a row of one value)."""
    if first is None or not first.preamble or len(first.fields) < 2:
        return 0
    warn(
        f"'{path}': {len(first.preamble)} line(s) before its first row of data left out, as they hold no "
        f"{'tab' if sep == chr(9) else repr(sep)} between columns (the first: {first.preamble[0][:60]!r})",
        UserWarning,
    )
    return first.number


class FirstRow(NamedTuple):
    """The first row of a file without a header row (:func:`first_row`)."""

    line: str  #: The line, stripped.
    fields: list[str]  #: Its fields, stripped.
    number: int  #: Its 0-based line number: the lines before it are blank or a preamble.
    preamble: list[str]  #: The non-blank lines before it, stripped, that hold no delimiter.


def first_row(path: str | Path, encoding: str = "utf-8", sep: str | None = None) -> FirstRow | None:
    """The first line of a CSV or TSV file that holds its delimiter (``sep``, else the one its first lines use
    most: :func:`_first_line_delimiter`), with its fields; ``None`` for an empty file. Lines without the
    delimiter before it are a preamble (UCI Adult's test file opens with ``|1x3 Cross validator``), unless no
    line holds it (a table of one column): then the first non-blank line is the row."""
    import csv

    path = Path(path)
    if sep is None:
        sep = _first_line_delimiter(path, "\t" if _kind_of(path) == "tsv" else ",", encoding)
    lines = head_lines(path, encoding)
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if not filled:
        return None
    index = next((index for index in filled if sep in lines[index]), filled[0])
    preamble = [lines[i].strip() for i in filled if i < index]
    line = lines[index]
    row = line.split(sep) if len(sep) > 1 else next(csv.reader([line], delimiter=sep))  # "\ta": 2 fields
    fields = [field.strip() for field in row]
    return FirstRow(lines[index].strip(), fields, index, preamble)


def head_lines(path: Path, encoding: str) -> list[str]:
    """The first :data:`_SNIFFED_LINES` lines of ``path`` (decompressed), without their line ends; bytes not in
    ``encoding`` read as U+FFFD (the read proper says where they are). Decoded as a stream, not line by line: a
    UTF-16 line ends in ``\n\0``, and splitting its bytes at ``\n`` read every line after the first as garbage."""
    import io

    with io.TextIOWrapper(_open_bytes(path), encoding=encoding, errors="replace", newline="") as text:
        return [text.readline(65536).rstrip("\r\n") for _ in range(_SNIFFED_LINES)]


def _first_line_delimiter(path: Path, default: str, encoding: str) -> str:
    """The delimiter of a file without a header row, from its first lines: ``default`` unless another one
    appears in more of them (one stray line, like Adult's ``|1x3 Cross validator``, does not decide); of several
    in as many, the one each of those lines holds equally often (MovieLens 1M's ``movies.dat``: ``::`` twice a
    line, ``|`` between a varying number of genres)."""
    lines = [line for line in head_lines(path, encoding) if line.strip()]
    if default == "," and _semicolons_and_decimal_commas(lines):
        return ";"
    counts = {
        delimiter: sum(delimiter in line for line in lines) for delimiter in (default, *_OTHER_DELIMITERS)
    }
    most = max(counts.values())
    if counts[default] >= most:
        return default
    tied = [delimiter for delimiter in counts if counts[delimiter] == most]
    steady = [d for d in tied if len({line.count(d) for line in lines if d in line}) == 1]
    return (steady or tied)[0]


def _sniffed_delimiter(path: Path, default: str, encoding: str) -> str:
    """The delimiter of a file with a header row, from its first lines: ``default`` when each of them holds it
    equally often; else another that each holds equally often (``|`` in a file of titles, some with commas);
    else, when the header lacks ``default``, the first other one it holds; else ``default``."""
    lines = [line for line in head_lines(path, encoding) if line.strip()]
    if not lines:
        return default

    def steady(delimiter: str) -> bool:
        counts = {line.count(delimiter) for line in lines}
        return len(counts) == 1 and counts.pop() > 0

    if default == "," and _semicolons_and_decimal_commas(lines):
        return ";"
    if steady(default):
        return default
    others = [delimiter for delimiter in _OTHER_DELIMITERS if delimiter != default]
    chosen = next((delimiter for delimiter in others if steady(delimiter)), None)
    if chosen is None and default not in lines[0]:
        chosen = next((delimiter for delimiter in others if delimiter in lines[0]), None)
    return chosen or default


def _semicolons_and_decimal_commas(lines: Sequence[str]) -> bool:
    """Whether ``lines`` are a European CSV's: ``;`` as often in each, and every comma inside a number with a
    decimal comma (``1,5;2,25;yes``). The commas are as steady as the semicolons there, and a headerless file
    was read on commas into garbled columns (``5;2``) with no word said."""
    counts = {line.count(";") for line in lines}
    if len(counts) != 1 or not counts.pop():
        return False
    fields = [field.strip().strip('"') for line in lines for field in line.rstrip("\r\n").split(";")]
    with_commas = [field for field in fields if "," in field]
    return bool(with_commas) and all(_DECIMAL_COMMA.fullmatch(field) for field in with_commas)


#: The first bytes of an old Excel workbook (.xls): an OLE compound file, as Word's .doc and PowerPoint's .ppt.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


def _misnamed_as(path: Path) -> tuple[str, str] | None:
    """What a text-named data file really is when its first bytes say so, and the ending to name it with: an
    Excel workbook (zip with ``xl/``), an OpenDocument spreadsheet, another zip archive, an old ``.xls``, a
    Parquet file; ``None`` for anything else (text, or a binary file of no kind known here)."""
    import zipfile

    try:
        with _open_bytes(path) as stream:
            head = bytes(stream.read(8))
    except (OSError, EOFError, zlib.error):
        return None
    if head.startswith(b"PAR1"):
        return "a Parquet file", ".parquet"
    if head.startswith(_OLE_MAGIC):
        return "an old Excel workbook (xls) or another Microsoft Office file", ".xls"
    if not head.startswith(b"PK\x03\x04") or path.suffix.lower() == ".gz":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return "a zip archive (cut short or damaged)", ".zip"
    if any(name.startswith("xl/") for name in names):
        return "an Excel workbook (xlsx)", ".xlsx"
    if mimetype.strip() == _ODS_MIME:
        return "an OpenDocument spreadsheet (ods)", ".ods"
    return "a zip archive", ".zip"


def _refuse_misnamed(path: Path, shown: str, kind: str) -> None:
    """Refuse, naming what it is and the name to give it, a workbook, zip archive or Parquet file named as text
    (an Excel file renamed ``.csv`` was blamed on its NUL bytes, with ``--encoding utf-16`` as the fix)."""
    found = _misnamed_as(path)
    if found is None:
        return
    what, ending = found
    label = {"tsv": "TSV", "json": "JSON", "jsonl": "JSON lines"}.get(kind, "CSV")
    name = Path(shown).name
    base = name[: -len(".gz")] if name.lower().endswith(".gz") else name
    renamed = (base.rsplit(".", 1)[0] if "." in base else base) + ending
    if ending == ".zip":
        fix = f"rename it {renamed} (trainwell reads the one table inside an archive) or unzip it"
    elif ending == ".parquet":
        fix = f"rename it {renamed} (trainwell reads Parquet files)"
    else:
        fix = f"rename it {renamed} (trainwell reads its first sheet) or save the sheet as {label}"
    raise DataError(f"'{shown}' is {what}, not {label} text: {fix}")


def _refuse_binary(path: Path, encoding: str = "utf-8") -> None:
    """Fail on NUL bytes near the start: a binary file (or UTF-16 text read as another) renamed to a text
    format. UTF-16 and UTF-32 text holds NUL bytes by nature: read with those encodings, it passes."""
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        return
    with _open_bytes(path) as stream:
        start = stream.read(8192)
    if b"\x00" in start:
        raise pd.errors.ParserError(
            "it holds NUL bytes, so it looks like a binary file or UTF-16 text (then pass --encoding utf-16)"
        )


def _text_again(table: pd.DataFrame, as_written: Sequence[str]) -> pd.DataFrame:
    """``table`` with the columns named in ``as_written`` that were read as categories (so that no reading of
    numbers took them: decimal commas, thousands, leading zeros) as plain text again, stripped, missing as None."""
    for name in as_written:
        if name in table.columns and isinstance(table[name].dtype, pd.CategoricalDtype):
            values = table[name].astype(object)
            table[name] = values.map(lambda value: value.strip() if isinstance(value, str) else None)
    return table


def _tidy(table: pd.DataFrame, na_strings: set[str], shown: str) -> pd.DataFrame:
    """Strip column names and text values; read stripped missing markers as missing."""
    table.columns = [str(column).strip() for column in table.columns]
    duplicates = sorted({name for name in table.columns if list(table.columns).count(name) > 1})
    if duplicates:
        raise DataError(
            f"'{shown}' has duplicate column names after removing spaces: {', '.join(duplicates)}; rename them"
        )
    for column in table.columns:
        values = table[column]
        is_text = isinstance(values.dtype, pd.StringDtype) or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string"
        )
        if not is_text:
            continue
        stripped = values.str.strip()
        stripped = stripped.mask(stripped.isin(na_strings))
        if stripped.equals(values):
            continue
        numbers = pd.to_numeric(stripped, errors="coerce")
        all_numbers = numbers.notna().sum() == stripped.notna().sum() and stripped.notna().any()
        table[column] = numbers if all_numbers else stripped
    return table


def _short_reason(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    return reason if len(reason) <= 120 else reason[:117] + "..."
