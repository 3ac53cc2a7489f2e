"""Layers shared by architectures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


class TargetScale(nn.Module):
    """``x * std + mean``: the last layer of a regression model, so the network works at the scale of
    standardised targets (the output layer's init and the optimizer's steps suit numbers near 0 with a spread of 1)
    while the model answers in the target's own units, for the predictor, ONNX and the server alike. The
    training targets' mean and standard deviation are buffers: saved with the weights, never trained.

    With ``low``, ``high`` (the training targets' range) an answer outside the range seen is moved to its end
    when not training: a rating of -1.8 on a scale of 1 to 10 is never closer to the truth than 1. Training sees
    the unclipped output, so an overshoot still has a gradient.

    >>> TargetScale([10.0], [2.0])(torch.tensor([[0.5]]))
    tensor([[11.]])
    >>> TargetScale([5.0], [2.0], low=[1.0], high=[10.0]).eval()(torch.tensor([[-3.0], [4.0]]))
    tensor([[ 1.],
            [10.]])
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        mean: Sequence[float],
        std: Sequence[float],
        low: Sequence[float] | None = None,
        high: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", _floats(mean))
        self.register_buffer("std", _floats(std))
        self.low: torch.Tensor | None = None
        self.high: torch.Tensor | None = None
        if low is not None and high is not None:
            del self.low, self.high
            self.register_buffer("low", _floats(low))
            self.register_buffer("high", _floats(high))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x * self.std.to(x.dtype) + self.mean.to(x.dtype)
        if self.training or self.low is None or self.high is None:
            return y
        return torch.minimum(torch.maximum(y, self.low.to(y.dtype)), self.high.to(y.dtype))


def _floats(values: Sequence[float]) -> torch.Tensor:
    return torch.tensor([float(v) for v in values], dtype=torch.float32)


def target_scale(
    mean: Sequence[float] | None,
    std: Sequence[float] | None,
    value_range: Sequence[Sequence[float]] | None = None,
) -> list[nn.Module]:
    """``[TargetScale(...)]`` for a regression model's head, ``[]`` without statistics (a classifier).
    ``value_range``: ``[low, high]``, each one number per target, the range answers are kept in."""
    if mean is None:
        return []
    low, high = (None, None) if value_range is None else value_range
    return [TargetScale(mean, std if std is not None else [1.0] * len(mean), low, high)]


def target_statistics(targets: torch.Tensor) -> dict[str, Any]:
    """A regression bundle's hints, per target column: ``target_mean``, ``target_std`` (a spread of 0, one
    value in every row, becomes 1 so nothing divides by it) and ``target_range`` (``[lows, highs]``)."""
    y = targets.float().reshape(len(targets), -1)
    std = y.std(0) if len(y) > 1 else torch.ones(y.shape[1])
    std = torch.where(torch.isfinite(std) & (std > 1e-6), std, torch.ones_like(std))
    return {
        "target_mean": y.mean(0).tolist(),
        "target_std": std.tolist(),
        "target_range": [y.min(0).values.tolist(), y.max(0).values.tolist()],
    }


@torch.no_grad()
def set_prior_bias(layer: nn.Linear, kind: str, targets: torch.Tensor) -> bool:
    """Start an output layer at the training priors: its bias becomes each label's log-odds (binary and
    multi-label) or each class's centred log-frequency (multiclass), so the first prediction is the base rate
    rather than 0.5. With rare labels the model otherwise spends its first epochs only learning how rare they
    are (GoEmotions, 28 labels, defaults: dev ROC AUC 0.585 without, 0.803 with). Returns whether it applied
    (the shapes must agree; regression and other kinds are left alone).
    """
    if layer.bias is None or len(targets) == 0:
        return False
    if kind in ("binary", "multilabel"):
        p = targets.float().reshape(len(targets), -1).mean(0).clamp(1e-4, 1 - 1e-4)
        bias = torch.log(p) - torch.log1p(-p)
    elif kind == "multiclass":
        counts = torch.bincount(targets.long().reshape(-1), minlength=layer.out_features).float()
        log_p = torch.log((counts + 1) / (counts.sum() + len(counts)))  # one pseudo-count: no -inf
        bias = log_p - log_p.mean()
    else:
        return False
    if bias.shape != layer.bias.shape:
        return False
    layer.bias.copy_(bias.to(layer.bias))
    return True


def embedding_size(cardinality: int) -> int:
    """A width for an embedding of ``cardinality`` values: grows sub-linearly, capped at 600.

    Empirical rule used widely for entity embeddings (Guo & Berkhahn 2016 popularised them).
    """
    return int(min(600, round(1.6 * cardinality**0.56)))


class LinearBlock(nn.Sequential):
    """Linear -> ReLU -> BatchNorm -> Dropout: the unit of a tabular MLP."""

    def __init__(self, n_in: int, n_out: int, dropout: float = 0.0, batch_norm: bool = True) -> None:
        layers: list[nn.Module] = [nn.Linear(n_in, n_out, bias=not batch_norm), nn.ReLU(inplace=True)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(n_out))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class PeriodicEmbedding(nn.Module):
    """Embed each continuous feature with learned periodic functions, then a per-feature linear map + ReLU.

    For feature ``x_i``: ``relu(W_i [sin(2π c_i x_i), cos(2π c_i x_i)] + b_i)`` with trainable frequencies
    ``c_i`` (Gorishniy et al. 2022, "On Embeddings for Numerical Features in Tabular Deep Learning": the
    PLR variant). It lets an MLP model sharp, non-monotone effects of one number (a capital gain just above
    a threshold) that a plain normalised input makes hard to learn.
    """

    def __init__(self, n_features: int, n_frequencies: int = 16, dim: int = 16, sigma: float = 0.5) -> None:
        super().__init__()
        self.frequencies = nn.Parameter(torch.randn(n_features, n_frequencies) * sigma)
        # One small linear map per feature, stored batched: (F, 2K, D).
        bound = 1 / math.sqrt(2 * n_frequencies)
        self.weight = nn.Parameter(torch.empty(n_features, 2 * n_frequencies, dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_features, dim).uniform_(-bound, bound))
        self.out_features = n_features * dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, F)
        angles = 2 * math.pi * self.frequencies[None] * x[..., None]  # (B, F, K)
        periodic = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)  # (B, F, 2K)
        mapped = torch.einsum("bfk,fkd->bfd", periodic, self.weight) + self.bias  # (B, F, D)
        return torch.relu(mapped).flatten(1)  # (B, F*D)
