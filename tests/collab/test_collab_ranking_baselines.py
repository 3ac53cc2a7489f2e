"""Implicit feedback's honest bar: EASE against its closed form, intervals over users, paired verdicts, and
what a fit prints."""

from __future__ import annotations

import numpy as np
import pytest
from test_collab_implicit import N_GROUPS, USERS_PER_GROUP, grouped_interactions

import trainwell.collab.baselines as baselines_module
from trainwell.collab import collab_learner, ratings_data
from trainwell.collab.baselines import EASE, EASE_LAMBDAS
from trainwell.collab.implicit import HeldOutRanking, RankingMetrics, pair_keys
from trainwell.core.errors import ConfigError
from trainwell.evaluate.ranking import compare_rankings, explain_ranking, hits_and_gains


def random_interactions(n_users: int = 40, n_items: int = 15, n: int = 300, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    users, items = rng.integers(1, n_users, n), rng.integers(1, n_items, n)
    return users, items, n_items


def test_ease_weights_are_the_closed_form_solution() -> None:
    users, items, n_items = random_interactions()
    model = EASE.fit(users, items, n_items, lam=30.0)
    matrix = np.zeros((users.max() + 1, n_items))
    matrix[users, items] = 1.0
    inverse = np.linalg.inv(matrix.T @ matrix + 30.0 * np.eye(n_items))
    expected = np.eye(n_items) - inverse / np.diag(inverse)  # B = I - P diag(1/diag(P)), columns scaled
    expected[0, :] = expected[:, 0] = 0.0  # item code 0 (unknown) is left out
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights, expected, atol=1e-5)
    # The closed form minimises ||X - XB||² + λ||B||² under diag(B) = 0: each column's gradient is 0 off the
    # diagonal.
    gradient = matrix.T @ (matrix @ model.weights.astype(np.float64) - matrix) + 30.0 * model.weights
    off = ~np.eye(n_items, dtype=bool)
    off[0, :] = off[:, 0] = False
    assert np.abs(gradient[off]).max() < 1e-4
    np.testing.assert_allclose(
        model.scores(np.array([3, 1])).numpy(), (matrix[[3, 1]] @ model.weights)[:, 1:], atol=1e-5
    )


def test_ease_chooses_lambda_on_the_training_interactions_and_refuses_big_catalogues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users, items, n_items = random_interactions()
    assert EASE.fit(users, items, n_items).lam in EASE_LAMBDAS
    monkeypatch.setattr(baselines_module, "MAX_EASE_ITEMS", 10)
    with pytest.raises(ConfigError, match="14 items is more than 10"):
        EASE.fit(users, items, n_items)


def test_ease_learns_which_group_each_user_belongs_to_and_the_fit_reports_it() -> None:
    data = ratings_data(grouped_interactions(), batch_size=64)
    ranking_callback = RankingMetrics(data.valid.ranking)
    # Knowing a user's items is knowing their group: EASE ranks every held-out item in the top 5 of 29 unseen.
    hits, _ = hits_and_gains(ranking_callback.ranks["ease"], 5)
    assert hits.mean() == 1.0 and ranking_callback.ease_lambda in EASE_LAMBDAS
    learn = collab_learner(data, n_factors=16, progress=False)
    learn.fit_one_cycle(2, 3e-2)
    row = learn.history[-1]
    assert row["hit@10_ease"] == 1.0 and row["hit@10_popularity"] < 0.6
    places = next(c for c in learn.callbacks if isinstance(c, RankingMetrics)).ranks
    assert set(places) == {"model", "popularity", "ease"}
    assert len(places["model"]) == N_GROUPS * USERS_PER_GROUP


def test_a_catalogue_too_big_for_ease_keeps_the_popularity_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baselines_module, "MAX_EASE_ITEMS", 5)
    data = ratings_data(grouped_interactions(), batch_size=64)
    callback = RankingMetrics(data.valid.ranking)
    assert set(callback.ranks) == {"popularity"} and callback.ease_lambda is None


def test_intervals_are_over_users_and_comparisons_are_paired() -> None:
    rng = np.random.default_rng(0)
    baseline = rng.integers(0, 40, 500).astype(float)
    better = np.maximum(baseline - 5, 0)  # every user's item moves up five places
    lines = {line.name: line for line in explain_ranking({"model": better, "popularity": baseline}, 10)}
    assert list(lines)[:2] == ["hit@10", "ndcg@10"]  # the model first
    hits, gains = hits_and_gains(better, 10)
    assert lines["hit@10"].value == pytest.approx(hits.mean())
    assert lines["ndcg@10"].value == pytest.approx(gains.mean())
    for line in lines.values():
        assert line.low <= line.value <= line.high and line.high - line.low < 0.2
    assert "500 users" in lines["hit@10"].sentence and "popularity" in lines["hit@10_popularity"].sentence
    (comparison,) = compare_rankings({"model": better, "popularity": baseline}, 10)
    assert comparison.verdict == "better" and comparison.low > 0
    # The paired interval is narrower than the two separate intervals suggest.
    separate = (lines["ndcg@10"].high - lines["ndcg@10"].low) + (
        lines["ndcg@10_popularity"].high - lines["ndcg@10_popularity"].low
    )
    assert comparison.high - comparison.low < separate / 2
    (same,) = compare_rankings({"model": baseline, "ease": baseline}, 10)
    assert (same.difference, same.low, same.high, same.verdict) == (0.0, 0.0, 0.0, "no clear difference")
    (worse,) = compare_rankings({"model": baseline + 5, "ease": baseline}, 10)
    assert worse.verdict == "worse" and "worse than EASE" in worse.sentence()


def test_held_out_places_feed_the_same_numbers_as_the_history() -> None:
    # One user, items 1..4, item 4 seen; held out: item 2. Popularity 9, 1, 9 for items 1, 2, 3: place 2.
    seen = np.unique(pair_keys(np.array([1]), np.array([4]), 5))
    ranking = HeldOutRanking(np.array([1]), np.array([2]), seen, 5, np.array([0, 9, 1, 9, 9]))
    callback = RankingMetrics(ranking, ease=False)
    assert callback.ranks["popularity"].tolist() == [2.0]
    assert callback.baselines["popularity"] == pytest.approx((1.0, 1 / np.log2(4)))
