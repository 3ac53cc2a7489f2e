"""lr_find sweeps one step per batch even when the learner accumulates gradients (tour 61 #13: with
GradientAccumulation(4) the sweep stepped once every 4 batches it recorded, and its suggestion moved)."""

from __future__ import annotations

import torch
from callbacks_helpers import regression_data
from torch import nn

from trainwell.callbacks import GradientAccumulation
from trainwell.learner import Learner


def _sweep(callbacks: list) -> tuple[list[float], list[float]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    learn = Learner(
        model, regression_data(160, batch_size=16), progress=False, device="cpu", callbacks=callbacks
    )
    result = learn.lr_find(num_it=20)
    return list(result.lrs), list(result.losses)


def test_the_sweep_is_the_same_with_and_without_accumulation() -> None:
    plain_lrs, plain_losses = _sweep([])
    accumulated = GradientAccumulation(4)
    lrs, losses = _sweep([accumulated])
    assert lrs == plain_lrs and losses == plain_losses
    assert GradientAccumulation.runs_in_lr_find is False
