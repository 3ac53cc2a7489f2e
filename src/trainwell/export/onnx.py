"""ONNX export of a model directory, checked against PyTorch with onnxruntime before it is kept.

:func:`export_onnx` writes ``model.onnx`` beside ``model.safetensors`` and records it in ``trainwell.json``
under ``"onnx"``. The export is only kept when onnxruntime reproduces PyTorch's *activated* outputs
(probabilities, or values for regression) on real rows: a wrong export must never ship silently.

Tabular models: which rows are checked: the ``inputs`` you pass (use validation rows: ``trainwell export --data valid.csv``),
else rows synthesised from the recipe, since an artifact stores no data. Synthesised rows draw each category
from the column's training vocabulary, plus unseen and missing values, and each number from a normal
distribution with the column's training mean and standard deviation, plus missing values and outliers at
±20 standard deviations; they exercise every input path but not the real joint distribution of the columns.

:class:`OnnxPredictor` predicts from raw rows with onnxruntime (the model) and the recipe (preprocessing),
giving the same table as the PyTorch predictor; it needs only ``model.onnx`` and ``trainwell.json``.
Both need the optional packages ``onnx`` and ``onnxruntime`` (``pip install 'trainwell[onnx]'``).

Every graph answers one output: ``logits`` for a classifier (its scores before the sigmoid or softmax),
``predictions`` for a regression (the values themselves, in the target's units): see
:func:`~trainwell.export._onnx_runtime.output_name`. A regression's ``model.onnx`` exported before it was so named
answers ``logits``, and is still read.

Vision models: the graph takes ``pixels``, float32 ``(batch, C, H, W)`` on the 0..1 scale at the recipe's size
(the model normalises them itself), and answers ``logits`` (a regression's, ``predictions``). The check runs on
the images you pass (paths, encoded bytes, Pillow images or arrays, fitted to the recipe's size as the predictor does), else on
:data:`SYNTHETIC_IMAGES` images synthesised at the recipe's size: one all black, one all white, the rest
uniformly random ``uint8`` pixels. Random pixels exercise every weight of the network but not the
statistics of real photographs: pass validation images (``trainwell export --data FOLDER``) when you have them.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.core.artifact import METADATA_FILE, read_metadata
from trainwell.core.atomic import make_readable, write_text_atomic
from trainwell.core.errors import ArtifactError, ConfigError, DataError, add_note
from trainwell.data.tables import rows_frame
from trainwell.data.task import Task
from trainwell.export._checks import refuse_not_finite_weights
from trainwell.export._onnx_card import describe, stamp
from trainwell.export._onnx_runtime import (
    INPUT_NAMES,
    ONNX_FILE,
    OUTPUT_NAME,
    PIXELS_NAME,
    RECIPES,
    TEXT_INPUTS,
    TOKENS_NAME,
    OnnxDependencyError,
    activate,
    import_onnxruntime,
    open_session,
    output_name,
    run_graph,
    run_onnx,
    run_onnx_pixels,
    run_onnx_text,
    run_onnx_tokens,
    unit_pixels,
)
from trainwell.export._traceable import traceable_layers
from trainwell.export.onnx_predictor import OnnxPredictor, generic_input_names
from trainwell.export.predictor import load, refuse_generic

__all__ = [
    "ONNX_FILE",
    "OnnxDependencyError",
    "OnnxPredictor",
    "OnnxReport",
    "activate",
    "check_onnx_exportable",
    "export_onnx",
]

# The TorchScript-based exporter (used because the dynamo one needs onnxscript) supports opsets 9 to 20.
MIN_OPSET, MAX_OPSET = 9, 20
#: The opset written when none is asked for (``trainwell export``'s default too).
DEFAULT_OPSET = 17
SYNTHETIC_ROWS = 512
CHECK_BATCH_ROWS = 8192
#: Items timed through both runtimes at export: as many as a server merges into one call (its max_batch).
SPEED_ITEMS = 64
#: Seconds the timing may take before it stops at the rounds done (a large image model); per batch size for the
#: end-to-end timing.
SPEED_SECONDS = 3.0
#: Timed rounds after which a batch size's timing stops when every round so far found onnxruntime at most
#: :data:`CLEAR_RATIO` times PyTorch's time (a table model's onnxruntime often takes a tenth of PyTorch's): more
#: rounds would not move the medians across the 1.25x a server's ``--backend auto`` decides by. Rounds finding
#: PyTorch faster never stop early: a verdict against onnxruntime rests on the median of every round (tour71: two
#: rounds on a busy machine timed one row 3x slower on onnxruntime than 64 rows, and flipped the choice).
CLEAR_ROUNDS = 3
CLEAR_RATIO = 0.5
#: Rows per request timed end to end for a table model: one (a client at a time), a server's merged batch, and
#: the largest request a server takes by default.
SPEED_ROWS = (1, 64, 1000)
#: Images per request timed end to end for an image model.
SPEED_IMAGES = (1, 64)
#: Texts synthesised for the check of a text export, and texts per checked batch.
SYNTHETIC_TEXTS, CHECK_BATCH_TEXTS = 256, 64
#: Images synthesised for the check of a vision export, and images per checked batch.
SYNTHETIC_IMAGES = 64
CHECK_BATCH_IMAGES = 32
#: Where a tagger's export check is built (text.tagging sits above this package: imported by name).
TAGGING_CHECK = ("trainwell.text.tagging.onnx", "tagging_check")
#: Where a language model's export check is built (by name, as the tagger's).
LANGUAGE_MODEL_CHECK = ("trainwell.text.lm_onnx", "language_model_check")


@dataclass(frozen=True)
class OnnxReport:
    """What :func:`export_onnx` wrote and how closely onnxruntime matched PyTorch.

    Attributes:
        path: The written ``model.onnx``.
        max_abs_diff: Largest absolute difference between the activated outputs of onnxruntime and PyTorch.
        max_scaled_diff: Largest ``|onnx - torch| / max(1, |torch|)``: the number held to the tolerance
            (equal to ``max_abs_diff`` for probabilities; relative for regression values above 1).
        n_rows_checked: Rows (or images, for a vision model) run through both.
        synthetic: Whether the rows or images were synthesised from the recipe (no ``inputs`` given).
        input_names: The ONNX graph's inputs (an input the model never reads is left out by the exporter).
        output_names: The ONNX graph's outputs.
        opset: The ONNX opset version.
        seconds: Wall time of the export and the check.
        application: ``"tabular"``, ``"vision"``, ``"text"`` or ``"language_model"``: what
            :attr:`n_rows_checked` counts (rows, images, texts or tokens).
        speed: Milliseconds through onnxruntime and through PyTorch (``onnxruntime_ms``, ``torch_ms``; medians).
            Table and image models are timed end to end, as the server runs each backend (``"scope":
            "end_to_end"``: the raw rows or pixels in, the recipe's encoding, the model and the activation), per
            request size in ``batches`` (1, 64 and 1000 rows; 1 and 64 images), the 64's figures also at the top;
            other models time the graph alone on one batch of the check (``items`` of them, as many as a server
            merges). ``trainwell serve --backend auto`` reads them (:mod:`trainwell.serve.backends`). ``None``
            for a language model (its graph is one step of a stream).
    """

    path: Path
    max_abs_diff: float
    max_scaled_diff: float
    n_rows_checked: int
    synthetic: bool
    input_names: list[str]
    output_names: list[str]
    opset: int
    seconds: float
    application: str = "tabular"
    speed: dict[str, float] | None = None

    @property
    def unit(self) -> str:
        """What was checked: ``"rows"``, ``"images"``, ``"texts"`` or ``"tokens"`` (a language model)."""
        return {"vision": "images", "text": "texts", "language_model": "tokens"}.get(self.application, "rows")


@dataclass(frozen=True)
class _Check:
    """What one application's export is traced with and checked on.

    Attributes:
        inputs: The check inputs, batch first, as the PyTorch model takes them (the first two trace the graph).
        input_names: The graph's input names, one per tensor of ``inputs``.
        run: ``run(session, *tensors)``: the graph's raw outputs for a slice of ``inputs``.
        batch: Items per checked batch.
        n_items: Items checked.
    """

    inputs: tuple[torch.Tensor, ...]
    input_names: tuple[str, ...]
    run: Callable[..., np.ndarray]
    batch: int
    n_items: int
    #: For ragged inputs (texts): ``select(start, stop)`` builds the model inputs of items ``start:stop``.
    select: Callable[[int, int], tuple[torch.Tensor, ...]] | None = None
    #: Dynamic axes per input (default: the first axis of every input, named "batch"); may name the output's.
    axes: dict[str, dict[int, str]] | None = None
    #: The module exported and compared (default: the predictor's model), e.g. a tagger's scoring part.
    model: torch.nn.Module | None = None
    #: Items reported as checked, when ``n_items`` counts batches (a tagger checks groups of sentences).
    n_reported: int | None = None
    #: The graph's outputs (default: the task's one, ``logits`` or ``predictions``: :func:`output_name`), and
    #: their dynamic axes in ``axes``.
    output_names: tuple[str, ...] | None = None
    #: ``compare(model, session) -> (abs_diff, scaled_diff)`` for a graph that is not checked batch by batch
    #: on activated outputs (a language model carries its state from window to window).
    compare: Callable[[torch.nn.Module, Any], tuple[float, float]] | None = None
    #: ``items(n)``: ``n`` raw inputs as the server hands them to a predictor's ``predict_proba`` (a table's rows
    #: as JSON objects, images as ``uint8`` pixels), for the end-to-end timing; ``None``: the graph alone is timed.
    items: Callable[[int], Any] | None = None
    #: The batch sizes the end-to-end timing measures.
    sizes: tuple[int, ...] = ()

    def part(self, start: int, stop: int) -> tuple[torch.Tensor, ...]:
        if self.select is not None:
            return self.select(start, stop)
        return tuple(tensor[start:stop] for tensor in self.inputs)


def check_onnx_exportable(metadata: dict[str, Any], directory: str | Path) -> None:
    """Refuse, from ``trainwell.json`` alone (before any data is read), a model the command line cannot export:
    one on the user's own architecture, whose inputs are tensors only the user's code can make (a one-line
    :class:`ConfigError` pointing to :func:`export_onnx` with ``inputs``).
    """
    refuse_generic(
        metadata,
        directory,
        "ONNX export from the command line",
        instead="export it from Python with tensors shaped as in training: import the module that registers "
        f"it, then trainwell.export.export_onnx('{directory}', inputs=x_valid) (a tuple for several inputs)",
    )


def export_onnx(
    model_dir: str | Path,
    *,
    opset: int = DEFAULT_OPSET,
    inputs: pd.DataFrame | Any | None = None,
    tolerance: float = 1e-4,
    model: Any = None,
    dynamic_axes: dict[str, dict[int, str] | Sequence[int]] | None = None,
) -> OnnxReport:
    """Export a model directory to ``model.onnx`` and check it against PyTorch with onnxruntime.

    A tabular graph takes ``x_cat`` (int64, ``(batch, n_cat)``) and ``x_cont`` (float32, ``(batch, n_cont)``),
    the recipe's encoded rows; a vision graph takes ``pixels`` (float32, ``(batch, C, H, W)``, 0..1). Both
    return the raw outputs ``(batch, n_outputs)``, named ``logits`` for a classifier and ``predictions`` for a
    regression (values, not logits); the batch axis is dynamic. The file's
    ``metadata_props`` name the task, the classes in output order, the decision thresholds and how to read the
    outputs (:mod:`trainwell.export._onnx_card`), so it can be used without ``trainwell.json``. The file is written atomically and only once the check passes: every activated output must
    satisfy ``|onnx - torch| <= tolerance * max(1, |torch|)``. ``trainwell.json`` then gets an ``"onnx"`` entry
    (file, opset, inputs, outputs, differences, rows checked), everything else in it kept as it was.

    Args:
        model_dir: A model directory written by ``trainwell fit``.
        opset: ONNX opset version, 9 to 20.
        inputs: What to check on: raw rows for a tabular model (e.g. the validation rows); for a vision
            model a list of images (paths, encoded bytes, Pillow images, arrays) or a ``uint8`` array
            ``(N, C, H, W)`` at the recipe's size. ``None`` synthesises them (see the module docstring). A
            model on your own architecture (application ``"generic"``) needs them: tensors or arrays shaped as
            in training, batch first (a tuple of them for a model called as ``model(a, b)``); its graph takes
            ``input`` (or ``input_0``, ``input_1``...) and the batch axis is dynamic (the others are fixed at
            their sizes in ``inputs`` unless ``dynamic_axes`` names them).
        tolerance: Largest accepted (scaled) difference; ``1e-4`` suits float32 models.
        model: For a model on your own ``nn.Module`` that this process has not registered: its class, as
            ``trainwell.load(model_dir, model=...)`` takes it (the graph, once written, needs no class).
        dynamic_axes: A model on your own architecture only: more axes of its inputs left free in the graph, as
            ``torch.onnx.export`` takes them, by input name: ``{"input": {1: "length"}}`` (or ``{"input": [1]}``)
            for token ids of any length. Axis 0 is always the batch. The check runs on ``inputs``' sizes; without
            it, :class:`OnnxPredictor` refuses other sizes in one line naming this option.

    Returns:
        The report, with the largest differences found.

    Raises:
        ConfigError: ``dynamic_axes`` is given for a model not of your own architecture, names an input the
            graph lacks, or an axis the inputs lack (or axis 0); ``opset`` or ``tolerance`` out of range, ``opset`` below what the model needs (a model
            declares it as ``min_opset``: boosted trees, an MLP embedding numeric columns and the ULMFiT classifier
            need 12, the n-gram bag 13, or 11 with ``norm="sum"``), or the model is on your own architecture
            and no ``inputs`` were given.
        DataError: ``inputs`` is empty, lacks input columns, or holds an image that cannot be decoded.
        ArtifactError: The directory is not a model directory, its application cannot be exported, or
            onnxruntime disagrees with PyTorch beyond ``tolerance`` (nothing is written then).
        OnnxDependencyError: ``onnx`` or ``onnxruntime`` is not installed (a ``ModuleNotFoundError`` too).

    Example:
        >>> report = export_onnx("model/", inputs=valid_rows)              # doctest: +SKIP
        >>> report.max_abs_diff                                             # doctest: +SKIP
        3.5e-08
    """
    started = time.perf_counter()
    _check_settings(opset, tolerance)
    directory = Path(model_dir)
    if inputs is None:
        check_onnx_exportable(read_metadata(directory), directory)
    ort = import_onnxruntime()
    predictor = load(directory, model=model)
    generic = getattr(predictor, "application", None) == "generic"
    if not generic and getattr(predictor, "application", None) not in RECIPES:
        raise ArtifactError(
            f"model directory '{directory}' is a {getattr(predictor, 'application', '?')} model; ONNX export "
            f"supports: {', '.join(RECIPES)}"
        )
    refusal = getattr(predictor.model, "onnx_unsupported", None)
    if refusal:
        raise ArtifactError(f"model directory '{directory}' cannot be exported to ONNX: {refusal}")
    _check_model_opset(predictor, directory, opset)
    refuse_not_finite_weights(predictor.model, directory)
    checks = {"vision": _vision_check, "text": _text_check, "generic": _generic_check}
    kind = ((getattr(predictor, "metadata", None) or {}).get("task") or {}).get("kind")
    if kind in ("tagging", "language_model"):
        # Imported by name: this package sits below the applications.
        module, name = TAGGING_CHECK if kind == "tagging" else LANGUAGE_MODEL_CHECK
        checks["text"] = getattr(importlib.import_module(module), name)
    if dynamic_axes is not None and not generic:
        raise ConfigError(
            f"dynamic_axes is for models on your own architecture; model directory '{directory}' is a "
            f"{predictor.application} model, whose graph's axes trainwell sets: leave dynamic_axes out"
        )
    check = checks.get(predictor.application, _tabular_check)(predictor, inputs)
    if generic:
        check = _with_dynamic_axes(check, dynamic_axes)
    exported = check.model if check.model is not None else predictor.model
    traceable = getattr(exported, "onnx_module", None)
    if callable(traceable):  # a model whose traceable form differs (ease: a dense history, not a lookup)
        exported = traceable()
    application = "language_model" if kind == "language_model" else predictor.application
    unit = {"vision": "images", "text": "texts", "language_model": "tokens"}.get(application, "rows")
    handle, temp_name = tempfile.mkstemp(prefix=f".{ONNX_FILE}.", suffix=".tmp", dir=directory)
    os.close(handle)
    temp_path = Path(temp_name)
    try:
        example = check.part(0, 2)
        outputs = check.output_names or (output_name(_task_of(predictor)),)
        with traceable_layers(exported):  # a bag of ragged texts as a running sum, not a loop over the texts
            _torch_export(exported, example, check.input_names, temp_path, opset, check.axes, outputs)
        stamp(temp_path, describe(predictor, application))  # the file says what its outputs mean
        session = open_session(ort, temp_path, threads=torch.get_num_threads())
        if check.compare is not None:
            abs_diff, scaled_diff = check.compare(exported, session)
        else:
            abs_diff, scaled_diff = _compare(exported, predictor.task, session, check)
            shorter = _shorter_check(exported, check) if generic and dynamic_axes else None
            if (
                shorter is not None
            ):  # the freed axes one shorter: a size traced as a constant would differ there
                _check_shorter(exported, predictor.task, session, shorter, directory, tolerance)
        if not scaled_diff <= tolerance:
            raise ArtifactError(
                f"ONNX export of '{directory}' refused: onnxruntime differs from PyTorch by up to {abs_diff:.3g} "
                f"(scaled {scaled_diff:.3g}) on {check.n_reported or check.n_items} {unit}, above the tolerance "
                f"{tolerance:g}; nothing was written. {_refused_fix(scaled_diff)}"
            )
        end_to_end = check.compare is None and check.items is not None
        speed = _speed(exported, session, check) if check.compare is None and not end_to_end else None
        _fsync_file(temp_path)
        make_readable(temp_path)
        os.replace(temp_path, directory / ONNX_FILE)
    finally:
        temp_path.unlink(missing_ok=True)
    if end_to_end and check.items is not None:
        # As the server runs each backend: the same inputs through both predictors, side by side.
        onnx_predictor = OnnxPredictor(directory, threads=torch.get_num_threads())
        speed = _end_to_end_speed(predictor, onnx_predictor, check.items, check.sizes)
    report = OnnxReport(
        path=directory / ONNX_FILE,
        max_abs_diff=abs_diff,
        max_scaled_diff=scaled_diff,
        n_rows_checked=check.n_reported or check.n_items,
        synthetic=inputs is None,
        input_names=[item.name for item in session.get_inputs()],
        output_names=[item.name for item in session.get_outputs()],
        opset=opset,
        seconds=time.perf_counter() - started,
        application=application,
        speed=speed,
    )
    entry = _metadata_entry(report, tolerance, str(ort.__version__))
    if generic and dynamic_axes:
        entry["dynamic_axes"] = _dynamic_entry(check)
    # What the check ran against, so that a server can tell an export from other weights (model.safetensors
    # replaced by hand beside it) and not serve the old graph as the new model.
    from trainwell.core.model_dir import WEIGHTS_FILE, file_digest

    entry["sha256"] = {name: file_digest(directory / name) for name in (WEIGHTS_FILE, ONNX_FILE)}
    _add_metadata_entry(directory, "onnx", entry)
    return report


def _refused_fix(scaled_diff: float) -> str:
    """What to do about a difference above the tolerance: a float32 model's rounding (up to 1e-3; ``--tolerance
    0`` asks for bit-equal outputs, which two runtimes rarely give) is taken by the ``--tolerance`` named, else
    another opset, or a bug report."""
    other = "try another --opset, or report the model's architecture as a bug"
    if not 0 < scaled_diff <= 1e-3:
        return other[0].upper() + other[1:]
    wider = 10.0 ** math.ceil(math.log10(scaled_diff))
    wider = wider if wider >= scaled_diff else wider * 10
    return (
        f"A difference of {scaled_diff:.3g} is float32 rounding between two runtimes: pass --tolerance {wider:g} "
        f"(default 1e-4) to accept it; else {other}"
    )


def _metadata_entry(report: OnnxReport, tolerance: float, runtime_version: str) -> dict[str, Any]:
    unit = report.unit
    return {
        "file": ONNX_FILE,
        "opset": report.opset,
        "inputs": report.input_names,
        "outputs": report.output_names,
        "max_abs_diff": report.max_abs_diff,
        "max_scaled_diff": report.max_scaled_diff,
        "tolerance": tolerance,
        f"n_{unit}_checked": report.n_rows_checked,
        "checked_on": f"synthetic {unit}" if report.synthetic else f"given {unit}",
        "onnxruntime_version": runtime_version,
        **({"speed": report.speed} if report.speed else {}),
    }


def _dynamic_entry(check: _Check) -> dict[str, dict[str, str]]:
    """The axes other than the batch left free in the graph (``dynamic_axes``), as JSON keys."""
    return {
        name: {str(axis): label for axis, label in axes.items() if axis}
        for name, axes in (check.axes or {}).items()
        if any(axes)
    }


def _tabular_check(predictor: Any, inputs: pd.DataFrame | None) -> _Check:
    rows = _synthetic_rows(predictor.recipe) if inputs is None else rows_frame(inputs, "inputs")
    x_cat, x_cont = predictor.recipe.transform(rows, source="the rows to check the export on")
    items = None
    if getattr(predictor, "application", None) == "tabular":  # a recommender's graph alone is timed
        records = json.loads(rows.to_json(orient="records", date_format="iso"))

        def items(count: int) -> list[dict[str, Any]]:  # the rows as a server gets them, repeated to count
            return [records[index % len(records)] for index in range(count)]

    # Looked up at call time (not bound here), so a test can replace ``run_onnx`` in this module.
    return _Check(
        (x_cat, x_cont),
        INPUT_NAMES,
        lambda session, *x: run_onnx(session, *x),
        CHECK_BATCH_ROWS,
        len(rows),
        items=items,
        sizes=SPEED_ROWS,
    )


def _generic_check(predictor: Any, inputs: Any) -> _Check:
    """A model on the user's own architecture: checked on the tensors given, fed to the graph by name."""
    tensors = tuple(tensor.cpu() for tensor in predictor.tensors(inputs))  # as predictor.predict reads them
    if not len(tensors[0]):
        raise DataError(
            "inputs has no rows to check the export on; pass tensors shaped as in training, batch first"
        )
    names = generic_input_names(len(tensors))

    def run(session: Any, *x: torch.Tensor) -> np.ndarray:
        declared = {item.name for item in session.get_inputs()}  # an input never read is left out
        feeds = {name: tensor.numpy() for name, tensor in zip(names, x, strict=True) if name in declared}
        return run_graph(session, feeds)

    return _Check(tensors, names, run, CHECK_BATCH_ROWS, len(tensors[0]))


