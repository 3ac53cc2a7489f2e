"""trainwell: well-trained models by default.

The public names below load on first use (PEP 562), so ``import trainwell`` costs almost nothing beyond
importing torch, and a serving process never pays for training code it does not touch.

Example:
    >>> import trainwell
    >>> data = trainwell.tabular_data(trainwell.datasets.adult_sample(), target="income")   # doctest: +SKIP
    >>> learn = trainwell.tabular_learner(data)                                              # doctest: +SKIP
    >>> learn.fit_one_cycle(5)                                                               # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: How long an idle OpenMP thread of PyTorch's CPU kernels spins before it sleeps (libgomp's spin count).
#: libgomp's default, 300,000, suits a machine with nothing else to run: beside another busy process the
#: spinning threads take the cores the other's threads need. A small CNN fit beside a busy 2-thread process on
#: 2 cores took 12.8 s (median; worst 57 s) with the default and 9.4 s (worst 20 s) with 30,000, and the same
#: alone (benchmarks/threads.py). Shorter spins cost time alone: 1,000 made IMDB's bag model train in 32 s
#: instead of 24 s. Set before torch loads, and only where the user has not chosen (GOMP_SPINCOUNT or
#: OMP_WAIT_POLICY set wins).
OPENMP_SPIN_COUNT = "30000"
if "torch" not in sys.modules and "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", OPENMP_SPIN_COUNT)

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # data
    "DataBundle": "trainwell.data",
    "Task": "trainwell.data",
    "TensorLoader": "trainwell.data",
    "infer_task": "trainwell.data",
    "read_table": "trainwell.data",
    "tensor_data": "trainwell.data",
    # learner and loop
    "Learner": "trainwell.learner",
    "Callback": "trainwell.learner",
    "Event": "trainwell.learner",
    "CancelBatch": "trainwell.learner",
    "CancelStep": "trainwell.learner",
    "CancelTrain": "trainwell.learner",
    "CancelValidate": "trainwell.learner",
    "CancelEpoch": "trainwell.learner",
    "CancelFit": "trainwell.learner",
    # building blocks
    "create_model": "trainwell.models",
    "list_models": "trainwell.models",
    "create_loss": "trainwell.losses",
    "get_metric": "trainwell.metrics",
    "create_optimizer": "trainwell.optim",
    "AdaBelief": "trainwell.optim",
    # tabular
    "tabular_data": "trainwell.tabular",
    "tabular_learner": "trainwell.tabular",
    "fit_table": "trainwell.tabular",
    "evaluate_table": "trainwell.tabular",
    # recommendations
    "ratings_data": "trainwell.collab",
    "collab_learner": "trainwell.collab",
    "fit_ratings": "trainwell.collab",
    "evaluate_ratings": "trainwell.collab",
    # vision
    "image_data": "trainwell.vision",
    "vision_learner": "trainwell.vision",
    "fit_images": "trainwell.vision",
    "evaluate_images": "trainwell.vision",
    # text: classification, language models, sequence labelling
    "text_data": "trainwell.text",
    "text_classifier_learner": "trainwell.text",
    "fit_texts": "trainwell.text",
    "evaluate_texts": "trainwell.text",
    "lm_data": "trainwell.text",
    "language_model_learner": "trainwell.text",
    "fit_language_model": "trainwell.text",
    "evaluate_language_model": "trainwell.text",
    "tagging_data": "trainwell.text",
    "tagging_learner": "trainwell.text",
    "fit_tagger": "trainwell.text",
    "evaluate_tagger": "trainwell.text",
    # hyper-parameter search (Optuna, the tune extra)
    "tune_images": "trainwell.automl",
    "tune_ratings": "trainwell.automl",
    "tune_table": "trainwell.automl",
    "tune_tagger": "trainwell.automl",
    "tune_texts": "trainwell.automl",
    # artifacts
    "load": "trainwell.export",
    # evaluation and interpretation
    "ClassificationInterpretation": "trainwell.interpret",
    "occlusion_map": "trainwell.interpret",
    "RegressionInterpretation": "trainwell.interpret",
    "permutation_importance": "trainwell.report",
    "bootstrap_ci": "trainwell.evaluate",
    "cross_validate": "trainwell.evaluate",
    "Evaluation": "trainwell.evaluate",
    # errors and seeding
    "UserError": "trainwell.core",
    "DataError": "trainwell.core",
    "ArtifactError": "trainwell.core",
    "ConfigError": "trainwell.core",
    "seed_everything": "trainwell.core",
}
_SUBMODULES = ("callbacks", "datasets", "export")
#: Subpackages reachable as attributes, imported on first use (``trainwell.continual.Consolidation``, as the
#: README writes it), though not in ``__all__``: ``import trainwell`` then ``trainwell.metrics`` failed unless
#: something had imported it already.
_LAZY_PACKAGES = (
    "automl", "collab", "continual", "core", "data", "distributed", "evaluate", "interpret", "learner", "losses",
    "metrics", "models", "optim", "report", "serve", "tabular", "text", "vision",
)  # fmt: skip

__all__ = [
    "AdaBelief",
    "ArtifactError",
    "Callback",
    "CancelBatch",
    "CancelEpoch",
    "CancelFit",
    "CancelStep",
    "CancelTrain",
    "CancelValidate",
    "ClassificationInterpretation",
    "ConfigError",
    "DataBundle",
    "DataError",
    "Evaluation",
    "Event",
    "Learner",
    "RegressionInterpretation",
    "Task",
    "TensorLoader",
    "UserError",
    "__version__",
    "bootstrap_ci",
    "callbacks",
    "collab_learner",
    "create_loss",
    "create_model",
    "create_optimizer",
    "cross_validate",
    "datasets",
    "evaluate_images",
    "evaluate_language_model",
    "evaluate_ratings",
    "evaluate_table",
    "evaluate_tagger",
    "evaluate_texts",
    "export",
    "fit_images",
    "fit_language_model",
    "fit_ratings",
    "fit_table",
    "fit_tagger",
    "fit_texts",
    "get_metric",
    "image_data",
    "infer_task",
    "language_model_learner",
    "list_models",
    "lm_data",
    "load",
    "occlusion_map",
    "permutation_importance",
    "ratings_data",
    "read_table",
    "seed_everything",
    "tabular_data",
    "tabular_learner",
    "tagging_data",
    "tagging_learner",
    "tensor_data",
    "text_classifier_learner",
    "text_data",
    "tune_images",
    "tune_ratings",
    "tune_table",
    "tune_tagger",
    "tune_texts",
    "vision_learner",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES or name in _LAZY_PACKAGES:
        return importlib.import_module(f"trainwell.{name}")
    raise AttributeError(f"module 'trainwell' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what static type checkers and IDEs see
    from trainwell import callbacks, datasets, export
    from trainwell.automl import tune_images, tune_ratings, tune_table, tune_tagger, tune_texts
    from trainwell.collab import collab_learner, evaluate_ratings, fit_ratings, ratings_data
    from trainwell.core import ArtifactError, ConfigError, DataError, UserError, seed_everything
    from trainwell.data import DataBundle, Task, TensorLoader, infer_task, read_table, tensor_data
    from trainwell.evaluate import Evaluation, bootstrap_ci, cross_validate
    from trainwell.export import load
    from trainwell.interpret import ClassificationInterpretation, RegressionInterpretation, occlusion_map
    from trainwell.learner import (
        Callback,
        CancelBatch,
        CancelEpoch,
        CancelFit,
        CancelStep,
        CancelTrain,
        CancelValidate,
        Event,
        Learner,
    )
    from trainwell.losses import create_loss
    from trainwell.metrics import get_metric
    from trainwell.models import create_model, list_models
    from trainwell.optim import AdaBelief, create_optimizer
    from trainwell.report import permutation_importance
    from trainwell.tabular import evaluate_table, fit_table, tabular_data, tabular_learner
    from trainwell.text import (
        evaluate_language_model,
        evaluate_tagger,
        evaluate_texts,
        fit_language_model,
        fit_tagger,
        fit_texts,
        language_model_learner,
        lm_data,
        tagging_data,
        tagging_learner,
        text_classifier_learner,
        text_data,
    )
    from trainwell.vision import evaluate_images, fit_images, image_data, vision_learner
