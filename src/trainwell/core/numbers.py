"""Numbers as people read them in tables and sentences: a house price in full (``37,880``), not ``37879.5881``
or ``3.788e+04``; a score to 4 decimals; whole numbers from 10,000 up with separators (``12,435``); a loss or a
metric from 10 million up in 4 significant digits and a power of ten (``1.955e9``, not ``1,954,587,831``: a
float32 holds about 7 digits, and 13 characters wrap a table's line). Nothing here imports more than :mod:`math`
and :mod:`numbers`: the command line's early path may use it."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

COMPACT_FROM = 1e7
"""From here up a number that is not a count is written compact (:func:`compact`): ``1.955e9``. Below it every
digit a float32 holds is shown whole (``9,999,999``), a house price (``500,001``) among them."""


def compact(value: float, like: float | None = None, signed: bool = False) -> str:
    """``value`` as 4 significant digits and a power of ten, written ``1.955e9`` alike in the command line's
    tables, the HTML report and sentences (no ``+`` nor leading zero in the exponent: ``e9``, not ``e+09``).
    ``like``: the number ``value`` stands beside (a mean for its spread, an interval's other bound), the larger of
    the two setting the power of ten of both: ``1.955e9 ± 0.012e9``, ``[1.795e9, 2.118e9]``. Always 4 digits
    (``2.000e9`` under ``1.955e9``, ``5.000e8`` beside ``2.803e8``, not ``2e9``), alike in a table and a sentence.
    ``signed`` writes ``+`` too; a mantissa rounded to zero has no sign (``0.000e9``, not ``-0.000e9``).

    Example:
        >>> compact(1954587831.0), compact(12_000_000, like=1954587831.0), compact(419355268.4, signed=True)
        ('1.955e9', '0.012e9', '+4.194e8')
        >>> compact(-3.2e15), compact(9.99971e9), compact(-400.0, like=2.1e9)
        ('-3.200e15', '1.000e10', '0.000e9')
    """
    size = abs(value) if like is None or not math.isfinite(like) else max(abs(value), abs(like))
    if not math.isfinite(value) or size == 0:
        return f"{value:{'+' if signed else ''}.4g}"
    exponent = math.floor(math.log10(size))
    if round(size / 10.0**exponent, 3) >= 10:  # 9.9997e9 is 1.000e10, not 10.000e9
        exponent += 1
    mantissa = value / 10.0**exponent
    if round(mantissa, 3) == 0:
        mantissa = 0.0
    return f"{mantissa:{'+' if signed else ''}.3f}e{exponent}"


def amount(value: float, like: float | None = None) -> str:
    """A number for people: 4 significant digits, or whole with thousands separators from 10,000 up ("500,001",
    not "5e+05"); from 10 million up (squared units can run to billions of billions) 4 significant digits again,
    compact (:func:`compact`: "1.955e9", "2.500e13", as :func:`figure` writes them). ``like``: the number
    ``value`` stands beside (a loss that fell from ``like`` to ``value``, the other end of a range), compact with
    it when either is, each in its own 4 digits: "2.826e9 -> 9.980e8", "1.200e1 to 2.000e7" (a range keeps its
    low end, where a shared power of ten would write 12 as 0.000e7), never one compact and one whole.

    Example:
        >>> amount(0.123456), amount(97641.2), amount(1954587831.0), amount(2.5e13), amount(0.52, like=0.9)
        ('0.1235', '97,641', '1.955e9', '2.500e13', '0.52')
        >>> amount(9_980_000.0, like=2.826e9), amount(9_980_000.0), amount(12.0, like=2e7)
        ('9.980e6', '9,980,000', '1.200e1')
    """
    size = abs(value) if like is None or not math.isfinite(like) else max(abs(value), abs(like))
    if math.isfinite(value) and size >= COMPACT_FROM:
        return compact(value)
    # from 9,999.5, which 4 significant digits would round to "1e+04"
    return f"{value:,.0f}" if math.isfinite(value) and abs(value) >= 9_999.5 else f"{value:.4g}"


def figure(value: float, decimals: int = 4, signed: bool = False, like: float | None = None) -> str:
    """A metric or a loss as a table shows it: ``decimals`` places below 10,000 (``0.8436``), whole with
    thousands separators from there (``37,880``: decimals of a price are noise), and from 10 million up compact,
    4 significant digits (:func:`compact`: ``1.955e9``, not ``1,954,587,831``); ``signed`` writes ``+`` too.
    ``like``: the number ``value`` stands beside (a mean for its spread, a score for a difference of two, an
    interval's other bound), whose size sets the form for both: ``37,880 ± 1,898``, not ``37,880 ± 1897.6616``;
    ``1.955e9 ± 0.012e9``, never one compact and one whole.

    Example:
        >>> figure(0.84361), figure(-0.00001), figure(-0.0, signed=True), figure(37880.4, like=1.0)
        ('0.8436', '0.0000', '+0.0000', '37,880')
        >>> figure(1954587831.2), figure(11987654.3, like=1954587831.2), figure(9_999_999.4)
        ('1.955e9', '0.012e9', '9,999,999')
    """
    sign = "+" if signed else ""
    size = abs(value) if like is None or not math.isfinite(like) else max(abs(value), abs(like))
    if math.isfinite(value) and round(value, decimals) == 0:
        # -0.00001 (a constant's R² in one fold) is written as zero, not -0.0000: a zero has no sign
        value = 0.0
    if math.isfinite(value) and size >= COMPACT_FROM:
        return compact(value, like=size, signed=signed)
    if math.isfinite(value) and size >= 1e4:
        if round(value) == 0:  # -0.4 beside 51,690 is written 0, not -0 (a zero has no sign)
            value = 0.0
        return f"{value:{sign},.0f}"
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
    thousands separators, however large (a class's 12,435 rows, 25,000,000 interactions: a count is exact),
    below that as they are (a year, 2009; an epoch); other numbers by ``real`` (default :func:`amount`, 4
    significant digits: the report; the command line passes :func:`figure`, 4 decimals), both compact from 10
    million up (``1.955e9``); anything else as its text (``None``, NaN read back from JSON: an empty cell).
    ``grouped``: the number stands in a column that reaches 10,000 (:func:`grouped_columns`), so from 1,000 up
    it is written whole with separators too, 3,846 under 12,435, not 3846 (a fraction below 10 million only).

    Example:
        >>> format_value(12435), format_value(3846), format_value(3846, grouped=True), format_value(2009)
        ('12,435', '3846', '3,846', '2009')
        >>> format_value(25_000_000), format_value(1954587831.2, grouped=True), format_value(3846.2, grouped=True)
        ('25,000,000', '1.955e9', '3,846')
    """
    if value is None:  # NaN read back from JSON (an epoch with no training batches has no train loss)
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):  # numpy's whole numbers too
        return f"{int(value):,}" if abs(int(value)) >= (1e3 if grouped else 1e4) else str(int(value))
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return ""
        text = (real or amount)(float(value))
        # Grouped, but not where ``real`` writes it compact beside a larger figure (0.916e7 [0.807e7, 1.024e7])
        if grouped and math.isfinite(value) and 1e3 <= abs(float(value)) < COMPACT_FROM and "e" not in text:
            return f"{float(value):,.0f}"
        return text
    return str(value)


def reaches_ten_thousand(value: Any) -> bool:
    """Whether ``value`` is a number from 10,000 up, which :func:`format_value` writes whole with thousands
    separators of itself (or, a fraction from 10 million up, compact: ``1.955e9``)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(float(value)) >= 1e4
    )


def grouped_columns(rows: Iterable[Sequence[Any]]) -> set[int]:
    """The columns of ``rows`` holding a number from 10,000 up, whose numbers from 1,000 up :func:`format_value`
    writes with separators too (``grouped=True``), so that a column's numbers read alike."""
    return {column for row in rows for column, value in enumerate(row) if reaches_ten_thousand(value)}
