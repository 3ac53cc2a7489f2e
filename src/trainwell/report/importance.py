"""Permutation feature importance: how much the main metric drops when one input column is shuffled.

Shuffling a column keeps its distribution but breaks its link with the target, so the drop measures how much
the model relies on that column *on these rows*. Each column is shuffled ``n_repeats`` times with permutations
drawn from one seeded generator, so the same call gives the same numbers. Shuffling the raw column also
shuffles everything the recipe derives from it (its missing-value indicator, its category code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.io import did_you_mean, list_columns, read_table
from trainwell.data.task import Task
from trainwell.metrics import functional

MetricFunction = Callable[[torch.Tensor, torch.Tensor], float]


class ProbabilityModel(Protocol):
    """What :func:`permutation_importance` needs of a predictor (a TabularPredictor fits)."""

    task: Task

    @property
    def input_names(self) -> list[str]: ...

    def predict_proba(self, rows: pd.DataFrame) -> torch.Tensor: ...


@dataclass(frozen=True)
class MainMetric:
    """The metric a report ranks columns by."""

    name: str
    function: MetricFunction
    higher_is_better: bool

    @property
    def loss_of_quality(self) -> str:
        """What an importance measures, in words: the drop of a score, the rise of an error."""
        return f"{'drop' if self.higher_is_better else 'rise'} in {self.name}"


@dataclass(frozen=True)
class FeatureImportance:
    """One input column's importance: mean and standard deviation of the metric drop over the repeats."""

    column: str
    importance: float
    std: float


def main_metric(task: Task) -> MainMetric:
    """``roc_auc`` for binary, ``accuracy`` for multiclass, macro ``roc_auc`` for multi-label, ``rmse`` for
    regression (unit-free with several targets: each target's RMSE over its standard deviation, averaged)."""
    if task.kind == "binary":
        return MainMetric("roc_auc", lambda p, t: functional.roc_auc(p, t, "binary"), True)
    if task.kind == "multiclass":
        return MainMetric("accuracy", lambda p, t: functional.accuracy(p, t, "multiclass"), True)
    if task.kind == "multilabel":
        return MainMetric("roc_auc", lambda p, t: functional.roc_auc(p, t, "multilabel"), True)
    if task.kind == "regression":
        # Several targets: the unit-free RMSE (each target's over its standard deviation, averaged).
        return MainMetric("rmse", lambda p, t: functional.rmse(p, t), False)
    raise ConfigError(
        f"permutation importance supports binary, multiclass, multi-label and regression models, got a "
        f"{task.kind} model"
    )


def labelled_targets(
    model: ProbabilityModel, frame: pd.DataFrame, source: str, needed_by: str
) -> torch.Tensor:
    """The encoded targets of ``frame``, after checking it holds the target(s) and every input column of
    ``model``; ``needed_by`` (``"the report"``) names who needs labelled rows in the errors."""
    names = list(model.task.target_names)
    absent_targets = [name for name in names if name not in frame.columns]
    if absent_targets:
        plural = "s" if len(absent_targets) > 1 else ""
        raise DataError(
            f"target column{plural} {', '.join(map(repr, absent_targets))} not found in {source}; {needed_by} "
            f"needs labelled rows. Columns are: {list_columns([str(c) for c in frame.columns])}"
        )
    absent = [name for name in model.input_names if name not in frame.columns]
    if absent:
        raise DataError(
            f"input column{'s' if len(absent) > 1 else ''} {', '.join(repr(name) for name in absent)} missing from "
            f"{source}"
            f"{did_you_mean(absent, [str(column) for column in frame.columns])}; the model was "
            f"trained on: {list_columns(model.input_names)}. Pass rows with the training columns"
        )
    for name in names if model.task.label_delim is None else ():  # delimited labels: empty = none
        missing = int(frame[name].isna().sum())
        if missing:
            raise DataError(
                f"target column '{name}' is missing in {missing} of {len(frame)} rows of {source}; "
                "drop those rows or fill them"
            )
    if len(frame) < 2:
        raise DataError(f"{source} has {len(frame)} row; {needed_by} needs at least 2 labelled rows")
    return model.task.encode(frame[names[0]] if len(names) == 1 else frame[names])


def permutation_importance(
    model: ProbabilityModel | str | Path,
    rows: pd.DataFrame | str | Path,
    targets: torch.Tensor | None = None,
    *,
    columns: Sequence[str] | None = None,
    n_repeats: int = 3,
    seed: int = 0,
) -> list[FeatureImportance]:
    """Importance of each input column, most important first.

    Importance is the drop in quality of the main metric (see :func:`main_metric`): ``base - shuffled`` for
    a higher-is-better metric, ``shuffled - base`` for ``rmse``. Near zero or negative means the model does
    not use the column on these rows.

    Args:
        model: a table model's directory, or a predictor with ``task``, ``input_names`` and
            ``predict_proba(rows)`` (``trainwell.load(directory)`` gives one).
        rows: labelled rows with every input column, as a DataFrame or a table file (``test.csv``).
        targets: the encoded targets of ``rows`` (``task.encode``); ``None`` reads them from the rows' target
            column(s), the ones the model was trained to predict.
        columns: columns to shuffle; ``None`` means every input column of the model.
        n_repeats: shuffles per column (averaged).
        seed: seeds the permutations.

    Example:
        >>> for item in trainwell.permutation_importance("model/", "test.csv")[:3]:    # doctest: +SKIP
        ...     print(item.column, round(item.importance, 3))
    """
    if n_repeats < 1:
        raise ConfigError(f"n_repeats must be a positive integer, got {n_repeats}")
    if isinstance(model, str | Path):
        from trainwell.export.predictor import load

        predictor: ProbabilityModel = load(model)
    else:
        predictor = model
    source = "the rows"
    if isinstance(rows, str | Path):
        source = f"'{rows}'"
        rows = read_table(rows)
    if not isinstance(rows, pd.DataFrame):
        raise ConfigError(
            f"permutation_importance needs rows as a DataFrame or a table file's path, got {type(rows).__name__}"
        )
    if not hasattr(predictor, "predict_proba") or not hasattr(predictor, "input_names"):
        raise ConfigError(
            f"permutation_importance shuffles the input columns of a table model; {type(predictor).__name__} has "
            "none: pass a table model's directory or trainwell.load(directory)"
        )
    if targets is None:
        targets = labelled_targets(predictor, rows, source, "permutation_importance")
    unknown = [column for column in columns or () if column not in rows.columns]
    if unknown:
        raise ConfigError(
            f"columns {', '.join(map(repr, unknown))} not found in {source}; "
            f"its columns: {list_columns([str(c) for c in rows.columns])}"
        )
    metric = main_metric(predictor.task)
    sign = 1.0 if metric.higher_is_better else -1.0
    base = metric.function(predictor.predict_proba(rows), targets)
    generator = np.random.default_rng(seed)
    results = []
    for column in columns if columns is not None else predictor.input_names:
        drops = []
        for _ in range(n_repeats):
            shuffled = rows.copy()
            shuffled[column] = _permuted(rows[column], generator)
            score = metric.function(predictor.predict_proba(shuffled), targets)
            drops.append(sign * (base - score))
        results.append(FeatureImportance(str(column), float(np.mean(drops)), float(np.std(drops))))
    return sorted(results, key=lambda item: -item.importance)  # stable: ties keep column order


def _permuted(values: pd.Series, generator: np.random.Generator) -> Any:
    # Plain values, not a Series: assigning a Series would realign it on the index and undo the shuffle.
    return values.to_numpy(copy=True)[generator.permutation(len(values))]
