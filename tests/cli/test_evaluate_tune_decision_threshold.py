"""``trainwell evaluate --decision-threshold`` and ``trainwell tune --decision-threshold``: the same values as
``fit --decision-threshold``. In evaluate each fold chooses its threshold on its own training rows (never on the
rows it is scored on), the metrics of decisions are at it, a line and the JSON say each fold's threshold and their
mean, and the baselines stay at 0.5; in tune every trial decides by it, tuning.json keeps each trial's, and the kept
model decides at its own. Both refuse it in one line (exit 2) where it does not apply."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli
from sklearn.metrics import f1_score

from trainwell.data.task import infer_task
from trainwell.evaluate import fold_indices
from trainwell.tabular.evaluation import TabularFold


def _rare_yes(n_rows: int, seed: int) -> pd.DataFrame:
    """About 12% 'yes', which x and colour predict in part: the best F1 is well below 0.5."""
    rng = np.random.default_rng(seed)
    x, colour = rng.normal(size=n_rows), rng.choice(["red", "blue", "green"], n_rows)
    score = 1.3 * x + (colour == "red") + rng.normal(size=n_rows)
    return pd.DataFrame({"x": x, "colour": colour, "y": np.where(score > 2.0, "yes", "no")})


@pytest.fixture(scope="module")
def rare_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rare") / "rare.csv"
    _rare_yes(600, 0).to_csv(path, index=False)
    return path


def test_evaluate_chooses_each_folds_threshold_says_it_and_keeps_the_baselines(
    rare_csv: Path, tmp_path: Path
) -> None:
    base = ["evaluate", rare_csv, "--target", "y", "--cv", "3", "--arch", "gbdt"]
    plain = run_cli(*base, "--json", tmp_path / "plain.json")
    chosen = run_cli(
        *base, "--decision-threshold", "f1", "--json", tmp_path / "f1.json", "--oof", tmp_path / "oof.csv"
    )
    assert plain.returncode == 0, plain.explain()
    assert chosen.returncode == 0, chosen.explain()
    before, after = (json.loads((tmp_path / name).read_text()) for name in ("plain.json", "f1.json"))
    decided = after["decision_threshold"]
    assert decided["setting"] == "f1" and len(decided["per_fold"]) == 3
    assert all(0 < threshold < 0.5 for threshold in decided["per_fold"])  # 12% positives: below 0.5
    assert decided["mean"] == pytest.approx(np.mean(decided["per_fold"]))
    line = next(line for line in chosen.stdout.splitlines() if line.startswith("trainwell decides at "))
    assert f"(mean {decided['mean']:.3g})" in line and "never on the rows it is scored on" in line
    assert "decision_threshold" not in before and "trainwell decides at" not in plain.stdout
    # The same models (roc_auc does not move), their decisions at each fold's threshold; the baselines as they were
    assert after["trainwell"]["summary"]["roc_auc"] == before["trainwell"]["summary"]["roc_auc"]
    assert after["trainwell"]["summary"]["f1"]["mean"] != before["trainwell"]["summary"]["f1"]["mean"]
    assert after["baselines"] == before["baselines"]
    oof = pd.read_csv(tmp_path / "oof.csv")
    f1s = []
    for fold, threshold in enumerate(decided["per_fold"], start=1):
        rows = oof[oof["fold"] == fold]
        assert ((rows["probability_yes"] >= threshold) == (rows["prediction"] == "yes")).all()
        f1s.append(f1_score(rows["actual"] == "yes", rows["prediction"] == "yes"))
    assert [fold["f1"] for fold in after["trainwell"]["folds"]] == pytest.approx(f1s, abs=1e-6)
    # A threshold given is every fold's
    given = run_cli(*base, "--decision-threshold", "0.3", "--json", tmp_path / "given.json", "--no-baselines")
    assert given.returncode == 0, given.explain()
    assert json.loads((tmp_path / "given.json").read_text())["decision_threshold"]["per_fold"] == [0.3] * 3


@pytest.mark.parametrize("arch", ["gbdt", "tabular_mlp"])
def test_a_folds_threshold_is_chosen_on_its_training_rows_alone(arch: str) -> None:
    """Turning the scored rows' labels upside down leaves the fold's threshold as it was."""
    frame = _rare_yes(400, 3)
    task = infer_task(frame["y"])
    train, valid = fold_indices(frame["y"].to_numpy(), 3, 0, True, keyword="cv")[0]
    flipped = frame.copy()
    flipped.loc[valid, "y"] = np.where(frame.loc[valid, "y"] == "yes", "no", "yes")
    thresholds = []
    for table in (frame, flipped):
        fold = TabularFold(table, "y", task, ["f1"], epochs=2, lr=1e-2, arch=arch, decision="f1")
        fold(train, valid, 0)
        thresholds.append(fold.thresholds[0])
    assert thresholds[0] == thresholds[1]
    assert thresholds[0] != 0.5


def test_evaluate_refuses_it_where_it_does_not_apply(tmp_path: Path) -> None:
    rows = _rare_yes(120, 1)
    classes = tmp_path / "classes.csv"
    rows.assign(y=np.where(rows.x > 0.5, "a", np.where(rows.x > -0.5, "b", "c"))).to_csv(classes, index=False)
    refused = run_cli("evaluate", classes, "--target", "y", "--cv", "2", "--decision-threshold", "f1")
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        "error: --decision-threshold is for binary targets (two classes); target 'y' is multiclass: drop it"
    ]
    ratings = tmp_path / "ratings.csv"
    pd.DataFrame({"user": [1, 2, 3, 1], "item": [1, 1, 2, 2], "rating": [4, 3, 5, 2]}).to_csv(
        ratings, index=False
    )
    recommender = run_cli(
        "evaluate",
        ratings,
        "--user",
        "user",
        "--item",
        "item",
        "--target",
        "rating",
        "--decision-threshold",
        "0.3",
    )
    assert recommender.returncode == 2, recommender.explain()
    assert recommender.stderr_lines == [
        "error: --decision-threshold is not used by a recommender (--user, --item): drop it"
    ]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\n" * 20)
    lm = run_cli("evaluate", corpus, "--task", "language_model", "--decision-threshold", "f1")
    assert lm.returncode == 2, lm.explain()
    assert lm.stderr_lines == [
        "error: --decision-threshold is not used by a language model (--task language_model): drop it"
    ]
    wrong = run_cli("evaluate", classes, "--target", "y", "--decision-threshold", "auc")
    assert wrong.returncode == 2 and "is neither a metric" in wrong.stderr, wrong.explain()


def test_tune_decides_every_trial_by_it_and_the_kept_model_keeps_its_own(
    rare_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tuned"
    tuned = run_cli(
        "tune", rare_csv, "--target", "y", "--arch", "gbdt", "--trials", "2", "--metric", "f1",
        "--decision-threshold", "f1", "--keep", "best", "--out", out,
    )  # fmt: skip
    assert tuned.returncode == 0, tuned.explain()
    record = json.loads((out / "tuning.json").read_text())
    trials = {trial["number"]: trial for trial in record["trials"]}
    assert all(0 < trial["decision_threshold"] < 0.5 for trial in trials.values())
    kept = trials[record["kept_trial"]]["decision_threshold"]
    assert record["decision_threshold"] == {"setting": "f1", "kept_model": kept}
    assert record["fit_kwargs"]["decision_threshold"] == "f1"
    assert json.loads((out / "trainwell.json").read_text())["task"]["threshold"] == kept
    assert f"the kept model (trial {record['kept_trial']}) decides at {kept:g}" in tuned.stdout
    # The kept model decides at its threshold, as after fit: predict says so with its labels
    predicted = run_cli("predict", out, rare_csv, "--out", tmp_path / "preds.csv")
    assert predicted.returncode == 0, predicted.explain()
    preds = pd.read_csv(tmp_path / "preds.csv")
    assert ((preds["probability_yes"] >= kept) == (preds["prediction"] == "yes")).all()


def test_tune_refuses_it_where_it_does_not_apply(tmp_path: Path) -> None:
    rows = _rare_yes(120, 1)
    numbers = tmp_path / "numbers.csv"
    rows.assign(y=rows.x * 2 + 1).to_csv(numbers, index=False)
    refused = run_cli("tune", numbers, "--target", "y", "--trials", "1", "--decision-threshold", "0.3",
                      "--out", tmp_path / "m")  # fmt: skip
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines[-1] == (
        "error: --decision-threshold is for binary targets (two classes); target 'y' is regression: drop it"
    )
    assert not (tmp_path / "m").exists()
    ratings = tmp_path / "ratings.csv"
    pd.DataFrame({"user": [1, 2, 3, 1], "item": [1, 1, 2, 2], "rating": [4, 3, 5, 2]}).to_csv(
        ratings, index=False
    )
    recommender = run_cli("tune", ratings, "--user", "user", "--item", "item", "--target", "rating",
                          "--decision-threshold", "f1", "--out", tmp_path / "r")  # fmt: skip
    assert recommender.returncode == 2, recommender.explain()
    assert recommender.stderr_lines == [
        "error: --decision-threshold is not used by a recommender (--user, --item): drop it"
    ]
