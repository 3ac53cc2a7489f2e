"""``fit_table(..., decision_threshold=...)`` and ``trainwell fit --decision-threshold``: a binary model's
threshold chosen on the validation rows (or given), said in one line with its validation figures at 0.5 and at
it, kept in the model directory and used to score the test set; refused in one line for other targets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli
from sklearn.metrics import f1_score

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.tabular.pipeline import fit_table


def _rare_yes(n_rows: int, seed: int) -> pd.DataFrame:
    """About 12% 'yes', which x and colour predict in part: the best F1 is well below 0.5."""
    rng = np.random.default_rng(seed)
    x, colour = rng.normal(size=n_rows), rng.choice(["red", "blue", "green"], n_rows)
    score = 1.3 * x + (colour == "red") + rng.normal(size=n_rows)
    return pd.DataFrame({"x": x, "colour": colour, "y": np.where(score > 2.0, "yes", "no")})


def test_fit_table_chooses_keeps_and_scores_at_the_threshold(tmp_path: Path) -> None:
    test = _rare_yes(600, 1)
    run = fit_table(
        _rare_yes(1500, 0),
        "y",
        arch="gbdt",
        decision_threshold="f1",
        test=test,
        out=tmp_path / "m",
        progress=False,
    )
    threshold = run.learn.task.threshold
    assert threshold < 0.5 and run.learn.decision_threshold.metric == "f1"
    assert json.loads((tmp_path / "m" / "trainwell.json").read_text())["task"]["threshold"] == threshold
    probabilities = trainwell.load(tmp_path / "m").predict_proba(test).numpy()
    expected = f1_score(test["y"] == "yes", probabilities >= np.float32(threshold))
    assert run.learn.test_scores["f1"] == pytest.approx(expected)


def test_fit_table_refuses_a_target_that_is_not_binary_before_training() -> None:
    rows = _rare_yes(200, 0).assign(
        y=lambda frame: np.where(frame.x > 0.5, "a", np.where(frame.x > -0.5, "b", "c"))
    )
    with pytest.raises(ConfigError, match=r"for binary targets .* target 'y' is multiclass"):
        fit_table(rows, "y", arch="gbdt", decision_threshold="f1", progress=False)
    with pytest.raises(ConfigError, match="neither a metric"):
        fit_table(_rare_yes(200, 0), "y", decision_threshold="auc", progress=False)


def test_the_command_line_says_the_threshold_and_refuses_it_for_multilabel(tmp_path: Path) -> None:
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    _rare_yes(1000, 0).to_csv(train, index=False)
    _rare_yes(400, 1).to_csv(test, index=False)
    fit = run_cli(
        "fit", train, "--target", "y", "--arch", "gbdt", "--test", test, "--decision-threshold", "f1",
        "--out", tmp_path / "model",
    )  # fmt: skip
    assert fit.returncode == 0, fit.explain()
    said = [line for line in fit.stderr_lines if line.startswith("decision threshold ")]
    assert len(said) == 1 and "chosen for the best f1: f1 on the 200 validation rows " in said[0]
    assert "flatter the model" in said[0] and "the test set's figures are honest" in said[0]
    assert "(deciding at threshold " in fit.stdout
    labels = tmp_path / "labels.csv"
    rows = _rare_yes(200, 0)
    rows.assign(a=(rows.x > 0).astype(int), b=(rows.colour == "red").astype(int)).drop(columns="y").to_csv(
        labels, index=False
    )
    refused = run_cli(
        "fit", labels, "--target", "a,b", "--decision-threshold", "0.3", "--out", tmp_path / "ml"
    )
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        "error: --decision-threshold is for binary targets (two classes); target 'a, b' is multilabel: drop it; a "
        "multi-label model gets a threshold per label, chosen on the validation rows by --label-thresholds (on by "
        "default)"
    ]
