"""A recommender through the deployment path: ONNX export checked by onnxruntime, then served over real HTTP by
both backends, with the answers the Python predictor gives (unseen ids included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from serve_support import LiveServer, start_server

import trainwell
from ratings_support import low_rank_ratings
from trainwell.collab.ranking import seen_in_training
from trainwell.export.onnx import OnnxPredictor, export_onnx
from trainwell.serve import create_app


def ratings() -> pd.DataFrame:
    """Ratings of a rank-2 taste model, with text item ids (``m<id>``) and user ids from 100."""
    frame = low_rank_ratings(0, n_users=30, n_items=20, n_ratings=360).frame
    return pd.DataFrame(
        {"user": frame["user"] + 99, "movie": "m" + (frame["item"] - 1).astype(str), "stars": frame["rating"]}
    )


@pytest.fixture(scope="module")
def collab_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("collab") / "model"
    trainwell.fit_ratings(ratings(), out=out, epochs=3, seed=0, progress=False)
    report = export_onnx(out)
    assert report.input_names == ["x_cat"]  # the empty continuous input never reaches the graph
    assert report.max_scaled_diff < 1e-5
    return out


@pytest.fixture(scope="module")
def servers(collab_dir: Path) -> Iterator[dict[str, LiveServer]]:
    live = {name: start_server(create_app(collab_dir, threads=1, backend=name)) for name in ("torch", "onnx")}
    yield live
    for server in live.values():
        server.stop()


ROWS: list[dict[str, Any]] = [
    {"user": 100, "movie": "m3"},
    {"user": "101", "movie": "m0"},  # ids match by their text form
    {"user": 99999, "movie": "m5"},  # an unseen user: the average user's score
    {"user": 102, "movie": "not-a-movie"},
]


def test_onnx_predictor_matches_torch(collab_dir: Path) -> None:
    torch_values = trainwell.load(collab_dir).predict_proba(ROWS).numpy()
    onnx_values = np.asarray(OnnxPredictor(collab_dir).predict_proba(ROWS)).reshape(-1)
    np.testing.assert_allclose(onnx_values, torch_values, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_served_predictions_equal_the_predictor(
    servers: dict[str, LiveServer], collab_dir: Path, backend: str
) -> None:
    expected = trainwell.load(collab_dir).predict_proba(ROWS).tolist()
    response = httpx.post(f"{servers[backend].url}/predict", json={"rows": ROWS}, timeout=30)
    assert response.status_code == 200, response.text
    answers = [answer["prediction"] for answer in response.json()["predictions"]]
    np.testing.assert_allclose(answers, expected, rtol=1e-5, atol=1e-5)
    assert answers[0] != answers[2]  # a known user's taste differs from the average user's
    # Each answer says whether its user and item were known: a new one is scored as the average one.
    flags = [(answer["known_user"], answer["known_item"]) for answer in response.json()["predictions"]]
    assert flags == [(True, True), (True, True), (False, True), (True, False)]
    documented = httpx.get(f"{servers[backend].url}/openapi.json", timeout=30).json()["components"]["schemas"]
    assert {"known_user", "known_item"} <= set(documented["Prediction"]["properties"])
    # Its ids are said by those flags: no table model's `unseen` beside them, in the answers or the schema.
    assert not any("unseen" in answer for answer in response.json()["predictions"])
    assert "unseen" not in documented["Prediction"]["properties"]


def test_metadata_counts_users_and_items_and_lists_them_when_asked(servers: dict[str, LiveServer]) -> None:
    # Every id was listed in every answer: megabytes for a large catalogue. Counted now; listed with ?ids=true.
    url = f"{servers['torch'].url}/metadata"
    document = httpx.get(url, timeout=30).json()
    assert document["application"] == "collab"
    inputs = {entry["name"]: entry for entry in document["inputs"]}
    recipe = trainwell.load(servers["torch"].app.state.predictor.model_dir).recipe
    assert set(inputs) == {"user", "movie"}
    assert inputs["user"]["count"] == len(recipe.users) and inputs["movie"]["count"] == len(recipe.items)
    assert inputs["user"]["values"] is None and inputs["movie"]["values"] is None
    listed = {
        entry["name"]: entry for entry in httpx.get(url, params={"ids": "true"}, timeout=30).json()["inputs"]
    }
    assert "100" in listed["user"]["values"] and "m0" in listed["movie"]["values"]
    assert len(listed["user"]["values"]) == inputs["user"]["count"]
    assert httpx.get(url, params={"ids": "maybe"}, timeout=30).status_code == 422
    assert len(httpx.get(url, timeout=30).content) < len(
        httpx.get(url, params={"ids": "1"}, timeout=30).content
    )


def test_a_row_without_the_item_is_refused_by_name(servers: dict[str, LiveServer]) -> None:
    response = httpx.post(f"{servers['torch'].url}/predict", json={"rows": [{"user": 100}]}, timeout=30)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "rows.0.movie"
    # null was scored as the average item (known_item false), where predict refuses such a row.
    for empty in (None, " "):
        rows = [{"user": 100, "movie": 5}, {"user": 100, "movie": empty}]
        refused = httpx.post(f"{servers['torch'].url}/predict", json={"rows": rows}, timeout=30)
        assert refused.status_code == 422 and refused.json()["detail"][0] == {
            "loc": ["rows", 1, "movie"],
            "field": "rows.1.movie",
            "msg": "a recommender scores a user and an item: send both, not null",
            "type": "id_missing",
        }


@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize("user", [100, "107", 99999])
def test_recommend_ranks_as_the_predictor_does(
    servers: dict[str, LiveServer], collab_dir: Path, backend: str, user: Any
) -> None:
    expected = trainwell.load(collab_dir).recommend(user, k=5, exclude=["m0", "m1"])
    body = {"user": user, "k": 5, "exclude": ["m0", "m1"]}
    response = httpx.post(f"{servers[backend].url}/recommend", json=body, timeout=30)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["user"] == user
    assert answer["known_user"] is (user != 99999)
    assert [entry["item"] for entry in answer["items"]] == expected["movie"].tolist()
    np.testing.assert_allclose([e["score"] for e in answer["items"]], expected["score"], rtol=1e-5, atol=1e-5)
    assert not {"m0", "m1"} & {entry["item"] for entry in answer["items"]}


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_recommend_for_several_users_answers_each_as_one_user_would(
    servers: dict[str, LiveServer], backend: str
) -> None:
    url = f"{servers[backend].url}/recommend"
    users = [100, "107", 99999, 100]
    options = {"k": 4, "exclude": ["m0"]}
    one_by_one = [httpx.post(url, json={"user": user, **options}, timeout=30).json() for user in users]
    batch = httpx.post(url, json={"users": users, **options}, timeout=30)
    assert batch.status_code == 200, batch.text
    assert batch.json() == {"recommendations": one_by_one}
    assert [answer["known_user"] for answer in one_by_one] == [True, True, False, True]
    refused = httpx.post(url, json={"users": [100, " "], "k": 3}, timeout=30)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "users.1", refused.text
    both = httpx.post(url, json={"users": [100], "user": 100}, timeout=30)
    assert both.status_code == 422 and "not both user and users" in both.json()["message"]
    assert httpx.post(url, json={"users": []}, timeout=30).status_code == 422


def test_recommend_refuses_bad_requests_by_field(servers: dict[str, LiveServer]) -> None:
    url = f"{servers['torch'].url}/recommend"
    too_few = httpx.post(url, json={"user": 100, "k": 0}, timeout=30)
    assert too_few.status_code == 422 and too_few.json()["detail"][0]["field"] == "k"
    unknown = httpx.post(url, json={"user": 100, "candidates": ["m2", "no-such-movie"]}, timeout=30)
    assert unknown.status_code == 422
    assert "no-such-movie" in unknown.json()["message"]
    body = {"user": 100, "candidates": ["m2", "m4"], "k": 5, "include_seen": True}  # m2 may be rated: keep it
    ranked = httpx.post(url, json=body, timeout=30).json()
    assert sorted(entry["item"] for entry in ranked["items"]) == ["m2", "m4"]


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_recommend_from_items_answers_like_the_predictor_on_either_backend(
    servers: dict[str, LiveServer], collab_dir: Path, backend: str
) -> None:
    # The ONNX graph holds no item factors: the onnx server answers with the PyTorch model of the same directory.
    expected = trainwell.load(collab_dir).recommend_from_items(["m2", "m4"], k=4, exclude=["m0"])
    body = {"from_items": ["m2", "m4", "no-such-movie"], "k": 4, "exclude": ["m0"]}
    response = httpx.post(f"{servers[backend].url}/recommend", json=body, timeout=30)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["from_items"] == body["from_items"] and answer["known_items"] == 2
    assert [entry["item"] for entry in answer["items"]] == expected["movie"].tolist()
    # A factor model's answer is the basket's pooled cosine: named "similarity", as similar_to names it, where
    # "score" read like a user's predicted rating (4.7 for a user, 0.90 for a basket, under one name).
    assert all(set(entry) == {"item", "similarity"} for entry in answer["items"])
    np.testing.assert_allclose(
        [e["similarity"] for e in answer["items"]], expected["similarity"], rtol=1e-5, atol=1e-6
    )
    assert not {"m0", "m2", "m4"} & {entry["item"] for entry in answer["items"]}
    url = f"{servers[backend].url}/recommend"
    for bad, words in (
        ({"user": 100, "from_items": ["m2"]}, "not both user and from_items"),
        (
            {"k": 3},
            "send a user id, or users: a list of user ids, or from_items: a list of items, or similar_to",
        ),
        ({"from_items": ["nope"]}, "none of the items"),
        ({"from_items": ["m2"], "candidates": ["m4"]}, "candidates work with a user"),
    ):
        refused = httpx.post(url, json=bad, timeout=30)
        assert refused.status_code == 422 and words in refused.json()["message"], refused.text


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_similar_to_lists_the_neighbours_similar_items_lists(
    servers: dict[str, LiveServer], collab_dir: Path, backend: str
) -> None:
    expected = trainwell.load(collab_dir).similar_items("m3", k=4)
    response = httpx.post(f"{servers[backend].url}/recommend", json={"similar_to": "m3", "k": 4}, timeout=30)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["similar_to"] == "m3" and set(answer) == {"similar_to", "items"}
    assert [entry["item"] for entry in answer["items"]] == expected["movie"].tolist()
    np.testing.assert_allclose(
        [entry["similarity"] for entry in answer["items"]], expected["similarity"], rtol=1e-5, atol=1e-6
    )
    url = f"{servers[backend].url}/recommend"
    for bad, field, words in (
        ({"similar_to": "m3", "user": 100}, "similar_to", "not both user and similar_to"),
        ({"similar_to": "m3", "from_items": ["m2"], "user": 1}, "similar_to", "not user, from_items and"),
        ({"similar_to": "no-such-movie"}, "similar_to", "was not in the training ratings"),
        ({"similar_to": "m3", "exclude": ["m2"]}, "exclude", "leave it out with similar_to"),
        ({"similar_to": "m3", "candidates": ["m2"]}, "candidates", "leave it out with similar_to"),
    ):
        refused = httpx.post(url, json=bad, timeout=30)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == field and words in refused.json()["message"]


def test_a_predictor_without_a_model_directory_cannot_rank_from_items(collab_dir: Path) -> None:
    onnx = OnnxPredictor(collab_dir, threads=1)
    onnx.model_dir = None  # type: ignore[assignment]  # as a predictor built some other way: no weights to load
    server = start_server(create_app(onnx, threads=1))
    try:
        for body, field in (({"from_items": ["m2"]}, "from_items"), ({"similar_to": "m2"}, "similar_to")):
            response = httpx.post(f"{server.url}/recommend", json=body, timeout=30)
            assert response.status_code == 501, response.text
            assert response.json()["message"].startswith(
                f"{field}: {field} reads the model's item weights, which only the PyTorch model holds"
            )
        assert httpx.post(f"{server.url}/recommend", json={"user": 100}, timeout=30).status_code == 200
    finally:
        server.stop()


def test_recommend_refuses_a_body_not_sent_as_json(servers: dict[str, LiveServer]) -> None:
    response = httpx.post(f"{servers['onnx'].url}/recommend", data={"user": "100"}, timeout=30)
    assert response.status_code == 415
    assert response.json()["message"].startswith(
        "body: content type 'application/x-www-form-urlencoded' is not accepted; send application/json"
    )


def test_an_ease_model_is_served_by_pytorch(tmp_path: Path) -> None:
    out = tmp_path / "ease"
    interactions = ratings()[["user", "movie"]]
    trainwell.fit_ratings(interactions, out=out, arch="ease", implicit=True, progress=False)
    server = start_server(create_app(out, threads=1))
    predictor = trainwell.load(out)
    try:
        for user in (100, 99999):
            answer = httpx.post(f"{server.url}/recommend", json={"user": user, "k": 3}, timeout=30)
            assert answer.status_code == 200, answer.text
            expected = predictor.recommend(user, k=3)
            assert [entry["item"] for entry in answer.json()["items"]] == expected["movie"].tolist()
            # EASE keeps each user's training items: they are left out unless asked for.
            chose = set(seen_in_training(predictor, user))
            assert answer.json()["seen_left_out"] == len(chose) and (user == 99999) is (not chose)
            assert not chose & {entry["item"] for entry in answer.json()["items"]}
        body = {"user": 100, "k": 3, "include_seen": True}
        kept = httpx.post(f"{server.url}/recommend", json=body, timeout=30).json()
        expected = predictor.recommend(100, k=3, include_seen=True)
        assert [entry["item"] for entry in kept["items"]] == expected["movie"].tolist()
        assert kept["seen_left_out"] == 0
        scored = httpx.post(f"{server.url}/predict", json={"rows": ROWS}, timeout=30)
        assert scored.status_code == 200, scored.text
    finally:
        server.stop()


def test_an_ease_model_on_the_onnx_backend_ranks_baskets_and_neighbours_as_pytorch(tmp_path: Path) -> None:
    # `trainwell serve` picks onnx for a checked model.onnx; from_items was then refused, though EASE has an
    # exact answer for a basket (README) and the PyTorch backend gave it.
    out = tmp_path / "ease"
    trainwell.fit_ratings(ratings()[["user", "movie"]], out=out, arch="ease", implicit=True, progress=False)
    export_onnx(out)
    server = start_server(create_app(out, threads=1, backend="onnx"))
    predictor = trainwell.load(out)
    try:
        assert server.app.state.backend == "onnx"
        basket = {"from_items": ["m2", "m5", "m7"], "k": 5}
        answer = httpx.post(f"{server.url}/recommend", json=basket, timeout=30)
        assert answer.status_code == 200, answer.text
        expected = predictor.recommend_from_items(["m2", "m5", "m7"], k=5)
        assert [entry["item"] for entry in answer.json()["items"]] == expected["movie"].tolist()
        np.testing.assert_allclose(
            [entry["score"] for entry in answer.json()["items"]], expected["score"], rtol=1e-6, atol=1e-7
        )
        neighbours = httpx.post(f"{server.url}/recommend", json={"similar_to": "m2", "k": 3}, timeout=30)
        assert neighbours.status_code == 200, neighbours.text
        expected = predictor.similar_items("m2", k=3)
        assert [entry["item"] for entry in neighbours.json()["items"]] == expected["movie"].tolist()
    finally:
        server.stop()


def test_recommend_names_the_items_when_the_model_keeps_their_names(tmp_path: Path) -> None:
    # `trainwell recommend` printed MovieLens' titles, kept by fit; POST /recommend answered bare item ids.
    from fastapi.testclient import TestClient

    names = {f"m{i}": f"Film {i}" for i in range(20)}
    out = tmp_path / "named"
    trainwell.fit_ratings(ratings(), out=out, epochs=1, seed=0, progress=False, item_names=names)
    client = TestClient(create_app(out, threads=1))
    for body, key in (({"user": 100, "k": 3}, "score"), ({"similar_to": "m1", "k": 3}, "similarity"),
                      ({"from_items": ["m1", "m2"], "k": 3}, "similarity")):  # fmt: skip
        items = client.post("/recommend", json=body).json()["items"]
        assert len(items) == 3 and all(
            item["name"] == names[item["item"]] and key in item for item in items
        ), items
