"""What each searched setting takes, checked before a search starts: ``--search epochs=abc`` (or
``search={"dropout": 1.5}``) once failed inside a trial, after others had run, with a traceback and exit 1;
``epochs=2.5`` was cut to 2 without a word. :func:`check_search_values` refuses such a value in one line
naming the setting, the value and what it takes; a whole number given as ``4.0`` is read as ``4``.

Imports nothing heavy: ``trainwell tune`` checks ``--search`` with it before any data is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainwell.core.errors import ConfigError

__all__ = ["SETTING_VALUES", "Takes", "check_search_value", "check_search_values"]


@dataclass(frozen=True)
class Takes:
    """The values a searched setting takes: ``kind`` ``"number"``, ``"whole"`` (a whole number), ``"widths"``
    (hidden layers' widths joined by ``-``: ``256-128``) or ``"word"`` (one of ``words``); a number above
    ``low`` (or at it, ``low_open`` false) and below ``high`` (or at it, ``high_open`` false)."""

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    words: tuple[str, ...] = ()
    #: Searched among values (the library's range is a list of them): a range of it is refused.
    among: bool = False
    #: An example of the setting's values in the command line's syntax (``--search dim=16,32``).
    example: str = ""

    def said(self) -> str:
        """What the setting takes, in words: ``a whole number of at least 1``, ``a number from 0 to below 1``."""
        if self.kind == "word":
            return "one of " + ", ".join(self.words)
        if self.kind == "widths":
            return "hidden layers' widths, whole numbers above 0 joined by '-' (256-128)"
        what = "a whole number" if self.kind == "whole" else "a number"
        if self.low is not None and self.high is not None:
            low = f"above {self.low:g}" if self.low_open else f"from {self.low:g}"
            high = f"to below {self.high:g}" if self.high_open else f"to {self.high:g}"
            return f"{what} {low} {high}"
        if self.low is not None:
            return f"{what} {'above' if self.low_open else 'of at least'} {self.low:g}"
        return what

    def read(self, value: Any) -> Any:
        """``value`` as the setting takes it (``4.0`` as ``4`` for a whole number); ``None`` when it does not
        take it."""
        if self.kind == "word":
            return value if isinstance(value, str) and value in self.words else None
        if self.kind == "widths":
            text = str(value).strip() if not isinstance(value, (bool, float)) else ""
            widths = text.split("-")
            ok = text and all(width.strip().isdigit() and int(width) > 0 for width in widths)
            return value if ok else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return None
        if self.kind == "whole":
            if value != int(value):
                return None
            value = int(value)
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return None
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return None
        return value


_RATE = Takes("number", 0.0, low_open=True, example="lr=1e-4:1e-2")
_DECAY = Takes("number", 0.0, example="wd=1e-4:0.1")
_SHARE = Takes("number", 0.0, 1.0, high_open=True, example="dropout=0:0.5")

#: What each setting any search names takes (a name not here is checked by its space alone).
SETTING_VALUES: dict[str, Takes] = {
    "lr": _RATE,
    "wd": _DECAY,
    "epochs": Takes("whole", 1, example="epochs=2:6"),
    "dropout": _SHARE,
    "token_dropout": Takes("number", 0.0, 1.0, high_open=True, example="token_dropout=0:0.3"),
    "label_smoothing": Takes("number", 0.0, 1.0, high_open=True, example="label_smoothing=0:0.2"),
    "layers": Takes("widths", among=True, example="layers=128,256-128"),
    "numeric_embedding": Takes(
        "word", among=True, words=("periodic", "none"), example="numeric_embedding=periodic,none"
    ),
    "dim": Takes("whole", 1, among=True, example="dim=16,32"),
    "hidden": Takes("whole", 1, among=True, example="hidden=100,200"),
    "n_factors": Takes("whole", 1, among=True, example="n_factors=16,32"),
    "learning_rate": Takes("number", 0.0, low_open=True, example="learning_rate=0.01:0.3"),
    "max_leaf_nodes": Takes("whole", 2, example="max_leaf_nodes=8:64"),
    "min_samples_leaf": Takes("whole", 1, example="min_samples_leaf=5:50"),
    "l2_regularization": Takes("number", 0.0, example="l2_regularization=1e-6:1"),
}


def check_search_value(name: str, spec: Any, *, cli: bool = False, choices: bool | None = None) -> Any:
    """One setting's ``search=`` entry checked against what the setting takes (:data:`SETTING_VALUES`): a
    ``(low, high)`` tuple's ends, a list's values, a single value; returned as the search reads it (whole
    numbers as ``int``). ``choices``: the setting is searched among values (a range of it is refused; ``None``:
    as :data:`SETTING_VALUES` says, widths and words). ``cli``: the message in ``--search NAME=...`` words.

    Raises:
        ConfigError: A value the setting does not take, in one line.
    """
    takes = SETTING_VALUES.get(name)
    if takes is None:
        return spec
    given = f"--search {name}=" if cli else f"search[{name!r}] = "
    if choices is None:
        choices = takes.among
    example = f"e.g. --search {takes.example}" if cli else f"e.g. search={{{_python(takes.example)}}}"

    def refused(value: Any, whole: Any) -> ConfigError:
        shown = _text(whole, cli)
        part = ""
        if shown != _text(value, cli):
            part = (
                f" (the end {_text(value, cli)})" if isinstance(whole, tuple) else f" ({_text(value, cli)})"
            )
        return ConfigError(f"{given}{shown}{part}: {name} takes {takes.said()}; {example}")

    if isinstance(spec, tuple):
        if choices and not cli:  # the space says it in Python's words, with its values
            return spec
        if choices:
            how = f"--search {name}=A,B" if cli else "a list of them"
            raise ConfigError(
                f"{given}{_text(spec, cli)}: {name} takes values, not a range: pass {how}; {example}"
            )
        read = []
        for end in spec:
            value = takes.read(end)
            if value is None:
                raise refused(end, spec)
            read.append(value)
        return tuple(read)
    if isinstance(spec, list):
        read = []
        for item in spec:
            value = takes.read(item)
            if value is None:
                raise refused(item, spec)
            read.append(value)
        return read
    value = takes.read(spec)
    if value is None:
        raise refused(spec, spec)
    return value


def check_search_values(search: dict[str, Any], *, cli: bool = False) -> dict[str, Any]:
    """Every entry of ``search`` checked by :func:`check_search_value`; the entries as the search reads them."""
    return {name: check_search_value(name, spec, cli=cli) for name, spec in search.items()}


def _text(value: Any, cli: bool) -> str:
    """A value as the user wrote it: ``2:6`` and ``16,32`` on the command line, Python's repr otherwise."""
    if not cli:
        return repr(value)
    if isinstance(value, tuple):
        return ":".join(str(end) for end in value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _python(example: str) -> str:
    """``epochs=2:6`` as Python's ``"epochs": (2, 6)``; ``dim=16,32`` as ``"dim": [16, 32]``."""
    name, _, values = example.partition("=")
    if ":" in values:
        low, _, high = values.partition(":")
        return f"{name!r}: ({low}, {high})"
    items = [item if _is_number(item) else repr(item) for item in values.split(",")]
    return f"{name!r}: [{', '.join(items)}]"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
