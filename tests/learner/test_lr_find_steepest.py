"""The lr_find "steepest" point is looked for on the smoothed curve past its opening start-up noise: a marker there
reads as a rate to pick, four decades too small."""

from __future__ import annotations

import math
import random

from trainwell.learner.lr_find import suggest

# The smoothed losses (in units of 1e9 dollars squared) of tour T48's house-prices sweep: 89 rates from 1e-7 to
# 1.29, evenly spaced in log; the start-up wobble falls 1e9 in four points at 5e-7, the real descent is 1e-3..1e-1.
HOUSE_LOSSES_G = [
    17.794,
    17.834,
    17.574,
    19.798,
    17.477,
    16.295,
    17.991,
    18.064,
    17.029,
    16.302,
    16.087,
    16.099,
    16.112,
    16.313,
    16.423,
    16.369,
    16.440,
    16.413,
    16.527,
    16.533,
    16.148,
    15.908,
    16.130,
    16.075,
    15.988,
    15.712,
    15.613,
    15.329,
    15.223,
    15.505,
    15.589,
    15.523,
    15.415,
    15.415,
    15.347,
    15.505,
    15.473,
    15.406,
    15.254,
    15.208,
    15.236,
    15.219,
    15.441,
    15.685,
    15.458,
    15.299,
    15.010,
    15.037,
    14.853,
    14.577,
    14.689,
    14.526,
    14.276,
    14.007,
    14.017,
    13.970,
    13.952,
    13.928,
    13.676,
    13.591,
    13.424,
    13.333,
    13.230,
    13.060,
    13.014,
    12.828,
    12.770,
    12.594,
    12.619,
    12.603,
    12.486,
    12.478,
    12.297,
    12.338,
    12.259,
    12.426,
    12.498,
    12.655,
    12.813,
    12.850,
    13.025,
    13.490,
    13.643,
    14.146,
    14.291,
    14.961,
    20.821,
    26.315,
    1983.077,
]
HOUSE_LRS = [1e-7 * (1.2915496650148535 / 1e-7) ** (i / 88) for i in range(89)]


def test_the_steepest_point_of_a_noisy_start_is_in_the_real_descent() -> None:
    _suggestion, steepest, minimum = suggest(HOUSE_LRS, HOUSE_LOSSES_G)
    assert minimum is not None and 5e-2 < minimum < 2e-1
    # Before: 6.4e-7, on the wobble of the first points.
    assert steepest is not None and 1e-4 < steepest < 1e-1


def test_no_steepest_point_is_given_on_a_curve_that_is_only_noise() -> None:
    rng = random.Random(0)
    lrs = [1e-7 * 10 ** (i / 10) for i in range(80)]
    raw = [1.0 + rng.gauss(0, 0.05) for _ in lrs]
    smoothed, average = [], 0.0
    for step, value in enumerate(raw, 1):
        average = 0.98 * average + 0.02 * value
        smoothed.append(average / (1 - 0.98**step))
    assert all(math.isfinite(v) for v in smoothed)
    assert suggest(lrs, smoothed)[1] is None
