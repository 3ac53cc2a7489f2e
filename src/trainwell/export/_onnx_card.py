"""What ``model.onnx`` says of itself: the task, the classes in output order and how to decode the outputs.

An ONNX file taken away from its model directory (into onnxruntime-web, a C# or Java service, a phone) should
still say what its numbers mean. The exporter writes these strings into the graph's ``metadata_props``, which
every runtime reads back (``InferenceSession(...).get_modelmeta().custom_metadata_map`` in onnxruntime):

- ``trainwell_version``, ``application`` (tabular, collab, vision, text, language_model, generic), ``task``;
- ``classes`` (JSON, in output order) for a classifier or tagger, ``targets`` (JSON) for the target columns;
- ``threshold`` (binary) or ``label_thresholds`` (JSON, multilabel) where decisions compare probabilities;
- ``output``: a sentence on turning the output into an answer (softmax, sigmoid, or values as they are),
  beginning with the output's name (``logits``; a regression's ``predictions``);
- ``inputs``: a sentence on what the inputs hold; images add ``image_size`` (``HxW``), ``channels`` and
  ``resize``;
- ``preprocessing`` (table models): JSON, the recipe's encoding of a row step by step
  (:func:`tabular_preprocessing`), enough to make ``x_cat`` and ``x_cont`` with numpy alone.

Vocabularies (a language model's, a tokenizer's) stay in ``trainwell.json``: they are large, and the inputs of
those graphs are codes only trainwell's tokenizer can make. A text classifier's ``inputs`` entry names the
function that makes them from raw texts and the model directory
(:func:`trainwell.export.text_inputs.text_onnx_inputs`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from trainwell.data.task import Task

__all__ = ["describe", "stamp", "tabular_preprocessing"]

#: Classes kept in the card up to this many (a tagger's or classifier's); a vocabulary is never written.
MAX_CARD_CLASSES = 10_000

_INPUTS = {
    "tabular": (
        "x_cat: int64 (batch, categorical columns) codes and x_cont: float32 (batch, numeric columns), the rows "
        "encoded as the 'preprocessing' entry of this metadata says step by step (trainwell.export.OnnxPredictor "
        "does it); an input the graph does not declare is not fed"
    ),
    "collab": (
        "x_cat: int64 (batch, 2) user and item codes: an id's place in trainwell.json's recipe users / items "
        "lists plus 1, and 0 for an id never seen in training (scored as the average user or item)"
    ),
    "text": (
        "the n-gram bag's ids: int64 (n_ids), every text's token and n-gram ids one text after another, and "
        "offsets: int64 (batch), where each text's ids begin (an EmbeddingBag's layout). The ids come from "
        "trainwell's own word rules or subword tokenizer, vocabulary and salted n-gram hashing, which no spec "
        "reproduces: make them with trainwell.export.text_inputs.text_onnx_inputs(model_dir, texts) (numpy "
        "arrays named as these inputs, from trainwell.json; no PyTorch model), as trainwell.export.OnnxPredictor "
        "does"
    ),
    "text_tokens": (
        "tokens: int64 (batch, time), each text's token ids right-padded with the recipe's pad id. The ids come "
        "from trainwell's own word rules or subword tokenizer and vocabulary: make them with "
        "trainwell.export.text_inputs.text_onnx_inputs(model_dir, texts) (numpy arrays named as these inputs, "
        "from trainwell.json; no PyTorch model), as trainwell.export.OnnxPredictor does"
    ),
    "language_model": (
        "tokens: int64 (batch, time) ids from the vocabulary in trainwell.json, and each layer's state "
        "(zeros to start a text)"
    ),
    "generic": "the tensors the model was trained on, batch first",
}


def describe(predictor: Any, application: str) -> dict[str, str]:
    """The ``metadata_props`` of a model's ONNX file (all values strings, as ONNX wants them)."""
    from trainwell import __version__  # the package root imports the exporter lazily, never at import time

    task: Task | None = getattr(predictor, "task", None)
    stored = (getattr(predictor, "metadata", None) or {}).get("task")
    if task is None and stored:  # a language model's predictor keeps its task in the metadata only
        task = Task.from_dict(stored)
    card = {"trainwell_version": __version__, "application": application}
    if task is not None:
        card["task"] = task.kind
        if task.target_names:
            card["targets"] = json.dumps([str(name) for name in task.target_names])
        if task.kind != "language_model" and task.classes and len(task.classes) <= MAX_CARD_CLASSES:
            card["classes"] = json.dumps([_plain(label) for label in task.classes])
        if task.kind == "binary":
            card["threshold"] = repr(float(task.threshold))
        elif task.kind == "multilabel":
            thresholds = task.label_thresholds or (task.threshold,) * len(task.classes)
            card["label_thresholds"] = json.dumps([float(value) for value in thresholds])
        card["output"] = _output(task)
    card["inputs"] = _inputs(predictor, application)
    if task is not None and task.kind == "tagging":
        card.update(_tag_rules(predictor))
    if application == "tabular":
        card["preprocessing"] = json.dumps(tabular_preprocessing(predictor.recipe), ensure_ascii=False)
    if application == "vision":
        recipe = predictor.recipe
        card["image_size"] = f"{recipe.size[0]}x{recipe.size[1]}"
        card["channels"] = str(recipe.channels)
        card["resize"] = recipe.resize
    return card


