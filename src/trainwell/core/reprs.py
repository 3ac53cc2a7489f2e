"""Short representations of objects that hold long lists (a recipe's users, items or vocabulary): ``print(recipe)``
in a notebook dumped every user id and word of the vocabulary, tens of thousands of characters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

#: Items of a list, tuple, set or dict shown before the count of the rest.
SHOWN_ITEMS = 5


def shortened(value: Any, shown: int = SHOWN_ITEMS) -> str:
    """``repr(value)``, with a long list, tuple, set or dict cut to its first ``shown`` items and a count.

    Example:
        >>> shortened(list(range(100)))
        '[0, 1, 2, 3, 4, ... 100 in all]'
        >>> shortened({"a": 1})
        "{'a': 1}"
    """
    if isinstance(value, list | tuple | set | frozenset | dict) and len(value) > shown:
        items = list(value.items())[:shown] if isinstance(value, dict) else list(value)[:shown]
        parts = (
            [f"{key!r}: {item!r}" for key, item in items]
            if isinstance(value, dict)
            else list(map(repr, items))
        )
        brackets = {list: "[]", tuple: "()", dict: "{}"}.get(type(value), "{}")
        return f"{brackets[0]}{', '.join(parts)}, ... {len(value):,} in all{brackets[1]}"
    return repr(value)


def dataclass_repr(obj: Any) -> str:
    """A dataclass's ``repr`` with each long field shortened (:func:`shortened`)."""
    fields = ", ".join(
        f"{field.name}={shortened(getattr(obj, field.name))}"
        for field in dataclasses.fields(obj)
        if field.repr
    )
    return f"{type(obj).__name__}({fields})"


def shapes_of(tensors: Iterable[Any]) -> str:
    """``(64, 6) float32, (64,) int64``: each tensor's (or array's) shape and dtype, another object's type: what
    an error note says a model was given. Imports no torch.

    Example:
        >>> import numpy as np
        >>> shapes_of([np.zeros((64, 6), dtype=np.float32), "x"])
        '(64, 6) float32, str'
    """
    return ", ".join(
        f"{tuple(t.shape)} {str(t.dtype).removeprefix('torch.')}"
        if hasattr(t, "shape") and hasattr(t, "dtype")
        else type(t).__name__
        for t in tensors
    )
