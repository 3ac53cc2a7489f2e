"""``tune --arch gbdt --time``: boosted trees' trials are fitted in one step that --time does not cut, and the
line on time says so with what they took (it said "1 trial within it, none cut short" of a trial that took 11 s
of an 8 s --time)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd


def _threshold_table(n_rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
    return pd.DataFrame({"a": a, "b": b, "y": np.where((a > 6.5) ^ (b < 2.5), "yes", "no")})


def test_trees_trials_are_said_to_be_fitted_in_one_step_with_their_time(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    _threshold_table().to_csv(tmp_path / "t.csv", index=False)
    args = ["tune", str(tmp_path / "t.csv"), "--target", "y", "--arch", "gbdt", "--trials", "2", "--time", "10m",
            "--out", str(tmp_path / "m")]  # fmt: skip
    done = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    said = " ".join(done.stdout.split())
    assert "within it" not in said and "none cut short" not in said, said
    assert re.search(
        r"--time 10m: 2 trials of boosted trees, each fitted in one step that --time does not cut: [0-9.]+s in all",
        said,
    ), said
