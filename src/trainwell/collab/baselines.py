"""The baseline a recommender must beat: user and item biases, ``rating ≈ mean + b_user + b_item``.

Fitted by regularised alternating least squares (Koren 2010, "Factor in the neighbors", section 2.1; Surprise's
``BaselineOnly``): each user's bias is the shrunk mean of their residuals after the item biases, then each
item's after the user biases, for a few rounds. It knows who rates high and which items are liked, but nothing
about whose taste matches which item: what a factor model adds on top of it is the personal part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trainwell.data.categories import category_key

__all__ = ["BiasBaseline"]


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
