"""Classical baselines trained on the same folds as the model, scored by the same metric functions.

Three per task, from scikit-learn: a constant predictor (majority class / training mean), a linear model
(logistic / ridge regression on one-hot and standardised features) and ``HistGradientBoosting`` (one per
target when there are several regression targets). Numbers come from probabilities through
:mod:`trainwell.metrics.functional`, exactly as trainwell's do.

The constant predictor's intervals are a bootstrap over its validation rows
(:class:`~trainwell.evaluate.cv.RowBootstrapCVResult`): its fold scores differ only by which class each fold's
training rows happen to favour, and a t interval over three such numbers was [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.core.errors import ConfigError
from trainwell.core.threads import sklearn_threads
from trainwell.data.task import Task
from trainwell.evaluate.compare import score
from trainwell.evaluate.cv import CVResult, OutOfFold, RowBootstrapCVResult

MISSING = "<missing>"
#: The baselines that predict one constant for every row (the class priors, the training mean).
CONSTANT_BASELINES = ("majority class", "label priors", "mean")
#: HistGradientBoosting treats a column as categorical only up to this many categories (its bin limit).
MAX_HGB_CATEGORIES = 250


def baseline_names(task: str) -> list[str]:
    """The baselines run for a task kind, in display order."""
    if task == "regression":
        return ["mean", "ridge", "HistGradientBoosting"]
    if task in ("binary", "multiclass"):
        return ["majority class", "logistic", "HistGradientBoosting"]
    if task == "multilabel":
        return ["label priors", "logistic", "HistGradientBoosting"]
    raise ConfigError(
        f"baselines support binary, multiclass, multi-label and regression tasks (several targets too); got {task!r}"
    )


def split_columns(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """``(categorical, numeric)`` input columns: numbers and booleans are numeric, anything else categorical."""
    numeric = [
        c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])
    ]
    return [c for c in df.columns if c not in numeric], numeric


def prepare_inputs(df: pd.DataFrame, categorical: Sequence[str], numeric: Sequence[str]) -> pd.DataFrame:
    """Categorical columns as text with missing values named, numeric ones as float (``nan`` kept)."""
    columns: dict[str, Any] = {}
    for name in categorical:
        text = df[name].astype(object)
        columns[name] = text.where(text.notna(), MISSING).astype(str).astype(object)
    for name in numeric:
        columns[name] = pd.to_numeric(df[name], errors="coerce").astype(np.float64)
    return pd.DataFrame(columns, index=df.index)


def make_baseline(
    name: str,
    task: str,
    categorical: Sequence[str],
    numeric: Sequence[str],
    train: pd.DataFrame,
    seed: int,
    outputs: int = 1,
) -> Any:
    """An unfitted scikit-learn estimator for baseline ``name`` (see :func:`baseline_names`); ``outputs`` > 1
    regression targets are predicted together (the mean and ridge natively, gradient boosting one model each).
    Multi-label tasks get one classifier per label (:class:`PerLabel`).
    """
    if task == "multilabel":
        single = make_baseline(
            "majority class" if name == "label priors" else name, "binary", categorical, numeric, train, seed
        )
        return PerLabel(single)
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.multioutput import MultiOutputRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    regression = task == "regression"
    if name in ("mean", "majority class"):
        return DummyRegressor(strategy="mean") if regression else DummyClassifier(strategy="prior")
    if name in ("ridge", "logistic"):
        encode = ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore"), list(categorical)),
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(numeric)),
            ]
        )
        return make_pipeline(encode, Ridge(alpha=1.0) if regression else LogisticRegression(max_iter=2000))
    if name == "HistGradientBoosting":
        # Few-valued text columns are native categories; wider ones are ordinal codes (the bin limit).
        native = [c for c in categorical if train[c].nunique() <= MAX_HGB_CATEGORIES]
        ordinal = [c for c in categorical if c not in native]
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
        encode = ColumnTransformer(
            [("native", encoder, native), ("ordinal", encoder, ordinal)],
            remainder="passthrough",
        )
        mask = [True] * len(native) + [False] * (len(ordinal) + len(numeric))
        model_class = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
        booster = model_class(random_state=seed, categorical_features=mask or None)
        # Gradient boosting fits one output: several targets get one booster each, on the same inputs.
        return make_pipeline(encode, MultiOutputRegressor(booster) if outputs > 1 else booster)
    raise ConfigError(f"unknown baseline {name!r}; known for {task}: {', '.join(baseline_names(task))}")


class PerLabel:
    """One binary classifier per label of a multi-label target, cloned from ``estimator``; a label that is
    constant in the training rows (a rare label in a small fold) is predicted as that constant."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.models: list[Any] = []

    def fit(self, inputs: Any, targets: np.ndarray) -> PerLabel:
        from sklearn.base import clone

        self.models = []
        for column in np.asarray(targets).T:
            values = np.unique(column)
            self.models.append(
                float(values[0])
                if len(values) < 2
                else clone(self.estimator).fit(inputs, column.astype(np.int64))
            )
        return self

    def predict_proba(self, inputs: Any) -> np.ndarray:
        """``(N, labels)``: each label's probability (``inputs``: a table, an array or a sparse matrix)."""
        columns = [
            np.full(inputs.shape[0], model) if isinstance(model, float) else model.predict_proba(inputs)[:, 1]
            for model in self.models
        ]
        return np.stack(columns, axis=1).astype(np.float32)


