"""PNG plots of training: the learning-rate sweep, the training curves and grids of images (matplotlib, Agg
backend).

Each returns the file it wrote as a :class:`~trainwell.core.plot_file.PlotFile`: a ``Path`` that Jupyter shows
inline. matplotlib is imported inside the functions so that ``import trainwell`` stays fast, and these figures
are drawn with matplotlib's object API (:func:`figure`: a ``Figure`` on an Agg canvas), never ``pyplot``:
importing pyplot (its backend machinery and figure manager) took 2-5 s at the end of every fit, more than
drawing and saving the curves, and a figure pyplot never saw needs no closing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.core.plot_file import PlotFile, save_png, warn_if_replacing
from trainwell.core.ticks import compact_ticks
from trainwell.metrics.targets import split_target_key

if TYPE_CHECKING:
    import torch

    from trainwell.learner.lr_find import LRFindResult


def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, for the plots drawn elsewhere with it (interpretation); this
    module's own draw on :func:`figure` instead."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def figure(**options: Any) -> Any:
    """A matplotlib ``Figure`` (``options`` as ``Figure`` takes them: ``figsize``, ``layout``...) on its own Agg
    canvas, without importing pyplot: nothing to close, no global figure list, the same PNG when saved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(**options)
    FigureCanvasAgg(drawn)
    return drawn


def _save(drawn: Any, path: Path) -> PlotFile:
    """Save atomically (a reader never sees half a PNG), readable by others like every file trainwell writes;
    a figure that pyplot manages is closed. A plot under a default name calls ``warn_if_replacing`` first.

    A figure placed by :func:`lay_out` (or by a layout engine) is saved as placed, drawn once; any other is
    cropped to what it drew (``bbox_inches="tight"``, which draws it twice)."""
    import io
    import sys

    buffer = io.BytesIO()
    try:
        # "tight" drew the figure a second time to crop it (0.07 s of a curves.png's 0.43, 0.12 s of the
        # learning-rate plot's 0.30, on every fit).
        placed = getattr(drawn, PLACED, False) or drawn.get_layout_engine() is not None
        drawn.savefig(buffer, format="png", dpi=DPI, **({} if placed else {"bbox_inches": "tight"}))
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None and getattr(drawn.canvas, "manager", None) is not None:
            pyplot.close(drawn)
    return save_png(path, buffer.getvalue())


#: Resolution of the saved PNGs (dots per inch).
DPI = 110
#: Space (points) kept between the figure's edge and any text, and between neighbouring panels' text.
LAYOUT_PAD = 6.0
#: The attribute :func:`lay_out` sets on a figure it placed: :func:`_save` saves it as it is.
PLACED = "_trainwell_placed"


