"""Predictions on raw texts from a text classifier artifact, tokenised exactly as in training.

Imports only torch, numpy, the recipe and the model registry: a serving process never loads training code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.export.predictor import Predictor
from trainwell.text.fields import model_texts
from trainwell.text.recipe import TextRecipe, bag_batch, padded_batch

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
        return self.recipe.input_columns

    def texts(self, inputs: str | Sequence[str] | pd.DataFrame | pd.Series) -> list[str]:
        """The texts of ``inputs``: one string (one text), a list, a Series, or a DataFrame holding the training
        text column; for a model of several text columns (a pair), a DataFrame holding them or tuples of one
        text a column (:func:`~trainwell.text.fields.model_texts`)."""
        return model_texts(inputs, self.recipe.input_columns)

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
