"""Evaluation passes outside training: loss and metrics, and ordered predictions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.losses import IGNORE_INDEX
from trainwell.metrics.targets import metric_values

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


def ordered(loader: Any) -> Any:
    """The same data in its natural order (predictions must line up with rows), all of it: a loader that reads
    one shard of a distributed job is read whole, so every process evaluates every row."""
    new = getattr(loader, "new", None)
    sharded = getattr(loader, "world_size", 1) > 1
    if callable(new) and (getattr(loader, "shuffle", False) or sharded):
        return new(shuffle=False, drop_last=False, **({"whole": True} if sharded else {}))
    return loader


def _batches(learn: Learner, loader: Iterable[Any] | None) -> Iterable[tuple[torch.Tensor, ...]]:
    if loader is None:
        raise ConfigError("no data to evaluate: this DataBundle has no validation set; pass a loader")
    return learn._on_device(ordered(loader))  # type: ignore[return-value]


@torch.no_grad()
def evaluate(learn: Learner, loader: Iterable[Any] | None) -> dict[str, float]:
    """Mean loss and every metric of ``learn`` over ``loader`` (with several regression targets, also each
    target's value, e.g. ``"rmse[price]"``: see :func:`trainwell.metrics.targets.metric_values`)."""
    learn.model.eval()
    total, rows = 0.0, 0
    for metric in learn.metrics:
        metric.reset()
    for batch in _batches(learn, loader):
        *inputs, target = batch
        with learn.forward_context():
            output = learn.model(*inputs)
        weight = learn.batch_weight(target)
        total += float(learn.compute_loss(output, target)) * weight
        rows += weight
        activated = learn.activate(output, inputs)  # no gradients here: nothing to detach
        for metric in learn.metrics:
            metric.update(activated, target)
    results = {"loss": total / max(rows, 1)}
    results.update(metric_values(learn.metrics, learn.task.target_names))
    return results


@torch.no_grad()
def predictions(
    learn: Learner, loader: Iterable[Any] | None, activate: bool, with_targets: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Outputs over ``loader`` in row order, on the CPU; targets too when asked and present."""
    learn.model.eval()
    outputs: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    for batch in _batches(learn, loader):
        *inputs, target = batch
        with learn.forward_context():
            output = learn.model(*inputs)
        output = output.float() if isinstance(output, torch.Tensor) else output
        outputs.append((learn.activate(output, inputs) if activate else output).cpu())
        if with_targets:
            targets.append(target.cpu())
    if not outputs:
        raise ConfigError("the loader yielded no batches; nothing to predict")
    return _cat(outputs), (_cat(targets) if with_targets else None)


def _cat(parts: list[torch.Tensor]) -> torch.Tensor:
    """Batches joined along rows; sequences of different lengths (a tagger's sentences) are padded at the end
    of the second axis: integer tags with IGNORE_INDEX (what losses ignore), scores with 0."""
    widths = {part.shape[1:2] for part in parts}
    if len(widths) <= 1 or parts[0].dim() < 2:
        return torch.cat(parts)
    width = max(part.shape[1] for part in parts)
    padded = []
    for part in parts:
        fill = 0.0 if part.is_floating_point() else IGNORE_INDEX
        shape = (part.shape[0], width - part.shape[1], *part.shape[2:])
        padded.append(torch.cat([part, part.new_full(shape, fill)], dim=1))
    return torch.cat(padded)
