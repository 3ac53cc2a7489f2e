"""Texts laid out as one file per class, one text a line (rt-polarity's ``rt-polarity.pos`` and ``.neg``), read by
``text_data`` (the command line's: tests/cli/test_cli_class_files.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from text_samples import class_files_layout, reviews
from trainwell.core.errors import DataError
from trainwell.text import text_data
from trainwell.text._folders import judged_texts, read_text_folder
from trainwell.text._line_files import class_files, file_labels, split_class_files


def test_the_files_of_one_class_each_and_their_labels_are_found_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "rt_polarity"
    class_files_layout(folder, reviews(20))
    (folder / "SOURCE.md").write_text("# where the data came from\n")
    (folder / "vectors.npy").write_bytes(b"\x93NUMPY")
    assert class_files(folder) == {"neg": folder / "rt-polarity.neg.gz", "pos": folder / "rt-polarity.pos.gz"}
    assert file_labels(["pos", "neg"]) == ["pos", "neg"]
    assert file_labels(["quote.tok.gt9.5000", "plot.tok.gt9.5000"]) == [
        "quote",
        "plot",
    ]  # Pang and Lee's SUBJ
    assert file_labels(["class1", "class2"]) == [
        "class1",
        "class2",
    ]  # cut at separators only, not "1" and "2"
    assert file_labels(["train_spam", "train_ham"]) == ["spam", "ham"]
    assert file_labels(["a", "a"]) is None

    ptb = tmp_path / "ptb"  # a corpus cut into splits is not one class a file
    ptb.mkdir()
    for split in ("train", "valid", "test"):
        (ptb / f"ptb.{split}.txt").write_text("the cat sat\n")
    assert class_files(ptb) is None
    one = tmp_path / "shakespeare"
    one.mkdir()
    (one / "input.txt").write_text("First Citizen:\n")
    assert class_files(one) is None
    corpus = tmp_path / "corpus"  # many files are documents of a corpus, not classes
    corpus.mkdir()
    for index in range(51):
        (corpus / f"doc{index}.txt").write_text("a line\n")
    assert class_files(corpus) is None
    uci = tmp_path / "uci"  # UCI's tables: adult.data beside a second table is not two classes
    uci.mkdir()
    for name in ("adult.data", "census.data"):
        (uci / name).write_text("39, State-gov, <=50K\n")
    assert class_files(uci) is None
    binary = tmp_path / "binary"
    binary.mkdir()
    for name in ("a.dat", "b.dat"):
        (binary / name).write_bytes(b"\x00\x01\x02")
    assert class_files(binary) is None


def test_text_data_reads_each_line_as_a_text_labelled_by_its_file(tmp_path: Path) -> None:
    # `trainwell fit ../shared/data/rt_polarity` said "a folder without images": one file of snippets per class.
    frame = reviews(60)
    class_files_layout(tmp_path / "mr", frame)
    with (tmp_path / "mr" / "rt-polarity.pos.gz").open("ab") as stream:
        stream.write(gzip.compress(b"\n   \n"))  # blank lines separate nothing: skipped
    data = text_data(tmp_path / "mr", valid_pct=0.25)
    texts = data.texts  # type: ignore[attr-defined]
    assert data.task.classes == ("neg", "pos")
    assert sorted(texts["train"] + texts["valid"]) == sorted(
        frame["review"]
    )  # stripped of the " " before "\n"
    assert len(texts["valid"]) == 15

    picked = text_data(tmp_path / "mr", classes=["pos", "neg"])
    assert picked.task.classes == ("neg", "pos")
    with pytest.raises(
        DataError, match=r"classes= names 'great', not a class file of '.*mr'; its class files are"
    ):
        text_data(tmp_path / "mr", classes=["pos", "great"])

    split = tmp_path / "split"  # train/ and test/ folders of class files, as with class folders
    class_files_layout(split / "train", frame, "{label}.txt")
    class_files_layout(split / "test", reviews(10, seed=1), "{label}.txt")
    held = text_data(split)
    assert len(held.texts["test"]) == 10  # type: ignore[attr-defined]

    (tmp_path / "mr" / "rt-polarity.neutral").write_text("\n\n")
    with pytest.raises(
        DataError, match=r"rt-polarity.neutral' holds no text; a file of one class's texts holds one"
    ):
        text_data(tmp_path / "mr")


def _split_files(folder: Path, splits: dict[str, int], name: str = "sentiment.{split}.{label}") -> Path:
    """Reviews laid out as the Yelp set of style transfer ships: one file per split and class, a text a line."""
    frame = reviews(sum(splits.values()))
    start = 0
    for split, count in splits.items():
        part = frame.iloc[start : start + count]
        start += count
        class_files_layout(folder, part, name.format(split=split, label="{label}"))
    return folder


def test_files_of_one_class_per_split_are_found_by_name(tmp_path: Path) -> None:
    yelp = _split_files(tmp_path / "yelp", {"train": 20, "dev": 8, "test": 8})
    (yelp / "README.md").write_text("# Yelp\n")
    sets = split_class_files(yelp)
    assert sets == {
        split: {label: yelp / f"sentiment.{name}.{label}" for label in ("neg", "pos")}
        for split, name in (("train", "train"), ("valid", "dev"), ("test", "test"))
    }
    assert class_files(yelp) is None  # named as splits: not six classes
    other = _split_files(tmp_path / "other", {"train": 20, "test": 8}, "{split}.{label}.txt")
    assert set(split_class_files(other) or {}) == {"train", "test"}
    (other / "reference.pos.txt").write_text("a text\n")  # a file of no split: which is it?
    assert split_class_files(other) is None
    lone = _split_files(tmp_path / "lone", {"train": 20, "test": 8})
    (lone / "sentiment.test.pos").unlink()  # a split with one class file: not this layout
    assert split_class_files(lone) is None
    ptb = tmp_path / "ptb"  # a corpus cut into splits: one file a split
    ptb.mkdir()
    for split in ("train", "valid", "test"):
        (ptb / f"ptb.{split}.txt").write_text("the cat sat\n")
    assert split_class_files(ptb) is None
    assert split_class_files(_split_files(tmp_path / "only", {"train": 20})) is None  # no other split


def test_text_data_takes_the_splits_of_files_of_one_class_per_split(tmp_path: Path) -> None:
    yelp = _split_files(tmp_path / "yelp", {"train": 40, "dev": 12, "test": 10})
    frame, test = read_text_folder(yelp)
    assert len(frame) == 52 and int(frame["is_valid"].sum()) == 12
    assert test is not None and len(test) == 10 and set(test["label"]) == {"neg", "pos"}
    data = text_data(yelp)
    texts = data.texts  # type: ignore[attr-defined]
    assert (len(texts["train"]), len(texts["valid"])) == (40, 12)
    no_dev = _split_files(tmp_path / "no_dev", {"train": 40, "test": 10})
    frame, test = read_text_folder(no_dev)
    assert "is_valid" not in frame and len(frame) == 40 and test is not None and len(test) == 10
    judged, source = judged_texts(yelp)
    assert (
        len(judged) == 10 and source == f"'{yelp}' (its test files: sentiment.test.neg, sentiment.test.pos)"
    )


def test_a_model_directory_beside_the_class_files_is_no_class(tmp_path: Path) -> None:
    folder = class_files_layout(tmp_path / "mr", reviews(40))
    (folder / "model").mkdir()
    (folder / "model" / "trainwell.json").write_text("{}")  # trainwell fit mr/ --out mr/model, run again
    with pytest.warns(UserWarning, match="a model directory trainwell wrote"):
        assert text_data(folder).task.classes == ("neg", "pos")
    yelp = _split_files(tmp_path / "yelp", {"train": 20, "test": 8})
    (yelp / "model").mkdir()
    (yelp / "model" / "trainwell.json").write_text("{}")
    assert set(split_class_files(yelp) or {}) == {"train", "test"}
    frame, test = read_text_folder(yelp)
    assert len(frame) == 20 and test is not None and len(test) == 8
