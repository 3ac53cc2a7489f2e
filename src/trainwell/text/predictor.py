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
        if text_col is not None:
            inputs = _named_as_in_training(inputs, text_col, columns)
        return model_texts(inputs, columns)

    @torch.no_grad()
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
        note = cut_texts_note(lengths, self.recipe.max_len)
        if note is not None:
            from trainwell.core.warn import Note, warn

            said = Note(note)
            said.command_line = note.replace(" max_len ", " --max-len ")  # type: ignore[attr-defined]
            warn(said)
        far = long_texts_note(
            lengths, self.recipe.max_len, self.recipe.longest_trained, self.recipe.batch_format
        )
        if far is not None:
            from trainwell.core.warn import Note, warn

            warn(Note(far))
        from trainwell.core.threads import predictor_threads

        outputs = []
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


def cut_texts_note(lengths: np.ndarray, max_len: int | None) -> str | None:
    """What a prediction says of texts longer than the ``max_len`` tokens the model reads (``lengths``: each
    text's tokens before the cut): that each was read up to its first ``max_len``, as in training; ``None`` when
    none was cut. A 30,000-word line was read whole by a sequence model, a minute of work said nowhere.

    Example:
        >>> cut_texts_note(np.array([12, 30_012, 2_000]), 1440)
        '2 of 3 texts are longer than the 1,440 tokens the model reads (the longest 30,012): each is read up to its first 1,440, as in training (a model fitted with a larger max_len reads more)'
        >>> cut_texts_note(np.array([12]), 1440) is None
        True
        >>> cut_texts_note(np.array([2_000]), 1440)
        'the text has 2,000 tokens, more than the 1,440 the model reads: it is read up to its first 1,440, as in training (a model fitted with a larger max_len reads more)'

    """
    if max_len is None or not len(lengths):
        return None
    n_cut = int((lengths > max_len).sum())
    if not n_cut:
        return None
    fix = ", as in training (a model fitted with a larger max_len reads more)"
    if len(lengths) == 1:
        return (
            f"the text has {int(lengths[0]):,} tokens, more than the {max_len:,} the model reads: it is read up to "
            f"its first {max_len:,}{fix}"
        )
    return (
        f"{n_cut:,} of {len(lengths):,} texts are longer than the {max_len:,} tokens the model reads (the longest "
        f"{int(lengths.max()):,}): each is read up to its first {max_len:,}{fix}"
    )


#: A text the model reads more than this many times as many tokens of as of its longest training text is said
#: (:func:`long_texts_note`): a bag of words reads a 20,000-word request whole, in a tenth of a second, and answered
#: it without a word, though it had learned from texts of a few hundred.
LONG_TEXT_FACTOR = 2


def long_texts_note(
    lengths: np.ndarray, max_len: int | None, longest_trained: int | None, batch_format: str = "bag"
) -> str | None:
    """What a prediction says of texts the model reads whole (``lengths``: each text's tokens; those over
    ``max_len`` are cut, which :func:`cut_texts_note` says) that hold more than :data:`LONG_TEXT_FACTOR` times
    the tokens of its longest training text: that it reads every token (a bag of words: at any length), and that
    its answer on them goes beyond the lengths it learned from; ``None`` when none does, or the longest training
    text was not kept (a model fitted before it was).

    Example:
        >>> long_texts_note(np.array([20_012]), None, 312)
        'the text has 20,012 tokens, more than twice the 312 of the longest text the model was trained on: it reads every one of them (a bag of words), and its answer on a text this long is an extrapolation from shorter ones (fit on texts as long to trust it there)'
        >>> long_texts_note(np.array([12, 1_000, 2_000]), 1440, 300, "padded")
        '1 of 3 texts has more than twice the 300 tokens of the longest text the model was trained on (1,000): it reads every token of it, and its answer on a text this long is an extrapolation from shorter ones (fit on texts as long to trust it there)'
        >>> long_texts_note(np.array([500]), None, 312) is None
        True
    """
    if not longest_trained or not len(lengths):
        return None
    whole = lengths if max_len is None else np.where(lengths <= max_len, lengths, 0)
    far = whole > LONG_TEXT_FACTOR * longest_trained
    n_far = int(far.sum())
    if not n_far:
        return None
    times = "twice" if LONG_TEXT_FACTOR == 2 else f"{LONG_TEXT_FACTOR} times"
    bag = " (a bag of words)" if batch_format == "bag" else ""
    trained = "the longest text the model was trained on"
    if len(lengths) == 1:
        return (
            f"the text has {int(lengths[0]):,} tokens, more than {times} the {longest_trained:,} of {trained}: it "
            f"reads every one of them{bag}, and its answer on a text this long is an extrapolation from shorter "
            "ones (fit on texts as long to trust it there)"
        )
    if n_far == 1:
        return (
            f"1 of {len(lengths):,} texts has more than {times} the {longest_trained:,} tokens of {trained} "
            f"({int(whole.max()):,}): it reads every token of it{bag}, and its answer on a text this long is an "
            "extrapolation from shorter ones (fit on texts as long to trust it there)"
        )
    return (
        f"{n_far:,} of {len(lengths):,} texts have more than {times} the {longest_trained:,} tokens of {trained} "
        f"(the longest here {int(whole.max()):,}): it reads every token of each{bag}, and its answers on texts this "
        "long are extrapolations from shorter ones (fit on texts as long to trust them there)"
    )


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
