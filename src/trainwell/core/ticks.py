"""Tick labels people read at a glance and find in the text beside the plot: ``150k`` and ``2.5M``, ``2,500`` and
``0.25``; from 10 million up (:data:`~trainwell.core.numbers.COMPACT_FROM`) a power of ten on every tick, as the
report's text and the command line's tables write such figures (``2.5e9`` near a loss of ``1.955e9``, never
``2.5G`` beside it, nor ``1e9`` written once beside the axis nor ``3.5e+09`` under a tick).

matplotlib's default formatter writes a house price axis (15,000 to 500,001) either in full, ``150000 200000
250000`` running into one another on a 5-inch plot, or scaled by an offset, ``1e5`` in the corner that every tick
must be multiplied by. Every plot of values in a target's units (a regression's predictions, residuals, errors)
and of losses goes through :func:`compact_ticks`. matplotlib is imported inside the function, so importing this
module is free.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainwell.core.numbers import COMPACT_FROM

#: Ticks an axis holds at most, so that labels as long as ``-250k`` never touch.
MAX_TICKS = 6


def compact_ticks(axis: Any, sides: str = "xy", place: bool = True) -> None:
    """Tick labels by :func:`compact_labels` on each of ``sides`` (``"x"``, ``"y"`` or ``"xy"``) of a matplotlib
    ``axis``: no offset and no scientific notation whatever the values; with ``place``, at most
    :data:`MAX_TICKS` ticks too (``False`` keeps matplotlib's, whose steps of 1, 2, 2.5 or 5 suit a narrow
    range such as an R² of 0.74 to 0.81 better)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    for side in (axis.xaxis if "x" in sides else None, axis.yaxis if "y" in sides else None):
        if side is None:
            continue
        if place:
            side.set_major_locator(MaxNLocator(nbins=MAX_TICKS))
        # Each label is written knowing the axis' other ticks: the decimals that tell neighbours apart.
        formatter = FuncFormatter(_Labeller(side))
        # matplotlib hands every draw's tick locations to format_ticks: the labeller labels them from there, where
        # asking the axis for them (its locator run again) for every label was 0.14 s of the 1.0 s that drawing a
        # fit's curves took. An attribute of this formatter (picklable, as the figure is), not a subclass.
        setattr(formatter, "format_ticks", functools.partial(_label_set, formatter))  # noqa: B010
        side.set_major_formatter(formatter)


def _label_set(formatter: Any, values: Any) -> list[str]:
    """``formatter.format_ticks(values)`` of a :class:`_Labeller`'s formatter: the same labels, one set at once."""
    formatter.set_locs(values)
    return formatter.func.label_all(values)  # type: ignore[no-any-return]


class _Labeller:
    """``compact_labels`` of one axis' tick, the whole set's labels computed once per set of tick locations:
    matplotlib asks for every label at every draw (twice with a tight bounding box), and computing them afresh
    for each took 0.7 s of the 3.2 s that drawing a fit's curves took."""

    def __init__(self, side: Any) -> None:
        self.side = side
        self.locations: tuple[float, ...] | None = None
        self.labels: dict[float, str] = {}

    def __call__(self, value: float, _position: Any = None) -> str:
        return self._label(value, tuple(float(tick) for tick in self.side.get_ticklocs()))

    def label_all(self, values: Sequence[float]) -> list[str]:
        """The labels of a draw's ticks ``values``, the axis' tick locations (as ``__call__`` finds them)."""
        locations = tuple(float(tick) for tick in values)
        return [self._label(value, locations) for value in values]

    def _label(self, value: float, locations: tuple[float, ...]) -> str:
        if locations != self.locations:
            self.locations = locations
            self.labels = dict(zip(locations, compact_labels(locations), strict=True))
        label = self.labels.get(float(value))
        return label if label is not None else compact_labels([*locations, value])[-1]


def compact_labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels for ``ticks``: from 10,000 up in thousands and millions with the decimals that tell
    neighbouring ticks apart (``100k 100.5k 101k``); from 10 million up (:data:`COMPACT_FROM`, where
    :func:`~trainwell.core.numbers.compact` writes the text's figures) with a power of ten on each tick, the same
    for the whole axis (:func:`_shared_exponent`: ``2.5e9 5.0e9 ... 20.0e9``, where the text says ``1.955e9``);
    smaller ticks each with as many decimals, as matplotlib writes them, with thousands separators (``2,500``),
    tiny ones in plain decimals (``0.00002``, not ``2e-05``)."""
    values = np.asarray(ticks, dtype=float)
    finite = values[np.isfinite(values)]
    largest = float(np.abs(finite).max()) if len(finite) else 0.0
    if largest < 1e4:
        # The fewest decimals that write every tick as it is, the same for all (0.75 0.80 0.85, as matplotlib
        # writes them), with thousands separators (2,500), tiny ticks in plain decimals (0.00002, never 2e-05).
        decimals = next(
            (d for d in range(13) if np.allclose(finite, np.round(finite, d), rtol=1e-9, atol=0)), 12
        )
        return [f"{value + 0.0:,.{decimals}f}" for value in values]  # + 0.0: -0.0 written as 0
    if largest >= COMPACT_FROM:
        exponent = _shared_exponent(finite, largest)
        scale, suffix = 10.0**exponent, f"e{exponent}"
    else:
        scale, suffix = next((s, x) for s, x in ((1e6, "M"), (1e3, "k")) if largest >= s)
    decimals = _decimals(finite / scale)
    return [f"{value / scale:.{decimals}f}{suffix}" if value else "0" for value in values]


def _decimals(scaled: np.ndarray) -> int:
    """The fewest decimals (up to 3) that write every one of ``scaled`` exactly, so neighbours never share a
    label."""
    return next((d for d in range(3) if np.allclose(scaled, np.round(scaled, d), rtol=0, atol=1e-9)), 3)


def _shared_exponent(ticks: np.ndarray, largest: float) -> int:
    """The power of ten every one of ``ticks`` (reaching ``largest``, from 10 million up) is written with: the
    largest's (``0.5e9 1.0e9 ... 3.0e9``, as :func:`~trainwell.core.numbers.compact` gives a bound and its
    interval the larger one's), but one lower where the largest's mantissa is under 2.5 and the ticks need fewer
    decimals there: a loss falling from 2e10 to 2e9 reads ``2.5e9 5.0e9 ... 20.0e9``, its lower ticks as the
    text writes the losses there (``2.534e9``), not ``0.25e10 0.50e10``. One power for the axis, not each tick
    its own (``7.5e9 1.0e10``): the labels' lengths compare as the values do."""
    exponent = math.floor(math.log10(largest))
    if round(largest / 10.0**exponent, 9) >= 10:  # 9.99999999e9 is 1e10
        exponent += 1
    if round(largest / 10.0**exponent, 9) < 2.5 and _decimals(ticks / 10.0 ** (exponent - 1)) < _decimals(
        ticks / 10.0**exponent
    ):
        exponent -= 1
    return exponent
