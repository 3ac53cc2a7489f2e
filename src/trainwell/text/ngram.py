"""The bar a neural language model must clear: an interpolated Kneser-Ney n-gram model over the same token ids.

Kneser and Ney (1995), interpolated as in Chen and Goodman (1999): the highest order discounts each observed
count by ``D`` and gives the mass it frees to the next order down, whose counts are *continuation* counts (how
many different words precede a word), down to a uniform distribution over the vocabulary. The discount of each
order is Ney's estimate ``D = n1 / (n1 + 2 n2)`` (``n1``, ``n2``: n-grams seen once, twice).

A trigram of this kind is the classic baseline for word-level language models: on Penn Treebank, published
interpolated Kneser-Ney trigrams score a test perplexity of about 150, against about 60 for an AWD-LSTM. The
model here counts with NumPy (sorted int64 keys), in seconds for a million tokens, and scores the same token
ids as the neural model, with the same vocabulary and the same unknown word, so the perplexities compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainwell.core.errors import ConfigError

__all__ = ["KneserNey"]


@dataclass
class _Order:
    """The counts of one order: ``(history, word)`` keys and their counts, and per history the total and the
    number of different words seen after it."""

    keys: np.ndarray
    counts: np.ndarray
    histories: np.ndarray
    totals: np.ndarray
    types: np.ndarray
    discount: float


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` at ``wanted`` keys, 0 where a key is absent."""
    if not len(sorted_keys):
        return np.zeros(len(wanted), dtype=values.dtype)
    position = np.searchsorted(sorted_keys, wanted).clip(max=len(sorted_keys) - 1)
    return np.where(sorted_keys[position] == wanted, values[position], 0)


def _grams(ids: np.ndarray, order: int, vocab_size: int) -> np.ndarray:
    """The int64 key of every ``order``-gram of ``ids``: ``((w1 V + w2) V + ...) V + wn``."""
    keys = np.zeros(len(ids) - order + 1, dtype=np.int64)
    for offset in range(order):
        keys = keys * vocab_size + ids[offset : len(ids) - order + 1 + offset]
    return keys


class KneserNey:
    """Interpolated Kneser-Ney over token ids ``0..vocab_size-1``.

    Example:
        >>> import numpy as np
        >>> model = KneserNey.fit(np.array([1, 2, 3, 1, 2, 3, 1, 2, 4]), vocab_size=5)
        >>> round(float(np.exp(model.log_probs(np.array([1, 2, 3]))[-1])), 2)  # "3" after "1 2": 2 times in 3
        0.64
    """

    def __init__(self, orders: list[_Order], vocab_size: int) -> None:
        self.orders = orders  # orders[k - 1] holds the k-grams
        self.vocab_size = vocab_size

    @property
    def order(self) -> int:
        return len(self.orders)

    @classmethod
    def fit(cls, ids: np.ndarray, vocab_size: int, order: int = 3) -> KneserNey:
        """Count the n-grams of the token stream ``ids`` (1-d ints below ``vocab_size``).

        Raises:
            ConfigError: ``order`` below 1, or so high that the keys would not fit in 64 bits.
        """
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ConfigError(f"order must be a whole number >= 1; got {order!r}")
        if vocab_size**order >= 2**62:
            raise ConfigError(
                f"an order-{order} model of {vocab_size} words does not fit 64-bit keys; lower order"
            )
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(ids) < order:
            raise ConfigError(f"{len(ids)} tokens are too few for an order-{order} model")
        orders: list[_Order] = []
        # The highest order counts occurrences; each lower order counts the different words seen before it.
        keys, counts = np.unique(_grams(ids, order, vocab_size), return_counts=True)
        for k in range(order, 0, -1):
            orders.append(_counted(keys, counts, k, vocab_size))
            if k > 1:
                suffixes = keys % vocab_size ** (k - 1)  # drop the first word: each distinct one counts once
                keys, counts = np.unique(suffixes, return_counts=True)
        return cls(orders[::-1], vocab_size)

    def log_probs(self, ids: np.ndarray) -> np.ndarray:
        """``log P(ids[t] | the order-1 words before it)`` for ``t = 1 .. len(ids) - 1`` (natural log); the
        first positions use what history they have."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        n = len(ids) - 1
        probabilities = np.empty(n, dtype=np.float64)
        for t_start in range(0, n, 1 << 20):
            targets = np.arange(1 + t_start, 1 + min(n, t_start + (1 << 20)))
            probabilities[t_start : t_start + len(targets)] = self._probabilities(ids, targets)
        return np.log(probabilities)

    def perplexity(self, ids: np.ndarray) -> float:
        """``exp`` of the mean negative log-probability of ``ids[1:]``."""
        return math.exp(-float(self.log_probs(ids).mean()))

    def _probabilities(self, ids: np.ndarray, targets: np.ndarray) -> np.ndarray:
        words = ids[targets]
        probability = np.full(len(targets), 1.0 / self.vocab_size)
        for k, counts in enumerate(self.orders, start=1):
            available = targets >= k - 1  # a history of k - 1 words exists before the target
            history = np.zeros(len(targets), dtype=np.int64)
            for offset in range(k - 1, 0, -1):
                history = history * self.vocab_size + ids[np.maximum(targets - offset, 0)]
            total = _lookup(counts.histories, counts.totals, history).astype(np.float64)
            types = _lookup(counts.histories, counts.types, history).astype(np.float64)
            seen = _lookup(counts.keys, counts.counts, history * self.vocab_size + words).astype(np.float64)
            known = available & (total > 0)
            safe = np.where(known, total, 1.0)
            mixed = (np.maximum(seen - counts.discount, 0.0) + counts.discount * types * probability) / safe
            probability = np.where(known, mixed, probability)
        return probability


def _counted(keys: np.ndarray, counts: np.ndarray, k: int, vocab_size: int) -> _Order:
    histories, inverse = np.unique(keys // vocab_size, return_inverse=True)
    totals = np.bincount(inverse, weights=counts, minlength=len(histories)).astype(np.int64)
    types = np.bincount(inverse, minlength=len(histories)).astype(np.int64)
    n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
    discount = n1 / (n1 + 2 * n2) if n1 + n2 else 0.75
    return _Order(
        keys, counts.astype(np.int64), histories, totals, types, float(min(max(discount, 0.05), 0.95))
    )
