"""Tests for trainwell.data.io: reading tables and the error line for each unusable file."""

from __future__ import annotations

import gzip
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.io import (
    READ_ANYWAY,
    check_column_roles,
    check_columns,
    read_table,
    read_text_file,
    write_table,
)


def _expected_frame() -> pd.DataFrame:
    return pd.DataFrame({"area": [50.5, 72.0, 31.25], "city": ["paris", "rome", "oslo"], "rooms": [2, 3, 1]})


def _assert_same_values(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(table.columns) == list(expected.columns)
    for column in expected.columns:
        assert table[column].tolist() == expected[column].tolist(), column


def test_reads_csv_and_strips_whitespace_and_question_marks(tmp_path: Path) -> None:
    file = tmp_path / "adult_like.csv"
    file.write_text(" age , workclass ,income\n39, State-gov, <=50K\n50, ?, >50K \n38,Private ,<=50K\n")
    table = read_table(file)
    assert list(table.columns) == ["age", "workclass", "income"]
    assert table["age"].tolist() == [39, 50, 38]
    assert table["income"].tolist() == ["<=50K", ">50K", "<=50K"]
    assert table["workclass"].iloc[0] == "State-gov"
    assert pd.isna(table["workclass"].iloc[1])
    assert table["workclass"].iloc[2] == "Private"


def test_question_mark_kept_as_text_without_the_default_na_values(tmp_path: Path) -> None:
    file = tmp_path / "t.csv"
    file.write_text("a,b\n1,?\n2,x\n")
    assert read_table(file, na_values=())["b"].tolist() == ["?", "x"]
    assert read_table(file, na_values=("x",))["b"].isna().tolist() == [False, True]


def test_numbers_padded_with_spaces_become_numeric(tmp_path: Path) -> None:
    file = tmp_path / "t.csv"
    file.write_text("a,b\n1 ,2.5 \n3 , ?\n")
    table = read_table(file)
    assert pd.api.types.is_numeric_dtype(table["a"]) and table["a"].tolist() == [1, 3]
    assert pd.api.types.is_numeric_dtype(table["b"])
    assert table["b"].iloc[0] == 2.5 and math.isnan(table["b"].iloc[1])


def test_a_padded_pandas_missing_marker_is_missing_as_the_bare_one_is(tmp_path: Path) -> None:
    # ' NaN ' (padded, or quoted with its spaces) kept a column of numbers as text, and predict then refused it
    # ("holds text that is not a number"), while the server reads the same cell as missing.
    file = tmp_path / "t.csv"
    file.write_text('age,job\n 40 ,a\n NaN ,b\n"  NULL  ",a\n')
    table = read_table(file)
    assert pd.api.types.is_numeric_dtype(table["age"]) and table["age"].isna().tolist() == [False, True, True]
    bare = tmp_path / "bare.csv"  # pandas_na=False: only the given markers, padded or not
    bare.write_text("age\n 40 \n NaN \n")
    assert read_table(bare, pandas_na=False)["age"].tolist() == ["40", "NaN"]


def test_headerless_file_with_names(tmp_path: Path) -> None:
    file = tmp_path / "t.data"
    file.write_text("1, a\n2, b\n\n")
    table = read_table(file, names=["number", "letter"])
    _assert_same_values(table, pd.DataFrame({"number": [1, 2], "letter": ["a", "b"]}))


def test_gzip_csv(tmp_path: Path) -> None:
    file = tmp_path / "t.csv.gz"
    with gzip.open(file, "wt") as stream:
        _expected_frame().to_csv(stream, index=False)
    _assert_same_values(read_table(file), _expected_frame())


def test_tsv_and_gzip_tsv(tmp_path: Path) -> None:
    plain, packed = tmp_path / "t.tsv", tmp_path / "t.tsv.gz"
    _expected_frame().to_csv(plain, sep="\t", index=False)
    _expected_frame().to_csv(packed, sep="\t", index=False, compression="gzip")
    _assert_same_values(read_table(plain), _expected_frame())
    _assert_same_values(read_table(packed), _expected_frame())


def test_parquet(tmp_path: Path) -> None:
    file = tmp_path / "t.parquet"
    _expected_frame().to_parquet(file)
    _assert_same_values(read_table(file), _expected_frame())


def test_json_lines(tmp_path: Path) -> None:
    file = tmp_path / "t.jsonl"
    _expected_frame().to_json(file, orient="records", lines=True)
    _assert_same_values(read_table(file), _expected_frame())


def test_unknown_extension_is_read_as_csv(tmp_path: Path) -> None:
    file = tmp_path / "t.txt"
    _expected_frame().to_csv(file, index=False)
    _assert_same_values(read_table(file), _expected_frame())


def test_semicolon_csv_is_detected(tmp_path: Path) -> None:
    file = tmp_path / "t.csv"
    _expected_frame().to_csv(file, sep=";", index=False)
    _assert_same_values(read_table(file), _expected_frame())


def test_decimal_commas_of_a_semicolon_file_are_read_as_numbers_and_said(tmp_path: Path) -> None:
    # As Excel saves a table where the comma is the decimal mark: read as text, each value looked like an ID.
    file = tmp_path / "t.csv"
    file.write_text("price;rate;code;y\n1.234,5;0,25;1,2,3;1\n2,5;-1,5;4,5,6;0\n3;?;7,8,9;1\n")
    with pytest.warns(UserWarning) as caught:
        table = read_table(file)
    assert table["price"].tolist() == [1234.5, 2.5, 3.0]
    assert table["rate"].tolist()[:2] == [0.25, -1.5] and math.isnan(table["rate"][2])
    assert table["code"].tolist() == ["1,2,3", "4,5,6", "7,8,9"]  # not numbers: left alone
    assert [str(w.message) for w in caught] == [
        f"'{file}': columns 'price', 'rate' write numbers with a decimal comma ('2,5'): read as numbers (2.5)"
    ]


def test_thousands_dots_of_a_file_of_decimal_commas_are_read_as_thousands(tmp_path: Path) -> None:
    # 1.250 (a German 1250) was read as 1.25 beside 980, the column's order scrambled, only 'preis' said.
    file = tmp_path / "t.csv"
    file.write_text(
        "einwohner;preis;jahr;ziel\n1.250;3,5;2.5;1\n980;2,5;1.0;0\n12.000;1,25;;1\n?;4,75;3.25;0\n"
    )
    with pytest.warns(UserWarning) as caught:
        table = read_table(file)
    assert table["einwohner"].tolist()[:3] == [1250, 980, 12000] and math.isnan(table["einwohner"][3])
    assert table["jahr"].tolist()[:2] == [2.5, 1.0]  # 3.25: not three digits after the dot, left as read
    assert [str(w.message) for w in caught][-1] == (
        f"'{file}': column 'einwohner' writes whole numbers with dots between thousands, as a file of decimal "
        "commas does ('1.250'): read as 1,250, not 1.25"
    )
    plain = tmp_path / "plain.csv"  # no decimal comma anywhere: a dot is a decimal point
    plain.write_text("a;y\n1.250;1\n980;0\n")
    assert read_table(plain)["a"].tolist() == [1.25, 980.0]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "dot.csv",
            "a;y\n1,5;1\n2.5;0\n",
        ),  # a decimal point beside decimal commas: which is meant is unclear
        ("comma.csv", 'a,y\n"1,234",1\n"2,5",0\n'),  # comma-delimited: "1,234" may as well be a thousand
    ],
)
def test_decimal_commas_that_could_mean_otherwise_stay_text(tmp_path: Path, name: str, content: str) -> None:
    file = tmp_path / name
    file.write_text(content)
    assert not pd.api.types.is_numeric_dtype(read_table(file)["a"])


