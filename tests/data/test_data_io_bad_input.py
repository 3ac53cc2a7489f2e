"""Tests for trainwell.data.io on bad input (tour T47): each unreadable file is refused in one line that names
the file and the line an editor shows, with the fix; files whose bytes say how to read them are read."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

from trainwell.core.errors import DataError
from trainwell.core.warn import Note
from trainwell.data.io import check_columns, head_lines, read_table, read_text_file

# 300 rows like the tour's good.csv: age, city, income, y.
_ROWS = [
    f"{20 + i % 50},city{i % 7},{40 + i % 30}.{i % 90 + 10},{'yes' if i % 2 else 'no'}" for i in range(30)
]
_HEADER = "age,city,income,y"


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    data = (end.join(lines) + end).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def _message(path: Path, **options: object) -> str:
    with pytest.raises(DataError) as caught:
        read_table(path, **options)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("name", ["ragged.csv", "ragged.csv.gz"])
def test_a_row_with_extra_fields_is_named_by_its_line(tmp_path: Path, end: str, name: str) -> None:
    # Was: "could not read ... as CSV: Error tokenizing data. C error: Expected 4 fields in line 11, saw 6; check
    # the delimiter and encoding".
    file = _write(tmp_path / name, [_HEADER, *_ROWS[:9], "68,Köln,52.61,yes,extra,more", *_ROWS[9:]], end)
    assert _message(file) == f"{file}, line 11: 6 fields where the header has 4; fix that line"


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_lines_inside_quoted_values_count_as_an_editor_counts_them(tmp_path: Path, end: str) -> None:
    # pandas counts records: it said "line 10" for the row on line 13, below two values of several lines.
    quoted = ['1,"two\nlines",3,no', '1,"three ""quoted""\nmore\nlines",3,no']
    file = _write(tmp_path / "q.csv", [_HEADER, *quoted, *_ROWS[:6], "1,2,3,4,5,6", *_ROWS[6:]], end)
    assert _message(file) == f"{file}, line 13: 6 fields where the header has 4; fix that line"


def test_a_tsv_and_a_file_named_by_names_say_their_line_too(tmp_path: Path) -> None:
    tsv = _write(
        tmp_path / "r.tsv", [line.replace(",", "\t") for line in [_HEADER, "1,2,3,4", "", "1,2,3,4,5"]]
    )
    assert _message(tsv) == f"{tsv}, line 4: 5 fields where the header has 4; fix that line"
    bare = _write(tmp_path / "bare.csv", [*_ROWS[:5], "1,2,3,4,5", *_ROWS[5:]])
    assert _message(bare, names=["age", "city", "income", "y"]) == (
        f"{bare}, line 6: 5 fields where --names (Python: names=) gives 4; fix that line"
    )


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_an_unclosed_quote_is_named_by_the_line_it_opens_on(tmp_path: Path, end: str) -> None:
    # Was: "Error tokenizing data. C error: EOF inside string starting at row 15", for a quote on line 16.
    file = _write(tmp_path / "unclosed.csv", [_HEADER, *_ROWS[:14], '70,"Köln,55.1,no', *_ROWS[14:]], end)
    assert _message(file) == (
        f'{file}, line 16: a quote (") opens and is never closed; close it or remove it'
    )
    # Behind a value of several lines with a doubled quote in it, and a space before the quote.
    lines = [_HEADER, '1,"a ""quoted"" word\nover lines",3,no', *_ROWS[:5], '70, "Köln,55.1,no', *_ROWS[5:]]
    file = _write(tmp_path / "unclosed2.csv", lines, end)
    assert _message(file).startswith(f'{file}, line 9: a quote (") opens and is never closed')


def test_a_broken_json_line_is_named_by_line_and_column(tmp_path: Path) -> None:
    # Was: "could not read 'bad.jsonl' as JSON lines: Expected object or value at position 36; check the file".
    file = tmp_path / "bad.jsonl"
    file.write_text('{"age": 1, "y": "a"}\n{"age": 2, "y": \n{"age": 3, "y": "b"}\n')
    assert _message(file) == (
        f"{file}, line 2, column 16: the line ends before its JSON object does (expecting value); each line "
        "holds one JSON object: fix it"
    )
    listed = tmp_path / "listed.jsonl"
    listed.write_text('{"a": 1}\n\n[1, 2]\n')  # a TypeError from pandas, raw, before
    assert (
        _message(listed)
        == f"{listed}, line 3: a JSON list, where each line holds one JSON object; fix that line"
    )


def test_a_good_file_still_reads_without_a_word(tmp_path: Path) -> None:
    file = _write(tmp_path / "good.csv", [_HEADER, '1,"two\nlines",3,no', *_ROWS], "\r\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read_table(file)
    assert table.shape == (31, 4)


@pytest.mark.parametrize(("delimiter", "said"), [(" ", "spaces"), ("  ", "spaces"), (":", "':'")])
def test_a_file_read_as_one_column_says_its_delimiter_is_not_known(
    tmp_path: Path, delimiter: str, said: str
) -> None:
    # Was: "target column 'y' not found in spaces.txt; columns are: age city income y. Pass --target NAME".
    file = _write(tmp_path / "spaces.txt", [line.replace(",", delimiter) for line in [_HEADER, *_ROWS]])
    table = read_table(file)
    with pytest.raises(DataError) as caught:
        check_columns(table, "y", str(file), "--target")
    name = _HEADER.replace(",", delimiter)
    assert str(caught.value) == (
        f"{file} was read as one column ({name!r}): its delimiter ({said}) is not one of , ; tab | ::; re-save it "
        "with commas or tabs"
    )


def test_a_table_of_one_column_of_its_own_keeps_the_usual_error(tmp_path: Path) -> None:
    file = _write(tmp_path / "names.csv", ["full name", "Ada Lovelace", "Alan Turing"])
    with pytest.raises(
        DataError, match=r"target column 'y' not found in .*; columns are: full name\. Pass --target"
    ):
        check_columns(read_table(file), "y", str(file), "--target")


def test_quoted_decimal_commas_in_a_comma_file_are_read_as_numbers(tmp_path: Path) -> None:
    # pandas' to_csv(sep=",", decimal=","): the column was left as text and dropped as an ID at fit.
    file = _write(
        tmp_path / "comma_dec.csv", [_HEADER, '70,Zürich,"55,62",no', '57,Köln,"62,3",yes', "41,Bern,,no"]
    )
    with pytest.warns(UserWarning) as caught:
        table = read_table(file)
    assert table["income"].tolist()[:2] == [55.62, 62.3] and pd.isna(table["income"].iloc[2])
    assert [str(warning.message) for warning in caught] == [
        f"'{file}': column 'income' writes numbers with a decimal comma ('62,3'): read as numbers (62.3)"
    ]


def test_quoted_thousands_and_codes_in_a_comma_file_are_not_decimal_commas(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "t.csv",
        ["price,codes,y", '"1,250",12,a', '"2,500","1,5",b', '"12,000","a,b",a'],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = read_table(file)
    assert table["price"].tolist() == [1250, 2500, 12000]  # thousands commas, as before
    assert table["codes"].tolist() == ["12", "1,5", "a,b"]


@pytest.mark.parametrize(
    ("name", "codec", "said"),
    [
        ("u16.csv", "utf-16", "UTF-16"),
        ("u16be.tsv", "utf-16-be", "UTF-16"),
        ("u32.csv.gz", "utf-32", "UTF-32"),
    ],
)
def test_a_byte_order_mark_of_utf16_or_utf32_is_read_as_what_it_says(
    tmp_path: Path, name: str, codec: str, said: str
) -> None:
    # Was: "it holds NUL bytes, so it looks like a binary file or UTF-16 text (then pass --encoding utf-16)",
    # though a UTF-8 mark is read without a word.
    text = "\n".join([_HEADER, *_ROWS[:3]]).replace(",", "\t" if name.endswith(".tsv") else ",") + "\n"
    data = ("\ufeff" if codec == "utf-16-be" else "").encode(codec) + text.encode(codec)
    file = tmp_path / name
    file.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.warns(Note) as caught:
        table = read_table(file)
    assert [str(warning.message) for warning in caught] == [
        f"'{file}' is {said} text (its byte-order mark says so): read as {said}"
    ]
    assert list(table.columns) == ["age", "city", "income", "y"]
    assert table["income"].tolist() == [40.1, 41.11, 42.12]


def test_an_encoding_given_is_kept_and_a_utf16_text_file_is_read(tmp_path: Path) -> None:
    file = tmp_path / "t.txt"
    file.write_bytes("héllo\nwörld\n".encode("utf-16"))
    with pytest.warns(Note, match="is UTF-16 text"):
        assert read_text_file(file) == "héllo\nwörld\n"
    table = tmp_path / "t.csv"
    table.write_bytes("a,b\n1,x\n".encode("utf-16"))
    with pytest.raises(DataError, match="NUL bytes"):  # latin-1, given: the user's choice stands
        read_table(table, encoding="latin-1")


@pytest.mark.parametrize("options", [{}, {"encoding": "latin-1"}, {"encoding_errors": "replace"}])
def test_binary_junk_read_as_text_is_refused_as_binary(tmp_path: Path, options: dict[str, str]) -> None:
    # Was: "'junk.txt' is not utf-8 text (byte 0x80 on line 2); pass --encoding latin-1 ...", which then read
    # 40 lines of garbage and predicted on them.
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DataError) as caught:
        read_text_file(junk, **options)
    assert str(caught.value) == (
        f"{junk}, line 1: a NUL byte (0x00), which no text holds: the file is binary, not text; pass a text file"
    )
    controls = tmp_path / "controls.txt"  # no NUL byte, but control codes throughout
    controls.write_bytes(b"ok line\n" + bytes(range(1, 256)) * 40)
    with pytest.raises(
        DataError, match=r"controls.txt, line 2: a control byte \(0x01\), one of [\d,]+ in its first "
    ):
        read_text_file(controls, **options)


def test_utf16_without_its_mark_is_told_apart_from_binary_and_text_with_controls_reads(
    tmp_path: Path,
) -> None:
    bare = tmp_path / "le.txt"
    bare.write_bytes("hello\nworld\n".encode("utf-16-le"))
    with pytest.raises(DataError, match=r"le.txt, line 1: a NUL byte .*pass --encoding utf-16-le \(Python: "):
        read_text_file(bare)
    assert read_text_file(bare, encoding="utf-16-le") == "hello\nworld\n"
    text = tmp_path / "log.txt"  # tabs, a form feed and colour escapes are text's
    text.write_text("a\tb\n\x1b[31mred\x1b[0m\n\x0cnext page\r\n" * 50)
    assert read_text_file(text).startswith("a\tb\n")


def test_a_table_of_control_codes_is_refused_as_binary_where_it_was_an_encoding_to_pass(
    tmp_path: Path,
) -> None:
    file = tmp_path / "t.csv"
    file.write_bytes(b"a,b\n" + bytes(range(1, 256)) * 40)
    assert _message(file).startswith(f"{file}, line 2: a control byte (0x01), one of ")


def test_the_first_lines_of_utf16_text_are_sniffed_whole(tmp_path: Path) -> None:
    # Its lines were split at the byte "\n" of "\n\0" and every one after the first read as garbage.
    file = tmp_path / "semi.csv"
    file.write_bytes("a;city;y\n1,5;Zürich;n\r\n2,5;Köln;y\n".encode("utf-16"))
    assert head_lines(file, "utf-16")[:3] == ["a;city;y", "1,5;Zürich;n", "2,5;Köln;y"]
    bare = tmp_path / "bare.csv"
    bare.write_bytes("1.5;Zürich;n\n2.5;Köln;y\n".encode("utf-16"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = read_table(bare, names=["a", "city", "y"])
    assert table.values.tolist() == [[1.5, "Zürich", "n"], [2.5, "Köln", "y"]]


def test_a_broken_json_file_is_named_by_line_and_column(tmp_path: Path) -> None:
    # Was: "could not read 'bad.json' as JSON: Expected object or value at position 21; check the file".
    file = tmp_path / "bad.json"
    file.write_text('[\n  {"a": 1},\n  {"a" 2}\n]\n')
    assert _message(file) == f"{file}, line 3, column 8: not valid JSON (expecting ':' delimiter); fix it"
    cut = tmp_path / "cut.json"
    cut.write_text('[{"age": 1, "y": "a"}, {"age": 2,')
    assert _message(cut).startswith(f"{cut}, line 1, column 34: the file ends before its JSON does (")
    uneven = tmp_path / "uneven.json"  # valid JSON, not a table: pandas' reason stands
    uneven.write_text('{"a": [1, 2], "b": [1]}')
    assert (
        _message(uneven)
        == f"could not read '{uneven}' as JSON: All arrays must be of the same length; check the file"
    )
