"""Read a table of texts: a CSV, TSV, Parquet or JSON-lines file, or a DataFrame, with its texts as written."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from trainwell.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_text_table"]


def read_text_table(
    source: str | Path | pd.DataFrame,
    what: str = "the data",
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    names: Sequence[str] | None = None,
    as_written: Sequence[str] = (),
) -> pd.DataFrame:
    """A CSV, TSV (``.tsv``, ``.tsv.gz``), Parquet or JSON-lines file, or a DataFrame as is; ``names`` names every
    column of a CSV or TSV file without a header row (GoEmotions' ``train.tsv``: text, labels, id). A file in
    fastText's format (``__label__pos a great film``) gives the columns ``text`` and ``label``
    (:func:`~trainwell.text._fasttext.read_fasttext`).

    Text columns are read as strings exactly (no whitespace stripping, no ``"NA"`` -> missing: a review may
    well say "NA"). ``encoding`` is that of CSV, TSV and JSON-lines files (``"cp1252"`` for Excel on
    Windows); a file not in it fails with the line of its first bad byte, unless ``encoding_errors="replace"``
    reads such bytes as U+FFFD.

    ``as_written`` names the text columns (``--text``, ``text_col=``): in a CSV or TSV file each is the text
    written even where every cell looks like a number (product codes, ZIP codes: ``00123`` stays ``00123``).
    """
    import pandas as pd

    from trainwell.data.io import (
        check_encoding,
        check_encoding_errors,
        check_header_names,
        preamble_lines,
        undecodable_error,
    )

    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            raise DataError(f"{what} has no rows")
        return source.reset_index(drop=True)
    check_encoding(encoding)
    check_encoding_errors(encoding_errors)
    path = Path(source)
    if not path.is_file():
        raise DataError(f"data file '{path}' not found; check the path")
    from trainwell.text._fasttext import is_fasttext_file, read_fasttext

    if is_fasttext_file(path):  # __label__pos a great film: the columns text and label
        if names is not None:
            raise ConfigError(
                f"'{path}' is in fastText's format (__label__ labels, then the text), read as the columns text and "
                "label; --names (Python: names=) is for a CSV or TSV without a header row: drop it"
            )
        return read_fasttext(path, encoding=encoding, encoding_errors=encoding_errors)
    name = path.name.lower()
    skipped = 0  # lines before the first row of a file without a header row (a preamble)
    from trainwell.data.io import WORKBOOK_SUFFIXES, workbook_error

    excel = name.endswith(WORKBOOK_SUFFIXES)
    if excel:  # without openpyxl: how to read it
        refused = workbook_error(path)
        if refused is not None:
            raise refused
    # Checked before the read: pandas would quietly make extra leading fields an index.
    if names is not None and not excel:
        if name.endswith((".parquet", ".pq", ".arrow", ".jsonl", ".jsonl.gz", ".ndjson")):
            raise ConfigError(
                f"'{path}' names its own columns; --names (Python: names=) is for CSV or TSV files without a "
                "header row: drop it"
            )
        sep = "\t" if name.endswith((".tsv", ".tsv.gz", ".tab")) else ","
        skipped = preamble_lines(path, check_header_names(path, list(names), sep, encoding), sep)
    delimited = False  # read by pandas' CSV reader: every cell is text until read as a number
    try:
        if excel:  # its first sheet, texts as written (openpyxl: trainwell[excel])
            from trainwell.data.io import read_workbook

            frame = read_workbook(path, names, [""], keep_default_na=False)
        elif name.endswith((".parquet", ".pq", ".arrow")):  # .arrow: datasets' save_to_disk
            from trainwell.core.columnar import is_arrow, read_columnar
            from trainwell.data.io import hub_class_names

            frame = hub_class_names(read_columnar(path) if is_arrow(path) else pd.read_parquet(path), path)
        elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            # utf-8-sig: pandas' JSON reader does not skip a UTF-8 byte-order mark by itself.
            json_encoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
            frame = pd.read_json(path, lines=True, encoding=json_encoding, encoding_errors=encoding_errors)
        else:
            sep = "\t" if name.endswith((".tsv", ".tsv.gz", ".tab")) else ","
            # QUOTE_NONE for TSV: corpora such as SST-2 hold bare quote characters inside the text.
            quoting = 3 if sep == "\t" else 0
            delimited = True
            frame = pd.read_csv(
                path,
                sep=sep,
                quoting=quoting,
                header=None if names is not None else "infer",
                names=None if names is None else list(names),
                skiprows=skipped,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                encoding_errors=encoding_errors,
            )
    except UnicodeDecodeError as error:
        raise undecodable_error(path, encoding, error) from None
    except pd.errors.ParserError as error:
        raise _parser_error(path, error, encoding, skipped, names) from error
    except (ValueError, OSError) as error:
        raise DataError(f"cannot read '{path}' as a table ({type(error).__name__}: {error})") from error
    if len(frame) == 0:
        raise DataError(f"data file '{path}' has no data rows")
    frame.columns = [str(column).strip() for column in frame.columns]
    if as_written and delimited:
        frame = _texts_as_written(frame, path, as_written, names, skipped, encoding, encoding_errors)
    return frame


def _texts_as_written(
    frame: pd.DataFrame,
    path: Path,
    columns: Sequence[str],
    names: Sequence[str] | None,
    skipped: int,
    encoding: str,
    encoding_errors: str,
) -> pd.DataFrame:
    """``frame`` with each of ``columns`` that pandas read as numbers (codes such as ``864``, ``00123``) read
    again from ``path`` as the text written: a cell of a delimited file is text, and a text column's cells are
    what the model reads (read as an integer, ``00123`` would become ``123``)."""
    import pandas as pd

    header = list(frame.columns)
    for column in dict.fromkeys(columns):
        if column not in header or frame[column].dtype == object:  # texts already (or absent: said later)
            continue
        sep = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz", ".tab")) else ","
        written = pd.read_csv(
            path,
            sep=sep,
            quoting=3 if sep == "\t" else 0,
            header=None if names is not None else "infer",
            names=None if names is None else list(names),
            skiprows=skipped,
            usecols=[header.index(column)],
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            encoding_errors=encoding_errors,
        )
        frame[column] = written.iloc[:, 0].to_numpy(dtype=object)
    return frame


def _parser_error(
    path: Path, error: Exception, encoding: str, skipped: int, names: Sequence[str] | None
) -> DataError:
    """A CSV of texts pandas could not parse, named by the line an editor shows and what is wrong on it (a row of
    more fields than the header, a quote never closed), as a table's file is; pandas' own words where the scan
    finds nothing to blame. A TSV is read without quoting (texts hold bare quotes), so only its field counts."""
    from trainwell.data._bad_lines import bad_table_line

    sep = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz", ".tab")) else ","
    found = bad_table_line(path, sep, encoding, skipped, None if names is None else len(names), str(error))
    if found is None or (sep == "\t" and "quote" in found[1]):
        return DataError(f"cannot read '{path}' as a table ({type(error).__name__}: {error})")
    line, what = found
    return DataError(f"{path}, line {line}: {what}")
