"""``evaluate --time`` on models fitted in one step that the budget does not cut (boosted trees, EASE): the line
on time says what their folds took beside their shares (it said nothing: no budgeted fit timed them)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd


def _threshold_table(n_rows: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
    return pd.DataFrame({"a": a, "b": b, "y": np.where((a > 6.5) ^ (b < 2.5), "yes", "no")})


def test_the_line_says_what_folds_fitted_in_one_step_took_beside_their_shares() -> None:
    from trainwell.evaluate.cv import FoldBudget
    from trainwell.evaluate.evaluation import OneStepFold, budget_line

    trees = [OneStepFold(fold, 4.0, 3.0, "gbdt") for fold in range(3)]
    assert budget_line([], 3, trees) == (
        "time budget: boosted trees fitted all 3 folds in one step, which --time does not cut: 12s in all (each "
        "fold's share was 3.0s)"
    )
    varied = [OneStepFold(0, 1.0, 2.0, "gbdt"), OneStepFold(1, 1.5, 3.0, "gbdt")]
    assert budget_line([], 2, varied).endswith(": 2.5s in all (the folds' shares were 2.0s to 3.0s)")
    assert budget_line([], 1, [OneStepFold(0, 9.0, 5.0, "ease")]).endswith(
        "EASE fitted the 1 fold in one step, which --time does not cut: 9.0s in all (the fold's share was 5.0s)"
    )
    # arch="auto": some folds trained by epochs, the others' trees in one step
    said = "the 3.0s budget trained 2 of the 4 epochs planned"
    archs = ["gbdt", "tabular_mlp", "gbdt"]
    mixed = budget_line([FoldBudget(1, 3.0, 3.0, True, said, 2.0)], 3, [trees[0], trees[2]], archs=archs)
    assert mixed == (
        "time budget: boosted trees fitted folds 1 and 3 in one step, which --time does not cut: 8.0s in all; "
        f"fold 2 (the MLP) was given 3.0s and used 3.0s, the budget cut it short: {said}"
    )


def test_evaluate_table_keeps_the_trees_folds_time_under_a_budget() -> None:
    from trainwell.tabular.evaluation import evaluate_table

    evaluation = evaluate_table(
        _threshold_table(), "y", cv=3, arch="gbdt", baselines=False, time_budget="10m"
    )
    assert evaluation.budgets == []  # no budgeted fit: nothing the budget cut
    assert [fold.fold for fold in evaluation.one_step] == [0, 1, 2]
    assert all(fold.arch == "gbdt" and 0 < fold.used < fold.share <= 600 for fold in evaluation.one_step)
    shown = " ".join(str(evaluation).split())
    assert re.search(
        r"time budget 10m: \S+ reading the data; boosted trees fitted all 3 folds in one step, which --time "
        r"does not cut: \S+ in all "
        r"\((each fold's share was .+?|the folds' shares were .+? to .+?)\)$",
        shown,
    ), shown
    saved = json.loads(json.dumps(evaluation.to_dict()))["time_budget_one_step"]
    assert [(fold["fold"], fold["arch"]) for fold in saved] == [(0, "gbdt"), (1, "gbdt"), (2, "gbdt")]
    untimed = evaluate_table(_threshold_table(), "y", cv=3, arch="gbdt", baselines=False)
    assert untimed.one_step == [] and "time budget" not in str(untimed)
    assert "time_budget_one_step" not in untimed.to_dict()
