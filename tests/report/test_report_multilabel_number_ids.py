"""Multi-label targets written as number ids ('0', '2', '2,10'), kept as written by fit and by ``trainwell report
--data``: where no cell held two ids, pandas 3 read the column as numbers; fit found every label missing ("target
'tags' has no values") and the report stopped on "'float' object is not iterable"."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.data.io import read_table
from trainwell.data.task import infer_task


def _ids(n: int, seed: int) -> pd.DataFrame:
    """``x``, ``y`` and ``tags``: '0' when x > 0.3, '2' when y > 0.3, '10' when both are large, joined by ','."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n)
    tags = [
        ",".join(tag for tag, on in (("0", a > 0.3), ("2", b > 0.3), ("10", a + b > 1.5)) if on)
        for a, b in zip(x, y, strict=True)
    ]
    return pd.DataFrame({"x": x, "y": y, "tags": tags})


def _one_id_a_row(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["tags"].str.contains(",")]


def test_a_column_of_single_ids_is_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    pd.DataFrame({"a": [1, 2, 3, 4], "tags": ["2", "", "007", "10"]}).to_csv(path, index=False)
    assert pd.read_csv(path)["tags"].dtype == np.float64  # what a plain reading makes of them
    read = read_table(path, as_written=["tags"])["tags"].tolist()
    assert read[0] == "2" and read[2] == "007" and read[3] == "10" and pd.isna(read[1])


def test_ids_read_as_numbers_still_encode_as_their_labels() -> None:
    task = infer_task(pd.Series(["0", "2,10", ""]), name="tags", kind="multilabel", label_delim=",")
    assert [str(c) for c in task.classes] == ["0", "2", "10"]
    encoded = task.encode(pd.Series([2.0, np.nan, 0.0, 10.0]))
    assert encoded.tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1]]


@pytest.mark.parametrize("fit_on_single_ids", [False, True])
def test_fit_and_report_keep_number_ids_as_written(tmp_path: Path, fit_on_single_ids: bool) -> None:
    rows = _ids(400, 0)
    train = tmp_path / "tags.tsv"
    (_one_id_a_row(rows) if fit_on_single_ids else rows).to_csv(train, sep="\t", index=False)
    held_out = tmp_path / "held_out.tsv"
    _one_id_a_row(_ids(200, 1)).to_csv(held_out, sep="\t", index=False)
    runner = CliRunner()
    fitted = runner.invoke(
        app,
        [
            "fit",
            str(train),
            "--target",
            "tags",
            "--label-delim",
            ",",
            "--epochs",
            "3",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert fitted.exit_code == 0, fitted.output
    report = tmp_path / "report.html"
    made = runner.invoke(app, ["report", str(tmp_path / "m"), "--data", str(held_out), "--out", str(report)])
    assert made.exit_code == 0, made.output
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", report.read_text())))
    # the per-label table: each label as written, with its rows in the held-out file
    counts = _one_id_a_row(_ids(200, 1))["tags"].value_counts()
    assert f"ROC AUC 2 {counts['2']} " in text or f" 2 {counts['2']} " in text
    assert f" 0 {counts['0']} " in text
    assert re.search(r"(?<![\d.])(0|2|10)\.0(?!\d)", text) is None  # no id read as a number: 2.0
