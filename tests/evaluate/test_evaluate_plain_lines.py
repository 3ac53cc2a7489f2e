"""The lines ``trainwell evaluate`` prints under the table, as a user tour read them (T45, findings 4, 9, 11):
every figure of the line on time adds up, the boosted trees' note says what sets them apart from the
HistGradientBoosting baseline, and a constant baseline whose answer changed between folds has an honest interval.
Every time here is a fake clock's."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from clock_support import on_a_clock_of_its_own
from trainwell.evaluate.cv import FoldBudget
from trainwell.evaluate.evaluation import OneStepFold, TimeSpent, budget_line

CUT = "the 8.1s budget trained 4.0 of the 14 epochs planned (its learning-rate schedule was shortened to end within the budget) in 8.1s"


def test_the_folds_even_share_is_of_the_time_left_for_them() -> None:
    # evaluate photos/ --cv 5 --time 60s: 19 s before the folds, 41 s left. It said "its share of the 41s left,
    # 7.7s to 8.1s (an even split: 12s each)", the 12 s being the whole minute's fifth.
    spent = TimeSpent(60.0, 12.0, reading=15.0, baselines=4.0, training=40.0, after=0.3)
    shares = [8.1, 8.0, 7.9, 7.7, 7.8]
    line = budget_line([FoldBudget(i, s, s, True, CUT, 4.0) for i, s in enumerate(shares)], 5, spent=spent)
    assert line == (
        "time budget 1m: 15s reading the data and 4.0s scoring the baselines; the 5 folds shared the 41s left, "
        f"7.7s to 8.1s each (8.2s an even share); the budget cut all 5 folds short (fold 1: {CUT})"
    )
    # the figures add up: what came before and what was left make the budget; the even share is the left / k
    before, left, even = re.search(r"(\d+)s reading .* (\d+)s left.*\((\S+)s an even share\)", line).groups()  # type: ignore[union-attr]
    assert int(before) + 4 + int(left) == 60 and float(even) == pytest.approx(int(left) / 5, abs=0.05)
    assert "even split" not in line and "12s" not in line


def test_trees_folds_and_the_fold_by_epochs_are_said_apart() -> None:
    # evaluate small.csv --cv 5 --time 90s, arch auto: four folds of trees, the fifth the MLP. It said "each fold
    # trained within its share of the 1m 20s left, 52s (an even split: 18s each); the budget cut 0 of the 1 fold
    # trained by epochs short (fold 5: ...)".
    spent = TimeSpent(90.0, 18.0, reading=6.0, baselines=4.0, training=50.0, after=0.3)
    trees = [OneStepFold(fold, 0.75, 16.0, "gbdt") for fold in range(4)]
    mlp = FoldBudget(4, 52.0, 20.0, False, "the 52s budget was not reached: all 600 batches in 20s", 30.0)
    archs = ["gbdt"] * 4 + ["tabular_mlp"]
    assert budget_line([mlp], 5, trees, spent, archs) == (
        "time budget 1m 30s: 6.0s reading the data and 4.0s scoring the baselines; boosted trees fitted folds 1 to "
        "4 in one step, which --time does not cut: 3.0s in all; fold 5 (the MLP) was given 52s and used 20s, not "
        "cut short"
    )
    # two folds by epochs among trees: their shares and use, and how many the budget cut
    archs = ["gbdt", "tabular_mlp", "gbdt", "tabular_mlp", "gbdt"]
    by_epochs = [
        FoldBudget(1, 20.0, 20.0, True, CUT, 4.0),
        FoldBudget(3, 30.0, 9.0, False, "not reached", 30.0),
    ]
    said = budget_line(by_epochs, 5, [trees[0], trees[2], OneStepFold(4, 0.75, 16.0, "gbdt")], spent, archs)
    assert said.endswith(
        "boosted trees fitted folds 1, 3 and 5 in one step, which --time does not cut: 2.2s in all; folds 2 and 4 "
        f"(the MLP) were given 20s to 30s each and used 9.0s to 20s; the budget cut 1 of them short (fold 2: {CUT})"
    )


def test_folds_side_by_side_under_torchrun_are_said_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainwell.evaluate import fold_indices
    from trainwell.evaluate.evaluation import check_settings, time_spent
    from trainwell.evaluate.spread import cross_validate_spread

    clock = [100.0]
    on_a_clock_of_its_own(monkeypatch, lambda: clock[0])

    class TwoProcesses:  # rank 0 of two: folds 0 and 2 here, fold 1 in the other process
        rank, size = 0, 2

        def share(self, n_jobs: int) -> list[int]:
            return list(range(0, n_jobs, 2))

        def gather(self, value):  # the other process's fold, as it would come back
            runs = value[1]
            return [value, ([1], [runs[0]], {}, [])]

        def alone(self):
            import contextlib

            return contextlib.nullcontext()

    share = check_settings(cv=3, time_budget="3m")
    clock[0] += 5.0  # reading the data

    def fold(train, valid, number):
        clock[0] += 20.0
        return {"n": float(len(valid))}

    cross_validate_spread(
        fold, fold_indices(np.arange(30.0), 3, 0, False), processes=TwoProcesses(), fold_seconds=share
    )
    spent = time_spent(share)
    assert spent is not None and spent.processes == 2 and spent.to_dict()["processes"] == 2
    budgets = [FoldBudget(fold, 60.0, 20.0, False, "the 1m budget was not reached", 4.0) for fold in range(3)]
    assert budget_line(budgets, 3, spent=spent) == (
        "time budget 3m: 5.0s reading the data; the 3 folds ran side by side in 2 processes, each within 1m (an "
        "even share of the whole budget); no fold was cut short (fold 1: the 1m budget was not reached)"
    )


def _income_table(n_rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=n_rows), rng.normal(size=n_rows)
    noisy = a + b + rng.normal(scale=1.5, size=n_rows) > 0.8
    return pd.DataFrame(
        {"a": a, "b": b, "c": rng.choice(["x", "y", "z"], n_rows), "y": np.where(noisy, "hi", "lo")}
    )


def test_the_trees_note_says_how_they_differ_from_the_histgradientboosting_baseline() -> None:
    from trainwell.tabular.evaluation import evaluate_table, trees_against_baseline

    evaluation = evaluate_table(_income_table(), "y", cv=3, arch="gbdt", metrics=["log_loss"])
    shown = " ".join(str(evaluation).split())
    assert re.search(
        r"trainwell here is boosted trees in 3 of 3 folds; its trees are HistGradientBoosting as the baseline is, "
        r"but early-stopped on an inner 10% of each fold's training rows \(at most 500 rounds; it stopped after "
        r"\d+( to \d+)?\), where the baseline keeps scikit-learn's defaults \(100 rounds, early stopping only above "
        r"10,000 training rows\)",
        shown,
    ), shown
    assert evaluation.to_dict()["model_note"] == evaluation.model_note
    # settings of its own are named; above 10,000 training rows the baseline early-stops too
    said = trees_against_baseline(
        [
            {
                "early_stopping": True,
                "validation_fraction": 0.2,
                "max_iter": 300,
                "learning_rate": 0.05,
                "n_iter": 80,
            }
        ],
        [20_000],
    )
    assert said == (
        "HistGradientBoosting as the baseline is, but early-stopped on an inner 20% of each fold's training rows (at "
        "most 300 rounds; it stopped after 80), learning rate 0.05, where the baseline keeps scikit-learn's defaults "
        "(at most 100 rounds, early-stopped likewise above 10,000 training rows)"
    )
    assert trees_against_baseline([], []) is None
    # without the baseline there is nothing to set the trees apart from
    alone = evaluate_table(_income_table(), "y", cv=3, arch="gbdt", baselines=False)
    assert alone.model_note is None and "its trees are" not in str(alone)


def test_a_constant_whose_answer_held_keeps_its_interval_over_rows() -> None:
    from trainwell.evaluate.baselines import baseline_result, row_interval_note
    from trainwell.evaluate.compare import score

    folds, out_of_fold, splits = [], [], []
    for number, flipped in enumerate([False] * 9 + [True]):  # rt_polarity --cv 10: "pos" in one fold of ten
        valid = np.arange(number * 20, number * 20 + 20)
        targets = torch.tensor([0] * 10 + [1] * 10)
        preds = torch.full((20,), 0.55 if flipped else 0.45)
        folds.append(score(preds, targets, "binary", ["roc_auc", "f1"], ()))
        out_of_fold.append((valid, preds, targets))
        splits.append((np.setdiff1d(np.arange(200), valid), valid))
    changed = baseline_result("majority class", folds, splits, out_of_fold, "binary")
    f1 = changed.summary()["f1"]
    # The t interval over the 10 fold scores, its variance corrected for their shared training rows (Nadeau and
    # Bengio: 1/10 + 20/180): 0.2175 uncorrected.
    assert f1.mean == pytest.approx(1 / 15) and f1.low == 0.0 and f1.high == pytest.approx(0.2858, abs=1e-4)
    assert row_interval_note({"majority class": changed}) == (
        "majority class gave one answer in 9 folds and another in 1 fold (whichever each fold's training rows "
        "favoured), so its [low, high] is a 95% t interval over its 10 fold scores (corrected for overlapping folds), not over rows: f1 0.000 in 9 "
        "folds, 0.667 in 1 fold"
    )
    held = baseline_result("majority class", folds[:9], splits[:9], out_of_fold[:9], "binary")
    assert not held.answer_changed() and held.summary()["f1"].n_rows == 180
    assert row_interval_note({"majority class": held}).startswith(  # type: ignore[union-attr]
        "majority class: [low, high] is a 95% bootstrap interval over the 180 validation rows"
    )
