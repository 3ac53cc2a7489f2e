"""The report's sections for models with several outputs per row: multi-label classifiers (one yes/no decision
per label) and regressions of several targets (one number per target, each in its own units).

A confusion matrix or one scatter plot cannot show these: a multi-label model is judged label by label (how
often each label is found, how often it is given wrongly), and several targets each get their own predicted
against actual plot. The top-losses tables list what was missed and what was added, or each target's value.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.core.numbers import amount, figure
from trainwell.data.task import Task
from trainwell.evaluate.explain import share
from trainwell.metrics import functional
from trainwell.metrics.targets import target_labels
from trainwell.report import _html
from trainwell.report._class_intervals import (
    FIGURES,
    ClassIntervals,
    class_figures,
    class_intervals,
    label_intervals,
)
from trainwell.report._plots import predicted_vs_actual_png

#: Probabilities are clipped here before the log, so a confidently wrong decision has a large, finite loss.
EPS = 1e-7
#: Labels shown in the per-label plot (most frequent first); the table below it lists every label.
MAX_PLOTTED_LABELS = 30


def has_several_outputs(task: Task) -> bool:
    """Multi-label, or a regression of several targets: the cases this module reports on."""
    return task.kind == "multilabel" or (task.kind == "regression" and len(task.target_names) > 1)


def output_row_losses(task: Task, probabilities: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """Per-row loss of a multi-output model.

    Multi-label: the mean over labels of ``-log p(the right decision)`` (binary cross-entropy). Several
    regression targets: the mean over targets of the squared error in that target's standard deviations over
    these rows, so that a target in large units does not own the ranking.
    """
    if task.kind == "multilabel":
        p = probabilities.float().clamp(EPS, 1 - EPS)
        t = targets.float()
        return (-(t * torch.log(p) + (1 - t) * torch.log(1 - p))).mean(dim=1).numpy()
    predictions, actual = (
        probabilities.float().reshape(len(targets), -1),
        targets.float().reshape(len(targets), -1),
    )
    spread = actual.std(dim=0, unbiased=False)
    spread = torch.where(spread > 0, spread, torch.ones_like(spread))  # a constant target: raw units
    return (((predictions - actual) / spread) ** 2).mean(dim=1).numpy()


def decisions(task: Task, probabilities: torch.Tensor) -> np.ndarray:
    """The model's yes/no per row and label (``(N, L)`` of 0/1), decoded as ``predict`` decodes them."""
    return task.encode(task.decode(probabilities)).numpy().astype(bool)


