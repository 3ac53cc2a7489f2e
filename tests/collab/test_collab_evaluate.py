"""Cross-validation of a recommender against the rating baselines (``trainwell evaluate --user --item``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ratings_support import low_rank_ratings, rmse
from trainwell.cli._evaluate_ratings import evaluate_ratings
from trainwell.cli.app import app
from trainwell.collab.baselines import BiasBaseline
from trainwell.core.errors import ConfigError


def test_the_model_and_both_baselines_are_scored_on_the_same_folds() -> None:
    frame = low_rank_ratings(0).frame
    result = evaluate_ratings(frame, k=3, epochs=5)
    assert result.model.k == 3 and set(result.baselines) == {"global mean", "user + item biases"}
    model, biases, mean = (
        float(np.mean(r.values("rmse")))
        for r in (result.model, result.baselines["user + item biases"], result.baselines["global mean"])
    )
    assert model < 0.7 * biases < mean  # a rank-2 taste model: the personal part is most of the signal
    # The baseline of fold 0, fitted by hand on that fold's training rows.
    train, valid = result.baselines["user + item biases"].splits[0]
    fitted = BiasBaseline.fit(
        frame["user"].iloc[train], frame["item"].iloc[train], frame["rating"].iloc[train]
    )
    by_hand = rmse(
        fitted.predict(frame["user"].iloc[valid], frame["item"].iloc[valid]),
        frame["rating"].iloc[valid].to_numpy(),
    )
    assert result.baselines["user + item biases"].values("rmse")[0] == pytest.approx(by_hand, rel=1e-6)
    assert {v.outcome for v in result.verdicts() if v.metric == "rmse"} == {"beats"}


def test_interactions_without_ratings_are_refused_with_what_to_do() -> None:
    clicks = low_rank_ratings(0).frame.drop(columns="rating")
    with pytest.raises(ConfigError, match="cross-validation of implicit feedback is not supported"):
        evaluate_ratings(clicks, k=3)
    with pytest.raises(ConfigError, match="--epochs must be at least 1"):
        evaluate_ratings(low_rank_ratings(0).frame, epochs=0)


def test_the_command_line_prints_the_baselines_beside_the_model(tmp_path: Path) -> None:
    low_rank_ratings(0).frame.to_csv(tmp_path / "ratings.csv", index=False)
    args = [
        "evaluate",
        str(tmp_path / "ratings.csv"),
        "--user",
        "user",
        "--item",
        "item",
        "--cv",
        "3",
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3-fold cross-validation (regression, 2000 rows)" in result.stdout
    assert "user + item biases" in result.stdout and "warning:" not in result.stdout