def test_a_column_named_twice_in_the_header_is_refused(tmp_path: Path) -> None:
    # pandas reads the second 'a' as 'a.1', a column nobody named, and the model would expect it ever after.
    file = tmp_path / "t.csv"
    file.write_text("\ufeffa,a,b,b.1,y\n1,2,3,4,0\n5,6,7,8,1\n")
    with pytest.raises(
        DataError, match=r"^'.*t\.csv' names 'a' twice in its header row \(pandas would read the "
    ):
        read_table(file)
    file.write_text("a,a.1,y\n1,2,0\n")  # names that only look alike are names
    assert list(read_table(file).columns) == ["a", "a.1", "y"]
    file.write_text(
        "1,1,5\n2,1,3\n"
    )  # no header row (MovieLens' u1.base): data, which the callers' hints name
    assert list(read_table(file).columns) == ["1", "1.1", "5"]


def test_a_pipe_delimited_file_with_commas_in_later_rows_is_read_by_its_pipes(tmp_path: Path) -> None:
    # MovieLens' u.item: read as CSV it stopped at line 12 ("Expected 1 fields, saw 3"), before the fallback
    # to the header's delimiter could look.
    file = tmp_path / "items.csv"
    file.write_text("id|title|year\n1|Toy Story|1995\n2|GoldenEye|1995\n3|Usual Suspects, The|1995\n")
    table = read_table(file)
    assert list(table.columns) == ["id", "title", "year"]
    assert table["title"].tolist() == ["Toy Story", "GoldenEye", "Usual Suspects, The"]
    file.write_text('id,text\n1,"a; b, c"\n2,"d; e"\n3,f\n')  # commas vary, and no other delimiter is steady
    assert list(read_table(file).columns) == ["id", "text"]


