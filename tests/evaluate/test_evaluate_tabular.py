"""Cross-validating the tabular model: no leakage across folds, warnings against baselines, the command."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from trainwell.cli.evaluate_cmd import evaluate
from trainwell.data.task import infer_task
from trainwell.evaluate import cross_validate, fold_indices
from trainwell.tabular.evaluation import TabularFold, evaluate_table


def _xor_table(n: int = 400) -> pd.DataFrame:
    """Easy for gradient boosting (an interaction of a sign and a category), hard for one epoch of an MLP."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["a", "b", "c"], size=n)
    y = ((x1 * x2 > 0) ^ (colour == "a")).astype(int)
    return pd.DataFrame({"x1": x1 * 10 + 50, "x2": x2, "colour": colour, "y": y})


def test_each_fold_fits_its_preprocessing_on_its_training_rows_only() -> None:
    df = _xor_table(200)
    task = infer_task(df["y"], name="y")
    fold = TabularFold(df, "y", task, ["accuracy"], epochs=1, lr=3e-3)
    result = cross_validate(len(df), df["y"].to_numpy(), fold, k=3)
    means = [recipe.means["x1"] for recipe in fold.recipes]
    for number, (recipe, (train, valid)) in enumerate(zip(fold.recipes, result.splits, strict=True)):
        # the MLP's training rows: the fold's, less the inner fifth its best epoch is kept on (never the scored)
        order, n_inner = fold._inner_split(train, number)
        trained = order[n_inner:]
        assert set(trained) <= set(train) and not set(trained) & set(valid)
        assert recipe.means["x1"] == pytest.approx(df["x1"].iloc[trained].mean(), rel=1e-6)
        assert recipe.stds["x1"] == pytest.approx(df["x1"].iloc[trained].std(ddof=0), rel=1e-5)
    assert len(set(means)) == 3
    assert all(m != pytest.approx(df["x1"].mean(), rel=1e-9) for m in means)


def test_a_handicapped_model_is_reported_worse_than_gradient_boosting() -> None:
    evaluation = evaluate_table(_xor_table(), "y", cv=3, epochs=1, lr=3e-3)
    texts = [v.sentence() for v in evaluation.verdicts() if v.baseline == "HistGradientBoosting"]
    hgb = evaluation.baselines["HistGradientBoosting"].summary()["roc_auc"]
    assert hgb.mean > 0.9
    assert any(
        text.startswith("trainwell's roc_auc ") and "is worse than HistGradientBoosting's" in text
        for text in texts
    )
    splits = fold_indices(_xor_table()["y"].to_numpy(), 3, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(evaluation.model.splits, splits, strict=True)), (
        "the model and the baselines must share the folds"
    )
    assert evaluation.baselines["logistic"].splits is not None


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("evaluate")(evaluate)
    app.command("noop")(lambda: None)  # two commands, so that "evaluate" is a sub-command as in the real app
    return app


