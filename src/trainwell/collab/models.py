"""Collaborative-filtering architectures: matrix factorisation with biases, and a neural variant.

Both take ``x_cat`` of shape ``(N, 2)``: user codes then item codes, as :class:`~trainwell.collab.recipe.CollabRecipe`
encodes them (0 = not seen in training). Row 0 of every embedding takes no gradient; it holds the mean of the
known rows (:meth:`refresh_unknown`), so an unknown user is scored as the average user would be. ``x_cont`` is accepted and ignored, so the models take the inputs of a
table model and the table paths (ONNX export, serving) apply unchanged.

Ratings are bounded: with ``y_range=(low, high)`` the output is ``low + (high - low) * sigmoid(raw)``, which
keeps predictions on the scale and lets the model push a strong opinion towards the ends without exploding
(the ``sigmoid_range`` of fastai's collaborative filtering, a common practice since Koren's biased MF).
``y_range`` is a little wider than the ratings seen, so the ends are reachable; outside training the output is
then clipped to ``clip`` (the ratings seen): a prediction past the scale is only ever further from the truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from trainwell.models.layers import LinearBlock, embedding_size
from trainwell.models.registry import register_model

#: Standard deviation of the initial factors: small, so the first predictions sit near the middle of the scale.
INIT_STD = 0.01


def _embedding(n_rows: int, width: int) -> nn.Embedding:
    embedding = nn.Embedding(n_rows, width, padding_idx=0)
    with torch.no_grad():
        embedding.weight.normal_(0.0, INIT_STD)
        embedding.weight[0].zero_()
    return embedding


def register_seen(module: nn.Module, n_users: int, n_seen: int | None) -> None:
    """Give ``module`` the buffers of what each user chose, ``seen_offsets`` (``n_users + 1``) and
    ``seen_items`` (``n_seen``), the CSR rows by user code of the item codes each user had in the data the model
    was fitted on, so ``recommend`` leaves them out. ``n_seen=None`` (models written before it was kept) adds
    none, and their weights load unchanged."""
    if n_seen is None:
        return
    module.register_buffer("seen_offsets", torch.zeros(int(n_users) + 1, dtype=torch.int64))
    module.register_buffer("seen_items", torch.zeros(int(n_seen), dtype=torch.int64))


@torch.no_grad()
def fill_seen(module: nn.Module, offsets: np.ndarray, items: np.ndarray) -> None:
    """Copy ``(offsets, items)`` (see :func:`~trainwell.collab.data.chosen_items`) into ``module``'s buffers."""
    for name, values in (("seen_offsets", offsets), ("seen_items", items)):
        buffer: torch.Tensor = getattr(module, name)
        buffer.copy_(torch.from_numpy(np.asarray(values, dtype=np.int64)))


class _Bounded(nn.Module):
    """Scales raw scores into ``y_range`` (or leaves them as logits/values when it is ``None``), and holds the
    rule for ids never seen in training."""

    def __init__(
        self, y_range: Sequence[float] | None, n_out: int = 1, clip: Sequence[float] | None = None
    ) -> None:
        super().__init__()
        if n_out != 1:
            raise ValueError(f"a ratings model predicts one score per (user, item) pair; got n_out={n_out}")
        self.y_range = None if y_range is None else (float(y_range[0]), float(y_range[1]))
        if self.y_range is not None and not self.y_range[0] < self.y_range[1]:
            raise ValueError(f"y_range must be (low, high) with low < high, got {y_range}")
        self.clip = None if clip is None else (float(clip[0]), float(clip[1]))
        if self.clip is not None and not self.clip[0] <= self.clip[1]:
            raise ValueError(f"clip must be (low, high) with low <= high, got {clip}")
        #: Rows per embedding that training fitted, where ids were added after it (:meth:`add_ids`); else None.
        self.trained_rows: dict[str, int] | None = None

    #: The attributes holding the user embeddings, and the item ones: where :meth:`add_ids` adds rows.
    user_tables: tuple[str, ...] = ()
    item_tables: tuple[str, ...] = ()

    @torch.no_grad()
    def refresh_unknown(self) -> None:
        """Set row 0 (unseen ids) of every embedding to the mean of the known rows: a new user is scored as
        the average known user would be (their mean bias, their mean taste), a new item as the average item.

        Row 0 takes no gradient (``padding_idx``); :func:`~trainwell.collab.collab_learner` installs a callback
        that refreshes it before each validation and at the end of the fit, so scores and exports agree. Rows
        added after training (:meth:`add_ids`) are left out of the mean: they were fitted on validation rows,
        which the unseen-id row, scoring those rows again, must not have read.
        """
        trained = self.trained_rows or {}
        for name, module in self.named_modules():
            if isinstance(module, nn.Embedding) and module.num_embeddings > 1:
                end = trained.get(name, module.num_embeddings)
                module.weight[0] = module.weight[1:end].mean(dim=0)

    @torch.no_grad()
    def add_ids(self, n_users: int, n_items: int) -> None:
        """Append ``n_users`` rows to the user embeddings and ``n_items`` to the item ones, each a copy of row 0
        (the average known user or item), for ids met after training (:mod:`trainwell.collab.fold_in`). The
        rows there were are unchanged, and remembered as the trained ones (:meth:`refresh_unknown`)."""
        if not self.user_tables or not self.item_tables:
            raise TypeError(f"{type(self).__name__} names no user_tables and item_tables to add rows to")
        trained = self.trained_rows or {}
        for names, extra in ((self.user_tables, int(n_users)), (self.item_tables, int(n_items))):
            for name in names:
                old: nn.Embedding = getattr(self, name)
                trained.setdefault(name, old.num_embeddings)
                grown = nn.Embedding(old.num_embeddings + extra, old.embedding_dim, padding_idx=0)
                grown = grown.to(device=old.weight.device, dtype=old.weight.dtype)
                grown.weight.copy_(torch.cat([old.weight, old.weight[:1].expand(extra, -1)]))
                setattr(self, name, grown)
        self.trained_rows = trained

    def bound(self, raw: torch.Tensor) -> torch.Tensor:
        if self.y_range is None:
            return raw
        low, high = self.y_range
        scores = low + (high - low) * torch.sigmoid(raw)
        if self.clip is not None and not self.training:
            scores = scores.clamp(self.clip[0], self.clip[1])
        return scores