def test_double_colon_files_of_movielens_1m_are_read(tmp_path: Path) -> None:
    # ratings.dat (1::1193::5::978300760) and movies.dat, whose genres hold a varying number of '|'.
    ratings = tmp_path / "ratings.dat"
    ratings.write_text("1::1193::5::978300760\n1::661::3::978302109\n2::914::3::978301968\n")
    table = read_table(ratings, names=["user", "item", "rating", "timestamp"])
    assert table["item"].tolist() == [1193, 661, 914] and table["rating"].tolist() == [5, 3, 3]
    movies = tmp_path / "movies.dat"
    movies.write_text(
        "1::Toy Story (1995)::Animation|Comedy\n2::Jumanji (1995)::Adventure|Children's|Fantasy\n"
    )
    assert read_table(movies, names=["id", "title", "genres"])["title"].tolist() == [
        "Toy Story (1995)",
        "Jumanji (1995)",
    ]
    headed = tmp_path / "headed.dat"
    headed.write_text("user::item::rating\n1::1193::5\n2::914::3\n")
    assert list(read_table(headed).columns) == ["user", "item", "rating"]


def test_an_excel_workbook_is_read_by_its_first_sheet_and_written(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl", reason="openpyxl (trainwell[excel]) reads .xlsx")
    book = tmp_path / "sales.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"city": [" Lyon", "Oslo"], "sales": [1.5, None]}).to_excel(
            writer, sheet_name="Data", index=False
        )
        pd.DataFrame({"note": ["draft"]}).to_excel(writer, sheet_name="Notes", index=False)
    with pytest.warns(UserWarning, match=r"read its first sheet, 'Data'; it also holds 'Notes', not read"):
        table = read_table(book)
    assert table["city"].tolist() == ["Lyon", "Oslo"] and math.isnan(
        table["sales"][1]
    )  # stripped, as a CSV's
    bare = tmp_path / "bare.xlsx"  # no header row: --names
    pd.DataFrame([[1, "a"], [2, "b"]]).to_excel(bare, header=False, index=False)
    assert read_table(bare, names=["n", "s"]).to_dict("list") == {"n": [1, 2], "s": ["a", "b"]}
    out = write_table(pd.DataFrame({"prediction": ["yes"], "probability_yes": [0.9]}), tmp_path / "p.xlsx")
    assert pd.read_excel(out, engine="openpyxl").to_dict("list") == {
        "prediction": ["yes"],
        "probability_yes": [0.9],
    }


def test_old_excel_and_opendocument_workbooks_are_read_their_codes_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # people.xls: written by xlwt (Excel 97-2003), a 'people' sheet of name, age, zip (text cells '02100'...) and
    # bought, and a 'notes' sheet. It was refused: "a spreadsheet workbook, not a table file".
    import importlib.util

    pytest.importorskip("python_calamine", reason="python-calamine (trainwell[excel]) reads .xls")
    pytest.importorskip("odf", reason="odfpy (trainwell[excel]) reads and writes .ods")
    with pytest.warns(UserWarning, match=r"read its first sheet, 'people'; it also holds 'notes'"):
        table = read_table(Path(__file__).parent / "people.xls")
    assert list(table.columns) == ["name", "age", "zip", "bought"] and len(table) == 8
    assert table["zip"].tolist()[:2] == ["02100", "02101"] and table["age"].tolist()[:2] == [20, 21]
    sheet = write_table(table, tmp_path / "people.ods")  # LibreOffice's: written and read back the same
    assert read_table(sheet).equals(table)
    with pytest.raises(
        DataError, match=r"the old Excel format \.xls is read, not written; name the file \.xlsx"
    ):
        write_table(table, tmp_path / "out.xls")
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "odf" else found(name, *a)
    )
    with pytest.raises(DataError, match=r"is an OpenDocument spreadsheet, and reading one needs odfpy, which is not "
                       r"installed: pip install odfpy \(or trainwell\[excel\]\)"):  # fmt: skip
        read_table(sheet)


