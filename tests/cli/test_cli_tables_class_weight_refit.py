"""fit's --class-weight balanced and --refit-full for tables (tour58 #4, #2), and the line that says which epoch's
weights a table's MLP kept (#8)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from cli_support import binary_table, run_cli_many


def test_class_weights_refit_and_the_kept_epoch_are_said_and_recorded(tmp_path: Path) -> None:
    table, test = tmp_path / "t.csv", tmp_path / "test.csv"
    binary_table().to_csv(table, index=False)
    binary_table(seed=1, n_rows=200).to_csv(test, index=False)
    overfit = ("--arch", "mlp", "--epochs", "8", "--lr", "0.3", "--seed", "0")
    mlp, trees, numbers, unknown = run_cli_many([
        ("fit", table, "--target", "y", *overfit, "--refit-full", "--test", test, "--out", tmp_path / "mlp"),
        ("fit", table, "--target", "y", "--arch", "gbdt", "--class-weight", "balanced", "--out", tmp_path / "gbdt"),
        ("fit", table, "--target", "x1", "--class-weight", "balanced", "--out", tmp_path / "numbers"),
        ("fit", table, "--target", "y", "--class-weight", "even", "--out", tmp_path / "unknown"),
    ])  # fmt: skip
    assert mlp.returncode == 0, mlp.explain()
    history = json.loads((tmp_path / "mlp" / "trainwell.json").read_text())["training"]["history"]
    assert all(
        row.get("valid_loss") is None for row in history
    )  # the refit model's own epochs: no validation
    said = mlp.stdout + mlp.stderr
    refit = [line for line in mlp.stdout.splitlines() if line.startswith("refit on all")]
    assert len(refit) == 1 and refit[0].startswith("refit on all 400 rows with ")
    # said once, under the validation table (fit_table says it on stderr for a Python caller)
    assert not [line for line in mlp.stderr.splitlines() if line.startswith("refit on all")]
    assert refit[0].endswith(
        "; its validation figures above are from the model trained on 320 rows; the test figures are the refit "
        "model's"
    )
    kept = [line for line in said.splitlines() if line.startswith("kept epoch")]
    epochs = int(refit[0].split(" with ")[1].split(" epoch")[0])
    if kept:  # the validation loss rose after its low: the refit trains for the kept epoch's count
        assert kept[0].startswith(f"kept epoch {epochs}'s weights (validation loss ")
    assert "test set (200 rows):" in mlp.stdout
    assert trees.returncode == 0, trees.explain()
    written = json.loads((tmp_path / "gbdt" / "trainwell.json").read_text())
    assert written["architecture"]["config"]["settings"]["class_weight"] == "balanced"
    assert numbers.returncode == 2 and len(numbers.stderr_lines) == 1, numbers.explain()
    assert "--class-weight balanced weighs the classes of a target with one class a row" in numbers.stderr
    assert "drop --class-weight" in numbers.stderr and not (tmp_path / "numbers").exists()
    assert unknown.returncode == 2 and "--class-weight even is not known" in unknown.stderr


def test_the_mlp_kept_epoch_is_the_one_written(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    frame = binary_table(n_rows=400)
    frame["y"] = np.where(np.random.default_rng(5).random(400) < 0.3, "yes", frame["y"])  # noise to overfit
    frame.to_csv(table, index=False)
    (fit,) = run_cli_many([
        ("fit", table, "--target", "y", "--arch", "mlp", "--epochs", "10", "--lr", "0.3", "--out", tmp_path / "m")
    ])  # fmt: skip
    assert fit.returncode == 0, fit.explain()
    training = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]
    losses = [row["valid_loss"] for row in training["history"]]
    best = int(np.argmin(losses))
    assert training["final"]["valid_loss"] == min(losses)
    assert (
        best < len(losses) - 1
    )  # the rate overfits these rows: the test can tell the kept epoch from the last
    assert training["weights_from_epoch"] == best + 1
    assert (
        f"kept epoch {best + 1}'s weights (validation loss {losses[best]:.4f}; the last epoch had "
        in fit.stderr
    )
    assert f"the weights of epoch {best + 1})" in fit.stdout  # the results' title
