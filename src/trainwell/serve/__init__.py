"""HTTP serving of a model directory: ``create_app(dir)`` (FastAPI) and the ``trainwell serve`` command.

Needs the ``serve`` extra: ``pip install "trainwell[serve]"`` (fastapi and uvicorn).
"""

try:
    import fastapi  # noqa: F401  (only to give an install hint when it is missing)
except ModuleNotFoundError as error:  # pragma: no cover - depends on the installation
    raise ModuleNotFoundError(
        f"trainwell.serve needs the serve extra ({error.name} is not installed): pip install 'trainwell[serve]'",
        name=error.name,
    ) from error

from trainwell.serve.app import app_from_env, create_app
from trainwell.serve.batching import BatchStats, MicroBatcher
from trainwell.serve.config import ServeConfig

__all__ = ["BatchStats", "MicroBatcher", "ServeConfig", "app_from_env", "create_app"]
