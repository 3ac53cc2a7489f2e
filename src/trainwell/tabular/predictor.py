"""Predictions on raw rows from a tabular artifact, with exactly the training preprocessing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch

from trainwell.export.rows_predictor import RowsPredictor
from trainwell.tabular.recipe import TabularRecipe

BATCH_ROWS = 8192


class TabularPredictor(RowsPredictor):
    """Raw rows in, decoded predictions out.

    Rows are a DataFrame, a list of ``{column: value}`` dicts, or one row alone as a dict or a Series. Unseen
    categories are read as missing (the reserved code 0); columns the model never used are ignored;
    missing input columns are an error unless ``allow_missing_columns=True``, which reads them as missing in
    every row (their fill value, with the missing indicator set). A number too far from the training values for
    the model's arithmetic is refused, naming it, rather than answered with a NaN probability.
    """

    application = "tabular"
    recipe_class = TabularRecipe
    recipe: TabularRecipe

    @property
    def input_names(self) -> list[str]:
        return self.recipe.columns

    def _outputs(self, frame: pd.DataFrame, allow_missing_columns: bool) -> torch.Tensor:
        outputs = []
        for start in range(0, len(frame), BATCH_ROWS):
            chunk = frame.iloc[start : start + BATCH_ROWS]
            x_cat, x_cont = self.recipe.transform(
                chunk, allow_missing_columns=allow_missing_columns, source="the input rows"
            )
            outputs.append(self.task.activate(self.model(x_cat, x_cont)))
        return torch.cat(outputs)


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> TabularPredictor:
    return TabularPredictor.from_artifact(metadata, state)
