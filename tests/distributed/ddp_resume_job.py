"""A two-process fit, whole or interrupted after its second epoch and resumed: the distributed test compares them.

Usage: ``torchrun --nproc_per_node 2 ddp_resume_job.py OUT_DIR MODE`` with MODE ``whole``, ``interrupt`` (both
processes stop once the epoch-1 checkpoint is written) or ``resume`` (from OUT_DIR/checkpoint.pt). The model
has dropout and trains with one-cycle AdamW, so the RNG states, optimizer moments and schedule position must all
come back. Rank 0 writes ``weights.pt`` and ``history.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from trainwell.callbacks import Checkpoint
from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.distributed import maybe_distribute
from trainwell.learner import Callback, Learner


class Interrupt(Callback):
    order = 100  # after Checkpoint (85) wrote the file

    def after_epoch(self, learn: Learner) -> None:
        if learn.epoch == 1:
            torch.distributed.barrier()  # every process stops here, once rank 0 has written the checkpoint
            raise KeyboardInterrupt


def main() -> None:
    out, mode = Path(sys.argv[1]), sys.argv[2]
    torch.set_num_threads(1)
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(320, 6, generator=generator)
    y = ((x @ torch.linspace(-1.0, 1.5, 6)) + 0.3 * torch.randn(320, generator=generator) > 0).long()
    data = tensor_data(x, y, batch_size=16, valid_pct=0.25, seed=0)
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1)
    )
    learn = maybe_distribute(Learner(model, data, progress=False, path=out))
    callbacks: list[Callback] = [Checkpoint()]
    if mode == "interrupt":
        callbacks.append(Interrupt())
    resume = out / "checkpoint.pt" if mode == "resume" else None
    try:
        learn.fit_one_cycle(4, 1e-2, callbacks=callbacks, resume_from=resume)
    except KeyboardInterrupt:
        return
    if is_rank_zero():
        torch.save(learn.model.state_dict(), out / "weights.pt")
        (out / "history.json").write_text(json.dumps({"history": learn.history, "steps": learn.iteration}))


if __name__ == "__main__":
    main()
