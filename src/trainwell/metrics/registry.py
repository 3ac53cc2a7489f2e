"""Metrics by name: ``get_metric("roc_auc", "binary")``, ``list_metrics(task="regression")``.

Each entry's factory is a :class:`Metric` subclass; its metadata (``description``, ``tasks``,
``higher_is_better``) is read from the class, so the class stays the one source of truth.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.core.metric_names import ALIASES, unknown_metric
from trainwell.core.registry import Registry
from trainwell.metrics._inputs import check_task
from trainwell.metrics.function import FunctionMetric
from trainwell.metrics.metric import (
    F1,
    MAE,
    R2,
    RMSE,
    Accuracy,
    AveragePrecision,
    BalancedAccuracy,
    BrierScore,
    ErrorRate,
    F1Micro,
    F1Samples,
    LogLoss,
    MatthewsCorrelation,
    Metric,
    Precision,
    Recall,
    RocAuc,
)
from trainwell.metrics.tagging import EntityF1, EntityPrecision, EntityRecall, TagAccuracy
from trainwell.metrics.targets import split_target_key

metrics: Registry[type[Metric]] = Registry("metric")

#: Other spellings accepted by :func:`get_metric` and :func:`describe_metric`: ``ALIASES``, from
#: :mod:`trainwell.core.metric_names`.

_DEFAULTS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "roc_auc", "f1"),
    "multiclass": ("accuracy", "balanced_accuracy", "roc_auc"),
    "multilabel": ("accuracy", "f1", "roc_auc"),
    "regression": ("rmse", "mae", "r2"),
    "tagging": ("tag_accuracy",),
}


def register_metric(metric_class: type[Metric]) -> type[Metric]:
    """Add a :class:`Metric` subclass to :data:`metrics` under its ``name``; usable as a class decorator."""
    if not metric_class.name or not metric_class.tasks:
        raise TypeError(f"{metric_class.__name__} needs a non-empty 'name' and 'tasks' to be registered")
    metrics.add(
        metric_class.name,
        metric_class,
        description=metric_class.description,
        task_descriptions=dict(metric_class.task_descriptions),
        multi_target_description=metric_class.multi_target_description,
        tasks=metric_class.tasks,
        higher_is_better=metric_class.higher_is_better,
        bounds=tuple(metric_class.bounds),
    )
    return metric_class


for _metric_class in (
    Accuracy,
    ErrorRate,
    BalancedAccuracy,
    RocAuc,
    AveragePrecision,
    F1,
    F1Micro,
    F1Samples,
    Precision,
    Recall,
    MatthewsCorrelation,
    LogLoss,
    BrierScore,
    RMSE,
    MAE,
    R2,
    TagAccuracy,
    EntityF1,
    EntityPrecision,
    EntityRecall,
):
    register_metric(_metric_class)


def _resolve(name: str) -> str:
    """The registered name for ``name`` or an alias of it; :class:`ConfigError` listing the names otherwise."""
    canonical = ALIASES.get(name, name)
    if canonical in metrics:
        return canonical
    raise unknown_metric(name, metrics.names(), ALIASES)


def list_metrics(pattern: str = "*", task: str | None = None) -> list[str]:
    """Registered metric names matching a shell-style ``pattern``, optionally only those that fit ``task``."""
    names = metrics.names(pattern)
    if task is None:
        return names
    check_task(task)
    return [name for name in names if task in metrics.entry(name).metadata["tasks"]]


def get_metric(
    name: str | Callable[[torch.Tensor, torch.Tensor], Any],
    task: str,
    *,
    threshold: float | Sequence[float] = 0.5,
    classes: Sequence[object] | None = None,
) -> Metric:
    """A fresh metric object by name (or alias) for ``task``, or one that calls a function of your own.

    Args:
        name: e.g. ``"accuracy"``, ``"roc_auc"`` (alias ``"auc"``), ``"average_precision"`` (alias
            ``"pr_auc"``), ``"mcc"``, ``"brier"``, ``"rmse"``; see :func:`list_metrics`. Or a
            named function ``fn(preds, targets) -> float`` (or a :func:`metric_function`), called on the whole
            validation set: see :mod:`trainwell.metrics.function`.
        task: ``"binary"``, ``"multiclass"``, ``"multilabel"`` or ``"regression"``.
        threshold: decision threshold for binary and multilabel decisions (multilabel: a float, or one per
            label).
        classes: the task's classes, for metrics that read them (entity scores need the tag names).

    Raises:
        ConfigError: unknown name or task, a metric that does not fit the task, a function without a name.

    Example:
        >>> get_metric("auc", "binary").name
        'roc_auc'
    """
    if isinstance(name, type) and issubclass(name, Metric):
        raise ConfigError(
            f"{name.__name__} is a Metric class; pass an object of it, e.g. {name.__name__}({task!r})"
        )
    if callable(name) and not isinstance(name, str):
        return FunctionMetric(name, task, threshold=threshold)
    if not isinstance(name, str):
        raise ConfigError(
            f"a metric is a name such as 'accuracy' (see trainwell.metrics.list_metrics()), a function "
            f"fn(preds, targets) -> float, or a Metric object (subclass trainwell.metrics.Metric: reset, update, "
            f"compute), got {name!r}"
        )
    canonical = _resolve(name)
    check_task(task)
    entry = metrics.entry(canonical)
    if task not in entry.metadata["tasks"]:
        fitting = ", ".join(list_metrics(task=task))
        raise ConfigError(
            f"metric {name!r} does not fit a {task} task (it fits: {', '.join(entry.metadata['tasks'])}); "
            f"metrics for {task}: {fitting}"
        )
    if getattr(entry.factory, "needs_classes", False):
        return entry.factory(task, threshold=threshold, classes=[str(c) for c in classes or ()])  # type: ignore[call-arg]
    return entry.factory(task, threshold=threshold)


def describe_metric(name: str, task: str | None = None, *, targets: int = 1) -> str:
    """One line in plain words saying what the metric ``name`` (or alias) measures, for ``task`` if given.

    ``targets`` > 1 describes the headline of a model with that many regression targets (how it pools them);
    a per-target name such as ``"rmse[price]"`` is described as the metric of that one target.
    """
    base, target = split_target_key(name)
    metadata = metrics.entry(_resolve(base)).metadata
    if target is not None:
        return str(metadata["description"]).replace("the target's", f"{target}'s")
    if targets > 1 and metadata.get("multi_target_description"):
        return str(metadata["multi_target_description"])
    return str(metadata["task_descriptions"].get(task, metadata["description"]))


def default_metrics(task: str) -> list[str]:
    """The metric names reported for ``task`` when the user names none."""
    return list(_DEFAULTS[check_task(task)])


#: Added to a multi-label text's or table's default metrics after the macro ``f1``: the macro ``f1`` (each label's
#: F1, averaged) weighs a label seen twice as much as one seen thousands of times; GoEmotions' and Hugging Face's
#: figures quote micro-F1 (every label decision pooled) and sample-averaged F1 (each row's set of labels against
#: the model's) beside it.
MULTILABEL_EXTRA_METRICS = ("f1_micro", "f1_samples")


def with_multilabel_f1(task: Any, metrics: Sequence[Any] | None) -> Sequence[Any] | None:
    """The metrics a fit records: those asked for (``metrics``), else ``None`` (the task's defaults), and for a
    multi-label ``task`` its defaults with micro-F1 and sample-averaged F1 after the macro ``f1``
    (:data:`MULTILABEL_EXTRA_METRICS`)."""
    if metrics is not None or task.kind != "multilabel":
        return metrics
    names = list(task.metric_names)
    at = names.index("f1") + 1 if "f1" in names else len(names)
    return [*names[:at], *MULTILABEL_EXTRA_METRICS, *names[at:]]


#: Ranking measures written by callbacks or the top-N evaluation rather than registered metrics (``hit@10``,
#: ``ndcg@10``, ``precision@10``): in [0, 1],
#: higher is better.
RANKING_PREFIXES = ("hit@", "ndcg@", "precision@")


def metric_bounds(name: str) -> tuple[float, float]:
    """The values metric ``name`` can take: a registered metric's ``bounds``, ``(0, 1)`` for the ranking
    measures callbacks write (``hit@10``, ``ndcg@10``), ``(-inf, inf)`` when unknown. Intervals are clipped
    to them. A per-target name (``"r2[price]"``) has its metric's bounds."""
    name = split_target_key(name)[0]
    if name.startswith(RANKING_PREFIXES):
        return (0.0, 1.0)
    if name not in metrics:
        return (-math.inf, math.inf)
    low, high = metrics.entry(name).metadata.get("bounds", (-math.inf, math.inf))
    return float(low), float(high)
