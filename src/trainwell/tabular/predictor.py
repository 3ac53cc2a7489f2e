"""Predictions on raw rows from a tabular artifact, with exactly the training preprocessing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

import pandas as pd
import torch

from trainwell.data.at_least_one import refuse_at_least_one
from trainwell.data.tables import prediction_table, probability_table, rows_frame, rows_source
from trainwell.export.rows_predictor import Rows, RowsPredictor
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
    #: torch's intra-op threads of the answers (:func:`~trainwell.core.threads.predictor_threads`): one for
    #: the MLP, which trained on one (1,000 Adult rows: 1.7 to 18 times faster than on 2 busy cores' two
    #: threads); ``None`` for boosted trees, whose walk takes the free cores, or to keep the process's own
    #: setting (``torch.set_num_threads``) for a large batch on an idle machine of many cores.
    threads: int | None

    def __init__(self, model: torch.nn.Module, task: Any, recipe: Any, metadata: dict[str, Any]) -> None:
        super().__init__(model, task, recipe, metadata)
        self.threads = None if getattr(model, "closed_form", False) else 1

    @property
    def input_names(self) -> list[str]:
        return self.recipe.columns

    @overload
    def predict_proba(
        self, rows: Rows, *, allow_missing_columns: bool = False, as_frame: Literal[False] = False
    ) -> torch.Tensor: ...

    @overload
    def predict_proba(
        self, rows: Rows, *, allow_missing_columns: bool = False, as_frame: Literal[True]
    ) -> pd.DataFrame: ...

    @torch.no_grad()
    def predict_proba(
        self, rows: Rows, *, allow_missing_columns: bool = False, as_frame: bool = False
    ) -> torch.Tensor | pd.DataFrame:
        """The model's probabilities for each input row.

        ``as_frame=False`` (the default): a tensor, as the metrics take it: a binary model's ``(N,)``
        probabilities of its positive class (``task.classes[1]``), a multi-class or multi-label model's
        ``(N, C)``, a regression's values. ``as_frame=True``: a DataFrame with the rows' index and one column per
        class, named by it (a binary model's two, summing to 1), as AutoGluon's ``predict_proba`` gives it.

        Example:
            >>> trainwell.load("bank-model").predict_proba(rows, as_frame=True)  # doctest: +SKIP
                     no     yes
            0    0.9972  0.0028
        """
        frame = rows_frame(rows, task=self.task)
        values = self._outputs(frame, allow_missing_columns)  # a warning of it names the caller's line
        return probability_table(self.task, values, frame.index) if as_frame else values

    def predict(
        self,
        rows: Rows,
        *,
        allow_missing_columns: bool = False,
        at_least_one: bool = False,
        threshold: float | None = None,
    ) -> pd.DataFrame:
        """A table with one row per input row (its index kept): the prediction, then the probabilities: a
        binary model's of its positive class alone (``probability_yes``), a multi-class or multi-label model's
        of each class (``probability_<class>``); a regression's predicted value(s). ``predict_proba(rows,
        as_frame=True)`` gives every class's probability alone.

        ``threshold`` (binary models; refused for others): decide at this probability of the positive class
        for these rows, in place of the model's own (``task.threshold``: 0.5, or the one the fit chose with
        ``decision_threshold=``). ``at_least_one`` (multi-label models; refused for others): a row with no
        label over its threshold gets its likeliest label instead of an empty prediction (off by default:
        :meth:`~trainwell.data.task.Task.decode`).

        Example:
            >>> trainwell.load("bank-model").predict(new_rows, threshold=0.3)  # doctest: +SKIP
            >>> trainwell.load("tags-model").predict(new_rows, at_least_one=True)  # doctest: +SKIP
        """
        task = self.task.with_threshold(threshold)
        refuse_at_least_one(task, at_least_one, application=self.application)
        frame = rows_frame(rows, task=task)
        values = self.predict_proba(frame, allow_missing_columns=allow_missing_columns)
        return prediction_table(task, values, frame.index, at_least_one=at_least_one)

    def _outputs(self, frame: pd.DataFrame, allow_missing_columns: bool) -> torch.Tensor:
        from trainwell.core.threads import predictor_threads

        source = rows_source(frame)  # the file's path, where the rows were read from one
        if allow_missing_columns:
            said = missing_columns_said(self, list(frame.columns), len(frame), source)
            if said is not None:
                import warnings

                warnings.warn(said, UserWarning, stacklevel=4)
        outputs = []
        for start in range(0, len(frame), BATCH_ROWS):
            chunk = frame.iloc[start : start + BATCH_ROWS]
            x_cat, x_cont = self.recipe.transform(
                chunk,
                allow_missing_columns=allow_missing_columns,
                source=source,
                read_rows=range(start, start + len(chunk)),  # an error names the row's place in all the rows
            )
            with predictor_threads(self):  # the MLP's: one, as it trained
                outputs.append(self.task.activate(self.model(x_cat, x_cont)))
        return torch.cat(outputs)


def missing_columns_said(predictor: Any, columns: list[Any], n_rows: int, where: object) -> str | None:
    """The note on the input columns absent from ``where`` under ``allow_missing_columns``: each is read as
    missing in every row, so every prediction rests on the training's fill for it (a numeric column's training
    median, a category column's code for missing) where the model weighs the row's own value; the predictions
    alone never show it (a tour's Titanic predictions without Sex said only "wrote 418 predictions"). ``None``
    when no input column is absent."""
    absent = [name for name in getattr(predictor, "input_names", []) if name not in columns]
    if not absent:
        return None
    recipe: Any = getattr(predictor, "recipe", None)
    fills: dict[str, Any] = getattr(recipe, "fill_values", None) or {}

    def fill(name: str) -> str:
        value = fills.get(name)
        known = isinstance(value, int | float) and not isinstance(value, bool)
        return (
            f"{name}: the training median {value:.6g}"
            if known
            else f"{name}: the category for a missing value"
        )

    noun, them = ("column", "it") if len(absent) == 1 else ("columns", "them")
    return (
        f"input {noun} {', '.join(repr(name) for name in absent)} not in {where}: read as missing in all "
        f"{n_rows:,} rows ({'; '.join(fill(name) for name in absent)}), so the predictions lean on the training's "
        f"fill value where the model reads each row's own; add the {noun} for predictions that use {them}"
    )


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> TabularPredictor:
    return TabularPredictor.from_artifact(metadata, state)
