"""``tune --timeout`` bounds the whole search: one TimeBudget shared by the trials, the trial running when time
runs short fitted to what is left, no trial started with less time than a trial takes, and the best trial's
model kept.

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
from trainwell.automl.search import Range, SearchSettings, Space, run_search
from trainwell.callbacks import TimeBudget
from trainwell.data.bundle import DataBundle
from trainwell.learner import Learner
from trainwell.learner.run_files import FitRun


def _search(
    seconds: float, n_trials: int = 10, pruner: Any = None
) -> tuple[Any, Clock, list[Learner], TimeBudget]:
    import optuna

    clock, trained = Clock(), []
    budget = TimeBudget(seconds, clock=clock).start()
    settings = SearchSettings(n_trials, budget, out=None, seed=0, pruner=pruner or optuna.pruners.NopPruner())
    result = run_search(ticked_regression(), ticked_space(clock, trained), "rmse", settings)
    return result, clock, trained, budget


def test_the_trial_running_when_time_runs_short_is_fitted_to_what_is_left() -> None:
    # The defaults take 2 s, then trial 0's 5 epochs of 4.5 s (22.5 s); a 48.5 s search leaves trial 1 24 s,
    # enough to start, and fits its 6 epochs (27 s) to them.
    result, clock, trained, budget = _search(48.5)
    assert clock.now - 1000.0 <= 48.5
    assert [t["state"] for t in result.trials] == ["complete", "complete"]  # no third: nothing was left
    assert [t["cut_by_time"] for t in result.trials] == [False, True]
    assert len(trained[0].history) == 5 and len(trained[1].history) < trained[1].n_epochs == 6
    assert result.timeout == 48.5 and result.to_dict()["timeout"] == 48.5
    assert budget.remaining < 22.5  # why no third trial started


def test_no_trial_starts_with_less_time_left_than_the_shortest_trial_took() -> None:
    # 40 s: 15.5 s are left after trial 0, less than its 22.5 s (over a quarter of it, with which a trial once
    # started): the search ends there.
    result, clock, trained, _ = _search(40)
    assert len(result.trials) == 1 and len(trained) == 1 and clock.now - 1000.0 == pytest.approx(24.5)
    assert result.not_started["left"] == pytest.approx(15.5) and result.not_started["needs"] == 22.5


def test_a_trial_the_time_cut_still_says_what_a_trial_takes() -> None:
    # 21 s: the defaults take 2 s, trial 0 is cut to 4 of its 5 epochs (18 s) and 1 s is left. With every trial
    # cut there was once no estimate at all, and trial 1 started with that second (image and text searches
    # started trials with 1 or 2 s left): it takes what trial 0 took.
    result, clock, trained, budget = _search(21)
    assert [t["cut_by_time"] for t in result.trials] == [True] and len(trained) == 1
    record = result.not_started
    assert record["started"] == 1 and record["estimate"] == "shortest"
    assert record["left"] == pytest.approx(budget.remaining) and 0 < record["left"] < record["needs"]
    assert record["needs"] == pytest.approx(clock.now - 1000.0 - 2.0)  # trial 0's share of the budget


def test_a_pruned_trial_does_not_shorten_what_a_trial_takes() -> None:
    import optuna

    from trainwell.cli.tune_cmd import trials_table

    class PruneAfterTheDefaults(optuna.pruners.BasePruner):
        def prune(self, study: Any, trial: Any) -> bool:
            return bool(trial.number >= 1)

    # After the defaults (2 s) and trial 0 (22.5 s), trial 1 is pruned after its first epoch (4.5 s): 20 s are
    # left, less than trial 0's 22.5 s. The pruned trial's 4.5 s are not what a trial takes: no third starts.
    result, clock, _, _ = _search(49, pruner=PruneAfterTheDefaults())
    assert [t["state"] for t in result.trials] == ["complete", "pruned"]
    assert clock.now - 1000.0 == pytest.approx(29.0)
    assert result.not_started["needs"] == 22.5 and result.not_started["left"] == pytest.approx(20.0)
    # The pruned trial is in the record and in the table, with the epoch it was stopped at.
    pruned = result.trials[1]
    assert (pruned["pruned_at_epoch"], pruned["epochs_planned"]) == (1, pruned["params"]["epochs"])
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(trials_table(result))
    shown = console.export_text()
    assert f"pruned at epoch 1 of {pruned['params']['epochs']}" in shown
    assert [line.split()[1] for line in shown.splitlines() if line.startswith("│")] == ["0", "1"]


def test_the_best_trials_model_is_kept_not_trained_again() -> None:
    result, _, trained, _ = _search(48.5)
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

    # One-step trials take 30 s and cannot be cut; gradient trials 22.5 s, cut to what is left. After the
    # defaults (2 s), trial 0 (30 s) and trial 1 (22.5 s), 25 s are left: a gradient trial's time, not a one-step
    # trial's, which would run past the budget: the search ends there, and says which kind stopped it.
    clock, trained = Clock(), []
    gradient = dataclasses.replace(ticked_space(clock, trained), arch="gradient")
    space = MixedSpace((_one_step_kind(clock, 30.0), gradient))
    budget = TimeBudget(79.5, clock=clock).start()
    settings = SearchSettings(n_trials=10, budget=budget, out=None, seed=0, pruner=optuna.pruners.NopPruner())
    result = run_search(ticked_regression(), space, "rmse", settings)
    assert [t["arch"] for t in result.trials] == ["one_step", "gradient"]
    assert [t["cut_by_time"] for t in result.trials] == [False, False]
    assert clock.now - 1000.0 == pytest.approx(54.5) and budget.remaining == pytest.approx(25.0)
    record = result.not_started
    assert (record["arch"], record["cut"], record["needs"], record["estimate"]) == (
        "one_step",
        False,
        30.0,
        "median",
    )


def test_the_trials_not_started_are_counted_with_why() -> None:
    from trainwell.cli.tune_cmd import stop_line, time_line

    # 30 s: 5.5 s are left after trial 0, under its 22.5 s: 9 of the 10 asked never start.
    result, _, _, _ = _search(30)
    record = result.not_started
    assert record["asked"] == 10 and record["started"] == 1
    assert record["left"] == pytest.approx(5.5) and record["needs"] == pytest.approx(22.5)
    assert record["estimate"] == "shortest" and record["cut"] is True
    assert result.to_dict()["not_started"] == record
    assert time_line(result) == "--time 30s: 1 trial within it, none cut short"
    assert stop_line(record) == (
        "stopped after 1 of the 10 trials asked: 5.5s of --time left, a trial takes ~22s (the shortest so far)"
    )


def test_a_search_that_ran_every_trial_asked_says_none_was_left_out() -> None:
    from trainwell.cli.tune_cmd import stop_line

    result, _, _, _ = _search(600, n_trials=2)
    assert len(result.trials) == 2 and result.not_started is None and stop_line(result.not_started) is None


def test_a_one_step_kind_that_stops_the_search_is_named() -> None:
    from trainwell.cli.tune_cmd import stop_line

    record = {"asked": 4, "started": 3, "left": 7.3, "needs": 8.4, "estimate": "median", "cut": False,
              "arch": "gbdt", "reserve": 0.0}  # fmt: skip
    assert stop_line(record) == (
        "stopped after 3 of the 4 trials asked: 7.3s of --time left, a trial of boosted trees takes ~8.4s (the "
        "median so far), which --time cannot cut"
    )
    assert stop_line({"asked": 1, "started": 0, "left": 0.0}) == (
        "stopped after 0 of the 1 trials asked: no time of --time was left"
    )
    kept = {"asked": 3, "started": 1, "left": 2.5, "needs": 9.0, "estimate": "shortest", "cut": True,
            "arch": None, "reserve": 12.0}  # fmt: skip
    assert stop_line(kept) == (
        "stopped after 1 of the 3 trials asked: 2.5s of --time left after 12s kept to train an earlier run's best "
        "trial again, a trial takes ~9.0s (the shortest so far)"
    )
