"""Artifacts: ``model.safetensors`` + ``trainwell.json``, written atomically and read without unpickling."""

from trainwell.export.artifact import FORMAT_VERSION, read_artifact, read_metadata, save_artifact
from trainwell.export.predictor import load

__all__ = ["FORMAT_VERSION", "load", "read_artifact", "read_metadata", "save_artifact"]
