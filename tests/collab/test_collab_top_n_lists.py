"""A ratings model's top-N lists, judged as ``recommend`` gives them (every item the user has not rated, the
first 10) on held-out ratings, against the most rated items each user has not rated: the Python answer
(``predictor.evaluate_lists``) and the report's ranking section, which says the model knows something of each
user only when its lists beat popularity's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from ratings_support import liked_ratings, low_rank_ratings
from trainwell.collab.pipeline import fit_ratings
from trainwell.collab.predictor import CollabPredictor
from trainwell.collab.top_n import default_min_rating, evaluate_top_n
from trainwell.report._collab import collab_report_sections


def _held_out(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fifth of each user's ratings held out at random, the rest to train on."""
    rng = np.random.default_rng(seed)
    test = rng.random(len(frame)) < 0.2
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


def _fitted(frame: pd.DataFrame, folder: Path) -> CollabPredictor:
    fit_ratings(frame, out=folder, progress=False, valid_pct=0.0, epochs=15)
    return trainwell.load(folder)


@pytest.fixture(scope="module")
def taste(tmp_path_factory: pytest.TempPathFactory) -> tuple[CollabPredictor, pd.DataFrame, pd.DataFrame]:
    """Ratings of a rank-2 taste, pairs drawn at random: how often an item is rated says nothing of how it is
    liked, each user's taste says it all."""
    frame = low_rank_ratings(seed=1, n_users=80, n_items=60, n_ratings=3_000).frame
    train, test = _held_out(frame)
    return _fitted(train, tmp_path_factory.mktemp("taste") / "model"), train, test


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> tuple[CollabPredictor, pd.DataFrame, pd.DataFrame]:
    """Ratings where the most rated items are the best liked by everyone (no personal taste at all), and a
    model whose item weights are then scrambled: its lists are as good as random ones."""
    rng = np.random.default_rng(2)
    n_users, n_items = 80, 60
    quality = np.sort(rng.normal(0.0, 1.0, n_items))[::-1]  # item 1 the best
    chance = np.exp(1.5 * quality) / np.exp(1.5 * quality).sum()
    rows = []
    for user in range(1, n_users + 1):
        for item in rng.choice(n_items, size=25, replace=False, p=chance):
            rating = np.clip(3.2 + quality[item] + rng.normal(0.0, 0.3), 1.0, 5.0).round()
            rows.append((user, item + 1, rating))
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"])
    train, test = _held_out(frame, seed=3)
    predictor = _fitted(train, tmp_path_factory.mktemp("crowd") / "model")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name in ("item_factors", "item_bias"):
            weight = getattr(predictor.model, name).weight
            weight.copy_(torch.randn(weight.shape, generator=generator))
    return predictor, train, test


def _by_hand(
    predictor: CollabPredictor, train: pd.DataFrame, test: pd.DataFrame, k: int = 10
) -> dict[str, float]:
    """Precision, hit and NDCG at k of recommend's own lists and of the most rated unseen items, and the items
    each listed: what a user of the library would compute with a loop over recommend."""
    relevant = test[test["rating"] >= 4].groupby("user")["item"].apply(set)
    seen = train.groupby("user")["item"].apply(set)
    counts = train["item"].value_counts()
    # ties among equally rated items: the model's item order, as recommend keeps it
    codes = dict(zip(predictor.recipe.items, range(len(predictor.recipe.items)), strict=True))
    popular = sorted(counts.index, key=lambda item: (-counts[item], codes[str(item)]))
    found: dict[str, list[float]] = {}
    listed: dict[str, set[int]] = {"model": set(), "popularity": set()}
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for user, wanted in relevant.items():
        lists = {
            "model": [int(item) for item in predictor.recommend(user, k=k)["item"]],
            "popularity": [item for item in popular if item not in seen.get(user, set())][:k],
        }
        for name, items in lists.items():
            listed[name].update(items)
            good = np.asarray([item in wanted for item in items], dtype=float)
            ideal = discounts[: min(len(wanted), k)].sum()
            found.setdefault(f"{name} precision", []).append(good.sum() / k)
            found.setdefault(f"{name} hit", []).append(float(good.any()))
            found.setdefault(f"{name} ndcg", []).append(float((good * discounts[: len(good)]).sum() / ideal))
    means = {name: float(np.mean(values)) for name, values in found.items()}
    means.update({f"{name} coverage": float(len(items)) for name, items in listed.items()})
    means["users"] = float(len(relevant))
    return means


