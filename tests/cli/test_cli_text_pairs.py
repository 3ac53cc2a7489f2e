"""`trainwell fit pairs.csv --target label` on a table of two sentences and a label: one text model of each pair,
then predict, evaluate and the refusals."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from cli_support import run_cli

import trainwell
from text_samples import sentence_pairs

pytestmark = pytest.mark.slow


def test_a_table_of_two_sentences_trains_one_model_of_each_pair(tmp_path: Path) -> None:
    data = tmp_path / "pairs.csv"
    sentence_pairs(1200).to_csv(data, index=False)
    out = tmp_path / "model"
    # 3 epochs: the pairs' rule is learnt in them (its default, chosen from the size, was many more)
    fit = run_cli("fit", data, "--target", "label", "--epochs", "3", "--out", out)
    assert fit.returncode == 0, fit.explain()
    said = " ".join(fit.stdout.split())
    assert "columns 'sentence1' and 'sentence2' are free text" in said, said
    assert "(as --text sentence1,sentence2)" in said
    new = tmp_path / "new.csv"
    sentence_pairs(60, seed=3).to_csv(new, index=False)
    predicted = run_cli("predict", out, new, "--keep", "label")
    assert predicted.returncode == 0, predicted.explain()
    table = pd.read_csv(StringIO(predicted.stdout))
    assert (table["prediction"] == table["label"]).mean() >= 0.9
    info = run_cli("info", out)
    assert "text columns 'sentence1' and 'sentence2'" in " ".join(info.stdout.split()), info.explain()
    lone = tmp_path / "lone.csv"
    sentence_pairs(5, seed=4)[["sentence1"]].to_csv(lone, index=False)
    refused = run_cli("predict", out, lone)
    assert refused.returncode == 2 and "sentence2" in refused.stderr, refused.explain()
    lines = tmp_path / "lines.txt"
    lines.write_text("the cat sat\nbig red car\n")
    one_a_line = run_cli("predict", out, lines)
    assert one_a_line.returncode == 2, one_a_line.explain()
    assert "this model reads 2 texts an example (the columns sentence1, sentence2): pass a table" in " ".join(
        one_a_line.stderr.split()
    )


def test_text_names_both_columns_and_evaluate_reads_them_alike(tmp_path: Path) -> None:
    data = tmp_path / "pairs.csv"
    sentence_pairs(600).assign(other=1).to_csv(data, index=False)
    evaluated = run_cli(
        "evaluate", data, "--text", "sentence1,sentence2", "--target", "label", "--cv", "2", "--epochs", "2"
    )
    assert evaluated.returncode == 0, evaluated.explain()
    assert "tf-idf + logistic" in evaluated.stdout
    pairs_only = tmp_path / "pairs_only.csv"
    sentence_pairs(300).to_csv(pairs_only, index=False)
    swept = run_cli(
        "lr-find", pairs_only, "--target", "label", cwd=tmp_path
    )  # as fit: the text model of the pairs
    assert swept.returncode == 0, swept.explain()
    assert "columns 'sentence1' and 'sentence2' are free text" in " ".join(swept.stdout.split())
    assert "suggested learning rate" in swept.stdout and "fit trains this model at" in swept.stdout
    tuned = run_cli(  # trials of 1 or 2 epochs (the defaults' trial alone was 30)
        "tune", pairs_only, "--target", "label", "--trials", "2", "--search", "epochs=1:2", "--out", tmp_path / "tuned",
    )  # fmt: skip
    assert tuned.returncode == 0, tuned.explain()  # tune searched a table model and stopped: no input columns
    assert "columns 'sentence1' and 'sentence2' are free text" in " ".join(tuned.stdout.split())
    assert trainwell.load(tmp_path / "tuned").recipe.fields == ("sentence1", "sentence2")
    language_model = run_cli(
        "fit", data, "--text", "sentence1,sentence2", "--task", "language_model", "--epochs", "1"
    )
    assert language_model.returncode == 2
    assert "a language model reads one text column" in language_model.stderr, language_model.explain()
