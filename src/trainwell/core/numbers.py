"""Numbers as people read them in tables and sentences: a house price in full (``37,880``), not ``37879.5881``
or ``3.788e+04``; a score to 4 decimals. Nothing here imports more than :mod:`math`."""

from __future__ import annotations

import math


def amount(value: float) -> str:
    """A number for people: 4 significant digits, or whole with thousands separators from 10,000 up ("500,001",
    not "5e+05"); astronomical values (squared units can run to billions of billions) stay in 4 digits."""
    return f"{value:,.0f}" if math.isfinite(value) and 1e4 <= abs(value) < 1e12 else f"{value:.4g}"


def figure(value: float, decimals: int = 4, signed: bool = False, like: float | None = None) -> str:
    """A metric or a loss as a table shows it: ``decimals`` places below 10,000 (``0.8436``), whole with
    thousands separators from there (``37,880``: decimals of a price are noise); ``signed`` writes ``+`` too.
    ``like``: the number ``value`` stands beside (a mean for its spread, a score for a difference of two), whose
    size sets the decimals for both: ``37,880 ± 1,898``, not ``37,880 ± 1897.6616``."""
    sign = "+" if signed else ""
    size = abs(value) if like is None or not math.isfinite(like) else max(abs(value), abs(like))
    if math.isfinite(value) and size >= 1e4:
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
