"""How a ratings report judges the order of each user's rated items: NDCG with graded gains against scikit-learn,
the random order's exact expectation, the reputation ranking left-one-out, and the users left out."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from trainwell.report._ratings_ranking import _random_ndcg, rank_users, ranking_section


def _ratings(n_users: int = 60, n_items: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        for item in rng.choice(n_items, size=8, replace=False):
            rows.append((f"u{user}", f"i{item}", int(rng.integers(1, 6))))
    return pd.DataFrame(rows, columns=["user", "item", "rating"])


def test_the_models_ndcg_is_scikit_learns_with_gains_above_the_lowest_rating() -> None:
    frame = _ratings()
    rng = np.random.default_rng(1)
    predictions = frame["rating"].to_numpy(float) + rng.normal(scale=1.5, size=len(frame))  # no ties
    found = rank_users(
        frame["user"], frame["item"], frame["rating"].to_numpy(float), predictions, lowest=1, k=5
    )
    assert found is not None
    expected = []
    for _, rows in frame.assign(p=predictions).groupby("user"):
        gains = rows["rating"].to_numpy(float) - 1
        if np.ptp(gains) == 0:
            continue
        expected.append(ndcg_score([gains], [rows["p"].to_numpy()], k=5))
    assert found.users == len(expected) and found.model == pytest.approx(np.mean(expected), abs=1e-12)
    assert found.model_low <= found.model <= found.model_high


def test_a_perfect_order_scores_one_and_beats_reputation_and_chance() -> None:
    frame = _ratings(n_users=120)
    ratings = frame["rating"].to_numpy(float)
    found = rank_users(
        frame["user"], frame["item"], ratings, ratings, lowest=1
    )  # ties among equal ratings: no matter
    assert found is not None and found.model == pytest.approx(1.0)
    assert found.gain_low > 0 and found.random < found.reputation + 0.2
    section = ranking_section(frame["user"], frame["item"], ratings, ratings, lowest=1)
    assert (
        section is not None and "beats the items&#x27; reputation" in section
    ) or "beats the items' reputation" in section


def test_a_constant_prediction_ranks_as_chance_and_the_reputation_leaves_each_rating_out() -> None:
    frame = _ratings(n_users=400, seed=3)
    ratings = frame["rating"].to_numpy(float)
    found = rank_users(frame["user"], frame["item"], ratings, np.full(len(frame), 3.0), lowest=1)
    assert found is not None and found.model == pytest.approx(found.random, abs=0.02)
    # The reputation of a row leaves its own rating out: with random ratings it knows nothing of the user.
    assert found.reputation == pytest.approx(found.random, abs=0.03)


def test_the_random_orders_expectation_is_exact() -> None:
    gains = np.array([3.0, 0.0, 1.0, 4.0, 2.0])
    from trainwell.report._ratings_ranking import _dcg

    ideal = _dcg(np.sort(gains)[::-1], 3)
    every = [_dcg(gains[list(order)], 3) / ideal for order in itertools.permutations(range(5))]
    assert _random_ndcg(gains, 3) == pytest.approx(np.mean(every))


def test_users_without_an_order_to_judge_are_left_out_and_none_means_no_section() -> None:
    frame = pd.DataFrame(
        {"user": ["a", "a", "b", "c", "c"], "item": [1, 2, 1, 1, 2], "rating": [5, 1, 4, 3, 3]}
    )
    found = rank_users(frame["user"], frame["item"], frame["rating"].to_numpy(float), np.zeros(5), lowest=1)
    assert found is not None and found.users == 1 and found.users_left_out == 2
    alike = frame[frame["user"] != "a"]
    assert (
        ranking_section(alike["user"], alike["item"], alike["rating"].to_numpy(float), np.zeros(3), lowest=1)
        is None
    )
