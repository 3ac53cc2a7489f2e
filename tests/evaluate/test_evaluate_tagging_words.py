"""What the tagging metrics say in words where a count is zero."""

from __future__ import annotations

import torch

from trainwell.evaluate.tagging import explain_tagging, sentence_counts


def test_a_model_that_marks_no_entity_is_said_to_mark_none() -> None:
    # It said "nan% of the entities the model marks are right".
    classes = ["O", "B-PER", "I-PER"]
    targets = torch.tensor([[1, 2, 0], [0, 1, 0]])
    preds = torch.zeros_like(targets)
    lines = {line.name: line for line in explain_tagging(sentence_counts(preds, targets, classes),
                                                          ["entity_precision", "entity_recall"])}  # fmt: skip
    assert lines["entity_precision"].sentence.startswith("the model marks no entity, so none of its entities")
    assert "nan" not in lines["entity_precision"].sentence
    assert lines["entity_recall"].sentence.startswith("0.0% of the 2 true entities are found")
