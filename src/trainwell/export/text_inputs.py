"""The inputs of a text classifier's ``model.onnx``, made from raw texts: :func:`text_onnx_inputs`.

A text graph takes token and n-gram ids (``ids`` and ``offsets``, or padded ``tokens``), and those ids come from
trainwell's own word rules or subword tokenizer, its vocabulary and its salted hashing of n-grams: no spec short
of the code reproduces them. So this function is the supported way to feed the graph outside trainwell's
predictors: it reads the model directory's ``trainwell.json`` and runs the same preprocessing
(:meth:`trainwell.text.recipe.TextRecipe.encode`) that the PyTorch predictor, the ONNX predictor and the server
run, and returns numpy arrays named as the graph's inputs, ready for ``InferenceSession.run``. It needs no
PyTorch model and no ``model.safetensors``: only ``trainwell.json`` (and ``model.onnx`` for the graph itself).

The recipe code is imported by name (:data:`~trainwell.export._onnx_runtime.RECIPES`), as the ONNX predictor
imports it: this package sits below the applications.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trainwell.core.artifact import metadata_entry, read_metadata
from trainwell.core.errors import ArtifactError
from trainwell.export._onnx_runtime import RECIPES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["text_onnx_inputs"]

#: The texts a text model reads (a column, or the fields of a pair): the module the ONNX predictor uses too.
TEXT_FIELDS = "trainwell.text.fields"


def text_onnx_inputs(
    model_dir: str | os.PathLike[str], texts: str | Sequence[str] | Sequence[Sequence[str]] | pd.DataFrame
) -> dict[str, np.ndarray]:
    """The inputs of the text classifier's ``model.onnx`` in ``model_dir`` for ``texts``, as numpy arrays.

    Args:
        model_dir: A text classifier's model directory (its ``trainwell.json`` is read).
        texts: One text, a list of texts, or a table holding the training text column; for a model of a pair
            of texts, a table holding both columns or a list of ``(first, second)`` tuples. Each text must hold
            a non-space character (a blank one is refused, naming it, as the predictors refuse it).

    Returns:
        A bag-of-n-grams model's ``{"ids": int64 (n_ids,), "offsets": int64 (batch,)}``: every text's token and
        n-gram ids one text after another, and where each text's ids begin (an ``EmbeddingBag``'s layout); a
        sequence model's ``{"tokens": int64 (batch, time)}``, right-padded with the pad id. Feed it as it is:
        ``session.run(None, text_onnx_inputs(model_dir, texts))``; the outputs are the logits ``model.onnx``'s
        metadata describes (its ``output`` entry says how to turn them into probabilities).

    Raises:
        ArtifactError: ``model_dir`` is not a text classifier's directory (a tagger's or a language model's
            graph takes other inputs), or its ``trainwell.json`` is unusable.
        DataError: A text is blank or not a string, or a table lacks the text column.

    Example:
        >>> import onnxruntime as ort  # doctest: +SKIP
        >>> session = ort.InferenceSession("reviews-model/model.onnx")  # doctest: +SKIP
        >>> logits = session.run(None, text_onnx_inputs("reviews-model", ["a joy from start to finish"]))[0]  # doctest: +SKIP
    """
    metadata = read_metadata(Path(model_dir))
    kind = (metadata.get("task") or {}).get("kind") if isinstance(metadata.get("task"), dict) else None
    if metadata.get("application") != "text" or kind in ("tagging", "language_model"):
        what = (
            f"a {kind} model" if kind in ("tagging", "language_model") else repr(metadata.get("application"))
        )
        raise ArtifactError(
            f"model directory '{os.fspath(model_dir)}' holds {what}; text_onnx_inputs makes the inputs of a text "
            "classifier's model.onnx (ids and offsets, or tokens)"
        )
    module_name, class_name = RECIPES["text"]
    recipes = importlib.import_module(module_name)
    recipe = metadata_entry(metadata, "recipe", getattr(recipes, class_name).from_dict)
    checked = importlib.import_module(TEXT_FIELDS).model_texts(texts, recipe.input_columns)
    ids, offsets = recipe.encode(
        checked
    )  # flat ids, and offsets with the end: text i is ids[offsets[i]:offsets[i+1]]
    if recipe.batch_format == "bag":
        return {"ids": ids.astype(np.int64, copy=False), "offsets": offsets[:-1].astype(np.int64, copy=True)}
    rows = np.arange(len(checked))
    return {"tokens": recipes.padded_ids(ids, offsets, rows, recipe.pad_id)}
