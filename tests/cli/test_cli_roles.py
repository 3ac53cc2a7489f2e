"""``evaluate`` and ``tune`` take the column roles ``fit`` takes (--cat-names, --cont-names, --ignore), so the
hint "pass it in --cont-names to keep it" works wherever it is printed; ``tune`` takes several targets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from trainwell.data.task import infer_task
from trainwell.tabular.evaluation import TabularFold


def table(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "x": x,
            "noise": rng.normal(size=n),
            "y": x + 0.1 * rng.normal(size=n),
        }
    )


def test_evaluate_folds_keep_a_declared_id_and_ignore_what_they_are_told() -> None:
    frame = table()
    fold = TabularFold(
        frame,
        "y",
        infer_task(frame["y"]),
        ["rmse"],
        epochs=1,
        cont_names=["PassengerId", "x"],
        ignore=["noise"],
    )
    fold(np.arange(80), np.arange(80, 120), 0)
    assert fold.recipes[0].cont_names == ["PassengerId", "x"] and fold.recipes[0].cat_names == []


def test_the_commands_accept_roles_and_tune_several_targets(tmp_path: Path) -> None:
    from trainwell.cli.app import app

    path = tmp_path / "t.csv"
    frame = table()
    frame["z"] = 1000 * frame["x"] + frame["noise"]
    frame.to_csv(path, index=False)
    runner = CliRunner()
    evaluated = runner.invoke(
        app,
        ["evaluate", str(path), "--target", "y", "--cv", "2", "--epochs", "1", "--cont-names", "PassengerId,x",
         "--ignore", "noise,z", "--no-baselines"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    assert "left out of the inputs" not in evaluated.output  # PassengerId was declared, so it is kept
    out = tmp_path / "tuned"
    tuned = runner.invoke(
        app,
        ["tune", str(path), "--target", "y,z", "--trials", "1", "--ignore", "PassengerId", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert tuned.exit_code == 0, tuned.output
    assert json.loads((out / "tuning.json").read_text())["metric"] == "rmse"
    assert json.loads((out / "trainwell.json").read_text())["task"]["target_names"] == ["y", "z"]
