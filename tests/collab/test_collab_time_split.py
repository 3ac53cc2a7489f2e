"""Explicit ratings: how fit's validation rows are chosen, said in one line, and held out by time on request
(``--time-col``, Python ``time=``: each user's latest share); a held-out test file's RMSE beside the training
mean's and the biases' on the same rows, and its top-10 lists against popularity's.

Before (tours T55 #11, T57 #3 and #4): ``ratings_data(..., time='tss')`` was silently ignored for ratings, the
split was random with the timestamp unused and no word of it, and ``fit --test`` printed a bare RMSE.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from ratings_support import low_rank_ratings
from trainwell.cli.app import app
from trainwell.collab.data import ratings_data
from trainwell.core.errors import ConfigError, DataError

FIT = ["--user", "user", "--item", "item", "--target", "rating", "--epochs", "5", "--lr", "0.03"]


def _timed(seed: int = 0, n_ratings: int = 1_500) -> pd.DataFrame:
    """Low-rank ratings with a timestamp column, the times drawn apart from the ratings."""
    frame = low_rank_ratings(seed, n_ratings=n_ratings).frame
    frame["timestamp"] = np.random.default_rng(seed + 1).integers(0, 10**6, len(frame))
    return frame


def _cli(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def test_time_holds_out_each_users_latest_share_of_their_ratings() -> None:
    frame = _timed()
    data = ratings_data(frame, "rating", time="timestamp", valid_pct=0.2)
    valid = frame.iloc[np.sort(frame.index.difference(_train_positions(frame, data)))]
    assert data.held_out == "each user's latest 20% of their ratings by 'timestamp'"
    assert len(valid) == data.valid.n_rows
    for user, theirs in frame.groupby("user"):
        held = valid[valid["user"] == user]
        assert len(held) == min(int(np.floor(len(theirs) * 0.2 + 0.5)), len(theirs) - 1)
        kept = theirs.drop(held.index)
        if len(held):
            assert held["timestamp"].min() >= kept["timestamp"].max()  # nothing later trains
    random = ratings_data(frame, "rating")
    assert random.held_out == "a random 20% of the ratings" and random.time_col == "timestamp"


def _train_positions(frame: pd.DataFrame, data: object) -> pd.Index:
    """The frame's positions of the training rows: matched on (user, item), each pair once in the table."""
    codes = data.train.tensors[0].numpy()  # type: ignore[attr-defined]
    recipe = data.recipe  # type: ignore[attr-defined]
    users = np.asarray(recipe.users, dtype=object)[codes[:, 0] - 1]
    items = np.asarray(recipe.items, dtype=object)[codes[:, 1] - 1]
    trained = set(zip(map(str, users), map(str, items), strict=True))
    keys = [(str(u), str(i)) for u, i in zip(frame["user"], frame["item"], strict=True)]
    return pd.Index([position for position, key in enumerate(keys) if key in trained])


def test_an_unknown_time_column_or_a_clash_is_one_line() -> None:
    frame = _timed().rename(columns={"timestamp": "ts"})
    with pytest.raises(
        DataError, match=r"time column 'tss' not found .*\(did you mean 'ts'\?\); columns are: "
    ):
        ratings_data(frame, "rating", time="tss")
    frame["is_valid"] = False
    with pytest.raises(ConfigError, match="pass one of them"):
        ratings_data(frame, "rating", time="ts", valid_col="is_valid")
    with pytest.raises(ConfigError, match="it is 0"):
        ratings_data(frame, "rating", time="ts", valid_pct=0.0)


def test_fit_says_how_it_chose_the_validation_rows(tmp_path: Path) -> None:
    _timed().to_csv(tmp_path / "ratings.csv", index=False)
    code, out, err = _cli("fit", tmp_path / "ratings.csv", *FIT, "--out", tmp_path / "random")
    assert code == 0, err
    assert (
        "validation: 300 ratings, a random 20% of the ratings; the 'timestamp' column was not used: --time-col "
        "timestamp holds out each user's latest ratings instead"
    ) in out
    code, out, err = _cli(
        "fit", tmp_path / "ratings.csv", *FIT, "--time-col", "timestamp", "--out", tmp_path / "t"
    )
    assert code == 0, err
    assert "each user's latest 20% of their ratings by 'timestamp'" in out
    code, out, err = _cli(
        "fit", tmp_path / "ratings.csv", *FIT, "--time-col", "tss", "--out", tmp_path / "bad"
    )
    assert (
        code == 2
        and "time column 'tss' not found" in err
        and "columns are: user, item, rating, timestamp" in err
    )
    code, out, err = _cli("fit", tmp_path / "ratings.csv", "--target", "rating", "--time-col", "timestamp")
    assert code == 2 and "--time-col is for ratings" in err


def test_fit_scores_a_test_file_beside_the_mean_and_judges_its_lists(tmp_path: Path) -> None:
    frame = _timed(2)
    base, test = frame.iloc[:1_200], frame.iloc[1_200:]
    base.to_csv(tmp_path / "base.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    code, out, err = _cli(
        "fit", tmp_path / "base.csv", *FIT, "--test", tmp_path / "test.csv", "--out", tmp_path / "m"
    )
    assert code == 0, err
    model = trainwell.load(tmp_path / "m")
    mean = model.recipe.rating_mean
    assert mean == pytest.approx(float(model.metadata["recipe"]["rating_mean"]))
    alone = float(np.sqrt(np.mean((test["rating"].to_numpy() - mean) ** 2)))
    line = next(line for line in out.splitlines() if line.startswith("test set (300 rows): rmse "))
    assert (
        f"on the same rows, the training mean ({mean:.3f}) alone: rmse {alone:.4f}, user + item biases: rmse "
        in line
    )
    # The lists fit prints are the written model's, judged on the same test rows.
    judged = model.evaluate_lists(test)
    assert judged is not None
    assert f"test set {judged}" in out
    assert "model - popularity precision@10: " in out
