"""The model registry: every architecture is created by name from a JSON-serialisable config.

That is what lets an artifact rebuild its model from ``trainwell.json`` without pickling code.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from torch import nn

from trainwell.core.registry import Registry

models: Registry[Callable[..., nn.Module]] = Registry("architecture")

# Modules that register trainwell's own architectures. They are imported by name on the first lookup, so
# ``create_model("tabular_mlp")`` works without importing the application first (and without this low layer
# importing the applications at load time).
BUILTIN_MODULES = (
    "trainwell.tabular.models",
    "trainwell.vision.models",
    "trainwell.vision.network",
    "trainwell.vision.external",
)


@functools.cache
def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def register_model(
    name: str, **metadata: Any
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering an architecture; metadata might be ``application="tabular"``."""
    return models.register(name, **metadata)


def create_model(name: str, **config: Any) -> nn.Module:
    """Build a registered architecture: ``create_model("tabular_mlp", cardinalities=[3], n_cont=2, n_out=1)``."""
    _load_builtins()
    return models.get(name)(**config)


def list_models(pattern: str = "*") -> list[str]:
    """Registered architecture names matching a shell-style ``pattern``."""
    _load_builtins()
    return models.names(pattern)
