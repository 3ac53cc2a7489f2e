"""A workbook, zip archive or Parquet file named as a text table (an Excel file renamed ``.csv``) is named for
what it is, with the name to give it; it was blamed on NUL bytes, with ``--encoding utf-16`` as the fix."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from trainwell.core.errors import DataError
from trainwell.data.io import read_table

TABLE = pd.DataFrame({"age": [22, 38, 26, 35], "sex": ["m", "f", "f", "m"], "survived": [0, 1, 1, 0]})
PEOPLE_XLS = Path(__file__).with_name("people.xls")  # a real Excel 97 workbook


def _refusal(path: Path) -> str:
    with pytest.raises(DataError) as error:
        read_table(path)
    message = str(error.value)
    assert "NUL bytes" not in message and "utf-16" not in message
    return message


def test_an_xlsx_named_csv(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    TABLE.to_excel(book, index=False)
    named = tmp_path / "book.csv"
    shutil.copy(book, named)
    assert _refusal(named) == (
        f"'{named}' is an Excel workbook (xlsx), not CSV text: rename it book.xlsx (trainwell reads its first "
        "sheet) or save the sheet as CSV"
    )
    assert read_table(book).shape == TABLE.shape  # the name it is told to take reads


def test_an_old_xls_named_tsv(tmp_path: Path) -> None:
    named = tmp_path / "people.tsv"
    shutil.copy(PEOPLE_XLS, named)
    message = _refusal(named)
    assert "is an old Excel workbook (xls)" in message and "not TSV text: rename it people.xls" in message


def test_an_ods_named_csv(tmp_path: Path) -> None:
    pytest.importorskip("odf")
    book = tmp_path / "sheet.ods"
    TABLE.to_excel(book, index=False, engine="odf")
    named = tmp_path / "sheet.csv"
    shutil.copy(book, named)
    assert "is an OpenDocument spreadsheet (ods), not CSV text: rename it sheet.ods" in _refusal(named)


def test_a_zip_of_a_table_named_csv(tmp_path: Path) -> None:
    named = tmp_path / "train.csv"
    with zipfile.ZipFile(named, "w") as archive:
        archive.writestr("train.csv", TABLE.to_csv(index=False))
    assert "is a zip archive, not CSV text: rename it train.zip" in _refusal(named)
    renamed = tmp_path / "train.zip"
    shutil.copy(named, renamed)
    assert read_table(renamed).shape == TABLE.shape  # as the message says: the table inside is read


def test_a_parquet_file_named_csv(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    named = tmp_path / "t.csv"
    TABLE.to_parquet(named)
    assert "is a Parquet file, not CSV text: rename it t.parquet" in _refusal(named)


def test_other_binary_files_keep_the_nul_byte_message(tmp_path: Path) -> None:
    named = tmp_path / "blob.csv"
    named.write_bytes(b"a,b\n1,\x00\x00\n")
    with pytest.raises(DataError, match="NUL bytes"):
        read_table(named)