def _with_dynamic_axes(check: _Check, given: dict[str, Any] | None) -> _Check:
    """``check`` with the batch axis of every input dynamic, and the axes ``given`` (``dynamic_axes``) too.

    Raises:
        ConfigError: ``given`` names an input the graph lacks, axis 0, or an axis its tensor lacks.
    """
    axes: dict[str, dict[int, str]] = {name: {0: "batch"} for name in check.input_names}
    shapes = dict(zip(check.input_names, (tensor.shape for tensor in check.inputs), strict=True))
    for name, chosen in (given or {}).items():
        if name not in shapes:
            raise ConfigError(
                f"dynamic_axes names input {name!r}; the graph's inputs are {', '.join(check.input_names)}: pass "
                f"e.g. dynamic_axes={{{check.input_names[0]!r}: {{1: 'length'}}}}"
            )
        named = (
            dict(chosen) if isinstance(chosen, Mapping) else {axis: f"{name}_axis{axis}" for axis in chosen}
        )
        for axis, label in named.items():
            rank = len(shapes[name])
            if isinstance(axis, bool) or not isinstance(axis, int) or not 1 <= axis < rank:
                raise ConfigError(
                    f"dynamic_axes[{name!r}] names axis {axis!r}; {name} has {rank} axes, of which 1 to "
                    f"{rank - 1} can be made dynamic (axis 0, the batch, always is)"
                )
            axes[name][axis] = str(label)
    return replace(check, axes=axes)


