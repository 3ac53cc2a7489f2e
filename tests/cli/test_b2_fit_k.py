"""``trainwell fit`` of ratings or interactions with ``--test`` takes ``--k``, as report and evaluate do: the test
set's top-N lists are judged at it. Before, fit took no ``--k`` and judged them at 10 whatever the user wanted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from cli_support import run_cli


def interactions(seed: int, n_rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"user": rng.integers(0, 30, n_rows), "item": rng.integers(0, 40, n_rows)})


def test_fit_judges_the_test_lists_at_k(tmp_path: Path) -> None:
    interactions(0, 600).to_csv(tmp_path / "train.csv", index=False)
    interactions(1, 120).to_csv(tmp_path / "test.csv", index=False)
    args = ["fit", "train.csv", "--user", "user", "--item", "item", "--implicit", "--epochs", "1"]
    result = run_cli(*args, "--test", "test.csv", "--k", "3", "--out", "m", cwd=tmp_path)
    assert result.returncode == 0, result.explain()
    assert "test set top-3 lists" in result.stdout, result.explain()
    assert "hit@3" in result.stdout and "top-10" not in result.stdout, result.explain()
    # Without --test nothing is judged at k: said at once, with where the lists are judged later.
    refused = run_cli(*args, "--k", "3", "--out", "n", cwd=tmp_path)
    assert refused.returncode == 2, refused.explain()
    assert "give --test, or drop --k" in refused.stderr and not (tmp_path / "n").exists()
