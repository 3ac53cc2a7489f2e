"""Average precision, Matthews correlation and the Brier score in evaluation: every bootstrap resample scored at
once as the metric function scores its rows, the sentences of fit's table, the metrics ``evaluate --metric``
takes, and the command itself against scikit-learn on the out-of-fold predictions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics as skm

from process_support import run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.compare import EVALUATION_METRICS, evaluation_metrics, higher_is_better
from trainwell.evaluate.explain import explain_validation, share
from trainwell.evaluate.intervals import bootstrap_ci
from trainwell.evaluate.paired import paired_metric
from trainwell.metrics import functional

NEW = ("average_precision", "mcc", "brier")
TASKS = ("binary", "multiclass", "multilabel")


def _data(task: str, rows: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Awkward predictions: scores rounded to quarters (ties), a rare class (resamples without it), exact 0 and 1."""
    generator = torch.Generator().manual_seed(seed)
    if task == "binary":
        preds = (torch.rand(rows, generator=generator) * 4).round() / 4
        targets = (torch.rand(rows, generator=generator) < 0.1).float()
        targets[[1, 5]] = 1.0
        return preds, targets
    if task == "multiclass":
        preds = torch.softmax(torch.randn(rows, 3, generator=generator) * 2, dim=1).round(decimals=1)
        return preds, torch.multinomial(
            torch.tensor([0.7, 0.25, 0.05]), rows, replacement=True, generator=generator
        )
    preds = (torch.rand(rows, 3, generator=generator) * 4).round() / 4
    return preds, (torch.rand(rows, 3, generator=generator) < torch.tensor([0.5, 0.2, 0.05])).float()


@pytest.mark.parametrize("rows", [24, 500])
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", NEW)
def test_every_resample_scores_as_the_metric_function_on_its_rows(name: str, task: str, rows: int) -> None:
    preds, targets = _data(task, rows)
    draws = torch.randint(0, rows, (60, rows), generator=torch.Generator().manual_seed(1))
    fast = resampled_metric(name, task)
    assert fast is not None
    found = fast(preds, targets, draws)
    function = getattr(functional, name)
    expected = np.array([function(preds[drawn], targets[drawn], task) for drawn in draws])
    assert found.shape == (60,) and np.array_equal(np.isnan(found), np.isnan(expected))
    np.testing.assert_array_equal(found, expected)  # to the bit: the same counts and sums in the same order


def test_some_resamples_hold_no_positive_and_average_precision_leaves_them_out() -> None:
    preds, targets = _data("binary", 24)
    draws = torch.randint(0, 24, (200, 24), generator=torch.Generator().manual_seed(2))
    found = resampled_metric("average_precision", "binary")(preds, targets, draws)  # type: ignore[misc]
    assert np.isnan(found).any() and not np.isnan(found).all()
    point, low, high = bootstrap_ci(
        lambda p, t: functional.average_precision(p, t, "binary"), preds, targets, n_boot=200, seed=2
    )
    assert math.isfinite(low) and low <= point <= high <= 1.0


def test_mcc_resamples_decide_at_the_threshold_given() -> None:
    preds, targets = _data("binary", 60)
    draws = torch.randint(0, 60, (40, 60), generator=torch.Generator().manual_seed(3))
    found = resampled_metric("mcc", "binary", threshold=0.7)(preds, targets, draws)  # type: ignore[misc]
    expected = [functional.mcc(preds[drawn], targets[drawn], "binary", threshold=0.7) for drawn in draws]
    np.testing.assert_array_equal(found, np.array(expected))
    thresholds = (0.3, 0.5, 0.8)
    preds, targets = _data("multilabel", 60)
    found = resampled_metric("mcc", "multilabel", thresholds)(preds, targets, draws)  # type: ignore[misc]
    expected = [functional.mcc(preds[drawn], targets[drawn], "multilabel", thresholds) for drawn in draws]
    np.testing.assert_array_equal(found, np.array(expected))


@pytest.mark.parametrize("name", NEW)
def test_an_interval_is_the_same_by_either_path(name: str) -> None:
    preds, targets = _data("multiclass", 80)

    def metric(p: torch.Tensor, t: torch.Tensor) -> float:
        return float(getattr(functional, name)(p, t, "multiclass"))

    generic = bootstrap_ci(metric, preds, targets, n_boot=100, seed=5)
    fast = resampled_metric(name, "multiclass")
    assert bootstrap_ci(metric, preds, targets, n_boot=100, seed=5, resampled_fn=fast) == generic


def test_paired_comparison_follows_each_metrics_direction() -> None:
    preds, targets = _data("binary", 400)
    sharp = torch.where(targets > 0, 0.9, 0.05)
    for name in NEW:
        row = paired_metric(name, "binary", preds, sharp, targets, n_boot=100)
        assert row.verdict == "B is better", name
        assert row.higher_is_better == (name != "brier") == higher_is_better(name)


def _rare(rows: int = 600, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(rows, generator=generator) < 0.11).float()
    return torch.sigmoid(2.5 * targets + torch.randn(rows, generator=generator) - 2.5), targets