def test_the_lists_are_recommends_own_scored_by_hand(taste: tuple) -> None:
    predictor, train, test = taste
    result = predictor.evaluate_lists(test)
    expected = _by_hand(predictor, train, test)
    assert result.users == expected["users"] and result.min_rating == 4.0 == default_min_rating(1.0, 5.0)
    for name, scores in (("model", result.model), ("popularity", result.popularity)):
        assert scores.precision == pytest.approx(expected[f"{name} precision"], abs=1e-12)
        assert scores.hit == pytest.approx(expected[f"{name} hit"], abs=1e-12)
        assert scores.ndcg == pytest.approx(expected[f"{name} ndcg"], abs=1e-12)
        assert scores.coverage == expected[f"{name} coverage"]
        assert scores.precision_low <= scores.precision <= scores.precision_high
    assert result.catalogue == len(predictor.recipe.items)
    # a ratings file is read as the model reads one (no header row: user, item, rating)
    test.to_csv("held_out.tsv", sep="\t", header=False, index=False)
    assert predictor.evaluate_lists("held_out.tsv").model.precision == result.model.precision


def test_a_model_that_learned_each_users_taste_beats_popularity_and_the_report_says_so(taste: tuple) -> None:
    predictor, _, test = taste
    result = predictor.evaluate_lists(test)
    assert result.beats_popularity and result.model.precision > result.popularity.precision + 0.05
    assert "knows something of each user's taste" in result.verdict() and "beat" in str(result)
    _, sections = collab_report_sections(predictor, test, "test.csv", top_k=3)
    ranking = next(section for section in sections if 'id="ranking"' in section)
    assert "Top-10 lists over all items" in ranking and "Ordering the items each user rated" in ranking
    assert (
        "knows something of each user&#x27;s taste" in ranking
        or "knows something of each user's taste" in ranking
    )


def test_when_popularity_lists_better_nothing_claims_personal_taste(crowd: tuple) -> None:
    predictor, train, test = crowd
    result = evaluate_top_n(predictor, test)
    assert result is not None and not result.beats_popularity and result.gain_high < 0
    assert result.popularity.precision == pytest.approx(
        _by_hand(predictor, train, test)["popularity precision"]
    )
    assert "the most popular items do better than the model" in result.verdict()
    assert "--implicit" in result.verdict()
    _, sections = collab_report_sections(predictor, test, "test.csv", top_k=3)
    ranking = next(section for section in sections if 'id="ranking"' in section)
    assert "the most popular items do better than the model" in ranking
    assert "knows something of each user" not in ranking  # the old verdict of the within-rated ordering


def test_a_held_out_rating_below_the_rule_is_not_relevant_and_the_rule_can_be_set(taste: tuple) -> None:
    predictor, _, test = taste
    strict = predictor.evaluate_lists(test, min_rating=4.5)
    loose = predictor.evaluate_lists(test, min_rating=1.0)  # every held-out rating relevant
    assert 0 < strict.relevant == int((test["rating"] >= 4.5).sum()) < loose.relevant
    assert loose.relevant == len(test) and loose.users == test["user"].nunique()
    assert strict.to_dict()["min_rating"] == 4.5


def test_a_liked_or_disliked_model_is_judged_on_its_liked_rows(tmp_path: Path) -> None:
    frame = liked_ratings()
    train, test = _held_out(frame, seed=5)
    fit_ratings(
        train, "opinion", user="user", item="movie", out=tmp_path / "m", progress=False, valid_pct=0.0
    )
    predictor = trainwell.load(tmp_path / "m")
    result = predictor.evaluate_lists(test)
    assert result.min_rating is None and result.rule == "a held-out row labelled 'liked'"
    known = test["movie"].isin(train["movie"]) & test["user"].isin(train["user"])
    assert result.relevant == int(((test["opinion"] == "liked") & known).sum())
    _, sections = collab_report_sections(predictor, test, "test.csv", top_k=3)
    ranking = next(section for section in sections if 'id="ranking"' in section)
    assert "labelled &#x27;liked&#x27;" in ranking or "labelled 'liked'" in ranking