@register_model("dot_bias", application="collab")
class DotBias(_Bounded):
    """Biased matrix factorisation: ``rating = bound(user · item + user_bias + item_bias)``.

    Args:
        n_users, n_items: Embedding rows (known ids + the reserved row 0).
        n_factors: Width of the user and item factors.
        y_range: ``(low, high)`` of the output, or ``None`` for raw scores (logits for a liked/disliked task).
        n_out: Outputs; must be 1 (one score per pair).
        clip: ``(low, high)`` the output is clipped to outside training (the ratings seen), or ``None``.
        n_seen: How many (user, item) pairs the model keeps as chosen (:func:`register_seen`), or ``None``.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_factors: int = 50,
        y_range: Sequence[float] | None = None,
        n_out: int = 1,
        clip: Sequence[float] | None = None,
        n_seen: int | None = None,
    ) -> None:
        super().__init__(y_range, n_out, clip)
        register_seen(self, n_users, n_seen)
        self.user_factors = _embedding(n_users, n_factors)
        self.item_factors = _embedding(n_items, n_factors)
        self.user_bias = _embedding(n_users, 1)
        self.item_bias = _embedding(n_items, 1)

    user_tables = ("user_factors", "user_bias")
    item_tables = ("item_factors", "item_bias")

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor | None = None) -> torch.Tensor:
        users, items = x_cat[:, 0], x_cat[:, 1]
        dot = (self.user_factors(users) * self.item_factors(items)).sum(dim=1, keepdim=True)
        return self.bound(dot + self.user_bias(users) + self.item_bias(items))

    def item_vectors(self) -> torch.Tensor:
        """The item factors, row ``code`` per item (row 0 = unseen): what "similar items" compares."""
        return self.item_factors.weight

    def layer_groups(self) -> list[nn.Module]:
        """Factors, then biases."""
        return [
            nn.ModuleList([self.user_factors, self.item_factors]),
            nn.ModuleList([self.user_bias, self.item_bias]),
        ]


@register_model("collab_nn", application="collab")
class CollabNN(_Bounded):
    """User and item embeddings concatenated, then an MLP (the "neural collaborative filtering" shape).

    Args:
        n_users, n_items: Embedding rows (known ids + the reserved row 0).
        layers: Hidden widths of the MLP.
        dropout: Dropout after each hidden block.
        embedding_sizes: ``(user width, item width)``; by default grown with the number of ids.
        y_range: ``(low, high)`` of the output, or ``None`` for raw scores.
        n_out: Outputs; must be 1.
        clip: ``(low, high)`` the output is clipped to outside training (the ratings seen), or ``None``.
        n_seen: How many (user, item) pairs the model keeps as chosen (:func:`register_seen`), or ``None``.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        layers: Sequence[int] = (256, 128),
        dropout: float = 0.1,
        embedding_sizes: Sequence[int] | None = None,
        y_range: Sequence[float] | None = None,
        n_out: int = 1,
        clip: Sequence[float] | None = None,
        n_seen: int | None = None,
    ) -> None:
        super().__init__(y_range, n_out, clip)
        register_seen(self, n_users, n_seen)
        user_width, item_width = embedding_sizes or (embedding_size(n_users), embedding_size(n_items))
        self.user_factors = _embedding(n_users, int(user_width))
        self.item_factors = _embedding(n_items, int(item_width))
        blocks: list[nn.Module] = []
        width = int(user_width) + int(item_width)
        for hidden in layers:
            blocks.append(LinearBlock(width, hidden, dropout))
            width = hidden
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, 1)

    user_tables = ("user_factors",)
    item_tables = ("item_factors",)

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor | None = None) -> torch.Tensor:
        features = torch.cat([self.user_factors(x_cat[:, 0]), self.item_factors(x_cat[:, 1])], dim=1)
        return self.bound(self.head(self.body(features)))

    def item_vectors(self) -> torch.Tensor:
        return self.item_factors.weight

    def layer_groups(self) -> list[nn.Module]:
        """Embeddings, hidden layers, output head."""
        return [nn.ModuleList([self.user_factors, self.item_factors]), self.body, self.head]
