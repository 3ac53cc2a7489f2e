"""Helpers of the recommendation tests: ratings drawn from a known low-rank model, and scores worked out by hand.

The synthetic ratings follow ``3 + user · item + user_bias + item_bias + noise`` with rank-2 factors, clipped
to the 1..5 scale: a factor model can recover them, a global mean cannot, and the generating factors say which
items are truly alike. Every fit on them takes a fraction of a second (2,000 ratings, single-threaded).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import process_support

N_USERS, N_ITEMS, N_RATINGS, RANK = 60, 40, 2_000, 2


@dataclass(frozen=True)
class LowRankRatings:
    """Ratings and the model that generated them (row ``u - 1`` of the factors is user ``u``; items alike)."""

    frame: pd.DataFrame
    user_factors: np.ndarray
    item_factors: np.ndarray
    user_bias: np.ndarray
    item_bias: np.ndarray

    def true_item_cosine(self, items: list[int]) -> np.ndarray:
        """Cosine similarity of the generating factors of ``items`` (ids), as a square matrix."""
        vectors = self.item_factors[np.asarray(items) - 1]
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return unit @ unit.T


def low_rank_ratings(
    seed: int = 0,
    *,
    n_users: int = N_USERS,
    n_items: int = N_ITEMS,
    n_ratings: int = N_RATINGS,
    rank: int = RANK,
    noise: float = 0.2,
) -> LowRankRatings:
    """``n_ratings`` distinct (user, item) pairs with ids from 1, rated by a biased rank-``rank`` model."""
    rng = np.random.default_rng(seed)
    user_factors = rng.normal(0.0, 1.0, (n_users, rank))
    item_factors = rng.normal(0.0, 1.0, (n_items, rank))
    user_bias = rng.normal(0.0, 0.4, n_users)
    item_bias = rng.normal(0.0, 0.6, n_items)
    pairs = rng.choice(n_users * n_items, n_ratings, replace=False)
    users, items = pairs // n_items, pairs % n_items
    raw = (user_factors[users] * item_factors[items]).sum(axis=1) + user_bias[users] + item_bias[items]
    rating = np.clip(3.0 + raw + rng.normal(0.0, noise, n_ratings), 1.0, 5.0).round(2)
    frame = pd.DataFrame({"user": users + 1, "item": items + 1, "rating": rating})
    return LowRankRatings(frame, user_factors, item_factors, user_bias, item_bias)


def liked_ratings(seed: int = 3, n_ratings: int = 1_500) -> pd.DataFrame:
    """Text labels ``liked``/``disliked`` from the sign of a low-rank score; items are titles (text ids)."""
    truth = low_rank_ratings(seed, n_ratings=n_ratings, noise=0.1)
    frame = truth.frame.rename(columns={"item": "movie"})
    frame["movie"] = [f"film {number:02d}" for number in frame["movie"]]
    frame["opinion"] = np.where(frame.pop("rating") >= 3.0, "liked", "disliked")
    return frame


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    difference = np.asarray(predicted, np.float64) - np.asarray(actual, np.float64)
    return float(np.sqrt(np.mean(difference**2)))


def _weights(module: object) -> np.ndarray:
    return module.weight.detach().double().numpy()  # type: ignore[attr-defined]


def average_user_scores(model: object, item_codes: np.ndarray) -> np.ndarray:
    """A DotBias's score of each item (by code) for the average known user, computed from the weights.

    The average user has the mean factors and the mean bias of the known users (rows 1 onwards); row 0 of
    the model is deliberately not read, so this checks what row 0 should hold.
    """
    codes = np.asarray(item_codes, dtype=np.int64)
    user = _weights(model.user_factors)[1:].mean(axis=0)  # type: ignore[attr-defined]
    user_bias = _weights(model.user_bias)[1:, 0].mean()  # type: ignore[attr-defined]
    items, item_bias = _weights(model.item_factors)[codes], _weights(model.item_bias)[codes, 0]  # type: ignore[attr-defined]
    return bounded(model, items @ user + user_bias + item_bias)


def pair_scores(model: object, user_codes: np.ndarray, item_codes: np.ndarray) -> np.ndarray:
    """A DotBias's score of (user, item) code pairs from its weights, row 0 included."""
    users, items = np.asarray(user_codes), np.asarray(item_codes)
    dot = (_weights(model.user_factors)[users] * _weights(model.item_factors)[items]).sum(axis=1)  # type: ignore[attr-defined]
    biases = _weights(model.user_bias)[users, 0] + _weights(model.item_bias)[items, 0]  # type: ignore[attr-defined]
    return bounded(model, dot + biases)


def bounded(model: object, raw: np.ndarray) -> np.ndarray:
    """``low + (high - low) * sigmoid(raw)`` with the model's ``y_range``; raw scores without one."""
    y_range = model.y_range  # type: ignore[attr-defined]
    if y_range is None:
        return raw
    low, high = y_range
    return low + (high - low) / (1.0 + np.exp(-raw))


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's correlation (no ties expected: continuous values)."""
    ranks_a = np.argsort(np.argsort(a)).astype(np.float64)
    ranks_b = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def run_trainwell(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``trainwell ARGS`` in a process of its own, as a user runs it."""
    return process_support.run_trainwell(*args, timeout=timeout)
