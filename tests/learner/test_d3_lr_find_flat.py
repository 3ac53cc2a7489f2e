"""lr_find on a curve whose loss never falls clear of its batches' noise (a bag of n-grams on 600 SST-2
sentences): its lowest point, among the first rates, is noise, and a tenth or a hundredth of it fell below the
sweep (1.1e-08 from a sweep starting at 1e-07), a rate five epochs learned nothing at. The suggestion is read
from where the loss rises instead, said in a FlatSweep warning; a real valley reads as before."""

from __future__ import annotations

import math
import random

import pytest
import torch
from torch import nn

from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.learner.lr_find import SMOOTHING, FlatSweep, read_sweep, suggest


def _rates(n: int = 98) -> list[float]:
    return [1e-7 * (10.0 / 1e-7) ** (i / 99) for i in range(n)]


def _smoothed(raw: list[float]) -> list[float]:
    """The finder's bias-corrected average of ``raw``."""
    out, average = [], 0.0
    for step, value in enumerate(raw, 1):
        average = SMOOTHING * average + (1 - SMOOTHING) * value
        out.append(average / (1 - SMOOTHING**step))
    return out


# The smoothed losses of that sweep (tour 70, r_lrfind.py): 98 rates from 1e-07 by 1e8 ** (1 / 99); lowest, 0.6735,
# at 1.1e-06, the start 0.68 and the flat middle 0.69 about as far from it, the rise from 0.35 on.
SST_BAG = [
    0.6698, 0.6975, 0.6977, 0.6911, 0.6844, 0.6872, 0.6868, 0.6817, 0.6743, 0.6782, 0.6753, 0.6749, 0.6735,
    0.6735, 0.6753, 0.6761, 0.6804, 0.6824, 0.6857, 0.6849, 0.6849, 0.6848, 0.6842, 0.6856, 0.6842, 0.6854,
    0.6873, 0.6881, 0.6899, 0.6892, 0.6896, 0.6899, 0.6913, 0.6915, 0.6913, 0.6917, 0.6908, 0.6906, 0.6886,
    0.6884, 0.6873, 0.689, 0.6884, 0.6887, 0.688, 0.6887, 0.6887, 0.6898, 0.69, 0.6902, 0.6905, 0.6891, 0.6882,
    0.6882, 0.6877, 0.6893, 0.6896, 0.689, 0.6881, 0.6873, 0.6871, 0.6862, 0.686, 0.6853, 0.6859, 0.6865,
    0.6851, 0.6848, 0.6859, 0.685, 0.6856, 0.6846, 0.6833, 0.6833, 0.6831, 0.6846, 0.6816, 0.6827, 0.6844,
    0.6828, 0.6832, 0.6872, 0.6948, 0.7171, 0.7444, 0.8057, 0.8182, 0.9792, 0.9923, 1.0881, 1.1636, 1.3672,
    1.3573, 1.3635, 1.6243, 2.0439, 2.4782, 3.27,
]  # fmt: skip


def test_a_flat_curve_s_suggestion_is_in_the_sweep_and_read_where_the_loss_rises() -> None:
    lrs = _rates()
    reading = read_sweep(lrs, SST_BAG, 100.0)  # its batches read back from the average
    assert reading.flat
    assert reading.suggestion is not None and reading.minimum is not None
    # Before: the lowest point, 1.1e-06, over 100: 1.1e-08, below the sweep's 1e-07. Five epochs at it: ROC AUC
    # 0.51; at the suggestion now (2.9e-03) 0.58, the default 2e-03 0.57.
    assert reading.suggestion > 1e-4
    assert 0.1 < reading.minimum < 0.4 and reading.suggestion == pytest.approx(reading.minimum / 100)
    assert suggest(lrs, SST_BAG, 100.0) == (reading.suggestion, reading.steepest, reading.minimum)


def test_a_curve_of_noise_alone_gives_no_suggestion() -> None:
    rng = random.Random(1)
    lrs = _rates()
    raw = [1.0 + rng.gauss(0, 0.05) for _ in lrs]
    reading = read_sweep(lrs, _smoothed(raw), raw_losses=raw)
    assert reading.flat and reading.suggestion is None  # before: a tenth of wherever the noise was lowest


def test_a_real_valley_with_a_noisy_start_reads_as_before() -> None:
    rng = random.Random(2)
    lrs = _rates()
    # Noisy first points, then a fall of 0.5 from 1e-4 to its lowest near 1e-1, then divergence.
    raw = [
        1.0
        - 0.5 / (1 + math.exp(-3 * (math.log10(lr) + 2.5)))
        + max(0.0, math.log10(lr) + 1) ** 2 * 3
        + rng.gauss(0, 0.05 if i > 10 else 0.3)
        for i, lr in enumerate(lrs)
    ]
    smoothed = _smoothed(raw)
    suggestion, _, minimum = suggest(lrs, smoothed, 10.0, raw)
    assert minimum is not None and 1e-2 < minimum < 3e-1
    assert suggestion == pytest.approx(minimum / 10)
    assert not read_sweep(lrs, smoothed, 10.0, raw).flat


def test_a_valley_at_the_first_rates_is_not_divided_below_the_sweep() -> None:
    lrs = _rates()
    # A clean fall from the start to a low at 5e-7, then rising: a tenth of it would be 5e-8.
    raw = [1.0 - 0.5 * min(1.0, i / 16) + max(0, i - 16) * 0.05 for i in range(len(lrs))]
    suggestion, _, minimum = suggest(lrs, _smoothed(raw), 10.0, raw)
    assert minimum is not None and suggestion is not None
    assert suggestion >= lrs[len(lrs) // 10] > lrs[0]


def test_lr_find_says_when_its_curve_is_flat() -> None:
    torch.manual_seed(0)
    x = torch.zeros(160, 4)  # nothing to learn but a bias at its best already: the loss can only rise
    y = torch.arange(160) % 2
    learn = Learner(nn.Linear(4, 1), tensor_data(x, y.numpy(), batch_size=8, seed=0), progress=False)
    with pytest.warns(FlatSweep, match="did not fall clear of its batch-to-batch noise") as told:
        result = learn.lr_find(num_it=50)
    assert told[0].filename == __file__  # the caller's line, not trainwell's
    assert result.flat and (result.suggestion is None or result.suggestion >= result.lrs[0])
