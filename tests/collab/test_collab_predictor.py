"""Tests for trainwell.collab.predictor: a ratings artifact loaded back scores pairs, ranks items for a user
(known or not) and lists an item's neighbours."""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from ratings_support import (
    LowRankRatings,
    average_user_scores,
    bounded,
    liked_ratings,
    low_rank_ratings,
    rank_correlation,
    rmse,
)
from trainwell.collab.data import read_ratings
from trainwell.collab.pipeline import RatingsRun, fit_ratings
from trainwell.collab.predictor import CollabPredictor
from trainwell.collab.recipe import CollabRecipe
from trainwell.core.errors import ConfigError, DataError

NEW_USERS = 5  # users 1..5 rate only validation rows: cold start


@dataclass(frozen=True)
class Fitted:
    truth: LowRankRatings
    run: RatingsRun
    predictor: CollabPredictor
    valid_rows: pd.DataFrame


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Fitted:
    """The default recipe on synthetic ratings, written and loaded back; a fifth of the rows and every rating of
    users 1..5 are held out, and those users left unknown (``fold_in=False``), the cold start these tests check
    (test_collab_fold_in checks the fold-in)."""
    truth = low_rank_ratings(seed=0)
    frame = truth.frame
    held_out = (frame["user"] <= NEW_USERS).to_numpy() | (np.arange(len(frame)) % 5 == 0)
    splits = (np.flatnonzero(~held_out), np.flatnonzero(held_out))
    model_dir = tmp_path_factory.mktemp("collab") / "model"
    run = fit_ratings(frame, out=model_dir, progress=False, splits=splits, fold_in=False)
    return Fitted(truth, run, trainwell.load(model_dir), frame.iloc[splits[1]])


@pytest.fixture(scope="module")
def predictor(fitted: Fitted) -> CollabPredictor:
    return fitted.predictor


def all_items(predictor: CollabPredictor) -> list[int]:
    return [int(key) for key in predictor.recipe.items]


def scores_for(predictor: CollabPredictor, user: object, items: list[int]) -> np.ndarray:
    rows = pd.DataFrame({"user": [user] * len(items), "item": items})
    return predictor.predict(rows)["prediction"].to_numpy()


# --------------------------------------------------------------------------------------------- the artifact
def test_load_returns_a_collab_predictor_with_the_training_recipe(fitted: Fitted) -> None:
    predictor, run = fitted.predictor, fitted.run
    assert isinstance(predictor, CollabPredictor)
    assert predictor.application == "collab"
    assert predictor.input_names == ["user", "item"]
    assert predictor.recipe == run.data.recipe
    assert predictor.task == run.data.task
    metadata = json.loads((run.model_dir / "trainwell.json").read_text())
    assert metadata["application"] == "collab"
    assert metadata["architecture"]["name"] == "dot_bias"
    history = pd.read_csv(run.model_dir / "history.csv")
    assert history["rmse"].iloc[-1] == pytest.approx(run.metrics["rmse"], rel=1e-6)


def test_loaded_predictions_equal_the_learners_on_validation_rows(fitted: Fitted) -> None:
    expected, targets = fitted.run.learn.get_preds()
    table = fitted.predictor.predict(fitted.valid_rows)
    assert table.columns.tolist() == ["prediction"]
    assert table.index.equals(fitted.valid_rows.index)
    assert np.allclose(table["prediction"].to_numpy(), expected.numpy(), atol=1e-6)
    proba = fitted.predictor.predict_proba(fitted.valid_rows)
    assert isinstance(proba, torch.Tensor)
    assert np.allclose(proba.numpy(), expected.numpy(), atol=1e-6)
    # The saved model is a good one: far below the global mean's error on the same rows.
    baseline = rmse(np.full(len(targets), fitted.run.data.recipe.rating_mean), targets.numpy())
    assert rmse(table["prediction"].to_numpy(), targets.numpy()) < 0.75 * baseline


def test_list_of_dicts_and_extra_columns_are_accepted(predictor: CollabPredictor) -> None:
    rows = [{"user": 10, "item": 3, "rating": 1.0, "note": "x"}, {"user": 11, "item": 4}]
    from_dicts = predictor.predict(rows)["prediction"].to_numpy()
    from_frame = scores_for(predictor, 10, [3])[0], scores_for(predictor, 11, [4])[0]
    assert np.allclose(from_dicts, from_frame, atol=1e-7)


