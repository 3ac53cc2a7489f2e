"""Serving a language model over real HTTP on loopback: /generate continues a prompt, /score says how likely
the model finds each text, concurrent requests take turns on the model's hidden state."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import LIMITS, LiveServer, start_server

from text_samples import stories
from trainwell.serve import create_app
from trainwell.text.lm_learner import fit_language_model
from trainwell.text.lm_predictor import load_lm


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serve_lm") / "lm"
    fit_language_model(stories(200), valid=stories(40, seed=7), out=out, epochs=1, progress=False, batch_size=8,
                       bptt=12, min_freq=1, learner_kwargs={"emb_size": 16, "hidden_size": 24, "n_layers": 1})  # fmt: skip
    return out


@pytest.fixture(scope="module")
def live_lm(lm_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(lm_dir, **LIMITS))
    yield server
    server.stop()


def test_generate_continues_the_prompt_as_the_library_does(live_lm: LiveServer, lm_dir: Path) -> None:
    body = {"prompt": "name3 saw the", "n_words": 8, "seed": 1, "top_k": 5}
    response = httpx.post(f"{live_lm.url}/generate", json=body, timeout=60)
    assert response.status_code == 200, response.text
    expected = load_lm(lm_dir).generate("name3 saw the", 8, top_k=5, seed=1)
    assert response.json() == {"text": expected, "unknown_words": []} and expected.startswith("name3 saw the")
    nucleus = httpx.post(f"{live_lm.url}/generate", json={**body, "top_p": 0.9}, timeout=60)
    assert nucleus.json()["text"] == load_lm(lm_dir).generate("name3 saw the", 8, top_k=5, top_p=0.9, seed=1)


def test_generate_names_the_prompts_words_outside_the_vocabulary(live_lm: LiveServer) -> None:
    body = {"prompt": "xyzzy name3 quantum xyzzy", "n_words": 4, "seed": 1}
    response = httpx.post(f"{live_lm.url}/generate", json=body, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["unknown_words"] == ["xyzzy", "quantum"]  # each once, in the prompt's order


def test_score_answers_each_text_in_order(live_lm: LiveServer, lm_dir: Path) -> None:
    texts = ["name1 saw the cat .", "cat the saw . name1", "zebra"]
    response = httpx.post(f"{live_lm.url}/score", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    scores = response.json()["scores"]
    local = load_lm(lm_dir).score_texts(texts)
    assert [s["log_prob"] for s in scores] == pytest.approx(local["log_prob"].tolist(), rel=1e-5)
    assert scores[0]["log_prob"] > scores[1]["log_prob"]  # the grammatical order is likelier
    assert scores[2]["unknown"] >= 1


def test_a_blank_text_is_scored_as_nothing_with_a_note(live_lm: LiveServer) -> None:
    # One policy for every model of texts: a blank text refused the whole /score request (422 text_empty), as a
    # classifier's /predict did; now it gets 0 tokens and a note, and the others are scored as when sent alone.
    texts = ["name1 saw the cat .", "", "zebra", " \x1f"]
    response = httpx.post(f"{live_lm.url}/score", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    scores = response.json()["scores"]
    alone = httpx.post(f"{live_lm.url}/score", json={"texts": [texts[0], texts[2]]}, timeout=60).json()[
        "scores"
    ]
    assert [scores[0], scores[2]] == alone
    empty = {
        "tokens": 0,
        "unknown": 0,
        "log_prob": 0.0,
        "perplexity": None,
        "note": "the text is empty or only spaces: nothing to score",
    }
    assert [scores[1], scores[3]] == [empty, empty]
    refused = httpx.post(f"{live_lm.url}/score", json={"texts": ["", " "]}, timeout=60)
    assert refused.json()["message"] == (
        "texts: every text is empty or only spaces (2 in all): the request holds nothing to score; send at least "
        "one text with words in it"
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/generate", {"prompt": "   "}, "prompt"),
        ("/generate", {"prompt": "the", "n_words": 0}, "n_words"),
        ("/generate", {"prompt": "the", "temperature": -1}, "temperature"),
        ("/generate", {"prompt": "the", "colour": "red"}, "colour"),
        ("/generate", {"prompt": "the", "top_p": 0}, "top_p"),
        ("/score", {"texts": []}, "texts"),
        ("/score", {"texts": ["", " "]}, "texts"),  # blank texts alone: nothing to score
    ],
)
def test_bad_requests_are_422_naming_the_field(live_lm: LiveServer, path: str, body: Any, field: str) -> None:
    response = httpx.post(f"{live_lm.url}{path}", json=body, timeout=60)
    assert response.status_code == 422, response.text
    assert field in response.json()["message"]


def test_predict_is_404_pointing_at_score_and_generate(live_lm: LiveServer) -> None:
    # `trainwell predict lm` exists, so clients try POST /predict: a bare "Not Found" told them nothing.
    response = httpx.post(f"{live_lm.url}/predict", json={"texts": ["the cat"]}, timeout=60)
    assert response.status_code == 404
    assert response.json()["message"] == (
        "POST /predict: a language model has no /predict; POST texts to /score for how likely the model finds "
        'each (what `trainwell predict` gives: {"texts": ["...", ...]}), or a prompt to /generate to continue '
        "it; this server answers GET /health, GET /metadata, POST /generate, POST /score, GET /ready, GET /metrics "
        "(GET /docs "
        "describes "
        "them)"
    )
    other = httpx.get(f"{live_lm.url}/nowhere", timeout=60)
    assert other.status_code == 404 and other.json()["message"].startswith(
        "no endpoint GET /nowhere; this server"
    )


@pytest.mark.parametrize(
    ("path", "body"), [("/generate", b'{"prompt": "the"}'), ("/score", b'{"texts": ["the"]}')]
)
def test_a_body_not_sent_as_json_is_415(live_lm: LiveServer, path: str, body: bytes) -> None:
    response = httpx.post(
        f"{live_lm.url}{path}", content=body, headers={"content-type": "text/plain"}, timeout=60
    )
    assert response.status_code == 415
    assert response.json()["message"] == (
        "body: content type 'text/plain' is not accepted; send application/json "
        "(curl: -H 'Content-Type: application/json')"
    )


def test_metadata_and_concurrent_requests(live_lm: LiveServer) -> None:
    metadata = httpx.get(f"{live_lm.url}/metadata", timeout=60).json()
    assert metadata["task"] == {"kind": "language_model"} and metadata["text"]["vocabulary"] > 40
    assert set(metadata["request_format"]) == {"/generate", "/score"}
    for path in ("/health", "/metadata", "/metrics"):  # probes that send HEAD got 405
        assert httpx.head(f"{live_lm.url}{path}", timeout=60).status_code == 200

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            calls = [
                client.post(
                    f"{live_lm.url}/generate", json={"prompt": "the cat", "n_words": 5, "seed": i % 2}
                )
                for i in range(6)
            ] + [client.post(f"{live_lm.url}/score", json={"texts": ["the cat ran ."] * 3}) for _ in range(4)]
            return await asyncio.gather(*calls)

    responses = asyncio.run(burst())
    assert all(r.status_code == 200 for r in responses)
    texts = [r.json()["text"] for r in responses[:6]]
    # Taking turns on the hidden state: the same seed gives the same text, whatever ran alongside.
    assert texts[0] == texts[2] == texts[4] and texts[1] == texts[3] == texts[5]
    scores = {r.json()["scores"][0]["log_prob"] for r in responses[6:]}
    assert len(scores) == 1


def test_concurrent_scores_share_model_calls_and_answer_as_alone(live_lm: LiveServer, lm_dir: Path) -> None:
    requests = [
        ["name1 saw the cat ."],
        ["the cat ran .", "name2 saw name1 ."],
        ["zebra"],
        ["cat the saw . name1", "the", "name3 ran to the cat and saw it ."],
    ]
    local = load_lm(lm_dir)
    alone = [local.score_texts(texts)["log_prob"].tolist() for texts in requests]
    stats = live_lm.app.state.batch_stats
    calls_before, requests_before = stats.calls, stats.requests

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(
                *(client.post(f"{live_lm.url}/score", json={"texts": texts}) for texts in requests)
            )

    responses = asyncio.run(burst())
    assert all(r.status_code == 200 for r in responses)
    for response, expected in zip(responses, alone, strict=True):
        # Padded beside other requests' texts, each is still read on its own from a fresh state.
        assert [s["log_prob"] for s in response.json()["scores"]] == pytest.approx(expected, rel=1e-5)
    assert stats.requests - requests_before == len(requests)
    assert stats.calls - calls_before < len(requests)  # merged: fewer model calls than requests
    assert stats.largest_batch >= 2


def test_metadata_names_the_model_version_every_answer_carries(live_lm: LiveServer) -> None:
    # A language model's /metadata had no model_version, which every other model's has.
    response = httpx.get(f"{live_lm.url}/metadata", timeout=60)
    versions = response.json()["versions"]
    assert versions["model_version"] == response.headers["x-model-version"]
    assert len(versions["model_sha256"]) == 64 and versions["model_sha256"].startswith(
        versions["model_version"]
    )


def test_metrics_count_the_texts_scored(lm_dir: Path) -> None:
    server = start_server(create_app(lm_dir, **LIMITS))  # its own: the counts are this test's alone
    try:
        scored = httpx.post(f"{server.url}/score", json={"texts": ["the cat", "a dog ."]}, timeout=60)
        scrape = httpx.get(f"{server.url}/metrics", timeout=60).text
    finally:
        server.stop()
    assert scored.status_code == 200
    assert 'trainwell_requests_total{route="/score",method="POST",status="200"} 1' in scrape
    assert 'trainwell_items_predicted_total{route="/score"} 2' in scrape
    assert "trainwell_batch_items_sum 2" in scrape  # /score's batcher
    assert f'model_version="{scored.headers["x-model-version"]}",backend="torch",application="text"' in scrape
