"""Schedules: pure functions of training progress ``pct`` in [0, 1], returning a plain float.

A schedule knows nothing about optimizers or steps; a callback calls it with
``pct = step / total_steps`` and writes the value into the param groups. Progress outside [0, 1] is
clamped, so the last step (or one past it) is safe.

Building blocks: :func:`constant`, :func:`linear`, :func:`cosine`, :func:`exponential`, joined by
:func:`combine`. Recipes (multipliers of the peak learning rate): :func:`one_cycle_lr`, :func:`flat_cos`,
:func:`warmup_linear`, :func:`slanted_triangular`; and :func:`one_cycle_momentum` (absolute values).

Example:
    >>> schedule = one_cycle_lr(div=25.0, div_final=1e5, pct_start=0.25)
    >>> schedule(0.0), schedule(0.25), schedule(1.0)
    (0.04, 1.0, 1e-05)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from trainwell.core.errors import ConfigError

__all__ = [
    "Schedule",
    "combine",
    "constant",
    "cosine",
    "exponential",
    "flat_cos",
    "linear",
    "one_cycle_lr",
    "one_cycle_momentum",
    "slanted_triangular",
    "warmup_linear",
]

#: ``f(pct) -> value`` with ``pct`` the fraction of training done.
Schedule = Callable[[float], float]


def _clamp(pct: float) -> float:
    pct = float(pct)
    if math.isnan(pct):
        raise ConfigError("schedule progress pct is NaN; pass a number in [0, 1] (step / total_steps).")
    return min(max(pct, 0.0), 1.0)


def _check_number(value: float, what: str, low: float | None = None, high: float | None = None) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if ok and low is not None:
        ok = value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bounds = (
            f" in [{low}, {high}]"
            if low is not None and high is not None
            else (f" >= {low}" if low is not None else "")
        )
        raise ConfigError(f"{what} must be a finite number{bounds}, got {value!r}.")
    return float(value)


def _check_positive(value: float, what: str) -> float:
    if _check_number(value, what) <= 0:
        raise ConfigError(f"{what} must be > 0, got {value!r}.")
    return float(value)


def constant(value: float) -> Schedule:
    """Always ``value``."""
    value = _check_number(value, "constant value")

    def schedule(pct: float) -> float:
        _clamp(pct)
        return value

    return schedule


def linear(start: float, end: float) -> Schedule:
    """Straight line from ``start`` (pct 0) to ``end`` (pct 1)."""
    start, end = _check_number(start, "start"), _check_number(end, "end")

    def schedule(pct: float) -> float:
        pct = _clamp(pct)
        return start * (1.0 - pct) + end * pct  # exact at both ends

    return schedule


def cosine(start: float, end: float) -> Schedule:
    """Half cosine from ``start`` to ``end``: flat at both ends, steepest in the middle."""
    start, end = _check_number(start, "start"), _check_number(end, "end")

    def schedule(pct: float) -> float:
        weight = (1.0 - math.cos(math.pi * _clamp(pct))) / 2.0
        return start * (1.0 - weight) + end * weight  # exact at both ends

    return schedule


def exponential(start: float, end: float) -> Schedule:
    """Geometric interpolation ``start * (end / start) ** pct`` (both ends must be > 0); lr_find uses it."""
    start, end = _check_positive(start, "start"), _check_positive(end, "end")

    def schedule(pct: float) -> float:
        return start * (end / start) ** _clamp(pct)

    return schedule


def combine(pcts: Sequence[float], fns: Sequence[Schedule]) -> Schedule:
    """Join schedules one after another: phase ``i`` takes fraction ``pcts[i]`` of training.

    Each phase sees its own progress from 0 to 1. A ``pct`` on a boundary belongs to the later phase; at
    ``pct = 1`` the last non-empty phase is evaluated at its end.

    Args:
        pcts: Non-negative fractions summing to 1, one per schedule.
        fns: The schedules.

    Example:
        >>> warm_then_decay = combine([0.5, 0.5], [linear(0.0, 1.0), linear(1.0, 0.0)])
        >>> warm_then_decay(0.25), warm_then_decay(0.5), warm_then_decay(0.75)
        (0.5, 1.0, 0.5)
    """
    fractions = [_check_number(p, f"pcts[{i}]", 0.0, 1.0) for i, p in enumerate(pcts)]
    functions = list(fns)
    if not fractions or len(fractions) != len(functions):
        raise ConfigError(
            f"combine needs one fraction per schedule, got {len(fractions)} fractions and {len(functions)} "
            "schedules; pass equal-length non-empty lists."
        )
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise ConfigError(f"combine fractions must sum to 1, got {fractions} (sum {sum(fractions)}).")
    # Phase starts; the zero-length phases are dropped so they can never be selected.
    phases: list[tuple[float, float, Schedule]] = []
    start = 0.0
    for fraction, function in zip(fractions, functions, strict=True):
        if fraction > 0:
            phases.append((start, fraction, function))
        start += fraction

    def schedule(pct: float) -> float:
        pct = _clamp(pct)
        if pct == 1.0:  # rounding in the cumulative starts must not stop the last phase short of its end
            return float(phases[-1][2](1.0))
        for phase_start, fraction, function in reversed(phases):
            if pct >= phase_start:
                return float(function(min((pct - phase_start) / fraction, 1.0)))
        return float(phases[0][2](0.0))  # unreachable: the first phase starts at 0

    return schedule


def _check_pct_start(pct_start: float) -> float:
    return _check_number(pct_start, "pct_start", 0.0, 1.0)


def one_cycle_lr(
    div: float = 25.0, div_final: float = 1e5, pct_start: float = 0.25, anneal: str = "cos"
) -> Schedule:
    """Multiplier of the peak lr for the 1cycle policy (Smith 2018), with cosine phases (``anneal="linear"``:
    straight ones, the triangle the CIFAR-10 speed records use).

    Starts at ``1 / div``, rises to ``1.0`` at ``pct_start``, then anneals to ``1 / div_final`` at the end.
    """
    div, div_final = _check_positive(div, "div"), _check_positive(div_final, "div_final")
    pct_start = _check_pct_start(pct_start)
    shapes = {"cos": cosine, "linear": linear}
    if anneal not in shapes:
        raise ConfigError(f"anneal must be 'cos' or 'linear', got {anneal!r}")
    shape = shapes[anneal]
    return combine([pct_start, 1.0 - pct_start], [shape(1.0 / div, 1.0), shape(1.0, 1.0 / div_final)])


def one_cycle_momentum(high: float = 0.95, low: float = 0.85, pct_start: float = 0.25) -> Schedule:
    """Momentum (or Adam's beta1) for the 1cycle policy: ``high`` down to ``low`` at ``pct_start``, back up."""
    high, low = _check_number(high, "high", 0.0, 1.0), _check_number(low, "low", 0.0, 1.0)
    pct_start = _check_pct_start(pct_start)
    return combine([pct_start, 1.0 - pct_start], [cosine(high, low), cosine(low, high)])


def flat_cos(pct_start: float = 0.75, div_final: float = 1e5) -> Schedule:
    """Multiplier: ``1.0`` until ``pct_start``, then cosine down to ``1 / div_final``."""
    div_final = _check_positive(div_final, "div_final")
    pct_start = _check_pct_start(pct_start)
    return combine([pct_start, 1.0 - pct_start], [constant(1.0), cosine(1.0, 1.0 / div_final)])


def warmup_linear(pct_warmup: float = 0.1, end: float = 0.0) -> Schedule:
    """Multiplier: linear warm-up from 0 to 1 over ``pct_warmup``, then linear decay to ``end``.

    The schedule BERT-style fine-tuning uses.
    """
    end = _check_number(end, "end", 0.0)
    pct_warmup = _check_number(pct_warmup, "pct_warmup", 0.0, 1.0)
    return combine([pct_warmup, 1.0 - pct_warmup], [linear(0.0, 1.0), linear(1.0, end)])


def slanted_triangular(cut_frac: float = 0.1, ratio: float = 32.0) -> Schedule:
    """Multiplier for slanted triangular learning rates (Howard & Ruder 2018, ULMFiT, eq. 3).

    With ``p = pct / cut_frac`` while warming up and ``p = 1 - (pct - cut_frac) / (1 - cut_frac)`` after,
    the multiplier is ``(1 + p * (ratio - 1)) / ratio``: from ``1 / ratio`` up to 1 at ``cut_frac`` and back
    down to ``1 / ratio``.
    """
    cut_frac = _check_number(cut_frac, "cut_frac", 0.0, 1.0)
    ratio = _check_number(ratio, "ratio", 1.0)

    def schedule(pct: float) -> float:
        pct = _clamp(pct)
        if pct < cut_frac:
            p = pct / cut_frac
        else:
            p = 1.0 - (pct - cut_frac) / (1.0 - cut_frac) if cut_frac < 1.0 else 1.0
        return (1.0 + p * (ratio - 1.0)) / ratio

    return schedule
