"""A served PTB-style language model describes unknown words with its own token, over real HTTP on loopback:
its schema said "words outside the vocabulary" (no token named) and /score counted the corpus's own <unk> in
``unknown``; /generate, /score, /metadata, /openapi.json and /docs now say what generate and predict say."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from serve_support import LIMITS, LiveServer, start_server

from text_samples import stories
from trainwell.serve import create_app
from trainwell.text.lm_pipeline import fit_language_model


def _ptb_like(texts: list[str]) -> list[str]:
    """PTB's style: every word of the form name<digit> replaced by the corpus itself with <unk>."""
    return [re.sub(r"\bname\d+\b", "<unk>", text) for text in texts]


@pytest.fixture(scope="module")
def live_ptb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    out = tmp_path_factory.mktemp("serve_lm_unknown") / "ptb"
    fit_language_model(_ptb_like(stories(120)), valid=_ptb_like(stories(30, seed=7)), out=out, epochs=1,
                       progress=False, batch_size=8, bptt=12, tune_cache=False,
                       learner_kwargs={"emb_size": 8, "hidden_size": 12, "n_layers": 1})  # fmt: skip
    server = start_server(create_app(out, **LIMITS))
    yield server
    server.stop()


def test_score_counts_the_users_unknown_words_not_the_corpus_marker(live_ptb: LiveServer) -> None:
    texts = ["the <unk> saw the cat .", "the zzqx saw the <unk> .", "the cat saw the qqxz with the zzqx ."]
    response = httpx.post(f"{live_ptb.url}/score", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    assert [score["unknown"] for score in response.json()["scores"]] == [0, 1, 2]  # it said [1, 2, 2]


def test_generate_names_only_the_words_the_model_does_not_know(live_ptb: LiveServer) -> None:
    body = {"prompt": "the <unk> saw zzqx", "n_words": 3, "seed": 0}
    response = httpx.post(f"{live_ptb.url}/generate", json=body, timeout=60)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["unknown_words"] == ["zzqx"] and answer["text"].startswith("the <unk> saw zzqx")
    assert "xxunk" not in answer["text"]


def test_metadata_names_the_unknown_token_and_the_corpus_marker(live_ptb: LiveServer) -> None:
    text = httpx.get(f"{live_ptb.url}/metadata", timeout=60).json()["text"]
    assert (text["tokenizer"], text["unknown_token"], text["unknown_marker"]) == (
        "whitespace",
        "<unk>",
        "<unk>",
    )


def test_the_schema_and_docs_page_describe_unknown_words_with_the_models_token(live_ptb: LiveServer) -> None:
    schema = httpx.get(f"{live_ptb.url}/openapi.json", timeout=60).json()
    fields = schema["components"]["schemas"]
    assert fields["GenerateResponse"]["properties"]["unknown_words"]["description"] == (
        "The prompt's words not in the model's vocabulary: it reads them as the unknown-word token <unk>, so the "
        "continuation cannot follow them; each once, in the prompt's order. The corpus's own <unk> written in the "
        "prompt (its token for the words it replaced) is a token of the model's vocabulary, not one of them."
    )
    assert fields["TextScore"]["properties"]["unknown"]["description"] == (
        "Of those, words not in the model's vocabulary: it reads them as the unknown-word token <unk>. The "
        "corpus's own <unk> written in a text (its token for the words it replaced) is a token of the model's "
        "vocabulary, not counted here."
    )
    page = html.unescape(httpx.get(f"{live_ptb.url}/docs", timeout=60).text)
    assert (
        "Words not in the model's vocabulary: it reads them as the unknown-word token <unk>; /generate names the "
        "prompt's (unknown_words) and /score counts each text's (unknown). The corpus's own <unk> written in a "
        "prompt or text (its token for the words it replaced) is a token of the model's vocabulary, not an "
        "unknown word."
    ) in page
    said = str(schema) + page
    assert "outside the vocabulary" not in said and "xxunk" not in said
