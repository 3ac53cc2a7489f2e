"""HTML reports on trained models: metrics with intervals, where the model errs, what it relies on."""

from __future__ import annotations

from trainwell.report.build import build_report, row_losses
from trainwell.report.importance import FeatureImportance, MainMetric, main_metric, permutation_importance

__all__ = [
    "FeatureImportance",
    "MainMetric",
    "build_report",
    "main_metric",
    "permutation_importance",
    "row_losses",
]
