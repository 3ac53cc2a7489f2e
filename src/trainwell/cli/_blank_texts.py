"""Rows of a table whose text is empty, shared by the commands that answer a table of texts (a text classifier's
``predict``, a tagger's): left without an answer and said in one warning, rather than refusing the file or
writing a blank row in silence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def predicted_but_empty(predict: Callable[[Any], Any], rows: Any, columns: list[str], source: Path) -> Any:
    """``predict``'s answers for the rows of a table, those whose text (in any of ``columns``) is empty left
    blank and said in a warning: one empty review refused the whole file, where a file of lines skips its blank
    lines and a folder its empty files. ``predict`` takes a DataFrame of rows and returns one row per row."""
    import warnings

    import numpy as np
    import pandas as pd

    from trainwell.text.fields import blank_mask

    empty = np.zeros(len(rows), dtype=bool)
    for column in columns:
        empty |= blank_mask(rows[column])
    if not empty.any():
        return predict(rows)
    positions = np.flatnonzero(empty)
    shown = ", ".join(str(position + 1) for position in positions[:5]) + (
        ", ..." if len(positions) > 5 else ""
    )
    if empty.all():
        from trainwell.core.errors import DataError

        raise DataError(
            f"{source}: every text is empty ({len(rows):,} rows); a text model has nothing to read"
        )
    warnings.warn(
        f"{source}: {len(positions)} row{'s' if len(positions) > 1 else ''} with an empty text (data row"
        f"{'s' if len(positions) > 1 else ''} {shown}) left without a prediction",
        UserWarning,
        stacklevel=1,
    )
    answered = predict(rows.iloc[np.flatnonzero(~empty)].reset_index(drop=True))
    answered.index = np.flatnonzero(~empty)
    blanked = answered.reindex(range(len(rows))).reset_index(drop=True)
    # The blank rows' NaN would turn whole-number labels into floats (a 0/1 target written 1.0 and 0.0, a Kaggle
    # submission among them): such columns keep their numbers in pandas' nullable types, blank where unanswered.
    for column in answered.columns:
        if pd.api.types.is_integer_dtype(answered[column]):
            blanked[column] = blanked[column].astype("Int64")
        elif pd.api.types.is_bool_dtype(answered[column]):
            blanked[column] = blanked[column].astype("boolean")
    return blanked
