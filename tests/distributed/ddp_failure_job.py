"""An error in one process alone, in the middle of a distributed fit: ``torchrun --nproc_per_node 2
ddp_failure_job.py MODE``.

Rank 1 fails in a callback at its fourth batch, after its gradients of the third were shared; rank 0 goes on
to the next batch's, which rank 1 never sends. ``uncaught``: a bug (ValueError) nobody catches; ``guarded``:
a user error, said through the command line's guard and turned into exit status 2.
"""

from __future__ import annotations

import os
import sys

import torch
import typer

from trainwell import Callback, Learner, seed_everything, tensor_data
from trainwell.cli._common import guarded
from trainwell.core.errors import ConfigError
from trainwell.distributed import maybe_distribute


class FailOnRankOne(Callback):
    def __init__(self, error: Exception) -> None:
        self.error = error

    def after_batch(self, learn: Learner) -> None:
        if os.environ["RANK"] == "1" and learn.iteration == 3:
            raise self.error


def fit(error: Exception) -> None:
    torch.set_num_threads(1)
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(640, 6, generator=generator)
    data = tensor_data(x, x.sum(1, keepdim=True), batch_size=16, valid_pct=0.25, seed=0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    learn = maybe_distribute(Learner(model, data, progress=False, callbacks=[FailOnRankOne(error)]))
    learn.fit_one_cycle(20, 1e-2)


if __name__ == "__main__":
    if sys.argv[1] == "uncaught":
        fit(ValueError("a bug on rank 1 only"))
    else:
        try:
            guarded(lambda: fit(ConfigError("rank 1's own trouble; fix it")))
        except typer.Exit as stop:
            sys.exit(stop.exit_code)
