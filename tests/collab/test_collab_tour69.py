"""What the recommender tour (tour69) found, each on tiny made-up data: the implicit report's ranking leaves out the
model's own record, an implicit/EASE model is scored on a held-out file (Python and ``fit --test``), ratings far
above a dense scale are flagged, the implicit hold-out is named as random without a time column, a user of every
item is told why the list is empty, recall/MRR/MAP by hand, ids typed with spaces, the unknown-id hint of a
folded-in model, and "1 item"."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.collab.data import ratings_data, split_latest, warn_off_scale
from trainwell.collab.implicit import pair_keys
from trainwell.collab.pipeline import fit_ratings
from trainwell.collab.ranking import unknown_id_hint
from trainwell.collab.top_n import list_measures


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def interactions(seed: int = 0, users: int = 40, items: int = 25, per_user: int = 6) -> pd.DataFrame:
    """Each user chose ``per_user`` items, most of them from one of two halves of the catalogue (a taste)."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, users + 1):
        half = np.arange(1, items // 2 + 1) if user % 2 else np.arange(items // 2 + 1, items + 1)
        for item in rng.choice(half, per_user, replace=False):
            rows.append((user, int(item)))
    return pd.DataFrame(rows, columns=["user", "item"])


@pytest.fixture(scope="module")
def implicit_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """An EASE model fitted on interactions without a time column, and a later file of other interactions of the
    same users (user, item, timestamp)."""
    folder = tmp_path_factory.mktemp("implicit")
    train = interactions()
    later = []
    rng = np.random.default_rng(5)
    for user, group in train.groupby("user"):
        had = set(group["item"])
        half = range(1, 13) if user % 2 else range(13, 26)
        fresh = [item for item in half if item not in had]
        for when, item in enumerate(rng.choice(fresh, 2, replace=False)):
            later.append((user, int(item), 1000 + when))
    train_path, test_path = folder / "train.csv", folder / "test.csv"
    train.to_csv(train_path, index=False)
    pd.DataFrame(later, columns=["user", "item", "timestamp"]).to_csv(test_path, index=False)
    model = folder / "ease"
    fit_ratings(train_path, user="user", item="item", implicit=True, arch="ease", out=model, progress=False)
    return train_path, test_path, model


def test_the_implicit_reports_ranking_leaves_out_what_the_model_knows_each_user_chose(
    implicit_files: tuple[Path, Path, Path],
) -> None:
    from trainwell.report._implicit import _ranking

    train_path, test_path, model = implicit_files
    predictor = trainwell.load(model)
    later = pd.read_csv(test_path)
    history, held = split_latest(later, "user", "item", seed=0, name="test.csv")
    ranking, unranked = _ranking(predictor, history, held, "test.csv")
    assert unranked == 0 and len(ranking.users) == 40
    train = pd.read_csv(train_path)
    recipe = predictor.recipe
    trained = pair_keys(recipe.user_codes(train["user"]), recipe.item_codes(train["item"]), ranking.n_items)
    # each user's training items are out of the ranking, as recommend leaves them out (they were ranked first)
    assert np.isin(trained, ranking.seen).all()
    # and the held-out items themselves are still ranked
    assert not np.isin(pair_keys(ranking.users, ranking.items, ranking.n_items), ranking.seen).any()
    assert int(ranking.popularity.sum()) == len(ranking.seen)  # each (user, item) counted once


def test_an_implicit_model_is_scored_on_a_held_out_file(implicit_files: tuple[Path, Path, Path]) -> None:
    _, test_path, model = implicit_files
    predictor = trainwell.load(model)
    result = predictor.evaluate_lists(test_path, k=5)
    assert result is not None and result.interactions and result.rule == "every held-out interaction"
    assert result.users == 40 and result.relevant == 80
    # the figures are those of recommend's own lists, measured here by hand
    later = pd.read_csv(test_path)
    wanted = later.groupby("user")["item"].apply(set)
    measures = []
    for user, their in wanted.items():
        listed = predictor.recommend(user, k=5)["item"].tolist()
        measures.append(list_measures([item in their for item in listed], len(their), 5))
    precision, hit, ndcg, recall, mrr, average = np.mean(measures, axis=0)
    assert result.model.precision == pytest.approx(precision)
    assert result.model.recall == pytest.approx(recall)
    assert result.model.mrr == pytest.approx(mrr) and result.model.map == pytest.approx(average)
    assert result.model.ndcg == pytest.approx(ndcg) and result.model.hit == pytest.approx(hit)
    assert result.model.precision > result.popularity.precision  # a taste of one half: EASE finds it
    assert "recall@5" in str(result) and "mrr@5" in str(result) and "map@5" in str(result)
    assert {"model_recall@5", "model_mrr@5", "model_map@5"} <= set(result.to_dict())
    with pytest.raises(trainwell.DataError, match="'rating' column"):
        predictor.evaluate_lists(test_path, min_rating=4)


def test_fit_implicit_scores_a_test_file_and_says_its_hold_out_is_random(
    implicit_files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    train_path, test_path, _ = implicit_files
    code, out, err = cli(
        "fit", train_path, "--user", "user", "--item", "item", "--implicit", "--arch", "ease",
        "--test", test_path, "--out", tmp_path / "m",
    )  # fmt: skip
    assert code == 0, err
    flat = " ".join(out.split())
    assert (
        "test set top-10 lists over the 25 items" in flat
        and "relevant: every held-out interaction (80" in flat
    )
    assert (
        "a random one of each user's interactions held out (no time column: --time-col to hold out the latest)"
        in flat
    )
    assert "each user's latest interaction held out" not in flat


def test_the_random_hold_out_is_named_in_the_data() -> None:
    data = ratings_data(interactions(), user="user", item="item", implicit=True)
    assert data.held_out is not None and data.held_out.startswith("a random one of each user's interactions")


def test_ratings_far_above_a_dense_scale_are_flagged_like_those_below_it() -> None:
    rng = np.random.default_rng(0)
    ratings = pd.Series(rng.integers(1, 6, 4000), name="rating")
    ratings[[3, 10, 20, 30, 40, 50, 60, 70, 80, 90]] = 50  # one in 400: above one in a thousand
    ratings[5] = -3
    with pytest.warns(
        UserWarning, match=r"^11 ratings of t.csv lie outside the scale 1 to 5 that the other 3,989"
    ):
        warn_off_scale(ratings, "rating", "t.csv")
    halves = pd.Series(np.r_[np.full(20, 0.5), np.repeat(np.arange(1.0, 5.5, 0.5), 300)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a rare 0.5 on a scale in halves is on the scale
        warn_off_scale(halves, "rating", "t.csv")


def test_list_measures_by_hand() -> None:
    # listed: miss, hit, miss, hit; the user has 3 relevant items; k = 4
    precision, hit, ndcg, recall, mrr, average = list_measures([False, True, False, True], 3, 4)
    assert precision == 0.5 and hit == 1.0 and recall == pytest.approx(2 / 3) and mrr == 0.5
    assert average == pytest.approx((1 / 2 + 2 / 4) / 3)
    dcg, ideal = 1 / np.log2(3) + 1 / np.log2(5), 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ndcg == pytest.approx(dcg / ideal)
    # one relevant item, found first: every measure at its best but precision (1 of k)
    assert list_measures([True, False], 1, 2) == (0.5, 1.0, 1.0, 1.0, 1.0, 1.0)
    assert list_measures([False, False], 2, 2) == (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@pytest.fixture(scope="module")
def ratings_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ratings of 15 items: user 99 rated all of them, user 7 one; user 50's ratings are all validation rows
    (folded in after training)."""
    rng = np.random.default_rng(1)
    rows = [
        (user, item, int(rng.integers(1, 6))) for user in range(1, 21) if user != 7 for item in range(1, 11)
    ]
    rows += [(99, item, 4) for item in range(1, 16)] + [(7, 3, 5)]
    rows += [(user, item, 3) for user in (1, 2) for item in range(11, 16)]
    train = len(rows)
    rows += [(50, 1, 5), (50, 2, 4)]
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"])
    out = tmp_path_factory.mktemp("ratings") / "m"
    fit_ratings(frame, epochs=1, splits=(list(range(train)), [train, train + 1]), out=out, progress=False)
    return out


def test_a_user_of_every_item_is_told_why_the_list_is_empty(ratings_model: Path) -> None:
    predictor = trainwell.load(ratings_model)
    with pytest.warns(
        UserWarning, match=r"^nothing left to recommend for user 99: .*include_seen=True ranks them"
    ):
        assert predictor.recommend(99, k=3).empty
    code, _, err = cli("recommend", ratings_model, "99", "--top", "3")
    assert (
        code == 0 and "nothing left to recommend for user '99'" in err and "--include-seen ranks them" in err
    )


def test_one_item_left_out_is_one_item(ratings_model: Path) -> None:
    code, _, err = cli("recommend", ratings_model, "7", "--top", "2")
    assert code == 0 and "left out 1 item this user already chose" in err


def test_a_typed_id_is_stripped_as_a_csv_cell_is(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        [
            (f"user {user}", f"movie {item}", (user * item) % 5 + 1)
            for user in range(1, 13)
            for item in range(1, 9)
            if (user + item) % 3
        ],
        columns=["user", "item", "rating"],
    )
    fit_ratings(frame, epochs=1, out=tmp_path / "m", progress=False)
    code, out, err = cli("recommend", tmp_path / "m", "user 3 ", "--top", "2")
    assert code == 0 and "was not in the training ratings" not in err
    assert out.splitlines()[1].startswith("user 3,1,movie ") and out.splitlines()[1].endswith(",True")
    code, out, err = cli(
        "recommend", tmp_path / "m", "--similar-to", " movie 2", "--min-users", "1", "--top", "2"
    )
    assert code == 0, err


def test_the_unknown_id_hint_is_true_of_the_model_at_hand(ratings_model: Path) -> None:
    code, _, err = cli("recommend", ratings_model, "99999", "--top", "2")
    assert code == 0 and "fold_in=False" not in err and "validation rows were folded in" in err
    hint = unknown_id_hint("99999", ["1", "2", "40"], "users")  # a model whose record does not say
    assert "a model fitted with fold_in=False" in hint and "; fitted with fold_in=False" not in hint
