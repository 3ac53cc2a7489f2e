"""fastText's supervised format (``__label__pos a great film``) read as a table of texts and labels."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from trainwell.core.errors import DataError
from trainwell.text._fasttext import is_fasttext_file, read_fasttext
from trainwell.text.table import read_text_table


def test_a_file_of_labelled_lines_is_told_and_read(tmp_path: Path) -> None:
    path = tmp_path / "train.ft.txt"
    path.write_text("__label__2 Great CD: lovely\n\n__label__1  Batteries died  within a year\n")
    assert is_fasttext_file(path)
    frame = read_text_table(path)
    assert frame.to_dict("list") == {
        "text": ["Great CD: lovely", "Batteries died within a year"],
        "label": ["2", "1"],
    }
    packed = tmp_path / "train.ft.txt.gz"  # Amazon's fastText files ship compressed
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert is_fasttext_file(packed) and len(read_fasttext(packed)) == 2


def test_a_line_holding_u0085_or_u2028_is_one_line(tmp_path: Path) -> None:
    # Raw IMDB reviews hold U+0085: str.splitlines cut the review there, and the file was refused at a "line"
    # without its label ("line 6 has no __label__<name> label before its text").
    path = tmp_path / "reviews.txt"
    path.write_text("__label__pos a good\x85 film\r\n__label__neg dull\u2028 and long\n__label__pos fine\n")
    frame = read_fasttext(path)
    assert frame["text"].tolist() == [
        "a good film",
        "dull and long",
        "fine",
    ]  # spaces as the format reads them


def test_several_labels_on_a_line_make_lists(tmp_path: Path) -> None:
    path = tmp_path / "cooking.txt"
    path.write_text("__label__baking __label__bread How do I make bread rise?\n__label__eggs Boiled eggs?\n")
    assert read_fasttext(path)["label"].tolist() == [["baking", "bread"], ["eggs"]]
    from trainwell.text.corpus import read_corpus  # a language model's corpus: the texts alone

    assert read_corpus(path) == ["How do I make bread rise?", "Boiled eggs?"]


def test_other_files_are_not_taken_for_it(tmp_path: Path) -> None:
    lines = tmp_path / "notes.txt"
    lines.write_text("__label__pos a great film\nno label here\n")  # not every first line is labelled
    table = tmp_path / "texts.csv"
    table.write_text("__label__text,label\na,b\n")  # named as a table
    assert not is_fasttext_file(lines) and not is_fasttext_file(table) and not is_fasttext_file(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "__label__a fine\n" * 5 + "no label\n",
            r"line 6 has no __label__<name> label before its text \('no label'\)",
        ),
        ("__label__a fine\n" * 5 + "__label__b\n", r"line 6 has labels but no text"),
        ("__label__a fine\n" * 5 + "__label__ text\n", r"line 6 has no __label__<name> label"),
    ],
)
def test_a_line_without_a_label_or_a_text_is_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "train.txt"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_fasttext(path)


def test_text_data_needs_no_column_names_for_it(tmp_path: Path) -> None:
    from trainwell.text import text_data

    path = tmp_path / "cooking.txt"
    path.write_text(
        "".join(f"__label__{'a __label__b' if i % 3 else 'b'} text number {i} here\n" for i in range(40))
    )
    data = text_data(path)
    assert data.task.kind == "multilabel" and data.task.classes == ("a", "b")
