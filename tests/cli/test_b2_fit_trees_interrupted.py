"""``trainwell fit --arch gbdt``: Ctrl-C once the trees are fitted, in the steps after it, writes them as it writes
the MLP (exit code 130, what was left out said), where it wrote nothing ("interrupted; nothing was written for
the unfinished run": boosted trees keep no checkpoint, and the command did not know the trained model).

The run goes through a small launcher that sends the process a real SIGINT (what Ctrl-C does) from inside the
step ``CTRL_C_IN`` names: the scoring of the test set, or the choice of the decision threshold once it has set the
threshold (before it has said what it chose).
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


def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


where = os.environ["CTRL_C_IN"]
if where == "test":  # inside score_test_set, as it scores the test rows
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
if where == "thresholds":  # the threshold set on the model, its figures not yet worked out
    import trainwell.learner.decision_threshold as decision

    def figuring(*args, **kwargs):
        ctrl_c()

    decision._with_figures = figuring
main()
"""

ARGS = ["fit", "train.csv", "--target", "y", "--arch", "gbdt", "--test", "test.csv", "--decision-threshold",
        "0.3", "--out", "m"]  # fmt: skip


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trees_interrupted")
    binary_table(n_rows=200).to_csv(folder / "train.csv", index=False)
    binary_table(seed=1, n_rows=60).to_csv(folder / "test.csv", index=False)
    (folder / "launch.py").write_text(LAUNCHER)
    return folder


def interrupted_fit(tables: Path, tmp_path: Path, where: str) -> CliResult:
    for name in ("train.csv", "test.csv", "launch.py"):
        (tmp_path / name).write_bytes((tables / name).read_bytes())
    env = {**cli_env(), "CTRL_C_IN": where}
    done = run_python(["launch.py", *ARGS], env=env, cwd=tmp_path, timeout=300)
    return CliResult(tuple(ARGS), done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize(
    ("where", "said", "threshold"),
    [
        (
            "test",
            "in the scoring of the test set",
            0.3,
        ),  # the threshold given, set before the test set's scoring
        ("thresholds", "in the choice of its thresholds", 0.5),  # set, then put back: the training's default
    ],
)
def test_ctrl_c_after_the_trees_are_fitted_writes_them(
    tables: Path, tmp_path: Path, where: str, said: str, threshold: float
) -> None:
    result = interrupted_fit(tables, tmp_path, where)
    assert result.returncode == 130, result.explain()
    text = " ".join(result.stderr.split())
    assert "nothing was written" not in text, result.explain()
    assert f"interrupted (Ctrl-C) after the training, {said}: writing the trained model" in text
    assert "the test set was not scored: score it with trainwell report" in text and "--data test.csv" in text
    assert text.endswith("exit code 130"), result.explain()
    metadata = json.loads((tmp_path / "m" / "trainwell.json").read_text())
    assert metadata["architecture"]["name"] == "gbdt", metadata["architecture"]
    assert metadata["task"]["threshold"] == threshold
    assert not metadata["training"].get("test"), metadata["training"].get("test")
    if where == "thresholds":  # put back whole: the threshold's note is not kept either
        assert "decision_threshold" not in json.dumps(metadata["training"]), metadata["training"]
        assert "the decision threshold was not chosen (--decision-threshold): it decides at 0.5" in text
