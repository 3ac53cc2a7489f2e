"""``trainwell tune`` of ratings or interactions with ``--test`` takes ``--k``, as fit, report and evaluate do: the
kept model's test lists are judged at it. Before, tune took no ``--k`` and judged them at 10 whatever the user
wanted; ``--k`` without ``--test``, or for data other than a recommender's, is refused in one line naming the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from trainwell.cli.app import app


def interactions(seed: int, n_rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"user": rng.integers(0, 30, n_rows), "item": rng.integers(0, 40, n_rows)})


def test_tune_judges_the_kept_models_test_lists_at_k(tmp_path: Path) -> None:
    interactions(0, 600).to_csv(tmp_path / "train.csv", index=False)
    interactions(1, 120).to_csv(tmp_path / "test.csv", index=False)
    args = ["tune", str(tmp_path / "train.csv"), "--user", "user", "--item", "item", "--implicit"]
    args += ["--trials", "1", "--search", "epochs=1"]
    env = {"COLUMNS": "200"}
    test = ["--test", str(tmp_path / "test.csv")]
    result = CliRunner().invoke(app, [*args, *test, "--k", "3", "--out", str(tmp_path / "m")], env=env)
    assert result.exit_code == 0, result.output
    assert "test set top-3 lists" in result.stdout and "hit@3" in result.stdout, result.output
    assert "top-10 lists" not in result.stdout, result.output
    # Without --test nothing is judged at k; a table has no lists: each said at once, in one line, nothing written.
    refused = CliRunner().invoke(app, [*args, "--k", "3", "--out", str(tmp_path / "n")], env=env)
    assert refused.exit_code == 2 and "give --test, or drop --k" in refused.output, refused.output
    assert len(refused.output.strip().splitlines()) == 1 and not (tmp_path / "n").exists()
    table = [
        "tune",
        str(tmp_path / "train.csv"),
        "--target",
        "item",
        *test,
        "--k",
        "3",
        "--out",
        str(tmp_path / "t"),
    ]
    refused = CliRunner().invoke(app, table, env=env)
    assert refused.exit_code == 2 and "--k is the length of a recommender's top-N lists" in refused.output
    assert "drop it" in refused.output and not (tmp_path / "t").exists(), refused.output
