"""A binary model's decision threshold: chosen on the validation rows for a metric (exactly, against a brute
force over every cut), kept in the task and the model directory, and used by every decision: the test set's
metrics, ``predict``, and ``predict(threshold=...)`` for one call. Older model directories decide at 0.5."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, matthews_corrcoef

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.learner.decision_threshold import (
    DECISION_METRICS,
    best_threshold,
    check_decision_threshold,
    cross_fitted,
    decision_threshold_setting,
)
from trainwell.learner.kept_predictions import KeepValidationPredictions
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.tabular import tabular_data, tabular_learner

SKLEARN = {
    "f1": f1_score,
    "balanced_accuracy": balanced_accuracy_score,
    "mcc": matthews_corrcoef,
    "accuracy": accuracy_score,
}


@pytest.mark.parametrize("metric", DECISION_METRICS)
def test_the_chosen_threshold_scores_the_best_of_every_cut(metric: str) -> None:
    rng = np.random.default_rng(3)
    truth = (rng.random(400) < 0.15).astype(int)
    scores = np.clip(0.12 + 0.3 * truth + rng.normal(0, 0.15, 400), 0.001, 0.999).round(3)  # ties too
    threshold, value = best_threshold(scores, truth, metric)
    score = SKLEARN[metric]
    assert value == pytest.approx(score(truth, scores >= threshold))
    cuts = np.unique(scores)
    best = max(score(truth, scores >= cut) for cut in cuts[1:])
    assert value == pytest.approx(best)
    assert 0 < threshold < 1


def test_of_cuts_that_score_alike_the_one_nearest_half_is_kept() -> None:
    # Balanced accuracy 0.75 calling the first row positive (cut at 0.8) or the first three (cut at 0.25).
    assert best_threshold([0.9, 0.7, 0.4, 0.1], [1, 0, 1, 0], "balanced_accuracy") == (0.25, 0.75)
    assert best_threshold([0.9, 0.8, 0.45, 0.2, 0.1], [1, 1, 0, 0, 0], "f1") == (0.625, 1.0)
    threshold, value = best_threshold([0.3, 0.3, 0.3], [1, 0, 1])
    assert threshold == 0.5 and np.isnan(value)  # one probability: nothing to choose


def test_the_cross_fitted_figure_is_not_above_the_in_sample_one_on_noise() -> None:
    rng = np.random.default_rng(0)
    truth, scores = (rng.random(600) < 0.2).astype(int), rng.random(600)  # scores unrelated to the truth
    in_sample = best_threshold(scores, truth, "f1")[1]
    honest = cross_fitted(scores, truth, "f1", seed=0)
    assert honest is not None and honest < in_sample


def test_a_setting_is_a_metric_name_or_a_threshold() -> None:
    assert decision_threshold_setting("F1") == "f1"
    assert decision_threshold_setting("balanced-accuracy") == "balanced_accuracy"
    assert decision_threshold_setting("0.3") == 0.3
    assert decision_threshold_setting(0.25) == 0.25
    assert decision_threshold_setting(None) is None
    with pytest.raises(ConfigError) as unknown:
        decision_threshold_setting("auc")
    assert "f1, balanced_accuracy, mcc, accuracy" in str(unknown.value)
    assert unknown.value.command_line is not None and "--decision-threshold f1" in unknown.value.command_line
    for outside in (1.5, 0, "1", True):
        with pytest.raises(ConfigError, match="strictly between 0 and 1"):
            decision_threshold_setting(outside)


def test_targets_that_are_not_binary_are_refused_naming_the_label_thresholds() -> None:
    labels = Task("multilabel", ("a", "b"), ("a", "b"))
    with pytest.raises(ConfigError) as refused:
        check_decision_threshold("f1", labels)
    assert refused.value.command_line == (
        "--decision-threshold is for binary targets (two classes); target 'a, b' is multilabel: drop it; a "
        "multi-label model gets a threshold per label, chosen on the validation rows by --label-thresholds (on by "
        "default)"
    )
    with pytest.raises(ConfigError, match=r"target 'k' is multiclass: drop it$"):
        check_decision_threshold(0.3, Task("multiclass", (0, 1, 2), ("k",)))
    with pytest.raises(ConfigError, match="has none"):
        check_decision_threshold("f1", Task("binary", ("no", "yes"), ("y",)), has_validation=False)
    check_decision_threshold(
        0.3, Task("binary", ("no", "yes"), ("y",)), has_validation=False
    )  # a number: fine


def test_a_task_keeps_its_threshold_and_older_ones_decide_at_half() -> None:
    task = Task("binary", ("no", "yes"), ("y",)).with_threshold(0.3)
    assert Task.from_dict(json.loads(json.dumps(task.to_dict()))).threshold == 0.3
    old = {"kind": "binary", "classes": ["no", "yes"], "target_names": ["y"]}  # no "threshold" written
    assert Task.from_dict(old).threshold == 0.5
    assert task.decode(np.array([0.29, 0.3, 0.7], dtype=np.float32)) == ["no", "yes", "yes"]
    with pytest.raises(ConfigError, match="this model is multiclass"):
        Task("multiclass", (0, 1, 2), ("k",)).with_threshold(0.3)
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        task.with_threshold(1.0, option="--threshold")


def _rare_yes(n_rows: int, seed: int) -> pd.DataFrame:
    """About 12% 'yes', which x and colour predict in part: the best F1 is well below 0.5."""
    rng = np.random.default_rng(seed)
    x, colour = rng.normal(size=n_rows), rng.choice(["red", "blue", "green"], n_rows)
    score = 1.3 * x + (colour == "red") + rng.normal(size=n_rows)
    return pd.DataFrame({"x": x, "colour": colour, "y": np.where(score > 2.0, "yes", "no")})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, pd.DataFrame]:
    """Boosted trees on 1,500 rows (300 validate), the threshold chosen for F1, written to a model directory."""
    test = _rare_yes(600, 1)
    data = tabular_data(_rare_yes(1500, 0), "y", test=test, seed=0)
    learn = tabular_learner(data, arch="gbdt", progress=False, seed=0)
    learn.fit(1, callbacks=[KeepValidationPredictions()])
    choose_label_thresholds(learn, progress=False, decision="f1")
    learn.test_scores = learn.validate(data.test)
    out = learn.export(tmp_path_factory.mktemp("decision") / "model")
    return learn, out, test


def test_the_threshold_chosen_for_f1_is_kept_and_decides_everywhere(fitted) -> None:
    learn, out, test = fitted
    chosen = learn.decision_threshold
    assert chosen.metric == "f1" and chosen.n_rows == 300
    assert learn.task.threshold == learn.data.task.threshold == chosen.threshold < 0.5
    assert chosen.at_threshold > chosen.at_half  # on the rows it was chosen on
    assert [m.threshold for m in learn.metrics if m.name == "f1"] == [chosen.threshold]
    predictor = trainwell.load(out)
    assert predictor.task.threshold == chosen.threshold
    probabilities = predictor.predict_proba(test).numpy()
    answers = predictor.predict(test)
    expected = np.where(probabilities >= np.float32(chosen.threshold), "yes", "no")
    assert (answers["prediction"].to_numpy() == expected).all()
    # The test set was scored as the model decides.
    assert learn.test_scores["f1"] == pytest.approx(f1_score(test["y"] == "yes", expected == "yes"))
    # One call's own threshold, the model's untouched.
    at_half = predictor.predict(test, threshold=0.5)
    assert (at_half["prediction"].to_numpy() == np.where(probabilities >= 0.5, "yes", "no")).all()
    assert (at_half["prediction"] == "yes").sum() < (answers["prediction"] == "yes").sum()
    assert predictor.task.threshold == chosen.threshold


def test_validate_on_the_rows_it_was_chosen_on_warns_and_new_rows_do_not(fitted) -> None:
    learn = fitted[0]
    with pytest.warns(UserWarning, match="the decision threshold was chosen on, at that threshold") as caught:
        learn.validate()
    message = next(str(w.message) for w in caught if "decision threshold" in str(w.message))
    assert "flatter the model" in message and "learn.decision_threshold" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.validate(learn.data.test)


def test_predict_proba_as_a_frame_has_a_column_per_class_and_the_rows_index(fitted) -> None:
    _, out, test = fitted
    predictor = trainwell.load(out)
    rows = test.iloc[5:9]
    frame = predictor.predict_proba(rows, as_frame=True)
    assert list(frame.columns) == ["no", "yes"] and list(frame.index) == [5, 6, 7, 8]
    assert np.allclose(frame.sum(axis=1), 1.0)
    plain = predictor.predict_proba(rows)  # unchanged for its callers: the positive class's, (N,)
    assert tuple(plain.shape) == (4,) and np.allclose(frame["yes"], plain.numpy())


def test_a_threshold_given_as_a_number_is_said_as_given() -> None:
    data = tabular_data(_rare_yes(400, 2), "y", seed=0)
    other = tabular_learner(data, arch="gbdt", progress=False, seed=0)
    other.fit(1, callbacks=[KeepValidationPredictions()])
    choose_label_thresholds(other, progress=False, decision=0.3)
    said = other.decision_threshold
    assert other.task.threshold == 0.3 and said.metric is None and said.cross_fitted is None
    assert said.note().startswith("decision threshold 0.3 (given): f1 on the 80 validation rows ")
