"""``trainwell compare A B --data FILE``: two models fitted by the real command, judged on the same held-out rows.

The figures are checked against the models' own predictions scored in this process; the mistakes a user makes
(a path that is not a model, unlabelled rows, models of different targets, a kind compare does not read) are one
line and exit code 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch
from cli_support import CliResult, binary_table, compared, count_table, fitted_models, run_cli, run_cli_many

import trainwell
from trainwell.evaluate.paired import metric_fn

# The MLPs are given a learning rate: the sweep that would choose one is no part of what compare reads.
ONE_EPOCH = ["--epochs", "1", "--lr", "0.01"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tables (training and held-out) and the models fitted on them, by name."""
    folder = tmp_path_factory.mktemp("compare")
    binary_table(seed=0).to_csv(folder / "train.csv", index=False)
    binary_table(seed=11, n_rows=300).to_csv(folder / "held.csv", index=False)
    count_table(seed=1).to_csv(folder / "counts.csv", index=False)
    count_table(seed=12, n_rows=300).to_csv(folder / "counts_held.csv", index=False)
    train, counts = folder / "train.csv", folder / "counts.csv"
    commands: dict[str, list[str | Path]] = {
        "mlp": ["fit", train, "--target", "y", "--arch", "mlp", *ONE_EPOCH],
        "gbdt": ["fit", train, "--target", "y", "--arch", "gbdt"],
        "positive_no": ["fit", train, "--target", "y", "--arch", "gbdt", "--positive", "no"],
        "classes_mlp": ["fit", counts, "--target", "k", "--arch", "mlp", *ONE_EPOCH],
        "classes_gbdt": ["fit", counts, "--target", "k", "--arch", "gbdt"],
        "quantity_mlp": ["fit", counts, "--target", "k", "--task", "regression", "--arch", "mlp", *ONE_EPOCH],
        "quantity_gbdt": ["fit", counts, "--target", "k", "--task", "regression", "--arch", "gbdt"],
    }
    return fitted_models(folder, commands)


def test_binary_figures_are_the_models_own_scores_and_b_minus_a(models: dict[str, Path]) -> None:
    result, found = compared(models, "mlp", "gbdt", "held.csv", "--resamples", "300", "--seed", "3")
    assert (found["task"], found["rows"], found["resamples"], found["seed"]) == ("binary", 300, 300, 3)
    assert [row["metric"] for row in found["metrics"]] == ["accuracy", "roc_auc", "f1"]
    held = pd.read_csv(models["folder"] / "held.csv")
    a, b = trainwell.load(models["mlp"]), trainwell.load(models["gbdt"])
    targets = a.task.encode(held["y"])
    for row in found["metrics"]:
        expected_a = metric_fn(row["metric"], "binary", a.task.decision_threshold)(
            a.predict_proba(held), targets
        )
        expected_b = metric_fn(row["metric"], "binary", b.task.decision_threshold)(
            b.predict_proba(held), targets
        )
        assert row["a"] == pytest.approx(expected_a, abs=1e-6)
        assert row["b"] == pytest.approx(expected_b, abs=1e-6)
        assert row["difference"] == pytest.approx(expected_b - expected_a, abs=1e-6)
        low, high = row["difference_interval"]
        assert low <= row["difference"] <= high
        holds_zero = low <= 0 <= high
        assert row["verdict"] == (
            "no clear difference: the interval holds 0"
            if holds_zero
            else "B is better"
            if low > 0
            else "A is better"
        )
        assert row["verdict"] in result.stdout
    right_a = (a.predict_proba(held) >= a.task.decision_threshold).float() == targets
    right_b = (b.predict_proba(held) >= b.task.decision_threshold).float() == targets
    assert found["mcnemar"]["a_only"] == int((right_a & ~right_b).sum())
    assert found["mcnemar"]["b_only"] == int((right_b & ~right_a).sum())
    assert "McNemar exact p" in result.stdout
    assert "B - A, 95% paired bootstrap interval over rows (300 resamples)" in result.stdout
    # One conclusion over the metrics, naming A and B by their directories.
    (overall,) = [line for line in result.stdout.splitlines() if line.startswith("overall: ")]
    assert f"A '{models['mlp']}'" in overall and f"B '{models['gbdt']}'" in overall, result.stdout


def test_a_model_against_itself_shows_no_difference(models: dict[str, Path]) -> None:
    result, found = compared(models, "gbdt", "gbdt", "held.csv", "--metric", "log_loss", "--metric", "acc")
    assert [row["metric"] for row in found["metrics"]] == ["log_loss", "accuracy"]
    for row in found["metrics"]:
        assert row["difference"] == 0 and row["difference_interval"] == [0, 0]
        assert row["verdict"] == "no clear difference: the interval holds 0"
    assert found["mcnemar"] == {"a_only": 0, "b_only": 0, "p_exact": 1.0, "p_mid": 1.0}
    assert "log_loss (lower is better)" in result.stdout
    assert "right and wrong on exactly the same rows" in result.stdout
    assert (
        f"overall: no metric shows a clear difference between A '{models['gbdt']}' and B '{models['gbdt']}' on these "
        "300 rows: the data cannot tell them apart"
    ) in result.stdout
    assert (
        f"warning: A and B are the same model directory '{models['gbdt']}': every difference" in result.stderr
    )


