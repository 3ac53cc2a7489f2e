"""C4.5 ``.names`` files (UCI's adult.names): the columns and class of a table without a header row, read from
the description beside it; anything else (free prose, other widths, a file with a header) is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainwell.data.documented import described_columns
from trainwell.data.io import described_table, read_table

#: The shape of UCI's own adult.names: prose as '|' comments, the class values, one declaration a line.
ADULT = """| This data was extracted from the census bureau database found at
| http://www.census.gov/ftp/pub/DES/www/welcome.html
|
| Prediction task is to determine whether a person makes over 50K
| a year.

>50K, <=50K.

age: continuous.
workclass: Private, Self-emp-not-inc, Self-emp-inc, Federal-gov, Local-gov, State-gov, Without-pay, Never-worked.
fnlwgt: continuous.
native-country: United-States, Cambodia, England,
    Puerto-Rico, Canada.
"""


def _folder(tmp_path: Path, **files: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (tmp_path / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return tmp_path


def test_uci_adult_names_declares_the_columns_and_the_class_is_last(tmp_path: Path) -> None:
    folder = _folder(tmp_path, adult_names=ADULT)
    for data in ("adult.data", "adult.test", "adult.data.gz"):
        described = described_columns(folder / data)
        assert described is not None, data
        assert described.names == ["age", "workclass", "fnlwgt", "native-country", "class"]
        assert (described.target, described.classes, described.path) == (
            "class",
            [">50K", "<=50K"],
            folder / "adult.names",
        )
    assert described_columns(folder / "adult.data", width=5) is not None
    assert described_columns(folder / "adult.data", width=15) is None  # another table than it describes


def test_numbered_declarations_a_class_column_and_computed_columns(tmp_path: Path) -> None:
    # A copy of adult.names numbers its declarations ('0age: continuous.') and ends with a list of the names.
    numbered = ">50K, <=50K.\n\n0age: continuous.\n1workclass: Private, State-gov.\n\nage, workclass\n"
    assert described_columns(_folder(tmp_path / "a", a_names=numbered) / "a.data").names == [
        "age",
        "workclass",
        "class",
    ]
    # The class may be a declared column; ':=' declares one computed from others, absent from the file.
    declared = "kind.\nsize: continuous.\nkind: small, big.\narea := size * size.\n"
    described = described_columns(_folder(tmp_path / "b", b_names=declared) / "b.data")
    assert described is not None and (described.names, described.target, described.classes) == (
        ["size", "kind"],
        "kind",
        [],
    )
    # A column called 'class' already: the class column is 'target'.
    clash = "a, b.\nclass: x, y.\n"
    assert described_columns(_folder(tmp_path / "c", c_names=clash) / "c.data").names == ["class", "target"]


@pytest.mark.parametrize(
    "text",
    [
        "1. Title: Iris Plants Database\n\n2. Sources: (a) Creator: R.A. Fisher\n\n7. Attribute Information:\n   1. sepal length in cm\n",
        "yes, no.\n",  # the class values and no column
        "yes.\nx: continuous.\n",  # one class value, and it is no column
        "yes, no.\nx: continuous.\nx: continuous.\n",  # a column declared twice
    ],
)
def test_other_descriptions_declare_nothing(tmp_path: Path, text: str) -> None:
    assert described_columns(_folder(tmp_path, data_names=text) / "data.data") is None


def test_the_folders_only_names_file_describes_any_table_and_two_describe_none_but_their_own(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, adult_names=ADULT)
    assert described_columns(folder / "census.csv") is not None
    (folder / "other.names").write_text(ADULT, encoding="utf-8")
    assert described_columns(folder / "census.csv") is None
    assert described_columns(folder / "adult.data") is not None


def test_read_table_names_a_headerless_table_but_keeps_a_header_row(tmp_path: Path) -> None:
    folder = _folder(tmp_path, adult_names=ADULT)
    rows = "39, State-gov, 77516, United-States, <=50K\n50, Private, 83311, Cuba, >50K\n"
    (folder / "adult.data").write_text(rows, encoding="utf-8")
    with pytest.warns(UserWarning, match=r"'.*adult\.data' has no header row: its columns are named from"):
        frame = read_table(folder / "adult.data")
    assert (
        list(frame.columns) == ["age", "workclass", "fnlwgt", "native-country", "class"] and len(frame) == 2
    )
    assert frame.attrs["header_names"] == list(frame.columns)
    headed = folder / "headed.data"  # its own header row, naming the columns: read as it is
    headed.write_text("age,workclass,fnlwgt,native-country,income\n" + rows, encoding="utf-8")
    assert described_table(headed) is None and list(read_table(headed).columns)[-1] == "income"
    narrow = folder / "narrow.data"  # four columns: not the table described
    narrow.write_text("39, State-gov, 77516, <=50K\n50, Private, 83311, >50K\n", encoding="utf-8")
    assert described_table(narrow) is None
    assert list(read_table(narrow, names=["a", "b", "c", "d"]).columns) == ["a", "b", "c", "d"]
