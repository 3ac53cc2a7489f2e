"""Cross-validation of a recommender against the rating baselines (``trainwell evaluate --user --item``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_collab_implicit import grouped_interactions
from typer.testing import CliRunner

from ratings_support import low_rank_ratings, rmse
from trainwell.cli.app import app
from trainwell.collab.baselines import BiasBaseline
from trainwell.collab.evaluation import evaluate_ratings
from trainwell.core.errors import ConfigError


def test_the_model_and_both_baselines_are_scored_on_the_same_folds() -> None:
    frame = low_rank_ratings(0).frame
    result = evaluate_ratings(frame, cv=3, epochs=5)
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


def test_interactions_are_cross_validated_over_users_each_ranked_once() -> None:
    frame = grouped_interactions()
    result = evaluate_ratings(frame, cv=3, epochs=3)
    assert result.model.metric_names == ["hit@10", "ndcg@10"] and set(result.baselines) == {
        "popularity",
        "EASE",
    }
    held = [valid for _, valid in result.model.splits]
    assert sum(len(valid) for valid in held) == frame["user"].nunique()  # every user once (all have >= 2)
    for train, valid in result.model.splits:
        assert len(np.intersect1d(train, valid)) == 0 and len(train) + len(valid) == len(frame)
        users = frame["user"].iloc[valid]
        assert users.is_unique  # one held-out interaction per user of the fold
        latest = frame.groupby("user")["timestamp"].max()
        assert (frame["timestamp"].iloc[valid].to_numpy() == latest[users].to_numpy()).all()
    # Groups of users who share items: the model and EASE find the held-out item, popularity cannot.
    assert result.model.values("hit@10").min() > 0.9
    assert result.baselines["popularity"].values("hit@10").max() < 0.6
    assert {v.outcome for v in result.verdicts() if v.baseline == "popularity"} == {"beats"}
    assert "60 users ranked once each" in (result.subject or "")
    with pytest.raises(
        ConfigError, match=r"task='binary' is for ratings; interactions are ranked \(drop task\)"
    ):
        evaluate_ratings(frame, cv=3, task="binary")
    with pytest.raises(ConfigError, match=r"epochs must be at least 1, got 0; pass e\.g\. epochs=5"):
        evaluate_ratings(low_rank_ratings(0).frame, epochs=0)
    with pytest.raises(
        ConfigError,
        match=r"^metrics is for ratings; interactions are ranked by hit@10 and NDCG@10 \(drop metrics\)",
    ):
        evaluate_ratings(frame, cv=3, metrics=["rmse"])


def test_ratings_are_judged_by_the_metrics_asked_for() -> None:
    # evaluate --metric was for tables only: a recommender could not be judged by MAE alone.
    result = evaluate_ratings(low_rank_ratings(0).frame, cv=2, epochs=2, metrics=["mae"])
    assert result.model.metric_names == ["mae"] and result.baselines["global mean"].metric_names == ["mae"]
    with pytest.raises(ConfigError, match=r"^--metric 'accuracy' does not score a regression evaluation"):
        evaluate_ratings(low_rank_ratings(0).frame, cv=2, metrics=["accuracy"])


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
    assert "3-fold cross-validation (regression, 2,000 rows)" in result.stdout
    assert "user + item biases" in result.stdout and "warning:" not in result.stdout


def test_the_command_line_cross_validates_interactions_with_their_bars(tmp_path: Path) -> None:
    table = tmp_path / "plays.csv"
    grouped_interactions().assign(seconds=30).to_csv(table, index=False)  # an extra column: --implicit needed
    args = ["evaluate", str(table), "--user", "user", "--item", "item", "--cv", "2", "--epochs", "2"]
    refused = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert refused.exit_code == 2 and "--implicit" in refused.output
    result = CliRunner().invoke(app, [*args, "--implicit"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert (
        "2-fold cross-validation (implicit feedback: 480 interactions, 60 users ranked once each)"
        in result.output
    )
    assert "popularity" in result.output and "EASE" in result.output and "ndcg@10" in result.output


def test_users_whose_held_out_item_no_fold_trained_on_are_not_counted_as_ranked(tmp_path: Path) -> None:
    # On MovieLens the title said "943 users ranked once each" where the folds ranked 941: a held-out item
    # that nobody else chose is unknown to its fold's training rows, and its user is left out of the ranking.
    frame = grouped_interactions()
    latest = frame.groupby("user")["timestamp"].transform("max") == frame["timestamp"]
    loners = frame.index[latest][:2]
    frame.loc[loners, "item"] = [9001, 9002]  # two users' latest items: chosen by no one else
    frame.to_csv(tmp_path / "plays.csv", index=False)
    args = [
        "evaluate",
        str(tmp_path / "plays.csv"),
        "--user",
        "user",
        "--item",
        "item",
        "--cv",
        "2",
        "--epochs",
        "2",
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert (
        "implicit feedback: 480 interactions, 58 users ranked once each (2 more held out, on items their fold "
        "never trained on)" in " ".join(result.output.split())
    )


def test_the_architecture_and_its_settings_reach_every_fold() -> None:
    # evaluate_ratings took no arch: collab_nn, or EASE on interactions, could not be cross-validated.
    frame = low_rank_ratings(0).frame
    default = evaluate_ratings(frame, cv=2, epochs=1, baselines=False)
    assert default.archs == ["dot_bias", "dot_bias"] and default.lrs[0] != 0.02
    mlp = evaluate_ratings(frame, cv=2, epochs=1, arch="collab_nn", lr=0.02, baselines=False)
    assert mlp.archs == ["collab_nn", "collab_nn"] and mlp.lrs == [0.02, 0.02]
    assert not np.allclose(mlp.model.values("rmse"), default.model.values("rmse"))
    ranked = evaluate_ratings(grouped_interactions(), cv=2, arch="ease", baselines=False)
    assert ranked.archs == ["ease", "ease"] and ranked.model.values("hit@10").min() > 0.9


def test_an_architecture_that_cannot_fit_the_table_stops_before_any_fold() -> None:
    frame = low_rank_ratings(0).frame
    with pytest.raises(
        ConfigError, match=r"^arch='tabular_mlp' is not a recommender's architecture; use one of: collab_nn"
    ):
        evaluate_ratings(frame, cv=2, arch="tabular_mlp")
    with pytest.raises(
        ConfigError, match=r"^arch='ease' ranks items from interactions .* pass implicit=True"
    ):
        evaluate_ratings(frame, cv=2, arch="ease")
