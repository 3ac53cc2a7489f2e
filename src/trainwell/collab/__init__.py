"""Recommendations by collaborative filtering: a ratings table in, a model that scores and ranks items out.

Names load on first use (PEP 562): a serving process that only needs ``trainwell.collab.predictor`` never
imports the training code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes

_EXPORTS = {
    "CollabNN": "trainwell.collab.models",
    "CollabPredictor": "trainwell.collab.predictor",
    "CollabRecipe": "trainwell.collab.recipe",
    "DotBias": "trainwell.collab.models",
    "RatingsRun": "trainwell.collab.pipeline",
    "collab_learner": "trainwell.collab.learner",
    "fit_ratings": "trainwell.collab.pipeline",
    "fold_in_dir": "trainwell.collab.directory_fold_in",
    "ratings_data": "trainwell.collab.data",
    "evaluate_ratings": "trainwell.collab.evaluation",
    "read_item_names": "trainwell.collab.names",
}

__all__ = [
    "CollabNN",
    "CollabPredictor",
    "CollabRecipe",
    "DotBias",
    "RatingsRun",
    "collab_learner",
    "evaluate_ratings",
    "fit_ratings",
    "fold_in_dir",
    "ratings_data",
    "read_item_names",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from trainwell.collab.data import ratings_data
    from trainwell.collab.directory_fold_in import fold_in_dir
    from trainwell.collab.evaluation import evaluate_ratings
    from trainwell.collab.learner import collab_learner
    from trainwell.collab.models import CollabNN, DotBias
    from trainwell.collab.names import read_item_names
    from trainwell.collab.pipeline import RatingsRun, fit_ratings
    from trainwell.collab.predictor import CollabPredictor
    from trainwell.collab.recipe import CollabRecipe
