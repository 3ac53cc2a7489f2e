"""The result of a cross-validation against baselines (:class:`trainwell.evaluate.Evaluation`) as a Python user
reads it: single numbers, intervals, verdicts, the printed table, JSON. Built here from known fold scores, so
every figure can be checked by hand; the applications' calls that make one are tested beside them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from scipy import stats

from trainwell.core.errors import ConfigError
from trainwell.data.task import infer_task
from trainwell.evaluate import CVResult, Evaluation, fold_indices
from trainwell.evaluate.evaluation import render

MODEL = {"accuracy": [0.90, 0.91, 0.92, 0.90], "f1": [0.80, 0.70, 0.90, 0.75]}
# beaten on both metrics, fold for fold
WEAK = {"accuracy": [0.50, 0.50, 0.52, 0.50], "f1": [0.10, 0.10, 0.10, 0.10]}
# beaten on accuracy (the model is ahead by about 0.1 in every fold), not on f1 (ahead in some folds only)
CLOSE = {"accuracy": [0.80, 0.82, 0.80, 0.81], "f1": [0.82, 0.68, 0.85, 0.80]}


def _result(scores: dict[str, list[float]], splits: list) -> CVResult:
    folds = [{metric: values[i] for metric, values in scores.items()} for i in range(4)]
    return CVResult(folds, splits, seed=0, stratified=True)


def _evaluation() -> Evaluation:
    y = np.array([0, 1] * 20)
    splits = fold_indices(y, 4, seed=0)
    task = infer_task(y)
    baselines = {"weak": _result(WEAK, splits), "close": _result(CLOSE, splits)}
    return Evaluation(task, 40, _result(MODEL, splits), baselines, [float("nan"), 1e-3, 2e-3, 3e-3])


def test_numbers_are_read_by_model_and_metric() -> None:
    evaluation = _evaluation()
    assert evaluation.k == 4 and evaluation.metrics == ["accuracy", "f1"]
    assert evaluation.names == ["trainwell", "weak", "close"]
    assert evaluation.mean("accuracy") == pytest.approx(np.mean(MODEL["accuracy"]))
    assert evaluation.mean("f1", "close") == pytest.approx(np.mean(CLOSE["f1"]))
    # a 95% t interval of the mean over the 4 folds, by hand: its variance corrected for the folds' shared
    # training rows (Nadeau and Bengio: 1/k + 10 validation rows / 30 training rows, not 1/k alone)
    values = np.array(MODEL["f1"])
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) * math.sqrt(1 / 4 + 10 / 30)
    low, high = evaluation.interval("f1")
    assert (low, high) == pytest.approx((values.mean() - half, values.mean() + half))
    assert evaluation.summary("weak")["accuracy"].mean == pytest.approx(0.505)
    assert evaluation.result("close") is evaluation.baselines["close"]
    assert evaluation.result() is evaluation.model


def test_an_unknown_model_or_metric_is_one_line_naming_what_exists() -> None:
    evaluation = _evaluation()
    with pytest.raises(ConfigError, match=r"'ridge' is not a model of this evaluation; its models are: "):
        evaluation.mean("accuracy", "ridge")
    with pytest.raises(
        ConfigError, match=r"metric 'rmse' was not measured for trainwell; its metrics are: accuracy, f1"
    ):
        evaluation.interval("rmse")


def test_the_model_beats_the_baselines_only_where_every_verdict_says_so() -> None:
    evaluation = _evaluation()
    outcomes = {(v.metric, v.baseline): v.outcome for v in evaluation.verdicts()}
    assert outcomes == {
        ("accuracy", "weak"): "beats",
        ("f1", "weak"): "beats",
        ("accuracy", "close"): "beats",
        ("f1", "close"): "within",
    }
    assert evaluation.beats_baselines("accuracy")
    assert not evaluation.beats_baselines("f1")
    assert not evaluation.beats_baselines()
    no_baselines = Evaluation(evaluation.task, 40, evaluation.model, {}, evaluation.lrs)
    assert not no_baselines.beats_baselines()  # nothing was compared: nothing was shown


def test_printing_it_shows_the_table_evaluate_prints() -> None:
    evaluation = _evaluation()
    console = Console(width=200, record=True, color_system=None)
    render(evaluation, console)
    text = str(evaluation)
    assert text == console.export_text()
    assert "4-fold cross-validation (binary, 40 rows)" in text
    assert "0.9075 ± 0.0096" in text  # the model's mean accuracy ± its std over folds
    # No clear gain is a note (a warning is for a model clearly worse), one line per baseline.
    lines = [line for line in text.splitlines() if line.startswith(("warning:", "note:"))]
    assert len(lines) == 2 and lines[0].startswith("note: trainwell's f1 0.787 [") and "close's" in lines[0]
    assert lines[1].startswith("note: trainwell beats weak on accuracy +")  # beaten on every metric: said too
    shown = Console(width=200, record=True, color_system=None)
    evaluation.show(shown)
    assert shown.export_text() == text
    assert repr(evaluation) == (
        "<Evaluation 4-fold cross-validation of binary, 40 rows; accuracy: trainwell 0.9075, weak 0.5050, "
        "close 0.8075>"
    )


def test_save_writes_the_dictionary_as_strict_json(tmp_path: Path) -> None:
    evaluation = _evaluation()
    path = evaluation.save(tmp_path / "out" / "evaluation.json")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["trainwell"]["lrs"] == [None, 1e-3, 2e-3, 3e-3]  # NaN (boosted trees) has no JSON form
    expected = evaluation.to_dict()
    expected["trainwell"]["lrs"] = [None, 1e-3, 2e-3, 3e-3]
    assert saved == json.loads(json.dumps(expected))
    assert [v["outcome"] for v in saved["verdicts"]] == ["beats", "beats", "beats", "within"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["evaluation.json"]  # no temporary file left


def test_verdicts_are_one_line_per_baseline_a_warning_only_when_clearly_worse() -> None:
    from trainwell.evaluate.compare import Verdict, judge, verdict_lines
    from trainwell.evaluate.cv import MetricSummary

    ours, theirs = MetricSummary(0.80, 0.01, 0.78, 0.82), MetricSummary(0.79, 0.01, 0.77, 0.81)
    within = judge("accuracy", "logistic", ours, theirs, MetricSummary(0.01, 0.02, -0.02, 0.04))
    worse = judge("f1", "logistic", ours, theirs, MetricSummary(-0.05, 0.01, -0.08, -0.02))
    close = judge("accuracy", "trees", ours, theirs, MetricSummary(0.01, 0.02, -0.02, 0.04))
    beats = judge("roc_auc", "trees", ours, theirs, MetricSummary(0.03, 0.01, 0.01, 0.05))
    assert [v.outcome for v in (within, worse, close, beats)] == ["within", "worse", "within", "beats"]
    lines = verdict_lines([within, worse, close, beats])
    assert lines == [
        (
            "warning",
            "trainwell is worse than logistic on f1 -0.050 [-0.080, -0.020], and does not clearly beat it on "
            "accuracy +0.010 [-0.020, +0.040] (the differences trainwell minus logistic, paired over the same "
            "folds; an interval that includes zero is no clear difference)",
        ),
        # One metric: the whole sentence, and the metric it beats the baseline on (left out, a reader wondered
        # what became of it).
        ("note", close.sentence() + "; it beats trees on roc_auc +0.030 [+0.010, +0.050]"),
    ]
    assert isinstance(close, Verdict) and close.sentence().startswith(
        "trainwell's accuracy 0.800 [0.780, 0.820]"
    )


def test_two_folds_are_said_to_be_too_few_and_a_difference_stays_within_its_range() -> None:
    from trainwell.evaluate.compare import verdicts
    from trainwell.evaluate.cv import CVResult

    splits = [(np.arange(0, 5), np.arange(5, 10)), (np.arange(5, 10), np.arange(0, 5))]
    model = CVResult(folds=[{"f1": 0.9}, {"f1": 0.1}], splits=splits)
    other = CVResult(folds=[{"f1": 0.1}, {"f1": 0.9}], splits=splits)
    (verdict,) = verdicts(model, {"other": other})
    assert verdict.paired is not None and (verdict.paired.low, verdict.paired.high) == (-1.0, 1.0)


def test_baselines_on_the_models_folds_carry_its_seed_and_stratification() -> None:
    # evaluate_table's baselines were saved as "seed 7, not stratified" on stratified folds drawn with seed 7,
    # and a recommender's and a tagger's baselines as seed 0.
    y = np.array([0, 1] * 20)
    splits = fold_indices(y, 4, seed=7)
    task = infer_task(y)
    model = CVResult(_result(MODEL, splits).folds, splits, seed=7, stratified=True)
    same = CVResult(_result(WEAK, splits).folds, splits)
    other = CVResult(_result(CLOSE, splits).folds, fold_indices(y, 4, seed=8))  # folds of its own: left alone
    evaluation = Evaluation(task, 40, model, {"same": same, "other": other}, [1e-3] * 4)
    saved = evaluation.to_dict()["baselines"]
    assert (saved["same"]["seed"], saved["same"]["stratified"]) == (7, True)
    assert (saved["other"]["seed"], saved["other"]["stratified"]) == (0, False)
