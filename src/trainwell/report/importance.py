"""Permutation feature importance: how much a metric drops when one input column is shuffled.

Shuffling a column keeps its distribution but breaks its link with the target, so the drop measures how much
the model relies on that column *on these rows*. Each column is shuffled ``n_repeats`` times with permutations
drawn from one seeded generator, so the same call gives the same numbers. Shuffling the raw column also
shuffles everything the recipe derives from it (its missing-value indicator, its category code).

Each column's drops over the repeats give a mean, a sample standard deviation (ddof 1), a Student-t interval
of the mean and a one-sided p-value against "no drop" (AutoGluon's ``feature_importance`` reports the same
figures). The interval measures how much the shuffles vary on these rows; it does not say what other rows would
give, and with few repeats it is wide. A column whose interval holds 0 did not measurably help.
"""

from __future__ import annotations

import math
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
from trainwell.interpret.importance import PermutationImportances
from trainwell.metrics import functional

MetricFunction = Callable[[torch.Tensor, torch.Tensor], float]

#: The tasks whose models a metric can rank the columns of.
SUPPORTED_TASKS = ("binary", "multiclass", "multilabel", "regression")


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
    """One input column's importance over the repeats: the mean loss of quality when it is shuffled, the sample
    standard deviation of the losses (ddof 1; ``nan`` with one repeat), the bounds of a Student-t interval of the
    mean at the asked confidence (``low``, ``high``), the one-sided p-value of "shuffling it costs nothing", and
    the number of repeats ``n``. The last four are ``nan``/0 when not measured (an item built by hand)."""

    column: str
    importance: float
    std: float
    low: float = math.nan
    high: float = math.nan
    p_value: float = math.nan
    n: int = 0

    @property
    def reading(self) -> str:
        """``"helps"`` (the interval lies above 0), ``"hurts"`` (below 0: the shuffled column scores better),
        ``"no measurable effect"`` (it holds 0), or ``"not measured"`` (no interval: one repeat)."""
        if math.isnan(self.low) or math.isnan(self.high):
            return "not measured"
        if self.low > 0:
            return "helps"
        if self.high < 0:
            return "hurts"
        return "no measurable effect"

    @property
    def said(self) -> str:
        """:attr:`reading` in the words the report's table uses: ``"hurts"`` says only what five shuffles of the
        same rows support, ``"no help (scored better shuffled)"``: the interval is over the shuffles, not over
        other rows, so a column just below zero is one the model gains nothing from here, not one to drop (the
        command line says it so: "it gains nothing from them on these rows")."""
        reading = self.reading
        return "no help (scored better shuffled)" if reading == "hurts" else reading


@dataclass(frozen=True)
class ImportanceRun:
    """What :func:`measure_importance` measured: the metric, its value on the unshuffled rows, how many rows and
    repeats, and each column's :class:`FeatureImportance`, most important first."""

    metric: MainMetric
    base_score: float
    n_rows: int
    n_repeats: int
    confidence: float
    importances: list[FeatureImportance]


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


