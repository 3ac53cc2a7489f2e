"""PNG plots of a regression interpretation (matplotlib Agg, saved atomically), each returned as a
:class:`~trainwell.core.plot_file.PlotFile`: a ``Path`` that Jupyter shows inline.

Every figure draws one panel per chosen target (``columns``), so a model of several targets is read at a glance
and a model of one gets one plain panel. Values in the target's units are written as people read them: axes by
:func:`~trainwell.core.ticks.compact_ticks` (``150k``, never a ``1e5`` offset), titles, bins and tables by
:func:`~trainwell.interpret._plots.number_text` (``51,580``, never ``5.158e+04``).

``owner`` is what a plot is of, for the warning when a plot under its default name replaces another model's
(:func:`~trainwell.core.plot_file.warn_if_replacing`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.plot_file import PlotFile, warn_if_replacing
from trainwell.core.ticks import compact_ticks
from trainwell.interpret._plots import (
    MAX_ROW_COLUMNS,
    ROW_COLUMN_CHARS,
    _label_header,
    _short,
    number_text,
    table_figure,
)
from trainwell.learner.plots import _pyplot, _save

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.interpret.regression import RegressionInterpretation

_OWNER = "model or data set"
#: Past this many points a scatter's markers shrink and fade, so dense regions still read as dense.
_DENSE_POINTS = 2000


def _panels(n: int, inches: float = 4.2) -> tuple[Any, Any, list[Any]]:
    plt = _pyplot()
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(inches * cols, inches * rows), squeeze=False)
    flat = list(axes.flat)
    for axis in flat[n:]:
        axis.axis("off")
    return figure, axes, flat[:n]


def _scatter_style(n_points: int) -> dict[str, Any]:
    dense = n_points > _DENSE_POINTS
    return {"s": 6 if dense else 14, "alpha": 0.25 if dense else 0.6, "rasterized": dense}


def _finish(figure: Any, path: Path, owner: object | None, default_name: str, what: str) -> PlotFile:
    figure.tight_layout()
    if owner is not None:
        warn_if_replacing(path, owner=owner, default_name=default_name, what=what, of=_OWNER)
    return _save(figure, path)


def predicted_vs_actual_figure(interp: RegressionInterpretation, columns: Sequence[int]) -> Any:
    """Predicted (y) against actual (x) per target, with ``y = x`` over the range both span."""
    figure, _, axes = _panels(len(columns))
    summary = interp.summary()
    for axis, column in zip(axes, columns, strict=True):
        name = interp.targets[column]
        actual, predicted = interp.actual[:, column], interp.predicted[:, column]
        axis.scatter(actual, predicted, color="tab:blue", **_scatter_style(len(actual)))
        low = float(min(actual.min(), predicted.min()))
        high = float(max(actual.max(), predicted.max()))
        axis.plot([low, high], [low, high], linestyle="--", color="gray", label="exact (y = x)")
        compact_ticks(axis)
        axis.set_xlabel(f"actual {name}")
        axis.set_ylabel(f"predicted {name}")
        figures = summary.loc[name]
        axis.set_title(f"{name}: RMSE {number_text(figures['rmse'])}, R² {figures['r2']:.3f}", fontsize=10)
        axis.legend(loc="upper left", frameon=False, fontsize=8)
        axis.grid(alpha=0.3)
    return figure


def plot_predicted_vs_actual(
    interp: RegressionInterpretation, columns: Sequence[int], path: Path, *, owner: object | None = None
) -> PlotFile:
    """:func:`predicted_vs_actual_figure` saved to ``path``."""
    return _finish(
        predicted_vs_actual_figure(interp, columns),
        path,
        owner,
        "predicted_vs_actual.png",
        "predicted-against-actual plot",
    )


def residuals_figure(interp: RegressionInterpretation, columns: Sequence[int]) -> Any:
    """Residual (``actual - predicted``, y) against predicted (x) per target, with the zero line."""
    figure, _, axes = _panels(len(columns))
    for axis, column in zip(axes, columns, strict=True):
        name = interp.targets[column]
        predicted = interp.predicted[:, column]
        residual = interp.actual[:, column] - predicted
        axis.scatter(predicted, residual, color="tab:orange", **_scatter_style(len(residual)))
        axis.axhline(0.0, linestyle="--", color="gray")
        compact_ticks(axis)
        axis.set_xlabel(f"predicted {name}")
        axis.set_ylabel("residual (actual - predicted)")
        axis.set_title(f"{name}: above 0 = predicted too low", fontsize=10)
        axis.grid(alpha=0.3)
    return figure


def plot_residuals(
    interp: RegressionInterpretation, columns: Sequence[int], path: Path, *, owner: object | None = None
) -> PlotFile:
    """:func:`residuals_figure` saved to ``path``."""
    return _finish(residuals_figure(interp, columns), path, owner, "residuals.png", "residual plot")


def plot_residual_histogram(
    interp: RegressionInterpretation,
    columns: Sequence[int],
    path: Path,
    bins: int,
    *,
    owner: object | None = None,
) -> PlotFile:
    """:func:`residual_histogram_figure` saved to ``path``."""
    figure = residual_histogram_figure(interp, columns, bins)
    return _finish(figure, path, owner, "residual_histogram.png", "residual histogram")


def residual_histogram_figure(interp: RegressionInterpretation, columns: Sequence[int], bins: int) -> Any:
    """Histogram of residuals per target, with zero and the mean residual (the bias) marked."""
    from matplotlib.ticker import MaxNLocator

    figure, _, axes = _panels(len(columns))
    for axis, column in zip(axes, columns, strict=True):
        name = interp.targets[column]
        residual = interp.actual[:, column] - interp.predicted[:, column]
        axis.hist(residual, bins=bins, color="tab:green", alpha=0.75)
        # Said in the title, not a legend: a legend in the panel covers the tallest bars.
        axis.axvline(0.0, linestyle="--", color="gray")
        bias = float(residual.mean())
        axis.axvline(bias, color="firebrick")
        axis.set_xlabel("residual (actual - predicted)")
        axis.set_ylabel("rows")
        compact_ticks(axis)
        axis.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # counts: never 2.5 rows
        axis.set_title(
            f"{name}: residuals\n(dashed: 0, red: the bias, mean {number_text(bias, signed=True)})",
            fontsize=10,
        )
    return figure


def plot_error_by_range(
    interp: RegressionInterpretation,
    columns: Sequence[int],
    by_range: pd.DataFrame,
    path: Path,
    *,
    owner: object | None = None,
) -> PlotFile:
    """:func:`error_by_range_figure` saved to ``path``."""
    figure = error_by_range_figure(interp, columns, by_range)
    return _finish(figure, path, owner, "error_by_range.png", "error-by-range plot")


def error_by_range_figure(
    interp: RegressionInterpretation, columns: Sequence[int], by_range: pd.DataFrame
) -> Any:
    """A bar of MAE per bin of the actual value per target (rows written on each bar), the overall MAE a line."""
    figure, _, axes = _panels(len(columns), inches=4.8)
    summary = interp.summary()
    for axis, column in zip(axes, columns, strict=True):
        name = interp.targets[column]
        bins = by_range[by_range["target"] == name]
        labels = [
            f"{number_text(low)} to {number_text(high)}"
            for low, high in zip(bins["actual_from"], bins["actual_to"], strict=True)
        ]
        positions = np.arange(len(bins))
        bars = axis.bar(positions, bins["mae"].fillna(0.0), color="tab:purple", alpha=0.8)
        for bar, rows in zip(bars, bins["rows"], strict=True):
            axis.annotate(
                f"{int(rows)} rows",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        overall = float(summary.loc[name, "mae"])
        # Said in the title, not a legend: a legend in the panel covers the tallest bar's label.
        axis.axhline(overall, linestyle="--", color="gray")
        axis.set_ylim(0.0, 1.12 * max(float(bins["mae"].max(skipna=True) or 0.0), overall, 1e-12))
        compact_ticks(axis, sides="y")
        axis.set_xticks(positions, labels=labels, rotation=30, ha="right", fontsize=8)
        axis.set_xlabel(f"actual {name} (bins of about equal rows)")
        axis.set_ylabel("mean absolute error")
        axis.set_title(
            f"{name}: MAE by range of the actual value\n(dashed: overall MAE {number_text(overall)})",
            fontsize=10,
        )
    return figure


def plot_top_loss_table(
    top: pd.DataFrame,
    path: Path,
    *,
    owner: object | None = None,
    reference: pd.DataFrame | None = None,
    columns: Any = None,
) -> PlotFile:
    """:func:`top_loss_table_figure` saved to ``path``."""
    figure = top_loss_table_figure(top, reference=reference, columns=columns)
    if owner is not None:
        warn_if_replacing(path, owner=owner, default_name="top_losses.png", what="top losses", of=_OWNER)
    return _save(figure, path)


def top_loss_table_figure(
    top: pd.DataFrame, *, reference: pd.DataFrame | None = None, columns: Any = None
) -> Any:
    """The table of :meth:`RegressionInterpretation.top_losses`: the row's label, its numbers, then at most
    :data:`MAX_ROW_COLUMNS` columns of what the row is (its file, its text, its columns as read): ``columns``, or
    those that stand out most from ``reference``, as :func:`~trainwell.interpret._plots.plot_top_losses` chooses
    them, the rule said under the title."""
    from trainwell.interpret._row_columns import shown_columns

    plt = _pyplot()
    numeric = [c for c in top.columns if _is_figure(c)]
    candidates = [c for c in top.columns if c not in numeric]
    shown, rule = shown_columns(top, candidates, MAX_ROW_COLUMNS, reference=reference, columns=columns)
    limit = {1: 72, 2: 36}.get(len(shown), ROW_COLUMN_CHARS)
    header = [_label_header(top), *map(str, numeric), *map(str, shown)]
    # By position: a caller's index may repeat a label.
    cells = [
        [
            str(label),
            *(number_text(float(top[c].iloc[position])) for c in numeric),
            *(_short(top[c].iloc[position], limit) for c in shown),
        ]
        for position, label in enumerate(top.index)
    ]
    inches = [0.7] + [max(0.9, 0.085 * len(str(c)) + 0.25) for c in numeric] + [0.095 * limit] * len(shown)
    figure, axis = table_figure(plt, cells, header, inches, below=0.5 + (0.2 if rule else 0.0))
    ranked = "the loss (all targets)" if "loss" in top.columns else "absolute error"
    title = f"Top {len(cells)} errors by {ranked} (residual = actual - predicted)"
    axis.set_title(title + (f"\n{rule}" if rule else ""))
    return figure


def plot_top_loss_images(
    top: pd.DataFrame, images: Any, path: Path, *, owner: object | None = None
) -> PlotFile:
    """The ``images`` of ``top`` (uint8 (k, C, H, W), one per row of ``top``, in its order) in a grid, the worst
    first, each titled with its numbers and its file (or row)."""
    from trainwell.learner.plots import image_grid

    chosen = images.float() / 255.0
    titles = []
    for position, label in enumerate(top.index):
        if "actual" in top.columns:
            actual, predicted = top["actual"].iloc[position], top["predicted"].iloc[position]
            numbers = f"actual {number_text(actual)}, predicted {number_text(predicted)}"
        else:
            numbers = f"loss {number_text(top['loss'].iloc[position])}"
        where = top["path"].iloc[position] if "path" in top.columns else f"row {label}"
        titles.append(f"{numbers} ({where})")
    if owner is not None:
        warn_if_replacing(path, owner=owner, default_name="top_losses.png", what="top losses", of=_OWNER)
    return image_grid(chosen.cpu(), titles, ["firebrick"] * len(titles), path, f"Top {len(top)} errors")


def _is_figure(column: Any) -> bool:
    """Whether ``column`` of a top-losses table is one of its numbers (not a column of the row as read)."""
    text = str(column)
    return text in ("actual", "predicted", "residual", "abs_error", "loss") or text.endswith(
        (" actual", " predicted", " residual")
    )
