"""``tune --storage``: a trial left running by a run that was killed (SIGKILL) is marked failed by the next run
over the same study, in one line; a trial of a run that still goes (another process searching the same study)
is left running (tour67 #6).

Before, the killed trial stayed "running" in the study and in ``tuning.json`` for good, counted among the stored
trials ("5 trials stored (3 before this run, 2 in it)") with no score and no word of it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from table_samples import yes_no_rows
from trainwell.automl import tune_table
from trainwell.automl._storage import RUN, run_ended, this_run
from trainwell.automl.search import TUNING_FILE

TESTS = Path(__file__).resolve().parents[1]

KILLED = """
import os, signal, sys
from table_samples import yes_no_rows
from trainwell.automl.search import trial_callbacks
from trainwell.automl.table import tune_table
from trainwell.learner import Callback


class Kill(Callback):  # SIGKILL in trial 1's training: nothing after it runs, nothing is told to the study
    def before_batch(self, learn):
        if learn.training and learn.iteration == 1:
            os.kill(os.getpid(), signal.SIGKILL)


with trial_callbacks(lambda number, _: [Kill()] if number == 1 else []):
    tune_table(yes_no_rows(200, 0), "y", arch="mlp", n_trials=3, storage=sys.argv[1], search={"epochs": 1})
"""


def stored(path: Path) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name="trainwell", storage=f"sqlite:///{path}").trials


@pytest.mark.slow
def test_a_trial_left_running_by_a_killed_run_is_marked_failed_by_the_next(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED, str(db)], cwd=TESTS, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert [t.state.name for t in stored(db)] == ["COMPLETE", "RUNNING"]
    assert stored(db)[1].user_attrs[RUN]["pid"] > 0  # the run that trained it, recorded as it began
    with pytest.warns(UserWarning, match=r"^trial 1 of the study 'trainwell' in .*t\.db was left running by "
                      r"process \d+ on .*, which ended without finishing it \(killed\): marked failed"):  # fmt: skip
        result = tune_table(yes_no_rows(200, 0), "y", arch="mlp", n_trials=1, storage=db,
                            search={"epochs": 1}, out=tmp_path / "m")  # fmt: skip
    assert [t.state.name for t in stored(db)] == ["COMPLETE", "FAIL", "COMPLETE"]
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())["trials"]
    assert [t["state"] for t in record] == ["complete", "fail", "complete"]
    assert "ended while it trained (killed)" in record[1]["run_ended"]
    assert result.trials_before == 2


def test_a_trial_of_a_run_still_going_is_left_running(tmp_path: Path) -> None:
    # Another process searching the same study now (this one stands in for it): its trial is not failed under it.
    db = tmp_path / "t.db"
    tune_table(yes_no_rows(200, 0), "y", arch="gbdt", n_trials=1, storage=db)
    study = optuna.load_study(study_name="trainwell", storage=f"sqlite:///{db}")
    live, gone, elsewhere = study.ask(), study.ask(), study.ask()
    live.set_user_attr(RUN, this_run())
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    gone.set_user_attr(RUN, {**this_run(), "pid": ended.pid, "started": "1"})
    elsewhere.set_user_attr(RUN, {**this_run(), "host": "another-machine"})
    with pytest.warns(UserWarning) as said:
        tune_table(yes_no_rows(200, 0), "y", arch="gbdt", n_trials=1, storage=db)
    states = {t.number: t.state.name for t in stored(db)}
    assert (states[live.number], states[gone.number], states[elsewhere.number]) == (
        "RUNNING",
        "FAIL",
        "RUNNING",
    )
    lines = [str(warning.message) for warning in said]
    assert any(f"trial {gone.number} of the study" in line and "marked failed" in line for line in lines)
    assert any(
        f"trial {elsewhere.number} of the study" in line
        and "cannot check" in line
        and "another-machine" in line
        for line in lines
    ), lines
    assert not any(f"trial {live.number} " in line for line in lines)


def test_whether_a_run_has_ended() -> None:
    here = this_run()
    assert run_ended(here) is False  # this very process
    assert run_ended({**here, "started": "1"}) is True  # an ended process whose id this one was given
    assert run_ended({**here, "host": "elsewhere"}) is None and run_ended(None) is None
    assert (
        run_ended({**here, "boot": "another boot"}) is None
    )  # a boot since, or another machine of that name
