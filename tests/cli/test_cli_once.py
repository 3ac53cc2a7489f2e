"""An option that takes one value, given twice with different values, is refused before the command runs (click
would keep the last silently: ``--target a --target b`` trains on b with a as an input); repeatable options
still repeat."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from cli_support import binary_table
from typer.testing import CliRunner

from trainwell.cli.app import app

ENV = {"COLUMNS": "250"}


def invoke(*args: str | Path) -> tuple[int, str]:
    """Exit code and the output, its lines joined (typer frames a usage error in a box)."""
    result = CliRunner().invoke(app, [str(arg) for arg in args], env=ENV)
    text = " ".join(result.output.replace("│", " ").split())
    return result.exit_code, text


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    binary_table(n_rows=200).to_csv(path, index=False)
    return path


def test_a_target_given_twice_is_refused_before_anything_runs(table: Path, tmp_path: Path) -> None:
    code, said = invoke("fit", table, "--target", "y", "--target", "x1", "--out", tmp_path / "m")
    assert code == 2
    assert "--target was given twice ('y' and 'x1') but takes a single value: give --target once" in said
    assert not (tmp_path / "m").exists()


def test_every_spelling_counts_and_the_first_repeated_option_is_named(table: Path) -> None:
    code, said = invoke("fit", table, "--target=y", "--epochs", "2", "--target", "x1", "--epochs", "3")
    assert code == 2
    assert "--target was given twice ('y' and 'x1')" in said and "--epochs" not in said
    code, said = invoke("fit", table, "--target", "y", "--seed", "1", "--seed", "2", "--seed", "3")
    assert code == 2 and "--seed was given 3 times ('1', '2' and '3')" in said


def test_a_flag_and_its_negation_together_are_refused(table: Path) -> None:
    code, said = invoke("fit", table, "--target", "y", "--label-thresholds", "--no-label-thresholds")
    assert code == 2
    assert (
        "--label-thresholds was given twice (--label-thresholds and --no-label-thresholds) but takes a single "
        "value: give --label-thresholds or --no-label-thresholds once"
    ) in said


def test_the_first_problem_on_the_line_is_the_one_reported(table: Path) -> None:
    code, said = invoke("fit", table, "--nope", "3", "--target", "y", "--target", "x1")
    assert code == 2 and "No such option: --nope" in said and "given twice" not in said
    code, said = invoke("fit", table, "--target", "y", "--target", "x1", "--nope", "3")
    assert code == 2 and "--target was given twice" in said and "--nope" not in said


def test_every_command_refuses_its_single_value_options_given_twice() -> None:
    group = typer.main.get_command(app)
    checked = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        single = [
            param
            for param in command.params
            if param.param_type_name == "option" and not param.is_flag and not param.multiple
        ]
        if not single:
            continue
        option = single[0].opts[0]
        # Refused before the command parses: no positional argument or valid value is needed.
        code, said = invoke(name, option, "1", option, "2")
        assert code == 2, (name, said)
        assert f"{option} was given twice ('1' and '2') but takes a single value: give {option} once" in said
        checked.append(name)
    assert {"fit", "evaluate", "predict", "export", "tune", "serve", "report", "demo"} <= set(checked)


def test_the_same_value_twice_loses_nothing_and_is_accepted(table: Path, tmp_path: Path) -> None:
    same = ["--target", "y", "--target", "y"]
    code, said = invoke("fit", table, *same, "--arch", "mlp", "--epochs", "1", "--out", tmp_path / "m")
    assert code == 0, said
    assert (tmp_path / "m" / "trainwell.json").is_file()


def test_repeatable_options_still_repeat(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    code, said = invoke(
        "fit", table, "--target", "y", "--arch", "mlp", "--epochs", "1", "--metric", "accuracy", "--metric",
        "log_loss", "--out", out,
    )  # fmt: skip
    assert code == 0, said
    history = pd.read_csv(out / "history.csv")
    assert {"accuracy", "log_loss"} <= set(history.columns)
    # --search and --date-format too: the command runs and stops on the missing file, not on the repetition
    code, said = invoke(
        "tune", tmp_path / "missing.csv", "--target", "y", "--search", "epochs=1:2", "--search", "lr=0.01"
    )
    assert code == 2 and "missing.csv" in said and "given twice" not in said
    code, said = invoke(
        "fit", tmp_path / "missing.csv", "--target", "y", "--date-format", "a=DD/MM/YYYY", "--date-format",
        "b=YYYY-MM-DD",
    )  # fmt: skip
    assert code == 2 and "missing.csv" in said and "given twice" not in said


@pytest.mark.parametrize(
    ("command", "option"),
    [("fit", "--lr"), ("fit", "--valid-pct"), ("tune", "--valid-pct"), ("lr-find", "--valid-pct")],
)
def test_nan_for_a_number_option_is_refused_naming_it(
    table: Path, tmp_path: Path, command: str, option: str
) -> None:
    # fit --lr nan passed click's range check (NaN compares false) and failed in "Checkpoint settings must be a
    # dict of plain values ... got {'target': 'income', 'lr': nan, ...}", naming neither the option nor the fix.
    code, said = invoke(command, table, "--target", "y", option, "NaN", "--out", tmp_path / "m")
    assert code == 2 and f"{option} 'NaN' is not a number; write e.g. " in said, said
    assert not (tmp_path / "m").exists()
