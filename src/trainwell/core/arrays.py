"""numpy arrays of whatever a model's outputs or inputs come as, without importing torch.

The ONNX path (``trainwell serve --backend onnx``, :class:`~trainwell.export.onnx_predictor.OnnxPredictor`) runs on
numpy and onnxruntime alone: importing torch costs seconds of a server's start. Code shared with the PyTorch path
(decoding labels, encoding rows) works on numpy and takes a tensor too, read through :func:`as_array`: a value
can only be a tensor when torch is already imported, so checking ``sys.modules`` never imports it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["as_array", "is_tensor"]


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a ``torch.Tensor`` (``False`` whenever torch was never imported).

    Example:
        >>> is_tensor(np.zeros(2)), is_tensor([1.0])
        (False, False)
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def as_array(value: Any) -> np.ndarray:
    """``value`` as a numpy array: a tensor is detached and brought to the CPU (a ``bfloat16`` one read as
    ``float32``, which numpy lacks); anything else goes through ``np.asarray`` (no copy of an array).

    Example:
        >>> as_array([[0.25, 0.75]]).dtype, as_array(np.arange(3)).tolist()
        (dtype('float64'), [0, 1, 2])
    """
    if is_tensor(value):
        tensor = value.detach().cpu()
        if tensor.dtype == sys.modules["torch"].bfloat16:
            tensor = tensor.float()
        return np.asarray(tensor.numpy())
    return np.asarray(value)
