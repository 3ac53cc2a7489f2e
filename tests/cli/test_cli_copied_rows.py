"""On the command line, the warning on copied rows names the option of the command it is raised in: ``fit``'s
``--valid-col``, ``evaluate``'s ``--groups`` (an evaluation has no validation column to choose)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from cli_support import run_cli_many


def test_fit_advises_valid_col_and_evaluate_groups(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    once = pd.DataFrame({"x": rng.normal(size=40).round(3), "kind": rng.choice(["a", "b"], 40)})
    once["y"] = np.where(once["x"] > 0, "yes", "no")
    once["patient"] = [f"p{number}" for number in range(40)]
    once.loc[once.index.repeat(3)].to_csv(tmp_path / "visits.csv", index=False)  # each patient's row thrice
    common = ["--target", "y", "--arch", "gbdt", "--ignore", "patient"]
    fit, evaluate = run_cli_many(
        [
            ["fit", "visits.csv", *common, "--out", "model"],
            ["evaluate", "visits.csv", *common, "--cv", "3"],
        ],
        cwd=tmp_path,
    )
    assert fit.returncode == 0 and evaluate.returncode == 0, (fit.stderr, evaluate.stderr)
    fit_said = [line for line in fit.stderr.splitlines() if "exact copies" in line]
    evaluate_said = [line for line in evaluate.stderr.splitlines() if "exact copies" in line]
    assert fit_said and all("--valid-col COLUMN" in line and "--groups" not in line for line in fit_said)
    assert evaluate_said and all(
        "--groups COLUMN" in line and "--valid-col" not in line and "valid_col" not in line
        for line in evaluate_said
    )
