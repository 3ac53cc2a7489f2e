"""Schedules: pure f(pct) -> float, checked at their ends, turning points and against the papers' formulas."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trainwell.core.errors import ConfigError
from trainwell.optim import (
    combine,
    constant,
    cosine,
    exponential,
    flat_cos,
    linear,
    one_cycle_lr,
    one_cycle_momentum,
    slanted_triangular,
    warmup_linear,
)

GRID = [i / 200 for i in range(201)]


def is_monotone(values: list[float], increasing: bool) -> bool:
    pairs = list(itertools.pairwise(values))
    return all(b >= a for a, b in pairs) if increasing else all(b <= a for a, b in pairs)


def test_building_blocks_ends_and_midpoints() -> None:
    assert (linear(2.0, 4.0)(0.0), linear(2.0, 4.0)(0.5), linear(2.0, 4.0)(1.0)) == (2.0, 3.0, 4.0)
    assert (cosine(0.3, 1e-5)(0.0), cosine(0.3, 1e-5)(1.0)) == (0.3, 1e-5)
    assert cosine(1.0, 3.0)(0.5) == pytest.approx(2.0, abs=1e-15)
    assert cosine(1.0, 3.0)(0.25) == pytest.approx(1.0 + 2.0 * (1 - math.cos(math.pi / 4)) / 2)
    assert exponential(1e-7, 10.0)(0.0) == pytest.approx(1e-7, rel=1e-15)
    assert exponential(1e-7, 10.0)(1.0) == pytest.approx(10.0, rel=1e-12)
    assert exponential(1e-6, 1e-2)(0.5) == pytest.approx(1e-4, rel=1e-12)
    assert constant(0.7)(0.3) == 0.7
    assert is_monotone([cosine(5.0, 1.0)(p) for p in GRID], increasing=False)
    assert is_monotone([exponential(1e-3, 1.0)(p) for p in GRID], increasing=True)


def test_values_are_python_floats_and_pct_is_clamped() -> None:
    schedules = [linear(0, 1), cosine(1, 0), exponential(1, 2), constant(1), one_cycle_lr(), one_cycle_momentum(),
                 flat_cos(), warmup_linear(), slanted_triangular()]  # fmt: skip
    for schedule in schedules:
        for pct in (0.0, 0.4, 1.0, np.float32(0.4), 1):
            assert type(schedule(pct)) is float
        assert schedule(-0.5) == schedule(0.0)
        assert schedule(1.7) == schedule(1.0)
        with pytest.raises(ConfigError, match="pct is NaN"):
            schedule(float("nan"))


def test_combine_phases() -> None:
    schedule = combine([0.25, 0.5, 0.25], [linear(0.0, 1.0), constant(1.0), linear(1.0, 0.5)])
    assert [schedule(p) for p in (0.0, 0.125, 0.25, 0.5, 0.75, 0.875, 1.0)] == [
        0.0,
        0.5,
        1.0,
        1.0,
        1.0,
        0.75,
        0.5,
    ]
    empty_first = combine([0.0, 1.0], [constant(9.0), linear(1.0, 2.0)])
    assert (empty_first(0.0), empty_first(1.0)) == (1.0, 2.0)
    with pytest.raises(ConfigError, match="must sum to 1"):
        combine([0.5, 0.6], [constant(1), constant(2)])
    with pytest.raises(ConfigError, match="one fraction per schedule, got 2 fractions and 1 schedules"):
        combine([0.5, 0.5], [constant(1)])


@pytest.mark.parametrize(("div", "div_final", "pct_start"), [(25.0, 1e5, 0.25), (10.0, 1e4, 0.3)])
def test_one_cycle_lr(div: float, div_final: float, pct_start: float) -> None:
    schedule = one_cycle_lr(div=div, div_final=div_final, pct_start=pct_start)
    assert schedule(0.0) == 1 / div
    assert schedule(pct_start) == 1.0
    assert schedule(1.0) == 1 / div_final
    warm = [p for p in GRID if p <= pct_start]
    anneal = [p for p in GRID if p >= pct_start]
    assert is_monotone([schedule(p) for p in warm], increasing=True)
    assert is_monotone([schedule(p) for p in anneal], increasing=False)
    assert max(schedule(p) for p in GRID) == 1.0
    # Halfway through the warm-up a cosine is at the mean of its ends.
    assert schedule(pct_start / 2) == pytest.approx((1 / div + 1.0) / 2)


def test_one_cycle_momentum_goes_down_then_up() -> None:
    schedule = one_cycle_momentum(high=0.95, low=0.85, pct_start=0.25)
    assert (schedule(0.0), schedule(0.25), schedule(1.0)) == (0.95, 0.85, 0.95)
    assert schedule(0.625) == pytest.approx(0.90)
    assert is_monotone([schedule(p) for p in GRID if p <= 0.25], increasing=False)
    assert is_monotone([schedule(p) for p in GRID if p >= 0.25], increasing=True)


def test_flat_cos() -> None:
    schedule = flat_cos(pct_start=0.75, div_final=1e5)
    assert all(schedule(p) == 1.0 for p in GRID if p <= 0.75)
    assert schedule(1.0) == 1e-5
    assert schedule(0.875) == pytest.approx((1.0 + 1e-5) / 2)
    assert is_monotone([schedule(p) for p in GRID], increasing=False)


def test_warmup_linear() -> None:
    schedule = warmup_linear(pct_warmup=0.1, end=0.0)
    assert [schedule(p) for p in (0.0, 0.05, 0.1, 0.55, 1.0)] == pytest.approx([0.0, 0.5, 1.0, 0.5, 0.0])


@pytest.mark.parametrize(("cut_frac", "ratio"), [(0.1, 32.0), (0.25, 10.0)])
def test_slanted_triangular_matches_ulmfit_equation_3(cut_frac: float, ratio: float) -> None:
    """eta_t / eta_max from Howard & Ruder 2018 eq. 3, written over integer iterations t of T."""
    total = 1000
    cut = math.floor(total * cut_frac)
    schedule = slanted_triangular(cut_frac=cut_frac, ratio=ratio)
    for t in range(total + 1):
        p = t / cut if t < cut else 1 - (t - cut) / (cut * (1 / cut_frac - 1))
        assert schedule(t / total) == pytest.approx((1 + p * (ratio - 1)) / ratio, rel=1e-9, abs=1e-12)
    assert schedule(0.0) == pytest.approx(1 / ratio) and schedule(cut_frac) == 1.0
    assert schedule(1.0) == pytest.approx(1 / ratio)


def test_invalid_arguments_are_named() -> None:
    with pytest.raises(ConfigError, match=r"pct_start must be a finite number in \[0.0, 1.0\], got 1.5"):
        one_cycle_lr(pct_start=1.5)
    with pytest.raises(ConfigError, match="div must be > 0, got 0"):
        one_cycle_lr(div=0)
    with pytest.raises(ConfigError, match="start must be > 0, got -1"):
        exponential(-1, 1)
    with pytest.raises(ConfigError, match=r"ratio must be a finite number >= 1\.0, got 0\.5"):
        slanted_triangular(ratio=0.5)


def test_one_cycle_can_anneal_in_straight_lines() -> None:
    """The speed records' triangle: straight up to the peak at pct_start, straight down to 1/div_final."""
    triangle = one_cycle_lr(div=5.0, div_final=1 / 0.07, pct_start=0.25, anneal="linear")
    assert triangle(0.0) == pytest.approx(0.2) and triangle(0.125) == pytest.approx(0.6)
    assert triangle(0.25) == pytest.approx(1.0) and triangle(1.0) == pytest.approx(0.07)
    assert triangle(0.625) == pytest.approx((1.0 + 0.07) / 2)  # half way down, where a cosine is too
    assert triangle(0.4) < one_cycle_lr(div=5.0, div_final=1 / 0.07, pct_start=0.25)(
        0.4
    )  # a cosine stays higher
    with pytest.raises(ConfigError, match="anneal must be 'cos' or 'linear'"):
        one_cycle_lr(anneal="step")
