"""ONNX export of a model directory, checked against PyTorch with onnxruntime before it is kept.

:func:`export_onnx` writes ``model.onnx`` beside ``model.safetensors`` and records it in ``trainwell.json``
under ``"onnx"``. The export is only kept when onnxruntime reproduces PyTorch's *activated* outputs
(probabilities, or values for regression) on real rows: a wrong export must never ship silently.

Which rows are checked: the ``inputs`` you pass (use validation rows: ``trainwell export --data valid.csv``),
else rows synthesised from the recipe, since an artifact stores no data. Synthesised rows draw each category
from the column's training vocabulary, plus unseen and missing values, and each number from a normal
distribution with the column's training mean and standard deviation, plus missing values and outliers at
±20 standard deviations; they exercise every input path but not the real joint distribution of the columns.

:class:`OnnxPredictor` predicts from raw rows with onnxruntime (the model) and the recipe (preprocessing),
giving the same table as the PyTorch predictor; it needs only ``model.onnx`` and ``trainwell.json``.
Both need the optional packages ``onnx`` and ``onnxruntime`` (``pip install 'trainwell[onnx]'``).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.core.artifact import METADATA_FILE, read_metadata
from trainwell.core.atomic import write_text_atomic
from trainwell.core.errors import ArtifactError, ConfigError, add_note
from trainwell.data.tables import rows_frame
from trainwell.data.task import Task
from trainwell.export._onnx_runtime import (
    INPUT_NAMES,
    ONNX_FILE,
    OUTPUT_NAME,
    RECIPES,
    OnnxDependencyError,
    activate,
    import_onnxruntime,
    open_session,
    run_onnx,
)
from trainwell.export.onnx_predictor import OnnxPredictor
from trainwell.export.predictor import load

__all__ = ["ONNX_FILE", "OnnxDependencyError", "OnnxPredictor", "OnnxReport", "activate", "export_onnx"]

# The TorchScript-based exporter (used because the dynamo one needs onnxscript) supports opsets 9 to 20.
MIN_OPSET, MAX_OPSET = 9, 20
SYNTHETIC_ROWS = 512
CHECK_BATCH_ROWS = 8192


@dataclass(frozen=True)
class OnnxReport:
    """What :func:`export_onnx` wrote and how closely onnxruntime matched PyTorch.

    Attributes:
        path: The written ``model.onnx``.
        max_abs_diff: Largest absolute difference between the activated outputs of onnxruntime and PyTorch.
        max_scaled_diff: Largest ``|onnx - torch| / max(1, |torch|)``: the number held to the tolerance
            (equal to ``max_abs_diff`` for probabilities; relative for regression values above 1).
        n_rows_checked: Rows run through both.
        synthetic: Whether the rows were synthesised from the recipe (no ``inputs`` given).
        input_names: The ONNX graph's inputs (an input the model never reads is left out by the exporter).
        output_names: The ONNX graph's outputs.
        opset: The ONNX opset version.
        seconds: Wall time of the export and the check.
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


