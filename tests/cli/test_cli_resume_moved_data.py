"""``fit --resume`` with the data file moved (a job rescheduled onto another node, a scratch path) was refused:
"DATA /a/t.csv there, /b/t.csv here", though the checkpoint keeps a fingerprint of the contents (tour67, finding
5). The same contents at another path now resume, with a one-line note; other contents are still refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import binary_table, cli_env

from process_support import run_python, run_trainwell

#: ``trainwell ARGS`` sending itself SIGINT (Ctrl-C) at the first batch of the second epoch of the checkpointed fit.
LAUNCHER = """
import os, signal, sys
from trainwell.callbacks import Checkpoint
from trainwell.cli.app import main
from trainwell.learner import Callback, Learner


class CtrlC(Callback):
    order = 50  # before the checkpoint sees the batch

    def after_batch(self, learn):
        if learn.training and (learn.epoch, learn.batch_index) == (1, 0):
            os.kill(os.getpid(), signal.SIGINT)


plain_fit = Learner._fit


def fit_with_stop(self, n_epochs, callbacks, resume_from):
    if any(isinstance(cb, Checkpoint) for cb in callbacks):
        callbacks = [*callbacks, CtrlC()]
    return plain_fit(self, n_epochs, callbacks, resume_from)


Learner._fit = fit_with_stop
main()
"""

FIT = ["--target", "y", "--arch", "mlp", "--epochs", "2", "--batch-size", "64"]


@pytest.fixture
def stopped(tmp_path: Path) -> Path:
    """``tmp_path/first/t.csv``, and ``run`` holding the checkpoint of a fit of it stopped by Ctrl-C in epoch 2."""
    (tmp_path / "first").mkdir()
    binary_table(n_rows=300).to_csv(tmp_path / "first" / "t.csv", index=False)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    done = run_python(
        [launcher, "fit", "first/t.csv", *FIT, "--out", "run"], env=cli_env(), cwd=tmp_path, timeout=120
    )
    assert done.returncode == 130, done.stderr
    assert (tmp_path / "run" / "fit-checkpoint.pt").is_file()
    return tmp_path


def test_the_same_data_at_another_path_resumes_with_a_note(stopped: Path) -> None:
    (stopped / "moved").mkdir()
    shutil.move(stopped / "first" / "t.csv", stopped / "moved" / "t.csv")
    resumed = run_trainwell("fit", "moved/t.csv", *FIT, "--out", "run", "--resume", cwd=stopped)
    assert resumed.returncode == 0, resumed.stderr
    notes = [line for line in resumed.stderr.splitlines() if line.startswith("note: the data has moved")]
    assert notes == [
        f"note: the data has moved since the checkpoint was written ('{stopped / 'first' / 't.csv'}' then, "
        f"'{stopped / 'moved' / 't.csv'}' now); its contents are the same, so the fit goes on with it"
    ], resumed.stderr
    assert "resuming the fit stopped" in resumed.stdout
    assert (stopped / "run" / "trainwell.json").is_file() and not (
        stopped / "run" / "fit-checkpoint.pt"
    ).exists()


def test_other_contents_at_another_path_are_still_refused(stopped: Path) -> None:
    (stopped / "other").mkdir()
    binary_table(seed=1, n_rows=300).to_csv(stopped / "other" / "t.csv", index=False)
    refused = run_trainwell("fit", "other/t.csv", *FIT, "--out", "run", "--resume", cwd=stopped)
    assert refused.returncode == 2, refused.stderr
    assert (
        f"options differ from those of the checkpoint in 'run': DATA {stopped / 'first' / 't.csv'} there, "
        f"{stopped / 'other' / 't.csv'} here" in " ".join(refused.stderr.split())
    ), refused.stderr
    assert (stopped / "run" / "fit-checkpoint.pt").is_file()  # kept for a resume with the right data
