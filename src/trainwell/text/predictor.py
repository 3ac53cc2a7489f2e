"""Predictions on raw texts from a text classifier artifact, tokenised exactly as in training.

Imports only torch, numpy, the recipe and the model registry: a serving process never loads training code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.export.predictor import Predictor
from trainwell.text.fields import model_texts, table_of_path
from trainwell.text.length_notes import say_length_notes
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
    #: torch's intra-op threads of the answers (:func:`~trainwell.core.threads.predictor_threads`): one for a
    #: bag model, which trained on one (1,000 SST-2 sentences: up to 4.1 times faster than on 2 busy cores' two
    #: threads); ``None`` (the process's own setting, ``torch.set_num_threads``) for a sequence model, or to give
    #: a large batch every thread torch takes.
    threads: int | None

    def __init__(self, model: torch.nn.Module, task: Any, recipe: Any, metadata: dict[str, Any]) -> None:
        super().__init__(model, task, recipe, metadata)
        self.threads = 1 if getattr(recipe, "batch_format", None) == "bag" else None

    @property
    def input_names(self) -> list[str]:
        return self.recipe.input_columns

    def __repr__(self) -> str:
        """``TextPredictor(task=binary, classes=['neg', 'pos'], text_col='review', arch='ngram_bag', vocab=2,345,
        max_len=None)``: what it reads and answers, short (a long class list cut to a few and a count)."""
        classes = [str(name) for name in (self.task.classes or ())]
        shown = (
            repr(classes)
            if len(classes) <= 6
            else f"[{', '.join(map(repr, classes[:5]))}, ... ({len(classes)} in all)]"
        )
        columns = self.recipe.input_columns
        arch = (self.metadata.get("architecture") or {}).get("name", "?")
        column = columns[0] if len(columns) == 1 else columns
        words = (
            f"vocab={len(self.recipe.vocab):,}, " if self.recipe.vocab else ""
        )  # a subword model's: its pieces
        return (
            f"TextPredictor(task={self.task.kind}, classes={shown}, text_col={column!r}, arch={arch!r}, "
            f"{words}max_len={self.recipe.max_len})"
        )

    def texts(
        self,
        inputs: str | Sequence[str] | pd.DataFrame | pd.Series,
        text_col: str | Sequence[str] | None = None,
    ) -> list[str]:
        """The texts of ``inputs``: one string (one text), a list, a Series, or a DataFrame holding the training
        text column (or ``text_col``, the column holding them when it is named otherwise: ``--text`` of predict);
        for a model of several text columns (a pair), a DataFrame holding them (``text_col``: a name each, in
        the training order) or tuples of one text a column (:func:`~trainwell.text.fields.model_texts`)."""
        columns = self.recipe.input_columns
        inputs = table_of_path(inputs, columns, text_col)  # predict("new.csv"): the file's table of texts
        if text_col is not None:
            inputs = _named_as_in_training(inputs, text_col, columns)
        return model_texts(inputs, columns)

    def predict_proba(
        self,
        inputs: str | Sequence[str] | pd.DataFrame | pd.Series,
        *,
        text_col: str | Sequence[str] | None = None,
    ) -> torch.Tensor:
        """Activated outputs: class probabilities (binary: of the positive class), one row per text (one row for
        a string alone); ``text_col`` as for :meth:`texts`."""
        texts = self.texts(inputs, text_col)
        ids, offsets, lengths = self.recipe.encode_counted(texts)
        # Said at the caller's line (no torch decorator's frame between: torch.no_grad() below, not above), once
        # for this model (:func:`say_length_notes`).
        say_length_notes(self.recipe, lengths)
        from trainwell.core.threads import predictor_threads

        outputs = []
        with torch.no_grad():
            for start in range(0, len(texts), BATCH_TEXTS):
                rows = np.arange(start, min(start + BATCH_TEXTS, len(texts)))
                with predictor_threads(self):  # a bag model's: one, as it trained
                    if self.recipe.batch_format == "bag":
                        output = self.model(*bag_batch(ids, offsets, rows))
                    else:
                        output = self.model(padded_batch(ids, offsets, rows, self.recipe.pad_id))
                    outputs.append(self.task.activate(output))
        return torch.cat(outputs)

    def predict(
        self,
        inputs: str | Sequence[str] | pd.DataFrame | pd.Series,
        *,
        text_col: str | Sequence[str] | None = None,
        at_least_one: bool = False,
    ) -> pd.DataFrame:
        """One row per text (one row for a string alone): ``prediction`` and one ``probability_<class>`` column
        per class. ``text_col``: a table's column of texts named otherwise than in training (``body`` for
        ``review``), as :meth:`texts` reads it. ``at_least_one`` (multi-label models): a text with no label over
        its threshold gets its likeliest label, not an empty prediction (off by default:
        :meth:`~trainwell.data.task.Task.decode`).

        Example:
            >>> trainwell.load("reviews-model").predict(new_table, text_col="body")  # doctest: +SKIP
            >>> trainwell.load("emotions-model").predict(["so glad you came"], at_least_one=True)  # doctest: +SKIP
        """
        import pandas as pd

        from trainwell.data.at_least_one import refuse_at_least_one
        from trainwell.data.tables import prediction_table

        refuse_at_least_one(self.task, at_least_one, application=self.application)
        probabilities = self.predict_proba(inputs, text_col=text_col)
        index = inputs.index if isinstance(inputs, pd.DataFrame | pd.Series) else range(len(probabilities))
        return prediction_table(self.task, probabilities, pd.Index(index), at_least_one=at_least_one)


def _named_as_in_training(inputs: Any, text_col: str | Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """The text columns ``text_col`` of the table ``inputs``, renamed as the model's training ``columns``."""
    import pandas as pd

    from trainwell.core.errors import ConfigError, DataError

    names = [text_col] if isinstance(text_col, str) else list(text_col)
    if not isinstance(inputs, pd.DataFrame):
        raise ConfigError(
            f"text_col= names a table's column of texts, and the inputs are a {type(inputs).__name__}: pass a "
            "DataFrame, or the texts alone without text_col="
        )
    if len(names) != len(columns):
        raise ConfigError(
            f"text_col= names {len(names)} column(s) and the model reads {len(columns)} ({', '.join(columns)}): "
            "name one column of the table for each, in that order"
        )
    absent = [name for name in names if name not in inputs.columns]
    if absent:
        from trainwell.data.io import did_you_mean

        close = did_you_mean([absent[0]], [str(column) for column in inputs.columns])
        shown = ", ".join(map(str, list(inputs.columns)[:30]))
        raise DataError(
            f"text_col= '{absent[0]}' is not a column of the input table{close}; columns are: {shown}"
        )
    return inputs[names].set_axis(list(columns), axis=1)


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
