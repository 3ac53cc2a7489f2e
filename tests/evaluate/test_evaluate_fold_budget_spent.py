"""A fold of ``evaluate --time`` whose share was spent before it trained is refused in the evaluation's terms:
``evaluate rt_polarity/ --cv 10 --time 40s`` ran 81 s, then said "the --time of 2.0s was spent ...; pass --time
20s or more", naming one fold's share as the user's --time and advising less than the 40 s given. The message
now names the whole budget, the folds and the share, advises a budget for every fold (or fewer folds, or
--lr), and names the folds that had finished with their scores. Every clock here is moved by hand."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from clock_support import FakeClock, on_a_clock_of_its_own, ticked_regression
from trainwell.callbacks.budget import BudgetSpent, parse_duration, start_budget
from trainwell.evaluate import fold_indices
from trainwell.evaluate.evaluation import check_settings
from trainwell.evaluate.spread import cross_validate_spread
from trainwell.learner import Learner


def _fold(preparing: dict[int, float]) -> Any:
    """A fold that trains a small linear model for real under its share (the budget the fold's pipeline would
    start), its preparation taking ``preparing[fold]`` seconds of the budget's hand-moved clock."""

    def fold(train: np.ndarray, valid: np.ndarray, number: int) -> dict[str, float]:
        budget = start_budget(None)
        assert budget is not None  # the fold's share, as a one-call pipeline inside the fold gets it
        clock = FakeClock()
        budget._clock, budget._idle_since = clock, clock.now
        clock.now += preparing.get(number, 0.0)  # reading the fold's data, the learning-rate finder
        torch.manual_seed(0)
        learn = Learner(nn.Linear(3, 1), ticked_regression(), progress=False, device="cpu")
        learn.fit_one_cycle(1, 0.05, callbacks=[budget])
        return {"rmse": 0.5 + number / 100}

    return fold


def _evaluate(
    monkeypatch: pytest.MonkeyPatch, k: int, seconds: float, preparing: dict[int, float]
) -> BudgetSpent:
    clock = [1000.0]
    on_a_clock_of_its_own(monkeypatch, lambda: clock[0])
    share = check_settings(cv=k, time_budget=seconds)

    def baselines(splits: Any) -> dict[str, Any]:
        clock[0] += 2.0  # reading the data and scoring the baselines: 2 s of the budget before the folds
        return {}

    splits = fold_indices(np.arange(10.0 * k), k, 0, False)
    with pytest.raises(BudgetSpent) as raised:
        cross_validate_spread(_fold(preparing), splits, baselines=baselines, fold_seconds=share)
    return raised.value


def test_a_fold_share_spent_names_the_whole_budget_and_advises_one_for_every_fold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 10 folds of 40 s after 2 s of baselines: 3.8 s a fold, 5.3 s of preparing each (the tour's rt_polarity)
    error = _evaluate(monkeypatch, 10, 40.0, {number: 5.3 for number in range(10)})
    said = error.command_line
    assert said is not None
    assert said.startswith(
        "the --time of 40s, shared by 10 folds after 2.0s of reading the data and scoring the baselines, left "
        "fold 1 3.8s, which was spent before it began training (5.3s went to preparing it"
    ), said
    asked = re.search(r"pass --time (\S+) or more for 10 folds \(about 20s a fold\)", said)
    assert asked, said
    # What it advises holds every fold's least budget (2 x 5.3 s, or 5.3 s + 10 s) beside the baselines' 2 s.
    assert parse_duration(asked.group(1)) >= 2.0 + 10 * 15.3
    assert "fewer folds (--cv 2 within 40s)" in said and "or pass --lr to skip" in said
    assert "--time of 3.8s" not in said and "finished" not in said  # no fold had finished
    assert str(error).startswith("the time budget of 40s, shared by 10 folds")  # Python's words
    assert "time_budget='3m' or more" in str(error) and "fewer folds (cv=2 within 40s)" in str(error)


def test_the_folds_that_finished_are_named_with_their_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    error = _evaluate(monkeypatch, 3, 30.0, {2: 100.0})  # the third fold alone prepares past its share
    said = error.command_line
    assert said is not None and "left fold 3 28s, which was spent" in said, said
    assert said.endswith(
        "; folds 1 and 2 had finished (rmse 0.5000, 0.5100), but a report needs every fold"
    ), said
    assert "fewer folds" not in said  # no number of folds fits a budget of 30 s at 200 s a fold


def test_any_other_error_of_a_timed_fold_is_raised_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    on_a_clock_of_its_own(monkeypatch, lambda: 1000.0)
    share = check_settings(cv=2, time_budget=10.0)

    def fold(train: np.ndarray, valid: np.ndarray, number: int) -> dict[str, float]:
        raise ValueError("a column is empty")

    with pytest.raises(ValueError, match="a column is empty") as raised:
        cross_validate_spread(fold, fold_indices(np.arange(20.0), 2, 0, False), fold_seconds=share)
    assert raised.value.__cause__ is None
