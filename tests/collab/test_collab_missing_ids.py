"""A recommender asked about no user or item, found by a tour of bad input (T47): ``predict`` given a table
without the user and item columns suggested ``--allow-missing-columns``, which scores every row as one unknown user
and item; ``recommend(None)`` ranked items for an "unknown user". Each is now one line naming the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_collab_bad_ratings import cli, ratings
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.collab.pipeline import fit_ratings
from trainwell.collab.predictor import CollabPredictor
from trainwell.core.errors import DataError


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("recommender") / "m"
    fit_ratings(ratings(), out=out, epochs=1, progress=False)
    return out


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> CollabPredictor:
    return trainwell.load(model_dir)  # type: ignore[return-value]


@pytest.mark.parametrize("user", [None, float("nan"), np.nan, pd.NA, "", "  "])
def test_recommend_refuses_a_missing_user_id_instead_of_ranking_for_an_unknown_user(
    predictor: CollabPredictor, user: object
) -> None:
    with pytest.raises(DataError, match=r"^recommend needs a user id, got .*; pass one as written in the training "
                       r"ratings \(e\.g\. 'u1', 'u10', 'u11'\); a user the model never saw gets the average "):  # fmt: skip
        predictor.recommend(user)
    with pytest.raises(DataError, match="recommend needs a user id"):
        predictor.recommend(["u1", user])
    assert (
        predictor.recommend("someone new")["known_user"].eq(False).all()
    )  # an id, even a new one, is ranked


@pytest.mark.parametrize("item", [None, float("nan"), ""])
def test_similar_items_and_baskets_refuse_a_missing_item_id(predictor: CollabPredictor, item: object) -> None:
    with pytest.raises(DataError, match=r"^similar_items needs an item id, got .*; pass one as written in the "
                       r"training ratings \(e\.g\. 'i1', 'i10', 'i11'\)$"):  # fmt: skip
        predictor.similar_items(item, min_users=1)
    with pytest.raises(DataError, match=r"^recommend_from_items needs an item id"):
        predictor.recommend_from_items(["i1", item])


def test_predict_refuses_pairs_without_a_user_or_an_item(predictor: CollabPredictor) -> None:
    with pytest.raises(
        DataError, match=r"^1 of 2 rows lack a user or an item \(the first: data row 2, its 'user'"
    ):
        predictor.predict([("u1", "i1"), (None, "i2")])
    with pytest.raises(DataError, match=r"data row 1, its 'item' is empty"):
        predictor.predict([("u1", float("nan"))])


def test_recommend_on_the_command_line_refuses_an_empty_user(model_dir: Path) -> None:
    code, lines = cli("recommend", model_dir, "")
    assert (
        code == 2 and len(lines) == 1 and lines[0].startswith("error: recommend needs a user id, got ''")
    ), lines


def test_predict_a_table_without_user_and_item_names_the_recommenders_columns(model_dir: Path) -> None:
    pd.DataFrame({"age": [30, 41], "city": ["Köln", "Wien"]}).to_csv("good.csv", index=False)
    code, lines = cli("predict", model_dir, "good.csv")
    assert code == 2 and lines == [
        "error: no column 'user' nor 'item' in good.csv; its columns are: age, city. A recommender scores (user, "
        "item) pairs, read from the columns it was trained on: rename the user and item columns to 'user' and "
        "'item', or name the columns of a file without a header row in order, e.g. --names user,item"
    ], lines
    assert "--allow-missing-columns" not in lines[0]


def test_predict_a_headerless_file_of_known_ids_says_to_name_its_columns(model_dir: Path) -> None:
    Path("pairs.csv").write_text("u1,i1,4\nu2,i3,5\n", encoding="utf-8")
    code, lines = cli("predict", model_dir, "pairs.csv")
    assert code == 2 and lines == [
        "error: no column 'user' nor 'item' in pairs.csv, whose first row (u1, i1) is a user and an item the model "
        "knows: it has no header row; name its columns in order, e.g. --names user,item,..."
    ], lines
    followed = CliRunner().invoke(
        app, ["predict", str(model_dir), "pairs.csv", "--names", "user,item,rating"]
    )
    assert followed.exit_code == 0 and followed.stdout.splitlines()[0] == "user,item,prediction", (
        followed.output
    )


def test_python_predict_on_a_frame_without_the_columns_does_not_suggest_reading_them_as_missing(
    predictor: CollabPredictor,
) -> None:
    with pytest.raises(DataError) as refused:
        predictor.predict(pd.DataFrame({"customer": ["u1"], "film": ["i1"]}))
    assert str(refused.value) == (
        "no column 'user' nor 'item' in the input rows; its columns are: customer, film. A recommender scores "
        "(user, item) pairs, read from the columns it was trained on: rename the user and item columns to 'user' "
        "and 'item'"
    )


def test_the_server_names_the_user_field_for_an_empty_user_id(model_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from trainwell.serve.app import create_app

    client = TestClient(create_app(model_dir, threads=1))
    refused = client.post("/recommend", json={"user": " "})
    assert refused.status_code == 422
    (problem,) = refused.json()["detail"]
    assert problem["loc"] == ["user"] and problem["msg"].startswith("recommend needs a user id, got ' '")
    unknown = client.post("/recommend", json={"user": "u1", "candidates": ["nothing"]})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["candidates"]
