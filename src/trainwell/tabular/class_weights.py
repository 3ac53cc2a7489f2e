"""Class weights for a table's single-label classes: ``class_weight="balanced"`` (``--class-weight balanced``).

Each training row weighs ``n_rows / (n_classes * n_rows_of_its_class)``, scikit-learn's ``"balanced"``: the
classes count alike in the loss however rare. The MLP minimises :class:`BalancedCrossEntropy`; boosted trees get
scikit-learn's own ``class_weight="balanced"`` (sample weights in its loss and its early stopping). Under
``arch="auto"`` both are validated with the same weighted loss, so that their validation losses compare.

Measured on a tour's bank marketing rows (11% ``yes``): the trees' validation F1 rose from 0.612 to 0.636 and
their log loss worsened from 0.186 to 0.244. Weights move the predicted probabilities towards the rare class:
recall and F1 of that class at 0.5 go up, and the probabilities stop being calibrated (a 0.5 no longer means one
chance in two).

The weights and the loss are :mod:`trainwell.losses.class_weights`' (texts weigh their classes with them too);
this module adds what a table's bundle needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.losses.class_weights import (
    CLASS_WEIGHTS,
    BalancedCrossEntropy,
    balanced_weights,
    check_class_weight,
    check_task_takes_weights,
)

if TYPE_CHECKING:
    from trainwell.data.bundle import DataBundle

__all__ = [
    "CLASS_WEIGHTS",
    "BalancedCrossEntropy",
    "balanced_loss",
    "balanced_weights",
    "check_class_weight",
    "check_task_takes_weights",
]


def balanced_loss(data: DataBundle) -> BalancedCrossEntropy:
    """The weighted loss of ``data``'s training rows (its task checked by :func:`check_task_takes_weights`)."""
    task = data.task
    check_task_takes_weights(task)
    targets = data.train.tensors[-1]  # type: ignore[attr-defined]
    binary = task.kind == "binary"
    return BalancedCrossEntropy(balanced_weights(targets, 2 if binary else len(task.classes)), binary)