def test_user_item_pairs_are_accepted_as_learn_predict_documents(fitted: Fitted) -> None:
    # A tour: learn.predict([(196, 242)]) was refused ("rows must be a DataFrame...") though documented.
    predictor = fitted.run.learn.predictor()
    from_pairs = predictor.predict([(10, 3), (11, 4)])["prediction"].to_numpy()
    from_dicts = predictor.predict([{"user": 10, "item": 3}, {"user": 11, "item": 4}])[
        "prediction"
    ].to_numpy()
    assert np.allclose(from_pairs, from_dicts, atol=1e-7)
    assert np.allclose(fitted.run.learn.predict((10, 3))["prediction"].to_numpy(), from_pairs[:1], atol=1e-7)
    with pytest.warns(UserWarning, match=r"users or items the model never saw, .*: user 99999"):
        predictor.predict([(99999, 3)])


def test_rows_without_a_user_or_an_item_are_refused(predictor: CollabPredictor) -> None:
    # Scored as the average user or item, in silence (the note on unseen ids did not count them).
    with pytest.raises(DataError, match=r"^2 of 3 rows lack a user or an item \(the first: data row 2, its 'item' "
                       r"is empty\); a recommender scores a user and an item: fill or drop those rows$"):  # fmt: skip
        predictor.predict(pd.DataFrame({"user": [3, 3, None], "item": [1, None, 2]}))
    with pytest.raises(DataError, match="lack a user or an item"):
        predictor.predict([{"user": " ", "item": 1}])


def test_missing_input_columns_are_refused_unless_allowed(predictor: CollabPredictor) -> None:
    with pytest.raises(DataError, match="no column 'user' in the input rows; its columns are: item"):
        predictor.predict(pd.DataFrame({"item": [1, 2]}))
    allowed = predictor.predict(pd.DataFrame({"item": [1, 2]}), allow_missing_columns=True)
    assert np.allclose(allowed["prediction"].to_numpy(), scores_for(predictor, "nobody", [1, 2]), atol=1e-7)


def test_at_least_one_is_refused_in_words_not_with_a_type_error(
    predictor: CollabPredictor, liked: tuple[RatingsRun, CollabPredictor, pd.DataFrame]
) -> None:
    # predict(rows, at_least_one=True) raised Python's "unexpected keyword argument", where every other
    # predictor accepts it and refuses it, in one line, for a model that is not multi-label.
    with pytest.raises(ConfigError) as caught:
        predictor.predict([(10, 3)], at_least_one=True)
    assert str(caught.value) == (
        "at_least_one= is for multi-label models; this recommender predicts each (user, item) pair's rating, "
        "not labels: drop it"
    )
    with pytest.raises(ConfigError) as caught:
        liked[1].predict([(12, "film 01")], at_least_one=True)
    assert str(caught.value) == (
        "at_least_one= is for multi-label models; this recommender answers every (user, item) pair 'liked' or "
        "'disliked' already: drop it"
    )
    asked_nothing = predictor.predict([(10, 3)], at_least_one=False)
    assert np.allclose(asked_nothing["prediction"].to_numpy(), scores_for(predictor, 10, [3]), atol=1e-7)


# --------------------------------------------------------------------------------------------- ids and cold start
def test_ids_match_by_their_text_form(predictor: CollabPredictor) -> None:
    items = [1, 2, 3]
    as_int = scores_for(predictor, 7, items)
    assert np.array_equal(scores_for(predictor, "7", items), as_int)
    assert np.array_equal(scores_for(predictor, 7.0, items), as_int)
    assert np.array_equal(scores_for(predictor, np.int64(7), items), as_int)
    text_items = predictor.predict(pd.DataFrame({"user": [7] * 3, "item": ["1", "2", "3"]}))
    assert np.array_equal(text_items["prediction"].to_numpy(), as_int)
    assert not np.array_equal(scores_for(predictor, 8, items), as_int)
    pd.testing.assert_frame_equal(predictor.recommend("7", k=5), predictor.recommend(7, k=5))
    pd.testing.assert_frame_equal(predictor.similar_items("3", k=4), predictor.similar_items(3, k=4))


