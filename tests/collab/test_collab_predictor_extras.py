"""What a loaded ratings model gives in Python beside its scores: the items' names in its rankings (as the command
line and the server show them), its learned factors and biases as tables, neighbours drawn from items rated often
enough for the data at hand, and newer ratings of a known user folded in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from ratings_support import low_rank_ratings
from trainwell.cli.app import app
from trainwell.collab.directory_fold_in import fold_in_dir
from trainwell.collab.pipeline import fit_ratings
from trainwell.collab.predictor import CollabPredictor
from trainwell.core.errors import DataError

#: Item 7 is left with this many raters: a rarely rated item.
RARE_ITEM, RARE_RATERS = 7, 3


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    ratings = low_rank_ratings(seed=4).frame
    rare = ratings.index[ratings["item"] == RARE_ITEM][RARE_RATERS:]
    return ratings.drop(rare).reset_index(drop=True)


@pytest.fixture(scope="module")
def folder(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("named") / "recs"
    names = {item: f"Film number {item}" for item in frame["item"].unique() if item != 3}  # item 3 unnamed
    fit_ratings(frame, out=out, progress=False, valid_pct=0.0, epochs=10, item_names=names)
    return out


@pytest.fixture()
def predictor(folder: Path) -> CollabPredictor:
    loaded = trainwell.load(folder)
    loaded.model_dir = folder  # what trainwell.load records of where it read the model
    return loaded


def test_rankings_and_neighbours_carry_the_names_the_model_keeps(predictor: CollabPredictor) -> None:
    ranking = predictor.recommend(1, k=5)
    assert list(ranking.columns) == ["rank", "item", "name", "score", "known_user"]
    assert all(
        name == ("" if item == 3 else f"Film number {item}")
        for item, name in zip(ranking["item"], ranking["name"], strict=True)
    )
    several = predictor.recommend([1, 2], k=2)
    assert list(several.columns) == ["user", "rank", "item", "name", "score", "known_user"]
    similar = predictor.similar_items(10, k=3)
    assert list(similar.columns) == ["rank", "item", "name", "similarity", "seen_by"]
    basket = predictor.recommend_from_items([10, 11], k=3)
    assert list(basket.columns) == ["rank", "item", "name", "similarity", "seen_by"]
    # names of one's own, or none
    predictor.item_names = {"10": "Ten"}
    assert predictor.similar_items(11, k=40, min_users=1).set_index("item").loc[10, "name"] == "Ten"
    predictor.item_names = None
    assert "name" not in predictor.recommend(1, k=2).columns


def test_a_loaded_model_names_its_items_from_its_directory(folder: Path) -> None:
    # trainwell.load() keeps the directory, so its rankings carry the titles the CLI shows, once
    ranked = trainwell.load(folder).recommend(1, k=2)
    assert list(ranked.columns).count("name") == 1 and ranked["name"].notna().all(), ranked


def test_the_command_line_shows_one_name_column(folder: Path) -> None:
    result = CliRunner().invoke(app, ["recommend", str(folder), "1", "--top", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "user,rank,item,name,score,known_user"


def test_factors_and_biases_as_tables_indexed_by_id(predictor: CollabPredictor, frame: pd.DataFrame) -> None:
    model = predictor.model
    items = predictor.item_embeddings()
    assert items.index.name == "item" and items.shape == (len(predictor.recipe.items), 50)
    np.testing.assert_array_equal(items.to_numpy(), model.item_factors.weight[1:].detach().numpy())
    picked = predictor.item_embeddings([10, "11"])
    assert picked.index.tolist() == [10, 11]
    code = int(predictor.recipe.item_codes([10])[0])
    np.testing.assert_array_equal(picked.loc[10].to_numpy(), model.item_factors.weight[code].detach().numpy())
    biases = predictor.item_biases()
    assert list(biases.columns) == ["name", "bias", "seen_by"]
    assert (
        biases.loc[10, "seen_by"] == (frame["item"] == 10).sum()
        and biases.loc[10, "name"] == "Film number 10"
    )
    assert biases.loc[10, "bias"] == pytest.approx(float(model.item_bias.weight[code, 0]))
    users = predictor.user_biases([1])
    assert users.index.tolist() == [1] and list(users.columns) == ["bias"]
    assert predictor.user_embeddings().shape == (len(predictor.recipe.users), 50)
    with pytest.raises(DataError, match=r"^items \[999\] were not in the training ratings"):
        predictor.item_biases([999])


def test_neighbours_are_drawn_from_items_rated_as_often_as_the_median_item(
    predictor: CollabPredictor, frame: pd.DataFrame
) -> None:
    counts = frame["item"].value_counts()
    floor = max(5, int(np.median(counts.to_numpy())))
    assert floor > RARE_RATERS
    similar = predictor.similar_items(10, k=40)
    assert similar.attrs["min_users"] == floor and (similar["seen_by"] >= floor).all()
    assert RARE_ITEM not in similar["item"].tolist()
    assert len(similar) == int((counts >= floor).sum()) - (counts[10] >= floor)
    everything = predictor.similar_items(10, k=40, min_users=1)
    assert RARE_ITEM in everything["item"].tolist() and everything.attrs["min_users"] == 1
    result = CliRunner().invoke(
        app, ["recommend", str(predictor.model_dir), "--similar-to", "10", "--top", "2"]
    )
    assert result.exit_code == 0, result.output
    assert (
        f"neighbours drawn from items at least {floor} users chose (as many as the median item); --min-users 1 "
        "keeps every item"
    ) in result.stderr


def test_newer_ratings_of_a_known_user_update_them_and_leave_those_items_out(
    folder: Path, tmp_path: Path
) -> None:
    before = trainwell.load(folder)
    top = before.recommend(1, k=2)["item"].tolist()
    code = int(before.recipe.user_codes([1])[0])
    pd.DataFrame({"user": [1, 1], "item": top, "rating": [1.0, 1.0]}).to_csv(
        tmp_path / "news.csv", index=False
    )
    folded = fold_in_dir(folder, tmp_path / "news.csv", out=tmp_path / "after")
    assert folded is not None and folded.updated_users == ("1",) and not folded.users and not folded.items
    after = trainwell.load(tmp_path / "after")
    ranking = after.recommend(1, k=10)
    assert not set(top) & set(ranking["item"])  # rated since: left out, as a training rating is
    old, new = before.model.user_factors.weight[code], after.model.user_factors.weight[code]
    assert not torch.equal(old, new)
    pairs = pd.DataFrame({"user": [1, 1], "item": top})
    assert (after.predict(pairs)["prediction"] < before.predict(pairs)["prediction"]).all()
    # Everyone else, and every item, as they were.
    others = [name for name in before.model.state_dict() if not name.startswith(("seen_", "user_"))]
    assert all(
        torch.equal(before.model.state_dict()[name], after.model.state_dict()[name]) for name in others
    )
    assert torch.equal(
        before.model.user_factors.weight[code + 1 :], after.model.user_factors.weight[code + 1 :]
    )
    # The same ratings again are not news.
    assert fold_in_dir(tmp_path / "after", tmp_path / "news.csv") is None
