"""``trainwell fit``: Ctrl-C once the training has ended, in the steps after it, writes the trained model without
the step cut short, says what was left out and how to get it, and exits with 130; Ctrl-C again during that write
stops at once and writes nothing (the write is all-or-nothing), the fit's checkpoint kept for ``--resume``; and
Ctrl-C once the model is written says that it was (it said "nothing was written for the unfinished run").

Each interrupted run goes through a small launcher that sends the process SIGINT (what Ctrl-C does) from inside
the step named by ``CTRL_C_IN``: the choice of the decision threshold, the scoring of the test set, the writing
of the model's files, the results shown once the model is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import CliResult, binary_table, cli_env

from process_support import run_python

LAUNCHER = """
import os, signal, sys

from trainwell.cli.app import main

where = os.environ["CTRL_C_IN"].split(",")


def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


if "thresholds" in where:  # inside choose_label_thresholds, as it chooses the decision threshold
    import trainwell.learner.decision_threshold as decision

    choose = decision.choose_decision_threshold

    def choosing(*args, **kwargs):
        ctrl_c()
        return choose(*args, **kwargs)

    decision.choose_decision_threshold = choosing
if "test" in where:  # inside score_test_set, as it scores the test rows
    import trainwell.learner.learner as learner

    validate = learner.Learner.validate

    def validating(self, *args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "score_test_set":
            frame = frame.f_back
        if frame is not None:
            ctrl_c()
        return validate(self, *args, **kwargs)

    learner.Learner.validate = validating
if "write" in where:  # inside write_run, as it draws the files written beside the weights
    import trainwell.learner.run_files as run_files

    draw = run_files.run_files

    def drawing(*args, **kwargs):
        ctrl_c()
        return draw(*args, **kwargs)

    run_files.run_files = drawing
if "report" in where:  # the model written, its test scores being said
    import trainwell.cli.fit_cmd as fit_cmd

    say = fit_cmd.say_test_scores

    def saying(*args, **kwargs):
        ctrl_c()
        return say(*args, **kwargs)

    fit_cmd.say_test_scores = saying
main()
"""

ARGS = ["fit", "train.csv", "--target", "y", "--arch", "mlp", "--epochs", "2", "--test", "test.csv",
        "--decision-threshold", "f1", "--out", "m"]  # fmt: skip


def interrupted_fit(tmp_path: Path, where: str) -> CliResult:
    """The fit of :data:`ARGS` in ``tmp_path``, sent SIGINT in the steps ``where`` names (comma-separated)."""
    binary_table(n_rows=240).iloc[:200].to_csv(tmp_path / "train.csv", index=False)
    binary_table(seed=1, n_rows=100).to_csv(tmp_path / "test.csv", index=False)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    env = {**cli_env(), "CTRL_C_IN": where}
    done = run_python([launcher, *ARGS], env=env, cwd=tmp_path, timeout=300)
    return CliResult(tuple(ARGS), done.returncode, done.stdout, done.stderr)


def said(result: CliResult) -> str:
    return " ".join(result.stderr.split())


@pytest.mark.slow
def test_ctrl_c_in_the_choice_of_the_threshold_writes_the_trained_model_at_the_default(
    tmp_path: Path,
) -> None:
    # The training had ended; Ctrl-C as the threshold was chosen left only the checkpoint ("continue it with
    # ... --resume"), no model.
    result = interrupted_fit(tmp_path, "thresholds")
    assert result.returncode == 130, result.explain()
    metadata = json.loads((tmp_path / "m" / "trainwell.json").read_text())
    assert metadata["task"]["threshold"] == 0.5  # not chosen: the default, as the training left it
    assert not metadata.get("test_scores"), metadata.get("test_scores")  # the step after it was not run
    assert (tmp_path / "m" / "model.safetensors").is_file()
    assert not (tmp_path / "m" / "fit-checkpoint.pt").exists()  # the written model replaces it
    text = said(result)
    assert "nothing was written" not in text and "--resume" not in text, result.explain()
    assert "interrupted (Ctrl-C) after the training, in the choice of its thresholds" in text
    assert "the decision threshold was not chosen (--decision-threshold): it decides at 0.5" in text
    assert "the test set was not scored: score it with trainwell report" in text and "--data test.csv" in text
    assert text.endswith("exit code 130"), result.explain()
    # The model written is whole: a command reads it.
    info = run_python(["-m", "trainwell.cli.app", "info", "m"], env=cli_env(), cwd=tmp_path, timeout=120)
    assert info.returncode == 0, info.stderr


@pytest.mark.slow
def test_ctrl_c_again_while_the_interrupted_fit_writes_its_model_writes_nothing(tmp_path: Path) -> None:
    # Ctrl-C in the scoring of the test set, then again as the command writes the model without it: the write
    # stops at once, all-or-nothing, and the checkpoint stays for --resume, which writes it without training.
    result = interrupted_fit(tmp_path, "test,write")
    assert result.returncode == 130, result.explain()
    text = said(result)
    assert "after the training, in the scoring of the test set: writing the trained model" in text
    assert "stopped at once (Ctrl-C again): the write is all-or-nothing, and nothing was written" in text
    assert not (tmp_path / "m" / "trainwell.json").exists()
    assert not (tmp_path / "m" / "model.safetensors").exists()
    assert (tmp_path / "m" / "fit-checkpoint.pt").is_file()
    assert "(after epoch 2 of 2)" in text and "--resume" in text, result.explain()


@pytest.mark.slow
def test_ctrl_c_once_the_model_is_written_says_it_was(tmp_path: Path) -> None:
    # The model was written whole, and Ctrl-C while its test scores were said claimed "interrupted; nothing was
    # written for the unfinished run".
    result = interrupted_fit(tmp_path, "report")
    assert result.returncode == 130, result.explain()
    assert (tmp_path / "m" / "trainwell.json").is_file()
    text = said(result)
    assert "nothing was written" not in text, result.explain()
    assert "interrupted (Ctrl-C) after the model was written: 'm' holds it whole" in text
