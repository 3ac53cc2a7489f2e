"""The order held-out rows are kept in: every prefix of it a fair sample of the whole.

A time budget that holds no whole validation pass reads the validation set's first batches
(``callbacks.budget``). Read in the files' order, those were a class or two: CIFAR-10's validation share of
``train/`` came out sorted by class folder, so ``fit cifar10 --time 90s`` scored its first 1,024 images, of
no deer at all, at a balanced accuracy of 0.12 (the full test set: 0.17); IMDB's CSV, 12,500 'neg' reviews then
12,500 'pos', gave a drawn validation share (its row positions sorted) whose first batch of 128 was all 'neg'.
Kept in :func:`fair_order`, each class comes in proportion from the first batch on; a whole pass scores the same
rows, so its results do not change, and the rows' own names are kept in the same order (an image's path, a
table's ``valid_index`` and row labels, a text's position), so each prediction still names its row.

Images (``vision.data``), texts (``text.data``), tables (``tabular.data``), ratings (``collab.data``) and arrays
(:func:`~trainwell.data.tensor_data`) use it for a validation split they drew or a validation set marked or given
as a file; rows the caller placed by position (``splits=``,
cross-validation's folds, arrays given as validation) keep the order given, and test rows keep the file's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["fair_order", "in_fair_order"]

#: Mixed into the seed, so that the order is not the draw that split the validation rows off.
_STREAM = 0x5EED0


def fair_order(labels: Sequence[Any], seed: int = 0, *, classes: bool = True) -> np.ndarray:
    """Positions of ``labels`` in an order whose every prefix holds each class in proportion: the classes
    interleaved, each one's rows in a seeded random order, so a prefix of ``k`` of ``n`` rows holds about
    ``count * k / n`` of a class (give or take one or two). Labels that are no single class (``classes=False``:
    numbers to predict; or a multi-label list) are shuffled alike (seeded), which is fair in expectation. Fixed
    for a ``seed``.

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
    if n == 0 or not classes or any(isinstance(label, list | tuple | set | np.ndarray) for label in labels):
        return shuffled
    members: dict[str, list[int]] = {}
    for index in shuffled.tolist():
        members.setdefault(str(labels[index]), []).append(index)
    # Each class's rows spread evenly over [0, 1), from a random start, then all sorted together: the j-th
    # row of a class of c rows sits at (j + start) / c.
    keys = np.empty(n, dtype=np.float64)
    for indices in members.values():
        count = len(indices)
        keys[indices] = (np.arange(count) + rng.random()) / count
    # Ties (classes of one size from the same start) broken by the shuffle, not by the files' order.
    rank = np.empty(n, dtype=np.int64)
    rank[shuffled] = np.arange(n)
    return np.lexsort((rank, keys))


def in_fair_order(rows: np.ndarray, labels: Sequence[Any] | None, seed: int = 0) -> np.ndarray:
    """``rows`` (positions in a table) in :func:`fair_order` of their ``labels`` (the whole table's classes, read
    by position; ``None``: no single class per row, a number or a set of labels, so the rows are shuffled): the
    same positions, so each still names its row."""
    rows = np.asarray(rows)
    if len(rows) < 2:
        return rows
    if labels is None:
        return rows[fair_order([None] * len(rows), seed, classes=False)]
    return rows[fair_order([labels[int(i)] for i in rows], seed)]
