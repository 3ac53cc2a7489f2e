"""From an artifact to predictions: ``load`` rebuilds an application's predictor; ONNX export lives here too.

The artifact format itself (``model.safetensors`` + ``trainwell.json``, atomic writes, migrations) is in
:mod:`trainwell.core.artifact`: the Learner (a lower layer than this package) writes it, so it sits in core.
ONNX export and the onnxruntime predictor (``export_onnx``, ``OnnxReport``, ``OnnxPredictor``) are named here too
but load on first use (PEP 562): they bring pandas, which loading a model for predictions does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trainwell.core.artifact import FORMAT_VERSION, read_artifact, read_metadata, save_artifact
from trainwell.export.predictor import load

#: Names loaded on first use -> the module that defines them. ``GenericPredictor`` imports torch, which the
#: ONNX predictor (and a server on it) never needs.
_LAZY = {
    "GenericPredictor": "trainwell.export.generic",
    "export_onnx": "trainwell.export.onnx",
    "OnnxReport": "trainwell.export.onnx",
    "OnnxPredictor": "trainwell.export.onnx_predictor",
    "text_onnx_inputs": "trainwell.export.text_inputs",
}

__all__ = [
    "FORMAT_VERSION",
    "GenericPredictor",
    "OnnxPredictor",
    "OnnxReport",
    "export_onnx",
    "load",
    "read_artifact",
    "read_metadata",
    "save_artifact",
    "text_onnx_inputs",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'trainwell.export' has no attribute {name!r}")


if TYPE_CHECKING:  # what static type checkers and IDEs see
    from trainwell.export.generic import GenericPredictor
    from trainwell.export.onnx import OnnxReport, export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor
    from trainwell.export.text_inputs import text_onnx_inputs