def test_json_objects_are_spread_into_a_column_per_field(tmp_path: Path) -> None:
    # {"meta": {"src": "web"}} crashed the table model with "unhashable type: 'dict'".
    file = tmp_path / "rows.jsonl"
    file.write_text('{"a": 1, "meta": {"src": "web", "n": 2}}\n{"a": 2, "meta": {"src": "app"}}\n')
    with pytest.warns(
        UserWarning, match=r"the objects in 'meta' read as a column per field: meta.src, meta.n"
    ):
        table = read_table(file)
    assert list(table.columns) == ["a", "meta.src", "meta.n"] and table["meta.src"].tolist() == ["web", "app"]


def test_numbers_written_with_currency_thousands_or_percent_are_read_as_numbers(tmp_path: Path) -> None:
    # "$3,221.11" and "20.2%" were categories or IDs: a price left out, a rate of 400 categories.
    file = tmp_path / "money.csv"
    file.write_text(
        'price,rate,count,labels,zip\n"$3,221.11",20.2%,"1,200","2,15",02134\n$12,5%,7,27,10001\n'
    )
    with pytest.warns(UserWarning) as caught:
        table = read_table(file)
    assert table["price"].tolist() == [3221.11, 12.0] and table["rate"].tolist() == [20.2, 5.0]
    assert table["count"].tolist() == [1200, 7]
    assert table["labels"].tolist() == ["2,15", "27"]  # GoEmotions' label lists are no thousands
    assert [str(w.message) for w in caught] == [
        f"'{file}': columns 'price', 'rate', 'count' write numbers with a currency sign, thousands commas or % "
        "('$12'): read as numbers (12)"
    ]


def test_missing_file(tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    with pytest.raises(DataError, match=f"^data file '{re.escape(str(file))}' not found; check the path$"):
        read_table(file)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=f"^data file '{re.escape(str(tmp_path))}' is a directory, not a file; pass the path"
    ):
        read_table(tmp_path)
    # Kaggle's titanic/ in Python: say which tables it holds, the training one first.
    for name in ("test.csv", "train.csv"):
        (tmp_path / name).write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r": it holds train.csv, test.csv, e.g. pass '.*train.csv'$"):
        read_table(tmp_path)


def test_read_text_file_refuses_a_missing_file_or_a_folder_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "notes.txt"
    with pytest.raises(DataError, match=f"^text file '{re.escape(str(missing))}' not found; check the path$"):
        read_text_file(missing)
    with pytest.raises(
        DataError, match=f"^text file '{re.escape(str(missing))}.gz' not found; check the path$"
    ):
        read_text_file(f"{missing}.gz")
    with pytest.raises(
        DataError,
        match=f"^text file '{re.escape(str(tmp_path))}' is a directory, not a file; pass the path of a text file$",
    ):
        read_text_file(tmp_path)
    missing.write_text("still read\n", encoding="utf-8")
    assert read_text_file(missing) == "still read\n"


@pytest.mark.parametrize(("name", "content"), [("empty.csv", ""), ("header.csv", "a,b,c\n")])
def test_no_data_rows(tmp_path: Path, name: str, content: str) -> None:
    file = tmp_path / name
    file.write_text(content)
    with pytest.raises(DataError, match=f"^'{re.escape(str(file))}' has no data rows$"):
        read_table(file)


def test_parquet_without_rows(tmp_path: Path) -> None:
    file = tmp_path / "t.parquet"
    _expected_frame().iloc[:0].to_parquet(file)
    with pytest.raises(DataError, match="has no data rows"):
        read_table(file)


def test_binary_garbage(tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 20)
    message = (
        f"could not read '{re.escape(str(file))}' as CSV: it holds NUL bytes, so it looks like a binary file"
    )
    with pytest.raises(DataError, match=message) as caught:
        read_table(file)
    assert str(caught.value).endswith("; check the delimiter and encoding")