def importance_metric(task: Task, name: str | None = None) -> MainMetric:
    """The metric to rank the columns of a ``task`` model by: :func:`main_metric` when ``name`` is ``None``, else
    the registered metric ``name`` (or an alias: ``auc``, ``pr_auc``), scored at the model's decision threshold.

    Raises:
        ConfigError: a task no metric ranks columns of, or a name that is no metric of the task's kind, listing
            those that are.
    """
    default = main_metric(task)  # refuses the tasks without one
    if name is None:
        return default
    from trainwell.core.metric_names import ALIASES
    from trainwell.metrics.registry import get_metric, list_metrics, metrics

    fitting = list_metrics(task=task.kind)
    canonical = ALIASES.get(name, name)
    if canonical not in fitting:
        if canonical in metrics:
            problem = f"metric {name!r} does not score a {task.kind} model (it scores: "
            problem += f"{', '.join(metrics.entry(canonical).metadata['tasks'])})"
        else:
            import difflib

            close = difflib.get_close_matches(name, [*fitting, *ALIASES], n=1)
            problem = f"unknown metric {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        aliases = ", ".join(f"{alias} = {target}" for alias, target in ALIASES.items() if target in fitting)
        raise ConfigError(
            f"{problem}; metrics for a {task.kind} model: {', '.join(fitting)} (aliases: {aliases}; default: "
            f"{default.name})"
        )
    threshold = task.decision_threshold

    def score(preds: torch.Tensor, targets: torch.Tensor) -> float:
        metric = get_metric(canonical, task.kind, threshold=threshold, classes=task.classes)
        metric.update(preds, targets)
        return float(metric.compute())

    return MainMetric(canonical, score, bool(metrics.entry(canonical).metadata["higher_is_better"]))


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
        hint = did_you_mean(absent, [str(column) for column in frame.columns], needed=model.input_names)
        raise DataError(
            f"input column{'s' if len(absent) > 1 else ''} {', '.join(repr(name) for name in absent)} missing from "
            f"{source}{hint}; the model was "
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


def sample_positions(n_rows: int, subsample: int | None, seed: int) -> np.ndarray | None:
    """The positions of ``subsample`` rows of ``n_rows``, drawn without replacement and seeded (in their order in
    the data); ``None`` when every row is kept (``subsample`` ``None`` or at least ``n_rows``)."""
    if subsample is None or subsample >= n_rows:
        return None
    if subsample < 2:
        raise ConfigError(f"subsample must be at least 2 rows (or None for all of them), got {subsample}")
    # Its own stream: the permutations of a call on every row stay those of a call without subsample.
    return np.sort(np.random.default_rng((seed, 1)).choice(n_rows, size=subsample, replace=False))


def permutation_importance(
    model: ProbabilityModel | str | Path,
    rows: pd.DataFrame | str | Path,
    targets: torch.Tensor | None = None,
    *,
    columns: Sequence[str] | None = None,
    metric: str | None = None,
    n_repeats: int = 5,
    subsample: int | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    warn_training_rows: bool = True,
) -> PermutationImportances:
    """Importance of each input column, most important first: a list of :class:`FeatureImportance` (as before)
    that also has ``to_frame()`` (a DataFrame of column, importance, std, low, high, p_value, reading) and
    ``plot(path)`` (the bar chart with the intervals), see :class:`trainwell.interpret.PermutationImportances`.

    Importance is the loss of quality in the metric: ``base - shuffled`` for a higher-is-better metric,
    ``shuffled - base`` for an error (``rmse``). Near zero or negative means the model does not use the column
    on these rows. Each item also holds a Student-t interval of the mean over the repeats (``low``, ``high``),
    its ``p_value`` and its ``reading`` ("helps", "no measurable effect", "hurts").

    Args:
        model: a table model's directory, or a predictor with ``task``, ``input_names`` and
            ``predict_proba(rows)`` (``trainwell.load(directory)`` gives one).
        rows: labelled rows with every input column, as a DataFrame or a table file (``test.csv``).
        targets: the encoded targets of ``rows`` (``task.encode``); ``None`` reads them from the rows' target
            column(s), the ones the model was trained to predict.
        columns: columns to shuffle; ``None`` means every input column of the model.
        metric: a metric of the model's task by name (``"average_precision"``, ``"f1"``, ``"mae"``; see
            ``trainwell.metrics.list_metrics(task=...)``); ``None`` is :func:`main_metric`'s.
        n_repeats: shuffles per column (averaged); the interval needs at least 2.
        subsample: score a seeded sample of this many rows, for speed (``None``: every row).
        confidence: coverage of the interval.
        seed: seeds the permutations and the sample.
        warn_training_rows: warn (a ``UserWarning``) when most of the rows scored trained the model, as
            ``trainwell importance`` says it (checked against the sketch of its training rows that fit keeps): on
            its own rows a model leans on columns that can help it less on new ones. ``False`` for a caller that
            says it its own way (the report warns of the rows it is given once, for its every section).

    Example:
        >>> for item in trainwell.permutation_importance("model/", "test.csv", n_repeats=5)[:3]:  # doctest: +SKIP
        ...     print(item.column, round(item.importance, 3), round(item.low, 3), round(item.high, 3))
    """
    if n_repeats < 1:
        raise ConfigError(f"n_repeats must be a positive integer, got {n_repeats}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must lie strictly between 0 and 1 (0.95 for 95%), got {confidence}")
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
    chosen = importance_metric(predictor.task, metric)
    if targets is None:
        targets = labelled_targets(predictor, rows, source, "permutation_importance")
    unknown = [column for column in columns or () if column not in rows.columns]
    if unknown:
        raise ConfigError(
            f"columns {', '.join(map(repr, unknown))} not found in {source}; "
            f"its columns: {list_columns([str(c) for c in rows.columns])}"
        )
    positions = sample_positions(len(rows), subsample, seed)
    if positions is not None:
        rows, targets = rows.iloc[positions], targets[torch.as_tensor(positions)]
    overlap = training_overlap(getattr(predictor, "metadata", None) or {}, rows) if warn_training_rows else ""
    if overlap:  # the words `trainwell importance` says: on its own rows a model leans on other columns
        from trainwell.core.warn import warn

        warn(overlap, UserWarning)
    run = measure_importance(
        predictor,
        rows,
        targets,
        chosen,
        columns=columns,
        n_repeats=n_repeats,
        confidence=confidence,
        seed=seed,
    )
    return PermutationImportances(
        run.importances,
        metric=chosen.name,
        higher_is_better=chosen.higher_is_better,
        base_score=run.base_score,
        n_rows=run.n_rows,
        n_repeats=run.n_repeats,
        confidence=run.confidence,
    )


#: From this share of training rows among the scored ones, a warning says so.
TRAINING_SHARE_WARNING = 0.05


def training_overlap(metadata: dict[str, Any], frame: pd.DataFrame) -> str:
    """A warning when many of the scored rows trained the model (checked against the sketch of its training rows
    that fit keeps), ``""`` otherwise: on its own rows a model can lean on columns that help it less on new ones.
    :func:`permutation_importance` warns it (a ``UserWarning``) and ``trainwell importance`` says it, in the same
    words; docs/python.md's ``permutation_importance("model", df.tail(500))`` on the rows of the Adult sample that
    trained the demo model said nothing, where the command said "about 80% of these rows trained the model"."""
    from trainwell.data.fingerprint import RowSketch

    stored = (metadata.get("training") or {}).get("rows_sketch")
    if not stored:
        return ""
    found, sampled = RowSketch.from_dict(stored).training_count(frame)
    if not sampled or found / sampled < TRAINING_SHARE_WARNING:
        return ""
    return (
        f"about {found / sampled:.0%} of these rows trained the model ({found} of {sampled} checked): the importances "
        "say what it leans on to fit its own rows, which can differ on new ones; pass rows it has not seen"
    )


def measure_importance(
    predictor: ProbabilityModel,
    rows: pd.DataFrame,
    targets: torch.Tensor,
    metric: MainMetric,
    *,
    columns: Sequence[str] | None = None,
    n_repeats: int = 5,
    confidence: float = 0.95,
    seed: int = 0,
) -> ImportanceRun:
    """The shuffles themselves, on rows already checked (:func:`labelled_targets`) and sampled: each column of
    ``columns`` (every input column when ``None``) shuffled ``n_repeats`` times and ``metric`` recomputed."""
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
        results.append(_summary(str(column), drops, confidence))
    ranked = sorted(results, key=lambda item: -item.importance)  # stable: ties keep column order
    return ImportanceRun(metric, float(base), len(rows), n_repeats, confidence, ranked)


def _summary(column: str, drops: Sequence[float], confidence: float) -> FeatureImportance:
    """One column's mean drop, its sample std, its t interval and the one-sided p-value of "no drop"."""
    from trainwell.evaluate.intervals import mean_ci

    mean, std, low, high = mean_ci(drops, level=confidence)
    n = sum(not math.isnan(drop) for drop in drops)
    if n < 2:
        p_value = math.nan
    elif std == 0:  # every shuffle cost exactly the same (0 for a column the model never reads)
        p_value = 0.0 if mean > 0 else 1.0
    else:
        from scipy import stats

        p_value = float(stats.t.sf(mean / (std / math.sqrt(n)), df=n - 1))
    return FeatureImportance(column, float(mean), float(std), float(low), float(high), p_value, n)


def _permuted(values: pd.Series, generator: np.random.Generator) -> Any:
    # Plain values, not a Series: assigning a Series would realign it on the index and undo the shuffle.
    return values.to_numpy(copy=True)[generator.permutation(len(values))]
