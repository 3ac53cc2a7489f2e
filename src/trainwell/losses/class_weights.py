"""Class weights for a single-label classifier's loss: ``class_weight="balanced"`` (``--class-weight balanced``).

Each training row weighs ``n_rows / (n_classes * n_rows_of_its_class)``, scikit-learn's ``"balanced"``: the
classes count alike in the loss however rare. :class:`BalancedCrossEntropy` is the task's cross-entropy with
those weights as sample weights (a weighted mean over the rows, so the loss keeps its scale), validated with the
same loss. Weights move the predicted probabilities towards the rare class: its recall and F1 at 0.5 go up, and
the probabilities stop being calibrated (a 0.5 no longer means one chance in two).

Here, below the applications, so that texts and tables (:mod:`trainwell.tabular.class_weights`) weigh alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError

if TYPE_CHECKING:
    from trainwell.data.task import Task

__all__ = [
    "CLASS_WEIGHTS",
    "BalancedCrossEntropy",
    "balanced_weights",
    "check_class_weight",
    "check_task_takes_weights",
    "weighted_loss",
]

#: The class weights taken by name.
CLASS_WEIGHTS = ("balanced",)


def check_class_weight(value: Any) -> str | None:
    """``class_weight`` as given: ``None`` or ``"balanced"`` (checked before any data is read)."""
    if value is None or (isinstance(value, str) and value in CLASS_WEIGHTS):
        return value
    raise ConfigError.worded(
        lambda say: (
            f"{say('class_weight')} {value!r} is not known: {say('class_weight', 'balanced')} weighs each "
            "class by the inverse of its share of the training rows (or leave it out)"
        )
    )


def check_task_takes_weights(task: Task) -> None:
    """Refuse class weights for a target that has no single class per row (a number, several labels)."""
    if task.kind in ("binary", "multiclass") and task.n_outputs <= max(1, len(task.classes)):
        return
    what = {"regression": "numbers", "multilabel": "several labels a row"}.get(task.kind, task.kind)
    raise ConfigError.worded(
        lambda say: (
            f"{say('class_weight', 'balanced')} weighs the classes of a target with one class a row "
            f"(binary or classes), and {', '.join(repr(name) for name in task.target_names)} holds {what}: drop "
            f"{say('class_weight')}"
        )
    )


def balanced_weights(targets: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Each class's weight ``n_rows / (n_classes * count)`` from the training ``targets`` (class ids, or 0/1);
    a class the rows lack weighs 0 (no row has it to weigh).

    Example:
        >>> [round(weight, 4) for weight in balanced_weights(torch.tensor([0, 0, 0, 1]), 2).tolist()]
        [0.6667, 2.0]
    """
    ids = targets.reshape(-1).long()
    counts = torch.bincount(ids, minlength=n_classes).double()
    weights = torch.where(counts > 0, len(ids) / (n_classes * counts.clamp_min(1)), torch.zeros_like(counts))
    return weights.float()


class BalancedCrossEntropy(nn.Module):
    """The task's cross-entropy (binary on one logit, or softmax over classes), each row weighted by its class's
    weight, averaged over the rows: scikit-learn's sample weights, so that the loss keeps its scale.

    Args:
        weights: one weight per class (:func:`balanced_weights`), for a binary target ``[negative, positive]``.
        binary: one logit per row (binary) rather than one per class.
    """

    def __init__(self, weights: torch.Tensor, binary: bool) -> None:
        super().__init__()
        self.weights = weights.detach().float().cpu()
        self.binary = binary

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weights = self.weights.to(output.device)  # the Learner moves the model, not the loss
        if self.binary:
            target = target.float()
            output = (
                output.float().reshape(target.shape) if output.numel() == target.numel() else output.float()
            )
            per_row = F.binary_cross_entropy_with_logits(output, target, reduction="none")
            return (per_row * weights[target.long()]).mean()
        ids = target.long().reshape(-1)
        per_row = F.cross_entropy(output.float(), ids, reduction="none")
        return (per_row * weights[ids]).mean()

    def extra_repr(self) -> str:
        return f"weights={[round(float(value), 4) for value in self.weights]}"


def weighted_loss(task: Task, train_targets: torch.Tensor) -> BalancedCrossEntropy:
    """The balanced loss of a classifier of ``task`` trained on ``train_targets`` (its encoded targets), the task
    checked first (:func:`check_task_takes_weights`)."""
    check_task_takes_weights(task)
    binary = task.kind == "binary"
    return BalancedCrossEntropy(balanced_weights(train_targets, 2 if binary else len(task.classes)), binary)
