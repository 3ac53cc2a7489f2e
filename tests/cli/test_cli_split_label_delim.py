"""A folder of splits is read as its single files are: GoEmotions' TSVs (no header, ``1,4`` for two labels) fitted
as ``goemotions/`` with ``--label-delim ,`` gave 351 decimal labels ('1,4' read as 1.4) and exited 0 (tour60 #1)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from cli_support import run_cli

from trainwell.data.splits import read_splits

WORDS = {
    0: "happy joy great love",
    1: "sad cry grief loss",
    2: "angry mad rage hate",
    3: "calm quiet rest fine",
}


def _goemotions_like(folder: Path) -> Path:
    """train/dev/test TSVs without a header: text, labels such as ``0,3``, id."""
    rng = random.Random(0)
    folder.mkdir()
    for split, rows in (("train", 160), ("dev", 40), ("test", 40)):
        lines = []
        for i in range(rows):
            labels = sorted(rng.sample(range(4), rng.choice([1, 2])))
            text = " ".join(rng.choice(WORDS[label].split()) for label in labels for _ in range(3))
            lines.append(f"{text} film\t{','.join(map(str, labels))}\t{split}{i}\n")
        (folder / f"{split}.tsv").write_text("".join(lines))
    return folder


def test_every_split_keeps_its_delimited_labels_as_written(tmp_path: Path) -> None:
    import pandas as pd

    folder = _goemotions_like(tmp_path / "ge")
    found = read_splits(
        folder,
        command="fit",
        targets=["labels"],
        test_given=False,
        valid_col=None,
        names=["text", "labels", "id"],
        encoding="utf-8",
        encoding_errors="strict",
        say=lambda line: None,
        label_delim=",",
        text_columns=["text"],
    )
    assert found is not None and found.test is not None
    for joined in (found.data, found.test):
        labels = pd.read_parquet(joined)["labels"]
        assert labels.map(type).eq(str).all(), labels.head()
        assert {part for cell in labels for part in cell.split(",")} <= {"0", "1", "2", "3"}
        assert labels.str.contains(",").any()


def test_fit_of_the_folder_reads_the_labels_as_the_single_file_does(tmp_path: Path) -> None:
    folder = _goemotions_like(tmp_path / "ge")
    options = ["--names", "text,labels,id", "--text", "text", "--target", "labels", "--label-delim", ","]
    result = run_cli("fit", folder, *options, "--epochs", "1", "--out", tmp_path / "model")
    assert result.returncode == 0, result.explain()
    assert "decimal comma" not in result.stderr, result.explain()
    config = json.loads((tmp_path / "model" / "trainwell.json").read_text())
    task = config["task"]
    assert task["kind"] == "multilabel", task
    assert sorted(task["classes"]) == ["0", "1", "2", "3"], task


def test_labels_read_as_decimal_commas_are_refused_with_the_delimiter() -> None:
    import pandas as pd
    import pytest

    from trainwell.core.errors import DataError
    from trainwell.text.data import labels_task

    # What a reader without the delimiter made of GoEmotions' '27', '4,27', '25': 4.27, one junk label
    with pytest.raises(DataError, match=r"decimal comma \('4,27' as 4\.27\) before --label-delim ','"):
        labels_task(pd.Series(["27", "4.27", "25"]), None, ",", "labels")
    with pytest.raises(DataError, match=r"'4,27' as 4\.27"):  # GoEmotions: cells of 3 labels stayed text
        labels_task(pd.Series(["27", "4.27", "1,3,25"]), None, ",", "labels")
    assert labels_task(pd.Series(["27", "4,27", "25"]), None, ",", "labels").kind == "multilabel"
    assert (
        labels_task(pd.Series(["v1.5", "v2,v1.5"]), None, ",", "tags").kind == "multilabel"
    )  # names, not ids


def test_evaluate_of_the_folder_reads_the_labels_as_fit_does(tmp_path: Path) -> None:
    folder = _goemotions_like(tmp_path / "ge")
    options = ["--names", "text,labels,id", "--text", "text", "--target", "labels", "--label-delim", ","]
    result = run_cli(
        "evaluate",
        folder,
        *options,
        "--cv",
        "2",
        "--epochs",
        "1",
        "--no-baselines",
        "--json",
        tmp_path / "e.json",
    )
    assert result.returncode == 0, result.explain()
    assert "decimal comma" not in result.stderr, result.explain()
    assert json.loads((tmp_path / "e.json").read_text())["task"] == "multilabel"