def test_ids_that_read_as_the_same_number_match(predictor: CollabPredictor) -> None:
    # "7.0" is how an integer id column with a missing value comes back from a CSV, typed on a command line.
    items = [1, 2, 3]
    as_int = scores_for(predictor, 7, items)
    for spelling in ("7.0", " 7 ", "7.000", "7e0"):
        assert np.array_equal(scores_for(predictor, spelling, items), as_int), spelling
    pd.testing.assert_frame_equal(predictor.recommend("7.0", k=5), predictor.recommend(7, k=5))
    assert predictor.recommend("7.0", k=5)["known_user"].all()
    pd.testing.assert_frame_equal(predictor.similar_items("3.0", k=4), predictor.similar_items(3, k=4))
    assert predictor.recipe.user_codes(["7.5", "nan", "inf", "seven"]).tolist() == [0, 0, 0, 0]


def test_numeric_text_ids_in_training_match_numbers_and_big_ids_stay_exact() -> None:
    frame = pd.DataFrame(
        {"user": ["196.0", "12345678901234567890", "alice"], "item": [1, 2, 3], "rating": [1.0, 2.0, 3.0]}
    )
    recipe = CollabRecipe.fit(frame, user_col="user", item_col="item", rating_col="rating")
    codes = recipe.user_codes([196, 196.0, "196.0", "12345678901234567890", 12345678901234567890])
    assert (
        codes.tolist()
        == [recipe.users.index("196.0") + 1] * 3 + [recipe.users.index("12345678901234567890") + 1] * 2
    )
    # A float reads both of these big numbers as one: the match is exact or none.
    assert recipe.user_codes(["12345678901234567891", "Alice"]).tolist() == [0, 0]


def test_unseen_user_is_scored_as_the_average_user(fitted: Fitted) -> None:
    predictor = fitted.predictor
    items = all_items(predictor)
    expected = average_user_scores(predictor.model, np.arange(1, len(items) + 1))
    for newcomer in (1, "never-seen", 10_000):
        assert np.allclose(scores_for(predictor, newcomer, items), expected, atol=1e-5)
    # The held-out users 1..5 are unknown to the model.
    assert predictor.recipe.user_codes(range(1, NEW_USERS + 1)).tolist() == [0] * NEW_USERS
    assert np.ptp(expected) > 1.0  # a real ranking, not one value for every item


def test_unseen_user_and_item_get_the_average_pair_score(predictor: CollabPredictor) -> None:
    model = predictor.model
    means = {
        name: getattr(model, name).weight.detach().double().numpy()[1:].mean(axis=0)
        for name in ("user_factors", "item_factors", "user_bias", "item_bias")
    }
    raw = means["user_factors"] @ means["item_factors"] + means["user_bias"][0] + means["item_bias"][0]
    score = predictor.predict(pd.DataFrame({"user": ["ghost"], "item": ["phantom"]}))["prediction"].iloc[0]
    assert score == pytest.approx(float(bounded(model, np.array([raw]))[0]), abs=1e-5)


def test_recommend_ranks_for_several_users_in_turn(predictor: CollabPredictor) -> None:
    both = predictor.recommend([10, 11], 3)
    assert list(both.columns[:2]) == ["user", "rank"] and both["user"].tolist() == [10] * 3 + [11] * 3
    alone = predictor.recommend(11, 3)
    assert both[both["user"] == 11]["item"].tolist() == alone["item"].tolist()


def test_recommend_for_an_unknown_user_ranks_by_the_average_users_scores(predictor: CollabPredictor) -> None:
    items = all_items(predictor)
    average = average_user_scores(predictor.model, np.arange(1, len(items) + 1))
    ranking = predictor.recommend("someone new", k=len(items))
    assert not ranking["known_user"].any()
    order = np.argsort(-average, kind="stable")
    assert ranking["item"].tolist() == [items[i] for i in order]
    assert np.allclose(ranking["score"].to_numpy(), average[order], atol=1e-5)


