"""``trainwell.json`` keeps the environment a model was written in (python, numpy, pandas, torch, onnxruntime
where installed, the platform), and a server's ``GET /metadata`` gives it in ``versions.environment``: a model
that answers differently on another machine can be traced to what differed (tour59 #10). Real files, real HTTP
on loopback."""

from __future__ import annotations

import json
import platform
import shutil
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import torch
from serve_support import LIMITS, start_server

from trainwell.serve import create_app


def test_the_environment_is_kept_at_save_time_and_served(model_dir: Path, tmp_path: Path) -> None:
    stored = json.loads((model_dir / "trainwell.json").read_text(encoding="utf-8"))
    environment = stored["environment"]
    assert environment["python"] == platform.python_version()
    assert (environment["numpy"], environment["pandas"]) == (np.__version__, pd.__version__)
    assert environment["torch"] == str(torch.__version__) == stored["torch_version"]
    installed = find_spec("onnxruntime") is not None
    assert environment.get("onnxruntime") == (version("onnxruntime") if installed else None)
    assert environment["platform"] == platform.platform()

    # A model directory written before the environment was kept: null, not an error.
    older = tmp_path / "older"
    shutil.copytree(model_dir, older)
    del stored["environment"]
    (older / "trainwell.json").write_text(json.dumps(stored), encoding="utf-8")
    servers = [start_server(create_app(path, threads=1, **LIMITS)) for path in (model_dir, older)]
    try:
        served = [httpx.get(f"{server.url}/metadata", timeout=60).json()["versions"] for server in servers]
    finally:
        for server in servers:
            server.stop()
    assert served[0]["environment"] == environment
    assert served[1]["environment"] is None