def test_wrong_encoding(tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_bytes("city,n\nZürich,1\n".encode("latin-1"))
    with pytest.raises(DataError) as caught:
        read_table(file)
    assert str(caught.value) == (
        f"'{file}' is not utf-8 text (byte 0xfc on line 2); pass --encoding cp1252 (Windows/Excel) or "
        f'--encoding latin-1 (Python: encoding="cp1252"); {READ_ANYWAY}'
    )
    assert read_table(file, encoding="latin-1")["city"].tolist() == ["Zürich"]


def test_ragged_rows(tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(DataError, match=r"x.csv, line 3: 4 fields where the header has 2; fix that line$"):
        read_table(file)


def test_corrupt_gzip(tmp_path: Path) -> None:
    file = tmp_path / "x.csv.gz"
    file.write_bytes(b"this is not gzip data")
    with pytest.raises(
        DataError, match=f"could not read '{re.escape(str(file))}' as CSV: Not a gzipped file"
    ):
        read_table(file)


def test_corrupt_parquet(tmp_path: Path) -> None:
    file = tmp_path / "x.parquet"
    file.write_bytes(b"this is not parquet data")
    with pytest.raises(
        DataError, match=f"could not read '{re.escape(str(file))}' as Parquet: .*; check the file$"
    ):
        read_table(file)


def test_check_columns_message() -> None:
    table = pd.DataFrame({"a": [1], "b": [2], "c": [3]})
    check_columns(table, ["a", "c"], "train.csv", "--target")
    expected = "target column 'price' not found in train.csv; columns are: a, b, c. Pass --target NAME (Python: target=)."
    with pytest.raises(DataError) as caught:
        check_columns(table, "price", "train.csv", "--target")
    assert str(caught.value) == expected
    with pytest.raises(DataError) as caught:
        check_columns(table, ["a", "x", "y"], "train.csv", "--cat-names")
    assert str(caught.value).startswith(
        "categorical columns 'x', 'y' not found in train.csv; columns are: a, b, c."
    )


def test_check_columns_says_when_the_header_row_reads_as_data(tmp_path: Path) -> None:
    """A file without a header row (UCI's adult.data) read with its first row as the names: --target income is
    missing, and the message says how to name the columns rather than only listing values as names."""
    file = tmp_path / "adult.csv"
    file.write_text("39,State-gov,77516,<=50K\n50,Self-emp,83311,>50K\n")
    with pytest.raises(DataError) as caught:
        check_columns(read_table(file), "income", "adult.csv", "--target")
    assert str(caught.value).endswith(
        "Pass --target NAME (Python: target=). Its first row reads as data, not column names: if the file has "
        "no header row, name its columns (--names col1,col2,col3,col4; Python: names=)."
    )
    named = read_table(file, names=["age", "work", "weight", "income"])
    check_columns(named, "income", "adult.csv", "--target")


def test_check_columns_cuts_long_column_lists() -> None:
    table = pd.DataFrame({f"c{i}": [i] for i in range(40)})
    with pytest.raises(
        DataError, match=r"columns are: c0, c1, .*, c29, \.\.\. \(40 in all\)\. Pass --valid-col"
    ):
        check_columns(table, "split", "data.csv", "--valid-col")


def test_check_column_roles() -> None:
    table = pd.DataFrame({"a": [1], "b": [2]})
    check_column_roles(table, {"--target": ["a"], "--cat-names": ["b"]}, "t.csv")
    with pytest.raises(
        ConfigError, match=r"^column 'a' is in both --target and --cat-names; give it one role$"
    ):
        check_column_roles(table, {"--target": ["a"], "--cat-names": ["b", "a"]}, "t.csv")
    with pytest.raises(DataError, match=r"^column names of t.csv must be text, got 0"):
        check_column_roles(pd.DataFrame([[1, 2]]), {"--target": []}, "t.csv")


def test_a_headerless_file_takes_the_delimiter_most_of_its_first_lines_use(tmp_path: Path) -> None:
    tabbed = tmp_path / "u.data"
    tabbed.write_text("196\t242\t3\n186\t302\t3\n")
    assert read_table(tabbed, names=["user", "item", "rating"]).to_dict("list") == {
        "user": [196, 186],
        "item": [242, 302],
        "rating": [3, 3],
    }
    # Adult's test file opens with a stray line holding '|': the commas of the rows still decide, and the line,
    # which holds none, is left out with a warning (it was a row of one text in the age column).
    adult_like = tmp_path / "adult.test"
    adult_like.write_text("|1x3 Cross validator\n25, Private, <=50K.\n38, Self-emp, >50K.\n")
    with pytest.warns(
        UserWarning, match=r"1 line\(s\) before its first row of data left out, as they hold no ','"
    ):
        table = read_table(adult_like, names=["age", "work", "income"])
    assert table.to_dict("list") == {
        "age": [25, 38],
        "work": ["Private", "Self-emp"],
        "income": ["<=50K.", ">50K."],
    }


def test_the_shared_adult_test_file_reads_without_a_header(shared_data: Path) -> None:
    names = [f"c{i}" for i in range(14)] + ["income"]
    table = read_table(shared_data / "adult" / "adult.test.gz", names=names)
    labels = table["income"].dropna().str.rstrip(".")
    assert len(labels) == 16_281 and set(labels) == {"<=50K", ">50K"}


def test_read_text_file_says_a_broken_gz_and_an_undecodable_byte_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "notes.txt.gz"
    broken.write_bytes(b"plain text, not gzip\n")
    with pytest.raises(
        DataError, match=r"^text file '.*notes\.txt\.gz' is not a complete gzip file \(.*\); "
    ):
        read_text_file(broken)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError) as caught:
        read_text_file(latin)
    said = str(caught.value)
    assert said.startswith(f"'{latin}' is not utf-8 text (byte 0xe9 on line 1); ") and said.endswith(
        READ_ANYWAY
    )
    assert said.count("--encoding-errors replace") == 1  # said once, not twice


@pytest.mark.parametrize(
    "name",
    ["p.csv", "p.csv.gz", "p.tsv", "p.tsv.gz", "p.parquet", "p.json", "p.jsonl", "p.jsonl.gz", "p.out"],
)
def test_write_table_writes_what_its_name_says_and_read_table_reads_it_back(
    tmp_path: Path, name: str
) -> None:
    table = pd.DataFrame(
        {"prediction": ["café", "no, thanks", None], "probability_yes": [0.25, 0.5, 0.125], "id": [1, 2, 3]}
    )
    path = write_table(table, tmp_path / name)
    raw = path.read_bytes()
    if name.endswith(".gz"):
        assert raw[:2] == b"\x1f\x8b"
        raw = gzip.decompress(raw)
    if name.startswith("p.parquet"):
        assert raw[:4] == b"PAR1"
    elif ".tsv" in name:
        assert raw.decode().splitlines()[0] == "prediction\tprobability_yes\tid"
    elif ".jsonl" in name:
        assert raw.decode().splitlines()[0] == '{"prediction":"café","probability_yes":0.25,"id":1}'
    elif ".json" in name:
        assert raw.decode().startswith('[{"prediction":"café"')
    else:
        assert raw.decode().splitlines()[:2] == ["prediction,probability_yes,id", "café,0.25,1"]
    back = read_table(path)
    assert back["prediction"].tolist()[:2] == ["café", "no, thanks"]
    assert pd.isna(back["prediction"].iloc[2])
    assert back["probability_yes"].tolist() == [0.25, 0.5, 0.125]
    assert back["id"].tolist() == [1, 2, 3]
    assert not list(tmp_path.glob(".p*"))  # no temp file left beside it


@pytest.mark.parametrize(
    ("name", "sep", "encoding"),
    [
        ("codes.csv", ",", "utf-8"),
        ("codes.tsv.gz", "\t", "utf-8"),
        ("codes.dat", "::", "utf-8"),
        ("codes.csv", ";", "cp1252"),
    ],
    ids=["csv", "tsv-gz", "double-colon", "cp1252"],
)
def test_whole_numbers_written_with_leading_zeros_are_kept_as_written(
    tmp_path: Path, name: str, sep: str, encoding: str
) -> None:
    # ZIP codes and IDs read as 2134 and 1: `predict --keep id` wrote back ids the submission did not hold.
    rows = [["id", "zip", "count", "city"], ["0001", "02134", "3", "Bostön"], ["0002", "", "12", "NYC"]]
    rows += [[f"{n:04d}", "10001", str(n), "NYC"] for n in range(3, 9)]
    text = "\n".join(sep.join(row) for row in rows) + "\n"
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode(encoding)))
    else:
        path.write_bytes(text.encode(encoding))
    table = read_table(path, encoding=encoding)
    assert table["id"].tolist()[:3] == ["0001", "0002", "0003"]
    assert (
        table["zip"].iloc[0] == "02134" and pd.isna(table["zip"].iloc[1]) and table["zip"].iloc[2] == "10001"
    )
    assert table["count"].dtype.kind == "i" and table["count"].tolist()[:2] == [3, 12]  # no zeros: a number