def label_sections(
    task: Task, probabilities: torch.Tensor, targets: torch.Tensor, unit: str = "row", seed: int = 0
) -> list[str]:
    """Per-label quality (table and plot) and a calibration diagram pooled over every label decision; each
    label's precision, recall and F1 with its 95% bootstrap interval over ``unit``s (``seed`` seeds it), drawn
    as the per-class table of a single-label model draws them."""
    actual = targets.numpy().astype(bool)
    predicted = decisions(task, probabilities)
    scores = probabilities.float().numpy()
    bounds = label_intervals(actual, predicted, seed=seed) if len(actual) else None
    rows = []
    intervals: dict[str, list[str]] = {}
    for column, label in enumerate(task.classes):
        truth, guess = actual[:, column], predicted[:, column]
        hits = int((truth & guess).sum())
        precision = hits / guess.sum() if guess.any() else float("nan")
        recall = hits / truth.sum() if truth.any() else float("nan")
        f1 = 2 * hits / (truth.sum() + guess.sum()) if truth.any() or guess.any() else float("nan")
        auc = (
            functional.roc_auc(
                torch.from_numpy(scores[:, column]), torch.from_numpy(truth.astype(np.float32)), "binary"
            )
            if 0 < truth.sum() < len(truth)
            else float("nan")
        )
        rows.append((str(label), int(truth.sum()), int(guess.sum()), precision, recall, f1, auc))
        values = {"precision": precision, "recall": recall, "f1": f1}
        intervals[str(label)] = [
            _interval_cell(bounds.low[name][column], bounds.high[name][column])
            if bounds and math.isfinite(values.get(name, 0.0))
            else ""
            for name in FIGURES
        ]
    rows.sort(key=lambda row: -row[1])  # most frequent label first (stable: ties keep the model's order)
    exact = float((actual == predicted).all(axis=1).mean()) if len(actual) else float("nan")
    summary = (
        f"{100 * exact:.0f}% of {unit}s get exactly the right set of labels. "
        f"{'An' if unit[:1] in 'aeiou' else 'A'} {unit} holds "
        f"{actual.sum(axis=1).mean():.2f} labels on average; the model gives {predicted.sum(axis=1).mean():.2f}."
    )
    never = [row[0] for row in rows if row[1] > 0 and row[2] == 0]
    notes = [_html.paragraph(summary), _html.paragraph(f1_averages(actual, predicted, unit))]
    if never:
        shown = ", ".join(never[:10]) + (f" and {len(never) - 10} more" if len(never) > 10 else "")
        notes.append(
            _html.paragraph(
                f"Never given by the model on these {unit}s although present: {shown}. Their probabilities may "
                "still rank well (ROC AUC); a lower decision threshold would find some.",
            )
        )
    explanation = (
        f"Per label: {unit}s that have it, {unit}s the model gives it to, precision (share of the model's "
        f"'yes' that are right), recall (share of the label's {unit}s found), F1, each with its 95% interval "
        f"(Wilson's for precision and recall, a percentile bootstrap over {unit}s for F1; 'not estimable' where every resample scored alike), and ROC AUC (how well the probability ranks {unit}s with the label "
        f"above {unit}s without; blank when every {unit} has it or none does). A figure with nothing to divide by "
        "is blank."
    )
    per_label = _html.section(
        "labels",
        "Per-label quality",
        [
            *notes,
            _html.paragraph(explanation, note=True),
            _html.image(
                _per_label_png(rows[:MAX_PLOTTED_LABELS], unit), "per-label precision, recall and F1"
            ),
            _html.table(
                [
                    "label",
                    f"{unit}s with it",
                    "predicted",
                    *(part for name in ("precision", "recall", "F1") for part in (name, "95% interval")),
                    "ROC AUC",
                ],
                [
                    (
                        *row[:3],
                        *(
                            part
                            for figure, cell in zip(row[3:6], intervals[row[0]], strict=True)
                            for part in (figure, cell)
                        ),
                        row[6],
                    )
                    for row in rows
                ],
            ),
        ],
    )
    calibration = _html.section(
        "calibration",
        "Calibration",
        [
            _html.paragraph(
                f"Every ({unit}, label) decision pooled: the predicted probability of the label against how often "
                "the label is there, per bin; a calibrated model follows the diagonal.",
                note=True,
            ),
            _html.image(calibration_png(scores.reshape(-1), actual.reshape(-1)), "calibration diagram"),
        ],
    )
    return [per_label, calibration]


def f1_averages(actual: np.ndarray, predicted: np.ndarray, unit: str = "row") -> str:
    """The three F1 figures multi-label work quotes, in one sentence: micro (every label decision pooled, as
    Hugging Face's and scikit-learn's ``average="micro"``), macro (each label's F1 averaged: the fit's ``f1``) and
    sample-averaged (each ``unit``'s set of labels against the model's), from ``(N, L)`` yes/no arrays."""
    if not len(actual):
        return ""
    hits = float((actual & predicted).sum())
    wrong = float((actual ^ predicted).sum())
    micro = 2 * hits / (2 * hits + wrong) if hits or wrong else 0.0
    per_label = (
        2 * (actual & predicted).sum(axis=0) / np.maximum(actual.sum(axis=0) + predicted.sum(axis=0), 1)
    )
    per_row = 2 * (actual & predicted).sum(axis=1) / np.maximum(actual.sum(axis=1) + predicted.sum(axis=1), 1)
    return (
        f"F1 over all labels: micro {micro:.4f} (every label decision pooled: frequent labels weigh more), macro "
        f"{float(per_label.mean()):.4f} (each label's F1 averaged: a rare label counts as much as a common one), "
        f"sample-averaged {float(per_row.mean()):.4f} (each {unit}'s labels against the model's, averaged)."
    )


