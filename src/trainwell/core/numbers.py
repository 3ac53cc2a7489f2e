"""Numbers as people read them in tables and sentences: a house price in full (``37,880``), not ``37879.5881``
or ``3.788e+04``; a score to 4 decimals; whole numbers from 10,000 up with separators (``12,435``). Nothing here
imports more than :mod:`math` and :mod:`numbers`: the command line's early path may use it."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def amount(value: float) -> str:
    """A number for people: 4 significant digits, or whole with thousands separators from 10,000 up ("500,001",
    not "5e+05"); astronomical values (squared units can run to billions of billions) stay in 4 digits."""
    return f"{value:,.0f}" if math.isfinite(value) and 1e4 <= abs(value) < 1e12 else f"{value:.4g}"


def figure(value: float, decimals: int = 4, signed: bool = False, like: float | None = None) -> str:
    """A metric or a loss as a table shows it: ``decimals`` places below 10,000 (``0.8436``), whole with
    thousands separators from there (``37,880``: decimals of a price are noise); ``signed`` writes ``+`` too.
    ``like``: the number ``value`` stands beside (a mean for its spread, a score for a difference of two), whose
    size sets the decimals for both: ``37,880 ± 1,898``, not ``37,880 ± 1897.6616``.

    Example:
        >>> figure(0.84361), figure(-0.00001), figure(-0.0, signed=True), figure(37880.4, like=1.0)
        ('0.8436', '0.0000', '+0.0000', '37,880')
    """
    sign = "+" if signed else ""
    size = abs(value) if like is None or not math.isfinite(like) else max(abs(value), abs(like))
    if math.isfinite(value) and round(value, decimals) == 0:
        # -0.00001 (a constant's R² in one fold) is written as zero, not -0.0000: a zero has no sign
        value = 0.0
    if math.isfinite(value) and size >= 1e4:
        if round(value) == 0:  # -0.4 beside 51,690 is written 0, not -0 (a zero has no sign)
            value = 0.0
        return f"{value:{sign},.0f}" if abs(value) < 1e12 else f"{value:{sign}.4g}"
    return f"{value:{sign}.{decimals}f}"


def format_epochs(epochs: float) -> str:
    """A number of epochs for people: one decimal (``"2.3"``), and below one tenth of an epoch one significant
    digit or two (``"0.03"``, ``"0.008"``), where one decimal would say ``"0.0"`` of a fit that trained.

    Example:
        >>> format_epochs(2.31), format_epochs(0.31), format_epochs(0.0302), format_epochs(0.0084), format_epochs(3)
        ('2.3', '0.3', '0.03', '0.008', '3.0')
    """
    if 0 < epochs < 0.095:
        return f"{epochs:.2g}" if epochs >= 0.01 else f"{epochs:.1g}"
    return f"{epochs:.1f}"


def format_value(value: Any, grouped: bool = False, real: Callable[[float], str] | None = None) -> str:
    """A table's cell, alike in the HTML report and the command line's tables: whole numbers from 10,000 up with
    thousands separators (a class's 12,435 rows), below that as they are (a year, 2009; an epoch); other numbers
    by ``real`` (default :func:`amount`, 4 significant digits: the report; the command line passes
    :func:`figure`, 4 decimals); anything else as its text (``None``, NaN read back from JSON: an empty cell).
    ``grouped``: the number stands in a column that reaches 10,000 (:func:`grouped_columns`), so from 1,000 up
    it is written whole with separators too, 3,846 under 12,435, not 3846.

    Example:
        >>> format_value(12435), format_value(3846), format_value(3846, grouped=True), format_value(2009)
        ('12,435', '3846', '3,846', '2009')
    """
    if value is None:  # NaN read back from JSON (an epoch with no training batches has no train loss)
        return ""
    if isinstance(value, bool):
        return str(value)
    if (
        grouped
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
        and 1e3 <= abs(float(value)) < 1e12
    ):
        return f"{int(value):,}" if isinstance(value, numbers.Integral) else f"{float(value):,.0f}"
    if isinstance(value, numbers.Integral):  # numpy's whole numbers too
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, numbers.Real):
        return "" if math.isnan(value) else (real or amount)(float(value))
    return str(value)


def reaches_ten_thousand(value: Any) -> bool:
    """Whether ``value`` is a number :func:`format_value` writes with thousands separators of itself."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 1e4 <= abs(float(value)) < 1e12
    )


def grouped_columns(rows: Iterable[Sequence[Any]]) -> set[int]:
    """The columns of ``rows`` holding a number from 10,000 up, whose numbers from 1,000 up :func:`format_value`
    writes with separators too (``grouped=True``), so that a column's numbers read alike."""
    return {column for row in rows for column, value in enumerate(row) if reaches_ten_thousand(value)}
