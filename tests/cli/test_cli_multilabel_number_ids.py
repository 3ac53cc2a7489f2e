"""A TSV whose multi-label target writes numeric label ids, ``0,1`` with ``--label-delim ,`` (a tour of bad
files): the reader took ``0,1`` for the number 0.1 written with a decimal comma, and fit refused the target as
numbers. The target is now kept as written: the labels are the strings '0', '1' and '2'."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from cli_support import run_cli

import trainwell
from trainwell.data.io import read_table


def number_id_tags(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Label '0' when x1 > 0, '1' when x2 > 0, '2' when neither, joined with commas ('0,1')."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n_rows), rng.normal(size=n_rows)
    tags = [",".join(["0"] * bool(a > 0) + ["1"] * bool(b > 0)) or "2" for a, b in zip(x1, x2, strict=True)]
    return pd.DataFrame({"x1": x1, "x2": x2, "tags": tags})


def test_a_tsv_reads_number_id_labels_as_written_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "tags.tsv"
    number_id_tags().to_csv(path, sep="\t", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "writes numbers with a decimal comma" for the kept column
        table = read_table(path, as_written=["tags"])
    assert table["tags"].tolist() == number_id_tags()["tags"].tolist()
    assert table["x1"].dtype == np.float64
    # without it, the reader still reads such a column of a TSV as decimal commas, and says so
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_table(path)["tags"].dtype == np.float64
    assert any("decimal comma" in str(warning.message) for warning in caught)


def test_fit_on_a_tsv_of_number_id_labels_learns_the_labels_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "tags.tsv"
    number_id_tags().to_csv(path, sep="\t", index=False)
    fit = run_cli(
        "fit", path, "--target", "tags", "--label-delim", ",", "--epochs", "1", "--out", tmp_path / "m"
    )
    assert fit.returncode == 0, fit.explain()
    assert "decimal comma" not in fit.stderr, fit.explain()
    predictor = trainwell.load(tmp_path / "m")
    assert predictor.task.kind == "multilabel" and predictor.task.classes == ("0", "1", "2")
