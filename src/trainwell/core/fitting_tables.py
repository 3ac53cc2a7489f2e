"""Tables of figures with intervals printed so that they stay readable in the terminal they are printed to.

A table of figures and intervals (``0.8438 [0.8382, 0.8858]``) is as wide as its columns' longest cells; in a
terminal narrower than that (80 columns, or 100 in a pipe or a log), rich folds each cell within its column and
an interval breaks after its comma, or a header mid-word (``HistGradien`` / ``tBoosting``), one figure on two
lines in every cell. :func:`print_fitting` prints such a table as it is where it fits, and otherwise the narrower
form its caller draws for it (the interval on its own line under its figure, or one row per model and metric),
each figure whole on its line. rich is imported inside the functions: importing this module is free.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Width at which a table is measured unwrapped: wider than any terminal.
_UNBOUNDED = 10_000


def natural_width(table: Any, console: Any) -> int:
    """The columns ``table`` (a rich ``Table``) takes with no cell wrapped, its borders and padding included."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(_UNBOUNDED), table).maximum


def print_fitting(console: Any, wide: Any, narrow: Callable[[], Any]) -> None:
    """Print ``wide`` (a rich ``Table``) on ``console`` when it fits the console's width with no cell wrapped;
    else the table ``narrow`` draws, whose cells may still fold within their column where even it is wider than
    the terminal (no figure is cut with "…")."""
    if natural_width(wide, console) <= console.width:
        console.print(wide)
        return
    table = narrow()
    for column in table.columns:
        column.overflow = "fold"
    console.print(table)