#: Items checked again with the freed axes (``dynamic_axes``) one shorter.
SHORTER_ITEMS = 64


def _shorter_check(model: torch.nn.Module, check: _Check) -> _Check | None:
    """``check`` on its first :data:`SHORTER_ITEMS` items with each axis freed by ``dynamic_axes`` one shorter, so
    that a graph which traced that size as a constant is refused rather than shipped; ``None`` where no freed axis
    can be shortened, or where the PyTorch model itself refuses the shorter inputs (a size it needs)."""
    count = min(SHORTER_ITEMS, check.n_items)
    sliced, shortened = [], False
    for name, tensor in zip(check.input_names, check.inputs, strict=True):
        index: list[slice] = [slice(0, count)] + [slice(None)] * (tensor.ndim - 1)
        for axis in (check.axes or {}).get(name, {}):
            if axis and tensor.shape[axis] > 1:
                index[axis], shortened = slice(0, tensor.shape[axis] - 1), True
        sliced.append(tensor[tuple(index)])
    if not shortened:
        return None
    try:
        with torch.no_grad():
            model(*(tensor[:2] for tensor in sliced))
    except Exception:  # the model's own limit, not the export's: the full check stands
        return None
    return replace(check, inputs=tuple(sliced), n_items=count, select=None)


def _check_shorter(
    model: torch.nn.Module, task: Task, session: Any, shorter: _Check, directory: Path, tolerance: float
) -> None:
    """Refuse an export whose graph fails or differs from PyTorch once the freed axes are shorter than traced.

    Raises:
        ArtifactError: It does: the model turned a size on a freed axis into a constant when traced.
    """
    freed = "; ".join(
        f"{name} axis {', '.join(str(axis) for axis in axes if axis)}"
        for name, axes in (shorter.axes or {}).items()
    )
    why = None
    try:
        _, scaled = _compare(model, task, session, shorter)
        if not scaled <= tolerance:
            why = f"differs from PyTorch by up to {scaled:.3g} (scaled), above the tolerance {tolerance:g}"
    except ArtifactError as error:
        why = f"fails ({str(error).split('(', 1)[-1].split(')', 1)[0]})"
    if why is not None:
        raise ArtifactError(
            f"ONNX export of '{directory}' refused: with the dynamic_axes ({freed}) one shorter than in inputs, "
            f"onnxruntime {why}; the model fixes that size when traced (a Python int of x.shape, say): leave "
            "dynamic_axes out, or compute from the tensor's sizes; nothing was written"
        )


