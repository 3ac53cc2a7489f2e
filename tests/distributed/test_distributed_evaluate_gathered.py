"""``trainwell evaluate`` under the real ``torchrun`` (Gloo, CPU): what the other processes' folds hold reaches
rank 0, which alone speaks: every fold's record (an idle process only waits). Its time budget and the warnings
another process met: ``test_distributed_evaluate.py``, in the launch that compares the reports with one
process's.

Each process's own output is read from torchrun's per-rank logs (``--log-dir``, ``--redirects 3``).
"""

from __future__ import annotations

import json
from pathlib import Path

from torchrun_support import ENV, launch

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