def test_leading_zeros_stay_numbers_beside_other_text_and_in_decimals(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("a,b,c,d\n007,0.5,0,-01\nX12,0.25,10,5\n", encoding="utf-8")
    table = read_table(path)
    assert table["a"].tolist() == ["007", "X12"]  # text anyway
    assert table["b"].tolist() == [0.5, 0.25] and table["c"].tolist() == [0, 10]  # '0.5' and '0' are numbers
    assert table["d"].tolist() == [-1, 5]  # a sign: a number, not a code


def test_a_compressed_table_cut_short_says_so_rather_than_blaming_the_delimiter(tmp_path: Path) -> None:
    whole = gzip.compress(("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(5000))).encode())
    cut = tmp_path / "t.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(
        DataError, match=r"as CSV: .*; the file is cut short or not the archive its name says; "
    ):
        read_table(cut)


def test_a_header_cell_left_empty_is_said_and_not_taken_for_a_saved_index(tmp_path: Path) -> None:
    # Adult with fnlwgt's header cell empty: read as 'Unnamed: 2', then dropped in silence as "named like an ID".
    from trainwell.tabular.recipe import TabularRecipe

    rng = np.random.default_rng(0)
    file = tmp_path / "t.csv"
    frame = pd.DataFrame(
        {"age": rng.integers(20, 60, 200), "w": rng.permutation(200) * 1000 + 7, "y": [0, 1] * 100}
    )
    file.write_text(frame.to_csv(index=False).replace("age,w,y", "age,,y", 1))
    with pytest.warns(UserWarning, match=r"^column 2 of '.*t\.csv' has no name in the header row: read as "):
        table = read_table(file)
    assert list(table.columns) == ["age", "Unnamed: 1", "y"]
    recipe = TabularRecipe.fit(table, target="y")
    assert "Unnamed: 1" in recipe.cont_names  # an input, not dropped as an index pandas saved
    frame.to_csv(file)  # a saved index: the first column, no name, a number a row
    indexed = read_table(file)  # nothing to say of it
    headerless = tmp_path / "u.item"  # MovieLens: no header row, an empty date in its first line
    headerless.write_text("1|Toy Story (1995)||01-Jan-1995\n2|GoldenEye (1995)||01-Jan-1995\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty value of a data row, not a column without a name
        read_table(headerless)
    with pytest.warns(UserWarning, match="column 'Unnamed: 0' left out of the inputs: named like an ID"):
        assert "Unnamed: 0" in TabularRecipe.fit(indexed, target="y").dropped


def test_json_written_shows_slashes_as_they_are_and_reads_back_the_same(tmp_path: Path) -> None:
    # pandas escapes every "/": "Mary\/PER" in a tagger's entities. Backslashes of the data must survive too.
    import json

    values = ["Mary/PER", "a\\/b", "c\\\\/d", "http://x.org/y"]
    for name in ("t.json", "t.jsonl"):
        path = tmp_path / name
        write_table(pd.DataFrame({"v": values}), path)
        assert "\\/" not in path.read_text(encoding="utf-8").replace("\\\\", "")
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = json.loads(lines[0]) if name == "t.json" else [json.loads(line) for line in lines]
        assert [row["v"] for row in rows] == values


@pytest.mark.parametrize("title", ["Report generated 2024-01-01\n", "Sales by region,,\n\n"])
def test_a_title_line_above_the_header_is_left_out_and_said(tmp_path: Path, title: str) -> None:
    # --target was "not found"; the columns listed were the title's: "Report generated 2024-01-01, Unnamed: 1".
    file = tmp_path / "report.csv"
    file.write_text(title + "a,b,target\n1,2,x\n3,4,y\n")
    with pytest.warns(UserWarning, match=r"line\(s\) above its header row left out, as they name no columns"):
        table = read_table(file)
    assert list(table.columns) == ["a", "b", "target"] and table["a"].tolist() == [1, 3]
    file.write_text("id,,\n1,2,3\n4,5,6\n")  # a header of one name above data: kept as read
    assert list(read_table(file).columns) == ["id", "Unnamed: 1", "Unnamed: 2"]
