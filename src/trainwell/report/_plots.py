"""PNG plots drawn for the report only, returned as bytes (matplotlib's object API, no global pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from trainwell.report.importance import FeatureImportance

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Bars shown in the importance plot; the table below it lists every column.
MAX_BARS = 25


def importance_png(importances: Sequence[FeatureImportance], change: str) -> bytes:
    """Horizontal bars, most important on top, with the spread over repeats as error bars."""
    from matplotlib.figure import Figure

    shown = list(importances[:MAX_BARS])[::-1]
    figure = Figure(figsize=(7, max(2.5, 0.32 * len(shown) + 1.2)))
    axis = figure.add_subplot()
    positions = np.arange(len(shown))
    values = [item.importance for item in shown]
    colors = ["tab:blue" if value > 0 else "tab:gray" for value in values]
    axis.barh(positions, values, xerr=[item.std for item in shown], color=colors, capsize=2)
    axis.set_yticks(positions, labels=[item.column for item in shown])
    axis.axvline(0.0, color="black", linewidth=0.8)
    axis.set_xlabel(f"{change} when the column is shuffled")  # "drop in roc_auc", "rise in rmse"
    axis.set_title("Permutation feature importance")
    axis.grid(axis="x", alpha=0.3)
    return figure_png(figure)


def predicted_vs_actual_png(
    predicted: np.ndarray, actual: np.ndarray, title: str = "Predicted against actual"
) -> bytes:
    """Scatter of predictions against true values with the diagonal of perfect predictions (regression)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 5))
    axis = figure.add_subplot()
    axis.scatter(actual, predicted, s=8, alpha=0.5)
    low = float(min(actual.min(), predicted.min())) if len(actual) else 0.0
    high = float(max(actual.max(), predicted.max())) if len(actual) else 1.0
    axis.plot([low, high], [low, high], color="tab:red", linestyle="--", label="perfect")
    axis.set_xlabel("actual")
    axis.set_ylabel("predicted")
    compact_ticks(axis)
    axis.set_title(title)
    axis.legend()
    axis.grid(alpha=0.3)
    return figure_png(figure)


def compact_ticks(axis: Axes) -> None:
    """At most 6 ticks an axis, large values written short (``150k``, ``2.5M``): on a 5-inch plot,
    ``150000 200000 250000`` in full run into one another."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    for side in (axis.xaxis, axis.yaxis):
        side.set_major_locator(MaxNLocator(nbins=6))
        # Each label is written knowing the axis' other ticks: the decimals that tell neighbours apart.
        formatter = FuncFormatter(
            lambda value, _, ticks=side: compact_labels([*ticks.get_ticklocs(), value])[-1]
        )
        side.set_major_formatter(formatter)


def compact_labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels for ``ticks``: from 10,000 up in thousands, millions... with the decimals that tell
    neighbouring ticks apart (``100k 100.5k 101k``); smaller ticks as matplotlib would (``:g``)."""
    values = np.asarray(ticks, dtype=float)
    finite = values[np.isfinite(values)]
    largest = float(np.abs(finite).max()) if len(finite) else 0.0
    if largest < 1e4:
        return [f"{value:g}" for value in values]
    scale, suffix = next((s, x) for s, x in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")) if largest >= s)
    scaled = finite / scale
    # The fewest decimals that write every tick exactly, so neighbours never share a label.
    decimals = next((d for d in range(3) if np.allclose(scaled, np.round(scaled, d), rtol=0, atol=1e-9)), 3)
    return [f"{value / scale:.{decimals}f}{suffix}" if value else "0" for value in values]


def figure_png(figure: Figure) -> bytes:
    """A matplotlib figure as PNG bytes (100 dpi, tight bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()
