"""Baselines on the same folds, against scikit-learn models and metrics computed directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
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
    # The folds share training rows: the interval's variance is corrected as the model's own (Nadeau-Bengio).
    _, _, low, high = mean_ci(differences, test_share=model.test_share())
    assert model.test_share() == pytest.approx(0.5) and shared.outcome == "within"
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


def _balanced_folds() -> tuple[pd.DataFrame, object, list]:
    """80 rows, 40 of each class, 3 stratified folds: each fold's training rows favour a class by one row or
    tie, so the majority-class rule flips between folds."""
    rng = np.random.default_rng(0)
    y = np.array(["yes"] * 40 + ["no"] * 40)
    df = pd.DataFrame({"x": rng.normal(size=80) + 1.5 * (y == "yes"), "y": y})
    task = infer_task(df["y"], name="y")
    return df, task, fold_indices(df["y"].to_numpy(), k=3, seed=0)


def test_majority_class_whose_answer_changed_between_folds_has_the_t_interval_of_its_fold_scores() -> None:
    # With 3 folds the majority class's F1 was 0, 0.65 and 0.67 (which class a fold favoured). A bootstrap over
    # each fold's rows keeps each fold's answer, and was tight around a mean no fold scored (rt_polarity, 10
    # folds: 0.0666 [0.0636, 0.0694], from 0 in 9 folds and 0.667 in one): the honest interval is the t interval
    # over the fold scores, clipped to what an F1 can be, and the note says why.
    from sklearn.metrics import f1_score

    from trainwell.evaluate.baselines import row_interval_note
    from trainwell.evaluate.cv import RowBootstrapCVResult

    df, task, splits = _balanced_folds()
    result = cross_validate_baselines(
        df, "y", task, splits, ["accuracy", "f1", "roc_auc"], names=["majority class"]
    )
    majority = result["majority class"]
    f1_folds = majority.values("f1")
    assert f1_folds.min() == 0.0 and f1_folds.max() > 0.6  # the folds disagree on the majority
    assert isinstance(majority, RowBootstrapCVResult) and majority.answer_changed()
    summary = majority.summary()["f1"]
    y = (df["y"] == "yes").to_numpy().astype(int)
    by_sklearn = [
        f1_score(y[valid], np.full(len(valid), int(y[train].mean() >= 0.5))) for train, valid in splits
    ]
    assert summary.mean == pytest.approx(np.mean(by_sklearn))  # still the mean of the fold scores
    _, _, t_low, t_high = mean_ci(f1_folds)
    assert (summary.low, summary.high) == (max(t_low, 0.0), min(t_high, 1.0)) == (0.0, 1.0)
    assert summary.n_rows is None and majority.to_dict()["summary"]["f1"]["n_folds"] == 3
    # a constant's AUC is 0.5 in every fold, whichever its answer
    auc = majority.summary()["roc_auc"]
    assert (auc.mean, auc.low, auc.high) == (0.5, 0.5, 0.5)
    note = row_interval_note(result)
    assert note is not None and note.startswith(
        "majority class gave one answer in 2 folds and another in 1 fold (whichever each fold's training rows "
        "favoured), so its [low, high] is a 95% t interval over its 3 fold scores (corrected for overlapping folds), not over rows: "
    )
    assert note.endswith(": f1 0.650 to 0.667 in 2 folds, 0.000 in 1 fold")  # accuracy: about 0.49 either way


def test_a_model_is_compared_with_the_majority_class_over_its_rows() -> None:
    # The t interval of the fold-by-fold difference with the majority class moved with which class each fold
    # favoured, so even a model that clearly learned "did not beat" it, in a warning; over rows it does.
    from rich.console import Console
    from sklearn.linear_model import LogisticRegression

    from trainwell.evaluate import score
    from trainwell.evaluate.evaluation import Evaluation, render

    df, task, splits = _balanced_folds()
    names = ["accuracy", "f1"]
    baselines = cross_validate_baselines(df, "y", task, splits, names, names=["majority class"])
    x, y = df[["x"]].to_numpy(), (df["y"] == "yes").to_numpy().astype(np.float32)
    folds, predictions = [], []
    for train, valid in splits:
        proba = LogisticRegression().fit(x[train], y[train]).predict_proba(x[valid])[:, 1]
        preds, targets = torch.tensor(proba, dtype=torch.float32), torch.from_numpy(y[valid])
        folds.append(score(preds, targets, "binary", names))
        predictions.append((valid, preds, targets))
    model = CVResult(folds, splits)
    by_folds = {
        v.metric: v for v in verdicts(model, {"m": CVResult(baselines["majority class"].folds, splits)})
    }
    assert by_folds["f1"].outcome == "within"  # what was warned about before
    over_rows = {v.metric: v for v in verdicts(model, baselines, model_predictions=predictions)}
    assert over_rows["accuracy"].outcome == "beats" and over_rows["accuracy"].baseline == "majority class"
    paired = over_rows["accuracy"].paired
    assert paired is not None and paired.n_rows == 80
    assert paired.mean == pytest.approx(
        np.mean(model.values("accuracy") - baselines["majority class"].values("accuracy"))
    )
    assert "paired difference over the same 80 validation rows (bootstrap within folds) is +" in (
        over_rows["accuracy"].sentence()
    )
    # F1 is judged against answering the positive class everywhere (F1 2p/(1+p)), over the same rows: the
    # majority class's F1 (0 where it answers the negative class) is no reference for it.
    f1 = over_rows["f1"]
    assert f1.baseline == "always-positive" and f1.paired is not None and f1.paired.n_rows == 80
    rates = [float(y[valid].mean()) for _, valid in splits]
    assert f1.other.mean == pytest.approx(np.mean([2 * p / (1 + p) for p in rates]))
    assert f1.paired.mean == pytest.approx(np.mean(model.values("f1")) - f1.other.mean)
    # predictions identical to the baseline's: a difference of exactly 0, which beats nothing
    same = [
        (valid, torch.full((len(valid),), float(y[train].mean() >= 0.5)), torch.from_numpy(y[valid]))
        for train, valid in splits
    ]
    tie = verdicts(model, baselines, model_predictions=same)[0]
    assert tie.outcome == "within" and tie.paired is not None and tie.paired.mean == 0.0
    # predictions of other rows cannot be paired: the model's interval is compared with the baseline's
    shifted = [(valid + 1, preds, targets) for valid, preds, targets in predictions]
    assert verdicts(model, baselines, model_predictions=shifted)[0].paired is None

    console = Console(width=250, record=True)
    render(Evaluation(task, 80, model, baselines, [1e-3] * 3, predictions=predictions), console)
    shown = console.export_text()
    # its answer changed between folds: a t interval over its fold scores, said (the comparison stays over rows)
    assert (
        "majority class gave one answer in 2 folds and another in 1 fold (whichever each fold's training rows "
        "favoured), so its [low, high] is a 95% t interval over its 3 fold scores (corrected for overlapping folds), not over rows: f1 0.650 to "
        "0.667 in 2 folds, 0.000 in 1 fold"
    ) in shown
    assert "warning:" not in shown
