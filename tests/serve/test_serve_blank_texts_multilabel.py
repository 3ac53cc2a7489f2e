"""A multi-label text model's server answers a blank text with a note and no labels, even when its request asks
``at_least_one``: the likeliest label is given to scored texts with none over their threshold, never to a text
that was not scored (its null prediction is not an empty list of labels)."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import torch
from serve_support import LIMITS, start_server

from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve.texts import EMPTY_TEXT_NOTE
from trainwell.text import fit_texts

WORDS = {"red": "warm", "orange": "warm", "blue": "cold", "ice": "cold"}


def colours(n: int, seed: int) -> pd.DataFrame:
    """Texts of colour words and filler; a text's labels are those of its colour words (none for some)."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        words = list(rng.choice([*WORDS, "the", "a", "plain", "thing", "grey"], size=5))
        texts.append(" ".join(words))
        labels.append("|".join(sorted({WORDS[word] for word in words if word in WORDS})))
    return pd.DataFrame({"text": texts, "labels": labels})


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("served-colours") / "model"
    torch.manual_seed(0)
    fit_texts(colours(300, 0), "labels", text_col="text", out=out, label_delim="|", epochs=2, progress=False)
    return out


def test_a_blank_text_gets_a_note_not_the_likeliest_label(model_dir: Path) -> None:
    texts = ["grey plain thing", "", "red ice thing", " "]
    expected = load(model_dir).predict([texts[0], texts[2]], at_least_one=True)["prediction"].tolist()
    server = start_server(create_app(model_dir, threads=1, backend="torch", **LIMITS))
    try:
        response = httpx.post(
            f"{server.url}/predict", json={"texts": texts, "at_least_one": True}, timeout=60
        )
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    noted = {"prediction": None, "probabilities": None, "note": EMPTY_TEXT_NOTE}
    assert [answers[1], answers[3]] == [noted, noted]
    # The scored texts get predict(at_least_one=True)'s labels (joined there by the delimiter).
    got = ["|".join(answer["prediction"]) for answer in (answers[0], answers[2])]
    assert got == expected and all(got)
