"""What a search says of its time: the start-up timed apart from the first trial, the trials the pruner stopped
listed in the table with where it stopped them, and the line that says what a search under torchrun does with
its processes (said once, by rank 0, under the real torchrun: tests/distributed/test_tune_spread.py, whose launch
runs such a search anyway).

The trials' timing is exact with a clock the test moves (:mod:`clock_support`): a training batch takes one
second, validation half a second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from clock_support import FakeClock, ticked_regression, ticked_space
from trainwell.automl.result import TuneResult
from trainwell.automl.search import (
    SearchSettings,
    Space,
    run_search,
    spread_line,
    startup_line,
    trial_reports,
)
from trainwell.callbacks import TimeBudget
from trainwell.cli.tune_cmd import SHOWN_TRIALS, trials_table
from trainwell.learner import Learner

TESTS = Path(__file__).resolve().parents[1]


def _noted(space: Space, order: list[str]) -> Space:
    """``space`` whose trials note ``"trial"`` in ``order`` as each begins."""
    import dataclasses

    def train(data: Any, params: dict[str, Any], seed: int, callbacks: list, progress: bool) -> Learner:
        order.append("trial")
        return space.train(data, params, seed, callbacks, progress)

    return dataclasses.replace(space, train=train)


@pytest.mark.parametrize("timed", [True, False])
def test_the_start_up_is_timed_apart_from_the_first_trial(
    monkeypatch: pytest.MonkeyPatch, timed: bool
) -> None:
    import optuna

    clock, trained, order = FakeClock(), [], []

    def slow_imports() -> None:  # the first optimizer's import of torch._dynamo: seconds, once per process
        order.append("imports")
        clock.now += 5.0

    monkeypatch.setattr("trainwell.automl.search.load_training_imports", slow_imports)
    budget = TimeBudget(600, clock=clock).start() if timed else None
    settings = SearchSettings(
        2, budget, None, seed=0, pruner=optuna.pruners.NopPruner(), started_at=clock.now
    )
    said: list[str] = []
    with trial_reports(said.append):
        result = run_search(
            ticked_regression(), _noted(ticked_space(clock, trained), order), "rmse", settings
        )
    # The training code is loaded before the first trial begins, with or without --time.
    assert order == ["imports", "trial", "trial"]
    assert said[0].startswith("start-up ") and said[1].startswith("trial 0 (1 of 2)")
    if timed:  # on the budget's clock: the defaults' 2 s and the imports' 5 s, and none of it in trial 0's
        assert result.startup_seconds == 7.0 and said[0] == startup_line(7.0)
        assert said[0].startswith(
            "start-up 7.0s (reading the data, choosing the defaults, loading the training"
        )
        assert [t["seconds"] for t in result.trials] == [22.5, 27.0]
    assert result.to_dict()["startup_seconds"] == result.startup_seconds >= 0


@pytest.mark.slow
def test_a_fresh_process_loads_the_training_code_before_its_first_trial(tmp_path: Path) -> None:
    # A real first process, without --time: torch._dynamo (which the first optimizer imports, seconds) was
    # imported inside trial 0, whose seconds then held it.
    script = (
        "import sys, optuna\n"
        "from clock_support import FakeClock, ticked_regression, ticked_space\n"
        "from trainwell.automl.search import SearchSettings, run_search\n"
        "ticked = ticked_space(FakeClock(), [])\n"
        "seen = []\n"
        "def train(*args):\n"
        "    seen.append('torch._dynamo' in sys.modules)\n"
        "    return ticked.train(*args)\n"
        "import dataclasses\n"
        "space = dataclasses.replace(ticked, train=train)\n"
        "settings = SearchSettings(1, None, None, seed=0, pruner=optuna.pruners.NopPruner())\n"
        "result = run_search(ticked_regression(), space, 'rmse', settings)\n"
        "print(seen, result.startup_seconds > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=TESTS, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[True] True"


def _record(number: int, state: str, **more: Any) -> dict[str, Any]:
    return {"number": number, "state": state, "value": 0.8 - number / 100 if state == "complete" else None,
            "params": {"lr": 0.01, "epochs": 12}, "seconds": 3.0, "defaults": number == 0, "cut_by_time": False,
            **more}  # fmt: skip


def _shown(result: TuneResult) -> list[list[str]]:
    console = Console(width=200, record=True)
    console.print(trials_table(result))
    rows = [line for line in console.export_text().splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in row.strip("│").split("│")] for row in rows]


def test_the_table_lists_the_pruned_trials_with_where_they_were_stopped() -> None:
    trials = [
        _record(0, "complete"),
        _record(1, "pruned", pruned_at_epoch=3, epochs_planned=12),
        _record(2, "complete"),
        _record(3, "pruned", pruned_at_percent=40),  # an earlier version's stored trial: its schedule's share
        _record(4, "fail"),
    ]
    result = TuneResult("roc_auc", "maximize", {}, 0.8, 0.8, trials, None)
    rows = _shown(result)
    assert [row[:2] for row in rows] == [
        ["0 (defaults)", "0.8000"],
        ["2", "0.7800"],
        ["1", "pruned at epoch 3 of 12"],
        ["3", "pruned at 40%"],
        ["4", "fail"],
    ]


def test_a_table_of_many_pruned_trials_shows_the_latest_and_counts_the_rest() -> None:
    pruned = 3 + SHOWN_TRIALS
    trials = [_record(0, "complete")]
    trials += [_record(n, "pruned", pruned_at_epoch=2, epochs_planned=12) for n in range(1, pruned + 1)]
    rows = _shown(TuneResult("roc_auc", "maximize", {}, 0.8, 0.8, trials, None))
    assert [row[0] for row in rows] == ["0 (defaults)", *(str(n) for n in range(4, pruned + 1)), "+3"]
    assert rows[-1][1] == "not finished"


def test_the_line_under_torchrun_says_the_processes_share_the_trials_out() -> None:
    assert spread_line(2, 20, 600.0, gpus=0) == (
        "tune under torchrun: 2 processes run 2 trials at a time, each trial trained by one process alone on the "
        "CPU (the 2 processes share its cores), not by all of them together (no DDP), in one study; --trials 20 "
        "and --time 10m are the whole search's; rank 0 says its own trials as they end and the table lists every "
        "process's"
    )
    assert "alone on its own GPU (cuda:LOCAL_RANK), not by all" in spread_line(4, 8, None, gpus=4)
    assert "--trials 8 are the whole search's" in spread_line(4, 8, None, gpus=4)
    # Fewer GPUs than processes: each_process_alone wraps LOCAL_RANK round them.
    assert "alone on GPU LOCAL_RANK mod 2 (the 4 processes share 2 GPUs)" in spread_line(4, 8, None, gpus=2)
