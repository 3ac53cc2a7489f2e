"""The baselines a recommender must beat.

Ratings: user and item biases, ``rating ≈ mean + b_user + b_item`` (:class:`BiasBaseline`). Implicit feedback:
the popularity ranking, and :class:`EASE` (below).

The biases are fitted by regularised alternating least squares (Koren 2010, "Factor in the neighbors", section 2.1; Surprise's
``BaselineOnly``): each user's bias is the shrunk mean of their residuals after the item biases, then each
item's after the user biases, for a few rounds. It knows who rates high and which items are liked, but nothing
about whose taste matches which item: what a factor model adds on top of it is the personal part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.data.categories import category_key
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.collab.implicit import HeldOutRanking
    from trainwell.learner.learner import Learner

__all__ = ["EASE", "MAX_EASE_ITEMS", "BiasBaseline", "BiasBaselineScore"]

#: Largest catalogue EASE is fitted on: it inverts items x items matrices. On 2 cores the baseline adds about 2 s
#: to an implicit fit of MovieLens 100k (1,680 items) and 33 s for 4,000 items (20,000 users, 400,000 interactions).
MAX_EASE_ITEMS = 4000
#: The regularisations EASE chooses from, on an inner hold-out of the training interactions.
EASE_LAMBDAS = (10.0, 50.0, 200.0, 1000.0)
#: Most users whose inner held-out interaction is ranked to choose λ (a seeded sample beyond it).
EASE_TUNING_USERS = 2000


@dataclass
class BiasBaseline:
    """``mean + user_bias + item_bias``, clipped to the training range; unseen ids have a bias of 0.

    Example:
        >>> model = BiasBaseline.fit([1, 1, 2, 2], ["a", "b", "a", "b"], [5.0, 3.0, 4.0, 2.0], reg_user=0, reg_item=0)
        >>> [round(v, 3) for v in model.predict([1, 2, 3], ["a", "b", "a"]).tolist()]
        [5.0, 2.0, 4.5]
    """

    mean: float
    user_bias: dict[str, float]
    item_bias: dict[str, float]
    low: float
    high: float

    @classmethod
    def fit(
        cls,
        users: Any,
        items: Any,
        ratings: Any,
        *,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        rounds: int = 10,
    ) -> BiasBaseline:
        """Fit on parallel sequences of user ids, item ids and ratings (Surprise's default shrinkage)."""
        user_keys, user_index = np.unique([category_key(u) for u in users], return_inverse=True)
        item_keys, item_index = np.unique([category_key(i) for i in items], return_inverse=True)
        values = np.asarray(ratings, dtype=np.float64).reshape(-1)
        mean = float(values.mean())
        user_count = np.bincount(user_index, minlength=len(user_keys))
        item_count = np.bincount(item_index, minlength=len(item_keys))
        user_bias, item_bias = np.zeros(len(user_keys)), np.zeros(len(item_keys))
        for _ in range(rounds):
            residual = values - mean - item_bias[item_index]
            user_bias = np.bincount(user_index, residual, len(user_keys)) / (reg_user + user_count)
            residual = values - mean - user_bias[user_index]
            item_bias = np.bincount(item_index, residual, len(item_keys)) / (reg_item + item_count)
        return cls(
            mean=mean,
            user_bias=dict(zip(user_keys.tolist(), user_bias.tolist(), strict=True)),
            item_bias=dict(zip(item_keys.tolist(), item_bias.tolist(), strict=True)),
            low=float(values.min()),
            high=float(values.max()),
        )

    def predict(self, users: Any, items: Any) -> np.ndarray:
        """Predicted ratings for parallel sequences of user and item ids."""
        user_part = np.array([self.user_bias.get(category_key(u), 0.0) for u in users], dtype=np.float64)
        item_part = np.array([self.item_bias.get(category_key(i), 0.0) for i in items], dtype=np.float64)
        return np.clip(self.mean + user_part + item_part, self.low, self.high)


class BiasBaselineScore(Callback):
    """Adds ``rmse_biases`` to each epoch's row: the RMSE of :class:`BiasBaseline`, fitted on the same
    training rows, on the same validation rows. A factor model that does not beat it has learned nothing
    personal. Installed by :func:`~trainwell.collab.collab_learner` for rating (regression) data."""

    order = -19  # after the Recorder wrote the row

    def __init__(self) -> None:
        self.value: float | None = None
        #: The biases' predictions of the validation rows, in the loader's order: the fit's verdict pairs them
        #: with the model's on the same rows (a gap is only called when its bootstrap interval excludes 0).
        self.predictions: np.ndarray | None = None

    def before_fit(self, learn: Learner) -> None:
        train, valid = learn.data.train, learn.data.valid
        train_tensors, valid_tensors = getattr(train, "tensors", None), getattr(valid, "tensors", None)
        if train_tensors is None or valid_tensors is None:
            return
        (x_train, _, y_train), (x_valid, _, y_valid) = train_tensors, valid_tensors
        model = BiasBaseline.fit(x_train[:, 0].tolist(), x_train[:, 1].tolist(), y_train.double().numpy())
        predicted = model.predict(x_valid[:, 0].tolist(), x_valid[:, 1].tolist())
        self.value = float(np.sqrt(np.mean((predicted - y_valid.double().numpy()) ** 2)))
        self.predictions = predicted

    def after_epoch(self, learn: Learner) -> None:
        if self.value is not None and learn.history and "valid_loss" in learn.history[-1]:
            learn.history[-1]["rmse_biases"] = self.value


@dataclass
class EASE:
    """EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): a user's score of an item is
    a weighted sum over the items they interacted with, ``X @ B``, where ``B`` (items x items, zero diagonal)
    solves ``min ||X - X B||² + λ ||B||²`` in closed form: ``P = (XᵀX + λI)⁻¹``, ``B = I - P / diag(P)``.

    No training loop, no sampled negatives, and on MovieLens-style data it is as strong as a tuned matrix
    factorisation (Steck; Dacrema et al. 2019, "Are we really making much progress?"), so a model that does not
    beat it has not earned its training. ``λ`` is chosen among :data:`EASE_LAMBDAS` on an inner hold-out of the
    training interactions (one per user, at most :data:`EASE_TUNING_USERS` of them), never on the validation
    users.

    Attributes:
        weights: ``(n_items, n_items)`` float32 over item codes (code 0, the unknown item, scores nothing).
        lam: The regularisation used.
        matrix: ``X``, the users x items 0/1 matrix of the training interactions (sparse).
    """

    weights: np.ndarray
    lam: float
    matrix: Any

    @classmethod
    def fit(
        cls,
        users: np.ndarray,
        items: np.ndarray,
        n_items: int,
        *,
        lam: float | None = None,
        k: int = 10,
        seed: int = 0,
    ) -> EASE:
        """Fit on parallel arrays of user and item codes (items ``1..n_items-1``); ``lam=None`` chooses it.

        Raises:
            ConfigError: More than :data:`MAX_EASE_ITEMS` items.
        """
        from trainwell.core.errors import ConfigError

        if n_items - 1 > MAX_EASE_ITEMS:
            raise ConfigError(
                f"EASE inverts an items x items matrix; {n_items - 1:,} items is more than {MAX_EASE_ITEMS:,}"
            )
        users, items = np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)
        if lam is None:
            lam = cls._choose_lambda(users, items, n_items, k, seed)
        matrix = _interactions(users, items, n_items)
        return cls(_ease_weights(_gram(matrix), float(lam)), float(lam), matrix)

    @classmethod
    def _choose_lambda(cls, users: np.ndarray, items: np.ndarray, n_items: int, k: int, seed: int) -> float:
        """The λ of :data:`EASE_LAMBDAS` with the best NDCG at ``k`` on one training interaction per user held
        out (users with at least two)."""
        from trainwell.collab.implicit import (
            HeldOutRanking,
            held_out_ranks,
            leave_one_out,
            pair_keys,
            ranking_means,
        )

        fit_rows, held_rows = leave_one_out(users, None, seed)
        if not len(held_rows):
            return EASE_LAMBDAS[len(EASE_LAMBDAS) // 2]
        seen = np.sort(pair_keys(users[fit_rows], items[fit_rows], n_items))
        inner = HeldOutRanking(users[held_rows], items[held_rows], seen, n_items, np.zeros(n_items))
        matrix = _interactions(users[fit_rows], items[fit_rows], n_items, int(users.max()) + 1)
        gram = _gram(matrix)
        rows = np.arange(len(held_rows))
        if len(rows) > EASE_TUNING_USERS:  # ranking every user's item costs users x items scores per λ
            rows = np.sort(np.random.default_rng(seed).choice(rows, EASE_TUNING_USERS, replace=False))
        scores = {}
        for lam in EASE_LAMBDAS:
            model = cls(_ease_weights(gram, lam), lam, matrix)
            scores[lam] = ranking_means(held_out_ranks(model.scores, inner, rows), k)[1]
        return max(EASE_LAMBDAS, key=lambda lam: scores[lam])

    def scores(self, user_codes: np.ndarray) -> torch.Tensor:
        """``(len(user_codes), n_items - 1)``: every real item's score for each user, as the ranking wants."""
        wanted = np.asarray(user_codes, dtype=np.int64)
        known = wanted < self.matrix.shape[0]  # a user with no training interaction scores nothing
        scores = np.zeros((len(wanted), len(self.weights)), dtype=np.float32)
        scores[known] = self.matrix[wanted[known]] @ self.weights
        return torch.from_numpy(scores)[:, 1:]

    @classmethod
    def fit_on(cls, ranking: HeldOutRanking, rows: np.ndarray, k: int = 10) -> tuple[EASE, np.ndarray]:
        """EASE fitted on a validation ranking's training interactions, and the places it gives the held-out
        items of ``rows`` (see :func:`~trainwell.collab.implicit.held_out_ranks`)."""
        from trainwell.collab.implicit import held_out_ranks

        n_items = int(ranking.n_items)
        users, items = np.divmod(np.asarray(ranking.seen, dtype=np.int64), n_items)
        model = cls.fit(users, items, n_items, k=k)
        return model, held_out_ranks(model.scores, ranking, rows)


def _interactions(users: np.ndarray, items: np.ndarray, n_items: int, n_users: int = 0) -> Any:
    """The users x items 0/1 matrix of the interactions, sparse (CSR)."""
    from scipy import sparse

    n_users = max(n_users, int(users.max()) + 1 if len(users) else 1)
    ones = np.ones(len(users), dtype=np.float32)
    matrix = sparse.csr_matrix((ones, (users, items)), shape=(n_users, n_items))
    matrix.data[:] = 1.0  # a repeated interaction counts once
    return matrix


def _gram(matrix: Any) -> np.ndarray:
    """``XᵀX``: how many users interacted with both items of each pair."""
    return np.asarray((matrix.T @ matrix).todense(), dtype=np.float64)


def _ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    # One inverse per λ: cheaper than an eigendecomposition shared by the four λ (4,000 items: 2.4 s against
    # 7.7 s for the decomposition alone, on 2 cores).
    inverse = np.linalg.inv(gram + lam * np.eye(len(gram)))  # (XᵀX + λI)⁻¹
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    weights[0, :] = 0.0  # the unknown item scores nothing and lends nothing
    weights[:, 0] = 0.0
    return weights.astype(np.float32)
