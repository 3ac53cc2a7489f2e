"""Batches of tokenised texts: the order of an epoch's batches, and the loader of a text classifier's splits.

Every split is one flat ``int64`` array of ids with offsets; a batch is cut out of it with a few numpy gathers
(no per-text tensors, no collation):

- ``bag`` batches (``(ids, offsets, target)``, for :class:`~trainwell.text.models.NgramBag`): each text's
  token ids plus its hashed n-gram ids, ready for ``nn.EmbeddingBag``: no padding at all;
- ``padded`` batches (``(tokens (B, T), target)``, for sequence models): texts of similar length are put in the
  same batch by :func:`bucketed_order`, so padding wastes little compute.

Batch order is a pure function of ``(seed, epoch)``, so a run resumed mid-epoch sees the same batches. The
tagger's loader (:class:`~trainwell.text.tagging.data.TaggingLoader`) shares :class:`EpochBatches`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.text.recipe import BATCH_FORMATS, bag_batch, lengths_of, padded_batch
from trainwell.text.vocab import Vocab

__all__ = ["POOL_BATCHES", "EpochBatches", "TextLoader", "bucketed_order", "epoch_batches"]

#: Batches of a bucket pool: texts are sorted by length inside pools of this many batches.
POOL_BATCHES = 50


# ------------------------------------------------------------------------------------------ batch order
def bucketed_order(
    lengths: np.ndarray | Sequence[int],
    batch_size: int,
    seed: int,
    epoch: int = 0,
    *,
    drop_last: bool = False,
) -> list[np.ndarray]:
    """Row indices of each batch: shuffled, with texts of similar length batched together ("sort-ish").

    The rows are shuffled, cut into pools of :data:`POOL_BATCHES` batches, sorted by length inside each pool and
    cut into batches; the batches are then shuffled. Padding to a batch's longest text then costs little, and
    the order still changes every epoch. A pure function of ``(seed, epoch)``.
    """
    lengths = np.asarray(lengths)
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    pool = batch_size * POOL_BATCHES
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    if drop_last and len(batches) > 1:
        batches = [batch for batch in batches if len(batch) == batch_size] or batches
    return [batches[i] for i in rng.permutation(len(batches))]


def epoch_batches(loader: Any, lengths: np.ndarray) -> list[np.ndarray]:
    """The row indices of every batch of ``loader``'s current epoch: bucketed by ``lengths`` or in a plain
    (shuffled) order, and in a distributed job this process's share (every ``world_size``-th batch).

    ``loader`` supplies ``batch_size``, ``shuffle``, ``bucket``, ``drop_last``, ``seed``, ``epoch``, ``rank``,
    ``world_size`` and ``even`` (pad the list by wrapping so every process takes as many steps)."""
    n, size = len(lengths), loader.batch_size
    if loader.shuffle and loader.bucket:
        every = bucketed_order(lengths, size, loader.seed, loader.epoch, drop_last=loader.drop_last)
    else:
        order = (
            np.random.default_rng([loader.seed, loader.epoch]).permutation(n)
            if loader.shuffle
            else np.arange(n)
        )
        stop = n - n % size if loader.drop_last and n > size else n
        every = [order[start : start + size] for start in range(0, stop, size)]
    if loader.world_size == 1:
        return every
    if loader.even and len(every) % loader.world_size:
        missing = loader.world_size - len(every) % loader.world_size
        every = every + [every[i % len(every)] for i in range(missing)]
    return every[loader.rank :: loader.world_size]


LoaderT = TypeVar("LoaderT", bound="EpochBatches")


class EpochBatches:
    """What the text loaders share: an epoch's batches are :meth:`batches` (row indices, a pure function of the
    seed and the epoch), each built by :meth:`batch`; :meth:`new` copies the loader with some settings changed.

    A loader defines :meth:`batches`, :meth:`batch` and :meth:`_copy` (the same data, other settings)."""

    epoch: int
    device: torch.device
    batch_size: int
    shuffle: bool
    drop_last: bool
    #: This process's share of a distributed job: every ``world_size``-th batch from ``rank`` (``even``: as
    #: many batches in every process).
    rank: int
    world_size: int
    even: bool

    def batches(self) -> list[np.ndarray]:
        raise NotImplementedError

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def _copy(self: LoaderT, *, batch_size: int, shuffle: bool, drop_last: bool) -> LoaderT:
        """A loader of the same rows and settings but these, reading every batch from epoch 0."""
        raise NotImplementedError

    def new(
        self: LoaderT,
        *,
        batch_size: int | None = None,
        shuffle: bool | None = None,
        drop_last: bool | None = None,
        whole: bool = False,
    ) -> LoaderT:
        """A loader over the same rows with some settings changed (e.g. an ordered pass for predictions);
        ``whole=True`` reads every row in this process, whatever share this loader reads in a distributed job."""
        clone = self._copy(
            batch_size=batch_size or self.batch_size,
            shuffle=self.shuffle if shuffle is None else shuffle,
            drop_last=self.drop_last if drop_last is None else drop_last,
        )
        if not whole:
            clone.rank, clone.world_size, clone.even = self.rank, self.world_size, self.even
        return clone

    def __len__(self) -> int:
        return len(self.batches())

    def set_epoch(self, epoch: int) -> None:
        """Choose the order of the next pass (the Learner calls this before each epoch)."""
        self.epoch = int(epoch)

    def iter_from(self, start_batch: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        """Batches of the current epoch, skipping the first ``start_batch`` (to resume mid-epoch)."""
        for rows in self.batches()[start_batch:]:
            yield self.batch(rows)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return self.iter_from(0)

    def to(self: LoaderT, device: torch.device | str) -> LoaderT:
        """The same loader handing out batches on ``device``."""
        clone = self.new()
        clone.device = torch.device(device)
        clone.epoch = self.epoch
        return clone


class TextLoader(EpochBatches):
    """Batches of tokenised texts with their targets (see the module docstring for the two formats).

    Args:
        ids, offsets: every text's ids, flat (text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``).
        targets: the encoded targets, one row per text.
        batch_size: texts per batch.
        batch_format: ``"bag"`` or ``"padded"``.
        shuffle: a new order each epoch (training); natural order otherwise (predictions line up with rows).
        drop_last: drop a smaller last batch.
        seed: the order of epoch ``e`` is a pure function of ``(seed, e)``.
        pad_id: the padding id (padded format).
        bucket: batch texts of similar length (default: on for the padded format when shuffling).

    In a distributed job (``rank``/``world_size`` set by :func:`trainwell.distributed.distribute`), every
    process draws the same batches of an epoch and reads every ``world_size``-th one from its ``rank``; with
    ``even`` (training) the list is first padded by wrapping so all processes take as many steps.
    """

    def __init__(
        self,
        ids: np.ndarray,
        offsets: np.ndarray,
        targets: torch.Tensor,
        batch_size: int = 64,
        *,
        batch_format: str = "bag",
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        pad_id: int = Vocab.pad_id,
        bucket: bool | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        if batch_format not in BATCH_FORMATS:
            raise ConfigError(f"batch_format must be one of {', '.join(BATCH_FORMATS)}; got {batch_format!r}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be a positive whole number, got {batch_size}")
        if len(offsets) - 1 != len(targets):
            raise DataError(f"{len(offsets) - 1} texts but {len(targets)} targets; give one target per text")
        if len(targets) == 0:
            raise DataError("cannot build a loader over 0 texts")
        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        self.targets = targets
        self.batch_size = int(batch_size)
        self.batch_format = batch_format
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = int(seed)
        self.pad_id = pad_id
        self.bucket = (batch_format == "padded") if bucket is None else bucket
        self.device = torch.device(device)
        self.epoch = 0
        self.rank, self.world_size, self.even = 0, 1, True

    @property
    def n_rows(self) -> int:
        return len(self.targets)

    @property
    def lengths(self) -> np.ndarray:
        return lengths_of(self.offsets)

    def batches(self) -> list[np.ndarray]:
        """The row indices of every batch of the current epoch (this process's share in a distributed job)."""
        return epoch_batches(self, self.lengths)

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
        """The model inputs and targets of texts ``rows``."""
        target = self.targets[torch.from_numpy(rows)]
        if self.batch_format == "bag":
            inputs: tuple[torch.Tensor, ...] = bag_batch(self.ids, self.offsets, rows)
        else:
            inputs = (padded_batch(self.ids, self.offsets, rows, self.pad_id),)
        return tuple(t.to(self.device) for t in (*inputs, target))

    def _copy(self, *, batch_size: int, shuffle: bool, drop_last: bool) -> TextLoader:
        return TextLoader(
            self.ids,
            self.offsets,
            self.targets,
            batch_size,
            batch_format=self.batch_format,
            shuffle=shuffle,
            drop_last=drop_last,
            seed=self.seed,
            pad_id=self.pad_id,
            bucket=self.bucket,
            device=self.device,
        )
