"""``trainwell demo`` says what ``--arch auto`` compared, in the line ``trainwell fit`` prints."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from trainwell.cli._show import compared_line
from trainwell.cli.app import app


def test_the_compared_line_names_both_losses_and_the_one_kept() -> None:
    run = SimpleNamespace(
        compared={"tabular_mlp": {"valid_loss": 0.41234}, "gbdt": {"valid_loss": 0.38771}}, arch="gbdt"
    )
    assert compared_line(run) == (
        "--arch auto: validation loss the MLP 0.4123, boosted trees 0.3877 on the same rows; kept boosted trees "
        "(--arch mlp fits the other; trainwell evaluate compares them on folds)"
    )
    prices = SimpleNamespace(  # squared errors of prices: 4 digits as the tables write them, not 2.5e+09
        compared={"tabular_mlp": {"valid_loss": 2.5e9}, "gbdt": {"valid_loss": float("nan")}},
        arch="tabular_mlp",
    )
    said = compared_line(prices)
    assert said.startswith("--arch auto: validation loss the MLP 2.500e9, boosted trees nan on the same rows")
    assert "kept the MLP (--arch gbdt fits the other;" in said


def test_demo_says_what_auto_compared(tmp_path: Path) -> None:
    out = tmp_path / "demo-model"
    done = CliRunner().invoke(app, ["demo", "--out", str(out)], env={"COLUMNS": "250"})
    assert done.exit_code == 0, done.output
    metadata = json.loads((out / "trainwell.json").read_text(encoding="utf-8"))
    compared = metadata["training"]["compared"]
    kept = {"tabular_mlp": "the MLP", "gbdt": "boosted trees"}[metadata["architecture"]["name"]]
    said = " ".join(done.output.split())
    assert (
        f"--arch auto: validation loss the MLP {compared['tabular_mlp']['valid_loss']:.4f}, boosted trees "
        f"{compared['gbdt']['valid_loss']:.4f} on the same rows; kept {kept}"
    ) in said
