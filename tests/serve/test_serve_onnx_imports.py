"""What a server on the ONNX backend imports: torch still, for now (a strict expected failure that says why, and
turns into a failure to flip once the ONNX path runs on numpy alone)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Builds the ONNX app in a fresh interpreter and says which modules were loaded.
BUILD_AND_LIST = textwrap.dedent(
    """
    import sys
    from trainwell.serve import create_app

    app = create_app(sys.argv[1], backend="onnx", threads=1)
    assert app.state.backend == "onnx", app.state.backend
    print("torch" in sys.modules)
    """
)


@pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None,
    reason="needs onnxruntime (pip install 'trainwell[onnx]')",
)
@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="the ONNX path runs on torch tensors outside the server: the tabular recipe's encode returns them "
    "(tabular/recipe.py: torch.from_numpy), the task decodes them (data/tables.py, data/task.py), OnnxPredictor "
    "wraps its session in a torch.nn.Module for TTA (export/onnx_predictor.py, export/_onnx_runtime.py) and "
    "serve/backends.py imports export/predictor.py (torch) at its top",
)
def test_an_onnx_server_is_built_without_importing_torch(onnx_model_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_AND_LIST, str(onnx_model_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        check=True,
    )
    assert done.stdout.strip() == "False", f"torch was imported:\n{done.stderr}"
