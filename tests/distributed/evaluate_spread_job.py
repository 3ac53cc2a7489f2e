"""One cross-validation through :func:`trainwell.evaluate_table`, run in a single process or
by ``torchrun`` on several: the distributed test compares what rank 0 holds with what one process holds.

Usage: ``python evaluate_spread_job.py OUT_DIR FOLDS`` (one process) or ``torchrun --nproc_per_node N
evaluate_spread_job.py OUT_DIR FOLDS``. Rank 0 writes ``evaluation.json`` to OUT_DIR (the report's
dictionary, each fold's learning rate, architecture and out-of-fold predictions) and the report of a second
evaluation in the same process (no process group is left behind to stop it); the other ranks write nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from trainwell.distributed.spread import spread_position
from trainwell.tabular.evaluation import evaluate_table


def table(n: int = 180) -> pd.DataFrame:
    """A binary target from two numbers and a category, with noise."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    city = rng.choice(["north", "south", "east"], n)
    score = x1 + 0.5 * x2 + (city == "north") + rng.normal(scale=0.7, size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "city": city, "y": np.where(score > 0.4, "yes", "no")})


def main() -> None:
    out, k = Path(sys.argv[1]), int(sys.argv[2])
    frame = table()
    evaluation = evaluate_table(frame, "y", cv=k, seed=3, epochs=2, arch="auto")
    rank, size = spread_position()
    # Only that it spreads too matters here: no baselines, and its report is summed up by rank 0 alone (the
    # bootstrap intervals take seconds a process).
    second = evaluate_table(frame, "y", cv=k, seed=1, epochs=1, arch="mlp", baselines=False)
    if rank != 0:
        return
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "world_size": size,
        "report": evaluation.to_dict(),
        "archs": evaluation.archs,
        "lrs": evaluation.lrs,
        "predictions": [
            [valid.tolist(), preds.tolist(), targets.tolist()]
            for valid, preds, targets in evaluation.predictions
        ],
        "second": second.to_dict(),
    }
    (out / "evaluation.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
