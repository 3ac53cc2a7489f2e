"""The order the validation images are kept in: every prefix of it a fair sample of the whole.

A time budget that holds no whole validation pass reads the validation set's first batches
(``callbacks.budget``). Read in the files' order, those were a class or two: CIFAR-10's validation share of
``train/`` came out sorted by class folder, so ``fit cifar10 --time 90s`` scored its first 1,024 images, of
no deer at all, at a balanced accuracy of 0.12 (the full test set: 0.17) and said that always answering 'deer'
would score 0%. Kept in :func:`fair_order`, each class comes in proportion from the first batch on; a whole
pass scores the same rows, so its results do not change, and the file paths are kept in the same order, so
each prediction still names its file (top losses, occlusion).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["fair_order"]

#: Mixed into the seed, so that the order is not the draw that split the validation images off.
_STREAM = 0x5EED0


def fair_order(labels: Sequence[Any], seed: int = 0, *, classes: bool = True) -> np.ndarray:
    """Positions of ``labels`` in an order whose every prefix holds each class in proportion: the classes
    interleaved, each one's images in a seeded random order, so a prefix of ``k`` of ``n`` images holds
    about ``count * k / n`` of a class (give or take one or two). Labels that are no single class (``classes=False``: numbers
    to predict; or a multi-label list) are shuffled alike (seeded), which is fair in expectation. Fixed for a
    ``seed``.

    Example:
        >>> labels = ["a"] * 6 + ["b"] * 3 + ["c"] * 3
        >>> order = fair_order(labels, seed=0)
        >>> sorted(order.tolist()) == list(range(12))
        True
        >>> sorted(labels[i] for i in order[:4])
        ['a', 'a', 'b', 'c']
    """
    n = len(labels)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, _STREAM])
    shuffled = rng.permutation(n)
    if n == 0 or not classes or any(isinstance(label, list | tuple | np.ndarray) for label in labels):
        return shuffled
    members: dict[str, list[int]] = {}
    for index in shuffled.tolist():
        members.setdefault(str(labels[index]), []).append(index)
    # Each class's images spread evenly over [0, 1), from a random start, then all sorted together: the j-th
    # image of a class of c images sits at (j + start) / c.
    keys = np.empty(n, dtype=np.float64)
    for indices in members.values():
        count = len(indices)
        keys[indices] = (np.arange(count) + rng.random()) / count
    # Ties (classes of one size from the same start) broken by the shuffle, not by the files' order.
    rank = np.empty(n, dtype=np.int64)
    rank[shuffled] = np.arange(n)
    return np.lexsort((rank, keys))
