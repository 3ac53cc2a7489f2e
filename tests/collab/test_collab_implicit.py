"""Implicit feedback: drawn negatives, the leave-one-out split, ranking metrics worked out by hand, and a model
that learns who interacts with what."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import trainwell
from resume_support import resumed_beside_uninterrupted
from trainwell.collab import collab_learner, ratings_data
from trainwell.collab.implicit import (
    HeldOutRanking,
    InteractionLoader,
    leave_one_out,
    model_scores,
    pair_keys,
    rank_held_out,
    sample_negatives,
)
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.seeding import seed_everything
from trainwell.learner import Learner

N_GROUPS, USERS_PER_GROUP, ITEMS_PER_GROUP = 3, 20, 12


def grouped_interactions(seed: int = 0, per_user: int = 8) -> pd.DataFrame:
    """Users of group g interact only with the items of group g (ids ``g*100 + j``), at increasing times."""
    rng = np.random.default_rng(seed)
    rows = []
    for group in range(N_GROUPS):
        for member in range(USERS_PER_GROUP):
            user = f"u{group}-{member}"
            chosen = rng.choice(ITEMS_PER_GROUP, per_user, replace=False)
            rows += [(user, group * 100 + int(j), int(t)) for t, j in enumerate(chosen)]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


def test_drawn_negatives_avoid_every_known_interaction() -> None:
    users, items = np.array([1, 1, 2, 3]), np.array([1, 2, 1, 3])
    known = np.unique(pair_keys(users, items, 6))
    drawn_users, drawn_items = sample_negatives(users, known, 6, 50, np.random.default_rng(0))
    assert drawn_users.tolist() == np.repeat(users, 50).tolist()
    assert drawn_items.min() >= 1 and drawn_items.max() <= 5  # code 0 (unseen) is never drawn
    assert not np.isin(pair_keys(drawn_users, drawn_items, 6), known).any()


def test_the_interaction_loader_replays_an_epoch_and_draws_anew_the_next() -> None:
    users, items = np.array([1, 1, 2, 2, 3]), np.array([1, 2, 2, 3, 1])
    loader = InteractionLoader(users, items, n_items=9, n_negatives=3, batch_size=4, seed=5)
    assert len(loader) == 5 and loader.n_rows == 20

    def epoch(number: int) -> tuple[torch.Tensor, torch.Tensor]:
        loader.set_epoch(number)
        batches = list(loader)
        return torch.cat([b[0] for b in batches]), torch.cat([b[2] for b in batches])

    pairs, target = epoch(0)
    again, _ = epoch(0)
    assert torch.equal(pairs, again)
    assert sorted(map(tuple, pairs[target == 1].tolist())) == sorted(
        zip(users.tolist(), items.tolist(), strict=True)
    )
    negatives = pairs[target == 0]
    assert len(negatives) == 15
    known = set(zip(users.tolist(), items.tolist(), strict=True))
    assert not known & set(map(tuple, negatives.tolist()))
    assert not torch.equal(epoch(1)[0], pairs)
    assert torch.equal(torch.cat([b[0] for b in loader.iter_from(2)]), epoch(1)[0][8:])  # resume mid-epoch


def test_leave_one_out_holds_out_each_users_latest_row() -> None:
    users = np.array([0, 0, 0, 1, 1, 2])
    times = np.array([5.0, 9.0, 1.0, 3.0, 2.0, 7.0])
    train, valid = leave_one_out(users, times)
    assert valid.tolist() == [1, 3]  # user 0's time 9, user 1's time 3; user 2 has one row and keeps it
    assert train.tolist() == [0, 2, 4, 5]
    no_times = leave_one_out(np.array([0, 0, 0, 0, 1, 1]), None, seed=3)[1]
    assert (
        len(no_times) == 2
        and no_times.tolist() == leave_one_out(np.array([0, 0, 0, 0, 1, 1]), None, seed=3)[1].tolist()
    )


class FixedScores(nn.Module):
    """Scores item ``i`` as ``table[user, i]``: a model whose ranking is known."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = table

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor | None = None) -> torch.Tensor:
        return self.table[x_cat[:, 0], x_cat[:, 1]][:, None]


