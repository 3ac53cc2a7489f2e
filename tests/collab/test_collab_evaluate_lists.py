"""``evaluate_ratings`` judges each fold's top-10 lists against popularity's, and draws folds by time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trainwell
from ratings_support import low_rank_ratings
from trainwell.collab.evaluation import evaluate_ratings
from trainwell.collab.evaluation_lists import RatingsEvaluation, time_folds
from trainwell.collab.top_n import evaluate_top_n
from trainwell.core.errors import DataError


def timed_ratings(seed: int = 0) -> pd.DataFrame:
    frame = low_rank_ratings(seed).frame
    frame["timestamp"] = np.random.default_rng(seed + 1).integers(0, 10**6, len(frame))
    return frame


def test_each_folds_lists_are_judged_against_popularity_on_the_same_folds() -> None:
    frame = timed_ratings()
    result = evaluate_ratings(frame, cv=3, epochs=5)
    assert isinstance(result, RatingsEvaluation) and result.lists is not None
    lists = result.lists
    assert lists.model.metric_names[:2] == ["ndcg@10", "hit@10"] and list(lists.baselines) == ["popularity"]
    for (_, ours), (_, theirs) in zip(result.model.splits, lists.model.splits, strict=True):
        assert np.array_equal(ours, theirs)  # the lists are judged on the rating table's own folds
    # Popularity's lists depend on the fold's training rows alone: the same as fit --test's on that split.
    train, valid = result.model.splits[0]
    run = trainwell.fit_ratings(
        frame, epochs=1, splits=(train.tolist(), valid.tolist()), progress=False, fold_in=False
    )
    by_hand = evaluate_top_n(run.learn.predictor(), frame.iloc[valid])
    assert by_hand is not None
    popular = lists.baselines["popularity"]
    assert popular.values("ndcg@10")[0] == pytest.approx(by_hand.popularity.ndcg)
    assert popular.values("hit@10")[0] == pytest.approx(by_hand.popularity.hit)
    assert result.list_precision["popularity"] > 0
    # A rank-2 taste model: its lists know each user, popularity's do not.
    assert {v.outcome for v in lists.verdicts() if v.metric == "ndcg@10"} == {"beats"}
    shown = str(result)
    assert "top-10 lists" in shown and "popularity" in shown and "precision@10" in shown
    assert "folds: 3 random folds" in shown and "'timestamp' column was not used" in shown
    saved = result.to_dict()
    assert set(saved["top_n"]["baselines"]) == {"popularity"} and "model" in saved["top_n"]["precision@10"]


def test_folds_by_time_hold_out_each_users_latest_ratings_once() -> None:
    frame = timed_ratings()
    folds = time_folds(frame["user"], frame["timestamp"].to_numpy(), 4, seed=0)
    held = np.concatenate([valid for _, valid in folds])
    assert len(held) == len(np.unique(held))  # each held-out rating validated once
    sizes = frame.groupby("user").size()
    expected = np.minimum(np.floor(sizes * 0.2 + 0.5), sizes - 1).sum()
    assert len(held) == expected
    for train, valid in folds:
        assert len(np.intersect1d(train, valid)) == 0 and len(train) + len(valid) == len(frame)
        trained, validated = frame.iloc[train], frame.iloc[valid]
        latest_trained = trained.groupby("user")["timestamp"].max()
        earliest_held = validated.groupby("user")["timestamp"].min()
        assert (latest_trained[earliest_held.index] <= earliest_held).all()  # no user's future trains
    users = [set(frame["user"].iloc[valid]) for _, valid in folds]
    assert all(not (users[a] & users[b]) for a in range(4) for b in range(a + 1, 4))  # users dealt to folds


def test_evaluate_by_time_says_so_and_uses_the_time_folds() -> None:
    frame = timed_ratings()
    result = evaluate_ratings(frame, cv=3, epochs=2, time="timestamp")
    assert result.split is not None and result.split.startswith("folds by time ('timestamp')")
    expected = time_folds(frame["user"], frame["timestamp"].to_numpy(), 3, seed=0)
    for (_, ours), (_, theirs) in zip(result.model.splits, expected, strict=True):
        assert np.array_equal(ours, theirs)


def test_a_time_column_that_is_not_there_is_refused_before_any_fold() -> None:
    with pytest.raises(DataError, match="time column 'when' not found"):
        evaluate_ratings(timed_ratings(), cv=3, epochs=1, time="when")
