"""``evaluate_texts`` and ``evaluate_images`` with ``decision_threshold=``: each fold's threshold is chosen on a fifth
of its own training texts or images, answered by a model fitted on the rest, so that turning the scored rows' labels
upside down leaves it as it was; the metrics of decisions are at it; other targets are refused before any fold."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from trainwell.core.errors import ConfigError
from trainwell.data.task import infer_task
from trainwell.evaluate import fold_indices
from trainwell.metrics import functional
from trainwell.text.evaluation import TextFold, evaluate_texts
from trainwell.vision.evaluation import ImageFold, evaluate_images

sys.path.insert(0, str(Path(__file__).parents[1] / "text"))
from classify_tables import sentiment_frame, topic_frame


def _flipped(labels: list[str], rows: np.ndarray, a: str, b: str) -> list[str]:
    flipped = list(labels)
    for row in rows:
        flipped[row] = b if labels[row] == a else a
    return flipped


def test_a_text_folds_threshold_is_chosen_on_its_training_texts_alone() -> None:
    frame = sentiment_frame(160, 1)
    # A noisy label: one text in five says the other sentiment, so the threshold is not trivially 0.5
    noisy = np.random.default_rng(0).random(len(frame)) < 0.2
    frame.loc[noisy, "sentiment"] = np.where(frame.loc[noisy, "sentiment"] == "pos", "neg", "pos")
    task = infer_task(frame["sentiment"])
    train, valid = fold_indices(frame["sentiment"].to_numpy(), 2, 0, True, keyword="cv")[0]
    flipped = frame.copy()
    flipped["sentiment"] = _flipped(frame["sentiment"].tolist(), valid, "pos", "neg")
    thresholds, scores = [], []
    for table in (frame, flipped):
        fold = TextFold(table, "review", "sentiment", task, ["f1"], epochs=2, decision="f1")
        scores.append(fold(train, valid, 0))
        thresholds.append(fold.thresholds[0])
        _, preds, targets = fold.predictions[0]
        assert scores[-1]["f1"] == pytest.approx(functional.f1(preds, targets, "binary", thresholds[-1]))
    assert thresholds[0] == thresholds[1]


def test_evaluate_texts_gives_a_number_to_every_fold_and_refuses_classes() -> None:
    result = evaluate_texts(
        sentiment_frame(80, 2), "sentiment", text_col="review", cv=2, epochs=1, baselines=False,
        decision_threshold=0.3, progress=False,
    )  # fmt: skip
    assert result.decision_thresholds == [0.3, 0.3] and result.to_dict()["decision_threshold"]["mean"] == 0.3
    assert "trainwell decides at 0.3 in every fold" in str(result)
    with pytest.raises(ConfigError, match=r"for binary targets .* target 'topic' is multiclass"):
        evaluate_texts(topic_frame(60), "topic", cv=2, epochs=1, decision_threshold="f1", progress=False)


def _images(n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Red or blue squares on noise, a fifth of the labels wrong."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 120, (n, 16, 16, 3), dtype=np.uint8)
    labels = []
    for index in range(n):
        red = index % 2 == 0
        images[index, 4:12, 4:12] = (220, 30, 30) if red else (30, 30, 220)
        wrong = rng.random() < 0.2
        labels.append("red" if red != wrong else "blue")
    return images, labels


def test_an_image_folds_threshold_is_chosen_on_its_training_images_alone() -> None:
    images, labels = _images(48, 0)
    task = infer_task(np.array(labels))
    train, valid = fold_indices(np.array(labels), 2, 0, True, keyword="cv")[0]
    thresholds = []
    for these in (labels, _flipped(labels, valid, "red", "blue")):
        fold = ImageFold(images, these, task, ["f1"], epochs=1, lr=1e-2, decision="f1")
        fold(train, valid, 0)
        thresholds.append(fold.thresholds[0])
    assert thresholds[0] == thresholds[1]
    with pytest.raises(ConfigError, match="neither a metric"):
        evaluate_images(images, labels, cv=2, epochs=1, decision_threshold="auc")
