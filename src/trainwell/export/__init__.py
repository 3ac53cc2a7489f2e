"""From an artifact to predictions: ``load`` rebuilds an application's predictor; ONNX export lives here too.

The artifact format itself (``model.safetensors`` + ``trainwell.json``, atomic writes, migrations) is in
:mod:`trainwell.core.artifact`: the Learner (a lower layer than this package) writes it, so it sits in core.
"""

from trainwell.core.artifact import FORMAT_VERSION, read_artifact, read_metadata, save_artifact
from trainwell.export.generic import GenericPredictor
from trainwell.export.predictor import load

__all__ = ["FORMAT_VERSION", "GenericPredictor", "load", "read_artifact", "read_metadata", "save_artifact"]
