"""Text classifier architectures, registered by name (``create_model("ngram_bag", ...)``).

``ngram_bag`` is the fast baseline: one embedding row per token and per hashed n-gram, summed into a bag and
scaled by ``1 / sqrt(length)`` (sublinear length normalisation: a long review is not ten times as sure as a
short one, but a plain mean would drown a short text's few strong phrases), dropout, then a linear head
(optionally one hidden layer). It trains in seconds to minutes on a CPU and, with bigrams and binary features,
matches NBSVM-style baselines on sentiment.

Its embedding gives *sparse* gradients (only the rows of a batch's n-grams), which the learner factory pairs
with :class:`~trainwell.text.optim.LazyAdamW`; a dense Adam step over a million-row table would cost more than
the whole forward and backward pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.models.layers import target_scale
from trainwell.models.registry import register_model

__all__ = ["NgramBag"]

_NORMS = ("sqrt", "mean", "sum")


# lr_find_divisor: the sweep's minimum over 100, not 10 (learner.lr_find.suggestion_divisor). Validation
# accuracy, seed 0, over the epochs fit gives (~1,500 steps, at most 30 epochs): IMDB's 1,000-review sample
# (30 epochs): a tenth (3.3e-1) 0.640, a hundredth (3.3e-2) 0.780, the default 2e-3 0.875; SST-2, 8,000
# sentences (12 epochs): a tenth (3.5e-2) 0.731, a hundredth 0.770, the default 0.781. Over three epochs:
# SST-2 8,000: a tenth 0.764, a hundredth 0.759, 1e-2 0.774, the default 0.745; IMDB 5,000 reviews: a tenth
# (8.9e-2) 0.863, a hundredth 0.889, the default 0.852.
@register_model("ngram_bag", application="text", batch_format="bag", lr_find_divisor=100.0)
class NgramBag(nn.Module):
    """Bag of token and hashed n-gram embeddings -> dropout -> (hidden layer) -> linear.

    Args:
        n_embeddings: Rows of the table (tokens + n-gram buckets; ``TextRecipe.n_embeddings``).
        n_out: Outputs (the task's ``n_outputs``).
        dim: Embedding width.
        hidden: Width of an optional hidden layer (0 for none).
        dropout: Dropout on the pooled bag.
        token_dropout: Share of a text's ids dropped at random in training (a cheap augmentation).
        norm: ``"sqrt"`` (sum / sqrt(length)), ``"mean"`` or ``"sum"``.
        sparse: Sparse embedding gradients (pair with ``LazyAdamW``; dense optimizers need ``False``).
        pairs: The texts are pairs (a recipe of two fields, ``TextRecipe.pairs``): each example's ids hold, beside
            the bag of both sides' n-grams and what they share, each side's own bag, its ids shifted by one and two
            times ``n_embeddings``. The three are pooled apart through the one table, and the head reads the shared
            bag with the sides' product and absolute difference (``[w, u * v, |u - v|]``, as InferSent and
            Sentence-BERT classify pairs): "both sides are positive" is a product, which no single bag holds.
        target_mean, target_std, target_range: a regression's training targets' statistics: the head ends in
            :class:`~trainwell.models.layers.TargetScale`, so the network learns standardised numbers and
            answers in the target's units, within the range seen.
    """

    def __init__(
        self,
        n_embeddings: int,
        n_out: int,
        dim: int = 32,
        hidden: int = 0,
        dropout: float = 0.5,
        token_dropout: float = 0.2,
        norm: str = "sqrt",
        sparse: bool = True,
        pairs: bool = False,
        target_mean: Sequence[float] | None = None,
        target_std: Sequence[float] | None = None,
        target_range: Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__()
        if norm not in _NORMS:
            raise ConfigError(f"norm must be one of {', '.join(_NORMS)}; got {norm!r}")
        if not 0 <= token_dropout < 1 or not 0 <= dropout < 1:
            raise ConfigError(f"dropout and token_dropout must be in [0, 1); got {dropout}, {token_dropout}")
        self.norm = norm
        self.token_dropout = token_dropout
        self.pairs = pairs
        self.n_embeddings = n_embeddings
        self.embedding = nn.EmbeddingBag(n_embeddings, dim, mode="sum", sparse=sparse)
        nn.init.normal_(self.embedding.weight, std=0.02)
        layers: list[nn.Module] = [nn.Dropout(dropout)]
        width = 3 * dim if pairs else dim
        if hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
        layers.append(nn.Linear(hidden or width, n_out))
        self.head = nn.Sequential(*layers, *target_scale(target_mean, target_std, target_range))

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """``ids``: flat ``(N,)`` token and n-gram ids; ``offsets``: ``(B,)`` start of each text -> ``(B, n_out)``."""
        if self.training and self.token_dropout > 0 and len(ids):
            ids, offsets = _drop_ids(ids, offsets, self.token_dropout)
        # Each text's length; written with cat and sub (not torch.diff) so the graph exports to ONNX.
        ends = torch.cat([offsets[1:], offsets.new_full((1,), ids.shape[0])])
        lengths = ends - offsets
        if self.pairs:
            return self.head(self._pair_features(ids, offsets, ends, lengths))
        weights = None
        if self.norm != "sum":
            scale = lengths.clamp(min=1).float()
            scale = scale.rsqrt() if self.norm == "sqrt" else scale.reciprocal()
            weights = torch.repeat_interleave(scale, lengths, output_size=len(ids))
        pooled = self.embedding(ids, offsets, per_sample_weights=weights)  # (B, dim)
        return self.head(pooled)

    def _pair_features(
        self, ids: torch.Tensor, offsets: torch.Tensor, ends: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """``[w, u * v, |u - v|]``: the shared bag ``w`` and the two sides' bags ``u``, ``v``, each pooled with
        its own length's norm; an id's region (``id // n_embeddings``) says which bag it is in."""
        region = torch.div(ids, self.n_embeddings, rounding_mode="floor")
        rows = ids - region * self.n_embeddings
        pooled = []
        for which in range(3):
            member = (region == which).float()
            # members of each bag: a running count read at the bag's ends (exports to ONNX, unlike index_add)
            running = torch.cat([member.new_zeros(1), torch.cumsum(member, 0)])
            count = running[ends] - running[offsets]
            scale = torch.ones_like(count)
            if self.norm != "sum":
                scale = count.clamp(min=1).rsqrt() if self.norm == "sqrt" else count.clamp(min=1).reciprocal()
            weights = torch.repeat_interleave(scale, lengths, output_size=len(ids)) * member
            pooled.append(self.embedding(rows, offsets, per_sample_weights=weights))
        shared, first, second = pooled
        return torch.cat([shared, first * second, (first - second).abs()], dim=-1)

    @property
    def min_opset(self) -> int:
        """The ONNX opset an export needs at least: the bag of ragged texts exports from opset 11, and the
        per-id weights of a ``"sqrt"`` or ``"mean"`` norm (a repeat_interleave by each text's length) from 13."""
        return 11 if self.norm == "sum" else 13

    def layer_groups(self) -> list[nn.Module]:
        return [self.embedding, self.head]


def _drop_ids(ids: torch.Tensor, offsets: torch.Tensor, rate: float) -> tuple[torch.Tensor, torch.Tensor]:
    keep = torch.rand(len(ids), device=ids.device) >= rate
    # kept ids before each text's start = its new start
    kept_before = torch.cumsum(keep, 0) - keep.long()
    new_offsets = kept_before[offsets.clamp(max=len(ids) - 1)]
    new_offsets = torch.where(offsets >= len(ids), keep.sum(), new_offsets)
    return ids[keep], new_offsets
