"""Predictions from ``model.onnx`` with onnxruntime alone: no PyTorch model is built."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trainwell.core.artifact import read_metadata
from trainwell.core.errors import ArtifactError
from trainwell.data.tables import prediction_table, rows_frame
from trainwell.data.task import Task
from trainwell.export._onnx_runtime import (
    INPUT_NAMES,
    ONNX_FILE,
    OUTPUT_NAME,
    RECIPES,
    activate,
    import_onnxruntime,
    open_session,
    run_onnx,
)

BATCH_ROWS = 8192


class OnnxPredictor:
    """Raw rows in, decoded predictions out, with onnxruntime running ``model.onnx``.

    Gives the same table as the PyTorch predictor (``trainwell.load(dir).predict``): the recipe encodes the
    rows exactly as in training, onnxruntime runs the model, and the activation is applied in numpy.

    Args:
        model_dir: A model directory holding ``model.onnx`` (written by :func:`export_onnx`).
        threads: onnxruntime intra-op threads (default: onnxruntime's choice).

    Raises:
        ArtifactError: The directory, its ``trainwell.json`` or its ``model.onnx`` is missing or unusable.
        OnnxDependencyError: ``onnx`` or ``onnxruntime`` is not installed.

    Example:
        >>> OnnxPredictor("model/").predict(new_rows)                       # doctest: +SKIP
    """

    def __init__(self, model_dir: str | Path, *, threads: int | None = None) -> None:
        ort = import_onnxruntime()
        directory = Path(model_dir)
        self.metadata = read_metadata(directory)
        self.application = application = self.metadata.get("application")
        if application not in RECIPES:
            raise ArtifactError(
                f"model directory '{directory}' is for application {application!r}; the ONNX predictor "
                f"supports: {', '.join(RECIPES)}"
            )
        module_name, class_name = RECIPES[application]
        recipe_class = getattr(importlib.import_module(module_name), class_name)
        try:
            self.task = Task.from_dict(self.metadata["task"])
            self.recipe = recipe_class.from_dict(self.metadata["recipe"])
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"trainwell.json is missing or has a malformed entry: {error}") from error
        path = directory / ONNX_FILE
        if not path.is_file():
            raise ArtifactError(
                f"model directory '{directory}' has no {ONNX_FILE}; write it first with "
                f"`trainwell export {directory} --onnx`"
            )
        self.session = open_session(ort, path, threads=threads)
        self.onnx_input_names = [item.name for item in self.session.get_inputs()]
        outputs = [item.name for item in self.session.get_outputs()]
        if not set(self.onnx_input_names) <= set(INPUT_NAMES) or outputs != [OUTPUT_NAME]:
            raise ArtifactError(
                f"{path} has inputs {self.onnx_input_names} and outputs {outputs}; trainwell expects inputs "
                f"among {list(INPUT_NAMES)} and the output '{OUTPUT_NAME}': re-export with `trainwell export`"
            )

    @property
    def input_names(self) -> list[str]:
        """The raw columns the model reads."""
        return [*self.recipe.cat_names, *self.recipe.cont_names]

    def predict_proba(
        self, rows: pd.DataFrame | list[dict[str, Any]], *, allow_missing_columns: bool = False
    ) -> np.ndarray:
        """Activated outputs as float32: probabilities for classification, values for regression."""
        frame = rows_frame(rows)
        chunks = []
        for start in range(0, len(frame), BATCH_ROWS):
            x_cat, x_cont = self.recipe.transform(
                frame.iloc[start : start + BATCH_ROWS],
                allow_missing_columns=allow_missing_columns,
                source="the input rows",
            )
            chunks.append(activate(self.task, run_onnx(self.session, x_cat, x_cont)))
        return np.concatenate(chunks)

    def predict(
        self, rows: pd.DataFrame | list[dict[str, Any]], *, allow_missing_columns: bool = False
    ) -> pd.DataFrame:
        """A table with one row per input row: the prediction, and one probability column per class."""
        frame = rows_frame(rows)
        values = self.predict_proba(frame, allow_missing_columns=allow_missing_columns)
        return prediction_table(self.task, values, frame.index)
