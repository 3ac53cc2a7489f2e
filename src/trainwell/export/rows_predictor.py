"""What the predictors of table rows share (tables and recommenders): rows in, one answer per row out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeAlias

import pandas as pd
import torch

from trainwell.data.tables import prediction_table, rows_frame
from trainwell.export.predictor import Predictor

#: Table rows as a caller passes them: a DataFrame, a list of ``{column: value}`` dicts, one row alone as a
#: dict or a Series, or the path of a table file (read by :func:`~trainwell.data.tables.rows_frame`).
Rows: TypeAlias = pd.DataFrame | list[dict[str, Any]] | Mapping[str, Any] | pd.Series | str | os.PathLike[str]


class RowsPredictor(Predictor):
    """A predictor whose inputs are table rows; a subclass says how a frame of rows becomes the model's
    activated outputs (``_outputs``), and ``predict`` decodes those into one answer per row."""

    @torch.no_grad()
    def predict_proba(self, rows: Rows, *, allow_missing_columns: bool = False) -> torch.Tensor:
        """Activated outputs, one per input row: probabilities for classification (a binary model's of its
        positive class, ``(N,)``; others' ``(N, C)``), values (such as predicted ratings) for regression. ``allow_missing_columns`` reads absent input columns as missing in every row
        instead of refusing them."""
        return self._outputs(rows_frame(rows, task=self.task), allow_missing_columns)

    def predict(self, rows: Rows, *, allow_missing_columns: bool = False) -> pd.DataFrame:
        """A table with one row per input row (its index kept): the prediction, then the probabilities (a binary
        model's of its positive class alone, others' one column per class), or a regression's value(s)."""
        frame = rows_frame(rows, task=self.task)
        values = self.predict_proba(frame, allow_missing_columns=allow_missing_columns)
        return prediction_table(self.task, values, frame.index)

    def _outputs(self, frame: pd.DataFrame, allow_missing_columns: bool) -> torch.Tensor:
        """The activated outputs of the rows of ``frame`` (a subclass's own preprocessing and batching)."""
        raise NotImplementedError
