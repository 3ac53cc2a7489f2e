"""TensorLoader: slices that cover every row once, an order fixed by (seed, epoch), resumption and shards."""

from __future__ import annotations

import math

import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data import TensorLoader


def rows_loader(n_rows: int = 10, batch_size: int = 4, **options: object) -> TensorLoader:
    """Two tensors whose rows name themselves, so every batch can be checked row by row."""
    ids = torch.arange(n_rows)
    return TensorLoader((ids, ids * 10.0), batch_size, **options)  # type: ignore[arg-type]


def epoch_ids(loader: TensorLoader) -> list[int]:
    return [i for batch in loader for i in batch[0].tolist()]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize(("n_rows", "batch_size"), [(10, 4), (12, 4), (3, 8), (1, 1)])
def test_every_row_once_per_epoch_in_batches_of_the_right_size(
    shuffle: bool, n_rows: int, batch_size: int
) -> None:
    loader = rows_loader(n_rows, batch_size, shuffle=shuffle)
    batches = list(loader)
    assert len(batches) == len(loader) == math.ceil(n_rows / batch_size)
    assert [len(b[0]) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert sorted(epoch_ids(loader)) == list(range(n_rows))
    for ids, tens in batches:  # tensors stay aligned row by row
        assert torch.equal(tens, ids * 10.0)
    if not shuffle:
        assert epoch_ids(loader) == list(range(n_rows))


def test_batches_are_views_when_not_shuffled() -> None:
    loader = rows_loader(10, 4)
    first = next(iter(loader))[0]
    assert first.data_ptr() == loader.tensors[0].data_ptr()


def test_order_depends_only_on_seed_and_epoch() -> None:
    a, b = rows_loader(50, 8, shuffle=True, seed=7), rows_loader(50, 8, shuffle=True, seed=7)
    torch.manual_seed(0)
    a.set_epoch(3)
    first = epoch_ids(a)
    torch.manual_seed(123)  # the global RNG plays no part
    epoch_ids(b)  # nor does how often a loader was iterated before
    b.set_epoch(3)
    assert epoch_ids(b) == first
    assert epoch_ids(a) == first  # iterating again without set_epoch repeats the epoch
    expected = torch.randperm(50, generator=torch.Generator().manual_seed(7 + 3)).tolist()
    assert first == expected  # the documented rule: randperm seeded with seed + epoch


def test_different_epochs_and_seeds_give_different_orders() -> None:
    loader = rows_loader(50, 8, shuffle=True, seed=1)
    orders = []
    for epoch in range(3):
        loader.set_epoch(epoch)
        orders.append(epoch_ids(loader))
    assert len({tuple(order) for order in orders}) == 3
    other = rows_loader(50, 8, shuffle=True, seed=2)
    assert epoch_ids(other) != orders[0]


@pytest.mark.parametrize("start", [0, 1, 2, 3, 5])
def test_iter_from_is_the_tail_of_a_full_epoch(start: int) -> None:
    loader = rows_loader(10, 3, shuffle=True, seed=4)
    loader.set_epoch(2)
    full = list(loader)
    tail = list(loader.iter_from(start))
    assert len(tail) == max(0, len(full) - start)
    for got, expected in zip(tail, full[start:], strict=True):
        assert all(torch.equal(g, e) for g, e in zip(got, expected, strict=True))


@pytest.mark.parametrize(("n_rows", "batch_size", "n_batches"), [(10, 4, 2), (12, 4, 3), (3, 8, 1)])
def test_drop_last(n_rows: int, batch_size: int, n_batches: int) -> None:
    loader = rows_loader(n_rows, batch_size, shuffle=True, drop_last=True)
    batches = list(loader)
    assert len(batches) == len(loader) == n_batches
    ids = epoch_ids(loader)
    assert len(set(ids)) == len(ids)
    if n_rows >= batch_size:  # a set smaller than one batch keeps its only batch
        assert all(len(b[0]) == batch_size for b in batches)
        assert len(ids) == n_batches * batch_size


@pytest.mark.parametrize("shuffle", [False, True])
def test_two_shards_are_disjoint_and_cover_every_row(shuffle: bool) -> None:
    shards = [rows_loader(12, 4, shuffle=shuffle, seed=5, rank=rank, world_size=2) for rank in range(2)]
    for shard in shards:
        shard.set_epoch(1)
    ids = [epoch_ids(shard) for shard in shards]
    assert set(ids[0]).isdisjoint(ids[1])
    assert sorted(ids[0] + ids[1]) == list(range(12))
    assert [len(shard) for shard in shards] == [2, 2]
    assert [shard.n_rows for shard in shards] == [6, 6]


def test_uneven_shards_wrap_around_to_the_same_size() -> None:
    shards = [rows_loader(11, 4, shuffle=True, rank=rank, world_size=2) for rank in range(2)]
    ids = [epoch_ids(shard) for shard in shards]
    assert [len(i) for i in ids] == [6, 6]
    assert set(ids[0]) | set(ids[1]) == set(range(11))
    assert len(ids[0]) + len(ids[1]) - len(set(ids[0]) | set(ids[1])) == 1  # one row read twice


def test_new_and_to_keep_the_data() -> None:
    loader = rows_loader(10, 4, shuffle=True, seed=3)
    ordered = loader.new(shuffle=False, batch_size=5)
    assert (ordered.shuffle, ordered.batch_size, ordered.seed) == (False, 5, 3)
    assert epoch_ids(ordered) == list(range(10))
    assert loader.to("cpu") is loader
    loader.set_epoch(4)
    moved = loader.with_tensors(loader.tensors)
    assert moved.epoch == 4 and epoch_ids(moved) == epoch_ids(loader)
    assert loader.device == torch.device("cpu")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ConfigError, match="TensorLoader needs at least one tensor"):
        TensorLoader(())
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, got 0"):
        rows_loader(10, 0)
    with pytest.raises(DataError, match="tensor 1 has 3 rows but tensor 0 has 4; all must match"):
        TensorLoader((torch.zeros(4), torch.zeros(3)))
    with pytest.raises(DataError, match="cannot build a loader over 0 rows"):
        TensorLoader((torch.zeros(0),))


@pytest.mark.parametrize("shuffle", [True, False])
def test_gathering_per_batch_gives_the_same_batches_as_per_epoch(shuffle: bool) -> None:
    x = torch.arange(103 * 2).reshape(103, 2)
    y = torch.arange(103)
    whole = TensorLoader((x, y), 10, shuffle=shuffle, seed=3)
    lazy = TensorLoader((x, y), 10, shuffle=shuffle, seed=3, gather="batch")
    for epoch in (0, 1):
        whole.set_epoch(epoch)
        lazy.set_epoch(epoch)
        for a, b in zip(whole.iter_from(2), lazy.iter_from(2), strict=True):
            assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


def test_per_batch_gathering_reads_a_memory_mapped_array_without_copying_it(tmp_path) -> None:
    import numpy as np

    path = tmp_path / "x.npy"
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(50, 4))
    array[:] = np.arange(50, dtype=np.uint8)[:, None]
    array.flush()
    mapped = torch.from_numpy(np.load(path, mmap_mode="c"))
    loader = TensorLoader((mapped, torch.arange(50)), 8, shuffle=True, gather="batch").to("cpu")
    seen = torch.cat([images[:, 0].long() for images, _ in loader])
    assert sorted(seen.tolist()) == list(range(50))
    with pytest.raises(ConfigError, match="gather"):
        TensorLoader((mapped,), 8, gather="sometimes")
