"""tensor_data(seed=None) takes the seed seed_everything set, so the split and the batch order vary with it
(tour 61 #5: for s in (1, 2): seed_everything(s); tensor_data(x, y) gave the same split and batches each time,
which the default seed=0 still does)."""

from __future__ import annotations

import numpy as np
import torch

from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data


def _split_and_first_batch(seed_all: int, **kwargs) -> tuple[list[int], list[float]]:
    x = torch.arange(40, dtype=torch.float32).reshape(20, 2)
    seed_everything(seed_all)
    data = tensor_data(x, x[:, 0], task="regression", valid_pct=0.25, batch_size=4, **kwargs)
    first_x, _ = next(iter(data.train))
    return data.valid_index.tolist(), first_x[:, 0].tolist()


def test_seed_none_follows_seed_everything() -> None:
    one, two = _split_and_first_batch(1, seed=None), _split_and_first_batch(2, seed=None)
    assert one[0] != two[0] and one[1] != two[1]
    assert _split_and_first_batch(1, seed=None) == one  # the same global seed, the same split and order
    seed_everything(1)
    before = torch.get_rng_state()
    tensor_data(torch.zeros(10, 2), np.arange(10.0), task="regression", seed=None)
    assert torch.equal(torch.get_rng_state(), before)  # read, not drawn: the initial weights stay the same


def test_the_default_seed_still_fixes_them() -> None:
    assert _split_and_first_batch(1) == _split_and_first_batch(2)
