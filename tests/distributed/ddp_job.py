"""One training job, run in a single process or by ``torchrun`` on two: the distributed test compares them.

Usage: ``python ddp_job.py OUT_DIR BATCH`` (one process, batch BATCH) or ``torchrun --nproc_per_node 2
ddp_job.py OUT_DIR BATCH/2``: the two processes together read the same rows per step as the single one.
Rank 0 writes ``weights.pt`` and ``history.json`` to OUT_DIR.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.distributed import maybe_distribute, world_size
from trainwell.learner import Learner


def median_score(preds: torch.Tensor, targets: torch.Tensor) -> float:
    """A metric function that is no mean over rows: right only if every process's rows are gathered."""
    return float(preds.median())


def main() -> None:
    out, batch = Path(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(1)
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(320, 6, generator=generator)
    y = ((x @ torch.linspace(-1.0, 1.5, 6)) + 0.3 * torch.randn(320, generator=generator) > 0).long()
    data = tensor_data(x, y, batch_size=batch, valid_pct=0.25, seed=0)  # 240 train, 80 valid rows
    metrics = ["accuracy", "roc_auc", "f1", median_score]
    model = torch.nn.Linear(6, 1)
    learn = maybe_distribute(Learner(model, data, opt="sgd", lr=0.2, metrics=metrics, progress=False))
    learn.fit(3)
    if is_rank_zero():
        out.mkdir(parents=True, exist_ok=True)
        torch.save(learn.model.state_dict(), out / "weights.pt")
        record = {"history": learn.history, "world_size": world_size(), "steps": learn.iteration}
        (out / "history.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
