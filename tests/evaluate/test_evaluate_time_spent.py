"""``evaluate --time``: the line on time says where the budget went, not only each fold's share.
``evaluate rt_polarity/ --cv 3 --time 60s`` said shares of 10s to 14s, and nothing of the 60s's rest (reading
the data, the baselines) nor of the call's 63 s. Every time here is a fake clock's."""

from __future__ import annotations

import numpy as np
import pytest

from clock_support import on_a_clock_of_its_own
from trainwell.evaluate.cv import FoldBudget
from trainwell.evaluate.evaluation import TimeSpent, budget_line, time_spent

SAID = "the 16s budget trained 4.0 of the 14 epochs planned"


def _cut(shares: list[float]) -> list[FoldBudget]:
    return [FoldBudget(fold, seconds, seconds, True, SAID, 4.0) for fold, seconds in enumerate(shares)]


def test_the_line_says_what_came_before_the_folds_and_what_was_left_for_them() -> None:
    spent = TimeSpent(60.0, 20.0, reading=2.0, baselines=9.0, training=48.0, after=0.2)
    assert budget_line(_cut([16.0, 16.4, 16.6]), 3, spent=spent) == (
        "time budget 1m: 2.0s reading the data and 9.0s scoring the baselines; the 3 folds shared the 49s left, "
        f"16s to 17s each (16s an even share); the budget cut all 3 folds short (fold 1: {SAID})"
    )  # 59.2 s in all: within the budget, so no word on the call's time


def test_a_call_past_its_budget_says_its_time_and_where_it_went() -> None:
    # ner300.txt --cv 2 --time 40s on a busy machine: fold 1 took 25s of its 19s share, fold 2 what was left
    spent = TimeSpent(40.0, 20.0, reading=1.5, baselines=0.5, training=45.0, after=1.0)
    line = budget_line(_cut([18.9, 13.0]), 2, spent=spent)
    assert line.startswith(
        "time budget 40s: 1.5s reading the data and 0.5s scoring the baselines; the 2 folds shared the 38s left, "
        "13s to 19s each (19s an even share); the budget cut both folds short"
    )
    assert line.endswith(
        "; the call took 48s, 8.0s past the budget: the folds took 45s, their own reading and scoring included, "
        "and 1.0s after them"
    )
    # Past it by no more than fit --time allows itself (a tenth, 2 s): not said. No baselines: none named.
    within = TimeSpent(40.0, 20.0, reading=1.5, baselines=0.0, training=42.0, after=0.5)
    said = budget_line(_cut([19.0, 19.0]), 2, spent=within)
    assert said.startswith(
        "time budget 40s: 1.5s reading the data; the 2 folds shared the 38s left, 19s each;"
    )
    assert "the call took" not in said


def test_a_budget_spent_before_the_folds_says_they_were_kept_half_a_share() -> None:
    spent = TimeSpent(30.0, 10.0, reading=2.0, baselines=22.0, training=16.0, after=0.0)
    line = budget_line(_cut([5.0, 5.0, 5.0]), 3, spent=spent)
    assert line.startswith(
        "time budget 30s: 2.0s reading the data and 22s scoring the baselines; only 6.0s was left for the 3 folds, "
        "so each was kept 5.0s (50% of 10s, an even share of the whole budget) and the call ran late rather than "
        "train them less; the budget cut all 3 folds short"
    )
    assert line.endswith(
        "; the call took 40s, 10s past the budget: the folds took 16s, their own reading and scoring included"
    )


def test_the_evaluate_call_keeps_where_its_budget_went(monkeypatch) -> None:
    from trainwell.evaluate import fold_indices
    from trainwell.evaluate.evaluation import check_settings
    from trainwell.evaluate.spread import cross_validate_spread

    clock = [500.0]
    on_a_clock_of_its_own(monkeypatch, lambda: clock[0])
    share = check_settings(cv=2, time_budget="10s")
    clock[0] += 1.0  # reading the data

    def baselines(splits):
        clock[0] += 2.0
        return {}

    def fold(train, valid, number):
        clock[0] += 4.0
        return {"n": float(len(valid))}

    cross_validate_spread(
        fold, fold_indices(np.arange(20.0), 2, 0, False), baselines=baselines, fold_seconds=share
    )
    clock[0] += 0.5
    spent = time_spent(share)
    assert spent is not None
    assert (spent.budget, spent.even, spent.reading, spent.baselines, spent.training, spent.after) == (
        10.0,
        5.0,
        1.0,
        2.0,
        8.0,
        0.5,
    )
    assert spent.total == pytest.approx(11.5)
    assert spent.to_dict()["folds"] == 8.0
    # What the line on time compares each fold's share with: the 7 s left after reading and the baselines.
    assert (spent.to_dict()["left_for_folds"], spent.to_dict()["even_share_of_left"]) == (7.0, 3.5)
    assert spent.to_dict()["even_share_of_budget"] == 5.0 and spent.processes == 1
    assert time_spent(None) is None and time_spent(5.0) is None


def test_the_command_says_its_own_time_when_it_ran_past_its_budget(monkeypatch) -> None:
    from trainwell.evaluate.evaluation import command_time_line

    clock = [100.0]
    on_a_clock_of_its_own(monkeypatch, lambda: clock[0])
    # started at 95 (5 s of imports before the budget began at 100); the evaluation ended at 161.5
    spent = TimeSpent(60.0, 20.0, reading=3.5, baselines=4.5, training=53.0, after=0.5, ended=161.5)
    clock[0] = 169.5  # 8 s of intervals and verdicts after it
    assert command_time_line(spent, started=95.0) == (
        "the command took 1m 14s: 1m 2s evaluating (--time 1m), 8.0s reporting the results, 5.0s starting up and "
        "the rest"
    )
    clock[0] = 161.5
    assert command_time_line(spent, started=99.0) is None  # 62.5 s: within a tenth of the minute
    assert command_time_line(None, started=0.0) is None
