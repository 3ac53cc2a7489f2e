"""A generic Learner's ``tta()`` and ``validate()`` as a user coming from the history's names reads them."""

from __future__ import annotations

import json

import pytest
import torch

import trainwell
from trainwell import ConfigError, Learner


def _learner() -> Learner:
    trainwell.seed_everything(0)
    x = torch.randn(64, 3)
    data = trainwell.tensor_data(x, x[:, 0] * 2, task="regression", batch_size=16)
    learn = Learner(torch.nn.Linear(3, 1), data, progress=False)
    learn.fit(1, lr=0.01)
    return learn


def test_tta_on_a_generic_learner_is_one_line_naming_the_image_learners() -> None:
    learn = _learner()
    with pytest.raises(ConfigError) as raised:
        learn.tta()
    message = str(raised.value)
    assert "\n" not in message
    assert "learn.tta() is for image learners" in message
    assert "vision_learner" in message and "predict(images, tta=True)" in message


def test_validate_loss_also_reads_as_valid_loss_as_the_history_names_it() -> None:
    learn = _learner()
    scores = learn.validate()
    assert scores["valid_loss"] == scores["loss"]
    assert scores.get("valid_loss") == scores["loss"]
    assert "valid_loss" in scores
    # Listed once, as before: printing, iterating and saving the scores are unchanged.
    assert "valid_loss" not in list(scores) and "loss" in list(scores)
    assert json.loads(json.dumps(scores)) == dict(scores)
    assert scores.get("no_such_metric", -1.0) == -1.0
    with pytest.raises(KeyError):
        scores["no_such_metric"]
    assert scores["valid_loss"] == pytest.approx(learn.history[-1]["valid_loss"], rel=1e-5)
