"""The search for recommenders, with the real Optuna: ratings optimise RMSE, implicit feedback the ranking its
users see (NDCG@10 over every item), the defaults come first and the best model is kept exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from ratings_support import low_rank_ratings
from trainwell.automl import tune_ratings
from trainwell.automl.ratings import DEFAULT_FACTORS
from trainwell.automl.search import TUNING_FILE
from trainwell.cli.app import app
from trainwell.collab.learner import DEFAULT_LR, DEFAULT_WD, IMPLICIT_LR, IMPLICIT_WD
from trainwell.core.errors import ConfigError


def clicks() -> pd.DataFrame:
    """Users of group g interact only with items of group g, at increasing times (3 groups of 15 users)."""
    rng = np.random.default_rng(0)
    rows = [
        (f"u{group}-{member}", group * 100 + int(j), t)
        for group in range(3)
        for member in range(15)
        for t, j in enumerate(rng.choice(10, 6, replace=False))
    ]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


def test_ratings_search_minimises_rmse_from_the_defaults(tmp_path: Path) -> None:
    frame = low_rank_ratings(0).frame
    result = tune_ratings(
        frame, rating="rating", n_trials=2, out=tmp_path / "m", pruner=optuna.pruners.NopPruner()
    )
    assert result.metric == "rmse" and result.direction == "minimize"
    first = result.trials[0]
    assert first["defaults"] and first["params"]["lr"] == DEFAULT_LR and first["params"]["wd"] == DEFAULT_WD
    assert first["params"]["n_factors"] == DEFAULT_FACTORS
    values = [t["value"] for t in result.trials]
    assert result.best_value == min(values) and result.default_value == values[0]
    assert result.run.learn.history[-1]["rmse"] == result.best_value  # the best trial's model, exactly
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["best_params"] == result.best_params
    predictor = trainwell.load(tmp_path / "m")
    assert len(predictor.recommend(1, k=3)) == 3


def test_implicit_search_maximises_the_ranking() -> None:
    result = tune_ratings(clicks(), n_trials=2, pruner=optuna.pruners.NopPruner())
    assert result.metric == "ndcg@10" and result.direction == "maximize"
    first = result.trials[0]["params"]
    assert first["lr"] == IMPLICIT_LR and first["wd"] == IMPLICIT_WD
    assert result.best_value == max(t["value"] for t in result.trials)
    row = result.run.learn.history[-1]
    assert row["ndcg@10"] == result.best_value and "ndcg@10_popularity" in row
    hits = tune_ratings(clicks(), n_trials=1, metric="hit@10")
    assert hits.metric == "hit@10" and hits.best_value == hits.run.learn.history[-1]["hit@10"]


def test_bad_recommender_searches_are_refused() -> None:
    with pytest.raises(ConfigError, match="ease has no training settings"):
        tune_ratings(clicks(), arch="ease")
    with pytest.raises(ConfigError, match="use one of: ndcg@10, hit@10, roc_auc"):
        tune_ratings(clicks(), metric="rmse")


def test_the_command_line_searches_a_recommender(tmp_path: Path) -> None:
    low_rank_ratings(0).frame.to_csv(tmp_path / "r.csv", index=False)
    args = ["tune", str(tmp_path / "r.csv"), "--user", "user", "--item", "item", "--target", "rating"]
    result = CliRunner().invoke(
        app, [*args, "--trials", "2", "--out", str(tmp_path / "m")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "factors" in result.stdout and "0 (defaults)" in result.stdout and "best rmse" in result.stdout
    assert "layers" not in result.stdout  # only the settings this search tried
    for arch, detail in (("gbdt", "'gbdt' is not searched"), ("ease", "ease has no training settings")):
        refused = CliRunner().invoke(app, [*args, "--arch", arch], env={"COLUMNS": "300"})
        assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output
        assert (
            f"arch (--arch) {arch}: trainwell tune searches the dot_bias recommender; {detail}"
            in refused.output
        )
    missing = CliRunner().invoke(app, ["tune", str(tmp_path / "r.csv")])
    assert missing.exit_code != 0 and "--target COLUMN for a table, or --user and --item" in missing.output