def test_hit_rate_and_ndcg_match_a_hand_computed_ranking() -> None:
    # 2 users, items 1..5. User 1 scores items 5 > 4 > 3 > 2 > 1 and has seen item 5; held out: item 3, which
    # ranks second among the unseen (after 4). User 2: held out item 1, scored lowest: rank 4 of 5.
    table = torch.tensor([[0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]], dtype=torch.float32)
    seen = np.unique(pair_keys(np.array([1]), np.array([5]), 6))
    ranking = HeldOutRanking(np.array([1, 2]), np.array([3, 1]), seen, 6, np.zeros(6))
    rows = np.arange(2)
    scores = model_scores(FixedScores(table), 6, torch.device("cpu"))
    hits, gains = rank_held_out(scores, ranking, rows, 2)
    assert hits == pytest.approx(0.5)  # user 1 in the top 2, user 2 not
    assert gains == pytest.approx((1 / np.log2(1 + 2)) / 2)
    hits5, gains5 = rank_held_out(scores, ranking, rows, 5)
    assert hits5 == 1.0 and gains5 == pytest.approx((1 / np.log2(3) + 1 / np.log2(6)) / 2)


def test_ties_with_the_held_out_item_count_half() -> None:
    # Items 1..4 all scored 7 for user 1, held-out item 2: three ties, expected place 1.5 (0-based), not 0.
    ranking = HeldOutRanking(np.array([1]), np.array([2]), np.zeros(0, dtype=np.int64), 5, np.zeros(5))
    hits, gains = rank_held_out(lambda users: torch.full((len(users), 4), 7.0), ranking, np.arange(1), 1)
    assert hits == 0.0
    hits, gains = rank_held_out(lambda users: torch.full((len(users), 4), 7.0), ranking, np.arange(1), 2)
    assert hits == 1.0 and gains == pytest.approx(1 / np.log2(1.5 + 2))


def test_a_model_learns_which_group_each_user_belongs_to() -> None:
    frame = grouped_interactions()
    data = ratings_data(frame, batch_size=64)
    assert data.task.kind == "binary" and data.recipe.implicit
    assert len(data.valid.ranking.users) == N_GROUPS * USERS_PER_GROUP  # one held out per user
    learn = collab_learner(data, n_factors=16, progress=False)
    learn.fit_one_cycle(10, 3e-2)
    row = learn.history[-1]
    # Each user has 5 unseen items of their group among 29 unseen: a random ranking hits the top 5 ~17% of
    # the time (popularity about as often); knowing the group, every held-out item is in the top 5.
    assert row["hit@10"] >= 0.95 and row["ndcg@10"] > 0.4
    scores = model_scores(learn.model, data.valid.ranking.n_items, torch.device("cpu"))
    learn_k5 = rank_held_out(scores, data.valid.ranking, np.arange(60), 5)[0]
    assert learn_k5 >= 0.9
    # The popularity ranking on the same held-out items is reported beside it, and is far below.
    assert row["hit@10_popularity"] < 0.6 and row["hit@10"] > row["hit@10_popularity"] + 0.3
    # Against drawn negatives, which include the group's not-yet-seen items (future positives): not near 1.
    assert row["roc_auc"] > 0.8


