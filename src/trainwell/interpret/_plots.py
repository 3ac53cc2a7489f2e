"""PNG plots of a classification interpretation (matplotlib Agg, saved atomically by the learner helpers), each
returned as a :class:`~trainwell.core.plot_file.PlotFile`: a ``Path`` that Jupyter shows inline.

``owner`` is what a plot is of (the model and the data it was run on): written under the plot's default name in
the current folder, a plot warns when it replaces one of another owner (:func:`~trainwell.core.plot_file.save_png`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.numbers import amount
from trainwell.core.plot_file import PlotFile, warn_if_replacing
from trainwell.learner.plots import _pyplot, _save

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``rows`` shown beside each top loss (more would not fit a readable table).
MAX_ROW_COLUMNS = 4
#: Characters of a value shown in one of four columns ("professional.course" was cut at 18).
ROW_COLUMN_CHARS = 22
#: The columns of a classifier's top losses that are its figures, not the row as read.
TOP_LOSS_FIGURES = ("loss", "actual", "predicted", "probability")
#: Past this many classes a confusion matrix's cells are too small for their numbers (and writing C x C labels
#: took a minute at 120 classes): the colour alone tells the counts, on a figure of at most MAX_FIGURE_INCHES.
MAX_WRITTEN_CLASSES = 50
MAX_FIGURE_INCHES = 16.0
#: What an interpretation's plots are of, as the warning about a replaced default-named plot says it.
_OWNER = "model or data set"


def confusion_cells(
    matrix: np.ndarray, classes: Sequence[Any], normalize: bool, unit: str = "examples"
) -> tuple[np.ndarray, list[list[str]], list[str]]:
    """What :func:`plot_confusion_matrix` draws: the values to colour (shares of each actual class when
    ``normalize``), the text of each cell and the name of each row. Normalized, a class with no actual ``unit``
    in the data (a tag no word has) has NaN values (drawn blank), empty texts and its name followed by "(no
    words)" for ``unit="words"``: a row of 0.00, shares of nothing, read as "never right"."""
    values = matrix.astype(np.float64)
    empty = np.zeros(len(classes), dtype=bool)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.full_like(values, np.nan), where=totals > 0)
        empty = totals[:, 0] == 0

    def cell(row: int, column: int) -> str:
        if empty[row]:
            return ""
        return f"{values[row, column]:.2f}" if normalize else f"{int(matrix[row, column]):,}"  # 11,699

    texts = [[cell(row, column) for column in range(matrix.shape[1])] for row in range(matrix.shape[0])]
    names = [f"{c} (no {unit})" if none else str(c) for c, none in zip(classes, empty, strict=True)]
    return values, texts, names


#: Inches of a confusion matrix's figure outside its cells (the row names, the colour bar and its label).
CONFUSION_MARGIN_INCHES = 2.0
#: Inches a character of a 10-point tick label takes, on average.
CHAR_INCHES = 0.085


def plot_confusion_matrix(
    matrix: np.ndarray,
    classes: Sequence[Any],
    path: Path,
    normalize: bool,
    *,
    owner: object | None = None,
    unit: str = "examples",
) -> PlotFile:
    """Heat map of ``matrix`` (rows actual, columns predicted) with the value written in every cell; normalized,
    the row of a class with no actual ``unit`` is left blank (:func:`confusion_cells`)."""
    plt = _pyplot()
    values, texts, row_names = confusion_cells(matrix, classes, normalize, unit)
    written = len(classes) <= MAX_WRITTEN_CLASSES
    size = max(4.0, 0.6 * len(classes) + 2.5) if written else MAX_FIGURE_INCHES
    figure, axis = plt.subplots(figsize=(size, size))
    image = axis.imshow(values, cmap="Blues", vmin=0.0)
    bar = figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    # Say what the colour counts; counts are whole, so their ticks are too (never 2.5 or 17.5 rows).
    bar.set_label("share of the actual class" if normalize else "count")
    if not normalize:
        from matplotlib.ticker import MaxNLocator, StrMethodFormatter

        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        bar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # 10,500 as the report's tables
    names = [str(c) for c in classes]
    # Many classes: the names shrink with the cells (a cell is MAX_FIGURE_INCHES / C inches, 72 points each).
    label_size = None if written else max(3.0, min(8.0, 0.8 * 72 * MAX_FIGURE_INCHES / len(names)))
    # Slanted only when a name would not fit under its column: "0", "1", "neg" at 45 degrees read worse, not better.
    cell_inches = (size - CONFUSION_MARGIN_INCHES) / max(1, len(names))
    long = max((len(name) for name in names), default=0) * CHAR_INCHES > 0.9 * cell_inches
    rotation = (45 if long else 0) if written else 90
    axis.set_xticks(
        range(len(names)),
        labels=names,
        rotation=rotation,
        ha="right" if rotation else "center",
        fontsize=label_size,
    )
    axis.set_yticks(range(len(names)), labels=row_names, fontsize=label_size)
    middle = np.nanmax(values) / 2 if np.isfinite(values).any() else 0.0
    for row in range(values.shape[0] if written else 0):
        for column in range(values.shape[1]):
            if texts[row][column]:
                color = "white" if values[row, column] > middle else "black"
                axis.text(column, row, texts[row][column], ha="center", va="center", color=color)
    axis.set_xlabel("predicted")
    axis.set_ylabel("actual")
    title = "Confusion matrix" + (" (share of each actual class)" if normalize else "")
    axis.set_title(
        title if written else f"{title}: {len(names)} classes, the colour tells the {bar.ax.get_ylabel()}"
    )
    if owner is not None:
        warn_if_replacing(path, owner=owner, default_name="confusion.png", what="confusion matrix", of=_OWNER)
    return _save(figure, path)


