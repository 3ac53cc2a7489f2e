"""A fit under a time budget far shorter than its epochs, by ``torchrun`` on two processes: each process plans
from its own clock, and all must follow the shortest plan, or one would wait forever in DDP's all-reduce for a
batch another never runs.

Then a budget spent before its fit began, longer in one process than the other (a clock of its own per process):
every process must refuse the fit with the same message, so that the command line prints it once.

Usage: ``torchrun --nproc_per_node 2 ddp_budget_job.py OUT_DIR``. The budget counts the fit alone (not started
before it), so a slow start on a loaded machine cannot spend it. Rank 0 writes ``budget.json``: every
process's trained batches and epochs, the budget's summary, and every process's refusal of the spent budget.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from trainwell.callbacks import TimeBudget
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.distributed import distribute
from trainwell.learner import Learner


def main() -> None:
    out = Path(sys.argv[1])
    torch.set_num_threads(1)
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(320, 6, generator=generator)
    y = ((x @ torch.linspace(-1.0, 1.5, 6)) + 0.3 * torch.randn(320, generator=generator) > 0).long()
    data = tensor_data(x, y, batch_size=16, valid_pct=0.25, seed=0)
    learn = distribute(Learner(torch.nn.Linear(6, 1), data, progress=False))
    budget = TimeBudget("2s")
    learn.fit_one_cycle(1000, 0.01, callbacks=[budget])
    every: list[object] = [None, None]
    dist.all_gather_object(every, [learn.iteration, len(learn.history)])
    refusals: list[object] = [None, None]
    dist.all_gather_object(refusals, spent_budget_refusal(learn))
    if dist.get_rank() == 0:
        out.mkdir(parents=True, exist_ok=True)
        said = {"processes": every, "summary": budget.summary(), "refusals": refusals}
        (out / "budget.json").write_text(json.dumps(said))


class Clock:
    """A clock moved by hand."""

    now = 0.0

    def __call__(self) -> float:
        return self.now


def spent_budget_refusal(learn: Learner) -> str:
    """What this process's fit says of a 5 s budget of which it spent 7 s (rank 0) or 9 s (rank 1) before."""
    clock = Clock()
    spent = TimeBudget(5, clock=clock).start()
    clock.now += 7.0 + 2.0 * dist.get_rank()
    try:
        learn.fit_one_cycle(2, 0.01, callbacks=[spent])
    except ConfigError as error:
        return str(error)
    return "no error"


if __name__ == "__main__":
    main()