def export_onnx(
    model_dir: str | Path,
    *,
    opset: int = 17,
    inputs: pd.DataFrame | None = None,
    tolerance: float = 1e-4,
) -> OnnxReport:
    """Export a model directory to ``model.onnx`` and check it against PyTorch with onnxruntime.

    The graph takes ``x_cat`` (int64, ``(batch, n_cat)``) and ``x_cont`` (float32, ``(batch, n_cont)``), the
    recipe's encoded rows, and returns the raw outputs ``logits`` (``(batch, n_outputs)``); the batch axis is
    dynamic. The file is written atomically and only once the check passes: every activated output must
    satisfy ``|onnx - torch| <= tolerance * max(1, |torch|)``. ``trainwell.json`` then gets an ``"onnx"`` entry
    (file, opset, inputs, outputs, differences, rows checked), everything else in it kept as it was.

    Args:
        model_dir: A model directory written by ``trainwell fit``.
        opset: ONNX opset version, 9 to 20.
        inputs: Raw rows to check on, e.g. the validation rows; ``None`` synthesises rows from the recipe
            (see the module docstring).
        tolerance: Largest accepted (scaled) difference; ``1e-4`` suits float32 models.

    Returns:
        The report, with the largest differences found.

    Raises:
        ConfigError: ``opset`` or ``tolerance`` out of range.
        DataError: ``inputs`` is empty or lacks input columns.
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
    ort = import_onnxruntime()
    directory = Path(model_dir)
    predictor = load(directory)
    if getattr(predictor, "application", None) not in RECIPES:
        raise ArtifactError(
            f"model directory '{directory}' is a {getattr(predictor, 'application', '?')} model; ONNX export "
            f"supports: {', '.join(RECIPES)}"
        )
    rows = _synthetic_rows(predictor.recipe) if inputs is None else rows_frame(inputs, "inputs")
    x_cat, x_cont = predictor.recipe.transform(rows, source="the rows to check the export on")
    handle, temp_name = tempfile.mkstemp(prefix=f".{ONNX_FILE}.", suffix=".tmp", dir=directory)
    os.close(handle)
    temp_path = Path(temp_name)
    try:
        _torch_export(predictor.model, (x_cat[:2], x_cont[:2]), temp_path, opset)
        session = open_session(ort, temp_path, threads=torch.get_num_threads())
        abs_diff, scaled_diff = _compare(predictor.model, predictor.task, session, x_cat, x_cont)
        if not scaled_diff <= tolerance:
            raise ArtifactError(
                f"ONNX export of '{directory}' refused: onnxruntime differs from PyTorch by up to {abs_diff:.3g} "
                f"(scaled {scaled_diff:.3g}) on {len(rows)} rows, above the tolerance {tolerance:g}; nothing "
                f"was written. Try another --opset, or report the model's architecture as a bug"
            )
        _fsync_file(temp_path)
        os.replace(temp_path, directory / ONNX_FILE)
    finally:
        temp_path.unlink(missing_ok=True)
    report = OnnxReport(
        path=directory / ONNX_FILE,
        max_abs_diff=abs_diff,
        max_scaled_diff=scaled_diff,
        n_rows_checked=len(rows),
        synthetic=inputs is None,
        input_names=[item.name for item in session.get_inputs()],
        output_names=[item.name for item in session.get_outputs()],
        opset=opset,
        seconds=time.perf_counter() - started,
    )
    _add_metadata_entry(directory, "onnx", _metadata_entry(report, tolerance, str(ort.__version__)))
    return report


def _metadata_entry(report: OnnxReport, tolerance: float, runtime_version: str) -> dict[str, Any]:
    return {
        "file": ONNX_FILE,
        "opset": report.opset,
        "inputs": report.input_names,
        "outputs": report.output_names,
        "max_abs_diff": report.max_abs_diff,
        "max_scaled_diff": report.max_scaled_diff,
        "tolerance": tolerance,
        "n_rows_checked": report.n_rows_checked,
        "checked_on": "synthetic rows" if report.synthetic else "given rows",
        "onnxruntime_version": runtime_version,
    }


def _check_settings(opset: int, tolerance: float) -> None:
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ConfigError(
            f"--opset must be an integer from {MIN_OPSET} to {MAX_OPSET}, got {opset!r}; pass e.g. --opset 17"
        )
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < float("inf")):
        raise ConfigError(
            f"--tolerance must be a finite number >= 0, got {tolerance!r}; pass e.g. --tolerance 1e-4"
        )


def _torch_export(
    model: torch.nn.Module, example: tuple[torch.Tensor, torch.Tensor], path: Path, opset: int
) -> None:
    batch = {0: "batch"}
    with warnings.catch_warnings():
        # The TorchScript exporter announces its deprecation, and warns that Python branches on shapes are
        # traced as constants (TabularMLP branches on the number of columns, fixed per model); the parity
        # check on many rows and batch sizes is what tells a good export from a bad one.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # type: ignore[attr-defined]
        try:
            torch.onnx.export(
                model.eval(),
                example,
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=list(INPUT_NAMES),
                output_names=[OUTPUT_NAME],
                dynamic_axes={name: batch for name in (*INPUT_NAMES, OUTPUT_NAME)},
            )
        except Exception as error:
            add_note(
                error, f"while exporting {type(model).__name__} to ONNX opset {opset}; try another --opset"
            )
            raise


@torch.no_grad()
def _compare(
    model: torch.nn.Module, task: Task, session: Any, x_cat: torch.Tensor, x_cont: torch.Tensor
) -> tuple[float, float]:
    """Largest absolute and scaled differences of activated outputs, batch by batch."""
    abs_diff = scaled_diff = 0.0
    for start in range(0, len(x_cat), CHECK_BATCH_ROWS):
        part = slice(start, start + CHECK_BATCH_ROWS)
        expected = task.activate(model(x_cat[part], x_cont[part])).numpy().astype(np.float64)
        actual = activate(task, run_onnx(session, x_cat[part], x_cont[part])).astype(np.float64)
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
