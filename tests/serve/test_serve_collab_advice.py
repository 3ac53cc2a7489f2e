"""A recommender's refusals agree over real HTTP: a row that leaves out its item and one that sends it as null get
the same advice (send both), never a table model's "send null for a missing value", which the server then
refused; and its ``/metadata`` says the body ``/predict`` reads, as every other kind of model's does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
from serve_support import LiveServer, start_server

import trainwell
from ratings_support import low_rank_ratings
from trainwell.serve import create_app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    frame = low_rank_ratings(0, n_users=20, n_items=12, n_ratings=200).frame
    ratings = pd.DataFrame(
        {"user": frame["user"], "movie": "m" + frame["item"].astype(str), "stars": frame["rating"]}
    )
    out = tmp_path_factory.mktemp("collab") / "model"
    trainwell.fit_ratings(ratings, out=out, epochs=1, seed=0, progress=False)
    live = start_server(create_app(out, threads=1, backend="torch"))
    yield live
    live.stop()


@pytest.mark.parametrize(
    "row", [{"user": 1}, {"user": 1, "movie": None}, {"movie": "m1"}, {"user": None, "movie": "m1"}]
)
def test_a_missing_or_null_id_gets_one_advice(server: LiveServer, row: dict[str, object]) -> None:
    response = httpx.post(
        f"{server.url}/predict", json={"rows": [{"user": 1, "movie": "m1"}, row]}, timeout=30
    )
    assert response.status_code == 422
    name = "movie" if row.get("user") is not None else "user"
    assert response.json()["detail"] == [
        {
            "loc": ["rows", 1, name],
            "field": f"rows.1.{name}",
            "msg": "a recommender scores a user and an item: send both, not null",
            "type": "id_missing",
        }
    ]
    assert "send null" not in response.json()["message"]


def test_a_row_missing_both_ids_names_both(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/predict", json={"rows": [{}]}, timeout=30)
    assert response.status_code == 422
    assert [item["field"] for item in response.json()["detail"]] == ["rows.0.user", "rows.0.movie"]
    assert "send null" not in response.json()["message"]


def test_metadata_says_the_request_format(server: LiveServer) -> None:
    metadata = httpx.get(f"{server.url}/metadata", timeout=30).json()
    assert metadata["request_format"] == (
        '{"rows": [{"user": <user id>, "movie": <item id>}, ...]}: both in every row, not null'
    )
    # As it says: a row of both ids is answered.
    answer = httpx.post(f"{server.url}/predict", json={"rows": [{"user": 1, "movie": "m1"}]}, timeout=30)
    assert answer.status_code == 200, answer.text
