"""A model trained with its Recorder removed (``learn.remove_callback(Recorder)``) is exported with its epochs
"not recorded (the Recorder was removed)", where ``trainwell info`` said "epochs 0" of a trained model. The
Learner's own counters are no count to write instead: ``learn.epoch`` and ``learn.n_epochs`` hold the last fit's
epochs alone. A Recorder removed after the fits, with nothing trained since, leaves its count as it is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from trainwell.callbacks import Recorder
from trainwell.cli.app import app
from trainwell.learner._export import EPOCHS_NOT_RECORDED


def _learner(tmp_path: Path) -> trainwell.Learner:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "colour": rng.choice(["red", "blue"], 120)})
    frame["y"] = np.where(frame["x"] + rng.normal(size=120) > 0, "yes", "no")
    data = trainwell.tabular_data(frame, "y", seed=0)
    return trainwell.tabular_learner(data, progress=False, path=tmp_path)


def _epochs(model_dir: Path) -> object:
    return json.loads((model_dir / "trainwell.json").read_text())["training"]["epochs"]


def _info(model_dir: Path) -> str:
    done = CliRunner().invoke(app, ["info", str(model_dir)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return " ".join(done.output.replace("│", " ").split())  # the table's cells, one space apart


def test_epochs_trained_without_the_recorder_are_said_not_recorded(tmp_path: Path) -> None:
    learn = _learner(tmp_path)
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(Recorder)
    learn.fit(2)
    assert learn.history == []
    model_dir = learn.export(tmp_path / "model")
    assert _epochs(model_dir) == EPOCHS_NOT_RECORDED
    said = _info(model_dir)
    assert "epochs not recorded (the Recorder was removed)" in said and "epochs 0" not in said


def test_epochs_after_some_recorded_ones_say_the_rest_are_not(tmp_path: Path) -> None:
    learn = _learner(tmp_path)
    learn.fit(1)
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(learn.recorder)
    learn.fit(2)
    model_dir = learn.export(tmp_path / "model")
    assert _epochs(model_dir) == f"1 recorded, the rest {EPOCHS_NOT_RECORDED}"
    # Put back, it records again; the epochs it missed are still said.
    learn.add_callbacks(learn.recorder)
    learn.fit(1)
    assert _epochs(learn.export(tmp_path / "model")) == f"2 recorded, the rest {EPOCHS_NOT_RECORDED}"


def test_a_recorder_removed_after_the_fits_keeps_the_count(tmp_path: Path) -> None:
    learn = _learner(tmp_path)
    learn.fit(2)
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(Recorder)
    model_dir = learn.export(tmp_path / "model")
    assert _epochs(model_dir) == 2
    assert "epochs 2" in _info(model_dir)


def test_a_learner_never_fitted_without_its_recorder_exports_no_epochs(tmp_path: Path) -> None:
    learn = _learner(tmp_path)
    with pytest.warns(UserWarning, match="the Recorder callback was removed"):
        learn.remove_callback(Recorder)
    assert _epochs(learn.export(tmp_path / "model")) == 0
