"""The baseline a recommender must beat: user and item biases, ``rating ≈ mean + b_user + b_item``.

Fitted by regularised alternating least squares (Koren 2010, "Factor in the neighbors", section 2.1; Surprise's
``BaselineOnly``): each user's bias is the shrunk mean of their residuals after the item biases, then each
item's after the user biases, for a few rounds. It knows who rates high and which items are liked, but nothing
about whose taste matches which item: what a factor model adds on top of it is the personal part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.data.categories import category_key
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["BiasBaseline", "BiasBaselineScore"]


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

    def before_fit(self, learn: Learner) -> None:
        train, valid = learn.data.train, learn.data.valid
        train_tensors, valid_tensors = getattr(train, "tensors", None), getattr(valid, "tensors", None)
        if train_tensors is None or valid_tensors is None:
            return
        (x_train, _, y_train), (x_valid, _, y_valid) = train_tensors, valid_tensors
        model = BiasBaseline.fit(x_train[:, 0].tolist(), x_train[:, 1].tolist(), y_train.double().numpy())
        predicted = model.predict(x_valid[:, 0].tolist(), x_valid[:, 1].tolist())
        self.value = float(np.sqrt(np.mean((predicted - y_valid.double().numpy()) ** 2)))

    def after_epoch(self, learn: Learner) -> None:
        if self.value is not None and learn.history and "valid_loss" in learn.history[-1]:
            learn.history[-1]["rmse_biases"] = self.value
