"""Tables on the command line keep every figure: piped output is not cut at rich's assumed 80 columns, and a
terminal too narrow for a table folds its cells onto more lines instead of cutting them with an ellipsis."""

from __future__ import annotations

import io
import sys
from pathlib import Path

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


def test_positive_names_the_class_a_binary_tables_scores_are_of(tmp_path: Path) -> None:
    # fraud/legit: the scores were legit's (the later in sorted order), with no way to ask for fraud's.
    import pandas as pd
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    rows = pd.DataFrame({"x": [float(i % 10) for i in range(80)]})
    rows["status"] = ["fraud" if x > 6 else "legit" for x in rows["x"]]
    rows.to_csv(tmp_path / "t.csv", index=False)
    args = [
        "fit",
        str(tmp_path / "t.csv"),
        "--target",
        "status",
        "--arch",
        "gbdt",
        "--out",
        str(tmp_path / "m"),
    ]
    done = CliRunner().invoke(app, [*args, "--positive", "fraud"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "for 'fraud': it finds " in done.output and "at threshold 0.5" in done.output
    predicted = CliRunner().invoke(app, ["predict", str(tmp_path / "m"), str(tmp_path / "t.csv")])
    assert predicted.stdout.splitlines()[0] == "prediction,probability_fraud"
    refused = CliRunner().invoke(app, [*args, "--positive", "frau"])
    assert refused.exit_code == 2 and "--positive frau is not a class of target 'status'" in refused.output
    texts = CliRunner().invoke(app, [*args, "--text", "status", "--positive", "fraud"])
    assert texts.exit_code == 2 and "--positive is not used by a text classifier" in texts.output
