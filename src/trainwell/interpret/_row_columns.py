"""Which columns of a table's rows a top-losses table shows, and the rule that chose them.

A table of twenty columns has room for four beside each top loss. The first four in file order (age, job,
marital, education on the bank data) left out ``duration``, the column behind every one of those errors. The
columns shown are now the ones the caller names (a list of names, or the result of
``trainwell.permutation_importance``: its columns, most important first), or else the columns whose values in
these rows lie furthest from the rest: a number by its mean ``|z|`` (its distance from the mean of every row
interpreted, in standard deviations), a category by how rare its value is, as the same ``|z|`` (a value that
5% of rows hold counts as 1.96, as rare as a number 1.96 standard deviations out), each less the column's usual
value over every row. Cheap (no model call), and said under the table, so that a reader knows the columns were
picked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from trainwell.core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

#: A category holding more distinct values than this share of the rows is an identifier or a free text: every
#: value is rare, so rarity says nothing of the row; it is ranked last.
MOST_DISTINCT_SHARE = 0.5


def given_columns(columns: Any) -> list[str] | None:
    """``columns`` as names: ``None``; names; or items with a ``column`` (``permutation_importance``'s)."""
    if columns is None:
        return None
    if isinstance(columns, str):
        return [columns]
    if not isinstance(columns, Iterable):
        raise ConfigError(
            f"columns must be column names or the result of permutation_importance, got {type(columns).__name__}"
        )
    return [str(getattr(item, "column", item)) for item in columns]


def shown_columns(
    top: pd.DataFrame,
    candidates: Sequence[Any],
    most: int,
    *,
    reference: pd.DataFrame | None = None,
    columns: Any = None,
) -> tuple[list[Any], str]:
    """The columns of ``top`` (the top-loss rows) to show, at most ``most`` of ``candidates``, and the sentence
    saying how they were chosen ("" when every candidate fits and none were named).

    Args:
        top: the top-loss rows, with the candidate columns.
        candidates: the columns of the rows as read, in file order.
        most: how many fit the table.
        reference: every row interpreted (what "stands out" is measured against); ``None``: the top rows alone.
        columns: the caller's choice (names, or ``permutation_importance``'s result, most important first).
    """
    named = given_columns(columns)
    by_name = {str(column): column for column in candidates}
    if named is not None:
        unknown = [name for name in named if name not in by_name]
        known = [by_name[name] for name in named if name in by_name]
        if unknown and not known:
            raise ConfigError(
                f"columns {', '.join(map(repr, unknown))} are not columns of these rows; they have: "
                f"{', '.join(map(str, candidates))}"
            )
        chosen = known[:most]
        importance = columns is not None and not isinstance(columns, str) and _is_importance(columns)
        rule = "by permutation importance" if importance else "as asked"
        return chosen, f"columns: {len(chosen)} of {len(candidates)}, {rule}"
    if len(candidates) <= most:
        return list(candidates), ""
    base = reference if reference is not None else top
    scores = {column: _stand_out(top[column], base[column]) for column in candidates if column in base}
    ranked = sorted(candidates, key=lambda column: -scores.get(column, 0.0))  # stable: ties keep file order
    n_rows = len(base)
    return ranked[:most], (
        f"columns: the {most} of {len(candidates)} whose values here stand out most from all {n_rows:,} rows "
        "(mean |z|; a category: its rarity)"
    )


def _is_importance(columns: Any) -> bool:
    items = list(columns)
    return bool(items) and all(hasattr(item, "column") and hasattr(item, "importance") for item in items)


def _stand_out(values: pd.Series, reference: pd.Series) -> float:
    """How much further ``values`` lie from ``reference`` than its rows do on average: a number's mean ``|z|``,
    a category's mean rarity as a ``|z|``, less the same over ``reference`` (a column of twelve categories has
    every value rare-ish, so its plain rarity ranked it above a number far out)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(reference):
        numbers = pd.to_numeric(reference, errors="coerce")
        spread = float(numbers.std())
        if not math.isfinite(spread) or spread == 0:
            return 0.0
        centre = float(numbers.mean())
        z = ((pd.to_numeric(values, errors="coerce") - centre) / spread).abs()
        usual = ((numbers - centre) / spread).abs().mean()
        return float(z.mean() - usual) if z.notna().any() else 0.0
    text = reference.astype(str)
    if text.nunique() > MOST_DISTINCT_SHARE * len(text):
        return -math.inf  # an identifier or a free text: ranked after every column that says something
    shares = text.value_counts(normalize=True)
    normal = NormalDist()

    def rarity(share: float) -> float:  # a value held by 5% of the rows: 1.96
        return normal.inv_cdf(1 - min(share, 1.0) / 2)

    seen = [rarity(float(shares.get(value, 0.0)) or 1 / (len(text) + 1)) for value in values.astype(str)]
    usual = sum(share * rarity(float(share)) for share in shares)
    return sum(seen) / len(seen) - usual if seen else 0.0
