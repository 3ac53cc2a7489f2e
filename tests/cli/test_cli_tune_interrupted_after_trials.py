"""``trainwell tune``: Ctrl-C after the last trial (in the check of the best trial's gain) keeps the best finished
trial's model and its record, as Ctrl-C in a trial does; and the closing line of an interrupted search names the
model it kept as the verdict did (tour67 #2, #7).

The interrupted run goes through a small launcher that sends the process SIGINT (what Ctrl-C does) as the search
begins its gain check, once every trial has ended.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from cli_support import CliResult, binary_table, cli_env

from process_support import run_python
from trainwell.cli.tune_cmd import interrupted_line

LAUNCHER = """
import os, signal, sys
import trainwell.automl.search as search
from trainwell.cli.app import main

checked = search.check_gain


def ctrl_c_in_the_check(*args, **kwargs):  # Ctrl-C once every trial has ended
    os.kill(os.getpid(), signal.SIGINT)
    return checked(*args, **kwargs)


search.check_gain = ctrl_c_in_the_check
main()
"""


@pytest.mark.slow
def test_ctrl_c_in_the_gain_check_keeps_the_best_trial_and_its_record(tmp_path: Path) -> None:
    # All 3 trials had finished; Ctrl-C in the check said "interrupted; nothing was written for the unfinished
    # run": no model, no tuning.json, the whole search thrown away.
    binary_table(n_rows=200).to_csv(tmp_path / "yes_no.csv", index=False)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    args = ["tune", "yes_no.csv", "--target", "y", "--out", "m", "--trials", "3", "--arch", "mlp",
            "--search", "epochs=1:2"]  # fmt: skip
    done = run_python([launcher, *args], env=cli_env(), cwd=tmp_path, timeout=300)
    result = CliResult(tuple(args), done.returncode, done.stdout, done.stderr)
    assert result.returncode == 130, result.explain()
    assert "nothing was written" not in result.stderr, result.explain()
    assert "interrupted (Ctrl-C) after the last trial, in the check of the best trial's gain" in result.stderr
    record = json.loads((tmp_path / "m" / "tuning.json").read_text())
    assert (tmp_path / "m" / "trainwell.json").is_file()
    assert [t["state"] for t in record["trials"]].count("complete") >= 1
    assert record["kept_trial"] == record["best_trial"] and record["selection"] is None  # unchecked, kept
    assert record["interrupted_after"] == "the check of the best trial's gain over the defaults"
    assert (
        "the check of the gain against their noise was skipped (Ctrl-C): kept the best, unchecked"
        in " ".join(result.stdout.split())
    ), result.explain()  # not "could not be checked (roc_auc is not resampled by rows)"
    closing = result.stderr.strip().splitlines()[-1]
    assert closing.startswith("interrupted (Ctrl-C) after the last trial") and "exit code 130" in closing
    assert f"is the best of them (trial {record['best_trial']})" in closing, result.explain()


def test_the_closing_line_of_an_interrupted_search_names_the_defaults_kept() -> None:
    # The verdict said "kept the defaults' model (trial 0) ... (--keep best keeps trial 1)", and the line after
    # it "the model kept in 'tm3' is the best of them".
    trials = [{"number": 0, "state": "complete"}, {"number": 1, "state": "complete"},
              {"number": 2, "state": "interrupted"}]  # fmt: skip
    defaults = SimpleNamespace(
        trials=trials, model_dir=Path("tm3"), best_trial=1, kept_trial=0, kept="defaults"
    )
    line = interrupted_line(defaults, 8)
    assert line is not None and "best of them" not in line
    assert line.startswith(
        "interrupted (Ctrl-C): 2 of the 8 trials asked finished, and the model kept in 'tm3' is"
    )
    assert "trial 0's, the defaults', in place of the best (trial 1)" in line
    best = SimpleNamespace(trials=trials, model_dir=Path("tm3"), best_trial=1, kept_trial=1, kept="best")
    assert "is the best of them (trial 1); exit code 130" in str(interrupted_line(best, 8))
    finished = SimpleNamespace(trials=trials[:2], model_dir=None, best_trial=1, kept_trial=1, kept="best")
    assert interrupted_line(finished, 2) is None  # nothing was stopped
