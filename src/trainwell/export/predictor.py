"""``trainwell.load``: rebuild a predictor from an artifact directory, never unpickling anything.

The artifact names its application; the application's ``predictor`` module is imported by that name from a
fixed allow-list (a directory cannot make trainwell import arbitrary code).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch

from trainwell.core.artifact import read_artifact
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.data.task import Task
from trainwell.models.registry import model_from_artifact

APPLICATIONS = ("tabular", "vision", "text", "collab")


def load(path: str | Path) -> Any:
    """The predictor for the model directory ``path`` (e.g. :class:`~trainwell.tabular.TabularPredictor`).

    Example:
        >>> predictor = trainwell.load("model/")            # doctest: +SKIP
        >>> predictor.predict(new_rows)                      # doctest: +SKIP
    """
    metadata, state = read_artifact(path)
    application = metadata.get("application")
    if application not in APPLICATIONS:
        raise ArtifactError(
            f"model directory '{path}' is for application {application!r}, which this trainwell cannot serve; "
            f"known: {', '.join(APPLICATIONS)}"
        )
    module = importlib.import_module(f"trainwell.{application}.predictor")
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
        """Rebuild from ``trainwell.json`` and the weights; a malformed entry is an :class:`ArtifactError`."""
        try:
            task = Task.from_dict(metadata["task"])
            recipe = cls.recipe_class.from_dict(metadata["recipe"])
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"trainwell.json is missing or has a malformed entry: {error}") from error
        return cls(model_from_artifact(metadata, state), task, recipe, metadata)