def test_command_prints_the_table_and_warnings(tmp_path: Path) -> None:
    path = tmp_path / "xor.csv"
    _xor_table(300).to_csv(path, index=False)
    result = CliRunner().invoke(
        _app(), ["evaluate", str(path), "--target", "y", "--cv", "3", "--epochs", "1"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "3-fold cross-validation (binary, 300 rows)" in result.output
    assert "HistGradientBoosting" in result.output and "majority class" in result.output
    # One line per baseline, each metric with its paired difference.
    # Three folds' t interval, its variance corrected for their shared training rows, is wide; one epoch of the
    # MLP (kept, on an inner fifth) loses clearly in accuracy and ROC AUC.
    assert "warning: trainwell is worse than HistGradientBoosting on accuracy -" in result.output
    assert "; roc_auc -0." in result.output
    assert (
        "(the differences trainwell minus HistGradientBoosting, paired over the same folds" in result.output
    )
    assert "note: trainwell does not clearly beat logistic on accuracy " in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cv", "1"], "--cv must be a whole number of folds of at least 2, got 1; pass e.g. --cv 5"),
        (["--cv", "9"], "--cv 9 is more than the smallest class count: class '1' has only 5 rows"),
        (["--target", "nope"], "'nope' not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "small.csv"
    pd.DataFrame({"x": range(30), "y": [0] * 25 + [1] * 5, "gap": [None] * 3 + [1.5] * 27}).to_csv(
        path, index=False
    )
    argv = ["evaluate", str(path), *(args if "--target" in args else ["--target", "y", *args])]
    result = CliRunner().invoke(_app(), argv, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_regression_uses_plain_folds_and_error_metrics() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=120)
    df = pd.DataFrame({"x": x, "y": 3 * x + rng.normal(scale=0.1, size=120)})
    evaluation = evaluate_table(df, "y", cv=3, epochs=2, lr=3e-3)
    assert evaluation.task.kind == "regression" and not evaluation.model.stratified
    assert evaluation.model.metric_names == ["rmse", "mae", "r2"]
    ridge = evaluation.baselines["ridge"].summary()["r2"]
    assert ridge.mean > 0.99
    # Out-of-fold predictions cover every row once and score like the per-fold metrics.
    rows = np.sort(np.concatenate([valid for valid, _, _ in evaluation.predictions]))
    assert rows.tolist() == list(range(120))
    valid, preds, targets = evaluation.predictions[0]
    assert np.allclose(targets.numpy(), df["y"].to_numpy()[valid], atol=1e-5)
    rmse = float(np.sqrt(np.mean((preds.numpy() - targets.numpy()) ** 2)))
    assert evaluation.model.folds[0]["rmse"] == pytest.approx(rmse, rel=1e-4)


def _labels_table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x, z = rng.normal(size=n), rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "z": z, "shop": rng.choice(["a", "b"], n)})
    frame["hot"], frame["busy"] = (x > 0).astype(int), (z > 0).astype(int)
    frame["rare"] = ((x > 1.2) & (frame["shop"] == "a")).astype(int)  # ~6%: absent from some training folds
    return frame


def test_multilabel_targets_are_cross_validated_against_per_label_baselines() -> None:
    df = _labels_table()
    evaluation = evaluate_table(df, ["hot", "busy", "rare"], cv=3, epochs=3, lr=1e-2)
    assert evaluation.task.kind == "multilabel" and not evaluation.model.stratified
    assert set(evaluation.baselines) == {"label priors", "logistic", "HistGradientBoosting"}
    logistic = evaluation.baselines["logistic"].summary()["roc_auc"].mean
    priors = evaluation.baselines["label priors"].summary()["roc_auc"]
    assert logistic > 0.95 and priors.mean == pytest.approx(0.5, abs=0.05)  # priors cannot rank rows
    assert evaluation.model.summary()["roc_auc"].mean > 0.8
    # The baselines score the same rows: their per-fold F1 is the F1 of 0/1 decisions at 0.5 over the labels.
    assert all(0.0 <= fold["f1"] <= 1.0 for fold in evaluation.baselines["HistGradientBoosting"].folds)


def test_a_delimited_label_column_is_evaluated_with_label_delim(tmp_path: Path) -> None:
    df = _labels_table(150)
    df["tags"] = [
        ";".join(name for name in ("hot", "busy") if row[name]) or "none" for _, row in df.iterrows()
    ]
    path = tmp_path / "tags.csv"
    df.drop(columns=["hot", "busy", "rare"]).to_csv(path, index=False)
    argv = ["evaluate", str(path), "--target", "tags", "--label-delim", ";", "--cv", "2", "--epochs", "1"]
    result = CliRunner().invoke(_app(), argv, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2-fold cross-validation (multilabel, 150 rows)" in result.output
    assert "label priors" in result.output and "logistic" in result.output


def test_a_time_budget_is_shared_among_the_folds_and_said_when_it_cuts_them() -> None:
    import json

    df = _xor_table(120)
    # 100,000 epochs cannot fit in 1.5 s a fold: each fold's schedule is fitted to its share and cut. The share
    # is what is left of the whole call's 3 s when the fold starts (reading the data came out of it), shared
    # among the folds still to run, and never under half an equal share. (A real clock: 0.6 s, spent reading the
    # data on a loaded machine, failed with BudgetSpent.)
    evaluation = evaluate_table(
        df, "y", cv=2, epochs=100_000, lr=1e-2, arch="mlp", baselines=False, time_budget=3.0
    )
    assert [budget.fold for budget in evaluation.budgets] == [0, 1]
    assert all(0.75 <= budget.seconds <= 3.0 and budget.shortened for budget in evaluation.budgets)
    assert "of the 100000 epochs planned" in evaluation.budgets[0].summary
    assert re.search(
        r"time budget 3.0s: [0-9.]+m?s reading the data; (the 2 folds shared the [0-9.]+m?s left|only [0-9.]+m?s "
        r"was left for the 2 folds).*?; the budget cut both folds short",
        " ".join(str(evaluation).split()),
    )
    shown = " ".join(str(evaluation).split())
    assert "note: over 2 folds each t interval rests on 1 degree of freedom (t = 12.7 for 95%)" in shown
    saved = json.loads(json.dumps(evaluation.to_dict()))["time_budget"]
    assert [(fold["fold"], fold["shortened"]) for fold in saved] == [(0, True), (1, True)]
    # Without a budget nothing is said about one.
    untimed = evaluate_table(df, "y", cv=2, epochs=1, lr=1e-2, arch="mlp", baselines=False)
    assert untimed.budgets == [] and "time budget" not in str(untimed)
    assert "time_budget" not in untimed.to_dict()


def test_folds_that_trained_less_than_an_epoch_are_said_to_be_barely_trained() -> None:
    # California housing, --time 30s over 5 folds: each trained 0.1 of its 5 epochs, and the table read as a fair
    # comparison of trainwell with the baselines.
    from trainwell.evaluate.cv import FoldBudget
    from trainwell.evaluate.evaluation import budget_line

    said = "the 6.0s budget trained 0.1 of the 5 epochs planned"
    cut = [FoldBudget(fold, 6.0, 6.0, True, said, 0.1 + fold / 100) for fold in range(3)]
    assert budget_line(cut).endswith(
        "; 3 folds trained less than one epoch (as little as 0.1): trainwell's scores here are a barely trained "
        "model's, not what it does given time: give more --time"
    )
    enough = [FoldBudget(fold, 6.0, 6.0, True, said, 2.5) for fold in range(3)]
    assert "barely" not in budget_line(enough) and "barely" not in budget_line(
        [*enough[:2], FoldBudget(2, 6, 6, True, said)]
    )


def test_lr_reaches_each_fold_and_a_texts_bad_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short --time told evaluate's users to "pass --lr to skip the learning-rate finder", which it had not.
    path = tmp_path / "xor.csv"
    _xor_table(120).to_csv(path, index=False)
    seen: dict[str, object] = {}
    real = evaluate_table

    def spy(*args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("trainwell.tabular.evaluation.evaluate_table", spy)
    argv = ["evaluate", str(path), "--target", "y", "--cv", "2", "--epochs", "1", "--lr", "0.004"]
    result = CliRunner().invoke(_app(), argv, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert seen["lr"] == 0.004
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"text": ["good film", "bad film"] * 20, "label": ["pos", "neg"] * 20}).to_csv(
        texts, index=False
    )
    # --lr reaches a text model too now (evaluate_texts' lr=): a bad one is refused before any fold
    refused = CliRunner().invoke(
        _app(), ["evaluate", str(texts), "--text", "text", "--target", "label", "--lr", "-0.01"]
    )
    assert refused.exit_code == 2 and "--lr) must be above 0 and below 10, got -0.01" in refused.output, (
        refused.output
    )
