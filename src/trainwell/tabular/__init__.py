"""Tabular data: tables in, embeddings + MLP, predictions on raw rows out.

Names load on first use (PEP 562): a serving process that only needs ``trainwell.tabular.predictor`` never
imports the training code (Learner, callbacks, plots).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes

_EXPORTS = {
    "TableRun": "trainwell.tabular.pipeline",
    "TabularMLP": "trainwell.tabular.models",
    "TabularPredictor": "trainwell.tabular.predictor",
    "TabularRecipe": "trainwell.tabular.recipe",
    "default_batch_size": "trainwell.tabular.data",
    "fit_table": "trainwell.tabular.pipeline",
    "tabular_data": "trainwell.tabular.data",
    "tabular_learner": "trainwell.tabular.learner",
    "evaluate_table": "trainwell.tabular.evaluation",
}

__all__ = [
    "TableRun",
    "TabularMLP",
    "TabularPredictor",
    "TabularRecipe",
    "default_batch_size",
    "evaluate_table",
    "fit_table",
    "tabular_data",
    "tabular_learner",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from trainwell.tabular.data import default_batch_size, tabular_data
    from trainwell.tabular.evaluation import evaluate_table
    from trainwell.tabular.learner import tabular_learner
    from trainwell.tabular.models import TabularMLP
    from trainwell.tabular.pipeline import TableRun, fit_table
    from trainwell.tabular.predictor import TabularPredictor
    from trainwell.tabular.recipe import TabularRecipe