def _vision_check(predictor: Any, inputs: Any) -> _Check:
    if inputs is None:
        pixels = _synthetic_images(predictor.recipe)
    else:
        if isinstance(inputs, (list, tuple)) and not inputs:
            raise DataError("no images to check the export on; pass image files or a folder of images")
        pixels = predictor.pixels(inputs)  # uint8 (N, C, H, W); names an image it cannot decode
    # Both engines get the same float32 0..1 pixels, divided exactly as the model divides uint8 ones.
    unit = torch.from_numpy(unit_pixels(pixels))
    architecture = (predictor.metadata.get("architecture") or {}).get("name")
    # trainwell's image model reads 0..1 floats as it reads uint8 pixels; a network of the user's own was trained
    # on the uint8 pixels alone, and is exported behind the graph's 0..1 input as what it took.
    model = None if architecture == IMAGE_MODEL else BytePixels(predictor.model)
    raw = np.ascontiguousarray(np.asarray(pixels, dtype=np.uint8))

    def items(count: int) -> np.ndarray:  # uint8 (count, C, H, W), as the server stacks decoded images
        return raw[np.arange(count) % len(raw)]

    return _Check(
        (unit,),
        (PIXELS_NAME,),
        lambda session, x: run_onnx_pixels(session, x),
        CHECK_BATCH_IMAGES,
        len(unit),
        model=model,
        items=items,
        sizes=SPEED_IMAGES,
    )


