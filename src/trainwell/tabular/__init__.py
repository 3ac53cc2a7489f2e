"""Tabular data: tables in, embeddings + MLP, predictions on raw rows out."""

from trainwell.tabular.data import default_batch_size, tabular_data
from trainwell.tabular.learner import tabular_learner
from trainwell.tabular.models import TabularMLP
from trainwell.tabular.pipeline import TableRun, fit_table
from trainwell.tabular.predictor import TabularPredictor
from trainwell.tabular.recipe import TabularRecipe

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
