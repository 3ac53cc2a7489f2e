"""EASE as a model you can serve: ``trainwell fit interactions.csv --user U --item I --implicit --arch ease``.

The same closed form as the baseline every implicit fit is measured against (:class:`~trainwell.collab.baselines.EASE`),
held as a module that takes ``(user, item)`` code pairs like the other recommenders, so the predictor,
``trainwell recommend``, ``trainwell serve`` and ``trainwell report`` use it unchanged. A user's score of an
item is a weighted sum over the items that user chose in training, so the module carries those choices:
the item-to-item weights and each user's training items (CSR) are its state, saved with safetensors like any
other tensors. There is nothing to train by gradient; :func:`~trainwell.collab.collab_learner` fits it in
closed form when it is built, and its fit only validates.

This module imports only PyTorch: a serving process loads it without the fitting code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from trainwell.collab.models import register_seen
from trainwell.models.registry import register_model

__all__ = ["EASEModel"]

#: Most (distinct users x items) scores one forward pass holds at a time.
CHUNK_SCORES = 1 << 22
#: Largest users x items history matrix the ONNX form may hold (4 bytes a cell: 200 MB).
MAX_ONNX_HISTORY_CELLS = 50_000_000


@register_model("ease", application="collab")
class EASEModel(nn.Module):
    """EASE (Steck 2019) over the training interactions: ``score(u, i) = sum of B[j, i]`` over the items ``j``
    user ``u`` chose in training.

    A user never seen in training (code 0) gets the average training user's scores, the mean of ``X B``
    over users: the same rule as the factor models' average row, so items come out ordered by general
    appeal. An unknown item (code 0) scores 0. Outputs are raw scores (the implicit task reads them as
    logits); they rank items and are not probabilities.

    Args:
        n_users, n_items: Codes, as the recipe encodes them (known ids + the reserved 0).
        n_interactions: Training interactions the model holds (the length of ``history_items``).
        lam: The regularisation ``λ`` the weights were fitted with (a record; the weights are the state).
        y_range, clip: Must be ``None``: EASE scores interactions, not ratings.
        n_out: Must be 1.
        n_seen: How many (user, item) pairs the model keeps as chosen, the held-out ones included
            (:func:`~trainwell.collab.models.register_seen`); ``None`` for models written before: ``recommend``
            then leaves out the training history.
    """

    history_offsets: torch.Tensor
    history_items: torch.Tensor
    average: torch.Tensor
    calibration: torch.Tensor

    closed_form = True  # fitted by :meth:`fit`, never by gradient: the training loop skips its batches

    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_interactions: int = 0,
        lam: float = 200.0,
        y_range: Sequence[float] | None = None,
        n_out: int = 1,
        clip: Sequence[float] | None = None,
        n_seen: int | None = None,
    ) -> None:
        super().__init__()
        if n_out != 1:
            raise ValueError(f"a ratings model predicts one score per (user, item) pair; got n_out={n_out}")
        if y_range is not None or clip is not None:
            raise ValueError(
                "EASE ranks items from interactions (implicit feedback); it does not predict ratings"
            )
        self.lam = float(lam)
        # A parameter that takes no gradient (not a buffer), so the Learner's optimizer has something to hold.
        self.weights = nn.Parameter(torch.zeros(n_items, n_items), requires_grad=False)
        self.register_buffer("history_offsets", torch.zeros(n_users + 1, dtype=torch.int64))
        self.register_buffer("history_items", torch.zeros(n_interactions, dtype=torch.int64))
        self.register_buffer("average", torch.zeros(n_items))
        # Platt scaling, fitted on the training interactions against drawn non-interactions: the output is a
        # logit like the factor models' (same loss, same ROC-AUC-and-probability reading), and the order of
        # the scores, the ranking, is unchanged (the scale is kept positive).
        self.register_buffer("calibration", torch.tensor([1.0, 0.0]))
        register_seen(self, n_users, n_seen)

    @classmethod
    def fit(
        cls,
        users: np.ndarray,
        items: np.ndarray,
        n_users: int,
        n_items: int,
        *,
        lam: float | None = None,
        seed: int = 0,
        n_negatives: int = 4,
    ) -> EASEModel:
        """Fit on parallel arrays of training user and item codes; ``lam=None`` chooses ``λ`` on an inner
        hold-out of these interactions (:class:`~trainwell.collab.baselines.EASE`). The scores are then
        mapped to logits (``a * score + b``, ``a > 0``) by a logistic regression of the training interactions
        against ``n_negatives`` drawn non-interactions each, as the factor models are trained.

        Raises:
            ConfigError: More items than :data:`~trainwell.collab.baselines.MAX_EASE_ITEMS`.
        """
        from trainwell.collab.baselines import EASE
        from trainwell.collab.implicit import pair_keys, sample_negatives

        # One row per distinct (user, item), in one order: the same fit, and the same λ, as the baseline.
        users, items = np.divmod(np.unique(pair_keys(np.asarray(users), np.asarray(items), n_items)), n_items)
        fitted = EASE.fit(users, items, n_items, lam=lam, seed=seed)
        matrix = fitted.matrix  # users x items, repeats counted once: one row per user code
        if matrix.shape[0] < n_users:  # trailing user codes without a training interaction
            matrix.resize((n_users, n_items))
        model = cls(n_users, n_items, int(matrix.nnz), fitted.lam)
        with torch.no_grad():
            model.weights.copy_(torch.from_numpy(fitted.weights))
            model.history_offsets.copy_(torch.from_numpy(matrix.indptr.astype(np.int64)))
            model.history_items.copy_(torch.from_numpy(matrix.indices.astype(np.int64)))
            # The mean of X B over known users is (the mean row of X) B: no users x items matrix.
            mean_row = np.asarray(matrix[1:].mean(axis=0), dtype=np.float32).reshape(-1)
            model.average.copy_(torch.from_numpy(mean_row @ fitted.weights))
            rng = np.random.default_rng(seed)
            known = pair_keys(users, items, n_items)
            neg_users, neg_items = sample_negatives(users, known, n_items, n_negatives, rng)
            pairs = torch.from_numpy(np.stack([np.r_[users, neg_users], np.r_[items, neg_items]], axis=1))
            scores = model(pairs).reshape(-1).double().numpy()
            targets = np.r_[np.ones(len(users)), np.zeros(len(neg_users))]
            model.calibration.copy_(torch.from_numpy(_platt(scores, targets)))
        return model

    def user_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(len(users), n_items)``: every item's score for each user code (column 0, the unknown item, is 0)."""
        offsets = self.history_offsets
        users = users.clamp(0, len(offsets) - 2)
        starts, ends = offsets[users], offsets[users + 1]
        lengths = ends - starts
        # The flat positions of every listed user's items in history_items, and which bag each belongs to.
        bag_starts = torch.cumsum(lengths, 0) - lengths
        total = int(lengths.sum())
        positions = torch.arange(total, device=users.device) - torch.repeat_interleave(bag_starts, lengths)
        flat = self.history_items[torch.repeat_interleave(starts, lengths) + positions]
        scores = nn.functional.embedding_bag(flat, self.weights, bag_starts, mode="sum")
        unknown = users == 0
        if bool(unknown.any()):
            scores[unknown] = self.average
        return scores

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor | None = None) -> torch.Tensor:
        users, items = x_cat[:, 0], x_cat[:, 1]
        distinct, inverse = torch.unique(users, return_inverse=True)
        out = torch.empty(len(users), dtype=self.weights.dtype, device=self.weights.device)
        chunk = max(1, CHUNK_SCORES // max(self.weights.shape[0], 1))
        for start in range(0, len(distinct), chunk):
            scores = self.user_scores(distinct[start : start + chunk])
            rows = (inverse >= start) & (inverse < start + chunk)
            out[rows] = scores[inverse[rows] - start, items[rows]]
        return (self.calibration[0] * out + self.calibration[1])[:, None]

    def scores_from_items(self, items: torch.Tensor) -> torch.Tensor:
        """``(n_items,)`` logits of every item for a user who chose ``items`` (codes), as if that user had been
        in training with exactly those items: EASE scores depend on a user only through the chosen items."""
        raw = self.weights[items.unique()].sum(0)
        return self.calibration[0] * raw + self.calibration[1]

    @property
    def onnx_unsupported(self) -> str | None:
        """Why the model cannot go to ONNX, or ``None``: its ONNX form holds the users x items history as a
        dense matrix (:meth:`onnx_module`), which must stay of a sensible size."""
        cells = (len(self.history_offsets) - 1) * self.weights.shape[0]
        if cells <= MAX_ONNX_HISTORY_CELLS:
            return None
        return (
            f"its ONNX form holds every user's training items as a dense users x items matrix, {cells:,} cells "
            f"here (more than {MAX_ONNX_HISTORY_CELLS:,}); serve it with PyTorch (trainwell serve MODEL, the "
            "default backend)"
        )

    def onnx_module(self) -> nn.Module:
        """The same scores as a graph ONNX can trace: each user's items as a row of a dense 0/1 matrix
        instead of a lookup of varying length (the CSR buffers)."""
        n_users, n_items = len(self.history_offsets) - 1, self.weights.shape[0]
        history = torch.zeros(n_users, n_items, dtype=self.weights.dtype)
        lengths = self.history_offsets[1:] - self.history_offsets[:-1]
        rows = torch.repeat_interleave(torch.arange(n_users), lengths)
        history[rows, self.history_items] = 1.0
        return _DenseEASE(history, self.weights.detach(), self.average, self.calibration)

    def item_vectors(self) -> torch.Tensor:
        """Row ``code`` of the weights: how much choosing that item raises each other item's score. Two items
        that raise the same others are similar (what :meth:`CollabPredictor.similar_items` compares)."""
        return self.weights

    def layer_groups(self) -> list[nn.Module]:
        return [self]

    def extra_repr(self) -> str:
        return f"items={self.weights.shape[0] - 1}, users={len(self.history_offsets) - 2}, lam={self.lam:g}"


class _DenseEASE(nn.Module):
    """:class:`EASEModel`'s scores from a dense history matrix: ``score(u, i) = history[u] . weights[:, i]``,
    the average user's scores for the unknown user (code 0), then the Platt scaling."""

    history: torch.Tensor
    weights: torch.Tensor
    average: torch.Tensor
    calibration: torch.Tensor

    def __init__(
        self, history: torch.Tensor, weights: torch.Tensor, average: torch.Tensor, calibration: torch.Tensor
    ) -> None:
        super().__init__()
        self.register_buffer("history", history)
        self.register_buffer("weights", weights.clone())
        self.register_buffer("average", average.clone())
        self.register_buffer("calibration", calibration.clone())

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor | None = None) -> torch.Tensor:
        users, items = x_cat[:, 0], x_cat[:, 1]
        raw = (self.history[users] * self.weights[:, items].T).sum(1)
        raw = torch.where(users == 0, self.average[items], raw)
        return (self.calibration[0] * raw + self.calibration[1])[:, None]


def _platt(scores: np.ndarray, targets: np.ndarray, penalty: float = 1.0) -> np.ndarray:
    """``(a, b)`` of the logistic regression ``P(target) = sigmoid(a * score + b)`` (Newton's method, a small
    ridge ``penalty`` so that separable toy data stays finite), with ``a`` kept positive."""
    features = np.stack([scores, np.ones_like(scores)], axis=1)
    weights = np.zeros(2)
    for _ in range(100):
        probs = 1.0 / (1.0 + np.exp(-(features @ weights)))
        grad = features.T @ (probs - targets) + penalty * weights
        hess = (features * (probs * (1.0 - probs))[:, None]).T @ features + penalty * np.eye(2)
        step = np.linalg.solve(hess, grad)
        weights -= step
        if np.abs(step).max() < 1e-9:
            break
    weights[0] = max(weights[0], 1e-6)  # a flat or reversed fit must not reverse the ranking
    return weights
