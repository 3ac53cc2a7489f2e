"""Argument checks shared by the callbacks: each failure is a ConfigError naming the parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainwell.core.errors import ConfigError


def positive_number(
    owner: str, name: str, value: Any, *, allow_inf: bool = False, example: str = "1.0"
) -> float:
    """``value`` as a float > 0 (finite unless ``allow_inf``), else a ConfigError naming ``owner.name``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    ok = ok and (math.isfinite(value) or (allow_inf and value == math.inf))
    if not ok:
        raise ConfigError(f"{owner} {name} must be a number > 0, got {value!r}; pass e.g. {name}={example}")
    return float(value)


def non_negative_number(owner: str, name: str, value: Any) -> float:
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )
    if not ok:
        raise ConfigError(f"{owner} {name} must be a finite number >= 0, got {value!r}; pass e.g. {name}=0.0")
    return float(value)


def positive_int(owner: str, name: str, value: Any, *, example: int = 2) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{owner} {name} must be a whole number >= 1, got {value!r}; pass e.g. {name}={example}"
        )
    return value


def choice(owner: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        options = ", ".join(repr(option) for option in allowed)
        raise ConfigError(f"{owner} {name} must be one of {options}, got {value!r}")
    return str(value)


def flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{owner} {name} must be True or False, got {value!r}")
    return value


def file_path(owner: str, name: str, value: Any) -> Path:
    if not isinstance(value, (str, Path)) or not str(value):
        raise ConfigError(f"{owner} {name} must be a file path, got {value!r}; pass e.g. {name}='run/file'")
    return Path(value)
