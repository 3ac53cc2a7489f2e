"""Predictions on raw texts from a text classifier artifact, tokenised exactly as in training.

Imports only torch, numpy, the recipe and the model registry: a serving process never loads training code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import DataError
from trainwell.export.predictor import Predictor
from trainwell.text.recipe import TextRecipe, bag_batch, padded_batch
from trainwell.text.tokenize import validate_texts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TextPredictor", "predictor_from_artifact"]

BATCH_TEXTS = 512


class TextPredictor(Predictor):
    """Texts in (one string, a list of strings, or a table with the training text column), decoded predictions
    out: one row per text (a string alone is one text, as an image alone is one image)."""

    application = "text"
    recipe_class = TextRecipe
    recipe: TextRecipe

    @property
    def input_names(self) -> list[str]:
        return [self.recipe.text_col]

    def texts(self, inputs: str | Sequence[str] | pd.DataFrame | pd.Series) -> list[str]:
        """The texts of ``inputs``: one string (one text), a list, a Series, or a DataFrame holding the training
        text column."""
        import pandas as pd

        if isinstance(inputs, str):
            inputs = [inputs]
        name = "texts"
        if isinstance(inputs, pd.DataFrame):
            column = self.recipe.text_col
            if column not in inputs.columns:
                shown = ", ".join(map(str, list(inputs.columns)[:30]))
                raise DataError(f"text column '{column}' not found in the input table; columns are: {shown}")
            inputs, name = inputs[column], f"text column '{column}' row"
        if isinstance(inputs, pd.Series):
            # A blank cell reads as NaN: said as an empty text of a data row (from 1), not as "a float".
            empty = inputs.isna() | inputs.map(lambda value: isinstance(value, str) and not value.strip())
            if empty.any():
                rows = np.flatnonzero(empty.to_numpy(dtype=bool))
                where = f"text column '{inputs.name}'" if inputs.name is not None else "the texts"
                raise DataError(
                    f"{where} is empty in data row {rows[0] + 1} of the input ({len(rows)} "
                    f"row{'' if len(rows) == 1 else 's'} in all); a text model has nothing to read there: fill "
                    "or drop those rows"
                )
            inputs = inputs.tolist()
        texts, _ = validate_texts(inputs, name=name, droppable=False)
        return texts

    @torch.no_grad()
    def predict_proba(self, inputs: str | Sequence[str] | pd.DataFrame | pd.Series) -> torch.Tensor:
        """Activated outputs: class probabilities (binary: of the positive class), one row per text (one row for
        a string alone)."""
        texts = self.texts(inputs)
        ids, offsets = self.recipe.encode(texts)
        outputs = []
        for start in range(0, len(texts), BATCH_TEXTS):
            rows = np.arange(start, min(start + BATCH_TEXTS, len(texts)))
            if self.recipe.batch_format == "bag":
                output = self.model(*bag_batch(ids, offsets, rows))
            else:
                output = self.model(padded_batch(ids, offsets, rows, self.recipe.pad_id))
            outputs.append(self.task.activate(output))
        return torch.cat(outputs)

    def predict(self, inputs: str | Sequence[str] | pd.DataFrame | pd.Series) -> pd.DataFrame:
        """One row per text (one row for a string alone): ``prediction`` and one ``probability_<class>`` column
        per class."""
        import pandas as pd

        from trainwell.data.tables import prediction_table

        probabilities = self.predict_proba(inputs)
        index = inputs.index if isinstance(inputs, pd.DataFrame | pd.Series) else range(len(probabilities))
        return prediction_table(self.task, probabilities, pd.Index(index))


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> Any:
    """Hook for ``trainwell.load``: a classifier's :class:`TextPredictor`, a language model's or a tagger's
    predictor (all are ``"text"`` artifacts; the task kind tells them apart)."""
    task = metadata.get("task")
    if isinstance(task, dict) and task.get("kind") == "language_model":
        from trainwell.text import lm_predictor

        return lm_predictor.predictor_from_artifact(metadata, state)
    if isinstance(task, dict) and task.get("kind") == "tagging":
        from trainwell.text.tagging import predictor as tagging_predictor

        return tagging_predictor.predictor_from_artifact(metadata, state)
    return TextPredictor.from_artifact(metadata, state)
