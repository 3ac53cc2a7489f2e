"""Reading tables from disk, with one clear error line for each way a data file can be unusable.

:func:`read_table` picks the reader from the file name (``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``, ``.json``,
each optionally ``.gz``-compressed; anything else is read as CSV), strips stray whitespace from column names and
text values, and reads ``'?'`` as missing on top of pandas' own missing-value markers. :func:`check_columns`
checks that the columns a user named exist before any work starts.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from trainwell.core.errors import ConfigError, DataError

__all__ = ["DEFAULT_NA_VALUES", "check_column_roles", "check_columns", "list_columns", "read_table"]

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
}
# Delimiters tried when the one implied by the extension leaves the whole header in a single column.
_OTHER_DELIMITERS = (";", "\t", "|", ",")
_MAX_LISTED_COLUMNS = 30
_SNIFFED_LINES = 5


def read_table(
    path: str | Path,
    *,
    names: Sequence[str] | None = None,
    na_values: Sequence[str] = DEFAULT_NA_VALUES,
    encoding: str = "utf-8",
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
        encoding: Text encoding of CSV, TSV and JSON files.

    Returns:
        The table, with at least one row.

    Raises:
        DataError: The file is missing, is a directory, cannot be parsed, or has no data rows.

    Example:
        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = file.write_text("a, b\\n1, x \\n?, y\\n")
        >>> read_table(file).to_dict("list")
        {'a': [1.0, nan], 'b': ['x', 'y']}
    """
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise DataError(f"data file '{shown}' not found; check the path")
    if path.is_dir():
        raise DataError(
            f"data file '{shown}' is a directory, not a file; pass the path of a .csv, .tsv or .parquet file"
        )
    kind = _kind_of(path)
    try:
        table = _read(path, kind, names, list(na_values), encoding)
    except pd.errors.EmptyDataError:
        raise DataError(f"'{shown}' has no data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, gzip.BadGzipFile, zlib.error, EOFError) as error:
        label = {"tsv": "TSV", "parquet": "Parquet", "json": "JSON", "jsonl": "JSON lines"}.get(kind, "CSV")
        fix = "check that it is a Parquet file" if kind == "parquet" else "check the delimiter and encoding"
        raise DataError(f"could not read '{shown}' as {label}: {_short_reason(error)}; {fix}") from None
    except (ValueError, OSError) as error:
        # pyarrow's ArrowInvalid is a ValueError; pandas' JSON reader raises plain ValueErrors.
        if kind not in ("parquet", "json", "jsonl"):
            raise
        label = {"parquet": "Parquet", "json": "JSON", "jsonl": "JSON lines"}[kind]
        raise DataError(
            f"could not read '{shown}' as {label}: {_short_reason(error)}; check the file"
        ) from None
    if len(table) == 0:
        raise DataError(f"'{shown}' has no data rows")
    return _tidy(table, set(na_values) | {""}, shown)


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
    word = _FLAG_WORDS.get(flag, "")
    noun = "column" if len(missing) == 1 else "columns"
    what = f"{word} {noun}" if word else noun
    quoted = ", ".join(f"'{name}'" for name in missing)
    raise DataError(
        f"{what} {quoted} not found in {source}; columns are: {list_columns(columns)}. Pass {flag} NAME."
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
    return {".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}.get(
        last, "jsonl" if last in (".jsonl", ".ndjson") else "csv"
    )


def _read(
    path: Path, kind: str, names: Sequence[str] | None, na_values: list[str], encoding: str
) -> pd.DataFrame:
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401  (pandas needs it for Parquet)
        except ImportError:
            raise DataError(
                f"reading Parquet file '{path}' needs pyarrow, which is not installed; run: pip install pyarrow"
            ) from None
        table = pd.read_parquet(path)
        if names is not None:
            table.columns = list(names)
        return table
    _refuse_binary(path)
    if kind in ("json", "jsonl"):
        return pd.read_json(path, lines=kind == "jsonl", encoding=encoding, compression="infer")
    options = {
        "names": None if names is None else list(names),
        "header": 0 if names is None else None,
        "na_values": na_values,
        "skipinitialspace": True,
        "encoding": encoding,
        "compression": "infer",
    }
    sep = "\t" if kind == "tsv" else ","
    if names is not None:  # no header row to check the delimiter on afterwards: look at the first line
        sep = _first_line_delimiter(path, sep, encoding)
    table = pd.read_csv(path, sep=sep, **options)
    if table.shape[1] == 1 and names is None:
        only = str(table.columns[0])
        for delimiter in _OTHER_DELIMITERS:
            if delimiter in only:
                return pd.read_csv(path, sep=delimiter, **options)
    return table


def _first_line_delimiter(path: Path, default: str, encoding: str) -> str:
    """The delimiter of a file without a header row, from its first lines: ``default`` unless another one
    appears in more of them (one stray line, like Adult's ``|1x3 Cross validator``, does not decide)."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as stream:
        lines = [stream.readline(65536).decode(encoding, errors="replace") for _ in range(_SNIFFED_LINES)]
    lines = [line for line in lines if line.strip()]
    counts = {
        delimiter: sum(delimiter in line for line in lines) for delimiter in (default, *_OTHER_DELIMITERS)
    }
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return default if counts[default] >= counts[best] else best


def _refuse_binary(path: Path) -> None:
    """Fail on NUL bytes near the start: a binary file (or UTF-16 text) renamed to a text format."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as stream:
        start = stream.read(8192)
    if b"\x00" in start:
        raise pd.errors.ParserError("it holds NUL bytes, so it looks like a binary file or UTF-16 text")


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
