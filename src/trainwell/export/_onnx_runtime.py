"""onnxruntime glue shared by the ONNX export check and the ONNX predictor: import, session, run, activate.

The graph's inputs depend on the application: tabular graphs take the encoded rows ``x_cat`` (int64) and
``x_cont`` (float32); vision graphs take ``pixels``, float32 ``(batch, C, H, W)`` on the 0..1 scale (the
model normalises them itself). A classifier's or tagger's graph answers ``logits`` (scores an activation turns into
probabilities); a regression's answers ``predictions``, the values themselves (:func:`output_name`). Files a
regression was exported to before that answer ``logits``: they are read all the same (:func:`readable_outputs`).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

from trainwell.core.arrays import as_array
from trainwell.core.errors import ArtifactError, UserError
from trainwell.data.task import Task

ONNX_FILE = "model.onnx"
INPUT_NAMES = ("x_cat", "x_cont")
PIXELS_NAME = "pixels"
#: The graph inputs each application's export writes (tabular may leave out one the model never reads).
TEXT_INPUTS = ("ids", "offsets")  # bag-of-n-grams models
TOKENS_NAME = "tokens"  # sequence models: right-padded (batch, time) ids
APPLICATION_INPUTS = {
    "tabular": INPUT_NAMES,
    "collab": INPUT_NAMES,  # (user, item) codes as x_cat; x_cont is empty and left out of the graph
    "vision": (PIXELS_NAME,),
    "text": (*TEXT_INPUTS, TOKENS_NAME),
}
#: The output of a classifier's (or tagger's) graph: raw scores, before the sigmoid or softmax.
OUTPUT_NAME = "logits"
#: The output of a regression's graph: the predicted values, in the target's units (no activation).
VALUES_NAME = "predictions"
INSTALL_HINT = "pip install 'trainwell[onnx]' (or: pip install onnx onnxruntime)"
# Applications whose recipe the ONNX predictor can rebuild; imported by name, like export.predictor does.
RECIPES = {
    "tabular": ("trainwell.tabular.recipe", "TabularRecipe"),
    "collab": ("trainwell.collab.recipe", "CollabRecipe"),
    "vision": ("trainwell.vision.recipe", "ImageRecipe"),
    "text": ("trainwell.text.recipe", "TextRecipe"),
}


def output_name(task: Task | None) -> str:
    """The name of the graph's output for ``task``: ``predictions`` for a regression (values, not logits),
    ``logits`` for every other task."""
    return VALUES_NAME if task is not None and task.kind == "regression" else OUTPUT_NAME


def readable_outputs(task: Task | None) -> tuple[str, ...]:
    """The output names a graph of ``task`` may have: :func:`output_name`, and for a regression also ``logits``,
    the name its files were exported with before (they stay readable)."""
    name = output_name(task)
    return (name,) if name == OUTPUT_NAME else (name, OUTPUT_NAME)


def run_graph(session: Any, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """The one output of a classifier's, regression's, vision or text graph, whatever its name (``logits`` or
    ``predictions``: :func:`output_name`), as an array."""
    return np.asarray(session.run(None, feeds)[0])


class OnnxDependencyError(UserError, ModuleNotFoundError):
    """``onnx`` or ``onnxruntime`` is not installed; the message says how to install it.

    A :class:`~trainwell.core.errors.UserError` (the command line prints one line) that is also caught by
    ``except ModuleNotFoundError`` / ``except ImportError``.
    """


def import_onnxruntime() -> Any:
    """onnxruntime, imported on first use; ``onnx`` is checked too (the exporter needs it), but not imported:
    predicting never reads it, and importing it (its ``ml_dtypes``) took about 2 s of an ONNX server's start."""
    try:
        if not _installed("onnx"):
            raise ModuleNotFoundError("No module named 'onnx'", name="onnx")
        import onnxruntime
    except ModuleNotFoundError as error:
        missing = OnnxDependencyError(
            f"ONNX export and ONNX predictions need the package '{error.name}', which is not installed: "
            f"{INSTALL_HINT}"
        )
        missing.name = error.name
        raise missing from error
    return onnxruntime


