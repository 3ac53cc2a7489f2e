"""Metrics for every task: pure functions (:mod:`trainwell.metrics.functional`), accumulating objects, a registry.

Predictions are passed already activated (probabilities); see :mod:`trainwell.metrics.functional` for the
shapes per task and :class:`Metric` for how states accumulate and combine across processes. A regression
model of several targets gets a headline per metric and one value per target (``"rmse[price]"``): see
:mod:`trainwell.metrics.targets`.

A metric of your own is a function ``fn(preds, targets) -> float``, called on the whole validation set
(:mod:`trainwell.metrics.function`), or a :class:`Metric` subclass with ``reset``, ``update`` and
``compute``.
"""

from __future__ import annotations

from trainwell.metrics import functional
from trainwell.metrics.function import FunctionMetric, MetricFunction, metric_function
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
    LogLoss,
    MatthewsCorrelation,
    Metric,
    Precision,
    Recall,
    Reduction,
    RocAuc,
)
from trainwell.metrics.registry import (
    ALIASES,
    default_metrics,
    describe_metric,
    get_metric,
    list_metrics,
    metrics,
    register_metric,
)
from trainwell.metrics.tagging import EntityF1, EntityPrecision, EntityRecall, TagAccuracy

__all__ = [
    "ALIASES",
    "F1",
    "MAE",
    "R2",
    "RMSE",
    "Accuracy",
    "AveragePrecision",
    "BalancedAccuracy",
    "BrierScore",
    "EntityF1",
    "EntityPrecision",
    "EntityRecall",
    "ErrorRate",
    "FunctionMetric",
    "LogLoss",
    "MatthewsCorrelation",
    "Metric",
    "MetricFunction",
    "Precision",
    "Recall",
    "Reduction",
    "RocAuc",
    "TagAccuracy",
    "default_metrics",
    "describe_metric",
    "functional",
    "get_metric",
    "list_metrics",
    "metric_function",
    "metrics",
    "register_metric",
]