def targets_section(
    task: Task,
    predictions: torch.Tensor,
    targets: torch.Tensor,
    unit: str = "row",
    metadata: dict[str, Any] | None = None,
    place_in_training: bool = False,
) -> str:
    """Predicted against actual, one plot per target, each in its own units (``unit``: what the plots count).
    ``place_in_training``: under each plot, where that target's predictions lie against its training targets'
    range (:func:`training_range_sentence`; a text or image model records one range per target in ``metadata``)."""
    actual = targets.float().reshape(len(targets), -1).numpy()
    predicted = predictions.float().reshape(len(targets), -1).numpy()
    known = trained_range(metadata)
    if known is not None and len(known[0]) != actual.shape[1]:
        known = None  # not one range per target: say nothing rather than place a target against another's
    parts = []
    for column, label in enumerate(target_labels(task.target_names, actual.shape[1])):
        title = f"{label}: predicted against actual"
        png = predicted_vs_actual_png(predicted[:, column], actual[:, column], title=title, unit=f"{unit}s")
        parts.append(_html.image(png, title))
        if place_in_training:
            placed = (known[0][column], known[1][column]) if known else None
            parts.append(_html.paragraph(training_range_sentence(str(label), predicted[:, column], placed)))
    return _html.section("predictions", "Predicted against actual", parts)


def trained_range(metadata: dict[str, Any] | None) -> tuple[list[float], list[float]] | None:
    """The lowest and highest training target (one each per target) a text or image regression recorded at fit
    (its head's ``target_range`` hint); ``None`` when not recorded (an older model, a table's model)."""
    hinted = ((metadata or {}).get("architecture") or {}).get("config", {}).get("target_range")
    if not (isinstance(hinted, list) and len(hinted) == 2):
        return None
    lows, highs = ([value] if isinstance(value, int | float) else value for value in hinted)
    if not (isinstance(lows, list) and isinstance(highs, list) and len(lows) == len(highs)):
        return None
    return [float(value) for value in lows], [float(value) for value in highs]


def training_range_sentence(name: str, predicted: np.ndarray, known: tuple[float, float] | None) -> str:
    """Where the predictions of the target ``name`` lie against the range of its training targets ``known``
    (lowest, highest), which the model saw: within it, or how many lie above and below it and how far. The values
    of the rows judged are no measure of what the model knows; ``None``: the model did not record the range."""
    if not len(predicted):
        return ""
    low_seen, high_seen = float(predicted.min()), float(predicted.max())
    spread = (
        f"The {len(predicted):,} predictions of '{name}' lie from {amount(low_seen, like=high_seen)} to "
        f"{amount(high_seen, like=low_seen)}"  # a range in one form: 9.512e6 to 1.203e7, not 9,512,000 to 1.203e7
    )
    if known is None:
        return (
            f"{spread}; the range of '{name}' in the training data: not recorded (the model was fitted before "
            "trainwell recorded it; fit it again to have it), so they cannot be placed against it."
        )
    low, high = known
    trained = f"the training targets ranged from {amount(low, like=high)} to {amount(high, like=low)}"
    above, below = int((predicted > high).sum()), int((predicted < low).sum())
    if not above and not below:
        return f"{spread}, within the range the model saw in training: {trained}."
    outside = [
        f"{count:,} {side} it (as far as {amount(extreme)})"
        for count, side, extreme in ((above, "above", high_seen), (below, "below", low_seen))
        if count
    ]
    return f"{spread}; {trained}: {' and '.join(outside)}, where the model extrapolates past what it saw."