# --------------------------------------------------------------------------------------------- recommend
def test_recommend_returns_the_k_best_items_best_first(predictor: CollabPredictor) -> None:
    items = all_items(predictor)
    scores = scores_for(predictor, 20, items)
    ranking = predictor.recommend(20, include_seen=True, k=5)
    assert ranking.columns.tolist() == ["rank", "item", "score", "known_user"]
    assert ranking["rank"].tolist() == [1, 2, 3, 4, 5]
    assert ranking["known_user"].all()
    best = np.argsort(-scores, kind="stable")[:5]
    assert ranking["item"].tolist() == [items[i] for i in best]
    assert np.allclose(ranking["score"].to_numpy(), scores[best], atol=1e-6)
    assert (np.diff(ranking["score"].to_numpy()) <= 0).all()
    assert all(isinstance(item, int) for item in ranking["item"])  # ids come back as written


def test_recommend_leaves_out_excluded_items(predictor: CollabPredictor) -> None:
    full = predictor.recommend(20, include_seen=True, k=40)
    excluded = full["item"].iloc[[0, 2, 5]].tolist()
    ranking = predictor.recommend(20, include_seen=True, k=10, exclude=[*excluded, "not an item"])
    assert not set(excluded) & set(ranking["item"])
    assert ranking["item"].tolist() == [i for i in full["item"] if i not in excluded][:10]
    # Excluding items as text works like excluding them as numbers.
    as_text = predictor.recommend(20, include_seen=True, k=10, exclude=[str(i) for i in excluded])
    pd.testing.assert_frame_equal(as_text, ranking)


def test_one_item_to_exclude_is_that_item_and_a_set_of_users_is_refused(predictor: CollabPredictor) -> None:
    # exclude="12" left out the items 1 and 2 (a string is iterable), exclude=12 failed as not iterable, and
    # recommend([196, 42]) failed deep in pandas ("unhashable type: 'list'"); a list now ranks each in turn.
    full = predictor.recommend(20, include_seen=True, k=5)
    top = full["item"].iloc[0]
    for one in (top, str(top)):
        ranking = predictor.recommend(20, include_seen=True, k=4, exclude=one)
        assert ranking["item"].tolist() == full["item"].tolist()[1:5]
    basket = predictor.recommend_from_items(str(top), k=3)
    pd.testing.assert_frame_equal(basket, predictor.recommend_from_items([top], k=3))
    with pytest.raises(ConfigError, match="one user, got set of 2; call it once per user"):
        predictor.recommend({20, 21})


def test_recommend_leaves_out_what_the_user_rated_in_training_and_validation(fitted: Fitted) -> None:
    predictor, frame = fitted.predictor, fitted.truth.frame
    rated = sorted(set(frame.loc[frame["user"] == 20, "item"]))
    in_validation = set(fitted.valid_rows.loc[fitted.valid_rows["user"] == 20, "item"])
    assert in_validation and len(rated) < len(all_items(predictor))  # some held out, some left to rank
    ranking = predictor.recommend(20, k=1_000)
    assert not set(rated) & set(ranking["item"]) and ranking.attrs["seen_left_out"] == len(rated)
    by_hand = predictor.recommend(20, k=1_000, exclude=rated, include_seen=True)
    pd.testing.assert_frame_equal(ranking, by_hand, check_like=True)
    # A user held out whole is unknown to the model: nothing of theirs is kept.
    assert predictor.recommend(1, k=1_000).attrs["seen_left_out"] == 0


def test_recommend_returns_fewer_rows_when_fewer_items_are_left(predictor: CollabPredictor) -> None:
    items = all_items(predictor)
    assert len(predictor.recommend(20, include_seen=True, k=1_000)) == len(items)
    assert len(predictor.recommend(20, include_seen=True, k=10, exclude=items[3:])) == 3
    nothing = predictor.recommend(20, include_seen=True, k=10, exclude=items)
    assert len(nothing) == 0
    assert nothing.columns.tolist() == ["rank", "item", "score", "known_user"]


def test_candidates_restrict_the_ranking(predictor: CollabPredictor) -> None:
    candidates = [3, 17, 25, 8]
    scores = scores_for(predictor, 20, candidates)
    ranking = predictor.recommend(20, include_seen=True, k=3, candidates=candidates, exclude=[17])
    kept = [(item, score) for item, score in zip(candidates, scores, strict=True) if item != 17]
    expected = sorted(kept, key=lambda pair: -pair[1])
    assert ranking["item"].tolist() == [item for item, _ in expected]
    assert np.allclose(ranking["score"].to_numpy(), [score for _, score in expected], atol=1e-6)


