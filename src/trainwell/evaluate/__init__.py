"""Honest evaluation: k-fold cross-validation, confidence intervals and classical baselines on the same folds.

Generic over applications: :func:`cross_validate` runs any fold function; applications supply one that fits its
preprocessing on each fold's training rows only, and compare it with their baselines on the same folds
(:func:`trainwell.evaluate_table` and the others), which return an :class:`Evaluation`. A language model is
judged on one held-out split instead (:class:`HeldOutResult`, :func:`trainwell.evaluate_language_model`).
"""

from __future__ import annotations

from trainwell.evaluate.baselines import baseline_names, cross_validate_baselines
from trainwell.evaluate.compare import Verdict, judge, score, verdicts
from trainwell.evaluate.cv import CVResult, FoldBudget, MetricSummary, cross_validate, fold_indices
from trainwell.evaluate.evaluation import Evaluation
from trainwell.evaluate.explain import MetricLine, explain_validation, top_precision
from trainwell.evaluate.heldout import HeldOutResult, ItemMetric
from trainwell.evaluate.intervals import bootstrap_ci, grouped_mean_ci, mean_ci

__all__ = [
    "CVResult",
    "Evaluation",
    "FoldBudget",
    "HeldOutResult",
    "ItemMetric",
    "MetricLine",
    "MetricSummary",
    "Verdict",
    "baseline_names",
    "bootstrap_ci",
    "cross_validate",
    "cross_validate_baselines",
    "explain_validation",
    "fold_indices",
    "grouped_mean_ci",
    "judge",
    "mean_ci",
    "score",
    "top_precision",
    "verdicts",
]
