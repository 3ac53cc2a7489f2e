"""Regression metrics of a model with several targets: a unit-free headline per metric, and each target's own.

References: scikit-learn's per-output metrics (``multioutput="raw_values"``) for each target, and the same
divided by each target's standard deviation for the headline. Single-target numbers must not move by a bit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console
from sklearn import metrics as skm

from process_support import run_trainwell
from trainwell.callbacks import EarlyStopping
from trainwell.callbacks.progress import ProgressBar
from trainwell.core.errors import ConfigError
from trainwell.data.task import infer_task
from trainwell.evaluate import bootstrap_ci, cross_validate_baselines, explain_validation, fold_indices
from trainwell.evaluate.compare import higher_is_better, score
from trainwell.learner import Learner
from trainwell.metrics import describe_metric, functional, get_metric
from trainwell.metrics.registry import metric_bounds
from trainwell.metrics.targets import metric_values, split_target_key, target_key, target_keys
from trainwell.tabular import tabular_data, tabular_learner

N_ROWS = 240
TOLERANCE = 1e-9


def two_targets(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions and targets in very different units: a price (~1e5) and an area (~1e2)."""
    generator = torch.Generator().manual_seed(seed)
    targets = torch.randn(N_ROWS, 2, generator=generator, dtype=torch.float64) * torch.tensor([4e4, 30.0])
    targets += torch.tensor([2e5, 80.0])
    noise = torch.randn(N_ROWS, 2, generator=generator, dtype=torch.float64) * torch.tensor([2e4, 3.0])
    return targets + noise, targets


