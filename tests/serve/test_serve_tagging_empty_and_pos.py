"""A tag server's answers as the CLI's and Python's (tour54 F7, F8, F12), on real loopback HTTP: an empty text is
answered with no words and a note (it refused the whole request, 422), a part-of-speech tagger answers no
``entities`` (it sent ``[]`` on every answer), ``<br />`` is no word, and a long text is noted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import LiveServer, start_server

from tagging_samples import entity_sentences, pos_sentences
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.text import fit_tagger

pytestmark = pytest.mark.filterwarnings("ignore:.*most-frequent-tag baseline")

LIMITS: dict[str, Any] = {"max_rows": 5, "max_body_bytes": 200_000, "batch_wait_ms": 20.0}
SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


def _fitted(out: Path, train: Any, valid: Any) -> Path:
    fit_tagger(train, valid=valid, out=out, epochs=2, lr=2e-2, progress=False, arch_config=SMALL)
    return out


@pytest.fixture(scope="module")
def ner_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ner") / "model"
    return _fitted(out, entity_sentences(120, seed=1), entity_sentences(20, seed=2))


@pytest.fixture(scope="module")
def pos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pos") / "model"
    return _fitted(out, pos_sentences(120, seed=1), pos_sentences(20, seed=2))


@pytest.fixture(scope="module")
def live_ner(ner_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(ner_dir, threads=1, **LIMITS))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live_pos(pos_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(pos_dir, threads=1, **LIMITS))
    yield server
    server.stop()


def test_an_empty_text_is_answered_empty_with_a_note(live_ner: LiveServer, ner_dir: Path) -> None:
    texts = ["Mary works for Siemens in New York.", "", "   ", "The weather was fine."]
    response = httpx.post(f"{live_ner.url}/predict", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert len(answers) == 4
    python = [tagged.to_dict() for tagged in load(ner_dir).tag(texts)]  # what Python answers, note aside
    assert [{k: v for k, v in answer.items() if k != "note"} for answer in answers] == python
    for empty in answers[1:3]:
        assert empty["words"] == [] and empty["tags"] == [] and empty["entities"] == []
        assert "empty" in empty["note"]
    assert "note" not in answers[0] and "note" not in answers[3]
    assert len(answers[3]["tags"]) == 5
    # Other bad requests are still refused as a whole.
    for body in ({"texts": []}, {"texts": ["ok", None]}, {"words": [["fine"], []]}):
        assert httpx.post(f"{live_ner.url}/predict", json=body, timeout=60).status_code == 422


def test_a_pos_tagger_answers_no_entities(live_pos: LiveServer, pos_dir: Path) -> None:
    texts = ["The cat sat on the mat.", ""]
    response = httpx.post(f"{live_pos.url}/predict", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert all("entities" not in answer for answer in answers)
    assert answers[1]["words"] == [] and "note" in answers[1]
    tagged = load(pos_dir).tag(texts)
    assert tagged[0].entities is None and "entities" not in tagged[0].to_dict()
    schema = httpx.get(f"{live_pos.url}/openapi.json", timeout=60).json()["components"]["schemas"]
    assert "entities" not in schema["TaggedText"].get("required", [])
    assert "left out when the tags mark none" in schema["TaggedText"]["properties"]["entities"]["description"]


def test_html_breaks_are_no_words_and_a_long_text_is_noted(live_pos: LiveServer) -> None:
    text = "The cat sat.<br /><br />The dog ran."
    answer = httpx.post(f"{live_pos.url}/predict", json={"texts": [text]}, timeout=60).json()["predictions"][
        0
    ]
    assert answer["words"] == ["The", "cat", "sat", ".", "The", "dog", "ran", "."]
    long = " ".join(["the cat sat on the mat ."] * 60)  # 420 words
    answer = httpx.post(f"{live_pos.url}/predict", json={"texts": [long]}, timeout=60).json()["predictions"][
        0
    ]
    assert len(answer["words"]) == 420 and answer["note"].startswith("420 words read as one sentence")