def table_figure(
    plt: Any, cells: list[list[str]], header: list[str], inches: list[float], *, below: float
) -> Any:
    """A figure holding only the table of ``cells`` under ``header`` (9-point text, columns ``inches`` wide; "no
    rows" when empty), and its axis, for the caller's title: the top-loss tables of classifiers and regressions."""
    figure, axis = plt.subplots(figsize=(sum(inches) + 0.6, 0.28 * (len(cells) + 1) + below))
    axis.axis("off")
    if cells:
        table = axis.table(
            cellText=cells,
            colLabels=header,
            colWidths=[width / sum(inches) for width in inches],
            loc="upper center",
            cellLoc="center",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(9)
        table.scale(1.0, 1.3)
    else:
        axis.text(0.5, 0.5, "no rows", ha="center", va="center")
    return figure, axis


def plot_top_losses(
    top: pd.DataFrame,
    path: Path,
    *,
    owner: object | None = None,
    loss_is_nll: bool | None = None,
    reference: pd.DataFrame | None = None,
    columns: Any = None,
) -> PlotFile:
    """A table of ``top`` (:meth:`ClassificationInterpretation.top_losses`): the row's label, actual, predicted,
    probability, loss, and at most :data:`MAX_ROW_COLUMNS` columns of the row as read: ``columns`` (names, or
    ``permutation_importance``'s result), else those whose values stand out most from ``reference`` (every row
    interpreted; see :mod:`trainwell.interpret._row_columns`), the rule said under the title; the title says what
    the loss is (``loss_is_nll``: -log of the actual class's probability, or ``False``: not only that, ``None``:
    not known)."""
    from trainwell.interpret._row_columns import shown_columns

    plt = _pyplot()
    # Whose probability it is, said in the header: the table is often read without the docstring.
    header = [_label_header(top), "actual", "predicted", "p(predicted)", "loss"]
    candidates = [c for c in top.columns if c not in TOP_LOSS_FIGURES]
    shown, rule = shown_columns(top, candidates, MAX_ROW_COLUMNS, reference=reference, columns=columns)
    # Fewer columns, more of each: a text model's one column of texts gets the room of four.
    limit = {1: 72, 2: 36}.get(len(shown), ROW_COLUMN_CHARS)
    cells = []
    for position, label in enumerate(top.index):
        line = [
            str(label),
            str(top["actual"].iloc[position]),
            str(top["predicted"].iloc[position]),
            f"{top['probability'].iloc[position]:.3f}",
            f"{top['loss'].iloc[position]:.4f}",
        ]
        line.extend(_short(top[column].iloc[position], limit) for column in shown)
        cells.append(line)
    inches = [1.2] * len(header) + [0.095 * limit] * len(shown)  # about a character of 9-point text each
    figure, axis = table_figure(
        plt, cells, header + [str(c) for c in shown], inches, below=0.4 + (0.2 if rule else 0.0)
    )
    meaning = {
        True: "-log of the probability given to the actual class",
        False: "the training loss of the row, which label smoothing or class weights make more than -log p",
        None: "the training loss of the row",
    }[loss_is_nll]
    axis.set_title(f"Top {len(cells)} losses (loss: {meaning})" + (f"\n{rule}" if rule else ""))
    if owner is not None:
        warn_if_replacing(path, owner=owner, default_name="top_losses.png", what="top losses", of=_OWNER)
    return _save(figure, path)


def plot_top_loss_images(
    top: pd.DataFrame, images: Any, path: Path, *, owner: object | None = None
) -> PlotFile:
    """The ``images`` of ``top`` (uint8 (k, C, H, W), one per row of ``top``, in its order) in a grid, each titled
    actual -> predicted with the probability and the loss, the worst first, and its file (``path``) or else its
    row."""
    from trainwell.learner.plots import image_grid

    chosen = images.float() / 255.0
    titles, colours = [], []
    for position, label in enumerate(top.index):
        probability, loss = top["probability"].iloc[position], top["loss"].iloc[position]
        actual, predicted = top["actual"].iloc[position], top["predicted"].iloc[position]
        where = top["path"].iloc[position] if "path" in top.columns else f"row {label}"
        # One fact a line, so that no line breaks inside a parenthesis; p names its class (the predicted one).
        titles.append(f"{actual} -> {predicted}\np({predicted})={probability:.2f}, loss {loss:.2f}\n{where}")
        # The colour meaning of show_results: red is a wrong prediction, a right one with a high loss stays black.
        colours.append("red" if str(actual) != str(predicted) else "black")
    if owner is not None:
        warn_if_replacing(path, owner=owner, default_name="top_losses.png", what="top losses", of=_OWNER)
    wrong = " (wrong in red)" if "red" in colours else ""
    heading = f"Top {len(titles)} losses: actual -> predicted\np(predicted class), loss{wrong}"
    return image_grid(chosen.cpu(), titles, colours, path, heading)


def _label_header(top: pd.DataFrame) -> str:
    """The header of the column of row labels: the index's name (``row``, or the caller's own)."""
    names = [str(name) for name in top.index.names if name is not None]
    return ", ".join(names) if names else "row"


#: A calibration point's count is centred under it, but ends at it past this x (not past the right edge) and starts
#: at it before 1 minus it (not past the left edge), and goes above a point below :data:`CALIBRATION_FLOOR`.
CALIBRATION_EDGE = 0.9
CALIBRATION_FLOOR = 0.08


def plot_calibration(
    mean_probability: np.ndarray,
    frequency: np.ndarray,
    counts: np.ndarray,
    path: Path,
    binary: bool,
    *,
    axis_labels: tuple[str, str] | None = None,
    title: str = "Calibration (count per bin beside each point)",
    owner: object | None = None,
) -> PlotFile:
    """Reliability diagram: observed frequency against mean predicted probability, with the diagonal.

    ``axis_labels`` (x, y) replace the default wording (the positive class for binary, the predicted class's
    confidence against accuracy otherwise).
    """
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfectly calibrated")
    axis.plot(mean_probability, frequency, "o-", color="tab:blue", label="model")
    for x, y, n in zip(mean_probability, frequency, counts, strict=True):
        # Centred below the point, so that neighbours 0.1 apart do not collide, but kept inside the frame: "125" at
        # x=0.95 ran over the right edge, and "21,202" at (0.01, 0.0) sat on the axes' corner.
        align = "right" if x > CALIBRATION_EDGE else "left" if x < 1 - CALIBRATION_EDGE else "center"
        axis.annotate(
            f"{int(n):,}",
            (x, y),
            textcoords="offset points",
            xytext=({"right": 4, "left": -4, "center": 0}[align], -12 if y >= CALIBRATION_FLOOR else 6),
            ha=align,
            fontsize=8,
        )
    axis.set_xlim(-0.02, 1.02)  # a margin so points at 0 and 1 stay visible
    axis.set_ylim(-0.02, 1.02)
    if axis_labels is None:
        axis_labels = (
            ("mean predicted probability (positive class)", "observed frequency of the positive class")
            if binary
            else ("mean confidence of the predicted class", "accuracy")
        )
    axis.set_xlabel(axis_labels[0])
    axis.set_ylabel(axis_labels[1])
    axis.set_title(title)
    # Below the panel: a badly calibrated model puts points in any corner, and a legend inside would hide them.
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    axis.grid(alpha=0.3)
    if owner is not None:
        warn_if_replacing(
            path, owner=owner, default_name="calibration.png", what="calibration plot", of=_OWNER
        )
    return _save(figure, path)


def number_text(value: float, signed: bool = False) -> str:
    """A number in a title, a label or a table of the plots: :func:`~trainwell.core.numbers.amount` (``51,580``,
    never ``5.158e+04``), the thousands separated below 10,000 too (``2,023``); ``signed`` writes ``+`` too."""
    value = float(value)
    text = f"{value:,.0f}" if math.isfinite(value) and 1e3 <= abs(value) < 1e4 else amount(value)
    return ("+" if signed and value >= 0 else "") + text


def _short(value: Any, limit: int = 18) -> str:
    text = number_text(value) if isinstance(value, float) else str(value)  # 12,345 rooms, not 1.234e+04
    return text if len(text) <= limit else text[: limit - 1] + "…"
