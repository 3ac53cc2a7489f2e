"""Layers shared by architectures."""

from __future__ import annotations

import math

import torch
from torch import nn


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