def date_inputs(df: pd.DataFrame, dates: Mapping[str, str]) -> pd.DataFrame:
    """The parts of each date column as baseline inputs, those the model reads (:func:`date_parts`): month, day
    of the week and hour as categories (text), year, day, day of the year and elapsed days as numbers (``nan``
    for a missing date)."""
    from trainwell.data.dates import date_part_values, date_parts, parse_dates

    columns: dict[str, Any] = {}
    for name, fmt in dates.items():
        parsed = parse_dates(df[name], fmt, name)
        for part, values in date_part_values(parsed, date_parts(parsed)).items():
            if part in ("month", "day_of_week", "hour"):
                columns[f"{name}_{part}"] = pd.Series(values, index=df.index).map(
                    lambda v: None if v != v else str(int(v))
                )
            else:
                columns[f"{name}_{part}"] = values
    return pd.DataFrame(columns, index=df.index)


def predict(model: Any, inputs: pd.DataFrame, task: Task) -> torch.Tensor:
    """Activated predictions in trainwell's layout: binary (N,), multiclass (N, C) over all task classes,
    multi-label (N, labels)."""
    if task.kind == "regression":
        return torch.as_tensor(np.asarray(model.predict(inputs), dtype=np.float32))
    if task.kind == "multilabel":
        return torch.from_numpy(model.predict_proba(inputs))
    proba = np.asarray(model.predict_proba(inputs), dtype=np.float32)
    # A class missing from a fold's training rows has no column: it gets probability 0.
    full = np.zeros((len(inputs), len(task.classes)), dtype=np.float32)
    full[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return torch.from_numpy(full[:, 1].copy() if task.kind == "binary" else full)


def cross_validate_baselines(
    df: pd.DataFrame,
    target: str | Sequence[str],
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str] | None = None,
    *,
    ignore: Sequence[str] = (),
    names: Sequence[str] | None = None,
    seed: int = 0,
    dates: Mapping[str, str] | None = None,
) -> dict[str, CVResult]:
    """Train every baseline on each fold's training rows and score its validation rows.

    Args:
        df: the table, target column included.
        target: the target column, or several target columns (regression, or 0/1 labels of a multi-label
            task); several regression targets get each target's metrics too (``"rmse[price]"``).
        task: the task, as trainwell inferred it (its classes fix the probability columns).
        splits: the folds, ``(train_index, valid_index)`` row positions (use the model's folds).
        metric_names: metrics to compute (default: the task's).
        ignore: columns never used as inputs.
        names: baselines to run (default: all of :func:`baseline_names`).
        dates: date columns and their text format (a tabular recipe's ``dates``): each is split into the
            parts trainwell's model reads (:func:`date_inputs`) instead of being read as a category.
        seed: seeds the baselines that draw random numbers.

    Returns:
        ``{baseline name: CVResult}``, fold for fold aligned with ``splits``.
    """
    chosen = list(names) if names is not None else baseline_names(task.kind)
    baseline_names(task.kind)  # refuses tasks the baselines do not cover
    metric_names = list(task.metric_names if metric_names is None else metric_names)
    from trainwell.data.targets import target_names as names_of

    targets = names_of(target)
    dates = dict(dates or {})
    features = [c for c in df.columns if c not in targets and c not in ignore and c not in dates]
    categorical, numeric = split_columns(df[features])
    inputs = prepare_inputs(df, categorical, numeric)
    if dates:
        parts = date_inputs(df, dates)
        part_categories, part_numbers = split_columns(parts)
        inputs = pd.concat([inputs, prepare_inputs(parts, part_categories, part_numbers)], axis=1)
        categorical, numeric = [*categorical, *part_categories], [*numeric, *part_numbers]
    encoded = task.encode(df[targets[0]] if len(targets) == 1 else df[targets])
    y = encoded.numpy()
    target_names = task.target_names or targets
    results: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    out_of_fold: dict[str, list[OutOfFold]] = {name: [] for name in chosen}
    for train, valid in splits:
        train_inputs, valid_inputs = inputs.iloc[train], inputs.iloc[valid]
        for name in chosen:
            model = make_baseline(name, task.kind, categorical, numeric, train_inputs, seed, len(targets))
            with sklearn_threads():  # the cores left free: boosting's threads crawl beside other work
                model.fit(train_inputs, y[train])
                preds = predict(model, valid_inputs, task)
            results[name].append(score(preds, encoded[valid], task.kind, metric_names, target_names))
            out_of_fold[name].append((valid, preds, encoded[valid]))
    return {
        name: baseline_result(name, folds, splits, out_of_fold[name], task.kind, target_names, seed)
        for name, folds in results.items()
    }


