"""Serving a text classifier on real loopback HTTP: JSON texts in, labels and probabilities out; 4xx naming the text."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from serve_support import LiveServer, fuzz, start_server

from text_samples import reviews
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve.texts import EMPTY_TEXT_NOTE, NON_BLANK_PATTERN
from trainwell.text import fit_texts

LIMITS: dict[str, Any] = {"max_rows": 5, "max_body_bytes": 20_000, "batch_wait_ms": 250.0}


@pytest.fixture(scope="module")
def text_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("served-text") / "model"
    fit_texts(reviews(200, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    return out


@pytest.fixture(scope="module")
def live_text(text_model_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(text_model_dir, threads=1, backend="torch", **LIMITS))
    yield server
    server.stop()


def test_texts_get_the_python_predictors_answers(live_text: LiveServer, text_model_dir: Path) -> None:
    texts = ["a wonderful film with great acting", "awful and boring plot"]
    response = httpx.post(f"{live_text.url}/predict", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    expected = load(text_model_dir).predict(texts)
    assert [a["prediction"] for a in answers] == list(expected["prediction"])
    for answer, probability in zip(answers, expected["probability_pos"], strict=True):
        assert abs(answer["probabilities"]["pos"] - probability) < 1e-6
    metadata = httpx.get(f"{live_text.url}/metadata", timeout=60).json()
    assert metadata["application"] == "text" and metadata["text"]["column"] == "review"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"texts": ["\x85", "   "]}, ["texts"]),  # every text blank: nothing to score
        ({"texts": ["\x1f\x1c"]}, ["texts"]),  # whitespace to Python's str.isspace, as to the predictor
        ({"texts": []}, ["texts"]),
        ({"texts": ["ok", 3]}, ["texts", 1]),
        ({"texts": ["a"] * 6}, ["texts"]),
        ({"texts": ["fine"], "extra": 1}, ["extra"]),
        ({"text": ["fine"]}, ["text"]),
        ({"rows": [{"review": ""}, {"review": " "}]}, ["body"]),
        ({"rows": [{"text": "fine"}]}, ["body"]),  # not the column the model reads
        ({"texts": ["fine"], "rows": [{"review": "fine"}]}, ["body"]),
    ],
)
def test_bad_requests_are_422_naming_the_text(live_text: LiveServer, body: Any, where: list[Any]) -> None:
    response = httpx.post(f"{live_text.url}/predict", json=body, timeout=60)
    assert response.status_code == 422, response.text
    assert where in [problem["loc"] for problem in response.json()["detail"]]


def test_oversized_body_is_413(live_text: LiveServer) -> None:
    response = httpx.post(f"{live_text.url}/predict", json={"texts": ["word " * 5000]}, timeout=60)
    assert response.status_code == 413
    # The body every other error has (it was {"message": ..., "detail": []}), and words for texts too.
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["body"] and problem["type"] == "body_too_large"
    assert (
        "send fewer texts per request, or shorter ones (or start the server with a larger --max-body-bytes)"
        in problem["msg"]
    )


def test_a_compressed_body_is_415_naming_the_encoding(live_text: LiveServer) -> None:
    # A gzipped body was read as the JSON itself: "invalid JSON: not UTF-8 text (invalid start byte at byte 1)".
    import gzip
    import json

    body = gzip.compress(json.dumps({"texts": ["fine"]}).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = httpx.post(f"{live_text.url}/predict", content=body, headers=headers, timeout=60)
    assert response.status_code == 415
    assert (
        response.json()["message"]
        == "body: Content-Encoding 'gzip' is not accepted; send the body uncompressed"
    )
    health = httpx.get(f"{live_text.url}/health", timeout=60)  # the connection's end did not harm the server
    assert health.status_code == 200


def test_concurrent_requests_share_model_calls(live_text: LiveServer) -> None:
    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=live_text.url, timeout=60) as client:
            requests = [client.post("/predict", json={"texts": [f"great film {i}"]}) for i in range(12)]
            return [r.status_code for r in await asyncio.gather(*requests)]

    stats = live_text.app.state.batch_stats
    calls_before = stats.calls
    assert asyncio.run(main()) == [200] * 12
    assert stats.calls - calls_before < 12


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_fuzz_finds_no_server_error(text_model_dir: Path, mode: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(text_model_dir, threads=1, **LIMITS))
    fuzz(schema, mode, max_examples=40)


def test_the_onnx_backend_serves_texts_too(text_model_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="the onnx backend needs the onnx extra")
    import shutil

    from trainwell.export.onnx import export_onnx

    copy = tmp_path / "model"
    shutil.copytree(text_model_dir, copy)
    export_onnx(copy)
    server = start_server(create_app(copy, threads=1, backend="onnx", **LIMITS))
    try:
        texts = ["a wonderful film", "boring plot", "the story"]
        answers = httpx.post(f"{server.url}/predict", json={"texts": texts}, timeout=60).json()["predictions"]
    finally:
        server.stop()
    assert server.app.state.backend == "onnx"
    expected = load(text_model_dir).predict(texts)
    for answer, probability in zip(answers, expected["probability_pos"], strict=True):
        assert abs(answer["probabilities"]["pos"] - probability) < 1e-4


def test_a_missing_texts_field_is_not_told_to_send_null(live_text: LiveServer) -> None:
    response = httpx.post(f"{live_text.url}/predict", json={"text": ["fine"]}, timeout=60)
    message = response.json()["message"]
    assert message.startswith("text: Extra inputs are not permitted") and "send null" not in message
    neither = httpx.post(f"{live_text.url}/predict", json={}, timeout=60).json()["message"]
    assert 'send the texts as {"texts": [...]} or as rows holding the column review' in neither


def test_rows_as_a_table_model_takes_them_are_read_by_their_text_column(
    live_text: LiveServer, text_model_dir: Path
) -> None:
    # {"rows": [...]}, the README's body for /predict and what `trainwell predict` reads from a table, was
    # refused by a text model ("texts: Field required; rows: Extra inputs are not permitted").
    # The target is accepted and ignored, as a table model takes it (another key is refused: test_d1_request_cells)
    rows = [
        {"review": "a wonderful film with great acting", "sentiment": "pos"},
        {"review": "awful and boring plot"},
    ]
    response = httpx.post(f"{live_text.url}/predict", json={"rows": rows}, timeout=60)
    assert response.status_code == 200, response.text
    texts = httpx.post(
        f"{live_text.url}/predict", json={"texts": [row["review"] for row in rows]}, timeout=60
    )
    assert response.json() == texts.json()
    missing = httpx.post(f"{live_text.url}/predict", json={"rows": [{"text": "fine"}]}, timeout=60)
    assert missing.json()["message"] == (
        "body: rows.0 has no text in column 'review': the model reads review (other keys are refused but for "
        "sentiment, accepted and ignored)"
    )


def test_an_empty_text_gets_a_note_and_the_others_are_scored(
    live_text: LiveServer, text_model_dir: Path
) -> None:
    # One empty text refused the whole batch (422 "none of its texts was scored"), while the tagger's server
    # answers it with a note and `trainwell predict` skips a blank line: now a classifier answers it with a note
    # and no prediction, and scores the others as the Python predictor does.
    texts = ["a wonderful film", "", "awful and boring plot", "  \x1f"]
    response = httpx.post(f"{live_text.url}/predict", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    noted = {"prediction": None, "probabilities": None, "note": EMPTY_TEXT_NOTE}
    assert [answers[1], answers[3]] == [noted, noted]
    expected = load(text_model_dir).predict([texts[0], texts[2]])
    assert [answers[0]["prediction"], answers[2]["prediction"]] == list(expected["prediction"])
    for answer, probability in zip([answers[0], answers[2]], expected["probability_pos"], strict=True):
        assert abs(answer["probabilities"]["pos"] - probability) < 1e-6 and "note" not in answer
    # The same of a text sent in a row.
    rows = httpx.post(
        f"{live_text.url}/predict", json={"rows": [{"review": texts[0]}, {"review": ""}]}, timeout=60
    )
    assert rows.status_code == 200, rows.text
    assert rows.json()["predictions"] == [answers[0], noted]
    # Only a request of blank texts alone is refused: it holds nothing to classify.
    blank = httpx.post(f"{live_text.url}/predict", json={"texts": ["", " "]}, timeout=60)
    assert blank.status_code == 422, blank.text
    assert [(p["field"], p["type"]) for p in blank.json()["detail"]] == [("texts", "texts_all_empty")]
    assert blank.json()["message"] == (
        "texts: every text is empty or only spaces (2 in all): the request holds nothing to classify; "
        "send at least one text with words in it"
    )
    # The API says so where a client reads it: the answer's note and null prediction, the request's "contains".
    document = httpx.get(f"{live_text.url}/openapi.json", timeout=60).json()
    operation = document["paths"]["/predict"]["post"]
    assert "texts_all_empty" in operation["responses"]["422"]["description"]
    prediction = document["components"]["schemas"]["Prediction"]
    assert "note" in prediction["properties"]
    assert {"type": "null"} in prediction["properties"]["prediction"]["anyOf"]
    request = document["components"]["schemas"][
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    ]
    assert request["properties"]["texts"]["contains"]["pattern"] == NON_BLANK_PATTERN


def test_a_form_body_is_415_naming_the_json_type(live_text: LiveServer) -> None:
    response = httpx.post(f"{live_text.url}/predict", data={"texts": "a wonderful film"}, timeout=60)
    assert response.status_code == 415
    assert response.json()["message"] == (
        "body: content type 'application/x-www-form-urlencoded' is not accepted; send application/json "
        "(curl: -H 'Content-Type: application/json')"
    )
    metadata = httpx.get(f"{live_text.url}/metadata", timeout=60).json()
    assert (
        metadata["task"]["kind"] == "binary" and metadata["task"]["threshold"] == 0.5
    )  # kept where it decides


def test_a_field_the_request_has_not_is_named_as_such(live_text: LiveServer) -> None:
    # {"rows": ...} sent to a text model was told "(not an input of this model (GET /metadata lists the
    # inputs))": brackets in brackets, and "rows" is no model input but a field the body does not take.
    response = httpx.post(
        f"{live_text.url}/predict", json={"texts": ["fine"], "images": [{"a": 1}]}, timeout=60
    )
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert (
        message
        == "images: Extra inputs are not permitted (not a field of this request: GET /docs shows the body)"
    )


def test_every_answer_carries_a_request_id(live_text: LiveServer) -> None:
    # A production server's answers name the request, so a client's logs and the server's can be joined.
    given = httpx.post(
        f"{live_text.url}/predict", json={"texts": ["fine"]}, headers={"X-Request-ID": "abc-123"}, timeout=60
    )
    assert given.headers["x-request-id"] == "abc-123"
    made = httpx.get(f"{live_text.url}/health", timeout=60).headers["x-request-id"]
    assert (
        len(made) == 32 and made != httpx.get(f"{live_text.url}/health", timeout=60).headers["x-request-id"]
    )
    refused = httpx.post(f"{live_text.url}/predict", json={"texts": ["word " * 5000]}, timeout=60)
    assert refused.status_code == 413 and len(refused.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # pydantic's words were "Input should be a valid dictionary or object to extract fields from"
        (
            ["a fine film"],
            'body: must be a JSON object such as {"texts": ["...", ...]} or {"rows": [{"input": value, ...}, ...]}, '
            "not a list (GET /docs shows the body)",
        ),
        (
            {"texts": "a fine film"},
            'texts: must be a list of texts such as ["...", ...], not text (one text: wrap it in [ ])',
        ),
        ({"texts": ["fine", 3]}, "texts.1: each text must be a JSON string, not a number"),
    ],
)
def test_a_body_of_another_shape_is_told_the_shape_a_text_model_reads(
    live_text: LiveServer, body: Any, message: str
) -> None:
    response = httpx.post(f"{live_text.url}/predict", json=body, timeout=60)
    assert response.status_code == 422
    assert response.json()["message"] == message
