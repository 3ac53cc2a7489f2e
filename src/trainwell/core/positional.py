"""The refusal of more values by position than a one-call function reads that way.

Every data builder and one-call pipeline takes the data, then the column to predict, by position
(``fit_table(df, "income")``, ``fit_texts(df, "sentiment", text_col="review")``, ``ratings_data(df, "stars")``),
and everything else by keyword. A third value by position gave Python's bare ``TypeError: fit_texts() takes
from 1 to 2 positional arguments but 3 were given``, which names neither what was read nor the keyword meant:
:func:`refuse_extra_positional` says both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainwell.core.errors import ConfigError

__all__ = ["refuse_extra_positional"]


def refuse_extra_positional(
    function: str, extra: Sequence[Any], by_position: Sequence[str], keywords: Sequence[str]
) -> None:
    """Refuse the values ``function`` received by position past ``by_position`` (its ``*extra``), naming the
    keywords likely meant.

    >>> refuse_extra_positional("fit_tagger", ("tags",), ("source",), ("tag_col", "valid"))
    Traceback (most recent call last):
    ...
    trainwell.core.errors.ConfigError: fit_tagger takes 1 value by position (source), got 2 ('tags' after it); pass tag_col=, valid= and the other settings by keyword, e.g. fit_tagger(source, tag_col=..., valid=...)

    >>> refuse_extra_positional("fit_texts", ("income",), ("source", "target"), ("text_col",))
    Traceback (most recent call last):
    ...
    trainwell.core.errors.ConfigError: fit_texts takes 2 values by position (source, target), got 3 ('income' after them); pass text_col= and the other settings by keyword, e.g. fit_texts(source, target, text_col=...)
    """
    if not extra:
        return
    shown = ", ".join(_shown(value) for value in extra)
    example = ", ".join([*by_position, *(f"{keyword}=..." for keyword in keywords)])
    values, them = ("value", "it") if len(by_position) == 1 else ("values", "them")
    raise ConfigError(
        f"{function} takes {len(by_position)} {values} by position ({', '.join(by_position)}), got "
        f"{len(by_position) + len(extra)} ({shown} after {them}); pass "
        f"{''.join(f'{keyword}=, ' for keyword in keywords[:-1])}{keywords[-1]}= and the other settings by keyword, e.g. "
        f"{function}({example})"
    )


def _shown(value: Any) -> str:
    """A value as the message names it: its repr when short (``'review'``, ``3``), else its type (a DataFrame)."""
    text = repr(value)
    return text if len(text) <= 40 and "\n" not in text else type(value).__name__