def lay_out(drawn: Any, axes: Sequence[Any], rows: int, columns: int) -> None:
    """Place ``axes``, the panels of a ``rows`` x ``columns`` grid of ``drawn`` (row by row; hidden ones left
    out), of equal sizes, with room around each for all its text: tick labels, axis labels, its title and a
    legend below it, all inside the figure and off the neighbouring panels' (:data:`LAYOUT_PAD` points apart).

    What matplotlib's constrained layout did for these grids, at a fraction of its cost: it measured every
    panel four times and the save drew the figure twice, 55-65% of a two-epoch fit's time. Here each panel's
    text is measured where the panels stand (the tick labels and their sizes, which the draw then reuses), the
    panels placed to fit it, and measured again there (the tick labels of a panel of another size can differ);
    placed a third time only when something still did not fit. :func:`_save` then draws the figure once."""
    figure_width, figure_height = drawn.get_size_inches() * drawn.dpi
    pad = LAYOUT_PAD * drawn.dpi / 72
    if not hasattr(
        drawn.canvas, "get_renderer"
    ):  # a bare Figure: measured on the Agg canvas it is saved with
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(drawn)
    renderer = drawn.canvas.get_renderer()
    shown = [(index, axis) for index, axis in enumerate(axes) if axis.get_visible()]
    # Room each column needs left and right of its panels, each row above and below them (pixels), and the
    # widest text centred on a column's panels (title, x label, a legend below), the tallest on a row's (y label):
    # those need (text - panel) / 2 on each side, more as the panels narrow.
    left, right, wide = [0.0] * columns, [0.0] * columns, [0.0] * columns
    above, below, tall = [0.0] * rows, [0.0] * rows, [0.0] * rows
    for attempt in range(3):
        grew = False
        for index, axis in shown:
            row, column = divmod(index, columns)
            panel = axis.get_window_extent(renderer)
            legend = axis.get_legend()
            if legend is not None:
                legend.set_in_layout(False)
            try:  # titles and x labels as tall as they are but one pixel wide, y labels one pixel tall
                text = axis.get_tightbbox(renderer, for_layout_only=True)
            finally:
                if legend is not None:
                    legend.set_in_layout(True)
            spans = [text]
            centred = [axis.title, axis.xaxis.label]
            if legend is not None:
                box = legend.get_window_extent(renderer)
                if abs((box.x0 + box.x1) - (panel.x0 + panel.x1)) < 2:  # centred under the panel: its width
                    centred.append(legend)  # counts as a title's, its height as a margin
                    box = box.from_extents(panel.x0, box.y0, panel.x1, box.y1)
                spans.append(box)
            for artist in centred:
                if artist.get_visible() and (not hasattr(artist, "get_text") or artist.get_text()):
                    width = artist.get_window_extent(renderer).width
                    if width > wide[column] + 0.5:
                        wide[column], grew = width + (pad if attempt else 0.0), True
            if axis.yaxis.label.get_visible() and axis.yaxis.label.get_text():
                height = axis.yaxis.label.get_window_extent(renderer).height
                if height > tall[row] + 0.5:
                    tall[row], grew = height + (pad if attempt else 0.0), True
            for span in spans:
                needs = (panel.x0 - span.x0, span.x1 - panel.x1, span.y1 - panel.y1, panel.y0 - span.y0)
                sides = (left, right, above, below)
                for side, at, need in zip(sides, (column, column, row, row), needs, strict=True):
                    if need > side[at] + 0.5:  # half a pixel: the same text measured again
                        side[at], grew = need + (pad / 2 if attempt else 0.0), True
        if not grew and attempt:
            break
        width, room_x, room_r = _panel_size(figure_width - pad * (columns + 1), left, right, wide)
        height, room_b, room_a = _panel_size(figure_height - pad * (rows + 1), below, above, tall)
        for index, axis in shown:
            row, column = divmod(index, columns)
            x0 = pad * (column + 1) + sum(room_x[: column + 1]) + sum(room_r[:column]) + width * column
            top = pad * (row + 1) + sum(room_b[:row]) + sum(room_a[: row + 1]) + height * row
            y0 = figure_height - top - height
            axis.set_position(
                [x0 / figure_width, y0 / figure_height, width / figure_width, height / figure_height]
            )
    setattr(drawn, PLACED, True)


def _panel_size(
    room: float, before: Sequence[float], after: Sequence[float], centred: Sequence[float]
) -> tuple[float, list[float], list[float]]:
    """The size (pixels) of each of ``len(before)`` equal panels sharing ``room``, and the room kept before and
    after each: at least what its own text needs (``before``, ``after``) and half of what its ``centred`` text
    is larger than the panel (the narrower the panel, the more that is). The largest size that fits; where only
    panels under half the size they would have without the centred text fit, the text wider than a panel's share
    of ``room`` takes just that share, its panel centred in it (the text then overruns both sides alike) rather
    than squeezing the panels to slivers."""
    count = len(before)
    share = room / count
    plain = (room - sum(before) - sum(after)) / count
    size = _fitted_size(room, before, after, centred, plain)
    if size < 0.5 * plain:
        wider = [text >= share for text in centred]
        before = [max(b, a) if w else b for b, a, w in zip(before, after, wider, strict=True)]
        after = [b if w else a for b, a, w in zip(before, after, wider, strict=True)]
        centred = [min(text, share) for text in centred]
        plain = (room - sum(before) - sum(after)) / count
        size = max(_fitted_size(room, before, after, centred, plain), 0.5 * plain, 0.1 * share)
    overrun = [max(0.0, (c - size) / 2) for c in centred]
    return (
        size,
        [max(b, o) for b, o in zip(before, overrun, strict=True)],
        [max(a, o) for a, o in zip(after, overrun, strict=True)],
    )


