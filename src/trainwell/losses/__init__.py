"""Loss functions by name, and the default loss of each task.

Every loss takes the model's raw output and the encoded target from :meth:`Task.encode` and returns the mean
loss of the batch. Shapes are reconciled here (a binary model outputs ``(N, 1)``, targets are ``(N,)``) so
that models and loops never have to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.registry import Registry

if TYPE_CHECKING:
    from trainwell.data.task import Task

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
losses: Registry[Callable[..., nn.Module]] = Registry("loss")


def _match(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return output.reshape(target.shape) if output.numel() == target.numel() else output


def _on_device(weight: torch.Tensor | None, output: torch.Tensor) -> torch.Tensor | None:
    # The Learner moves the model, not the loss: class weights given on the CPU must follow the outputs.
    return None if weight is None else weight.to(output.device)


def check_label_smoothing(value: object) -> None:
    """A share of the target spread over the classes: at 1 nothing is learnt, and outside 0..1 a binary target
    leaves 0..1 (cross-entropy refused it only at the first batch)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1
    if not ok:
        raise ConfigError(
            f"label_smoothing must be a number from 0 (off) up to but not including 1, got {value!r}; "
            "pass e.g. label_smoothing=0.1"
        )


@losses.register("bce")
class BCEWithLogits(nn.Module):
    """Binary cross-entropy on logits (binary and multi-label), with optional label smoothing."""

    def __init__(self, label_smoothing: float = 0.0, pos_weight: torch.Tensor | None = None) -> None:
        super().__init__()
        check_label_smoothing(label_smoothing)
        self.label_smoothing = label_smoothing
        self.pos_weight = pos_weight

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        target = target.float()
        if self.label_smoothing:
            target = target * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        pos_weight = _on_device(self.pos_weight, output)
        return F.binary_cross_entropy_with_logits(
            _match(output.float(), target), target, pos_weight=pos_weight
        )


@losses.register("cross_entropy")
class CrossEntropy(nn.Module):
    """Softmax cross-entropy over classes, with optional label smoothing."""

    def __init__(self, label_smoothing: float = 0.0, weight: torch.Tensor | None = None) -> None:
        super().__init__()
        check_label_smoothing(label_smoothing)
        self.label_smoothing = label_smoothing
        self.weight = weight

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weight = _on_device(self.weight, output)
        return F.cross_entropy(
            output.float(), target.long(), weight=weight, label_smoothing=self.label_smoothing
        )


#: Target value of positions that carry no label (padding after a sentence's last word); PyTorch's default.
IGNORE_INDEX = -100


@losses.register("token_cross_entropy")
class TokenCrossEntropy(nn.Module):
    """Softmax cross-entropy per token of a sequence: outputs ``(B, T, C)``, targets ``(B, T)`` of class ids
    with :data:`IGNORE_INDEX` at padding; the mean over the labelled tokens."""

    def __init__(self, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.label_smoothing = label_smoothing

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(
            output.float().flatten(0, -2),
            target.long().flatten(),
            ignore_index=IGNORE_INDEX,
            label_smoothing=self.label_smoothing,
        )


@losses.register("mse")
class MSE(nn.Module):
    """Mean squared error; with ``scale`` (one value per output column), of the errors divided by it.

    Several regression targets in their own units would let the one with the largest numbers (a price in
    dollars beside an area in square metres) own the loss and the gradients; dividing each column's error
    by its target's standard deviation weighs the targets alike.
    """

    scale: torch.Tensor | None

    def __init__(self, scale: Sequence[float] | None = None) -> None:
        super().__init__()
        self.register_buffer(
            "scale", None if scale is None else torch.tensor(list(scale), dtype=torch.float32)
        )

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        output, target = _match(output.float(), target), target.float()
        if self.scale is None:
            return F.mse_loss(output, target)
        return (((output - target) / self.scale.to(output.device)) ** 2).mean()

    def extra_repr(self) -> str:
        return "" if self.scale is None else f"scale={[round(v, 4) for v in self.scale.tolist()]}"


@losses.register("mae")
class MAE(nn.Module):
    """Mean absolute error (L1): robust to outliers in the target."""

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(_match(output.float(), target), target.float())


@losses.register("huber")
class Huber(nn.Module):
    """Huber loss: squared near the target, absolute far from it."""

    def __init__(self, delta: float = 1.0) -> None:
        super().__init__()
        self.delta = delta

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.huber_loss(_match(output.float(), target), target.float(), delta=self.delta)


def create_loss(name: str, **kwargs: object) -> nn.Module:
    """A loss by registered name: ``create_loss("cross_entropy", label_smoothing=0.1)``."""
    return losses.get(name)(**kwargs)


def loss_for_task(task: Task) -> nn.Module:
    """The default loss of ``task``."""
    return create_loss(task.loss_name)


def several_targets_loss(task: Task, hints: Mapping[str, Any]) -> MSE | None:
    """The default loss of several regression targets: the MSE of each target's error over its training standard
    deviation (the bundle's ``target_std`` hint), so a target in large units does not drown the others; ``None``
    for one target or a classifier (the task's own loss)."""
    scale = hints.get("target_std")
    if task.kind == "regression" and scale and len(scale) > 1:
        return MSE(scale=scale)
    return None


__all__ = [
    "IGNORE_INDEX",
    "MAE",
    "MSE",
    "BCEWithLogits",
    "CrossEntropy",
    "Huber",
    "LossFunction",
    "TokenCrossEntropy",
    "create_loss",
    "loss_for_task",
    "losses",
    "several_targets_loss",
]
