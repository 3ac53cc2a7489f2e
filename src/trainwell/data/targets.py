"""A table's target columns as the user names them, and the numbers in them, checked before anything is trained.

Two mistakes got far before: a target passed as the column itself (``target=df["y"]``), whose every value was
then looked up as a column name and listed in a message several kilobytes long; and an infinite or huge number in
a target of numbers, which went into training, leaked numpy's overflow warnings, and stopped it with "the loss
became infinite ... lower the learning rate", blaming the learning rate for the data. An input column's infinite
value is refused by the recipe (:mod:`trainwell.tabular.recipe`); a target's is refused here, alike, naming its
data row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.dates import data_row

if TYPE_CHECKING:
    from trainwell.data.task import Task

#: The largest number the model's 32-bit tensors hold: a target beyond it became infinity.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: The farthest a regression target may lie from its column's median: the square of a larger error is beyond
#: :data:`FLOAT32_MAX`, so the loss became infinite on the first batch that held it.
LARGEST_DEVIATION = float(np.sqrt(FLOAT32_MAX))


def target_names(target: Any) -> list[str]:
    """``target`` (a column name, or a list, tuple or pandas Index of names) as a list of names; a Series, a
    DataFrame or an array (the target column itself rather than its name) is refused naming the fix.

    >>> target_names("y"), target_names(("a", "b"))
    (['y'], ['a', 'b'])
    """
    if isinstance(target, str):
        return [target]
    if isinstance(target, pd.Series):
        named = (
            f"target={str(target.name)!r}" if target.name is not None else "target='NAME', the column's name"
        )
        raise ConfigError(
            f"target must be a column name (or a list of names), got a pandas Series; pass {named}"
        )
    if isinstance(target, pd.DataFrame):
        columns = ", ".join(repr(str(column)) for column in target.columns[:5])
        more = ", ..." if len(target.columns) > 5 else ""
        raise ConfigError(
            "target must be a column name (or a list of names), got a pandas DataFrame; pass "
            f"target=[{columns}{more}]"
        )
    if hasattr(target, "shape") and not isinstance(target, pd.Index):  # an array or a tensor of the values
        raise ConfigError(
            f"target must be a column name (or a list of names), got {type(target).__name__} of values; pass the "
            "column's name (target='NAME'), the values being a column of the table"
        )
    try:
        names = list(target)  # a list, a tuple, a pandas Index of column names
    except TypeError:
        names = []
    if not names or not all(isinstance(name, str) for name in names):
        shown = repr(target) if len(repr(target)) <= 80 else repr(target)[:77] + "..."
        raise ConfigError(
            f"target (--target) must name the column to predict (or a list of columns), got {shown}; pass e.g. "
            "target='income'"
        )
    return names


def column_names(value: Any, argument: str) -> list[Any] | None:
    """A list of column names given to ``argument`` (``cat_names``, ``cont_names``, ``ignore``) as a list: one
    name given as a string is that one column (``cat_names='Sex'`` was read letter by letter, "categorical
    columns 'S', 'e', 'x' not found"); ``None`` stays ``None``. A pandas Series or an array of values, or a
    value that is not a list of names, is refused naming the fix.

    >>> column_names("Sex", "cat_names"), column_names(("a", "b"), "ignore"), column_names(None, "ignore")
    (['Sex'], ['a', 'b'], None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    fix = f"pass {argument}=['NAME', ...], a list of column names"
    if isinstance(value, (pd.Series, pd.DataFrame)) or (
        hasattr(value, "shape") and not isinstance(value, pd.Index)
    ):
        raise ConfigError(f"{argument} must name columns, got {type(value).__name__} of values; {fix}")
    if isinstance(value, (bytes, dict)) or not hasattr(value, "__iter__"):
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise ConfigError(f"{argument} must be a column name or a list of them, got {shown}; {fix}")
    return list(value)


def note_whole_number_regression(values: pd.Series, name: str) -> None:
    """Say, as a note, that a target of whole numbers was read as a regression because it holds more than
    :data:`~trainwell.data.task.MAX_INTEGER_CLASSES` different ones, with the override, when they could be class
    codes: none negative, and as many different ones as at least a quarter of the numbers from 0 to the largest
    (``row % 150``'s codes 0 to 149 became a regression with no word said; prices of 15,000 to 500,001 are no
    codes and get no note). ``values``: the target's labelled cells."""
    from trainwell.core.warn import Note, warn
    from trainwell.data.task import MAX_INTEGER_CLASSES

    if pd.api.types.is_bool_dtype(values.dtype):
        return
    numbers = pd.to_numeric(values.dropna(), errors="coerce")
    if not len(numbers) or bool(numbers.isna().any()):
        return
    array = numbers.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)) or array.min() < 0:
        return
    distinct = len(np.unique(array))
    if distinct <= MAX_INTEGER_CLASSES or array.max() + 1 > 4 * distinct:
        return
    warn(
        f"target '{name}' read as a regression: it holds {distinct} different whole numbers ({array.min():g} to "
        f"{array.max():g}), more than the {MAX_INTEGER_CLASSES} read as classes; if they are class codes, pass "
        "--task multiclass (Python: task='multiclass')",
        Note,
    )