#: The architecture of every image model trainwell builds (normalisation inside, 0..1 floats or uint8 pixels in).
IMAGE_MODEL = "image_classifier"


class BytePixels(torch.nn.Module):
    """A network trained on ``uint8`` pixels, behind the vision graph's float32 0..1 ``pixels``: the graph turns
    them back into the bytes the network took (``round(pixels * 255)``, exact for pixels that were bytes), so
    onnxruntime answers what the PyTorch predictor answers on the same images."""

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.network((pixels * 255.0).round().clamp(0, 255).to(torch.uint8))


def _text_check(predictor: Any, inputs: Any) -> _Check:
    recipe = predictor.recipe
    # Imported by name from the allow-list: this package sits below the applications.
    recipes = importlib.import_module(RECIPES["text"][0])
    texts = _synthetic_texts(recipe) if inputs is None else predictor.texts(inputs)
    ids, offsets = recipe.encode(texts)
    if recipe.batch_format == "bag":

        def select(start: int, stop: int) -> tuple[torch.Tensor, ...]:
            return recipes.bag_batch(ids, offsets, np.arange(start, stop))

        names: tuple[str, ...] = TEXT_INPUTS
        axes = {"ids": {0: "n_ids"}, "offsets": {0: "batch"}}
        run: Callable[..., np.ndarray] = lambda session, *x: run_onnx_text(session, *x)  # noqa: E731
    else:

        def select(start: int, stop: int) -> tuple[torch.Tensor, ...]:
            return (recipes.padded_batch(ids, offsets, np.arange(start, stop), recipe.pad_id),)

        names = (TOKENS_NAME,)
        axes = {TOKENS_NAME: {0: "batch", 1: "time"}}
        run = lambda session, x: run_onnx_tokens(session, x)  # noqa: E731
    return _Check(
        select(0, min(2, len(texts))), names, run, CHECK_BATCH_TEXTS, len(texts), select=select, axes=axes
    )