def house_table(n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rooms = rng.integers(1, 7, n)
    area = 20 * rooms + rng.normal(0, 5, n)
    price = 3000 * area + rng.normal(0, 20000, n)
    return pd.DataFrame({"rooms": rooms, "age": rng.uniform(0, 50, n), "area": area, "price": price})


# ----------------------------------------------------------------------------------- functional and stats
def test_each_target_and_the_headline_match_sklearn() -> None:
    preds, targets = two_targets()
    y_true, y_pred = targets.numpy(), preds.numpy()
    spread = y_true.std(axis=0)  # ddof 0
    rmse_each = np.sqrt(skm.mean_squared_error(y_true, y_pred, multioutput="raw_values"))
    mae_each = skm.mean_absolute_error(y_true, y_pred, multioutput="raw_values")
    r2_each = skm.r2_score(y_true, y_pred, multioutput="raw_values")
    for column in range(2):
        # A target's value is the metric of its column alone, in its own units.
        assert functional.rmse(preds[:, column], targets[:, column]) == pytest.approx(
            rmse_each[column], rel=1e-9
        )
        assert functional.mae(preds[:, column], targets[:, column]) == pytest.approx(
            mae_each[column], rel=1e-9
        )
        assert functional.r2(preds[:, column], targets[:, column]) == pytest.approx(r2_each[column], abs=1e-9)
    assert functional.rmse(preds, targets) == pytest.approx(float(np.mean(rmse_each / spread)), abs=TOLERANCE)
    assert functional.mae(preds, targets) == pytest.approx(float(np.mean(mae_each / spread)), abs=TOLERANCE)
    assert functional.r2(preds, targets) == pytest.approx(skm.r2_score(y_true, y_pred), abs=TOLERANCE)
    # Standardised RMSE is sqrt(1 - R²) per target: the headline is unit-free, not dominated by the price.
    assert functional.rmse(preds, targets) == pytest.approx(float(np.mean(np.sqrt(1 - r2_each))), abs=1e-9)


def test_the_headline_does_not_depend_on_the_units_of_a_target() -> None:
    preds, targets = two_targets()
    in_cents = torch.tensor([100.0, 1.0], dtype=torch.float64)
    for function in (functional.rmse, functional.mae, functional.r2):
        assert function(preds * in_cents, targets * in_cents) == pytest.approx(
            function(preds, targets), rel=1e-9
        )


def _old_single_target(preds: torch.Tensor, targets: torch.Tensor, power: int) -> float:
    """The single-target formula as it was before several targets had their own numbers."""
    errors = (preds.to(torch.float64).reshape(-1, 1) - targets.to(torch.float64).reshape(-1, 1)).abs()
    mean = float(errors.pow(power).sum()) / float(errors.numel())
    return mean**0.5 if power == 2 else mean


@pytest.mark.parametrize("shape", [(N_ROWS,), (N_ROWS, 1)])
def test_single_target_results_are_unchanged_to_the_bit(shape: tuple[int, ...]) -> None:
    preds, targets = two_targets(seed=3)
    preds, targets = preds[:, 0].float().reshape(shape), targets[:, 0].float().reshape(shape)
    assert functional.rmse(preds, targets) == _old_single_target(preds, targets, 2)
    assert functional.mae(preds, targets) == _old_single_target(preds, targets, 1)
    for name, power in (("rmse", 2), ("mae", 1)):
        metric = get_metric(name, "regression")
        metric.update(preds, targets)
        assert metric.compute() == _old_single_target(preds, targets, power)
        assert metric.compute_per_target() == [metric.compute()]
        assert metric_values([metric], ["price"]) == {
            name: metric.compute()
        }  # no "rmse[price]" for one target


def test_accumulated_metrics_equal_the_functions_headline_and_per_target() -> None:
    preds, targets = two_targets(seed=1)
    preds, targets = preds.float(), targets.float()  # as a model gives them
    for name in ("rmse", "mae", "r2"):
        metric = get_metric(name, "regression")
        for start, stop in ((0, 1), (1, 100), (100, N_ROWS)):  # uneven batches, one of a single row
            metric.update(preds[start:stop], targets[start:stop])
        function = getattr(functional, name)
        assert metric.compute() == pytest.approx(function(preds, targets), rel=1e-6)
        expected = [function(preds[:, column], targets[:, column]) for column in range(2)]
        assert metric.compute_per_target() == pytest.approx(expected, rel=1e-6)
        merged = get_metric(name, "regression")
        merged.update(preds[:100], targets[:100])
        other = get_metric(name, "regression")
        other.update(preds[100:], targets[100:])
        assert merged.merge(other).compute() == pytest.approx(metric.compute(), rel=1e-9)


def test_a_constant_target_is_left_out_of_the_headline_error() -> None:
    preds, targets = two_targets(seed=2)
    targets[:, 1] = 7.0
    assert functional.rmse(preds, targets) == pytest.approx(
        functional.rmse(preds[:, 0], targets[:, 0]) / float(targets[:, 0].std(unbiased=False)), rel=1e-9
    )
    assert math.isnan(functional.mae(preds, torch.full_like(targets, 7.0)))
    assert get_metric("accuracy", "binary").compute_per_target() == []  # no per-target form


def test_no_batch_gives_nan_not_an_error() -> None:
    metric = get_metric("rmse", "regression")
    assert math.isnan(metric.compute())
    assert metric_values([metric]) == {"rmse": pytest.approx(float("nan"), nan_ok=True)}


# ----------------------------------------------------------------------------------------------- naming
def test_per_target_names() -> None:
    assert target_key("rmse", "price") == "rmse[price]"
    assert split_target_key("rmse[price]") == ("rmse", "price")
    assert split_target_key("r2[a[b]]") == ("r2", "a[b]")
    assert split_target_key("rmse") == ("rmse", None)
    assert split_target_key("[x]") == ("[x]", None)
    preds, targets = two_targets()
    metrics = [get_metric(name, "regression") for name in ("rmse", "r2")]
    for metric in metrics:
        metric.update(preds, targets)
    assert list(metric_values(metrics, ["price", "area"])) == [
        "rmse", "rmse[price]", "rmse[area]", "r2", "r2[price]", "r2[area]",
    ]  # fmt: skip
    # Names that do not fit the model's width (a hand-built Learner) fall back to column numbers.
    assert list(metric_values(metrics[:1], ["y"])) == ["rmse", "rmse[0]", "rmse[1]"]
    assert target_keys(metrics, ["a", "b"]) == ["rmse[a]", "rmse[b]", "r2[a]", "r2[b]"]
    assert target_keys(metrics, ["a"]) == []


def test_per_target_names_keep_their_metrics_direction_bounds_and_wording() -> None:
    assert higher_is_better("r2[price]") and not higher_is_better("rmse[area]")
    assert metric_bounds("r2[price]") == (-math.inf, 1.0)
    assert metric_bounds("mae[area]") == (0.0, math.inf)
    assert (
        describe_metric("rmse[price]")
        == "typical size of an error in price's units, big errors weighing more"
    )
    assert "standard deviation" in describe_metric("rmse", "regression", targets=2)
    assert (
        describe_metric("rmse", "regression")
        == "typical size of an error in the target's units, big errors weighing more"
    )


# ------------------------------------------------------------------------------------ evaluate package
def test_score_and_explain_give_each_target_with_an_interval() -> None:
    preds, targets = two_targets()
    task = infer_task(pd.DataFrame(targets.numpy(), columns=["price", "area"]))
    scores = score(preds, targets, "regression", ["rmse", "r2"], task.target_names)
    assert list(scores) == ["rmse", "rmse[price]", "rmse[area]", "r2", "r2[price]", "r2[area]"]
    assert scores["rmse[area]"] == functional.rmse(preds[:, 1], targets[:, 1])
    assert list(score(preds[:, 0], targets[:, 0], "regression", ["rmse"], ["price"])) == ["rmse"]
    lines = explain_validation(task, preds, targets, ["rmse", "mae", "r2"], n_boot=50)
    assert [line.name for line in lines] == [
        "rmse", "rmse[price]", "rmse[area]", "mae", "mae[price]", "mae[area]", "r2", "r2[price]", "r2[area]",
    ]  # fmt: skip
    by_name = {line.name: line for line in lines}
    for line in lines:
        assert line.low <= line.value <= line.high
    area = by_name["rmse[area]"]
    expected = bootstrap_ci(lambda p, t: functional.rmse(p, t), preds[:, 1], targets[:, 1], n_boot=50)
    assert (area.value, area.low, area.high) == expected
    assert "area's units" in area.sentence and "area's standard deviation is" in area.sentence
    assert "divided by its standard deviation, averaged over the 2 targets" in by_name["rmse"].sentence
    assert "of price's variation" in by_name["r2[price]"].sentence


def test_baselines_predict_several_targets_and_score_each() -> None:
    df = house_table()
    task = infer_task(df[["price", "area"]])
    splits = fold_indices(np.zeros(len(df)), k=2, seed=0, stratified=False)
    results = cross_validate_baselines(df, ["price", "area"], task, splits)
    ridge = results["ridge"].folds[0]
    assert list(ridge) == [
        "rmse", "rmse[price]", "rmse[area]", "mae", "mae[price]", "mae[area]", "r2", "r2[price]", "r2[area]",
    ]  # fmt: skip
    assert ridge["r2[area]"] > 0.8 and ridge["r2[price]"] > 0.5
    # The inputs exclude both targets: otherwise area would predict itself (r2 ~ 1).
    assert ridge["r2[area]"] < 0.999
    assert results["mean"].folds[0]["rmse"] == pytest.approx(1.0, abs=0.05)  # the mean is 1 SD off
    assert "r2[price]" in results["HistGradientBoosting"].summary()


# --------------------------------------------------------------------------------------------- Learner
@pytest.fixture(scope="module")
def two_target_learner() -> Learner:
    data = tabular_data(house_table(), ["price", "area"], valid_pct=0.25, seed=0)
    learn = tabular_learner(data, progress=False)
    learn.fit_one_cycle(2, 1e-2)
    return learn


def test_history_and_validate_hold_each_target(two_target_learner: Learner) -> None:
    learn = two_target_learner
    row = learn.history[-1]
    keys = [
        "rmse",
        "rmse[price]",
        "rmse[area]",
        "mae",
        "mae[price]",
        "mae[area]",
        "r2",
        "r2[price]",
        "r2[area]",
    ]
    assert [
        key for key in row if key not in ("fit", "epoch", "train_loss", "valid_loss", "lr", "time")
    ] == keys
    results = learn.validate()
    preds, targets = learn.get_preds()
    assert targets is not None
    assert results["rmse[area]"] == pytest.approx(functional.rmse(preds[:, 1], targets[:, 1]), rel=1e-5)
    assert results["r2"] == pytest.approx(functional.r2(preds, targets), rel=1e-5)
    assert results["rmse"] == pytest.approx(row["rmse"], rel=1e-6)


def test_the_epoch_line_keeps_the_headlines(two_target_learner: Learner) -> None:
    learn = two_target_learner
    console = Console(record=True, width=200, force_terminal=False)
    progress = ProgressBar(console)
    progress.before_fit(learn)
    progress.after_epoch(learn)
    progress.teardown(learn)
    header = console.export_text().splitlines()[0].split()
    assert header == ["epoch", "train_loss", "valid_loss", "rmse", "mae", "r2", "lr", "time"]


def test_the_fit_summary_lists_each_target(two_target_learner: Learner) -> None:
    from trainwell.cli._show import show_metrics

    console = Console(record=True, width=200)
    show_metrics(two_target_learner, console)
    text = console.export_text()
    for key in ("rmse[price]", "rmse[area]", "mae[price]", "r2[area]"):
        assert f"│ {key} " in text
    assert "averaged over the 2 targets" in text


def test_the_artifact_keeps_each_target_and_loads(two_target_learner: Learner, tmp_path: Path) -> None:
    import trainwell

    learn = two_target_learner
    learn.export(tmp_path / "model")
    final = json.loads((tmp_path / "model" / "trainwell.json").read_text())["training"]["final"]
    assert final["r2[price]"] == pytest.approx(learn.history[-1]["r2[price]"])
    predictor = trainwell.load(tmp_path / "model")
    assert predictor.predict(house_table().head(3)).shape == (3, 2)


def test_single_target_history_keys_are_unchanged() -> None:
    data = tabular_data(house_table(), "price", valid_pct=0.25, seed=0)
    learn = tabular_learner(data, progress=False)
    learn.fit_one_cycle(1, 1e-2)
    assert list(learn.history[-1]) == [
        "fit",
        "epoch",
        "train_loss",
        "valid_loss",
        "rmse",
        "mae",
        "r2",
        "lr",
        "time",
    ]
    assert list(learn.validate()) == ["loss", "rmse", "mae", "r2"]


def test_early_stopping_can_follow_one_target(two_target_learner: Learner) -> None:
    learn = two_target_learner
    stop = EarlyStopping("r2[area]", patience=5)
    learn.fit(1, 1e-4, callbacks=[stop])
    assert stop.higher_is_better is True
    assert stop.best_value == pytest.approx(learn.history[-1]["r2[area]"])
    with pytest.raises(
        ConfigError, match=r"monitor 'r2\[rooms\]' is not a column .* r2\[price\], r2\[area\]"
    ):
        learn.fit(1, 1e-4, callbacks=[EarlyStopping("r2[rooms]")])


@pytest.mark.slow
def test_cli_fit_shows_each_target(tmp_path: Path) -> None:
    house_table().to_csv(tmp_path / "houses.csv", index=False)
    result = run_trainwell("fit", "houses.csv", "--target", "price,area", "--epochs", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for key in ("rmse[price]", "rmse[area]", "mae[price]", "mae[area]", "r2[price]", "r2[area]"):
        assert f"│ {key} " in result.stdout, result.stdout
    final = json.loads((tmp_path / "model" / "trainwell.json").read_text())["training"]["final"]
    assert {"rmse[price]", "r2[area]"} <= set(final)


@pytest.mark.slow
def test_evaluate_cross_validates_each_target_against_the_baselines() -> None:
    from trainwell.cli.evaluate_cmd import render
    from trainwell.tabular.evaluation import evaluate_table

    evaluation = evaluate_table(house_table(), ["price", "area"], cv=2, epochs=1, seed=0)
    summary = evaluation.model.summary()
    assert list(summary)[:3] == ["rmse", "rmse[price]", "rmse[area]"]
    assert summary["r2[area]"].high <= 1.0  # per-target intervals keep their metric's bounds
    assert {verdict.metric for verdict in evaluation.verdicts()} >= {"r2[price]", "r2[area]"}
    console = Console(record=True, width=200)
    render(evaluation, console)
    assert "│ rmse[price] " in console.export_text()
