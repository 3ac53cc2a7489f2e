"""A number option given a value that is no number is one line echoing the value and showing one that is read
(tour T47: ``--lr abc`` said "Input should be a valid number, unable to parse string as a number")."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainwell.cli.app import app


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "250"})
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize(
    ("command", "given", "said"),
    [
        ("fit", ["--lr", "abc"], "--lr 'abc' is not a number; write e.g. 3e-3"),
        ("fit", ["--lr", "1_0"], "--lr '1_0' is not a number; write e.g. 3e-3"),
        ("fit", ["--valid-pct", ""], "--valid-pct '' is not a number; write e.g. 0.2"),
        ("fit", ["--epochs", "x"], "--epochs 'x' is not a number; write e.g. 10"),
        ("fit", ["--epochs", "2.5"], "--epochs '2.5' is not a whole number; write e.g. 10"),
        ("fit", ["--epochs", "1e1"], "--epochs '1e1' is not written as a whole number; write e.g. 10"),
        ("evaluate", ["--cv", "five"], "--cv 'five' is not a number; write e.g. 5"),
        ("evaluate", ["--epochs", "inf"], "--epochs 'inf' is not a whole number; write e.g. 10"),
    ],
)
def test_a_number_option_that_is_no_number_is_refused_echoing_it(
    tmp_path: Path, command: str, given: list[str], said: str
) -> None:
    # Refused as the command line is read: the missing file is not reached.
    code, text = invoke(command, tmp_path / "missing.csv", "--target", "y", *given)
    assert code == 2 and said in text, text
    assert "Input should be" not in text and "missing.csv" not in text


def test_numbers_the_options_read_pass_on(tmp_path: Path) -> None:
    for given in (["--epochs", "2.0"], ["--lr", "1E-3"], ["--epochs", " 2"]):
        code, text = invoke("fit", tmp_path / "missing.csv", "--target", "y", *given)
        assert code == 2 and "missing.csv' not found" in text, text