def test_binary_sentences_compare_with_the_base_rate() -> None:
    scores, targets = _rare()
    task = Task("binary", ("no", "yes"))
    lines = {line.name: line for line in explain_validation(task, scores, targets, list(NEW))}
    assert list(lines) == [*NEW, "top10_precision"]
    base_rate = float(targets.mean())
    average_precision = lines["average_precision"]
    assert average_precision.value == functional.average_precision(scores, targets, "binary")
    assert average_precision.value == pytest.approx(skm.average_precision_score(targets, scores))
    assert average_precision.low <= average_precision.value <= average_precision.high
    assert (
        f"averaged over the 'yes' rows they reach: {share(average_precision.value)}"
        in average_precision.sentence
    )
    assert f"against {share(base_rate)} (the base rate) for a random ranking" in average_precision.sentence
    mcc = lines["mcc"]
    assert mcc.value == pytest.approx(skm.matthews_corrcoef(targets, scores >= 0.5))
    assert f"at threshold 0.5 with the truth: {mcc.value:.3f}" in mcc.sentence
    brier = lines["brier"]
    assert brier.value == pytest.approx(skm.brier_score_loss(targets, scores))
    assert f"always answering the base rate would score {base_rate * (1 - base_rate):.4f}" in brier.sentence
    # Undefined on rows without a positive: said so, not a "nan%".
    negatives = explain_validation(task, scores[targets == 0], targets[targets == 0], ["average_precision"])[
        0
    ]
    assert math.isnan(negatives.value) and "one class only" in negatives.sentence


def test_multiclass_and_multilabel_sentences() -> None:
    preds, targets = _data("multiclass", 300)
    lines = {
        line.name: line
        for line in explain_validation(Task("multiclass", ("a", "b", "c")), preds, targets, list(NEW))
    }
    assert list(lines) == list(NEW)
    assert f"against {share(1 / 3)} for a random ranking" in lines["average_precision"].sentence
    shares = torch.bincount(targets, minlength=3).double() / len(targets)
    assert f"the class shares would score {1 - float(shares.square().sum()):.4f}" in lines["brier"].sentence
    assert lines["brier"].value == pytest.approx(
        float((preds.double() - torch.eye(3, dtype=torch.float64)[targets]).square().sum(dim=1).mean()),
        abs=1e-9,
    )
    preds, targets = _data("multilabel", 300)
    lines = {
        line.name: line
        for line in explain_validation(Task("multilabel", ("p", "q", "r")), preds, targets, list(NEW))
    }
    rates = targets.double().mean(dim=0)
    assert "for a random ranking (the labels' mean base rate)" in lines["average_precision"].sentence
    assert f"against {share(float(rates.mean()))} for a random ranking" in lines["average_precision"].sentence
    assert f"would score {float((rates * (1 - rates)).mean()):.4f}" in lines["brier"].sentence
    assert "averaged over labels" in lines["mcc"].sentence


def test_evaluate_takes_them_by_name_and_alias() -> None:
    for kind in TASKS:
        assert set(NEW) <= set(EVALUATION_METRICS[kind])
    task = Task("binary", ("no", "yes"))
    chosen = evaluation_metrics(["mcc", "pr_auc", "brier", "average_precision"], task)
    assert chosen == ["mcc", "average_precision", "brier"]  # in the order given, the alias read, once each
    with pytest.raises(ConfigError, match=r"--metric 'mcc' does not score a regression evaluation"):
        evaluation_metrics(["mcc"], Task("regression", ()))


@pytest.mark.slow
def test_the_command_scores_each_fold_as_scikit_learn_scores_its_out_of_fold_predictions(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=300), rng.normal(size=300)
    frame = pd.DataFrame({"x": x, "z": z, "colour": rng.choice(["red", "blue"], 300)})
    frame["y"] = np.where(x + 0.5 * z + 0.7 * rng.normal(size=300) > 1.3, "yes", "no")  # about 14% yes
    frame.to_csv(tmp_path / "data.csv", index=False)
    args = [
        "--metric",
        "mcc",
        "--metric",
        "average_precision",
        "--metric",
        "brier",
        "--cv",
        "2",
        "--arch",
        "gbdt",
    ]
    done = run_trainwell(
        "evaluate",
        "data.csv",
        "--target",
        "y",
        *args,
        "--no-baselines",
        "--oof",
        "oof.csv",
        "--json",
        "ev.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    table = [line.split("│")[1].strip() for line in done.stdout.splitlines() if line.startswith("│")]
    assert table == ["mcc", "average_precision", "brier"]  # in the order asked for
    folds = json.loads((tmp_path / "ev.json").read_text())["trainwell"]["folds"]
    predictions = pd.read_csv(tmp_path / "oof.csv")
    for number, fold in enumerate(folds, start=1):
        rows = predictions[predictions.fold == number]
        truth, probability = (rows.actual == "yes").to_numpy(), rows.probability_yes.to_numpy()
        assert fold["average_precision"] == pytest.approx(
            skm.average_precision_score(truth, probability), abs=1e-6
        )
        assert fold["mcc"] == pytest.approx(skm.matthews_corrcoef(truth, rows.prediction == "yes"), abs=1e-9)
        assert fold["brier"] == pytest.approx(skm.brier_score_loss(truth, probability), abs=1e-6)
    assert 0 < folds[0]["mcc"] <= 1 and folds[0]["average_precision"] > 0.14
    misspelt = run_trainwell("evaluate", "data.csv", "--target", "y", "--metric", "mmc", cwd=tmp_path)
    assert misspelt.returncode == 2
    assert (
        "unknown metric 'mmc'; did you mean 'mcc'?" in misspelt.stderr and "Traceback" not in misspelt.stderr
    )
