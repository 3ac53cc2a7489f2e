"""The model registry: every architecture is created by name from a JSON-serialisable config.

That is what lets an artifact rebuild its model from ``trainwell.json`` without pickling code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from trainwell.core.registry import Registry

models: Registry[Callable[..., nn.Module]] = Registry("architecture")


def register_model(
    name: str, **metadata: Any
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering an architecture; metadata might be ``application="tabular"``."""
    return models.register(name, **metadata)


def create_model(name: str, **config: Any) -> nn.Module:
    """Build a registered architecture: ``create_model("tabular_mlp", cardinalities=[3], n_cont=2, n_out=1)``."""
    return models.get(name)(**config)


def list_models(pattern: str = "*") -> list[str]:
    """Registered architecture names matching a shell-style ``pattern``."""
    return models.names(pattern)
