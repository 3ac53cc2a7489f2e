"""``trainwell.load``: rebuild a predictor from an artifact directory, never unpickling anything.

The artifact names its application; the application's ``predictor`` module is imported by that name from a
fixed allow-list (a directory cannot make trainwell import arbitrary code).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from trainwell.core.artifact import read_artifact
from trainwell.core.errors import ArtifactError

APPLICATIONS = ("tabular", "vision", "text")


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
