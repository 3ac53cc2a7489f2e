"""``trainwell.evaluate_table`` from Python: the same evaluation as ``trainwell evaluate`` prints, from a DataFrame
or a file, and bad input refused in one line before any fold trains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import trainwell
from trainwell.cli.evaluate_cmd import evaluate
from trainwell.core.errors import ConfigError, DataError, UserError
from trainwell.evaluate.cv import RowBootstrapCVResult


def _table(n: int = 150) -> pd.DataFrame:
    """A binary target from a number and a category, with noise."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    city = rng.choice(["north", "south", "east"], n)
    score = x + (city == "north") + rng.normal(scale=0.8, size=n)
    return pd.DataFrame({"x": x, "city": city, "y": np.where(score > 0.3, "yes", "no")})


def _command(*args: str) -> str:
    app = typer.Typer()
    app.command("evaluate")(evaluate)
    app.command("noop")(lambda: None)  # two commands, so that "evaluate" is a sub-command as in the real app
    result = CliRunner().invoke(app, ["evaluate", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
def test_a_frame_and_its_file_give_the_numbers_the_command_prints(tmp_path: Path) -> None:
    frame = _table()
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    settings = {"cv": 3, "seed": 1, "epochs": 1, "arch": "mlp"}
    from_frame = trainwell.evaluate_table(frame, target="y", **settings)
    from_file = trainwell.evaluate_table(path, target="y", **settings)
    printed = _command(
        str(path), "--target", "y", "--cv", "3", "--seed", "1", "--epochs", "1", "--arch", "mlp"
    )
    assert from_frame.to_dict() == from_file.to_dict()
    assert str(from_frame) == str(from_file) == printed  # the very table, figure for figure
    assert "3-fold cross-validation (binary, 150 rows)" in printed
    # the figures in the table are the accessors' figures
    accuracy = from_frame.summary()["accuracy"]
    assert f"{accuracy.mean:.4f} ± {accuracy.std:.4f}" in printed
    low, high = from_frame.interval("accuracy")
    assert f"[{low:.4f}, {high:.4f}]" in printed
    assert from_frame.names == ["trainwell", "majority class", "logistic", "HistGradientBoosting"]
    logistic = from_frame.result("logistic").values("accuracy")
    assert from_frame.mean("accuracy", "logistic") == pytest.approx(logistic.mean())
    assert from_frame.archs == ["tabular_mlp"] * 3 and len(from_frame.lrs) == 3
    # the majority class's interval is over its rows, as the table says (the fold loop used to lose it)
    assert isinstance(from_frame.result("majority class"), RowBootstrapCVResult)
    assert "majority class: [low, high] is a 95% bootstrap interval over the 150 validation rows" in printed


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"target": "price"},
            DataError,
            "target column 'price' not found in the table; columns are: x, city, y. Pass --target NAME "
            "(Python: target=).",
        ),
        (
            {"cv": 1},
            ConfigError,
            "--cv must be a whole number of folds of at least 2, got 1; pass e.g. --cv 5",
        ),
        ({"cv": 12}, DataError, "--cv 12 is more than the smallest class count: class 'no' has only 10 rows"),
        (
            {"epochs": 0},
            ConfigError,
            "--epochs must be at least 1, got 0; pass e.g. --epochs 5 or leave it out",
        ),
        (
            {"arch": "resnet18"},
            ConfigError,
            "arch (--arch) 'resnet18' is not an architecture for tables: auto, mlp or gbdt",
        ),
        ({"task": "language_model"}, ConfigError, "--task language_model reads text, not a target column"),
    ],
)
def test_bad_input_is_one_line_before_any_fold_trains(change: dict, error: type, message: str) -> None:
    frame = _table(60)
    frame.loc[frame.index[:50], "y"] = "yes"  # 50 yes, 10 no
    frame.loc[frame.index[50:], "y"] = "no"
    arguments = {"target": "y", "cv": 3, **change}
    with pytest.raises(error) as caught:
        trainwell.evaluate_table(frame, **arguments)
    text = str(caught.value)
    assert isinstance(caught.value, UserError) and "\n" not in text
    assert message in text


def test_a_missing_file_is_named() -> None:
    with pytest.raises(DataError, match=r"data file 'no/such.csv' not found; check the path"):
        trainwell.evaluate_table("no/such.csv", target="y")
