"""`trainwell evaluate` names the model it cross-validates as fit does, and draws grouped folds for tables.

--arch and --lr reach a text model (evaluate_texts' arch=, lr=) and a recommender (evaluate_ratings'); --groups
reaches evaluate_table(groups=). Each was refused before ("--arch is for tables, not texts", "--arch is not used
by a recommender", no --groups at all). What each fold trained is read back from --json's per-fold architectures
and learning rates, the folds from --oof.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli, run_cli_many

from text_samples import reviews

pytestmark = pytest.mark.slow


def test_arch_and_lr_reach_each_fold_of_a_text_model_and_of_a_recommender(tmp_path: Path) -> None:
    texts = tmp_path / "reviews.csv"
    reviews(60, 0, filler=3).to_csv(texts, index=False)
    rng = np.random.default_rng(0)
    ratings = tmp_path / "ratings.csv"
    pairs = pd.DataFrame({"u": rng.integers(0, 20, 200), "i": rng.integers(0, 15, 200)}).drop_duplicates()
    pairs.assign(r=rng.integers(1, 6, len(pairs))).to_csv(ratings, index=False)
    quick = ("--cv", "2", "--epochs", "1", "--no-baselines")
    text_run, rating_run = run_cli_many(
        [
            ("evaluate", texts, "--text", "review", "--target", "sentiment", "--arch", "ulmfit", "--lr", "0.003",
             *quick, "--json", tmp_path / "texts.json"),
            ("evaluate", ratings, "--user", "u", "--item", "i", "--target", "r", "--arch", "collab_nn", "--lr",
             "0.01", *quick, "--json", tmp_path / "ratings.json"),
        ]
    )  # fmt: skip
    for run, written, arch, lr in (
        (text_run, "texts.json", "awd_lstm", 0.003),  # ulmfit: the AWD-LSTM classifier, not the n-gram bag
        (rating_run, "ratings.json", "collab_nn", 0.01),
    ):
        assert run.returncode == 0, run.explain()
        model = json.loads((tmp_path / written).read_text(encoding="utf-8"))["trainwell"]
        assert model["archs"] == [arch, arch] and model["lrs"] == [lr, lr], run.explain()


def test_groups_keep_each_groups_rows_in_one_fold_and_say_so(tmp_path: Path) -> None:
    # Four visits of each of 30 patients: ungrouped folds (stratified at random) split most patients' visits.
    rng = np.random.default_rng(0)
    patient = np.repeat(np.arange(30), 4)
    x = rng.normal(size=len(patient))
    table = pd.DataFrame({"patient_id": patient, "x": x, "y": np.where(x > 0, "yes", "no")})
    data = tmp_path / "visits.csv"
    table.to_csv(data, index=False)
    common = ("evaluate", data, "--target", "y", "--cv", "3", "--arch", "gbdt", "--no-baselines")
    grouped, plain = run_cli_many(
        [
            (*common, "--groups", "patient_id", "--oof", tmp_path / "grouped.csv"),
            (*common, "--oof", tmp_path / "plain.csv"),
        ]
    )
    assert grouped.returncode == 0, grouped.explain()
    assert plain.returncode == 0, plain.explain()

    def folds_per_patient(name: str) -> pd.Series:
        oof = pd.read_csv(tmp_path / name)
        return oof.assign(patient=patient[oof["row"] - 1]).groupby("patient")["fold"].nunique()

    assert (folds_per_patient("grouped.csv") == 1).all(), grouped.explain()
    assert (
        folds_per_patient("plain.csv") > 1
    ).any()  # the data splits patients when nothing keeps them whole
    said = "folds grouped by 'patient_id': each group's rows are validated in one fold"
    assert said in grouped.stdout and said not in plain.stdout, grouped.explain()
    # The group column is left out of a table's models' inputs (as evaluate_table documents): said, with the
    # option that keeps it; nothing claims it is still an input.
    assert "'patient_id' is left out of the inputs of every model here" in grouped.stderr, grouped.explain()
    assert "--cat-names patient_id (Python: cat_names=['patient_id'])" in grouped.stderr, grouped.explain()
    assert "is still an input" not in grouped.stdout, grouped.explain()


def test_groups_naming_no_column_is_refused_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "visits.csv"
    data.write_text("patient_id,x,y\n1,0.5,yes\n1,0.2,no\n2,0.1,yes\n2,0.9,no\n", encoding="utf-8")
    result = run_cli("evaluate", data, "--target", "y", "--groups", "patient")
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines == [
        f"error: --groups patient is not a column of {data} (did you mean 'patient_id'?); columns are: "
        "patient_id, x, y. Pass a column, or one group per row"
    ], result.explain()