#: How the top-losses tables number rows, in words (the note below each table).
ROW_NUMBERS = "row: the row's number in the data, counted from 1 (the first row after the header), as trainwell predict numbers them"
#: How they number the rows of a CSV or TSV file without a header row (read with --names, the names fit recorded, or
#: a recommender's own columns for MovieLens' u.data): its first line is its first row.
HEADERLESS_ROWS = (
    "row: the row's line in the file, counted from 1 (the file has no header row: row 1 is its first line), as "
    "trainwell predict numbers them"
)
#: How they number the texts of a fastText file, which has no header: by the line each is on, blank lines counted.
LINE_NUMBERS = (
    "line: the text's line in the file, counted from 1 as an editor counts them (blank lines included)"
)
#: How they name the rows of a DataFrame: by its own index, as ``top_losses()`` and ``learn.predict(df)`` do.
ROW_LABELS = "row: the row's label in the DataFrame's index (df.loc[row] is the row)"


def row_numbers(labels: pd.Index | None, header: bool = True) -> str:
    """The note saying how the top-losses table names rows: by number in a file (``header``: whether the file's
    first line names its columns, else row 1 is that line), by label in a DataFrame."""
    if labels is not None:
        return ROW_LABELS
    return ROW_NUMBERS if header else HEADERLESS_ROWS


def shown_row(index: int, labels: pd.Index | None = None) -> Any:
    """What a person reads for the row at position ``index`` (from 0) of the data: its row in their file, counted
    from 1 after the header, as ``trainwell predict`` and the language model's report count them; or, for a
    DataFrame (``labels``: its index as given), the row's own label, which ``df.loc`` finds: its position
    counted from 1 named another row of a frame indexed by ids, or one filtered or shuffled."""
    if labels is None:
        return index + 1
    label = labels[index]
    if isinstance(label, tuple):  # a MultiIndex: the levels as one cell
        return ", ".join(str(part) for part in label)
    return label.item() if isinstance(label, np.generic) else label


def actual_class(task: Task, targets: torch.Tensor, index: int) -> Any:
    """The true class of row ``index`` of a single-label classifier as the model names it, read from its encoded
    target: the file's own spelling can differ (UCI Adult's test file writes '>50K.' for the class '>50K', which
    the targets' encoding reads as that class) or be a code named by the model's label names."""
    return task.classes[round(float(targets.reshape(-1)[index]))]


def top_losses_header(task: Task) -> list[str]:
    """The columns that describe a row's answer in the top-losses table, before its loss."""
    if task.kind == "multilabel":
        return ["actual", "predicted", "missed", "wrongly added"]
    return [
        part
        for label in target_labels(task.target_names, len(task.target_names))
        for part in (label, f"{label} predicted")
    ]


def top_losses_cells(task: Task, probabilities: torch.Tensor, targets: torch.Tensor, index: int) -> list[Any]:
    """The answer cells of row ``index`` in the top-losses table (see :func:`top_losses_header`)."""
    if task.kind == "multilabel":
        actual = targets[index].numpy().astype(bool)
        predicted = decisions(task, probabilities[index : index + 1])[0]
        return [
            _labels(task.classes, actual),
            _labels(task.classes, predicted),
            _labels(task.classes, actual & ~predicted),
            _labels(task.classes, predicted & ~actual),
        ]
    width = len(task.target_names)
    truth = targets[index].reshape(-1).tolist()
    guess = probabilities[index].reshape(-1).tolist()
    return [value for column in range(width) for value in (float(truth[column]), float(guess[column]))]


def loss_words(task: Task) -> str:
    """What the top-losses table's loss is, in words."""
    if task.kind == "multilabel":
        return "binary cross-entropy averaged over the labels"
    return "squared error in each target's standard deviations, averaged over the targets"


def _labels(classes: Sequence[Any], chosen: np.ndarray) -> str:
    names = [str(label) for label, on in zip(classes, chosen, strict=True) if on]
    return ", ".join(names) if names else "(none)"


