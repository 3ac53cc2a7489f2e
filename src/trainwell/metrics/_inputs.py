"""Checks and small conversions shared by every metric: task names, input shapes, accumulation dtype.

Checks here look only at shapes and dtypes, never at values, so that they cost no device synchronisation
inside a training loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trainwell.core.errors import ConfigError, DataError

#: The task kinds metrics know about (the same names as ``trainwell.data.task``).
METRIC_TASKS: tuple[str, ...] = ("binary", "multiclass", "multilabel", "regression", "tagging")

_EXPECTED_SHAPES = {
    "binary": "float preds (N,) and targets (N,)",
    "multiclass": "float preds (N, C) with C >= 2 and targets (N,) of class indices",
    "multilabel": "float preds (N, L) and targets (N, L)",
    "regression": "float preds and targets of the same shape, (N,) or (N, K)",
    "tagging": "tag ids (B, T) or float tag scores (B, T, C), and targets (B, T) of tag ids (negative = padding)",
}


def check_task(task: str) -> str:
    """Return ``task`` if metrics know it, else raise :class:`ConfigError`."""
    if task not in METRIC_TASKS:
        raise ConfigError(f"task {task!r} is not known to metrics; use one of: {', '.join(METRIC_TASKS)}")
    return task


#: A decision threshold: one for every output, or one per label (multilabel only).
Threshold = float | tuple[float, ...]


def check_threshold(threshold: float | Sequence[float], task: str | None = None) -> Threshold:
    """Return ``threshold`` (a float, or a tuple for a sequence) if each value lies strictly between 0 and 1,
    else raise :class:`ConfigError`. A sequence holds one threshold per label and fits only ``multilabel``
    (a ``task`` of ``None`` is not checked); its length is checked against the predictions' width when
    decisions are made."""
    if isinstance(threshold, Sequence) and not isinstance(threshold, str):
        if task is not None and task != "multilabel":
            raise ConfigError(
                f"one threshold per label fits a multilabel task, not {task}; pass one threshold, e.g. 0.5"
            )
        values = tuple(float(value) for value in threshold)
        if not values:
            raise ConfigError("per-label thresholds are empty; pass one per label, or a single threshold")
        for value in values:
            check_threshold(value)
        return values
    if not 0.0 < threshold < 1.0:
        raise ConfigError(
            f"threshold must be between 0 and 1 (exclusive), got {threshold}; 0.5 is the usual choice"
        )
    return float(threshold)


def accumulation_dtype(device: torch.device) -> torch.dtype:
    """float64 for running sums, except on Apple's MPS, which has no float64."""
    return torch.float32 if device.type == "mps" else torch.float64


def check_inputs(
    preds: torch.Tensor, targets: torch.Tensor, task: str, metric: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate shapes for ``task`` and return ``(preds, targets)`` in canonical form.

    Canonical forms: binary preds and targets ``(N,)`` (a trailing width-1 axis is dropped); multiclass preds
    ``(N, C)`` and targets ``(N,)`` long; multilabel both ``(N, L)``; regression both ``(N, K)``.

    Raises:
        ConfigError: ``task`` is unknown.
        DataError: the shapes do not fit the task.
    """
    check_task(task)
    preds, targets = preds.detach(), targets.detach()
    if task == "binary":
        preds, targets = _drop_unit_axis(preds), _drop_unit_axis(targets)
        ok = preds.dim() == 1 and targets.shape == preds.shape
    elif task == "multiclass":
        ok = preds.dim() == 2 and preds.shape[1] >= 2 and targets.shape == preds.shape[:1]
        targets = targets.long()
    elif task == "multilabel":
        ok = preds.dim() == 2 and targets.shape == preds.shape
    elif task == "tagging":
        if preds.is_floating_point() and preds.dim() == 3:
            preds = preds.argmax(dim=-1)
        ok = preds.dim() == 2 and targets.shape == preds.shape and not preds.is_floating_point()
        if ok:
            return preds.long(), targets.long()
    else:
        if preds.dim() == 1:
            preds = preds.unsqueeze(1)
        if targets.dim() == 1:
            targets = targets.unsqueeze(1)
        ok = preds.dim() == 2 and targets.shape == preds.shape
    if not ok or not preds.is_floating_point():
        raise DataError(
            f"metric {metric!r} for a {task} task expects {_EXPECTED_SHAPES[task]}; "
            f"got preds {tuple(preds.shape)} {preds.dtype} and targets {tuple(targets.shape)}. "
            "Check the task and the width of the model's output."
        )
    return preds, targets


def _drop_unit_axis(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.squeeze(1) if tensor.dim() == 2 and tensor.shape[1] == 1 else tensor


def as_positive(targets: torch.Tensor) -> torch.Tensor:
    """Boolean "is positive" for 0/1 targets given as float, long or bool."""
    return targets > 0.5 if targets.dtype != torch.bool else targets