def _installed(name: str) -> bool:
    """Whether the top-level package ``name`` can be imported, found without importing it (one set to ``None``
    in ``sys.modules``, as a test hides a package, is not)."""
    if name in sys.modules:
        return sys.modules[name] is not None
    return importlib.util.find_spec(name) is not None


def open_session(ort: Any, path: Path, *, threads: int | None) -> Any:
    options = ort.SessionOptions()
    # Errors only: onnxruntime's graph-optimiser notes (ANSI-coloured, about names inside a subgraph) reached
    # every export, predict and serve of a text model as if something were wrong. The graphs exported now draw
    # none (the bag of n-grams is no longer a loop: export._traceable); a model.onnx exported before still does.
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own types (InvalidProtobuf, Fail, ...)
        raise ArtifactError(
            f"{path} cannot be loaded by onnxruntime ({str(error).splitlines()[0]}); the file is damaged or "
            f"not from trainwell: re-export it with `trainwell export {path.parent} --onnx`"
        ) from error


def run_onnx(session: Any, x_cat: Any, x_cont: Any) -> np.ndarray:
    """Raw outputs of the ONNX graph for encoded rows (arrays, or tensors); inputs the graph does not declare
    (never read) are not fed."""
    feeds = {"x_cat": as_array(x_cat), "x_cont": as_array(x_cont)}
    declared = [item.name for item in session.get_inputs()]
    return run_graph(session, {name: feeds[name] for name in declared})


def unit_pixels(pixels: Any) -> np.ndarray:
    """``uint8`` pixels ``(N, C, H, W)`` -> the vision graph's input: float32 on the 0..1 scale.

    Divides exactly as :meth:`ImageClassifier.normalise` does (``float32 / 255``), so both engines see the
    same numbers.
    """
    array = as_array(pixels)
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array.astype(np.float32) / np.float32(255.0))
    return np.ascontiguousarray(array, dtype=np.float32)


def run_onnx_pixels(session: Any, pixels: Any) -> np.ndarray:
    """Raw outputs of a vision graph for ``uint8`` (or 0..1 float) pixels ``(N, C, H, W)``."""
    return run_graph(session, {PIXELS_NAME: unit_pixels(pixels)})


def run_onnx_text(session: Any, ids: Any, offsets: Any) -> np.ndarray:
    """Raw outputs of a bag-of-n-grams text graph for flat ids and each text's start offset (arrays or
    tensors)."""
    feeds = {
        "ids": as_array(ids).astype(np.int64, copy=False),
        "offsets": as_array(offsets).astype(np.int64, copy=False),
    }
    return run_graph(session, feeds)


def run_onnx_tokens(session: Any, tokens: Any) -> np.ndarray:
    """Raw outputs of a sequence text graph for right-padded ids ``(batch, time)`` (an array or a tensor)."""
    return run_graph(session, {TOKENS_NAME: as_array(tokens).astype(np.int64, copy=False)})


def activate(task: Task, output: np.ndarray) -> np.ndarray:
    """:meth:`Task.activate` in numpy: raw outputs ``(N, k)`` -> probabilities or values, float32."""
    output = output.astype(np.float32, copy=False)
    if task.kind == "binary":
        return _sigmoid(output.reshape(-1))
    if task.kind == "multilabel":
        return _sigmoid(output)
    if task.kind in ("multiclass", "tagging"):  # a tagger's per-word tag scores: softmax over the tags
        exponentials = np.exp(output - output.max(axis=-1, keepdims=True))
        probabilities: np.ndarray = exponentials / exponentials.sum(axis=-1, keepdims=True)
        return probabilities
    return output.squeeze(-1) if output.ndim == 2 and output.shape[1] == 1 else output


def _sigmoid(values: np.ndarray) -> np.ndarray:
    # The tanh form never overflows, unlike 1 / (1 + exp(-x)) for large negative x.
    return (0.5 * (1.0 + np.tanh(0.5 * values))).astype(np.float32)
