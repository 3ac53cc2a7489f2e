"""Tables in and out of predictors: raw rows as a DataFrame, predictions as a DataFrame.

Every predictor (PyTorch, ONNX, the HTTP server) shares these two functions, so their outputs have one layout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.arrays import as_array
from trainwell.core.errors import DataError
from trainwell.data.task import Task

if TYPE_CHECKING:
    import pandas as pd
    import torch

#: The key of a DataFrame's ``attrs`` that holds the path :func:`rows_frame` read it from.
_READ_FROM = "trainwell_read_from"


def rows_frame(
    rows: pd.DataFrame | list[dict[str, Any]] | Mapping[str, Any] | pd.Series | str | os.PathLike[str],
    what: str = "rows",
    *,
    task: Task | None = None,
) -> pd.DataFrame:
    """``rows`` as a DataFrame: a DataFrame as is, a list of ``{column: value}`` dicts, one row alone as a
    ``{column: value}`` dict (what a JSON object decodes to) or a Series (``table.iloc[0]``, index kept), or the
    path of a table file (CSV, TSV, Parquet, JSON...: :func:`~trainwell.read_table`), as ``trainwell predict``
    reads it: the model's ``task``'s target column kept as written (:func:`labels_as_written`), and the path
    kept for errors to name (:func:`rows_source`)."""
    import pandas as pd

    if isinstance(rows, (str, os.PathLike)):
        from trainwell.data.io import read_table

        path = Path(rows)
        if not path.is_file():
            shown = str(rows) if len(str(rows)) <= 60 else str(rows)[:57] + "..."
            raise DataError(
                f"{what} {shown!r} is no file; pass the path of a table file (CSV, TSV, Parquet, JSON), a "
                "DataFrame, a list of dicts, or one row as a dict or a Series"
            )
        frame = read_table(path, as_written=labels_as_written(task))
        frame.attrs[_READ_FROM] = str(rows)
    elif isinstance(rows, pd.DataFrame):
        frame = rows
    elif isinstance(rows, pd.Series):
        frame = rows.to_frame().T.infer_objects()
    elif isinstance(rows, Mapping):
        columns = [
            str(key) for key, value in rows.items() if isinstance(value, (list, tuple, np.ndarray, pd.Series))
        ]
        if columns:
            raise DataError(
                f"{what} is a dict whose values {', '.join(columns[:3])} are sequences; a dict is one row "
                "({column: value}), and a dict of lists is columns: pass pd.DataFrame(rows)"
            )
        frame = _records_frame([dict(rows)], what)
    elif isinstance(rows, list) and all(isinstance(row, Mapping) for row in rows):
        frame = _records_frame(rows, what)
    else:
        raise DataError(
            f"{what} must be a DataFrame, a list of dicts, one row as a dict or a Series, or the path of a table "
            f"file; got {type(rows).__name__}"
        )
    if len(frame) == 0:
        raise DataError(f"{_empty(rows, frame, what)}; pass at least one row")
    return frame


def _records_frame(records: list[Any], what: str) -> pd.DataFrame:
    """``pd.DataFrame(records)``, refusing text that is not Unicode (a lone surrogate, which a JSON ``\\ud800``
    escape decodes to) by row and column: pandas' UTF-8 string columns raised a bare ``UnicodeEncodeError``."""
    import pandas as pd

    try:
        return pd.DataFrame(records)
    except UnicodeEncodeError:
        for number, record in enumerate(records):
            for column, value in record.items():
                if isinstance(value, str) and not _is_unicode(value):
                    escape = next(f"\\u{ord(c):04x}" for c in value if "\ud800" <= c <= "\udfff")
                    raise DataError(
                        f"the value of {str(column)!r} in row {number} of the {what} is not valid Unicode text: it "
                        f"holds the lone surrogate {escape}, half of a pair that writes one character (a JSON \\u escape "
                        "without its partner); use the character itself, or both halves of its pair"
                    ) from None
        raise


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def rows_source(frame: pd.DataFrame) -> str:
    """How an error names ``frame``: the path of the file :func:`rows_frame` read it from, else
    :data:`~trainwell.data.io.INPUT_ROWS` (rows given in memory)."""
    from trainwell.data.io import INPUT_ROWS

    return str(frame.attrs.get(_READ_FROM, INPUT_ROWS))


def labels_as_written(task: Task | None) -> list[str]:
    """The target columns of a multi-label ``task`` whose labels are joined by its ``label_delim``: a file's
    reader keeps them as written (:func:`~trainwell.read_table`'s ``as_written``), as the fit read them, where a
    TSV's decimal commas read the labels ``0,1`` as the number 0.1 (and said so). None for other tasks."""
    if task is None or task.kind != "multilabel" or task.label_delim is None:
        return []
    return list(task.target_names)