def test_unknown_candidates_are_an_error_naming_them(predictor: CollabPredictor) -> None:
    with pytest.raises(DataError, match=r"candidate items \['nope', 999\] were not in the training ratings"):
        predictor.recommend(20, include_seen=True, candidates=[3, "nope", 999])


@pytest.mark.parametrize("k", [0, -3, True, 2.0, "5"])
def test_recommend_refuses_a_bad_k(predictor: CollabPredictor, k: object) -> None:
    with pytest.raises(ConfigError, match="k must be a whole number of at least 1"):
        predictor.recommend(20, include_seen=True, k=k)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- similar items
def test_similar_items_are_ranked_by_cosine_and_never_the_item_itself(predictor: CollabPredictor) -> None:
    items = all_items(predictor)
    vectors = predictor.model.item_factors.weight.detach().double()[1:]
    unit = torch.nn.functional.normalize(vectors, dim=1).numpy()
    for item in (items[0], items[7], items[-1]):
        table = predictor.similar_items(item, k=6, min_users=1)  # every item, however few chose it
        assert table.columns.tolist() == ["rank", "item", "similarity", "seen_by"]
        assert table["rank"].tolist() == [1, 2, 3, 4, 5, 6]
        assert item not in table["item"].tolist()
        position = items.index(item)
        cosine = unit @ unit[position]
        cosine[position] = -np.inf
        best = np.argsort(-cosine, kind="stable")[:6]
        assert table["item"].tolist() == [items[i] for i in best]
        assert np.allclose(table["similarity"].to_numpy(), cosine[best], atol=1e-5)
    everything = predictor.similar_items(items[0], k=1_000, min_users=1)
    assert len(everything) == len(items) - 1
    assert items[0] not in everything["item"].tolist()
    # By default the neighbours are items enough users chose: seen_by counts them in the fitted rows.
    counts = everything.set_index("item")["seen_by"]
    few = int(counts.median())
    kept = predictor.similar_items(items[0], k=1_000, min_users=few)
    assert (
        set(kept["item"]) == {item for item, n in counts.items() if n >= few}
        and (kept["seen_by"] >= few).all()
    )
    with pytest.raises(ConfigError, match="min_users must be a whole number of at least 1"):
        predictor.similar_items(items[0], min_users=0)


def test_similar_items_follow_the_generating_model(fitted: Fitted) -> None:
    predictor, truth = fitted.predictor, fitted.truth
    items = all_items(predictor)
    true_cosine = truth.true_item_cosine(items)
    nearest, correlations = [], []
    for position, item in enumerate(items):
        table = predictor.similar_items(item, k=len(items))
        others = [items.index(other) for other in table["item"]]
        # Top three by the model, and how its similarities rank all others against the true ones.
        nearest.append(true_cosine[position, others[:3]].mean())
        correlations.append(rank_correlation(table["similarity"].to_numpy(), true_cosine[position, others]))
    off_diagonal = true_cosine[np.triu_indices(len(items), 1)]
    assert abs(off_diagonal.mean()) < 0.1  # two random items are unrelated on average
    assert np.mean(nearest) > 0.7  # the three listed first are truly alike
    assert np.median(correlations) > 0.7


def test_similar_items_refuses_unknown_items_and_bad_k(predictor: CollabPredictor) -> None:
    with pytest.raises(DataError, match="item 'zzz' was not in the training ratings"):
        predictor.similar_items("zzz")
    for k in (0, -1, False):
        with pytest.raises(ConfigError, match="k must be a whole number of at least 1"):
            predictor.similar_items(1, k=k)


# --------------------------------------------------------------------------------------------- liked/disliked
@pytest.fixture(scope="module")
def liked(tmp_path_factory: pytest.TempPathFactory) -> tuple[RatingsRun, CollabPredictor, pd.DataFrame]:
    frame = liked_ratings()
    model_dir = tmp_path_factory.mktemp("liked") / "model"
    run = fit_ratings(frame, rating="opinion", out=model_dir, epochs=5, lr=3e-2, progress=False)
    return run, trainwell.load(model_dir), frame