#: The steps of a table's encoding, as :meth:`trainwell.tabular.recipe.TabularRecipe.transform_arrays` takes them.
TABULAR_STEPS = [
    "A row is a JSON object (or a CSV row) of its input columns; a column absent from it is missing in that row. "
    "Missing means null (JSON), NaN or an absent column; for a numeric column also blank text and the column's "
    "missing_words. An empty or blank string in a categorical column is missing too, as trainwell's server and a "
    "CSV's empty cell read it: make it null before encoding (the encoding itself would look it up as a key).",
    "x_cat, int64 (batch, len(x_cat columns)), its columns in the order listed: first each categorical column, "
    "then each missing indicator.",
    "A categorical column's value is turned into its key (the text form): true/false -> 'True'/'False'; an "
    "integer -> its decimal digits; a float with no fraction -> its integer digits (3.0 -> '3'); another float -> "
    "Python's repr (0.5 -> '0.5'); text as it is ('3.0' stays '3.0'). The code is the key's position in "
    "vocabulary plus 1; missing -> 0; a key not in vocabulary (never seen, or too rare in training) -> unseen_code "
    "(len(vocabulary) + 1 where the column grouped rare values, else 0, as missing).",
    "A missing indicator '<column>_na' is 1 where the numeric column has a value and 2 where it is missing.",
    "x_cont, float32 (batch, len(x_cont columns)), its columns in the order listed: each numeric column's value "
    "as a float64 (text holding a number is read as that number; missing -> fill, the training median), then (value - mean) / std computed in float64 and "
    "rounded to float32. A value whose result is beyond float32's range is refused.",
]


def tabular_preprocessing(recipe: Any) -> dict[str, Any]:
    """A table recipe's encoding as data and plain steps: what a program without trainwell needs to make the
    graph's ``x_cat`` and ``x_cont`` from raw rows (``complete`` is false, naming what it leaves to trainwell,
    where the recipe reads dates or words, whose parsing is trainwell's own)."""
    categorical = [*recipe.cat_names, *recipe.date_cat_names]
    numeric = recipe.cont_input_names
    left = [
        *(f"date column '{name}' (split into {', '.join(recipe.date_parts[name])})" for name in recipe.dates),
        *(f"text column '{name}' (read as word flags)" for name in recipe.words),
    ]
    return {
        "format": "trainwell tabular preprocessing 1",
        "complete": not left,
        **({"not_covered": left} if left else {}),
        "inputs": [
            {"name": "x_cat", "dtype": "int64", "columns": recipe.cat_input_names},
            {"name": "x_cont", "dtype": "float32", "columns": numeric},
        ],
        "steps": TABULAR_STEPS,
        "categorical": {
            name: {"vocabulary": list(recipe.categories[name]), "unseen_code": recipe.unseen_code(name)}
            for name in categorical
        },
        "missing_indicators": {
            f"{name}_na": {"of": name, "present": 1, "missing": 2} for name in recipe.na_indicator_names
        },
        "numeric": {
            name: {
                "fill": float(recipe.fill_values[name]),
                "mean": float(recipe.means[name]),
                "std": float(recipe.stds[name]),
                **(
                    {"missing_words": list(recipe.missing_words[name])}
                    if name in recipe.missing_words
                    else {}
                ),
            }
            for name in numeric
        },
    }