def baseline_result(
    name: str,
    folds: list[dict[str, float]],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    out_of_fold: Sequence[OutOfFold],
    task: str,
    target_names: Sequence[str] = (),
    seed: int = 0,
) -> CVResult:
    """A baseline's :class:`CVResult`; for a constant predictor (:data:`CONSTANT_BASELINES`) a
    :class:`RowBootstrapCVResult`, whose intervals come from its ``out_of_fold`` predictions' rows."""
    if name not in CONSTANT_BASELINES or len(out_of_fold) != len(folds):
        return CVResult(folds, list(splits), seed)
    return RowBootstrapCVResult(
        folds, list(splits), seed, out_of_fold=list(out_of_fold), task=task, target_names=tuple(target_names)
    )


def row_interval_note(baselines: Mapping[str, CVResult], level: float = 0.95) -> str | None:
    """The sentence a table of results needs when some baselines' intervals are over rows, or are a t interval
    over folds because a constant's answer changed between folds (:meth:`RowBootstrapCVResult.answer_changed`),
    else ``None``."""
    constant = {
        name: result
        for name, result in baselines.items()
        if isinstance(result, RowBootstrapCVResult) and len(result.out_of_fold) == result.k
    }
    over_rows = {name: result for name, result in constant.items() if not result.answer_changed()}
    said = []
    if over_rows:
        first = next(iter(over_rows.values()))
        said.append(
            f"{' and '.join(over_rows)}: [low, high] is a {round(level * 100)}% bootstrap interval over the "
            f"{first.n_rows:,} validation rows (resampled within each fold), not a t interval over its {first.k} fold "
            "scores: a constant prediction's folds differ only by what each fold's training rows happened to hold"
        )
    for name, result in constant.items():
        if name not in over_rows:
            said.append(changed_answer_note(name, result, level))
    return "; ".join(said) or None


def changed_answer_note(name: str, result: RowBootstrapCVResult, level: float = 0.95) -> str:
    """``"majority class gave one answer in 9 folds and another in 1 (whichever each fold's training rows
    favoured), so its [low, high] is a 95% t interval over its 10 fold scores, not over rows: f1 0 in 9 folds,
    0.667 in 1"``: each metric whose score changed with the answer, by answer."""
    from itertools import pairwise

    from trainwell.core.numbers import figure

    answers = result.answers()
    counts = [answers.count(answer) for answer in dict.fromkeys(answers) if answer is not None]
    counts.sort(reverse=True)
    how = " and ".join(
        f"{'one answer' if position == 0 else 'another'} in {count} fold{'s' if count != 1 else ''}"
        for position, count in enumerate(counts)
    )
    by_metric = []
    for metric in result.metric_names:
        values = result.values(metric)
        groups: dict[Any, list[float]] = {}
        for answer, value in zip(answers, values.tolist(), strict=True):
            groups.setdefault(answer, []).append(value)
        spans = sorted((min(scores), max(scores)) for scores in groups.values())
        if any(later[0] <= earlier[1] for earlier, later in pairwise(spans)):
            continue  # the answers' scores overlap (an accuracy near 0.5 either way): the answer is not the story
        said = []
        for scores in sorted(groups.values(), key=len, reverse=True):
            low, high = figure(min(scores), 3), figure(max(scores), 3)
            shown = low if low == high else f"{low} to {high}"
            said.append(f"{shown} in {len(scores)} fold{'s' if len(scores) != 1 else ''}")
        by_metric.append(f"{metric} {', '.join(said)}")
    listed = f": {'; '.join(by_metric)}" if by_metric else ""
    return (
        f"{name} gave {how} (whichever each fold's training rows favoured), so its [low, high] is a "
        f"{round(level * 100)}% t interval over its {result.k} fold scores (corrected for overlapping folds), "
        f"not over rows{listed}"
    )