def _synthetic_texts(recipe: Any, n_texts: int = SYNTHETIC_TEXTS, seed: int = 0) -> list[str]:
    """Texts of 1 to 80 words drawn from the recipe's vocabulary, plus a few unknown words; for a recipe of
    several text columns (a pair), each text that many such fields joined."""
    rng = np.random.default_rng(seed)
    words = [w for w in recipe.vocab if not w.startswith("xx")] or ["word"]
    pool = np.array([*words, "qwertyunseen", "zzzunknown"], dtype=object)
    n_fields = len(getattr(recipe, "fields", ())) or 1
    separator = importlib.import_module(TEXT_FIELDS).FIELD_SEP

    def field() -> str:
        return " ".join(rng.choice(pool, size=int(rng.integers(1, 81))))

    return [separator.join(field() for _ in range(n_fields)) for _ in range(n_texts)]


#: The fields of a text model's examples, imported by name as the recipes are.
TEXT_FIELDS = "trainwell.text.fields"


def _synthetic_images(recipe: Any, n_images: int = SYNTHETIC_IMAGES, seed: int = 0) -> torch.Tensor:
    """``uint8`` images at the recipe's size: one all black, one all white, the rest random pixels."""
    rng = np.random.default_rng(seed)
    shape = (n_images, recipe.channels, *recipe.size)
    pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
    pixels[0], pixels[1] = 0, 255
    return torch.from_numpy(pixels)


def _task_of(predictor: Any) -> Task | None:
    """The task of ``predictor`` (a language model's lives in its metadata only; its check names its outputs)."""
    task = getattr(predictor, "task", None)
    return task if isinstance(task, Task) else None


def _check_settings(opset: int, tolerance: float) -> None:
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ConfigError(
            f"--opset must be an integer from {MIN_OPSET} to {MAX_OPSET}, got {opset!r}; pass e.g. --opset 17"
        )
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < float("inf")):
        raise ConfigError(
            f"--tolerance must be a finite number >= 0, got {tolerance!r}; pass e.g. --tolerance 1e-4"
        )


def _check_model_opset(predictor: Any, directory: Path, opset: int) -> None:
    """Refuse an ``opset`` below the one the model's operators need (a model declares it as ``min_opset``, 9 when
    it does not): below it the exporter writes a graph onnxruntime cannot load, or fails deep inside torch."""
    needed = getattr(predictor.model, "min_opset", MIN_OPSET)
    if opset >= needed:
        return
    architecture = ((getattr(predictor, "metadata", None) or {}).get("architecture") or {}).get("name")
    described = type(predictor.model).__name__
    if architecture:
        described = f"{architecture} ({described})"
    raise ConfigError(
        f"--opset {opset} is too low for model directory '{directory}': its architecture, {described}, needs ONNX "
        f"opset {needed} or later; pass --opset {needed} or higher, or leave --opset out (default {DEFAULT_OPSET})"
    )


