"""A loader for data that fits in memory: batches are slices of whole tensors, not collated items.

Per epoch the tensors are permuted once (one gather each); every batch is then a contiguous slice, a view
that costs nothing. The permutation is a pure function of ``(seed, epoch)``, so a run resumed mid-epoch sees
exactly the batches it would have seen, and every process of a distributed job agrees on the order and can
take its own shard (``rank``/``world_size``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch

from trainwell.core.errors import ConfigError, DataError

Batch = tuple[torch.Tensor, ...]


class TensorLoader:
    """Iterate over ``tensors`` (same first dimension) in batches.

    Args:
        tensors: inputs followed by the target, e.g. ``(x_cat, x_cont, y)``.
        batch_size: rows per batch.
        shuffle: draw a new order every epoch (training); keep the order otherwise.
        drop_last: drop a last, smaller batch (useful with batch norm).
        seed: the order of epoch ``e`` is ``randperm`` seeded with ``seed + e``.
        rank, world_size: which shard this process reads in a distributed job.
        even: in a distributed job, pad the last shards by wrapping so every process reads as many rows (and
            takes as many steps: training needs it); ``False`` reads every row exactly once (exact validation
            metrics once the shards' results are combined).
        gather: ``"epoch"`` permutes whole tensors once per epoch (fastest for small rows); ``"batch"``
            gathers each batch's rows as it is read, so a memory-mapped tensor bigger than RAM is never copied
            whole (decoded image sets).
    """

    def __init__(
        self,
        tensors: Sequence[torch.Tensor],
        batch_size: int = 256,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        gather: str = "epoch",
        even: bool = True,
    ) -> None:
        if gather not in ("epoch", "batch"):
            raise ConfigError(f"gather must be 'epoch' or 'batch', got {gather!r}")
        if not tensors:
            raise ConfigError("TensorLoader needs at least one tensor")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size}")
        n = len(tensors[0])
        for position, tensor in enumerate(tensors):
            if len(tensor) != n:
                raise DataError(
                    f"tensor {position} has {len(tensor)} rows but tensor 0 has {n}; all must match"
                )
        if n == 0:
            raise DataError("cannot build a loader over 0 rows")
        self.tensors = tuple(tensors)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = int(seed)
        self.rank = rank
        self.world_size = world_size
        self.gather = gather
        self.even = even
        #: Where batches are delivered; with ``gather="batch"`` the tensors stay put and each batch moves.
        self.output_device: torch.device | None = None
        self.epoch = 0

    @property
    def n_rows(self) -> int:
        """Rows this process reads per epoch."""
        total = len(self.tensors[0])
        if self.world_size == 1:
            return total
        if self.even:
            return math.ceil(total / self.world_size)
        return len(range(self.rank, total, self.world_size))

    @property
    def device(self) -> torch.device:
        return self.tensors[0].device

    def __len__(self) -> int:
        if self.drop_last and self.n_rows >= self.batch_size:
            return self.n_rows // self.batch_size
        return math.ceil(self.n_rows / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Choose the order used by the next iteration (the Learner calls this before each epoch)."""
        self.epoch = int(epoch)

    def order(self) -> torch.Tensor | None:
        """Row indices of this epoch for this process, or ``None`` for the natural order."""
        total = len(self.tensors[0])
        if not self.shuffle and self.world_size == 1:
            return None
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            indices = torch.randperm(total, generator=generator)
        else:
            indices = torch.arange(total)
        if self.world_size > 1:
            if self.even:  # pad by wrapping so each rank gets the same number of rows, then stride
                padded = self.n_rows * self.world_size
                indices = torch.cat([indices, indices[: padded - total]])
            indices = indices[self.rank :: self.world_size]
        return indices

    def iter_from(self, start_batch: int = 0) -> Iterator[Batch]:
        """Batches of the current epoch, skipping the first ``start_batch`` (used to resume mid-epoch)."""
        indices = self.order()
        size = self.batch_size
        starts = range(start_batch * size, len(self) * size, size)
        if self.gather == "batch":
            for start in starts:
                if indices is None:
                    batch = tuple(t[start : start + size] for t in self.tensors)
                else:
                    batch = tuple(_rows(t, indices[start : start + size]) for t in self.tensors)
                target = self.output_device
                yield batch if target is None else tuple(t.to(target, non_blocking=True) for t in batch)
            return
        if indices is None:
            tensors = self.tensors
        else:
            indices = indices.to(self.device)
            tensors = tuple(t.index_select(0, indices) for t in self.tensors)
        for start in starts:
            yield tuple(t[start : start + size] for t in tensors)

    def __iter__(self) -> Iterator[Batch]:
        return self.iter_from(0)

    def to(self, device: torch.device | str) -> TensorLoader:
        """The same loader with its tensors moved to ``device`` once (not per batch)."""
        device = torch.device(device)
        if self.gather == "batch":
            # The whole set may not fit on the device (or in RAM: it may be memory-mapped): move batches only.
            clone = self.with_tensors(self.tensors)
            clone.output_device = None if device == self.device else device
            return clone
        if self.device == device:
            return self
        clone = self.with_tensors(tuple(t.to(device) for t in self.tensors))
        return clone

    def with_tensors(self, tensors: Sequence[torch.Tensor]) -> TensorLoader:
        clone = TensorLoader(
            tensors,
            self.batch_size,
            shuffle=self.shuffle,
            drop_last=self.drop_last,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world_size,
            gather=self.gather,
            even=self.even,
        )
        clone.epoch = self.epoch
        return clone

    def new(
        self,
        *,
        batch_size: int | None = None,
        shuffle: bool | None = None,
        drop_last: bool | None = None,
        whole: bool = False,
    ) -> TensorLoader:
        """A loader over the same tensors with some settings changed (e.g. an ordered pass for predictions);
        ``whole=True`` reads every row in this process, whatever shard this loader reads."""
        return TensorLoader(
            self.tensors,
            batch_size or self.batch_size,
            shuffle=self.shuffle if shuffle is None else shuffle,
            drop_last=self.drop_last if drop_last is None else drop_last,
            seed=self.seed,
            rank=0 if whole else self.rank,
            world_size=1 if whole else self.world_size,
            gather=self.gather,
            even=self.even,
        )


def _rows(tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """``tensor[indices]``, read in index order so a memory-mapped tensor is read as sequentially as it can."""
    order = torch.argsort(indices)
    picked = tensor.index_select(0, indices[order].to(tensor.device))
    return picked[torch.argsort(order).to(picked.device)]