def _fitted_size(
    room: float, before: Sequence[float], after: Sequence[float], centred: Sequence[float], size: float
) -> float:
    """:func:`_panel_size`'s largest size that fits, from ``size`` (the size without centred text) down."""
    for _ in range(50):  # the margins grow as the panels shrink: down to where both agree
        spare = [
            max(b, (c - size) / 2) + max(a, (c - size) / 2)
            for b, a, c in zip(before, after, centred, strict=True)
        ]
        fitted = (room - sum(spare)) / len(before)
        if fitted >= size - 0.01:
            break
        size = fitted
    return size


#: The loss axis of the learning-rate plot stops this many times the fall from the start to the minimum above
#: the start: the blow-up at the largest rates (often 10x or 1000x the start) would flatten the part to read.
LR_PLOT_HEADROOM = 1.0


def plot_lr_find(
    result: LRFindResult, path: Path, trained_at: float | None = None, *, fit_default: float | None = None
) -> PlotFile:
    """Loss against learning rate (log scale) with the suggestion marked, and ``trained_at``, the peak rate a
    fit then trained at, when it differs (a fit keeps the suggestion within bounds); or ``fit_default``, the
    rate ``trainwell fit`` would train at without ``--lr`` (``trainwell lr-find`` of a model whose fit does not
    take the suggestion: the user compares the two on the plot, not between the plot and the console).

    Returns the PNG written to ``path`` as a ``Path`` that Jupyter shows inline. Written to ``lr_find.png`` in
    the current folder, it warns when that file held the plot of another sweep written by this process."""
    drawn = figure(figsize=(6, 4.3), dpi=DPI)
    axis = drawn.subplots()
    points = [(lr, loss) for lr, loss in zip(result.lrs, result.losses, strict=True) if math.isfinite(loss)]
    if points:
        axis.plot([p[0] for p in points], [p[1] for p in points], color="tab:blue", label="smoothed loss")
        losses = [p[1] for p in points]
        # The start is the highest loss of the sweep's first tenth, its plateau before anything moves: the first
        # smoothed point alone can sit below it (an image model's 2.14 under ln 10's 2.30), and an axis topped
        # from there hid the whole curve above it.
        start, lowest = max(losses[: max(1, len(losses) // 10)]), min(losses)
        top = start + LR_PLOT_HEADROOM * max(start - lowest, 0.05 * abs(start))
        if max(losses) > top:  # the divergence leaves through the top of the panel
            axis.set_ylim(lowest - 0.05 * (top - lowest), top)
    same = (
        trained_at is not None
        and result.suggestion
        and math.isclose(trained_at, result.suggestion, rel_tol=0.01)
    )
    if result.suggestion:
        label = f"suggestion {result.suggestion:.1e}" + (", trained at" if same else "")
        axis.axvline(result.suggestion, color="tab:red", linestyle="--", label=label)
    if result.steepest:
        axis.axvline(
            result.steepest, color="tab:orange", linestyle=":", label=f"steepest {result.steepest:.1e}"
        )
    if fit_default is not None and trained_at is None:
        axis.axvline(
            fit_default,
            color="black",
            linestyle="-",
            linewidth=1.2,
            label=f"fit trains at {fit_default:.1e} (no --lr)",
        )
    if trained_at is not None and not same:
        # Why the fit did not train at the suggestion (a user read both rates on the plot and no reason).
        why = ""
        if result.suggestion:
            why = (
                " (capped below the suggestion)"
                if trained_at < result.suggestion
                else " (the suggestion too low)"
            )
        axis.axvline(
            trained_at, color="black", linestyle="-", linewidth=1.2, label=f"trained at {trained_at:.1e}{why}"
        )
    axis.set_xscale("log")
    compact_ticks(axis, sides="y", place=False)  # a price model's loss in squared dollars: 20.0G, no offset
    axis.set_xlabel("learning rate")
    axis.set_ylabel("loss")
    axis.set_title("Learning-rate finder")
    # Below the panel: inside it, the legend covered the descent and the minimum the suggestion is read from.
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    axis.grid(alpha=0.3)
    lay_out(drawn, [axis], 1, 1)
    owner = getattr(result, "plot_owner", None) or result
    warn_if_replacing(path, owner=owner, default_name="lr_find.png", what="learning-rate plot", of="sweep")
    return _save(drawn, path)


# Metrics share a panel only when their largest values lie within this factor of each other: a regression's
# r2 (about 1) would lie flat at zero beside an RMSE in the tens of thousands.
SHARED_SCALE_RATIO = 10.0
MAX_METRIC_PANELS = 4
#: Columns of a history that count what an epoch read rather than measure the model
#: (:class:`~trainwell.text.lm_callbacks.BudgetedValidation`'s): left out of the metric panels.
BOOKKEEPING_COLUMNS = ("valid_tokens", "valid_tokens_total")


def metric_panels(history: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The headline metrics of ``history`` grouped into panels of comparable scale, in the history's order.

    A metric's scale is its largest absolute value over the epochs, taken as at least 1 (accuracy, F1, r2
    and AUC, all within 1, share a panel) except for the ranking measures (``hit@10``, ``ndcg@10``: a few
    hundredths), which take their own. Groups are formed from the smallest scale up, a new one starting
    whenever a metric is more than ``SHARED_SCALE_RATIO`` times the group's smallest; past
    ``MAX_METRIC_PANELS`` the largest metrics share the last panel. A baseline's score of a metric
    (``perplexity_baseline``, :func:`baseline_of`) is drawn in its metric's panel whatever its scale: a
    Kneser-Ney trigram's 48 beside a first epoch's perplexity of 1,326 took a panel of its own, a flat line."""
    # Bookkeeping, not metrics: a language model's validation tokens read under a budget (17,920 of 66,944) drew
    # a panel beside its perplexity.
    skip = {"fit", "epoch", "train_loss", "valid_loss", "lr", "time", *BOOKKEEPING_COLUMNS}
    names: list[str] = []
    for row in history:  # every row: a metric missing from the first epoch (validation skipped) still counts
        for key in row:
            # Headlines only: per-target values ("rmse[price]") are in their targets' units, not the headlines'.
            if key not in skip and key not in names and split_target_key(key)[1] is None:
                names.append(key)

    from trainwell.metrics.registry import RANKING_PREFIXES

    def scale(name: str) -> float:
        values = [abs(float(row[name])) for row in history if isinstance(row.get(name), int | float)]
        # A ranking measure (hit@10 near 0.06) is not floored at 1: beside ROC AUC it was a flat line at the
        # bottom of a shared panel.
        floor = 1e-6 if split_target_key(name)[0].startswith(RANKING_PREFIXES) else 1.0
        return max([floor] + [v for v in values if math.isfinite(v)])

    baselines = {name: of for name in names if (of := baseline_of(name, names)) is not None}
    groups: list[list[str]] = []
    smallest = 0.0
    for name in sorted(
        (n for n in names if n not in baselines), key=scale
    ):  # stable: equal scales keep order
        if groups and (scale(name) <= smallest * SHARED_SCALE_RATIO or len(groups) == MAX_METRIC_PANELS):
            groups[-1].append(name)
        else:
            groups.append([name])
            smallest = scale(name)
    for name, of in baselines.items():
        next(group for group in groups if of in group).append(name)
    order = {name: i for i, name in enumerate(names)}
    return sorted((sorted(group, key=order.__getitem__) for group in groups), key=lambda g: order[g[0]])


#: How the history names a baseline's score of a metric: ``hit@10_popularity``, ``perplexity_baseline``...
BASELINE_SUFFIXES = ("_baseline", "_biases", "_popularity", "_ease")


#: How the baselines of one metric are drawn, in turn: dashed with crosses, dotted with pluses, dash-dot squares.
BASELINE_STYLES = ("x--", "+:", "s-.")


def baseline_of(name: str, names: Sequence[str]) -> str | None:
    """The metric that ``name`` is a baseline's score of (``hit@10_popularity`` -> ``hit@10``), if it is one of
    ``names``; ``None`` for a metric of the model itself (``f1_macro`` is not a baseline of ``f1``)."""
    for suffix in BASELINE_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in names:
            return name[: -len(suffix)]
    return None


#: Longest legend entry (characters) drawn two to a line under a panel of the curves.
LEGEND_PAIR_CHARS = 24


def _legend_below(axis: Any, fontsize: float = 9) -> None:
    """The legend under the panel, so that it never hides a point (inside, "best" still covers lines that
    cross the whole panel)."""
    # In one column when a name is long (a multi-target metric's): two such side by side ran past the figure.
    longest = max((len(label) for label in axis.get_legend_handles_labels()[1]), default=0)
    columns = 1 if longest > LEGEND_PAIR_CHARS else 2
    axis.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=columns, frameon=False, fontsize=fontsize
    )


def _epoch_ticks(axis: Any, n_epochs: int) -> None:
    """Whole epochs only (1, 2, 3: never 1.5, nor 0.96 to 1.04 around a single epoch)."""
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if n_epochs <= 2:
        axis.set_xlim(0.5, n_epochs + 0.5)


#: Characters of a panel's title line in the training curves (at 14 points, about a 5-inch panel's width).
TITLE_LINE = 56
#: Text sizes of the training curves' figure (matplotlib's default is 10 points).
CURVES_TEXT = {"font.size": 13, "legend.fontsize": 12, "axes.titlesize": 14}


def plot_history(
    history: Sequence[dict[str, Any]],
    lrs: Sequence[float],
    losses: Sequence[float],
    path: Path,
    epoch_ends: Sequence[int] | None = None,
    group_lrs: Sequence[Sequence[float]] | None = None,
    kept_epoch: int | None = None,
) -> PlotFile:
    """Panels side by side: batch losses with train/valid epoch losses, the validation metrics per epoch (a
    panel per group of comparable scale, see ``metric_panels``; a baseline's score dashed in its metric's
    colour), the learning rate per batch.

    ``group_lrs`` (the recorder's :meth:`~trainwell.callbacks.Recorder.aligned_group_lrs`): each batch's rate of
    every parameter group; where the groups ran at different rates (discriminative rates, ``slice(1e-4, 1e-2)``)
    the panel draws one line per group, ``group 0`` to ``group n``, with a legend, else the one line of ``lrs``.

    ``epoch_ends`` (the recorder's) places each epoch's losses at the batch where it ended; without it, or
    when it does not match the history, epochs are spaced evenly.

    ``kept_epoch`` (counted from 1, as the history's rows are): the epoch whose weights the model holds when it
    is not the last (a best epoch loaded back, :func:`~trainwell.learner._export.kept_epoch`), marked by a
    dash-dotted line labelled ``kept: epoch N`` on the loss panel (at the batch where it ended) and on each
    metric panel, as the fit said it ("kept epoch 3's weights"); ``None``: the last epoch's, nothing marked.

    Returns the PNG written to ``path`` as a ``Path`` that Jupyter shows inline. Written to ``curves.png`` in
    the current folder, it warns when that file held the curves of another learner (another ``history``)
    written by this process."""
    import matplotlib

    panels = metric_panels(history)
    n_axes = 2 + max(1, len(panels))
    # Laid out around their text (lay_out): long tick labels (0.00175) push panels apart instead of running into
    # the next one.
    # Four panels or more go in two rows: in one, 20 inches wide, the last ran off a report's page.
    columns = n_axes if n_axes <= 3 else -(-n_axes // 2)
    rows = -(-n_axes // columns)
    # The figure is 15 inches wide and pages show it at about 1,000 pixels: at matplotlib's 10 points its ticks and
    # legend read 6-7 pixels high there, so this figure's text is set larger.
    with matplotlib.rc_context(dict(CURVES_TEXT)):  # type: ignore[arg-type]
        drawn = figure(figsize=(5 * columns, 4.4 * rows), dpi=DPI)
        grid = drawn.subplots(rows, columns, squeeze=False)
        axes = list(grid.ravel())
        for spare in axes[n_axes:]:  # an odd number of panels in two rows: the last cell stays empty
            spare.set_visible(False)
        axes = axes[:n_axes]
        loss_axis, metric_axes, lr_axis = axes[0], list(axes[1:-1]), axes[-1]
        if losses:
            loss_axis.plot(
                range(1, len(losses) + 1), losses, color="tab:blue", alpha=0.25, label="batch loss"
            )
        if epoch_ends is not None and len(epoch_ends) == len(history):
            ends = list(epoch_ends)
        else:
            per_epoch = max(1, len(losses) // max(1, len(history)))
            ends = [per_epoch * (i + 1) for i in range(len(history))]
        for key, color in (("train_loss", "tab:blue"), ("valid_loss", "tab:orange")):
            values = [row.get(key) for row in history]
            if any(v is not None for v in values):
                loss_axis.plot(
                    ends, [math.nan if v is None else v for v in values], "o-", color=color, label=key
                )
        kept = kept_epoch if kept_epoch is not None and 1 <= kept_epoch <= len(history) else None
        if kept is not None:
            _mark_kept(loss_axis, ends[kept - 1], kept)
        loss_axis.set_xlabel("batch")
        loss_axis.set_ylabel("loss")
        loss_axis.set_title("Loss")
        _legend_below(loss_axis, CURVES_TEXT["legend.fontsize"])
        epochs = list(range(1, len(history) + 1))
        for axis, names in zip(metric_axes, panels or [[]], strict=True):
            colors: dict[str, Any] = {}
            for name in sorted(
                names, key=lambda n: baseline_of(n, names) is not None
            ):  # metrics, then baselines
                values = [math.nan if row.get(name) is None else row.get(name) for row in history]
                of = baseline_of(name, names)
                if of is None:
                    colors[name] = axis.plot(epochs, values, "o-", label=name)[0].get_color()
                else:  # a bar the model must clear, not a curve of its own (marked: one epoch draws no line)
                    # Each baseline of a metric its own mark: popularity's and EASE's hit@10 were one blue "x--".
                    seen = sum(baseline_of(other, names) == of for other in names[: names.index(name)])
                    style = BASELINE_STYLES[seen % len(BASELINE_STYLES)]
                    axis.plot(epochs, values, style, color=colors[of], linewidth=1.2, label=name)
            if kept is not None and names:
                _mark_kept(axis, kept, kept)
            axis.set_xlabel("epoch")
            _epoch_ticks(axis, len(epochs))
            # Named by the model's own metrics: the baselines' are in the legend, and listing them all ran the title
            # into the next panel's.
            own = [name for name in names if baseline_of(name, names) is None]
            # A long list of names on lines of their own: on one, it ran past the panel and the figure's edge.
            title = "Validation metrics" if len(panels) <= 1 else "Validation: " + ", ".join(own)
            axis.set_title(_wrapped(title, TITLE_LINE))
            if names:
                _legend_below(axis, CURVES_TEXT["legend.fontsize"])
        groups = _lr_groups(group_lrs, len(lrs))
        if groups is None:
            lr_axis.plot(range(1, len(lrs) + 1), lrs, color="tab:green")
        else:
            for index, rates in enumerate(groups):
                lr_axis.plot(range(1, len(rates) + 1), rates, label=f"group {index}")
            _legend_below(lr_axis, CURVES_TEXT["legend.fontsize"])
        lr_axis.set_xlabel("batch")
        lr_axis.set_title("Learning rate")
        for axis in axes:
            axis.grid(alpha=0.3)
        for axis in [
            loss_axis,
            *metric_axes,
        ]:  # a house price's loss and RMSE: 20G and 60k, not a 1e10 offset
            compact_ticks(axis, sides="y", place=False)
        lay_out(drawn, axes, rows, columns)  # measured in this figure's text sizes
    warn_if_replacing(path, owner=history, default_name="curves.png", what="training curves", of="learner")
    return _save(drawn, path)


#: The label of the line that marks the epoch whose weights the model kept (``plot_history``'s ``kept_epoch``).
KEPT_LABEL = "kept: epoch {epoch}"


def _mark_kept(axis: Any, x: float, epoch: int) -> None:
    """A dash-dotted vertical line at ``x`` on ``axis``, in the legend as ``kept: epoch N``."""
    # Black dash-dots: no metric's colour (the cycle's), nor a baseline's dashes in it.
    axis.axvline(
        x, color="black", linestyle="-.", linewidth=1.4, alpha=0.8, label=KEPT_LABEL.format(epoch=epoch)
    )


def _lr_groups(group_lrs: Sequence[Sequence[float]] | None, batches: int) -> list[list[float]] | None:
    """Each parameter group's rate per batch (NaN where a batch had fewer groups), when ``group_lrs`` holds one
    entry per batch and some batch's groups ran at different rates; ``None``: one line says it all."""
    if group_lrs is None or len(group_lrs) != batches:
        return None
    if not any(len(set(rates)) > 1 for rates in group_lrs):
        return None
    width = max(len(rates) for rates in group_lrs)
    return [[rates[i] if i < len(rates) else math.nan for rates in group_lrs] for i in range(width)]


#: Characters of a title line under one image (at 8 points it is about the image's width).
TITLE_CHARS = 20


def _wrapped(text: str, width: int = TITLE_CHARS) -> str:
    """``text`` in lines of at most ``width`` characters, broken after a space or a label separator (``;``),
    so that long titles (several labels of a multi-label image) do not run into their neighbours; a
    ``true / predicted`` title too long for one line puts each side on lines of its own. Line breaks already in
    ``text`` are kept, each line wrapped alone: a caption laid out in lines (top losses) keeps its layout."""
    import re

    if "\n" in text:
        return "\n".join(_wrapped(part, width) for part in text.split("\n"))
    if len(text) > width and " / " in text:
        truth, _, guess = text.partition(" / ")
        return f"{_wrapped(truth + ' /', width)}\n{_wrapped(guess, width)}"
    lines: list[str] = []
    line = ""
    for piece in re.split(r"(?<=[ ;])", text):
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def image_grid(
    images: torch.Tensor,
    titles: list[str],
    colours: list[str],
    path: Path,
    title: str,
) -> PlotFile:
    """A PNG grid of ``images`` (float (N, C, H, W) in 0..1), each titled in its colour (a batch, validation
    results, top losses), written atomically to ``path`` and returned as a ``Path`` that Jupyter shows inline."""
    n = len(images)
    cols = min(8, max(1, math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    titles = [_wrapped(text) for text in titles]
    title_lines = max((text.count("\n") + 1 for text in titles), default=1)
    drawn = figure(figsize=(cols * 1.6, rows * (1.6 + 0.15 * title_lines) + 0.4))
    axes = drawn.subplots(rows, cols, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= n:
            continue
        image = images[index].clamp(0, 1)
        if image.shape[0] == 1:
            axis.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
        else:
            axis.imshow(image.permute(1, 2, 0).numpy())
        axis.set_title(titles[index], fontsize=8, color=colours[index])
    drawn.suptitle(title, fontsize=10)
    drawn.tight_layout()
    import io

    buffer = io.BytesIO()
    drawn.savefig(buffer, format="png", dpi=100)
    return save_png(path, buffer.getvalue())