def test_liked_disliked_labels_make_a_binary_model(
    liked: tuple[RatingsRun, CollabPredictor, pd.DataFrame],
) -> None:
    _, predictor, frame = liked
    assert predictor.task.kind == "binary" and predictor.task.classes == ("disliked", "liked")
    assert (predictor.recipe.user_col, predictor.recipe.item_col, predictor.recipe.rating_col) == (
        "user",
        "movie",
        "opinion",
    )
    rows = frame.iloc[:300]
    table = predictor.predict(rows)
    assert table.columns.tolist() == ["prediction", "probability_liked"]
    probability = table["probability_liked"].to_numpy()
    assert ((probability >= 0) & (probability <= 1)).all()
    assert table["prediction"].tolist() == np.where(probability >= 0.5, "liked", "disliked").tolist()
    accuracy = (table["prediction"] == rows["opinion"]).mean()
    majority = frame["opinion"].value_counts(normalize=True).max()
    assert accuracy > majority + 0.15


def test_binary_predictions_equal_the_learners_probabilities(
    liked: tuple[RatingsRun, CollabPredictor, pd.DataFrame],
) -> None:
    run, predictor, frame = liked
    probabilities, targets = run.learn.get_preds()
    valid_rows = pd.DataFrame(
        {
            "user": [predictor.recipe.users[c - 1] for c in run.data.valid.tensors[0][:, 0].tolist()],
            "movie": [predictor.recipe.items[c - 1] for c in run.data.valid.tensors[0][:, 1].tolist()],
        }
    )
    table = predictor.predict(valid_rows)
    assert np.allclose(table["probability_liked"].to_numpy(), probabilities.numpy(), atol=1e-6)
    accuracy = float(((probabilities >= 0.5).float() == targets).float().mean())
    assert accuracy > frame["opinion"].value_counts(normalize=True).max() + 0.1


def test_binary_recommendations_are_probabilities_of_liking(
    liked: tuple[RatingsRun, CollabPredictor, pd.DataFrame],
) -> None:
    predictor = liked[1]
    ranking = predictor.recommend(12, k=5)
    assert ranking["movie"].tolist()[0].startswith("film ")  # text ids come back as text
    rows = pd.DataFrame({"user": [12] * 5, "movie": ranking["movie"]})
    assert np.allclose(predictor.predict(rows)["probability_liked"].to_numpy(), ranking["score"], atol=1e-6)
    assert ((ranking["score"] > 0) & (ranking["score"] < 1)).all()
    similar = predictor.similar_items("film 01", k=3)
    assert "film 01" not in similar["movie"].tolist() and len(similar) == 3


# --------------------------------------------------------------------------------------------- MovieLens
@pytest.mark.slow
@pytest.mark.data
def test_movielens_u1_split_reaches_the_published_accuracy(shared_data: Path, tmp_path: Path) -> None:
    archive = shared_data / "movielens_100k" / "ml-100k.tgz"
    if not archive.is_file():
        pytest.skip(f"needs {archive}")
    with tarfile.open(archive) as tar:
        for name in ("u1.base", "u1.test"):
            member = tar.extractfile(f"ml-100k/{name}")
            assert member is not None
            (tmp_path / name).write_bytes(member.read())
    base, test = read_ratings(tmp_path / "u1.base"), read_ratings(tmp_path / "u1.test")
    assert (len(base), len(test)) == (80_000, 20_000)
    frame = pd.concat([base, test], ignore_index=True)
    splits = (np.arange(len(base)), np.arange(len(base), len(frame)))
    run = fit_ratings(frame, epochs=5, progress=False, splits=splits)
    hints = run.data.model_hints
    assert hints["n_users"] == 943 + 1 and hints["y_range"] == pytest.approx([0.6, 5.4])
    predictions, targets = run.learn.get_preds()
    global_mean = rmse(np.full(len(targets), run.data.recipe.rating_mean), targets.numpy())
    model_rmse = rmse(predictions.numpy(), targets.numpy())
    assert global_mean > 1.1
    assert model_rmse < 0.94  # the library reaches about 0.917; biases alone about 0.94
    assert run.metrics["rmse"] == pytest.approx(model_rmse, rel=1e-4)
