"""Serving a tagger on real loopback HTTP: texts in, words, tags and entities with character offsets out."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from serve_support import LiveServer, fuzz, start_server

from tagging_samples import entity_sentences
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.text import fit_tagger

LIMITS: dict[str, Any] = {"max_rows": 5, "max_body_bytes": 20_000, "batch_wait_ms": 50.0}
SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("served-tagger") / "model"
    fit_tagger(
        entity_sentences(300, seed=1),
        valid=entity_sentences(40, seed=2),
        out=out,
        epochs=6,
        lr=2e-2,
        progress=False,
        arch_config=SMALL,
    )
    return out


@pytest.fixture(scope="module")
def live_tagger(tagger_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(tagger_dir, threads=1, **LIMITS))
    yield server
    server.stop()


def test_texts_get_the_python_predictors_entities(live_tagger: LiveServer, tagger_dir: Path) -> None:
    texts = ["Mary works for Siemens in New York.", "The weather was fine."]
    response = httpx.post(f"{live_tagger.url}/predict", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert answers == [tagged.to_dict() for tagged in load(tagger_dir).tag(texts)]
    people = [e for e in answers[0]["entities"] if e["type"] == "PER"]
    confidence = people[0].pop("confidence")
    assert people == [{"type": "PER", "text": "Mary", "start": 0, "end": 1, "char_start": 0, "char_end": 4}]
    assert confidence == answers[0]["confidences"][0] and 0.5 < confidence <= 1.0
    assert answers[1]["tags"][1:] == ["O", "O", "O", "O"]
    metadata = httpx.get(f"{live_tagger.url}/metadata", timeout=60).json()
    assert metadata["task"]["kind"] == "tagging" and metadata["task"]["scheme"] == "iob2"
    assert metadata["backend"] == "torch"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"texts": []}, ["texts"]),
        ({"texts": ["ok", 3]}, ["texts", 1]),
        ({"texts": ["a"] * 6}, ["texts"]),
        ({"rows": [{"a": 1}]}, ["rows"]),
        ({}, ["body"]),
        ({"texts": ["a b"], "words": [["a", "b"]]}, ["body"]),
        ({"words": [["fine", "two words"]]}, ["words", 0, 1]),
        ({"words": [["fine"], []]}, ["words", 1]),
        ({"words": ["not split"]}, ["words", 0]),
    ],
)
def test_bad_requests_are_422_naming_the_text(live_tagger: LiveServer, body: Any, where: list[Any]) -> None:
    response = httpx.post(f"{live_tagger.url}/predict", json=body, timeout=60)
    assert response.status_code == 422, response.text
    assert where in [problem["loc"] for problem in response.json()["detail"]]


def test_sentences_sent_as_words_are_tagged_word_for_word(live_tagger: LiveServer, tagger_dir: Path) -> None:
    # A CoNLL user's words: re-tokenising the text would split "1." into "1" and "." and misalign the tags.
    words = [
        ["1.", "Mary", "works", "for", "Siemens", "in", "New", "York", "."],
        ["The", "weather", "was", "fine"],
    ]
    text = " ".join(words[0])
    response = httpx.post(f"{live_tagger.url}/predict", json={"words": words}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert answers == [tagged.to_dict() for tagged in load(tagger_dir).tag(words)]
    assert [answer["words"] for answer in answers] == words
    assert [len(answer["tags"]) for answer in answers] == [9, 4]
    assert load(tagger_dir).tag([text])[0].words[:2] == ["1", "."]  # what sending the text gives
    entities = {(e["type"], e["text"], e["start"], e["end"]) for e in answers[0]["entities"]}
    assert ("PER", "Mary", 1, 2) in entities and ("LOC", "New York", 6, 8) in entities
    assert {(e["char_start"], e["char_end"]) for e in answers[0]["entities"]} == {(None, None)}


def test_the_schema_and_metadata_offer_words(live_tagger: LiveServer) -> None:
    schema = httpx.get(f"{live_tagger.url}/openapi.json", timeout=60).json()
    request = schema["components"]["schemas"]["TaggingRequest"]["properties"]
    assert set(request) == {"texts", "words"} and "no character offsets" in request["words"]["description"]
    entity = schema["components"]["schemas"]["Entity"]["properties"]
    assert "null when words were sent" in entity["char_start"]["description"]
    metadata = httpx.get(f"{live_tagger.url}/metadata", timeout=60).json()
    assert metadata["request_format"] == '{"texts": ["...", ...]} or {"words": [["...", ...], ...]}'
    assert "threshold" not in metadata["task"]
    page = html.unescape(httpx.get(f"{live_tagger.url}/docs", timeout=60).text)
    # The example names the server's own address, so that it runs as copied (it said HOST:PORT).
    example = re.search(rf"curl -X POST {re.escape(live_tagger.url)}/predict .* -d '(.*)'", page)
    assert example is not None and json.loads(example.group(1)) == {
        "texts": ["Mary works for Siemens in New York."]
    }


def test_a_body_not_sent_as_json_is_415(live_tagger: LiveServer) -> None:
    response = httpx.post(f"{live_tagger.url}/predict", content=b'{"texts": ["Tom"]}', timeout=60)
    assert response.status_code == 415
    assert response.json()["message"] == (
        "body: the request has no Content-Type; send application/json (curl: -H 'Content-Type: application/json')"
    )


def test_fuzz_finds_no_server_error(tagger_dir: Path) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(tagger_dir, threads=1, **LIMITS))
    fuzz(schema, schemathesis.GenerationMode.POSITIVE, max_examples=30)


def test_the_onnx_backend_serves_a_tagger_with_the_same_answers(tagger_dir: Path) -> None:
    pytest.importorskip(
        "onnxruntime", reason="ONNX export is an optional extra: pip install 'trainwell[onnx]'"
    )
    from trainwell.export.onnx import export_onnx

    export_onnx(tagger_dir)
    texts = ["Tom lives in Oslo.", "Acme Corp hired Mary last year."]
    answers = {}
    for backend in ("torch", "onnx"):
        server = start_server(create_app(tagger_dir, threads=1, backend=backend))
        try:
            assert httpx.get(f"{server.url}/metadata", timeout=60).json()["backend"] == backend
            answers[backend] = httpx.post(f"{server.url}/predict", json={"texts": texts}, timeout=60).json()
        finally:
            server.stop()
    for onnx, torch_answer in zip(
        answers["onnx"]["predictions"], answers["torch"]["predictions"], strict=True
    ):
        assert onnx["confidences"] == pytest.approx(torch_answer["confidences"], abs=1e-5)
        for answer in (onnx, torch_answer):
            answer.pop("confidences")
            for entity in answer["entities"]:
                entity.pop("confidence")
    assert answers["onnx"] == answers["torch"]
