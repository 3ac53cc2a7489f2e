"""``trainwell tune --time-col`` on ratings: every trial is scored on each user's latest ratings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from cli_support import run_cli

from ratings_support import low_rank_ratings


def test_tune_scores_every_trial_on_each_users_latest_ratings(tmp_path: Path) -> None:
    frame = low_rank_ratings(0).frame
    frame["timestamp"] = np.random.default_rng(1).integers(0, 10**6, len(frame))
    frame.to_csv(tmp_path / "r.csv", index=False)
    done = run_cli(
        "tune", tmp_path / "r.csv", "--user", "user", "--item", "item", "--target", "rating", "--trials", "1",
        "--time-col", "timestamp", "--out", tmp_path / "m",
    )  # fmt: skip
    assert done.returncode == 0, done.explain()
    said = " ".join((done.stdout + done.stderr).split())
    assert "every trial was scored on each user's latest 20% of their ratings by 'timestamp'" in said, said


def test_tune_refuses_time_col_for_a_table(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": range(20), "y": [0, 1] * 10, "when": range(20)}).to_csv(path, index=False)
    done = run_cli("tune", path, "--target", "y", "--time-col", "when", "--trials", "1")
    assert done.returncode == 2, done.explain()
    assert "--time-col" in done.stderr and "recommenders" in done.stderr