def test_an_implicit_model_round_trips_and_recommends_within_the_group(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = grouped_interactions()
    run = trainwell.fit_ratings(
        frame, out=tmp_path / "m", epochs=10, lr=3e-2, n_factors=16, batch_size=64, progress=False
    )
    predictor = trainwell.load(tmp_path / "m")
    assert predictor.recipe.implicit and predictor.task.target_names == ("interaction",)
    seen = frame.loc[frame["user"] == "u1-3", "item"].tolist()
    top = predictor.recommend("u1-3", k=4, exclude=seen)
    assert all(100 <= item < 200 for item in top["item"])  # the user's own group, none already seen
    assert not set(top["item"]) & set(seen)
    rows = frame.iloc[:10]
    np.testing.assert_allclose(
        predictor.predict_proba(rows).numpy(),
        torch.sigmoid(run.learn.model(*[t[:10] for t in _codes(predictor, rows)]))
        .reshape(-1)
        .detach()
        .numpy(),
        rtol=1e-6,
        atol=1e-6,
    )
    table = predictor.predict(rows)
    assert set(table["prediction"]) <= {0, 1} and "probability_1" in table


def _codes(predictor, rows):  # type: ignore[no-untyped-def]
    return predictor.recipe.transform(rows)


def test_repeated_interactions_count_once_and_the_held_out_one_is_not_in_training() -> None:
    frame = pd.DataFrame(
        {
            "user": [1, 1, 1, 1, 2, 2, 2, 3, 3],
            "item": [7, 8, 7, 9, 7, 8, 9, 9, 7],
            "timestamp": [1, 2, 3, 4, 1, 2, 3, 1, 2],
        }
    )
    data = ratings_data(frame)
    # user 1: 8 kept, 9 held out, 7 twice (counted once, at its latest time 3) kept; user 2: 7, 8 kept, 9 held
    # out; user 3: 9 kept, 7 held out.
    assert len(data.train.users) == 5
    held = data.valid.ranking
    codes = {"7": 1, "8": 2, "9": 3}
    assert sorted(zip(held.users.tolist(), held.items.tolist(), strict=True)) == [
        (1, codes["9"]),
        (2, codes["9"]),
        (3, codes["7"]),
    ]
    assert not np.isin(pair_keys(held.users, held.items, held.n_items), held.seen).any()


def test_dates_order_interactions_and_bad_times_are_named() -> None:
    frame = pd.DataFrame(
        {
            "user": [1, 1, 1, 2, 2],
            "item": ["a", "b", "c", "a", "c"],
            "when": ["2024-03-01", "2023-01-01", "2021-01-01", "2022-05-05", "2024-01-01"],
        }
    )
    held = ratings_data(frame).valid.ranking
    # the latest by date: a (code 1) for user 1, c (code 3) for user 2
    assert sorted(zip(held.users.tolist(), held.items.tolist(), strict=True)) == [(1, 1), (2, 3)]
    frame.loc[3, "when"] = "yesterday-ish"
    with pytest.raises(DataError, match=r"time column 'when'.*'yesterday-ish'"):
        ratings_data(frame)


def test_a_bad_time_never_sends_the_command_line_to_its_training_budget(tmp_path: Path) -> None:
    # "pass another column with --time" (and "Pass --time NAME"): the command line's --time is the training
    # budget, so `--time played` failed as a duration; the time column is --time-col (Python: time=).
    from ratings_support import run_trainwell

    frame = pd.DataFrame({"user": [1, 1, 2, 2], "song": ["a", "b", "a", "c"], "timestamp": [1, 2, 3, "soon"]})
    frame.to_csv(tmp_path / "plays.csv", index=False)
    done = run_trainwell(
        "fit", tmp_path / "plays.csv", "--user", "user", "--item", "song", "--out", tmp_path / "m"
    )
    assert done.returncode == 2
    assert "time column 'timestamp'" in done.stderr and "'soon'" in done.stderr
    assert "with --time " not in done.stderr and "(--time-col NAME; Python: time=)" in done.stderr
    # The example is the value to fix: it named '1', the first value that is no date, beside 'soon'.
    assert "e.g. '1'" not in done.stderr
    mixed = pd.DataFrame(
        {"user": [1, 1, 2], "item": ["a", "b", "a"], "timestamp": ["7", "2024-01-02", "2024-01-03"]}
    )
    with pytest.raises(DataError, match=r"mixes numbers and dates \(e.g. '7' among dates\)"):
        ratings_data(mixed)
    with pytest.raises(
        DataError,
        match=r"not found .* Pass the column that says when each rating or interaction was made: --time-col NAME \(Python: time=\)",
    ):
        ratings_data(grouped_interactions(), time="nope")


def test_implicit_settings_are_checked() -> None:
    frame = grouped_interactions()
    with pytest.raises(ConfigError, match="n_negatives"):
        ratings_data(frame, n_negatives=0)
    with pytest.raises(ConfigError, match="which takes no --task"):
        ratings_data(frame, task="regression")
    with pytest.raises(DataError, match="time column 'nope' not found"):
        ratings_data(frame, time="nope")


@pytest.mark.parametrize("implicit", [True, False])
def test_a_recommender_resumed_mid_epoch_ends_like_an_uninterrupted_one(
    tmp_path: Path, implicit: bool
) -> None:
    """The drawn negatives of an epoch are replayed, so resuming gives the same batches and weights."""
    frame = grouped_interactions()
    if not implicit:
        frame = frame.assign(rating=(frame["item"] % 5 + 1).astype(float))

    def learner(folder: Path) -> Learner:
        seed_everything(0)
        data = ratings_data(frame, batch_size=64, valid_pct=0.2)
        return collab_learner(data, n_factors=8, progress=False, device="cpu", path=folder)

    reference, resumed = resumed_beside_uninterrupted(learner, tmp_path)
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]


def test_given_splits_refer_to_the_table_as_given_even_with_repeats() -> None:
    frame = pd.DataFrame(
        {"user": [1, 1, 1, 2, 2, 2], "item": [7, 7, 8, 7, 8, 9], "timestamp": [1, 2, 3, 1, 2, 3]}
    )
    # Row 1 repeats row 0's pair (kept: it is later); row 5 (user 2, item 9) is the only validation row.
    data = ratings_data(frame, splits=([0, 1, 2, 3, 4], [5]))
    assert len(data.train.users) == 4  # (1,7) once, (1,8), (2,7), (2,8)
    assert data.valid is None  # item 9 never appears in training: it cannot be ranked
    data = ratings_data(frame.assign(item=[7, 7, 8, 7, 8, 8]), splits=([0, 1, 2, 3], [4, 5]))
    held = data.valid.ranking
    assert held.users.tolist() == [2] and held.items.tolist() == [2]  # (2, 8): its latest row, row 5
