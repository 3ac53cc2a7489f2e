"""``trainwell tune`` on ratings warns, as ``fit`` does, when the kept model is not below user + item biases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ratings_support import run_trainwell


def test_tune_on_ratings_warns_when_the_kept_model_does_not_beat_the_biases(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)  # ratings of pure noise: personal taste cannot beat each one's average
    n = 400
    frame = pd.DataFrame(
        {"user": rng.integers(1, 40, n), "item": rng.integers(1, 40, n), "rating": rng.integers(1, 6, n)}
    )
    frame.to_csv(tmp_path / "r.csv", index=False)
    done = run_trainwell(
        "tune", tmp_path / "r.csv", "--user", "user", "--item", "item", "--target", "rating", "--trials", "2",
        "--time", "20s", "--out", tmp_path / "m",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "warning: rmse" in said and "is not below the" in said, said
    assert "of user + item biases alone on the same rows" in said, said