def _torch_export(
    model: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    input_names: tuple[str, ...],
    path: Path,
    opset: int,
    axes: dict[str, dict[int, str]] | None = None,
    output_names: tuple[str, ...] = (OUTPUT_NAME,),
) -> None:
    batch = {0: "batch"}
    dynamic = {name: batch for name in (*input_names, *output_names)}
    if axes:
        dynamic = {name: batch for name in output_names} | axes
    with warnings.catch_warnings():
        # The TorchScript exporter announces its deprecation, and warns that Python branches on shapes are
        # traced as constants (TabularMLP branches on the number of columns, fixed per model; ImageClassifier
        # on the pixels' dtype, float32 in the graph); the parity
        # check on many rows and batch sizes is what tells a good export from a bad one.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        # The LSTM symbolic warns that a traced batch size may stick; the parity check runs several sizes.
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # type: ignore[attr-defined]
        # Advanced indexing (boosted trees walk their nodes by it) exports as gathers, wrong for negative
        # indices: the models index with node and code numbers, never negative, and the parity check would tell.
        warnings.filterwarnings("ignore", message="Exporting aten::index operator of advanced indexing")
        try:
            torch.onnx.export(
                model.eval(),
                example,
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_axes=dynamic,
            )
        except Exception as error:
            needed = _opset_needed(error, opset)
            # The opset asked for is at fault, not the model: one line, not a traceback.
            if needed is not None:
                raise ConfigError(
                    f"--opset {opset} is too low for {type(model).__name__}: its operator {needed[0]} needs ONNX "
                    f"opset {needed[1]} or later; pass --opset {needed[1]} or higher, or leave --opset out "
                    f"(default {DEFAULT_OPSET})"
                ) from error
            add_note(
                error, f"while exporting {type(model).__name__} to ONNX opset {opset}; try another --opset"
            )
            raise


#: How torch's exporter says an operator exists only from a later opset (torch.onnx.errors.UnsupportedOperatorError).
_LATER_OPSET = re.compile(
    r"Exporting the operator '(?P<operator>[^']+)' to ONNX opset version \d+ is not supported\. "
    r"Support for this operator was added in version (?P<version>\d+)"
)


def _opset_needed(error: Exception, opset: int) -> tuple[str, int] | None:
    """The operator and the opset it needs when ``error`` is torch refusing one that a later opset has."""
    found = _LATER_OPSET.search(str(error))
    if found is None or int(found["version"]) <= opset:
        return None
    return found["operator"], int(found["version"])


def _settled(seconds: dict[str, list[float]]) -> bool:
    """Whether the timed rounds so far (``{"onnxruntime_ms": [...], "torch_ms": [...]}``, in seconds) leave no doubt
    that onnxruntime is faster: at least :data:`CLEAR_ROUNDS` of them, each timing it at most :data:`CLEAR_RATIO`
    times PyTorch's time. PyTorch found faster is timed through every round (see :data:`CLEAR_ROUNDS`)."""
    onnx, torch_times = seconds["onnxruntime_ms"], seconds["torch_ms"]
    if len(onnx) < CLEAR_ROUNDS or len(torch_times) < CLEAR_ROUNDS:
        return False
    return all(a <= CLEAR_RATIO * b for a, b in zip(onnx, torch_times, strict=False))


def _speed(model: torch.nn.Module, session: Any, check: _Check, rounds: int = 5) -> dict[str, float]:
    """Milliseconds for one batch of the check (up to :data:`SPEED_ITEMS` items, as a server merges them)
    through onnxruntime and through PyTorch: the median of ``rounds`` alternating calls, after one of each
    (fewer rounds for a model slow enough that they would take over :data:`SPEED_SECONDS`, or once the rounds
    leave no doubt which is faster: :func:`_settled`)."""
    part = check.part(0, min(SPEED_ITEMS, check.n_items))
    seconds: dict[str, list[float]] = {"onnxruntime_ms": [], "torch_ms": []}
    started_all = time.perf_counter()
    with torch.no_grad():
        for index in range(rounds + 1):
            if index > 1 and (time.perf_counter() - started_all > SPEED_SECONDS or _settled(seconds)):
                break
            for name, call in (
                ("onnxruntime_ms", lambda: check.run(session, *part)),
                ("torch_ms", lambda: model(*part)),
            ):
                started = time.perf_counter()
                call()
                if index:  # the first round warms both up
                    seconds[name].append(time.perf_counter() - started)
    return {
        "items": int(part[0].shape[0]),
        **{name: float(np.median(times)) * 1000 for name, times in seconds.items()},
    }


def _end_to_end_speed(
    torch_predictor: Any,
    onnx_predictor: Any,
    items: Callable[[int], Any],
    sizes: tuple[int, ...],
    rounds: int = 7,
) -> dict[str, Any]:
    """Milliseconds for a request's inputs through each backend as the server runs it: ``predict_proba`` on the
    rows as JSON objects (a table: the recipe's encoding, the model, the activation) or on the ``uint8`` pixels
    (images), per batch size in ``sizes``. Each figure is the median of ``rounds`` calls, the two backends
    called in turn in each round after one warm-up round (fewer rounds once a size has taken
    :data:`SPEED_SECONDS`, or once its rounds leave no doubt which is faster: :func:`_settled`). The JSON answers a server builds from the probabilities are the same code for both.

    Returns:
        ``{"scope": "end_to_end", "batches": [{"items", "onnxruntime_ms", "torch_ms"}, ...], ...}``, with the
        figures of the batch of :data:`SPEED_ITEMS` (else the largest) also at the top level (``items``,
        ``onnxruntime_ms``, ``torch_ms``), as a graph-only timing recorded them.
    """
    from trainwell.core.arrays import as_array

    batches: list[dict[str, Any]] = []
    for size in sizes:
        given = items(size)
        seconds: dict[str, list[float]] = {"onnxruntime_ms": [], "torch_ms": []}
        started_all = time.perf_counter()
        for index in range(rounds + 1):
            if index > 1 and (time.perf_counter() - started_all > SPEED_SECONDS or _settled(seconds)):
                break
            for name, predictor in (("onnxruntime_ms", onnx_predictor), ("torch_ms", torch_predictor)):
                started = time.perf_counter()
                as_array(predictor.predict_proba(given))
                if index:  # the first round warms both up
                    seconds[name].append(time.perf_counter() - started)
        batches.append({"items": size, **{name: float(np.median(t)) * 1000 for name, t in seconds.items()}})
    headline = next((batch for batch in batches if batch["items"] == SPEED_ITEMS), batches[-1])
    return {**headline, "scope": "end_to_end", "batches": batches}


