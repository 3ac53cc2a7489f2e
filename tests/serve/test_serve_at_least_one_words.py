"""The server refuses ``at_least_one`` for a model that is not multi-label in the words its predictor refuses it
in (trainwell.data.at_least_one.refusal_for): a tagger served with ``--at-least-one``, or asked it in a request,
said 'this tagging model gives every row one answer already', where ``predict`` says what a tagger answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_support import LIMITS

import trainwell
from tagging_samples import export_small_tagger
from trainwell.core.errors import ConfigError
from trainwell.serve import create_app

TAGGER_WORDS = "this tagger predicts one tag for each word, not labels for a text: drop it"


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_small_tagger(tmp_path_factory.mktemp("tagger"))


def test_serving_a_tagger_with_at_least_one_is_refused_in_its_predictors_words(tagger: Path) -> None:
    with pytest.raises(ConfigError) as predicted:
        trainwell.load(tagger).predict(["Mary works here ."], at_least_one=True)
    with pytest.raises(ConfigError) as served:
        create_app(tagger, at_least_one=True, threads=1, **LIMITS)
    assert str(predicted.value) == f"at_least_one= is for multi-label models; {TAGGER_WORDS}"
    assert str(served.value) == f"at_least_one (--at-least-one) is for multi-label models; {TAGGER_WORDS}"


def test_a_request_asking_a_tagger_for_at_least_one_gets_the_same_words(tagger: Path) -> None:
    with TestClient(create_app(tagger, threads=1, **LIMITS)) as client:
        refused = client.post("/predict", json={"texts": ["Mary works here ."], "at_least_one": True})
        asked_nothing = client.post("/predict", json={"texts": ["Mary works here ."], "at_least_one": False})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["msg"] == f"at_least_one is for multi-label models; {TAGGER_WORDS}"
    assert asked_nothing.status_code == 200, asked_nothing.text
