"""Forms of PyTorch layers that export to plain ONNX graphs, swapped in only while a model is traced.

``nn.EmbeddingBag`` with ragged bags (flat ids and each bag's offset) exports through torch's exporter as an ONNX
``Loop`` over the bags, one subgraph run per text. onnxruntime's graph optimiser cannot rename the values that
loop body reads from outside (its ``Slice``/``Concat`` of the offsets), and says so in two
``CanUpdateImplicitInputNameInSubgraphs`` warnings to everyone who opens the file, though the answers are right.
:class:`RunningSumBag` computes the same sums without a loop: a running sum of the (weighted) rows, in float64,
read at each bag's end minus at its start. ``Gather`` and ``CumSum`` (opset 11) only, and one vectorised pass
instead of a loop over the texts.

The swap is temporary (:func:`traceable_layers`) and shares the weights: the model that is compared with the
graph in the parity check is the one trained, not this form of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeGuard

import torch
import torch.nn.functional as F
from torch import nn


class RunningSumBag(nn.Module):
    """``bag(ids, offsets, per_sample_weights)`` of an ``nn.EmbeddingBag`` in mode ``"sum"`` or ``"mean"``, as
    differences of a float64 running sum: each bag ``rows[start:end]`` sums to ``running[end] - running[start]``.

    Float64 keeps the difference of two large running sums exact to float32's precision over millions of ids;
    an empty bag gives zeros, as the bag does.
    """

    def __init__(self, bag: nn.EmbeddingBag) -> None:
        super().__init__()
        self.bag = bag  # shares its weight; not a copy

    def forward(
        self,
        input: torch.Tensor,
        offsets: torch.Tensor | None = None,
        per_sample_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        bag = self.bag
        if input.dim() == 2:  # (B, L): bags of one length, no offsets (include_last_offset does not apply)
            starts = torch.arange(0, input.numel(), input.shape[1], device=input.device)
            ends = starts + input.shape[1]
            input = input.reshape(-1)
        elif offsets is None:
            raise ValueError("a flat input of ids needs the offsets of its bags, as nn.EmbeddingBag does")
        elif bag.include_last_offset:
            starts, ends = offsets[:-1], offsets[1:]
        else:
            starts = offsets
            ends = torch.cat([offsets[1:], offsets.new_full((1,), input.shape[0])])
        rows = F.embedding(input, bag.weight)  # (N, dim)
        if per_sample_weights is not None:
            rows = rows * per_sample_weights.unsqueeze(1)
        counted = torch.ones_like(input, dtype=torch.float64)
        if bag.padding_idx is not None:  # the padding row is left out of the sum and of the count
            kept = (input != bag.padding_idx).to(rows.dtype)
            rows = rows * kept.unsqueeze(1)
            counted = kept.double()
        running = torch.cat(
            [rows.new_zeros((1, rows.shape[1]), dtype=torch.float64), torch.cumsum(rows.double(), 0)]
        )
        pooled = running[ends] - running[starts]  # (B, dim)
        if bag.mode == "mean":
            counts = torch.cat([counted.new_zeros(1), torch.cumsum(counted, 0)])
            pooled = pooled / (counts[ends] - counts[starts]).clamp(min=1).unsqueeze(1)
        return pooled.to(bag.weight.dtype)


def _swappable(module: nn.Module) -> TypeGuard[nn.EmbeddingBag]:
    """A bag this form computes exactly: summed or averaged rows (a maximum has no running form), no
    renormalisation of the rows it reads (``max_norm`` rewrites the weights as it goes)."""
    return type(module) is nn.EmbeddingBag and module.mode in ("sum", "mean") and module.max_norm is None


@contextmanager
def traceable_layers(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` with each ``nn.EmbeddingBag`` it holds replaced by a :class:`RunningSumBag` over the same weights
    while the block runs (the export traces it), put back afterwards, even when the export fails."""
    swapped = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if _swappable(child)
    ]
    for parent, name, child in swapped:
        setattr(parent, name, RunningSumBag(child))
    try:
        yield model
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)
