"""``trainwell.load``: rebuild a predictor from an artifact directory, never unpickling anything.

The artifact names its application; the application's ``predictor`` module is imported by that name from a
fixed allow-list (a directory cannot make trainwell import arbitrary code). A model on your own architecture
(application ``"generic"``) gets :class:`~trainwell.export.generic.GenericPredictor`: tensors in, and its
architecture must have been registered by your code before loading.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch

from trainwell.core.artifact import metadata_entry, read_artifact
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.data.task import Task
from trainwell.models.registry import model_from_artifact

# application -> the module whose ``predictor_from_artifact`` serves it
_PREDICTOR_MODULES = {
    "tabular": "trainwell.tabular.predictor",
    "vision": "trainwell.vision.predictor",
    "text": "trainwell.text.predictor",
    "collab": "trainwell.collab.predictor",
    "generic": "trainwell.export.generic",
}
APPLICATIONS = tuple(_PREDICTOR_MODULES)


def load(path: str | Path) -> Any:
    """The predictor for the model directory ``path`` (e.g. :class:`~trainwell.tabular.TabularPredictor`).

    A model on your own architecture (``learn.model_spec`` naming a registered function) loads as a
    :class:`~trainwell.export.generic.GenericPredictor` once the module that registers it is imported.

    Example:
        >>> predictor = trainwell.load("model/")            # doctest: +SKIP
        >>> predictor.predict(new_rows)                      # doctest: +SKIP
    """
    metadata, state = read_artifact(path)
    source = f"model directory '{path}'"
    try:
        return predictor_from_parts(metadata, state, source)
    except ArtifactError as error:  # a damaged entry or weights: say which directory
        if str(error).startswith(source):
            raise
        raise ArtifactError(f"{source}: {error}") from error


def predictor_from_parts(metadata: dict[str, Any], state: Mapping[str, torch.Tensor], source: str) -> Any:
    """The predictor for ``trainwell.json``'s contents and the weights: what :func:`load` returns for a
    directory, and ``learn.predictor()`` for a Learner in memory (``source`` names it in errors)."""
    application = metadata.get("application")
    if application not in APPLICATIONS:
        raise ArtifactError(
            f"{source} is for application {application!r}, which this trainwell cannot serve; "
            f"known: {', '.join(APPLICATIONS)}"
        )
    module = importlib.import_module(_PREDICTOR_MODULES[application])
    return module.predictor_from_artifact(metadata, state)


def refuse_language_model(metadata: dict[str, Any] | None, path: str | Path, what: str) -> None:
    """Raise a one-line :class:`ConfigError` when ``metadata`` (``trainwell.json``) is a language model's,
    which writes text and predicts nothing ``what`` (``"trainwell predict"``, ``"serving"``...) could use."""
    kind = ((metadata or {}).get("task") or {}).get("kind")
    if kind == "language_model":
        raise ConfigError(
            f"'{path}' is a language model: it continues text rather than predicting labels, so {what} does not "
            f'apply to it; sample it with: trainwell generate {path} "a prompt" (or fine-tune a classifier '
            f"on it: trainwell fit texts.csv --text TEXT --target LABEL --pretrained {path})"
        )


def refuse_generic(metadata: dict[str, Any] | None, path: str | Path, what: str, instead: str = "") -> None:
    """Raise a one-line :class:`ConfigError` when ``metadata`` (``trainwell.json``) is a model on the user's own
    architecture (application ``"generic"``): it takes tensors, so ``what`` (``"trainwell predict"``,
    ``"serving over HTTP"``...) has no input format to read for it, and only the user's code registers its
    architecture. ``instead`` replaces the default advice (predict from Python)."""
    if (metadata or {}).get("application") != "generic":
        return
    name = ((metadata or {}).get("architecture") or {}).get("name", "?")
    advice = instead or (
        f"use it from Python: import the module that registers {name!r}, then "
        f"trainwell.load({str(path)!r}).predict(inputs) with tensors shaped as in training"
    )
    raise ConfigError(
        f"'{path}' is a model on your own architecture {name!r} (application 'generic'): it takes tensors, which "
        f"{what} has no way to read; {advice}"
    )


class Predictor:
    """What every application's predictor shares: a model in eval mode, the task, the recipe, the metadata.

    Subclasses name their ``application`` and their ``recipe_class`` (with a ``from_dict``), and add how raw
    inputs become model inputs.
    """

    application: ClassVar[str] = "generic"
    recipe_class: ClassVar[Any] = None

    def __init__(self, model: torch.nn.Module, task: Task, recipe: Any, metadata: dict[str, Any]) -> None:
        self.model = model.eval()
        self.task = task
        self.recipe = recipe
        self.metadata = metadata

    @classmethod
    def from_artifact(cls, metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> Any:
        """Rebuild from ``trainwell.json`` and the weights; a malformed entry is an :class:`ArtifactError`
        naming it."""
        task = metadata_entry(metadata, "task", Task.from_dict)
        recipe = metadata_entry(metadata, "recipe", cls.recipe_class.from_dict)
        return cls(model_from_artifact(metadata, state), task, recipe, metadata)
