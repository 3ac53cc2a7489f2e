"""Packages whose public names load on first use (PEP 562), written once.

An application package lists its names and the module defining each; :func:`lazy_attributes` gives it the
module-level ``__getattr__`` and ``__dir__``. A serving process that only needs a predictor never imports the
training code behind the other names, and ``import trainwell`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    module: str, exports: Mapping[str, str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package ``module``: ``exports`` maps each public name to the module
    that defines it; a name is imported when first read, then kept on the package.

    Example:
        >>> getattr_, dir_ = lazy_attributes("trainwell.core", {"seed_everything": "trainwell.core.seeding"}, ["x"])
        >>> getattr_("seed_everything").__name__, dir_()
        ('seed_everything', ['x'])
    """

    def load(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
            setattr(sys.modules[module], name, value)  # later lookups skip this function
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def listing() -> list[str]:
        return list(names)

    return load, listing
