"""Baselines on the same folds, against scikit-learn models and metrics computed directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from trainwell.core.errors import ConfigError
from trainwell.data.task import infer_task
from trainwell.evaluate import CVResult, cross_validate_baselines, fold_indices, judge, mean_ci, verdicts
from trainwell.evaluate.baselines import baseline_names
from trainwell.evaluate.cv import MetricSummary


def _binary_table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    return pd.DataFrame(
        {"x1": x[:, 0], "x2": x[:, 1], "y": np.where(x[:, 0] + 0.5 * x[:, 1] > 0, "yes", "no")}
    )


def test_binary_baselines_match_sklearn_on_the_same_folds() -> None:
    df = _binary_table()
    task = infer_task(df["y"], name="y")
    splits = fold_indices(df["y"].to_numpy(), k=3, seed=0)
    results = cross_validate_baselines(df, "y", task, splits, ["accuracy", "roc_auc"])
    assert list(results) == ["majority class", "logistic", "HistGradientBoosting"]
    y = (df["y"] == task.classes[1]).to_numpy().astype(int)
    x = df[["x1", "x2"]].to_numpy()
    for fold, (train, valid) in enumerate(splits):
        model = HistGradientBoostingClassifier(random_state=0).fit(x[train], y[train])
        proba = model.predict_proba(x[valid])[:, 1]
        got = results["HistGradientBoosting"].folds[fold]
        assert got["roc_auc"] == pytest.approx(roc_auc_score(y[valid], proba), abs=1e-6)
        assert got["accuracy"] == pytest.approx(accuracy_score(y[valid], proba >= 0.5))
        majority = results["majority class"].folds[fold]
        assert majority["roc_auc"] == 0.5
        assert majority["accuracy"] == pytest.approx(np.mean(y[valid] == round(y[train].mean())))
    assert results["logistic"].summary()["roc_auc"].mean > 0.95


def test_regression_baselines_match_sklearn_with_one_hot_and_scaling() -> None:
    rng = np.random.default_rng(1)
    colour = rng.choice(["red", "green", "blue"], size=200)
    size = rng.normal(10, 3, size=200)
    price = (
        2 * size + np.select([colour == "red", colour == "green"], [5.0, -5.0], 0.0) + rng.normal(size=200)
    )
    df = pd.DataFrame({"colour": colour, "size": size, "price": price})
    task = infer_task(df["price"], name="price")
    splits = fold_indices(df["price"].to_numpy(), k=4, seed=3, stratified=False)
    results = cross_validate_baselines(df, "price", task, splits)
    assert list(results) == ["mean", "ridge", "HistGradientBoosting"]
    for fold, (train, valid) in enumerate(splits):
        encoder, scaler = OneHotEncoder(handle_unknown="ignore"), StandardScaler()
        x_train = np.hstack(
            [
                encoder.fit_transform(df[["colour"]].iloc[train]).toarray(),
                scaler.fit_transform(df[["size"]].iloc[train]),
            ]
        )
        x_valid = np.hstack(
            [
                encoder.transform(df[["colour"]].iloc[valid]).toarray(),
                scaler.transform(df[["size"]].iloc[valid]),
            ]
        )
        ridge = Ridge(alpha=1.0).fit(x_train, price[train]).predict(x_valid)
        got = results["ridge"].folds[fold]
        assert got["mae"] == pytest.approx(mean_absolute_error(price[valid], ridge), rel=1e-4)
        assert got["r2"] == pytest.approx(r2_score(price[valid], ridge), rel=1e-4)
        mean = DummyRegressor().fit(x_train, price[train]).predict(x_valid)
        assert results["mean"].folds[fold]["rmse"] == pytest.approx(
            np.sqrt(np.mean((price[valid] - mean) ** 2)), rel=1e-4
        )


def test_multiclass_probabilities_cover_every_class() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=150)
    df = pd.DataFrame({"x": x, "y": np.digitize(x, [-0.5, 0.5]).astype(str)})
    task = infer_task(df["y"], name="y")
    splits = fold_indices(df["y"].to_numpy(), k=3)
    results = cross_validate_baselines(df, "y", task, splits, names=["logistic"])
    assert results["logistic"].summary()["accuracy"].mean > 0.85


def test_multilabel_targets_get_one_baseline_per_label() -> None:
    rng = np.random.default_rng(3)
    x, z = rng.normal(size=120), rng.normal(size=120)
    tags = [
        "|".join(t for t, on in (("a", xi > 0), ("b", zi > 0)) if on) or "none"
        for xi, zi in zip(x, z, strict=True)
    ]
    df = pd.DataFrame({"x": x, "z": z, "y": tags})
    task = infer_task(df["y"], name="y", label_delim="|")
    splits = fold_indices(df["y"].to_numpy(), k=3, stratified=False)
    results = cross_validate_baselines(df, "y", task, splits)
    assert set(results) == {"label priors", "logistic", "HistGradientBoosting"}
    assert results["logistic"].summary()["roc_auc"].mean > 0.95
    assert results["label priors"].summary()["roc_auc"].mean == pytest.approx(0.5)


def test_a_label_missing_from_a_fold_is_predicted_as_its_constant() -> None:
    from sklearn.linear_model import LogisticRegression

    from trainwell.evaluate.baselines import PerLabel

    inputs = np.arange(20.0).reshape(-1, 1)
    targets = np.stack([np.r_[np.zeros(10), np.ones(10)], np.zeros(20)], axis=1)  # label 2 never present
    probabilities = PerLabel(LogisticRegression()).fit(inputs, targets).predict_proba(inputs)
    assert probabilities.shape == (20, 2) and np.all(probabilities[:, 1] == 0.0)
    assert probabilities[0, 0] < 0.5 < probabilities[-1, 0]


def test_tasks_without_baselines_are_refused() -> None:
    with pytest.raises(ConfigError, match="baselines support binary, multiclass, multi-label and regression"):
        baseline_names("tagging")


def test_judge_needs_the_whole_interval_to_be_better() -> None:
    high = MetricSummary(0.93, 0.01, 0.92, 0.94)
    low = MetricSummary(0.90, 0.01, 0.89, 0.91)
    close = MetricSummary(0.915, 0.01, 0.905, 0.925)
    assert judge("roc_auc", "b", high, low).outcome == "beats"
    assert judge("roc_auc", "b", low, high).outcome == "worse"
    assert judge("roc_auc", "b", high, close).outcome == "within"
    # Errors: lower is better, so the same numbers flip.
    assert judge("rmse", "b", high, low).outcome == "worse"
    assert judge("roc_auc", "HGB", low, high).sentence() == (
        "trainwell's roc_auc 0.900 [0.890, 0.910] is worse than HGB's 0.930 [0.920, 0.940]: "
        "the intervals do not overlap"
    )

    assert judge("roc_auc", "HGB", close, high).sentence().endswith("the difference is within the intervals")


def test_verdicts_add_the_paired_difference_on_shared_folds() -> None:
    splits = fold_indices(np.arange(30) % 2, k=3)
    model = CVResult([{"roc_auc": v} for v in (0.80, 0.90, 0.85)], splits)
    baseline = CVResult([{"roc_auc": v} for v in (0.78, 0.87, 0.84)], splits)
    elsewhere = CVResult(baseline.folds, fold_indices(np.arange(30) % 2, k=3, seed=1))
    (shared,) = verdicts(model, {"logistic": baseline})
    differences = np.array([0.02, 0.03, 0.01])
    _, _, low, high = mean_ci(differences)
    assert shared.outcome == "within"
    assert shared.paired is not None and (shared.paired.low, shared.paired.high) == pytest.approx((low, high))
    assert shared.sentence().endswith(
        f": the paired difference over the same folds is +0.020 [{low:+.3f}, {high:+.3f}], an interval that "
        "includes zero"
    )
    (unpaired,) = verdicts(model, {"logistic": elsewhere})
    assert unpaired.paired is None and unpaired.sentence().endswith("within the intervals")


def test_a_consistent_gap_on_shared_folds_is_worse_even_when_the_intervals_overlap() -> None:
    # Fold difficulty varies a lot, the gap does not: separate intervals overlap, the paired one is all < 0.
    splits = fold_indices(np.arange(40) % 2, k=4)
    model = CVResult([{"roc_auc": v} for v in (0.80, 0.90, 0.85, 0.95)], splits)
    baseline = CVResult([{"roc_auc": v + 0.01} for v in (0.80, 0.90, 0.85, 0.95)], splits)
    (verdict,) = verdicts(model, {"HGB": baseline})
    assert verdict.model.high > verdict.other.low  # the separate intervals overlap
    assert verdict.outcome == "worse"
    assert "is worse than HGB's" in verdict.sentence()
    assert verdict.sentence().endswith("wholly on the wrong side of zero")


def test_a_metric_undefined_in_some_fold_is_no_comparison() -> None:
    nan = float("nan")
    undefined = MetricSummary(nan, nan, nan, nan)
    known = MetricSummary(0.708, 0.01, 0.69, 0.72)
    verdict = judge("entity_precision", "most frequent tag", undefined, known)
    assert verdict.outcome == "undefined"
    assert verdict.sentence() == (
        "entity_precision cannot compare trainwell with most frequent tag: trainwell's entity_precision is "
        "undefined in at least one fold (nothing there for it to score, such as no positive predictions for a "
        "precision)"
    )
    assert judge("entity_precision", "b", known, undefined).outcome == "undefined"
