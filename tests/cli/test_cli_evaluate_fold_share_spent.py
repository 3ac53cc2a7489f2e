"""``trainwell evaluate --time`` too short for its folds says so in the evaluation's terms: the whole --time, the
folds, a fold's share, and a --time for every fold (it said "the --time of 2.0s ... pass --time 20s or more"
after ``--cv 10 --time 40s``, one fold's share named as the user's budget)."""

from __future__ import annotations

import re
from pathlib import Path

from cli_support import binary_table, run_cli

from trainwell.callbacks.budget import parse_duration


def test_evaluate_with_a_time_its_folds_cannot_use_advises_one_for_every_fold(tmp_path: Path) -> None:
    binary_table(n_rows=200).to_csv(tmp_path / "table.csv", index=False)
    done = run_cli(
        "evaluate", "table.csv", "--target", "y", "--arch", "mlp", "--cv", "3", "--time", "0.01", cwd=tmp_path
    )
    assert done.returncode == 2, done.explain()
    said = " ".join(done.stderr.split())
    assert "error: the --time of 10ms, shared by 3 folds after " in said, said
    assert "left fold 1 " in said and "which was spent before it began training" in said
    asked = re.search(r"pass --time (\S+) or more for 3 folds \(about (\S+) a fold\)", said)
    # A fold's least is its preparation plus 10 s at the least: the advice holds three of them.
    assert asked and parse_duration(asked.group(1)) >= 3 * 10.0, said
    assert "--time of 10ms was spent" not in said  # not a fold's share named as the whole budget
