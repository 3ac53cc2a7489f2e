"""The report's sections for a text classifier: metrics, confusion, calibration, and the worst texts as snippets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import torch

import trainwell
from trainwell.core.errors import ConfigError, DataError
from trainwell.report import _html, _outputs
from trainwell.text._fasttext import fasttext_lines

if TYPE_CHECKING:
    from trainwell.text.predictor import TextPredictor

#: Characters of each text shown among the top losses.
SNIPPET = 300


@dataclass(frozen=True)
class TextPlaces:
    """Where each text judged sits in the user's own files, which names it among the top losses in place of a row
    number: a folder has no rows (``file``, its path; and ``line`` in a file of a text a line), and a fastText file
    no header row and blank lines skipped (``line``)."""

    #: One row a text, in the order judged: the columns shown (``file``, ``line``).
    columns: pd.DataFrame
    #: How they name a text, in words, for the note below the table.
    note: str


def snippet(text: str, limit: int = SNIPPET) -> str:
    """The text on one line, cut at a word boundary near ``limit`` characters."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + " …"


def text_report_sections(
    predictor: TextPredictor,
    frame: pd.DataFrame,
    source: str,
    *,
    top_k: int,
    seed: int = 0,
    labels: pd.Index | None = None,
    places: TextPlaces | None = None,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for a text model judged on the labelled rows of ``frame``; ``labels``: the
    index of the DataFrame they came from, which names the top losses (a file's rows go by their number);
    ``places``: where each text sits in a folder or fastText file (:func:`read_judged`), which names them
    instead."""
    from trainwell.report.build import _training_overlap, judged_sections, row_losses

    task = predictor.task
    names = list(task.target_names)
    if task.kind not in ("binary", "multiclass", "multilabel", "regression") or (
        len(names) != 1 and task.kind not in ("multilabel", "regression")
    ):
        raise ConfigError(
            f"the report supports binary, multiclass, multi-label and regression text models; this is {task.kind}"
        )
    target = names[0]
    columns = predictor.recipe.input_columns
    for name, what in (*((column, "text") for column in columns), *((name, "target") for name in names)):
        if name not in frame.columns:
            raise DataError(
                f"{what} column '{name}' not found in {source}; judging a model needs labelled texts. Columns are: "
                f"{', '.join(map(str, list(frame.columns)[:20]))}"
            )
    for name in names if task.label_delim is None else ():  # delimited labels: an empty cell is no label
        if frame[name].isna().any():
            raise DataError(f"target column '{name}' has missing values in {source}; drop or fill those rows")
    if task.kind == "multilabel" and len(names) == 1:
        from trainwell.data.task import infer_task

        given = infer_task(
            frame[target], name=target, kind="multilabel", label_delim=task.label_delim
        ).classes
        unknown = task.unknown_classes(given)
        if unknown:
            raise DataError(
                f"{source} has labels the model does not know: {unknown[:5]}; its labels are "
                f"{', '.join(map(str, task.classes))}"
            )
    targets = task.encode(frame[target] if len(names) == 1 else frame[names])
    probabilities = predictor.predict_proba(frame)
    overlap = _training_overlap(predictor.metadata, frame, unit="texts")
    sections = judged_sections(
        task,
        probabilities,
        targets,
        (len(frame), f"{len(frame):,} labelled texts from {source}"),
        "text",
        trained_on=bool(overlap),
        test_split="(the test split of " in source,  # a folder's test/, held out of every choice
        seed=seed,
    )
    losses = row_losses(task, probabilities, targets)
    # A pair's fields are shown side by side, as the model reads them.
    shown = frame[columns[0]] if len(columns) == 1 else frame[columns].astype(str).agg(" ‖ ".join, axis=1)
    shown_frame = frame.assign(**{" ‖ ".join(columns): shown})
    sections.append(
        _top_texts_section(
            task,
            shown_frame,
            " ‖ ".join(columns),
            target,
            probabilities,
            targets,
            losses,
            top_k,
            labels,
            places=places,
        )
    )
    classes = f" ({', '.join(map(str, task.classes))})" if task.classes else ""  # none for a regression
    intro = [
        _html.paragraph(
            f"{_model_words(task)} predicting {', '.join(repr(name) for name in names)} "
            f"from {' and '.join(repr(column) for column in columns)}{classes}, evaluated on {len(frame):,} "
            f"labelled texts from {source}. "
            f"trainwell {trainwell.__version__}."
        )
    ]
    if overlap:
        intro.append(_html.paragraph(overlap))
    return intro, sections


def _model_words(task: Any) -> str:
    """How the report's first line names the model: "binary text classifier", "text regression"..."""
    if task.kind == "regression":
        return (
            "text regression"
            if len(task.target_names) == 1
            else f"text regression ({len(task.target_names)} targets)"
        )
    return f"{'multi-label' if task.kind == 'multilabel' else task.kind} text classifier"


def _top_texts_section(
    task: Any,
    frame: pd.DataFrame,
    column: str,
    target: str,
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    losses: np.ndarray,
    k: int,
    labels: pd.Index | None = None,
    *,
    places: TextPlaces | None = None,
) -> str:
    """The ``k`` texts of highest loss, each named by its row in the file, its label in the DataFrame's index
    (``labels``) or, for a folder or a fastText file (``places``), where it sits: its file (and line), or its
    line: a folder has no rows, and a fastText file no header row and its blank lines skipped, so a row's number
    is not its line."""
    order = np.lexsort((np.arange(len(losses)), -losses))[:k]
    first = ["row"] if places is None else [str(name) for name in places.columns.columns]

    def named(index: int) -> list[Any]:
        if places is None:
            return [_outputs.shown_row(index, labels)]
        return [
            value.item() if isinstance(value, np.generic) else value for value in places.columns.iloc[index]
        ]

    if task.kind == "multilabel" or len(task.target_names) > 1:
        header = [*first, *_outputs.top_losses_header(task), "loss", "text"]
        rows = [
            [
                *named(index),
                *_outputs.top_losses_cells(task, probabilities, targets, index),
                float(losses[index]),
                snippet(frame[column].iloc[index]),
            ]
            for index in order.tolist()
        ]
        what = f"{_outputs.loss_words(task)}), their first {SNIPPET} characters."
    elif task.kind == "regression":
        predicted = probabilities.reshape(-1).tolist()
        header = [*first, "actual", "predicted", "error", "text"]
        rows = [
            [
                *named(index),
                frame[target].iloc[index],
                float(predicted[index]),
                float(predicted[index]) - float(targets.reshape(-1)[index]),
                snippet(frame[column].iloc[index]),
            ]
            for index in order.tolist()
        ]
        what = f"the squared error; error is predicted minus actual), their first {SNIPPET} characters."
    else:
        predicted = task.decode(probabilities)
        if task.kind == "binary":
            confidence = torch.where(probabilities >= task.threshold, probabilities, 1 - probabilities)
        else:
            confidence = probabilities.max(dim=-1).values
        header = [*first, "actual", "predicted", "probability", "loss", "text"]
        rows = [
            [
                *named(index),
                _outputs.actual_class(task, targets, index),
                predicted[index],
                float(confidence[index]),
                float(losses[index]),
                snippet(frame[column].iloc[index]),
            ]
            for index in order.tolist()
        ]
        what = (
            f"-log of the probability given to the true class), their first {SNIPPET} characters; probability "
            "is that of the predicted class."
        )
    numbering = _outputs.row_numbers(labels) if places is None else places.note
    note = f"The {len(rows)} texts with the highest loss ({what} {numbering}."
    return _html.section(
        "top-losses",
        "Top losses",
        [_html.paragraph(note, note=True), _html.table(header, rows)],
    )


def read_judged(
    data: pd.DataFrame | str | Path,
    *,
    columns: Sequence[str] = (),
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    names: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, str, TextPlaces | None]:
    """:func:`read_labelled`'s rows and name, and where each text sits in a folder of texts or a fastText file
    (``None`` for a table, whose rows go by their number, and a DataFrame, by its index)."""
    if isinstance(data, pd.DataFrame) or not Path(data).is_dir():
        frame, source = read_labelled(
            data, columns=columns, encoding=encoding, encoding_errors=encoding_errors, names=names
        )
        lines = fasttext_lines(data, encoding=encoding, encoding_errors=encoding_errors)
        places = None if lines is None else TextPlaces(pd.DataFrame({"line": lines}), _outputs.LINE_NUMBERS)
        return frame, source, places
    return _folder_labelled(Path(data), columns, encoding, encoding_errors)


def read_labelled(
    data: pd.DataFrame | str | Path,
    *,
    columns: Sequence[str] = (),
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    names: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """The labelled rows and how to name them in the report (``encoding``: that of a CSV/TSV/JSON file;
    ``names``: the columns of one without a header row).

    A ``.txt`` file (one text a line, as ``predict`` reads it) has no labels: refused, naming the table
    ``columns`` (the text column and the targets) the report needs, rather than read as a CSV whose first text
    would be a header."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True), "the data"
    if Path(data).is_dir():
        return _folder_labelled(Path(data), columns, encoding, encoding_errors)[:2]
    from trainwell.text._fasttext import is_fasttext_file, read_fasttext
    from trainwell.text.table import read_text_table

    if is_fasttext_file(data):  # __label__pos a great film: the model's text column and target
        errors: Any = encoding_errors
        frame = read_fasttext(data, encoding=encoding, encoding_errors=errors)
        return frame.set_axis(list(columns) if len(columns) == 2 else ["text", "label"], axis=1), str(data)
    if Path(data).name.lower().removesuffix(".gz").endswith(".txt"):
        named = [f"'{name}'" for name in columns]
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        raise DataError(
            f"{data} holds texts one per line, without their labels; judging a model needs labelled texts: a table "
            f"(CSV, TSV, Parquet or JSON lines) with the column{'s' if len(named) > 1 else ''} {listed}"
        )

    # Read as fit and evaluate read texts: cells as written ("NA" is a word), and a multi-label target of ids
    # '0,7' (--label-delim ,) kept as text, where read_table took it for a number with a decimal comma (0.7).
    errors_as: Any = encoding_errors
    frame = read_text_table(data, str(data), encoding=encoding, encoding_errors=errors_as, names=names)
    return frame.reset_index(drop=True), str(data)


def _folder_labelled(
    root: Path, columns: Sequence[str], encoding: str, encoding_errors: str
) -> tuple[pd.DataFrame, str, TextPlaces]:
    """A folder of texts (``<label>/*.txt``; beside ``train/``, its ``test/`` split, else its ``valid/``) as the
    labelled rows, its columns named as the model's (``columns``: the text column, then the target), and the file
    (and line) each text is on."""
    from trainwell.core.text_encoding import check_encoding_errors
    from trainwell.text._folders import PLACE_COLUMNS, judged_texts

    if len(columns) != 2:
        raise DataError(
            f"{root} is a folder of texts, one label each (its folder's name); this model predicts "
            f"{len(columns) - 1} label columns: pass a table with the columns {', '.join(map(repr, columns))}"
        )
    check_encoding_errors(encoding_errors)
    errors: Literal["strict", "replace"] = "replace" if encoding_errors == "replace" else "strict"
    frame, source = judged_texts(root, encoding=encoding, encoding_errors=errors)
    placed = [name for name in PLACE_COLUMNS if name in frame.columns]
    note = f"file: the text's file, relative to '{root}'"
    if "line" in placed:
        note += ", and line: its line there, counted from 1 as an editor counts them (blank lines included)"
    places = TextPlaces(frame[placed].reset_index(drop=True), note)
    # Named apart from the texts: a model's text column may itself be called 'file'.
    texts = frame[["text", "label"]].rename(columns={"text": columns[0], "label": columns[1]})
    return texts, source, places
