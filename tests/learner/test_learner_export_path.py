"""learn.export names its model directory from the working directory, as trainwell.load and the command line read
it, while learn.save, save_checkpoint and Checkpoint write under learn.path (files a fit reads back)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import trainwell


def test_export_is_from_the_working_directory_and_save_under_learn_path(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "colour": rng.choice(["red", "blue"], 120)})
    frame["y"] = np.where(frame["x"] > 0, "yes", "no")
    data = trainwell.tabular_data(frame, "y", seed=0)
    learn = trainwell.tabular_learner(data, progress=False, path=tmp_path / "run")
    learn.fit(1)
    written = learn.export("model")
    assert written.resolve() == (Path.cwd() / "model").resolve() and not (tmp_path / "run" / "model").exists()
    assert learn.save("weights") == tmp_path / "run" / "weights.safetensors"
    assert learn.save_checkpoint("ck.pt") == tmp_path / "run" / "ck.pt"
    predicted = trainwell.load("model").predict(frame.head(5))  # the name export was given reads it back
    assert len(predicted) == 5
