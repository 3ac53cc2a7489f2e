"""PNG plots drawn for the report only, returned as bytes (matplotlib's object API, no global pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from trainwell.core.ticks import compact_labels as compact_labels  # where the report's tests find it
from trainwell.core.ticks import compact_ticks
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
    compact_ticks(axis, sides="x", place=False)  # a rise in a price's RMSE: 40k, not 40000 or a 1e4 offset
    axis.set_title("Permutation feature importance")
    axis.grid(axis="x", alpha=0.3)
    return figure_png(figure)


#: From this many points a scatter is one blot of overlapping dots: the plot shows their density instead.
DENSE_POINTS = 2000
#: True values that are whole numbers taking at most this many values (star ratings, counts) are drawn as
#: categories: one box of predictions per value.
FEW_VALUES = 12


def predicted_vs_actual_png(
    predicted: np.ndarray, actual: np.ndarray, title: str = "Predicted against actual", unit: str = "rows"
) -> bytes:
    """:func:`predicted_vs_actual_figure` as PNG bytes."""
    return figure_png(predicted_vs_actual_figure(predicted, actual, title, unit))


def predicted_vs_actual_figure(
    predicted: np.ndarray, actual: np.ndarray, title: str = "Predicted against actual", unit: str = "rows"
) -> Figure:
    """Predictions against true values with the diagonal of perfect predictions (regression).

    A few whole-number true values (ratings of 1 to 5 stars) get a box of predictions each, at ticks on those
    values with their counts; many points get a 2-D histogram (hexagons coloured by ``unit`` per cell, log
    scale); the rest a scatter."""
    from matplotlib.figure import Figure

    predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    figure = Figure(figsize=(5.5, 5))
    axis = figure.add_subplot()
    values = np.unique(actual[np.isfinite(actual)])
    compact_ticks(axis)
    below = -0.13  # the legend's top, in axis heights: under the tick labels and the axis title
    if 1 < len(values) <= FEW_VALUES and np.all(values == np.round(values)):
        low, high = float(values[0]) - 0.5, float(values[-1]) + 0.5
        _boxes_by_value(axis, predicted, actual, values, unit)
        below = -0.19  # two lines of tick labels: the value and its count
    else:
        low = float(min(actual.min(), predicted.min())) if len(actual) else 0.0
        high = float(max(actual.max(), predicted.max())) if len(actual) else 1.0
        if len(actual) > DENSE_POINTS:
            from matplotlib.ticker import FuncFormatter, LogLocator

            cells = axis.hexbin(actual, predicted, gridsize=40, bins="log", mincnt=1, cmap="viridis")
            bar = figure.colorbar(cells, ax=axis, fraction=0.046, pad=0.04)
            bar.set_label(f"{unit} per hexagon (log scale)")
            # 1, 2, 5, 10, 20... written plainly: 10^0 and 10^1 alone say little about a scale of counts; whole
            # with separators as the tables count rows (1,000,000, not :g's 1e+06 on a table of millions of rows).
            bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            bar.ax.yaxis.set_major_formatter(
                FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")
            )
            bar.ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
        else:
            axis.scatter(actual, predicted, s=8, alpha=0.5, label=unit)
        axis.set_xlabel("actual")
    axis.plot([low, high], [low, high], color="tab:red", linestyle="--", label="perfect")
    axis.set_ylabel("predicted")
    axis.set_title(title)
    # Under the plot: inside, a poor model's points or boxes can lie in any corner.
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, below), ncol=2, frameon=False, fontsize=8)
    axis.grid(alpha=0.3)
    return figure


def _boxes_by_value(
    axis: Axes, predicted: np.ndarray, actual: np.ndarray, values: np.ndarray, unit: str
) -> None:
    """One box of predictions per true value: the middle half, whiskers at the 5th and 95th percentiles, the
    median as a line and the mean as a dot; each tick says how many ``unit`` have that value."""
    groups = [predicted[actual == value] for value in values]
    width = 0.5 * float(np.diff(values).min())
    axis.boxplot(
        groups,
        positions=values,
        widths=width,
        whis=(5, 95),
        showfliers=False,  # thousands of points beyond the whiskers would hide the boxes
        patch_artist=True,
        boxprops={"facecolor": "tab:blue", "alpha": 0.35},
        medianprops={"color": "tab:blue", "linewidth": 2},
        manage_ticks=False,
    )
    means = [float(group.mean()) for group in groups]
    axis.plot(values, means, "o", color="black", markersize=4, label="mean prediction")
    axis.plot([], [], "s", color="tab:blue", alpha=0.35, label="middle half; whiskers 5th-95th percentile")
    axis.set_xticks(
        values, labels=[f"{value:g}\n{len(group):,}" for value, group in zip(values, groups, strict=True)]
    )
    axis.set_xlim(float(values[0]) - 0.6, float(values[-1]) + 0.6)
    axis.set_xlabel(f"actual (below each: {unit} with that value)")


def figure_png(figure: Figure) -> bytes:
    """A matplotlib figure as PNG bytes (100 dpi, tight bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def threshold_curves(score: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """The ROC and precision-recall curves of ``score`` (the probability of the positive class) against
    ``truth`` (1 for a positive row), one point per distinct score from the highest down (a row is called
    positive at a threshold its score reaches): ``threshold``, ``tpr`` (recall), ``fpr`` and ``precision``,
    each starting with the point where nothing is called positive (threshold +inf, precision 1)."""
    score, truth = np.asarray(score, dtype=np.float64), np.asarray(truth).astype(bool)
    order = np.argsort(-score, kind="stable")
    score, truth = score[order], truth[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1] if len(score) else np.array([], dtype=int)
    tp, fp = np.cumsum(truth)[last], np.cumsum(~truth)[last]
    positives, negatives = max(int(truth.sum()), 1), max(int((~truth).sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 1.0)
    return {
        "threshold": np.r_[np.inf, score[last]],
        "tpr": np.r_[0.0, tp / positives],
        "fpr": np.r_[0.0, fp / negatives],
        "precision": np.r_[1.0, precision],
    }


def roc_pr_png(
    score: np.ndarray,
    truth: np.ndarray,
    threshold: float,
    positive: str,
    auc: float,
    average_precision: float,
) -> bytes:
    """The ROC curve and the precision-recall curve side by side, the model's decision ``threshold`` marked on
    both (its recall, false-positive rate and precision), the chance line on each (the diagonal; the base
    rate)."""
    from matplotlib.figure import Figure

    curves = threshold_curves(score, truth)
    truth = np.asarray(truth).astype(bool)
    called = np.asarray(score) >= threshold
    tp, fp = int((called & truth).sum()), int((called & ~truth).sum())
    recall = tp / max(int(truth.sum()), 1)
    fpr = fp / max(int((~truth).sum()), 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    base = float(truth.mean()) if len(truth) else 0.0
    figure = Figure(figsize=(10, 4.3))
    roc, pr = figure.subplots(1, 2)
    roc.plot(curves["fpr"], curves["tpr"], color="tab:blue", label=f"model (ROC AUC {auc:.4f})")
    roc.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8, label="chance")
    roc.set_xlabel("false-positive rate (share of negatives called positive)")
    roc.set_ylabel(f"recall (share of '{positive}' found)")
    roc.set_title("ROC curve")
    pr.plot(
        curves["tpr"],
        curves["precision"],
        color="tab:blue",
        label=f"model (average precision {average_precision:.4f})",
    )
    pr.axhline(base, color="grey", linestyle="--", linewidth=0.8, label=f"base rate {base:.4f}")
    pr.set_xlabel(f"recall (share of '{positive}' found)")
    pr.set_ylabel("precision (share of calls right)")
    pr.set_title("Precision-recall curve")
    mark = f"threshold {threshold:g}"
    roc.plot([fpr], [recall], "o", color="tab:red", markersize=7, label=mark)
    pr.plot([recall], [precision], "o", color="tab:red", markersize=7, label=mark)
    for axis in (roc, pr):
        axis.set_xlim(-0.02, 1.02)
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right" if axis is roc else "upper right", fontsize=8)
    figure.tight_layout()
    return figure_png(figure)


def side_by_side_panels(png: bytes) -> list[bytes]:
    """The panels of a figure drawn side by side (``curves.png``: loss, validation metrics, learning rate), cut
    apart as PNGs so that a narrow window can stack them, each at a readable size (shrunk whole to 600 px, the
    three panels' text was about 5 pt); ``[]`` when fewer than two framed panels are found (their frames: the
    long dark columns of the axes' spines).

    A panel runs from just past the frame before it (its own tick labels included) to just past its own frame,
    or to the end of its legend where the legend runs past the frame; that overrun is blanked from the next
    panel's picture."""
    from PIL import Image

    try:
        picture = Image.open(io.BytesIO(png)).convert("RGB")
    except (OSError, ValueError):  # not a picture PIL reads: shown whole, as it is
        return []
    grey = np.asarray(picture.convert("L"))
    if grey.ndim != 2 or grey.shape[0] < 50:
        return []
    dark = grey < 110
    columns = np.flatnonzero(dark.mean(axis=0) > 0.3)
    spines = [int(run[0]) for run in np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1) if len(run)]
    if len(spines) < 4 or len(spines) % 2:
        return []
    bottom = (
        int(np.flatnonzero(dark[:, spines[0]]).max()) + 1
    )  # the frames' lower edge: below it, labels and legends
    blank_below: np.ndarray = np.asarray((grey[bottom:] > 245).all(axis=0))
    lefts, rights = spines[0::2], spines[1::2]
    starts = [0, *(right + 3 for right in rights[:-1])]
    ends: list[int] = []
    for index, right in enumerate(rights):
        end = right + 3
        limit = lefts[index + 1] if index + 1 < len(lefts) else grey.shape[1]
        while end < limit and not blank_below[end : end + 3].all():  # a legend running past the frame
            end += 1
        ends.append(min(end + 2, grey.shape[1]) if index + 1 < len(rights) else grey.shape[1])
    panels = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        crop = picture.crop((start, 0, end, grey.shape[0]))
        if index:  # the previous panel's legend overrun, blanked from this one's picture
            overrun = ends[index - 1] - start
            if overrun > 0:
                crop.paste((255, 255, 255), (0, bottom, overrun, grey.shape[0]))
        buffer = io.BytesIO()
        crop.save(buffer, format="PNG")
        panels.append(buffer.getvalue())
    return panels
