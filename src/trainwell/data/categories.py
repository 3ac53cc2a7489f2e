"""Categories as text keys: one rule for every application that maps values (a city, a user, a movie) to codes.

A value is compared by its text form so that ``1`` and ``"1"`` (a CSV round trip, a JSON request) are the same
category. Whole floats are written without the fraction (``3.0`` is ``"3"``, matching an integer column that
picked up a missing value); other floats use Python's shortest ``repr`` (``0.5`` is ``"0.5"``), so the text
``"3.0"`` is *not* the float ``3.0``. Booleans are ``"True"``/``"False"``. A vocabulary lists the training keys;
position ``i`` encodes as ``i + 1`` and 0 is reserved for missing and unseen values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["category_key", "category_vocabulary", "encode_categories"]


def category_key(value: object) -> str:
    """The text form that identifies a category value (see the module docstring).

    >>> category_key(3.0), category_key(0.5), category_key("3.0"), category_key(True)
    ('3', '0.5', '3.0', 'True')
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def category_vocabulary(values: pd.Series) -> list[str]:
    """Distinct non-missing keys, in numeric order when all are numbers, else in text order."""
    import pandas as pd

    _, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = sorted({category_key(value) for value in uniques})
    try:
        return sorted(keys, key=float)
    except ValueError:
        return keys


def encode_categories(values: pd.Series, vocabulary: list[str]) -> np.ndarray:
    """Map values to vocabulary indices; missing and unseen values to 0."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    index = {key: position + 1 for position, key in enumerate(vocabulary)}
    # The trailing 0 is what the missing-value code -1 picks up.
    lookup = np.array([index.get(category_key(value), 0) for value in uniques] + [0], dtype=np.int64)
    return lookup[codes]
