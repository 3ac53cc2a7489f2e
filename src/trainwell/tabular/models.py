"""Tabular architectures: entity embeddings for categories, periodic embeddings for numbers, then an MLP."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trainwell.models.layers import LinearBlock, PeriodicEmbedding, embedding_size
from trainwell.models.registry import register_model


@register_model("tabular_mlp", application="tabular")
class TabularMLP(nn.Module):
    """Embeddings + MLP for rows of categorical codes and normalised numbers.

    Args:
        cardinalities: number of codes of each categorical input (index 0 = missing/unseen).
        n_cont: number of continuous inputs.
        n_out: outputs (1 for binary and single regression, classes for multiclass...).
        layers: hidden widths.
        dropout: dropout after each hidden block.
        embedding_dropout: dropout on the concatenated embeddings.
        numeric_embedding: ``"periodic"`` (learned periodic features per number) or ``"none"`` (raw numbers).
        target_mean, target_std: for regression, outputs are ``raw * std + mean`` so the network works at
            unit scale whatever the target's units.
    """

    def __init__(
        self,
        cardinalities: Sequence[int],
        n_cont: int,
        n_out: int,
        layers: Sequence[int] = (256, 128),
        dropout: float = 0.1,
        embedding_dropout: float = 0.0,
        numeric_embedding: str = "periodic",
        target_mean: Sequence[float] | None = None,
        target_std: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        if numeric_embedding not in ("periodic", "none"):
            raise ValueError(f"numeric_embedding must be 'periodic' or 'none', got {numeric_embedding!r}")
        self.embeddings = nn.ModuleList(nn.Embedding(n, embedding_size(n)) for n in cardinalities)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.numeric = PeriodicEmbedding(n_cont) if numeric_embedding == "periodic" and n_cont else None
        self.cont_norm = nn.BatchNorm1d(n_cont) if n_cont and self.numeric is None else None
        width = sum(embedding_size(n) for n in cardinalities)
        width += self.numeric.out_features if self.numeric is not None else n_cont
        blocks: list[nn.Module] = []
        for hidden in layers:
            blocks.append(LinearBlock(width, hidden, dropout))
            width = hidden
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, n_out)
        mean = (
            torch.zeros(n_out)
            if target_mean is None
            else torch.tensor(list(target_mean), dtype=torch.float32)
        )
        std = torch.ones(n_out) if target_std is None else torch.tensor(list(target_std), dtype=torch.float32)
        self.register_buffer("target_mean", mean)
        self.register_buffer("target_std", std)

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor) -> torch.Tensor:
        parts = [embedding(x_cat[:, i]) for i, embedding in enumerate(self.embeddings)]
        features = [self.embedding_dropout(torch.cat(parts, dim=1))] if parts else []
        if x_cont.shape[1]:
            if self.numeric is not None:
                features.append(self.numeric(x_cont))
            else:
                features.append(self.cont_norm(x_cont) if self.cont_norm is not None else x_cont)
        hidden = self.body(torch.cat(features, dim=1))
        return self.head(hidden) * self.target_std + self.target_mean

    @property
    def min_opset(self) -> int:
        """The ONNX opset an export needs at least: 12 with periodic embeddings of numbers (an einsum, which
        ONNX has from opset 12), else 9 (embeddings and linear layers only)."""
        return 12 if self.numeric is not None else 9

    def layer_groups(self) -> list[nn.Module]:
        """Input embeddings, hidden layers, output head: for freezing and discriminative learning rates."""
        extras = [module for module in (self.numeric, self.cont_norm) if module is not None]
        inputs = nn.ModuleList([self.embeddings, *extras])
        return [inputs, self.body, self.head]
