"""trainwell.json records a table model's class weights and its refit (what the rows and count were), so `info`
and a reader of the file can tell a weighted or refitted model from a plain one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import trainwell


def small_table(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n_rows), "z": rng.normal(size=n_rows)})
    frame["y"] = np.where(frame["x"] + 0.8 * rng.normal(size=n_rows) > 1.2, "yes", "no")
    return frame


def test_class_weight_and_refit_are_recorded(tmp_path: Path) -> None:
    frame = small_table()
    trainwell.fit_table(
        frame,
        "y",
        arch="mlp",
        epochs=2,
        class_weight="balanced",
        refit_full=True,
        out=tmp_path / "m",
        progress=False,
    )
    training = json.loads((tmp_path / "m" / "trainwell.json").read_text(encoding="utf-8"))["training"]
    assert training["class_weight"] == "balanced"
    assert training["refit"]["validated"] and "valid_loss" in training["refit"]["validated"]
    trainwell.fit_table(frame, "y", arch="mlp", epochs=2, out=tmp_path / "plain", progress=False)
    plain = json.loads((tmp_path / "plain" / "trainwell.json").read_text(encoding="utf-8"))["training"]
    assert "class_weight" not in plain and "refit" not in plain
