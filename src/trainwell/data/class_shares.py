"""Each class's share of a classifier's training rows (tables, texts, images alike)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trainwell.data.task import Task

#: The tasks whose training shares are kept: one class a row.
SHARED_KINDS = ("binary", "multiclass")


def class_shares(task: Task, codes: Any) -> list[float] | None:
    """Each class's share of the training rows' ``codes`` (encoded targets: a tensor or an array), in
    ``task.classes`` order; ``None`` for a task that is not one class a row. Kept in ``trainwell.json``
    (``training.class_shares``), so that a report on other rows compares the model with always answering the
    training rows' commoner class, not the judged rows' own (which peeks at their answers)."""
    if task.kind not in SHARED_KINDS:
        return None
    values = codes.detach().cpu().numpy() if hasattr(codes, "detach") else np.asarray(codes)
    flat = np.asarray(values).reshape(-1)
    if task.kind == "binary":  # one probability-like code a row, 0 or 1
        flat = (flat > 0.5).astype(np.int64)
    counts = np.bincount(flat.astype(np.int64), minlength=len(task.classes)).astype(float)
    return [round(float(count), 6) for count in counts / max(1.0, float(counts.sum()))]