def _empty(rows: Any, frame: pd.DataFrame, what: str) -> str:
    """What was passed, said to hold no rows: ``"the table (a DataFrame of the columns age, city) has no rows"``
    (``"rows has no rows"`` named the parameter, not the table)."""
    import pandas as pd

    from trainwell.data.io import list_columns

    if isinstance(rows, list):
        return "the list of rows is empty" if what == "rows" else f"{what} (a list of rows) is empty"
    if isinstance(rows, (str, os.PathLike)):
        return f"the table file {str(rows)!r} has no rows"
    kind = "a DataFrame" if isinstance(rows, pd.DataFrame) else type(rows).__name__
    columns = [str(column) for column in frame.columns]
    of = f" of the columns {list_columns(columns)}" if columns else " without columns"
    return f"{'the table' if what == 'rows' else what} ({kind}{of}) has no rows"


def prediction_table(
    task: Task, values: np.ndarray | torch.Tensor, index: pd.Index, *, at_least_one: bool = False
) -> pd.DataFrame:
    """One row per input row: ``prediction`` then ``probability_<class>`` columns (classification), or the
    predicted value(s) (regression). ``values`` are activated outputs (probabilities or values);
    ``at_least_one``: as :meth:`Task.decode` takes it (multilabel: no row left without a label)."""
    import pandas as pd

    array = as_array(values)
    result = pd.DataFrame(index=index)
    matrix = array.reshape(len(index), -1)
    _refuse_not_finite(matrix)
    if task.kind == "regression":
        names = list(task.target_names) or ["prediction"]
        for position, name in enumerate(names):
            result[f"{name}_predicted" if len(names) > 1 else "prediction"] = matrix[:, position]
        return result
    decoded = task.decode(array, at_least_one=at_least_one)
    result["prediction"] = (
        # Joined with the separator the labels came with in training (";" for 0/1 columns or lists).
        [(task.label_delim or ";").join(map(str, labels)) for labels in decoded]
        if task.kind == "multilabel"
        else decoded
    )
    if task.kind == "binary":
        result[f"probability_{task.classes[1]}"] = matrix[:, 0]
    else:
        for position, label in enumerate(task.classes):
            result[f"probability_{label}"] = matrix[:, position]
    return result


def probability_table(task: Task, values: np.ndarray | torch.Tensor, index: pd.Index) -> pd.DataFrame:
    """Activated outputs as a table with one row per input row (``index``) and one column per class, named by
    the class: a binary model's two columns (``1 - p`` and ``p``, summing to 1), a multi-class model's
    probabilities, a multi-label model's each label's own; a regression's values, a column per target. What
    ``predict_proba(rows, as_frame=True)`` gives, as AutoGluon's ``predict_proba`` does."""
    import pandas as pd

    matrix = as_array(values).reshape(len(index), -1)
    _refuse_not_finite(matrix)
    if task.kind == "binary":
        positive = matrix[:, 0]
        return pd.DataFrame({task.classes[0]: 1 - positive, task.classes[1]: positive}, index=index)
    names = list(task.classes) if task.is_classification else (list(task.target_names) or ["prediction"])
    return pd.DataFrame({name: matrix[:, position] for position, name in enumerate(names)}, index=index)


def _refuse_not_finite(matrix: np.ndarray) -> None:
    """A row whose output is NaN or infinite has no answer: a NaN probability decoded as the first class (and
    a regression as NaN), which a table of predictions would pass on as if it were one."""
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if len(bad) == 0:
        return
    raise DataError(not_finite_outputs(bad.tolist(), len(matrix)))


def not_finite_outputs(positions: list[int], total: int, noun: str = "rows", item: str = "data row") -> str:
    """What it means that a model's output is NaN or infinite for the inputs at ``positions`` (0-based) of
    ``total`` (``noun`` and ``item`` name them: "rows", "data row"): for all or most of them, damaged weights (a
    corrupted ``model.safetensors`` or a fit that diverged: 299 of the model's own 300 training rows had been
    blamed on the rows); for a few, inputs far outside the training data."""
    count = len(positions)
    shown = ", ".join(str(position + 1) for position in positions[:5]) + (", ..." if count > 5 else "")
    named = f"{item}{'' if count == 1 else 's'} {shown}"
    if count == total > 1:
        return (
            f"the model's output is not a finite number for any of the {total} {noun}: it answers NaN whatever it "
            "reads, so its weights likely hold NaN (a damaged model.safetensors, or a fit that diverged); restore "
            "the model directory or fit it again"
        )
    if total > 2 and count * 2 > total:
        return (
            f"the model's output is not a finite number for {named} ({count} of {total} {noun}): when most "
            "fail, the weights are likely damaged (a corrupted model.safetensors, or a fit that diverged); restore "
            "the model directory or fit it again"
        )
    return (
        f"the model's output is not a finite number for {named} ({count} of {total} {noun}): an input is far "
        f"outside the training data; check the values of {'that row' if count == 1 else 'those rows'}"
    )
