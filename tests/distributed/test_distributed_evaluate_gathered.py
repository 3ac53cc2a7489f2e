"""``trainwell evaluate`` under the real ``torchrun`` (Gloo, CPU): what the other processes' folds hold reaches
rank 0, which alone speaks: every fold's record (an idle process only waits), the warnings it met (its time
budget: ``test_distributed_evaluate.py``, in the launch that compares the report with one process's).

Each process's own output is read from torchrun's per-rank logs (``--log-dir``, ``--redirects 3``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from torchrun_support import ENV, launch, one_process

from process_support import run_python

JOB = Path(__file__).with_name("evaluate_spread_job.py")


def test_spread_folds_keep_every_fold_record_and_idle_processes_wait(tmp_path: Path) -> None:
    # 2 folds over 3 processes: rank 2 has none and only gathers. What rank 0 holds afterwards (scores,
    # learning rates, chosen architectures, out-of-fold predictions) is exactly what one process holds.
    single = run_python([JOB, tmp_path / "single", "2"], env=ENV)
    assert single.returncode == 0, single.stderr[-3000:]
    code, ranks = launch(tmp_path, JOB, tmp_path / "spread", "2", processes=3)
    assert code == 0, "".join(err for _, err in ranks)[-3000:]
    one = json.loads((tmp_path / "single" / "evaluation.json").read_text())
    spread = json.loads((tmp_path / "spread" / "evaluation.json").read_text())
    assert (one.pop("world_size"), spread.pop("world_size")) == (1, 3)
    assert "1 process has no fold and only waits for the results" in ranks[0][1]
    assert (
        ranks[0][1].count("2 folds over 3 processes") == 2
    )  # a second evaluation in the same job spreads too
    assert spread == one
    assert len(one["lrs"]) == len(one["predictions"]) == len(one["archs"]) == 2
    assert sorted(row for valid, _, _ in one["predictions"] for row in valid) == list(range(180))


def test_a_warning_met_only_in_another_process_folds_is_said_by_rank_0(tmp_path: Path) -> None:
    # Column z holds one value (row 5): the fold whose training rows leave it out drops z with a warning. That
    # fold is rank 1's here, and rank 1 stays silent, so the warning was lost; rank 0 now says what the others
    # met, and the warnings are those of one process.
    rng = np.random.default_rng(0)
    x1, city = rng.normal(size=180), rng.choice(["north", "south", "east"], 180)
    z = np.full(180, np.nan)
    z[5] = 1.0
    y = np.where(x1 + (city == "north") > 0.3, "yes", "no")
    pd.DataFrame({"x1": x1, "city": city, "z": z, "y": y}).to_csv(tmp_path / "z.csv", index=False)
    args = (
        "evaluate",
        "z.csv",
        "--target",
        "y",
        "--cv",
        "3",
        "--arch",
        "mlp",
        "--epochs",
        "2",
        "--no-baselines",
    )
    single = one_process(tmp_path, *args)
    code, [(out, err), (_, err_1)] = launch(tmp_path, "-m", "trainwell", *args)
    assert code == 0, err[-3000:] + err_1[-3000:]
    said = sorted(line for line in err.splitlines() if line.startswith("warning:"))
    assert "warning: column 'z' left out of the inputs: missing in every training row" in said, err
    assert said == sorted(line for line in single.stderr.splitlines() if line.startswith("warning:"))
    assert err_1 == "" and out == single.stdout
