"""A bag-of-words classifier reads every word of a long text, and says so: a 20,000-word request was answered in
predict and by ``trainwell serve`` without a word, by a model that had learned from texts of a few dozen (a
sequence model cuts at --max-len, 1,440 tokens by default, and says it). Now a prediction notes a text of more
than twice the tokens of the longest training text, the model keeps that length, /metadata says how much of a
text the model reads, and the server caps a request's size at its body limit (413 naming it and the option)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_support import LiveServer, start_server

from text_samples import reviews
from trainwell.core.warn import Note
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve.config import BODY_BYTES
from trainwell.text import fit_texts

#: 20,000 words of filler, then the word that decides: a model that read only the first 1,440 would not see it.
FILLER = " ".join(["the movie was and the plot"] * 3_333) + " the"


@pytest.fixture(scope="module")
def bag_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bag") / "model"
    fit_texts(reviews(200, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    return out


@pytest.fixture(scope="module")
def live_bag(bag_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(bag_dir, threads=1, backend="torch"))  # the default body limit
    yield server
    server.stop()


def test_a_long_text_is_read_whole_and_said_to_be_far_longer_than_training(bag_dir: Path) -> None:
    recipe = json.loads((bag_dir / "trainwell.json").read_text())["recipe"]
    assert recipe["max_len"] is None and recipe["batch_format"] == "bag"
    longest = recipe["extra"]["longest_trained_tokens"]
    assert longest == 8  # the start token, six filler words and the sentiment word
    predictor = load(bag_dir)
    good, bad = f"{FILLER} great", f"{FILLER} awful"
    assert len(good.split()) == 20_000  # and the start token
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answers = predictor.predict(["a great film", good, bad])
        short = predictor.predict(
            ["the plot was awful and the movie was great too"]
        )  # 11 tokens: not twice 8
    notes = [str(w.message) for w in caught if issubclass(w.category, Note)]
    assert list(answers["prediction"]) == ["pos", "pos", "neg"]  # the last word of 20,000 read
    assert len(short) == 1 and len(notes) == 1, notes
    assert notes[0].startswith(
        f"2 of 3 texts have more than twice the {longest} tokens of the longest text the model was trained on "
        "(the longest here 20,001): it reads every token of each (a bag of words)"
    )


def test_the_server_reads_a_long_text_whole_and_caps_the_request_at_its_body_limit(
    live_bag: LiveServer,
) -> None:
    metadata = httpx.get(f"{live_bag.url}/metadata", timeout=60).json()
    assert metadata["text"]["max_len"] is None and metadata["text"]["longest_trained_tokens"] == 8
    assert metadata["text"]["reads"].startswith("every token of a text (a bag of words)")
    assert "--max-body-bytes" in metadata["text"]["reads"]
    assert metadata["limits"]["max_body_bytes"] == BODY_BYTES
    answered = httpx.post(f"{live_bag.url}/predict", json={"texts": [f"{FILLER} awful"]}, timeout=60)
    assert answered.status_code == 200, answered.text
    assert answered.json()["predictions"][0]["prediction"] == "neg"
    # One text over the limit: refused before it is read, naming the limit and the option that raises it.
    too_long = " ".join(["the movie was and the plot"] * 40_000)
    assert len(json.dumps({"texts": [too_long]})) > BODY_BYTES
    refused = httpx.post(f"{live_bag.url}/predict", json={"texts": [too_long]}, timeout=60)
    assert refused.status_code == 413, refused.text
    problem = refused.json()["detail"][0]
    assert problem["type"] == "body_too_large"
    assert (
        f"over the limit of {BODY_BYTES:,} bytes" in problem["msg"] and "--max-body-bytes" in problem["msg"]
    )


def test_info_says_a_bag_reads_every_token_and_its_longest_training_text(bag_dir: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    shown = CliRunner().invoke(app, ["info", str(bag_dir)], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert (
        "every token of a text (a bag of words, never cut; its longest training text 8 tokens)"
        in shown.output
    )
