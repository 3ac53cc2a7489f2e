"""Layers shared by architectures."""

from __future__ import annotations

import math

import torch
from torch import nn


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
