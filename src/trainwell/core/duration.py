"""Durations as people write them (``90s``, ``10m``, ``1h30m``, ``1:30:00``), read without torch.

Every ``--time`` and ``--timeout`` of the command line goes through :func:`parse_duration`, which the command
checks before it imports the training stack: a mistyped duration is said at once, not after seconds of imports.
"""

from __future__ import annotations

import math
import re
from typing import Any

from trainwell.core.errors import ConfigError

__all__ = ["DURATION_EXAMPLES", "parse_duration"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(s|m|h|d)", re.IGNORECASE)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d*)?)$")
DURATION_EXAMPLES = "90s, 10m, 1h30m, 1.5h or 1:30:00"


def parse_duration(value: Any, name: str = "time budget") -> float:
    """Seconds in ``value``: a number of seconds, or a string such as ``"90s"``, ``"10m"``, ``"1h30m"``,
    ``"1.5h"``, ``"1:30:00"`` (hours:minutes:seconds) or ``"10:00"`` (minutes:seconds).

    Raises:
        ConfigError: ``value`` is not a duration, or is not longer than zero.

    Example:
        >>> parse_duration("1h30m"), parse_duration("10:00"), parse_duration(45)
        (5400.0, 600.0, 45.0)
    """
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        clock = _CLOCK.match(text)
        if clock:
            hours, minutes, secs = clock.groups()
            seconds = int(hours or 0) * 3600.0 + int(minutes) * 60.0 + float(secs)
        elif re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", text):
            seconds = float(text)
        elif text and re.fullmatch(rf"(?:\s*{_PART.pattern}\s*)+", text, re.IGNORECASE):
            seconds = sum(float(number) * _UNITS[unit.lower()] for number, unit in _PART.findall(text))
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(
            f"{name} {value!r} is not a duration longer than zero; write e.g. {DURATION_EXAMPLES} "
            "(a bare number is seconds)"
        )
    return seconds


def format_duration(seconds: float) -> str:
    """``seconds`` for people: ``"45s"``, ``"9m 52s"``, ``"1h 30m"``; under 0.05 s in milliseconds (``"1ms"``).

    Example:
        >>> format_duration(45.2), format_duration(592), format_duration(5400), format_duration(0.001)
        ('45s', '9m 52s', '1h 30m', '1ms')
    """
    seconds = max(0.0, seconds)
    if 0 < seconds < 0.05:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if minutes else f"{hours}h"
