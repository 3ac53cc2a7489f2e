"""A text classifier that ends no better than always answering the most common class is warned of, once, at the
end of training (a ULMFiT classifier given a minute on IMDB ended at 0.50 and was written without a word)."""

from __future__ import annotations

import warnings

import pytest
import torch
from classify_tables import sentiment_frame

from text_samples import reviews
from trainwell.text import text_classifier_learner, text_data
from trainwell.text.majority import majority_accuracy


def _majority_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(item.message) for item in record if "most common class" in str(item.message)]


def test_a_classifier_at_chance_is_warned_once_at_the_end() -> None:
    torch.manual_seed(0)
    frame = reviews(300, positive_every=3)  # two thirds "pos"
    data = text_data(frame, "sentiment", text_col="review", seed=0)
    learn = text_classifier_learner(data, progress=False)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        learn.fine_tune(1, 1e-12)  # two fits (head, then all): far too small a rate to move off the prior
    said = _majority_warnings(record)
    valid = data.valid.targets  # type: ignore[union-attr]
    share = float((valid.reshape(-1) == 1).float().mean())
    assert learn.history[-1]["accuracy"] == pytest.approx(share)  # the prior alone: "pos" for every review
    assert len(said) == 1, said  # after the last fit, not after the head's
    assert (
        f"validation accuracy {share:.3f} does not beat always answering the training rows' most common class, "
        f"'pos' (right on {share:.3f} of the validation rows)" in said[0]
    )
    assert said[0].endswith("train longer (more epochs)")  # Python's words (the command line's: --epochs)
    assert [item.category.__name__ for item in record if "most common class" in str(item.message)] == [
        "BaselineNotBeaten"
    ]


def test_a_classifier_that_learned_is_not_warned() -> None:
    torch.manual_seed(0)
    data = text_data(sentiment_frame(400), "sentiment", text_col="review", seed=0)
    learn = text_classifier_learner(data, progress=False)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        learn.fit_one_cycle(8, 0.02)
    assert learn.history[-1]["accuracy"] >= 0.95 and not _majority_warnings(record)


def test_the_majority_answer_is_the_training_sets_scored_on_the_validation_rows() -> None:
    train, valid = torch.tensor([2, 2, 1, 0, 2]), torch.tensor([0, 2, 1, 1])
    assert majority_accuracy("multiclass", train, valid) == (2, 0.25)
    binary = torch.tensor([[1.0], [1.0], [0.0]]), torch.tensor([[1.0], [0.0]])
    assert majority_accuracy("binary", *binary) == (1, 0.5)