def _per_label_png(rows: Sequence[tuple[Any, ...]], unit: str = "row") -> bytes:
    """Grouped horizontal bars of precision, recall and F1 per label, most frequent label on top (``unit``: what
    the brackets count, the label's rows, images or texts)."""
    from matplotlib.figure import Figure

    from trainwell.report._plots import figure_png

    shown = list(rows)[::-1]
    figure = Figure(figsize=(7, max(2.5, 0.4 * len(shown) + 1.2)))
    axis = figure.add_subplot()
    positions = np.arange(len(shown))
    height = 0.27
    for offset, (column, name, color) in enumerate(
        ((3, "precision", "tab:blue"), (4, "recall", "tab:orange"), (5, "F1", "tab:green"))
    ):
        values = [0.0 if np.isnan(row[column]) else row[column] for row in shown]
        # Precision on top of its group, F1 at the bottom: the bars read top-down in the legend's order.
        axis.barh(positions + (1 - offset) * height, values, height=height, color=color, label=name)
    axis.set_yticks(positions, labels=[f"{row[0]} ({row[1]})" for row in shown])
    axis.set_xlim(0, 1)
    axis.set_xlabel(f"at the model's decision threshold ({unit}s with the label in brackets)")
    axis.set_title("Per-label precision, recall and F1", pad=30)  # room for the legend below it
    # Just above the bars, whatever the number of labels (below them, it drifted away on tall plots).
    axis.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axis.grid(axis="x", alpha=0.3)
    return figure_png(figure)


def calibration_png(
    probability: np.ndarray,
    outcome: np.ndarray,
    *,
    axis_labels: tuple[str, str] = (
        "mean predicted probability of a label",
        "share of decisions where the label is there",
    ),
    title: str = "Calibration over all labels (decisions per bin annotated)",
) -> bytes:
    """A reliability diagram of ``probability`` against ``outcome`` (1 where the event happened) as PNG bytes;
    by default worded for the label decisions of a multi-label model."""
    from trainwell.interpret._plots import plot_calibration
    from trainwell.interpret.classification import reliability_bins

    with tempfile.TemporaryDirectory(prefix="trainwell-report-") as scratch:
        return plot_calibration(
            *reliability_bins(probability, outcome),
            Path(scratch) / "calibration.png",
            binary=True,
            axis_labels=axis_labels,
            title=title,
        ).read_bytes()


#: A class with fewer rows than this is noted as too small to judge: its intervals span much of the scale.
MIN_JUDGED_ROWS = 20


