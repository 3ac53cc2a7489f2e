"""``tune --timeout`` bounds the whole search: one TimeBudget shared by the trials, the trial running when time
runs short fitted to what is left, no trial started with too little time, and the best trial's model kept.

The timing is exact with a clock the test moves: a training batch takes one second, validation half a second.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch
from torch import nn

from clock_support import FakeClock as Clock
from clock_support import ticked_regression, ticked_space
from trainwell.automl.search import LAST_TRIAL_SHARE, Range, SearchSettings, Space, run_search
from trainwell.callbacks import TimeBudget
from trainwell.data.bundle import DataBundle
from trainwell.learner import Learner
from trainwell.learner.run_files import FitRun


def _search(seconds: float, n_trials: int = 10) -> tuple[Any, Clock, list[Learner], TimeBudget]:
    import optuna

    clock, trained = Clock(), []
    budget = TimeBudget(seconds, clock=clock).start()
    settings = SearchSettings(n_trials, budget, out=None, seed=0, pruner=optuna.pruners.NopPruner())
    result = run_search(ticked_regression(), ticked_space(clock, trained), "rmse", settings)
    return result, clock, trained, budget


def test_the_trial_running_when_time_runs_short_is_fitted_to_what_is_left() -> None:
    # The defaults take 2 s, then 5 epochs of 4.5 s (22.5 s); a 33 s search leaves trial 1 8.5 s.
    result, clock, trained, budget = _search(33)
    assert clock.now - 1000.0 <= 33.0
    assert [t["state"] for t in result.trials] == ["complete", "complete"]  # no third: nothing was left
    assert [t["cut_by_time"] for t in result.trials] == [False, True]
    assert len(trained[0].history) == 5 and len(trained[1].history) < trained[1].n_epochs
    assert result.timeout == 33 and result.to_dict()["timeout"] == 33
    assert budget.remaining < LAST_TRIAL_SHARE * 22.5  # why no third trial started


def test_no_trial_starts_with_less_than_a_quarter_of_a_whole_trials_time() -> None:
    # 30 s: 5.5 s are left after trial 0, less than a quarter of its 22.5 s: the search ends there.
    result, clock, trained, _ = _search(30)
    assert len(result.trials) == 1 and len(trained) == 1 and clock.now - 1000.0 == pytest.approx(24.5)


def test_the_best_trials_model_is_kept_not_trained_again() -> None:
    result, _, trained, _ = _search(33)
    assert len(trained) == 2  # the two trials, and no third fit for the best one
    best = min(range(2), key=lambda i: trained[i].history[-1]["rmse"])
    assert result.run.learn is trained[best]
    assert result.best_value == trained[best].history[-1]["rmse"]
    assert result.run.learn.time_budget is None  # the search's budget spoke for every trial, not this model


def test_without_a_timeout_every_trial_runs_its_whole_schedule() -> None:
    import optuna

    clock, trained = Clock(), []
    settings = SearchSettings(n_trials=3, budget=None, out=None, seed=0, pruner=optuna.pruners.NopPruner())
    result = run_search(ticked_regression(), ticked_space(clock, trained), "rmse", settings)
    assert [t["cut_by_time"] for t in result.trials] == [False] * 3
    assert all(len(learn.history) == learn.n_epochs for learn in trained)
    assert result.timeout is None


def test_a_timeout_spent_before_the_first_trial_trains_is_a_clear_error() -> None:
    from trainwell.core.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"--time \(timeout=\) of 1\.5s was spent before the first trial began"
    ):
        _search(1.5)  # the defaults alone take 2 s


def _one_step_kind(clock: Clock, seconds: float) -> Space:
    """A kind fitted in one step that no budget cuts (as boosted trees are): ``seconds`` a trial."""
    from trainwell.callbacks import ClosedForm

    def train(
        data: DataBundle, params: dict[str, Any], seed: int, callbacks: list, progress: bool
    ) -> Learner:
        clock.now += seconds  # fitted when built, whatever time is left
        torch.manual_seed(seed)
        learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu", callbacks=[ClosedForm()])
        learn.fit(1)  # validates only; the budget is left out, as for trees
        return learn

    ranges = {"scale": Range(0.5, 2.0)}
    return Space(lambda data, seed: {"scale": 1.0}, ranges, train, FitRun, arch="one_step")


def test_no_trial_starts_without_the_time_a_one_step_kind_needs() -> None:
    import optuna

    from trainwell.automl.search import MixedSpace

    # One-step trials take 8 s and cannot be cut; gradient trials 22.5 s, cut to what is left. After the
    # defaults (2 s), trial 0 (8 s) and trial 1 (22.5 s), 7 s are left: more than a quarter of a gradient
    # trial, less than a one-step trial, which would run past the budget: the search ends there.
    clock, trained = Clock(), []
    gradient = dataclasses.replace(ticked_space(clock, trained), arch="gradient")
    space = MixedSpace((_one_step_kind(clock, 8.0), gradient))
    budget = TimeBudget(39.5, clock=clock).start()
    settings = SearchSettings(n_trials=10, budget=budget, out=None, seed=0, pruner=optuna.pruners.NopPruner())
    result = run_search(ticked_regression(), space, "rmse", settings)
    assert [t["arch"] for t in result.trials] == ["one_step", "gradient"]
    assert [t["cut_by_time"] for t in result.trials] == [False, False]
    assert clock.now - 1000.0 == pytest.approx(32.5) and budget.remaining == pytest.approx(7.0)


def test_the_trials_not_started_are_counted_with_why() -> None:
    from trainwell.cli.tune_cmd import time_line

    # 30 s: 5.5 s are left after trial 0, under a quarter of its 22.5 s: 9 of the 10 asked never start.
    result, _, _, _ = _search(30)
    record = result.not_started
    assert record["asked"] == 10 and record["started"] == 1
    assert record["left"] == pytest.approx(5.5) and record["typical"] == pytest.approx(22.5)
    assert record["share"] == LAST_TRIAL_SHARE and result.to_dict()["not_started"] == record
    assert time_line(result) == (
        "--time 30s: 1 trial within it, none cut short; 9 of the 10 trials asked were not started: 5.5s were "
        "left, under a quarter of a typical trial's 22s"
    )


def test_a_search_that_ran_every_trial_asked_says_none_was_left_out() -> None:
    result, _, _, _ = _search(600, n_trials=2)
    assert len(result.trials) == 2 and result.not_started is None


def test_a_one_step_kind_that_stops_the_search_is_named() -> None:
    from trainwell.cli.tune_cmd import not_started_part

    record = {"asked": 4, "started": 3, "left": 7.3, "needs": 8.4, "typical": 8.4, "share": 1.0, "arch": "gbdt",
              "reserve": 0.0}  # fmt: skip
    assert not_started_part(record) == (
        "1 of the 4 trials asked was not started: 7.3s were left, under a typical trial's 8.4s of boosted trees, "
        "which --time cannot cut"
    )
    assert not_started_part({"asked": 1, "started": 0, "left": 0.0}) == (
        "the trial asked was not started: no time was left"
    )
    assert not_started_part({"asked": 3, "started": 1, "left": 2.5}) == (
        "2 of the 3 trials asked were not started: 2.5s left, too little for one"
    )
