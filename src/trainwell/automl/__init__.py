"""Hyper-parameter search with Optuna (an optional extra: ``pip install 'trainwell[tune]'``).

The public names load on first use (PEP 562), as :mod:`trainwell`'s do: a light submodule
(:mod:`trainwell.automl._search_values`, which ``trainwell tune --search`` checks its values with before any
data is read) is imported without the searches, and so without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "LAYER_CHOICES": "trainwell.automl.table",
    "OptunaPruning": "trainwell.automl.search",
    "TuneResult": "trainwell.automl.search",
    "TuningDependencyError": "trainwell.automl.search",
    "tune_images": "trainwell.automl.images",
    "tune_ratings": "trainwell.automl.ratings",
    "tune_table": "trainwell.automl.table",
    "tune_tagger": "trainwell.automl.tagging",
    "tune_texts": "trainwell.automl.texts",
}

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'trainwell.automl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what static type checkers and IDEs see
    from trainwell.automl.images import tune_images
    from trainwell.automl.ratings import tune_ratings
    from trainwell.automl.search import OptunaPruning, TuneResult, TuningDependencyError
    from trainwell.automl.table import LAYER_CHOICES, tune_table
    from trainwell.automl.tagging import tune_tagger
    from trainwell.automl.texts import tune_texts
