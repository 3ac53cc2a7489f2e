"""The column of texts of a table when ``text_col=`` is left out: ``text`` when there is one, else the column of
free text, found as ``trainwell fit`` finds it (SST-2's ``sentence`` beside ``label``), and said in a note."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trainwell.core.errors import DataError
from trainwell.core.warn import Note, warn

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_TEXT_COL", "FREE_TEXT_WORDS", "found_text_col"]

#: The column read as the texts, when there is one and ``text_col=`` is left out.
DEFAULT_TEXT_COL = "text"
#: A column of text whose median value has this many words or more, and different in most rows, is free text
#: (as a table's reader calls it: ``trainwell fit`` then trains a text model on it).
FREE_TEXT_WORDS = 6
#: The share of a free-text column's rows that hold a value of their own.
DISTINCT_SHARE = 0.5


def found_text_col(
    frame: pd.DataFrame, targets: Sequence[str], valid_col: str | None, what: str
) -> str | list[str]:
    """The text column(s) of ``frame`` when ``text_col=`` is left out: ``text``; else its one column of free text
    (:data:`FREE_TEXT_WORDS` words or more in its median row, different in most rows), or its columns of free text
    when they are all it holds besides ``targets`` and ``valid_col`` (a pair of sentences, read as one example);
    else its one column of text. Said in a :class:`~trainwell.core.warn.Note` naming it; refused in one line,
    naming the columns, when none or several could be meant (``what``: the table, for the messages)."""
    columns = [str(column) for column in frame.columns]
    if DEFAULT_TEXT_COL in columns:
        return DEFAULT_TEXT_COL
    others = [column for column in columns if column not in targets and column != valid_col]
    texts = [column for column in others if _is_text(frame[column])]
    free = [column for column in texts if _is_free_text(frame[column])]
    shown = ", ".join(columns[:30])
    if len(free) == 1 or (len(free) > 1 and free == others):
        said = (
            f"column '{free[0]}' is free text"
            if len(free) == 1
            else f"columns {' and '.join(repr(name) for name in free)} are free text and the table's only inputs, "
            "each row's texts read as one example"
        )
        chosen: str | list[str] = free[0] if len(free) == 1 else free
    elif not free and len(texts) == 1:
        said, chosen = f"column '{texts[0]}' is the table's one column of text", texts[0]
    elif free:
        raise DataError(
            f"{what} has no column 'text' and {len(free)} columns of free text ({', '.join(free)}): name the one to "
            f"read with text_col= (--text NAME), or several for each row's texts as one example "
            f"(text_col={free!r})"
        )
    else:
        raise DataError(
            f"{what} has no column 'text' and no column of free text to read as the texts; columns are: {shown}. "
            "Pass text_col=NAME (--text NAME)"
        )
    written = chosen if isinstance(chosen, str) else ",".join(chosen)
    warn(f"{what}: {said}, read as the texts (as text_col={chosen!r}; --text {written})", Note)
    return chosen


def _is_text(values: pd.Series) -> bool:
    """A column of strings that are not all numbers (codes read as text are no texts to learn from)."""
    import pandas as pd

    if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        return False
    present = values.dropna().head(1000)
    strings = present[present.map(lambda value: isinstance(value, str))]
    if not len(strings):
        return False
    return bool(pd.to_numeric(strings, errors="coerce").isna().any())


def _is_free_text(values: pd.Series) -> bool:
    present = values.dropna().astype(str).head(1000)
    if not len(present):
        return False
    words: Any = present.str.split().str.len().median()
    return float(words) >= FREE_TEXT_WORDS and present.nunique() >= DISTINCT_SHARE * len(present)
