"""Tabular data: tables in, embeddings + MLP, predictions on raw rows out.

Names load on first use (PEP 562): a serving process that only needs ``trainwell.tabular.predictor`` never
imports the training code (Learner, callbacks, plots).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "TableRun": "trainwell.tabular.pipeline",
    "TabularMLP": "trainwell.tabular.models",
    "TabularPredictor": "trainwell.tabular.predictor",
    "TabularRecipe": "trainwell.tabular.recipe",
    "default_batch_size": "trainwell.tabular.data",
    "fit_table": "trainwell.tabular.pipeline",
    "tabular_data": "trainwell.tabular.data",
    "tabular_learner": "trainwell.tabular.learner",
}

__all__ = [
    "TableRun",
    "TabularMLP",
    "TabularPredictor",
    "TabularRecipe",
    "default_batch_size",
    "fit_table",
    "tabular_data",
    "tabular_learner",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'trainwell.tabular' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from trainwell.tabular.data import default_batch_size, tabular_data
    from trainwell.tabular.learner import tabular_learner
    from trainwell.tabular.models import TabularMLP
    from trainwell.tabular.pipeline import TableRun, fit_table
    from trainwell.tabular.predictor import TabularPredictor
    from trainwell.tabular.recipe import TabularRecipe
