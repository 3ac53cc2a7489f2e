"""Tables on the command line keep every figure: piped output is not cut at rich's assumed 80 columns, and a
terminal too narrow for a table folds its cells onto more lines instead of cutting them with an ellipsis."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console
from rich.table import Table

from trainwell.cli import _common
from trainwell.cli._common import PIPED_WIDTH, fold_cells


def wide_table() -> Table:
    table = Table(title="trials")
    for name in ("trial", "value", "lr", "wd", "epochs", "layers", "dropout", "embedding", "state"):
        table.add_column(name, justify="right")
    table.add_row(
        "12", "0.912345", "0.00312345", "0.0123456", "17", "400,200,100", "0.12345", "ple-16", "COMPLETE"
    )
    return table


def test_a_narrow_terminal_folds_cells_instead_of_cutting_them() -> None:
    cut, folded = io.StringIO(), io.StringIO()
    Console(file=cut, width=50).print(wide_table())
    Console(file=folded, width=50).print(fold_cells(wide_table()))
    assert "…" in cut.getvalue()  # what rich does by default
    assert "…" not in folded.getvalue()
    wide = io.StringIO()
    Console(file=wide, width=300).print(wide_table())
    # Folded cells break figures across lines but lose no character of them.
    kept = sorted(c for c in folded.getvalue() if c.isalnum() or c in ".,-")
    assert kept == sorted(c for c in wide.getvalue() if c.isalnum() or c in ".,-")


def test_output_without_a_terminal_gets_room_and_columns_still_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    for name in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, name, io.StringIO())  # no file descriptor: not a terminal
    assert _common._width() == PIPED_WIDTH
    monkeypatch.setenv("COLUMNS", "90")
    assert _common._width() == 90
