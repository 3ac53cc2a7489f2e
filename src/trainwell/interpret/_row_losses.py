"""Per-row losses of a classification batch, from the raw model outputs.

trainwell's losses return the batch mean, which hides which rows cost the most. For the built-in losses
(:class:`~trainwell.losses.BCEWithLogits`, :class:`~trainwell.losses.CrossEntropy`) and their torch
counterparts the same formula is evaluated here with ``reduction="none"``, honouring label smoothing, class
weights and ``pos_weight``. Any other loss is called once per row, which is exact for a mean-reducing loss
but slower.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.losses import BCEWithLogits, CrossEntropy


def row_losses(loss_func: Callable[..., Any], output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Loss of each row of a batch, shape ``(N,)``, float32 on the outputs' device.

    Args:
        loss_func: the learner's loss (a module or a function of ``(output, target)``).
        output: raw model outputs, ``(N, 1)`` or ``(N,)`` for binary, ``(N, C)`` for multiclass.
        target: encoded targets, ``(N,)``.
    """
    output = output.float()
    if isinstance(loss_func, BCEWithLogits | nn.BCEWithLogitsLoss):
        return _binary(loss_func, output, target)
    if isinstance(loss_func, CrossEntropy | nn.CrossEntropyLoss):
        weight = getattr(loss_func, "weight", None)
        return F.cross_entropy(
            output,
            target.long(),
            weight=None if weight is None else weight.to(output.device),
            label_smoothing=float(getattr(loss_func, "label_smoothing", 0.0)),
            reduction="none",
        )
    # An unknown loss only promises a mean over the batch: a batch of one row gives that row's loss.
    values = [loss_func(output[i : i + 1], target[i : i + 1]).reshape(()) for i in range(len(target))]
    return torch.stack(values).float() if values else output.new_zeros(0)


def _binary(loss_func: nn.Module, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    target = target.float().reshape(-1)
    smoothing = float(getattr(loss_func, "label_smoothing", 0.0))
    if smoothing:
        target = target * (1 - smoothing) + 0.5 * smoothing
    pos_weight = getattr(loss_func, "pos_weight", None)
    weight = getattr(loss_func, "weight", None)  # torch's BCEWithLogitsLoss only
    return F.binary_cross_entropy_with_logits(
        output.reshape(-1),
        target,
        weight=None if weight is None else weight.to(output.device),
        pos_weight=None if pos_weight is None else pos_weight.to(output.device),
        reduction="none",
    )