def test_multiclass_and_regression_models_compare(models: dict[str, Path]) -> None:
    _, classes = compared(models, "classes_mlp", "classes_gbdt", "counts_held.csv", "--resamples", "200")
    assert classes["task"] == "multiclass" and classes["mcnemar"] is not None
    expected = list(trainwell.load(models["classes_mlp"]).task.metric_names)  # the task's own metrics
    assert [row["metric"] for row in classes["metrics"]] == expected and "balanced_accuracy" in expected
    result, quantity = compared(
        models, "quantity_mlp", "quantity_gbdt", "counts_held.csv", "--resamples", "200"
    )
    assert quantity["task"] == "regression" and quantity["mcnemar"] is None
    by_name = {row["metric"]: row for row in quantity["metrics"]}
    assert set(by_name) == {"rmse", "mae", "r2"}
    assert not by_name["rmse"]["higher_is_better"] and by_name["r2"]["higher_is_better"]
    held = pd.read_csv(models["folder"] / "counts_held.csv")
    gbdt = trainwell.load(models["quantity_gbdt"])
    truth = torch.tensor(held["k"].to_numpy(), dtype=torch.float32)
    rmse = float(((gbdt.predict_proba(held).reshape(-1) - truth) ** 2).mean().sqrt())
    assert by_name["rmse"]["b"] == pytest.approx(rmse, rel=1e-5)
    for row in quantity["metrics"]:  # a lower rmse is B's gain: the verdict follows the metric's direction
        low, high = row["difference_interval"]
        sign = 1 if row["higher_is_better"] else -1
        if sign * low > 0 or sign * high < 0:
            assert row["verdict"] == ("B is better" if sign * low > 0 else "A is better")
    assert "rmse (lower is better)" in result.stdout
    assert "McNemar" not in result.stdout


def test_rows_a_model_trained_on_are_warned_of_naming_the_model(models: dict[str, Path]) -> None:
    held_out = run_cli("compare", models["mlp"], models["gbdt"], "--data", models["folder"] / "held.csv")
    on_training = run_cli("compare", models["mlp"], models["gbdt"], "--data", models["folder"] / "train.csv")
    assert on_training.returncode == 0, on_training.explain()
    warned = [line for line in on_training.stderr_lines if line.startswith("warning: model ")]
    assert [line.split(":")[1] for line in warned] == [" model A", " model B"], on_training.explain()
    assert "of these rows trained the model" in warned[0]
    assert not [line for line in held_out.stderr_lines if line.startswith("warning: model ")]


def one_error(result: CliResult) -> str:
    assert result.returncode == 2, result.explain()
    assert len(result.stderr_lines) == 1 and "Traceback" not in result.stderr, result.explain()
    return result.stderr_lines[0]


def test_mistakes_are_one_line_that_names_the_fix(models: dict[str, Path]) -> None:
    folder = models["folder"]
    held = folder / "held.csv"
    pd.read_csv(held).drop(columns=["y"]).to_csv(folder / "unlabelled.csv", index=False)
    as_images = folder / "as_images"
    if not as_images.exists():
        shutil.copytree(models["gbdt"], as_images)
        metadata = json.loads((as_images / "trainwell.json").read_text(encoding="utf-8"))
        metadata["application"] = "vision"
        (as_images / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
    gbdt, mlp = models["gbdt"], models["mlp"]
    results = run_cli_many(
        [
            ["compare", folder / "nowhere", gbdt, "--data", held],
            ["compare", mlp, folder, "--data", held],
            ["compare", mlp, gbdt, "--data", folder / "missing.csv"],
            ["compare", mlp, gbdt, "--data", folder / "unlabelled.csv"],
            ["compare", mlp, models["classes_gbdt"], "--data", held],
            ["compare", gbdt, models["positive_no"], "--data", held],
            ["compare", mlp, as_images, "--data", held],
            ["compare", mlp, gbdt, "--data", held, "--metric", "rmse"],
            ["compare", mlp, gbdt, "--data", held, "--json", folder],
        ]
    )
    lines = [one_error(result) for result in results]
    assert "model directory" in lines[0] and "nowhere" in lines[0] and "does not exist" in lines[0]
    assert "is not a trainwell model directory (no trainwell.json)" in lines[1]
    assert "data file" in lines[2] and "missing.csv' not found" in lines[2]
    assert (
        "target column 'y' not found in '" in lines[3]
        and "unlabelled.csv': compare needs labelled rows" in lines[3]
    )
    mlp, gbdt, positive_no = (f"'{models[name]}'" for name in ("mlp", "gbdt", "positive_no"))
    assert (
        f"A {mlp} is a binary of 'y' (no, yes) but B '{models['classes_gbdt']}' is a multiclass of 'k'"
        in lines[4]
    )
    assert "same --target" in lines[4]
    assert (
        f"A {gbdt} scores 'yes' as the positive class but B {positive_no} scores 'no'" in lines[5]
        and "--positive yes" in lines[5]
    )
    assert (
        f"A {mlp} is a table model but B '{as_images}' is an image model: compare judges two models"
        in lines[6]
    )
    assert "--metric 'rmse' does not score a binary evaluation" in lines[7]
    assert "--json" in lines[8] and "is a directory" in lines[8]