@torch.no_grad()
def _compare(model: torch.nn.Module, task: Task, session: Any, check: _Check) -> tuple[float, float]:
    """Largest absolute and scaled differences of activated outputs, batch by batch.

    Raises:
        ArtifactError: PyTorch's own outputs are not finite for most inputs (the weights are damaged: NaN
            agreeing with NaN had passed as a difference of 0), or for some (those inputs are out of reach).
    """
    abs_diff = scaled_diff = 0.0
    not_finite: list[int] = []  # positions of the inputs whose PyTorch output is NaN or infinite
    for start in range(0, check.n_items, check.batch):
        part = check.part(start, min(start + check.batch, check.n_items))
        expected = task.activate(model(*part)).numpy().astype(np.float64)
        try:
            raw = check.run(session, *part)
        except Exception as error:  # the runtime refusing the graph it was given is a failed export
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ArtifactError(
                f"onnxruntime could not run the exported {type(model).__name__} on {part[0].shape[0]} inputs "
                f"({first}); nothing was written. Try another --opset, or report the model's architecture as a bug"
            ) from error
        rows = expected.reshape(expected.shape[0], -1) if expected.ndim else expected.reshape(1, -1)
        not_finite.extend(start + np.flatnonzero(~np.isfinite(rows).all(axis=1)))
        actual = activate(task, raw).astype(np.float64)
        if actual.shape != expected.shape:
            return float("inf"), float("inf")
        difference = np.abs(actual - expected)
        # NaN in one output only is a mismatch; NaN in both is agreement.
        difference = np.where(np.isnan(actual) & np.isnan(expected), 0.0, difference)
        difference = np.nan_to_num(difference, nan=np.inf)
        if difference.size:
            scale = np.maximum(1.0, np.nan_to_num(np.abs(expected), nan=1.0))
            abs_diff = max(abs_diff, float(difference.max()))
            scaled_diff = max(scaled_diff, float((difference / scale).max()))
    if not_finite:
        from trainwell.data.tables import not_finite_outputs

        raise ArtifactError(
            f"{not_finite_outputs(not_finite, check.n_items, 'inputs checked', 'input')}; nothing was written"
        )
    return abs_diff, scaled_diff


def _synthetic_rows(recipe: Any, n_rows: int = SYNTHETIC_ROWS, seed: int = 0) -> pd.DataFrame:
    """Rows covering every input path of the recipe: known, unseen and missing categories; numbers near the
    training distribution, missing, and far outside it."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for name in recipe.cat_names:
        pool = np.array([*recipe.categories[name], "<unseen category>", None], dtype=object)
        weights = np.full(len(pool), 0.8 / max(1, len(pool) - 2))
        weights[-2:] = 0.1
        columns[name] = rng.choice(pool, size=n_rows, p=weights / weights.sum())
    for name in recipe.cont_names:
        values = rng.normal(recipe.means[name], recipe.stds[name], size=n_rows)
        kind = rng.random(n_rows)
        values[kind < 0.1] = np.nan
        far = (kind >= 0.1) & (kind < 0.13)
        values[far] = recipe.means[name] + 20 * recipe.stds[name] * rng.choice([-1.0, 1.0], size=far.sum())
        columns[name] = values
    for name, fmt in getattr(recipe, "dates", {}).items():
        mean, std = recipe.means[f"{name}_elapsed_days"], recipe.stds[f"{name}_elapsed_days"]
        days = np.clip(rng.normal(mean, std, size=n_rows), -25_000, 80_000)  # 1901 to 2189
        moments = pd.Timestamp(0) + pd.to_timedelta(days, unit="D")
        timed = "hour" in recipe.date_parts[name]
        iso = "%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d"
        text = pd.Series(moments.strftime(iso if fmt in ("", "ISO8601") else fmt), dtype=object)
        columns[name] = text.where(rng.random(n_rows) >= 0.1, None).to_numpy()
    for name, words in getattr(recipe, "words", {}).items():  # some words read, an unknown one, or none
        said = [*words, "<unknown word>"]
        columns[name] = [
            None if rng.random() < 0.1 else " ".join(rng.choice(said, size=int(rng.integers(1, 5))))
            for _ in range(n_rows)
        ]
    return pd.DataFrame(columns)


def _add_metadata_entry(directory: Path, key: str, value: dict[str, Any]) -> None:
    """Set one top-level key of ``trainwell.json``, keeping the rest of the document exactly as it was."""
    read_metadata(directory)  # validates the document (format version, JSON object) before we touch it
    path = directory / METADATA_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    document[key] = value
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as stream:
        os.fsync(stream.fileno())
