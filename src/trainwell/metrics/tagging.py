"""Metrics of sequence labelling: tag accuracy, and entity precision, recall and F1 as CoNLL scores them.

Inputs: ``preds`` are decoded tag ids ``(B, T)`` (a CRF's best path) or tag scores ``(B, T, C)`` (the
likeliest tag is taken); ``targets`` are tag ids ``(B, T)``. Positions whose target is negative (padding
after a sentence's last word) are not scored.

Entity scores follow the official ``conlleval`` script: an entity counts as found only when its type and both
of its ends are right; precision is over the entities predicted, recall over those in the targets, and F1 is
their harmonic mean, micro-averaged over every entity (:meth:`EntityF1.per_type` gives each type's). The
counts are sums, so batches and processes combine exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import torch

from trainwell.core.errors import ConfigError
from trainwell.metrics._inputs import accumulation_dtype
from trainwell.metrics._spans import batch_entity_spans, span_table
from trainwell.metrics.metric import Metric, Reduction, States

__all__ = ["EntityF1", "EntityPrecision", "EntityRecall", "TagAccuracy", "entity_counts"]

TAGGING_TASKS: tuple[str, ...] = ("tagging",)
_NAN = float("nan")


class TagAccuracy(Metric):
    """Share of words given the right tag."""

    name = "tag_accuracy"
    bounds = (0.0, 1.0)
    description = "share of words given the right tag"
    tasks = TAGGING_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"correct": "sum", "total": "sum"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        labelled = targets >= 0
        dtype = accumulation_dtype(preds.device)
        right = (preds == targets) & labelled
        return {"correct": right.sum(dtype=dtype), "total": labelled.sum(dtype=dtype)}

    def _value(self, states: States) -> float:
        total = float(states["total"])
        return float(states["correct"]) / total if total > 0 else _NAN


class _EntityMetric(Metric):
    """Per entity type: entities found right, entities predicted, entities in the targets."""

    bounds = (0.0, 1.0)
    tasks = TAGGING_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"correct": "sum", "predicted": "sum", "actual": "sum"}
    #: get_metric passes the task's classes: the tag names say where entities begin and end.
    needs_classes: ClassVar[bool] = True

    def __init__(
        self, task: str, threshold: float | Sequence[float] = 0.5, *, classes: Sequence[str] = ()
    ) -> None:
        self.classes = tuple(str(c) for c in classes)
        self.prefix, self.type_index, self.types = span_table(self.classes)
        if not self.types:
            raise ConfigError(
                f"metric {self.name!r} needs the tag names with B-/I- prefixes (classes=...), got "
                f"{list(self.classes)[:10]}; for tags that mark no entities use tag_accuracy"
            )
        super().__init__(task, threshold)

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        counts = entity_counts(preds, targets, self.prefix, self.type_index, len(self.types))
        dtype = accumulation_dtype(preds.device)
        return {key: torch.from_numpy(value).to(preds.device, dtype) for key, value in counts.items()}

    def per_type(self) -> dict[str, dict[str, float]]:
        """Each entity type's precision, recall, F1 and number of entities in the targets (``support``)."""
        states = self.states
        if states["actual"].dim() == 0:
            return {}
        rows: dict[str, dict[str, float]] = {}
        for i, kind in enumerate(self.types):
            correct, predicted, actual = (float(states[key][i]) for key in ("correct", "predicted", "actual"))
            rows[kind] = {**_scores(correct, predicted, actual), "support": actual}
        return rows

    def _totals(self, states: States) -> tuple[float, float, float]:
        return tuple(float(states[key].sum()) for key in ("correct", "predicted", "actual"))  # type: ignore[return-value]


class EntityF1(_EntityMetric):
    name = "entity_f1"
    description = "harmonic mean of entity precision and recall (an entity counts when its type and both ends are right)"

    def _value(self, states: States) -> float:
        return _scores(*self._totals(states))["f1"]


class EntityPrecision(_EntityMetric):
    name = "entity_precision"
    description = "share of the predicted entities that are right, type and both ends"

    def _value(self, states: States) -> float:
        correct, predicted, actual = self._totals(states)
        if predicted == 0 and actual > 0:
            return 0.0  # a model that names no entity where there are some scores 0, as conlleval says
        return _scores(correct, predicted, actual)["precision"]


class EntityRecall(_EntityMetric):
    name = "entity_recall"
    description = "share of the true entities found, type and both ends"

    def _value(self, states: States) -> float:
        return _scores(*self._totals(states))["recall"]


def _scores(correct: float, predicted: float, actual: float) -> dict[str, float]:
    precision = correct / predicted if predicted > 0 else _NAN
    recall = correct / actual if actual > 0 else _NAN
    if predicted == 0 and actual == 0:
        f1 = _NAN
    elif correct == 0:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_counts(
    preds: torch.Tensor, targets: torch.Tensor, prefix: np.ndarray, type_index: np.ndarray, n_types: int
) -> dict[str, np.ndarray]:
    """Per type: entities right, predicted and true over a batch of decoded ids ``(B, T)`` and targets ``(B, T)``.

    A prediction is read only up to its sentence's length (the targets' labelled positions).
    """
    target_rows = targets.cpu().numpy()
    pred_rows = preds.cpu().numpy()
    lengths = (target_rows >= 0).sum(axis=1)
    true_row, true_kind, true_start, true_end = batch_entity_spans(target_rows, lengths, prefix, type_index)
    pred_row, pred_kind, pred_start, pred_end = batch_entity_spans(pred_rows, lengths, prefix, type_index)
    # A span as one number, (row, start, end, type) in mixed radix, so a right one is an equal number.
    width = target_rows.shape[1] + 1
    n_kinds = max(n_types, 1)

    def keys(row: np.ndarray, kind: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        return ((row * width + start) * width + end) * n_kinds + kind

    found = np.intersect1d(
        keys(true_row, true_kind, true_start, true_end), keys(pred_row, pred_kind, pred_start, pred_end)
    )
    return {
        "correct": np.bincount(found % n_kinds, minlength=n_types).astype(np.int64),
        "predicted": np.bincount(pred_kind, minlength=n_types).astype(np.int64),
        "actual": np.bincount(true_kind, minlength=n_types).astype(np.int64),
    }
