"""A model fitted by ``torchrun`` on two processes from plain torch DataLoaders over map-style datasets.

Usage: ``torchrun --nproc_per_node 2 ddp_torch_loader_job.py OUT_DIR``. Each process writes the training rows
its dataset served, epoch by epoch (``rows-<rank>.json``); rank 0 writes the weights and the history.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn
from torch.utils.data import DataLoader, Dataset

from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.distributed import distribute
from trainwell.learner import Callback, Learner


class Rows(Dataset):
    """Rows of ``x, y`` that remember which ones were read."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y
        self.read: list[int] = []

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        self.read.append(int(index))
        return self.x[index], self.y[index]


class EpochRows(Callback):
    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.epochs: list[list[int]] = []

    def after_train(self, learn: Learner) -> None:
        self.epochs.append(list(self.rows.read))
        self.rows.read.clear()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    seed_everything(0)
    x = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
    y = x @ torch.tensor([1.0, -1.0, 2.0, 0.5])
    task = tensor_data(x, y.numpy()).task
    train, valid = Rows(x[:80], y[:80]), Rows(x[80:], y[80:])  # 80 rows: 40 a process, 4 batches of 10
    data = DataBundle(task, DataLoader(train, batch_size=10, shuffle=True), DataLoader(valid, batch_size=8))
    learn = distribute(Learner(nn.Linear(4, 1), data, lr=0.05, progress=False))
    rows = EpochRows(train)
    learn.fit(2, callbacks=[rows])
    rank = torch.distributed.get_rank()
    (out / f"rows-{rank}.json").write_text(json.dumps(rows.epochs))
    if is_rank_zero():
        save_file(
            {k: v.contiguous() for k, v in learn.model.state_dict().items()}, out / "weights.safetensors"
        )
        (out / "history.json").write_text(json.dumps(learn.history))


if __name__ == "__main__":
    main()