def class_section(
    classes: Sequence[Any], actual: np.ndarray, predicted: np.ndarray, unit: str = "row", seed: int = 0
) -> str:
    """Per-class precision, recall, F1 and support of a single-label classifier (binary: both classes), in the
    order the model knows its classes, with the macro and weighted averages and the weakest class named, each
    figure with its 95% bootstrap interval over ``unit``s (``seed`` seeds it), as the metrics are given.

    ``actual`` and ``predicted`` are class indices into ``classes`` (the model's decisions, its threshold
    applied). A figure with nothing to divide by (precision of a class never predicted, recall of a class
    absent from the rows) is left blank; the averages count it as 0 and run over the classes present in
    the rows or predicted, as scikit-learn's ``classification_report`` does, so the two agree. A class of fewer
    than :data:`MIN_JUDGED_ROWS` rows is noted as too small to judge, and not named the weakest.
    """
    count = len(classes)
    actual, predicted = np.asarray(actual, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    support = np.bincount(actual, minlength=count)[:count]
    given = np.bincount(predicted, minlength=count)[:count]
    hits = np.bincount(actual[actual == predicted], minlength=count)[:count]
    # Classes neither in the rows nor predicted say nothing: left out of the averages.
    seen = (support + given) > 0
    figures = class_figures(hits, given, support, seen)  # each (count + 2,): the classes, macro, weighted
    bounds = class_intervals(actual, predicted, count, seed=seed) if len(actual) else None
    small = (support > 0) & (support < MIN_JUDGED_ROWS)

    def cells(position: int) -> list[Any]:
        """A line's figures, each followed by its interval (blank where no resample defines it)."""
        line: list[Any] = []
        for name in FIGURES:
            low, high = (bounds.low[name][position], bounds.high[name][position]) if bounds else (np.nan,) * 2
            value = float(figures[name][position])
            # A figure with nothing to divide by is blank, and so is its interval; a figure's interval no
            # resample defines says so ("not estimable").
            line += [value, _interval_cell(low, high) if math.isfinite(value) else ""]
        return line

    rows: list[tuple[Any, ...]] = []
    for index, label in enumerate(classes):
        note = [f"too few {unit}s to judge" if small[index] else ""] if small.any() else []
        rows.append((str(label), int(support[index]), int(given[index]), *cells(index), *note))
    if seen.any():
        total = (int(support.sum()), int(given.sum()))
        blank = [""] if small.any() else []
        rows.append(("macro average", *total, *cells(count), *blank))
        rows.append((f"weighted average (by {unit}s)", *total, *cells(count + 1), *blank))
    body = [_html.paragraph(_weakest_class(classes, support, given, figures, bounds, unit))]
    body.append(
        _html.paragraph(
            f"Per class, in the model's order: support ({unit}s of that class), {unit}s the model gives it to, precision "
            f"(share of the model's answers of that class that are right), recall (share of the class's {unit}s "
            "found) and F1 (their harmonic mean), each with its 95% interval: Wilson's for a class's precision "
            f"and recall and for the weighted recall (the accuracy), a percentile bootstrap over {unit}s for F1 "
            f'and the other averages, "not estimable" where every resample scored alike. A figure with nothing to divide by is blank; the macro average weighs each class alike '
            f"and the weighted one by its {unit}s, both over the classes present or predicted, a blank counted "
            f"as 0 (as scikit-learn's classification_report). A class of fewer than {MIN_JUDGED_ROWS} {unit}s is "
            "too small to judge: its intervals span much of the scale.",
            note=True,
        )
    )
    header = ["class", "support", "predicted"]
    for name in ("precision", "recall", "F1"):
        header += [name, "95% interval"]
    body.append(_html.table([*header, *(["note"] if small.any() else [])], rows))
    return _html.section("classes", "Per-class quality", body)


def counted(number: int, unit: str) -> str:
    """``number`` ``unit``s, singular for one: "of its 1 images" read as a slip in a report."""
    return f"{number:,} {unit}{'' if number == 1 else 's'}"


def _interval_cell(low: float, high: float) -> str:
    """A per-class figure's interval; "not estimable" where no resample defines it or every one scored alike
    (the table's note promises it: a blank beside F1 1.0000 on 20 images read as certain)."""
    return _html.interval(low, high)


def _weakest_class(
    classes: Sequence[Any],
    support: np.ndarray,
    given: np.ndarray,
    figures: dict[str, np.ndarray],
    bounds: ClassIntervals | None,
    unit: str,
) -> str:
    """Sentences naming the class with the lowest F1 among those of at least :data:`MIN_JUDGED_ROWS` rows (first
    in the model's order on a tie), with its interval, and the classes too small to judge."""
    present = [index for index in range(len(classes)) if support[index] > 0]
    if not present:
        return f"No class of the model is present in these {unit}s."
    judged = [index for index in present if support[index] >= MIN_JUDGED_ROWS]
    small = [index for index in present if support[index] < MIN_JUDGED_ROWS]
    index = min(judged or present, key=lambda position: figures["f1"][position])
    name, f1 = str(classes[index]), float(figures["f1"][index])
    if len(present) == 1:
        lead = f"Only '{name}' is present in these {unit}s"
    elif judged:
        lead = f"The weakest class is '{name}'"
    else:
        lead = (
            f"Every class has fewer than {MIN_JUDGED_ROWS} {unit}s here, too few to judge one against another; "
            f"the lowest is '{name}'"
        )
    low, high = (bounds.low["f1"][index], bounds.high["f1"][index]) if bounds else (math.nan, math.nan)
    spread = (
        f" (95% interval {figure(float(low))} to {figure(float(high))})"
        if math.isfinite(low) and math.isfinite(high)
        else " (95% interval not estimable)"
    )
    found = f"it finds {share(float(figures['recall'][index]))} of its {counted(int(support[index]), unit)}"
    if given[index] == 0:
        right = "and never gives it"
    else:
        precision = share(float(figures["precision"][index]))
        calls = int(given[index])
        right = (
            f"and the 1 {unit} it calls '{name}' is {'right' if float(figures['precision'][index]) == 1.0 else 'wrong'}"
            if calls == 1
            else f"and {precision} of the {calls:,} {unit}s it calls '{name}' are right"
        )
    sentence = f"{lead}: F1 {figure(f1)}{spread}; {found} {right}."
    if judged and small:
        listed = ", ".join(
            f"'{classes[i]}' ({counted(int(support[i]), unit)}, F1 {figure(float(figures['f1'][i]))})"
            for i in small[:10]
        )
        more = f" and {len(small) - 10} more" if len(small) > 10 else ""
        sentence += f" Too few {unit}s to judge (under {MIN_JUDGED_ROWS}): {listed}{more}."
    return sentence


#: The decision thresholds the binary classifier's threshold table lists, beside the model's own.
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def threshold_section(task: Task, score: np.ndarray, truth: np.ndarray, unit: str = "row") -> str:
    """A binary classifier's ROC and precision-recall curves, its decision threshold marked on both, and what
    other thresholds would give (precision, recall, F1 and the share of ``unit``s called positive at each):
    accuracy and F1 at one threshold left a colleague unable to see what 0.3 would do (``fit
    --decision-threshold`` sets it)."""
    from trainwell.report._plots import roc_pr_png

    score, truth = np.asarray(score, dtype=np.float64).reshape(-1), np.asarray(truth).reshape(-1) > 0.5
    positive = str(task.classes[1])
    if not (0 < int(truth.sum()) < len(truth)):
        return _html.section(
            "thresholds",
            "ROC and precision-recall curves",
            [_html.paragraph(f"Every {unit} here is of one class: there is no curve to draw.", note=True)],
        )
    tensor_score, tensor_truth = torch.from_numpy(score), torch.from_numpy(truth.astype(np.float32))
    auc = functional.roc_auc(tensor_score, tensor_truth, "binary")
    average = functional.average_precision(tensor_score, tensor_truth, "binary")
    png = roc_pr_png(score, truth, float(task.threshold), positive, auc, average)
    rows = []
    for threshold in sorted({*THRESHOLDS, float(task.threshold)}):
        called = score >= threshold
        hits = int((called & truth).sum())
        precision = hits / int(called.sum()) if called.any() else float("nan")
        recall = hits / int(truth.sum())
        f1 = 2 * hits / (int(called.sum()) + int(truth.sum()))
        mine = "the model's" if math.isclose(threshold, float(task.threshold)) else ""
        rows.append((f"{threshold:g}", precision, recall, f1, f"{called.mean():.1%}", mine))
    note = (
        f"Left, the share of '{positive}' {unit}s found (recall) against the share of the others wrongly called "
        f"'{positive}', as the decision threshold falls; right, the share of the calls that are right "
        f"(precision) against recall. The red dot is the model's threshold, {float(task.threshold):g} (fit "
        "--decision-threshold sets it). The table says what other thresholds would give on these "
        f"{unit}s; a threshold chosen on them is judged too kindly here, so choose it on validation {unit}s."
    )
    return _html.section(
        "thresholds",
        "ROC and precision-recall curves",
        [
            _html.paragraph(note, note=True),
            _html.image(png, "ROC and precision-recall curves with the decision threshold marked"),
            _html.table(
                ["threshold", "precision", "recall", "F1", f"{unit}s called '{positive}'", "used by"], rows
            ),
        ],
    )