def refuse_unusable_target_numbers(
    df: pd.DataFrame, targets: Sequence[str], labelled: np.ndarray, task: Task | None = None
) -> None:
    """Refuse a target column of numbers (a regression's, several targets', or classes written as numbers) that
    holds an infinite value, or a number beyond :data:`FLOAT32_MAX`, in a row ``labelled`` marks as holding a
    target: the model's 32-bit tensors cannot hold either, and training on them stopped on an infinite loss
    blamed on the learning rate. A regression ``task``'s targets are refused, too, when a value lies so far from
    the column's median that its squared error overflows the 32-bit loss (:data:`LARGEST_DEVIATION`: ``1e25``
    among prices). A column of text (classes, labels) is not read as numbers ("inf" is a label there). ``df`` is
    the whole table as read, so the data row named is the user's."""
    for name in targets:
        numbers = _numbers(df[name], labelled)
        if numbers is None:
            continue
        infinite = np.isinf(numbers) & labelled
        if infinite.any():
            row = data_row(df[name], int(np.flatnonzero(infinite)[0]))
            raise DataError(f"target '{name}' holds an infinite value ({row}); replace it or drop the row")
        huge = (np.abs(numbers) > FLOAT32_MAX) & labelled
        if huge.any():
            position = int(np.flatnonzero(huge)[0])
            raise DataError(
                f"target '{name}' holds {numbers[position]:.6g} ({data_row(df[name], position)}), beyond the "
                f"largest 32-bit number ({FLOAT32_MAX:.3g}) the model computes with; check the value, or drop "
                "the row"
            )
        if task is not None and task.kind == "regression":
            _refuse_overflowing_error(df[name], numbers, labelled, name)


def _refuse_overflowing_error(
    values: pd.Series, numbers: np.ndarray, labelled: np.ndarray, name: str
) -> None:
    present = labelled & ~np.isnan(numbers)
    if not present.any():
        return
    median = float(np.median(numbers[present]))
    deviation = np.where(present, np.abs(numbers - median), 0.0)
    position = int(np.argmax(deviation))
    if deviation[position] <= LARGEST_DEVIATION:
        return
    raise DataError(
        f"target '{name}' holds {numbers[position]:.6g} ({data_row(values, position)}), "
        f"{deviation[position]:.2g} from the column's median ({median:.6g}): its squared error is beyond the "
        f"largest 32-bit number the loss computes with; check the value, drop the row, or rescale the column "
        f"(divide it by 1e{max(int(np.log10(deviation[position] / LARGEST_DEVIATION)) + 1, 1)})"
    )


def _numbers(values: pd.Series, labelled: np.ndarray) -> np.ndarray | None:
    """``values`` as float64 numbers (missing: NaN) when the column is numbers: a numeric column, or text whose
    every labelled cell reads as a number; else ``None``."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        if pd.api.types.is_complex_dtype(values.dtype):
            return None
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        return None
    kept = values[labelled].dropna()
    if not len(kept) or not all(isinstance(value, (str, int, float, np.number)) for value in kept):
        return None
    parsed = pd.to_numeric(values.astype(object).map(_stripped), errors="coerce")
    if bool(parsed[labelled].isna().any()):
        return None  # text among them: classes, or text the text-cell check names
    return pd.Series(parsed).to_numpy(dtype=np.float64, na_value=np.nan)


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value
