"""HTTP serving of a model directory: ``create_app(dir)`` (FastAPI) and the ``trainwell serve`` command.

Needs the ``serve`` extra: ``pip install "trainwell[serve]"`` (fastapi and uvicorn).

Names load on first use (PEP 562): the supervisor of ``trainwell serve --workers N`` reads the settings
(:mod:`trainwell.serve.config`) and never imports the app's stack (fastapi, pandas, numpy, torch), which only its
workers run. It held them all for the server's life, as much memory again as a small worker.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from trainwell.core.lazy import lazy_attributes

# Found, not imported (importing it is tens of megabytes the supervisor would keep): only for the install hint.
if importlib.util.find_spec("fastapi") is None:  # pragma: no cover - depends on the installation
    raise ModuleNotFoundError(
        "trainwell.serve needs the serve extra (fastapi is not installed): pip install 'trainwell[serve]'",
        name="fastapi",
    )

_EXPORTS = {
    "BatchStats": "trainwell.serve.batching",
    "MicroBatcher": "trainwell.serve.batching",
    "ServeConfig": "trainwell.serve.config",
    "app_from_env": "trainwell.serve.app",
    "create_app": "trainwell.serve.app",
}

__all__ = ["BatchStats", "MicroBatcher", "ServeConfig", "app_from_env", "create_app"]

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)

if TYPE_CHECKING:
    from trainwell.serve.app import app_from_env, create_app
    from trainwell.serve.batching import BatchStats, MicroBatcher
    from trainwell.serve.config import ServeConfig
