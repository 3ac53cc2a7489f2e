"""A model whose forward pass leaves a trained layer out, fitted by ``torchrun`` on two processes.

Usage: ``torchrun --nproc_per_node 2 ddp_unused_job.py OUT_DIR [find]``; with ``find`` the job passes
``find_unused_parameters=True``. Rank 0 writes ``done.json`` when the fit ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch import nn

from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.distributed import distribute
from trainwell.learner import Learner


class SometimesUnused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(4, 1)
        self.spare = nn.Linear(4, 1)  # trained, never called

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.used(x)


def main() -> None:
    out, find = Path(sys.argv[1]), "find" in sys.argv[2:]
    torch.set_num_threads(1)
    seed_everything(0)
    x = torch.randn(160, 4, generator=torch.Generator().manual_seed(0))
    data = tensor_data(x, x.sum(dim=1).numpy(), batch_size=20, valid_pct=0.25, seed=0)
    learn = distribute(Learner(SometimesUnused(), data, lr=0.05, progress=False), find_unused_parameters=find)
    learn.fit(2)
    if is_rank_zero():
        out.mkdir(parents=True, exist_ok=True)
        (out / "done.json").write_text(json.dumps({"epochs": len(learn.history)}))


if __name__ == "__main__":
    main()