def stamp(path: Path, card: dict[str, str]) -> None:
    """Write ``card`` into the ONNX file's ``metadata_props`` (replacing keys of the same name)."""
    import onnx

    model = onnx.load(str(path))
    kept = [prop for prop in model.metadata_props if prop.key not in card]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in card.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.save(model, str(path))


def _output(task: Task) -> str:
    kind = task.kind
    if kind == "binary":
        positive = _plain(task.classes[1])
        return (
            f"logits (batch, 1): sigmoid gives the probability of {positive!r} (the second of classes); "
            "answer it when that probability is at least threshold"
        )
    if kind == "multiclass":
        return "logits (batch, classes): softmax gives each class's probability, in the order of classes"
    if kind == "multilabel":
        return (
            "logits (batch, labels): sigmoid gives each label's probability, in the order of classes; a label "
            "applies when its probability is at least its entry in label_thresholds"
        )
    if kind == "regression":
        count = max(1, len(task.target_names))
        which = "the value" if count == 1 else "one value per entry of targets"
        return f"predictions (batch, {count}): {which} in the target's own units, as it is (no activation)"
    if kind == "tagging":
        return (
            "logits (batch, time, tags): each word's tag scores, in the order of classes; trainwell decodes the "
            "best tag sequence from them (over the CRF's transitions in model.safetensors, where the tagger has one)"
        )
    return (
        "log_probs (batch, time, vocabulary): the log-probability of every next token after each position; "
        "features: the last layer's output; h0_out, c0_out...: the state to pass as h0, c0... with the next window"
    )


def _tag_rules(predictor: Any) -> dict[str, str]:
    """A tagger's decoding rules, so that a runtime finds the best tag sequence as trainwell does:
    ``transitions`` (tag -> next tag), ``start`` and ``end`` scores (JSON, the scheme's forbidden moves as
    -10000), and ``decode`` saying how they combine with the logits."""
    state = predictor.model.state_dict()
    prefix = "crf." if "crf.transitions" in state else ""
    if f"{prefix}follow_penalty" not in state:
        return {}
    follow, start = state[f"{prefix}follow_penalty"].clone(), state[f"{prefix}start_penalty"].clone()
    end = 0.0 * start
    emissions = "the logits' log-softmax (a tagger without a CRF)"
    if prefix:
        follow, start, end = follow + state["crf.transitions"], start + state["crf.start"], state["crf.end"]
        emissions = "the logits as they are (a CRF tagger)"

    def listed(tensor: Any) -> str:  # a matrix or a vector, to 6 decimals
        return json.dumps(torch.round(tensor.double(), decimals=6).tolist())

    return {
        "transitions": listed(follow),
        "start": listed(start),
        "end": listed(end),
        "decode": (
            "Viterbi over each sentence: the best tags maximise start[first] + the sum of each word's emission "
            "score for its tag + transitions[tag, next tag] + end[last], where the emission scores are "
            f"{emissions}; tags in the order of classes"
        ),
    }


def _inputs(predictor: Any, application: str) -> str:
    if application == "vision":
        recipe = predictor.recipe
        colour = "RGB" if recipe.channels == 3 else "grayscale"
        return (
            f"pixels: float32 (batch, {recipe.channels}, {recipe.size[0]}, {recipe.size[1]}), {colour} on the "
            f"0..1 scale (uint8 / 255), the image fitted to {recipe.size[0]}x{recipe.size[1]} by "
            f"'{recipe.resize}' with Pillow's bilinear resampling, after its EXIF orientation; the graph normalises "
            "them itself"
        )
    task = getattr(predictor, "task", None)
    if application == "text" and task is not None and task.kind == "tagging":
        return (
            "words, casing: int64 (batch, time) and chars: int64 (batch, time, characters) of sentences of one "
            "length, coded as the recipe in trainwell.json codes them"
        )
    if application == "text" and getattr(getattr(predictor, "recipe", None), "batch_format", "bag") != "bag":
        return _INPUTS["text_tokens"]
    return _INPUTS.get(application, _INPUTS["generic"])


def _plain(label: Any) -> Any:
    """A class label as JSON holds it (numpy scalars become Python numbers; anything else its text)."""
    if isinstance(label, (str, int, float, bool)) or label is None:
        return label
    item = getattr(label, "item", None)
    if callable(item):
        return item()
    return str(label)
