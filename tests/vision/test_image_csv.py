"""A CSV of image paths and labels as users hand it over: gzipped, tab-separated, from Excel (byte-order mark and
Windows line ends), empty, or with stray spaces around its labels; read alike by fit, evaluate and report."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from image_files import make_image_folder
from trainwell.core.errors import DataError
from trainwell.vision import image_data
from trainwell.vision.evaluation import read_labelled_images


def _rows(tmp_path: Path, per_class: int = 4) -> list[tuple[str, str]]:
    root = make_image_folder(tmp_path / "imgs", per_class=per_class, size=12)
    return [(str(p.relative_to(tmp_path)), p.parent.name) for p in sorted(root.rglob("*.png"))]


def _text(rows: list[tuple[str, str]], delimiter: str = ",", line_end: str = "\n") -> str:
    return (
        line_end.join([f"path{delimiter}label", *(f"{p}{delimiter}{label}" for p, label in rows)]) + line_end
    )


@pytest.mark.parametrize("name", ["labels.csv.gz", "labels.tsv", "labels-excel.csv"])
def test_a_gzipped_tab_separated_or_excel_csv_of_paths_reads_as_the_plain_csv(
    tmp_path: Path, name: str
) -> None:
    # A .csv.gz was "not a folder" to fit (evaluate read it), and a .tsv was read comma-separated: its
    # columns came out as one, 'path\tlabel', and --path-col 'path' "was not a column".
    rows = _rows(tmp_path)
    source = tmp_path / name
    if name.endswith(".gz"):
        source.write_bytes(gzip.compress(_text(rows).encode()))
    elif name.endswith(".tsv"):
        source.write_text(_text(rows, "\t"))
    else:
        source.write_bytes(_text(rows, line_end="\r\n").encode("utf-8-sig"))
    plain = tmp_path / "plain.csv"
    plain.write_text(_text(rows))
    data = image_data(source, path_col="path", label_col="label", valid_pct=0)
    expected = image_data(plain, path_col="path", label_col="label", valid_pct=0)
    assert data.task.classes == expected.task.classes == ("horizontal", "vertical")
    assert data.paths["train"] == expected.paths["train"]  # type: ignore[attr-defined]
    images, labels = read_labelled_images(source, None, path_col="path", label_col="label")
    assert len(images) == len(rows) and sorted(set(labels)) == ["horizontal", "vertical"]


def test_spaces_around_a_label_do_not_make_another_class(tmp_path: Path) -> None:
    # 'vertical ' (a space typed after the label) was a class of its own beside 'vertical'.
    rows = [
        (path, f" {label}  " if index % 2 else label) for index, (path, label) in enumerate(_rows(tmp_path))
    ]
    source = tmp_path / "labels.csv"
    source.write_text(_text(rows))
    data = image_data(source, path_col="path", label_col="label", valid_pct=0)
    assert data.task.classes == ("horizontal", "vertical")


@pytest.mark.parametrize(
    ("content", "said"),
    [("", "'{csv}' has no data rows"), ("path,label\n", "'{csv}' has no data rows")],
    ids=["empty", "header-only"],
)
def test_an_empty_csv_of_paths_is_one_line_naming_it(tmp_path: Path, content: str, said: str) -> None:
    # An empty file was pandas' EmptyDataError traceback (fit, evaluate and report); a header alone was "the all
    # split of '...' holds no images".
    source = tmp_path / "labels.csv"
    source.write_text(content)
    message = said.format(csv=source)
    with pytest.raises(DataError) as raised:
        image_data(source, path_col="path", label_col="label")
    assert str(raised.value) == message
    with pytest.raises(DataError) as raised:
        read_labelled_images(source, None, path_col="path", label_col="label")
    assert str(raised.value) == message


def test_labels_that_pandas_reads_as_missing_are_classes_as_folders_of_those_names_are(
    tmp_path: Path,
) -> None:
    # A class 'NA' (North America), 'None' or 'null' was "--label-col 'label' is empty in data row 1"; a folder
    # of that name was a class. A cell left empty is still no label.
    rows = _rows(tmp_path, per_class=6)
    names = ["NA", "None", "null"]
    source = tmp_path / "labels.csv"
    source.write_text(_text([(path, names[index % 3]) for index, (path, _label) in enumerate(rows)]))
    data = image_data(source, path_col="path", label_col="label", valid_pct=0)
    assert data.task.classes == ("NA", "None", "null")
    source.write_text(
        _text([(path, "" if index == 2 else "NA") for index, (path, _label) in enumerate(rows)])
    )
    with pytest.raises(DataError, match="--label-col 'label' is empty in data row 3 of"):
        image_data(source, path_col="path", label_col="label")
