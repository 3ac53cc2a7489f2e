"""The learning-rate finder under ``torchrun`` on two processes whose rows differ: each process's own loss
would stop the sweep on another batch (and leave the other waiting in DDP's all-reduce).

Usage: ``torchrun --nproc_per_node 2 ddp_lr_find_job.py OUT_DIR``. Rank 0 writes ``sweeps.json``: each
process's number of sweep points and suggestion.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.distributed import maybe_distribute
from trainwell.learner import Learner


def main() -> None:
    out = Path(sys.argv[1])
    torch.set_num_threads(1)
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(400, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    if os.environ.get("RANK") != "1":
        # Rank 0's targets are noisy, rank 1's exact: rank 1's own smallest loss is far lower, so its own loss
        # would pass four times it (the sweep's stop) many batches before rank 0's.
        y = y + 30.0 * torch.randn(400, generator=generator)
    data = tensor_data(x, y, batch_size=16, valid_pct=0.2, seed=0, task="regression")
    learn = maybe_distribute(Learner(torch.nn.Linear(4, 1), data, opt="sgd", progress=False))
    found = learn.lr_find(num_it=60)
    mine = [len(found.lrs), found.suggestion]
    every = [None, None]
    dist.all_gather_object(every, mine)
    if dist.get_rank() == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "sweeps.json").write_text(json.dumps(every))


if __name__ == "__main__":
    main()
