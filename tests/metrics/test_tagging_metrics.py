"""Tagging metrics: entity precision, recall and F1 counted like CoNLL's conlleval (checked against spans
taken from the tag strings), tag accuracy that skips padding, and batches that combine exactly."""

from __future__ import annotations

import random

import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.metrics import EntityF1, EntityPrecision, EntityRecall, TagAccuracy, get_metric
from trainwell.text.tagging.scheme import entity_spans

CLASSES = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def _padded(rows: list[list[int]]) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [-100] * (width - len(r)) for r in rows])


def _reference(preds: list[list[int]], golds: list[list[int]]) -> tuple[float, float, float]:
    found = guessed = actual = 0
    for pred, gold in zip(preds, golds, strict=True):
        pred_spans = set(entity_spans([CLASSES[i] for i in pred]))
        gold_spans = set(entity_spans([CLASSES[i] for i in gold]))
        found += len(pred_spans & gold_spans)
        guessed += len(pred_spans)
        actual += len(gold_spans)
    precision, recall = found / guessed, found / actual
    return precision, recall, 2 * precision * recall / (precision + recall)


def test_entity_scores_match_spans_read_from_the_tag_strings() -> None:
    rng = random.Random(0)
    golds = [[rng.randrange(5) for _ in range(rng.randint(1, 12))] for _ in range(200)]
    preds = [[g if rng.random() < 0.8 else rng.randrange(5) for g in gold] for gold in golds]
    metrics = [m("tagging", classes=CLASSES) for m in (EntityPrecision, EntityRecall, EntityF1)]
    for start in range(0, 200, 37):  # uneven batches, each padded to its own width
        for metric in metrics:
            metric.update(_padded(preds[start : start + 37]), _padded(golds[start : start + 37]))
    expected = _reference(preds, golds)
    assert [m.compute() for m in metrics] == pytest.approx(expected)


def test_an_entity_counts_only_with_its_type_and_both_ends() -> None:
    gold = _padded([[1, 2, 0, 3, 4]])  # LOC (0-2), PER (3-5)
    for pred, expected_f1 in (
        ([1, 2, 0, 3, 4], 1.0),
        ([1, 0, 0, 3, 4], 0.5),  # LOC cut short
        ([3, 4, 0, 3, 4], 0.5),  # wrong type
        ([0, 0, 0, 0, 0], 0.0),
    ):
        metric = EntityF1("tagging", classes=CLASSES)
        metric.update(_padded([pred]), gold)
        assert metric.compute() == pytest.approx(expected_f1)


def test_no_entity_predicted_where_there_are_some_is_precision_zero_as_in_conlleval() -> None:
    import math

    gold = _padded([[1, 2, 0, 3, 4]])
    precision, recall = EntityPrecision("tagging", classes=CLASSES), EntityRecall("tagging", classes=CLASSES)
    for metric in (precision, recall):
        metric.update(_padded([[0, 0, 0, 0, 0]]), gold)
    assert precision.compute() == 0.0 and recall.compute() == 0.0
    nothing = EntityPrecision("tagging", classes=CLASSES)
    nothing.update(_padded([[0, 0]]), _padded([[0, 0]]))  # no entity on either side: nothing to score
    assert math.isnan(nothing.compute())


def test_per_type_scores_and_merging() -> None:
    first, second = EntityF1("tagging", classes=CLASSES), EntityF1("tagging", classes=CLASSES)
    first.update(_padded([[1, 2, 0]]), _padded([[1, 2, 0]]))
    second.update(_padded([[3, 0], [0, 0]]), _padded([[3, 4], [3, 0]]))
    whole = EntityF1("tagging", classes=CLASSES)
    whole.update(
        _padded([[1, 2, 0], [3, 0, -100], [0, 0, -100]]), _padded([[1, 2, 0], [3, 4, -100], [3, 0, -100]])
    )
    assert first.merge(second).compute() == pytest.approx(whole.compute())
    per_type = whole.per_type()
    assert per_type["LOC"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1.0}
    assert per_type["PER"]["precision"] == 0.0 and per_type["PER"]["support"] == 2.0


def test_tag_accuracy_skips_padding_and_takes_scores_or_ids() -> None:
    targets = _padded([[1, 2, 0], [3]])
    metric = TagAccuracy("tagging")
    metric.update(_padded([[1, 0, 0], [3]]), targets)
    assert metric.compute() == pytest.approx(3 / 4)
    scores = torch.nn.functional.one_hot(torch.tensor([[1, 2, 0], [3, 0, 0]]), 5).float()
    metric.reset()
    metric.update(scores, targets)
    assert metric.compute() == 1.0


def test_get_metric_passes_the_tag_names() -> None:
    assert get_metric("entity_f1", "tagging", classes=CLASSES).types == ["LOC", "PER"]
    with pytest.raises(ConfigError, match="needs the tag names with B-/I- prefixes"):
        get_metric("entity_f1", "tagging", classes=["NOUN", "VERB"])
    with pytest.raises(ConfigError, match="does not fit a tagging task"):
        get_metric("accuracy", "tagging")


def test_shapes_that_do_not_fit_are_refused() -> None:
    with pytest.raises(DataError, match="tag ids \\(B, T\\)"):
        TagAccuracy("tagging").update(
            torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long)
        )
