"""Hyper-parameter search with Optuna (an optional extra: ``pip install 'trainwell[tune]'``)."""

from trainwell.automl.images import tune_images
from trainwell.automl.ratings import tune_ratings
from trainwell.automl.search import OptunaPruning, TuneResult, TuningDependencyError
from trainwell.automl.table import LAYER_CHOICES, tune_table
from trainwell.automl.tagging import tune_tagger
from trainwell.automl.texts import tune_texts

__all__ = [
    "LAYER_CHOICES",
    "OptunaPruning",
    "TuneResult",
    "TuningDependencyError",
    "tune_images",
    "tune_ratings",
    "tune_table",
    "tune_tagger",
    "tune_texts",
]
