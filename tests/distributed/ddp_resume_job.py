"""A two-process fit, whole or interrupted after its second epoch and resumed: the distributed test compares them.

Usage: ``torchrun --nproc_per_node 2 ddp_resume_job.py OUT_DIR MODE [lm]`` with MODE ``whole``, ``interrupt``
(both processes stop once the epoch-1 checkpoint is written) or ``resume`` (from OUT_DIR/checkpoint.pt). The
model has dropout and trains with one-cycle AdamW, so the RNG states (each process's own), optimizer moments and
schedule position must all come back. With ``lm``: a language model, checkpointed and stopped in the middle of
its second epoch, so each process's carried hidden state (over its own rows) must come back too. Rank 0 writes
``weights.pt`` and ``history.json``.
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

    def __init__(self, batch: int | None = None) -> None:
        self.batch = batch  # stop after this training batch of epoch 1; None: after epoch 1

    def after_batch(self, learn: Learner) -> None:
        if self.batch is not None and learn.training and learn.epoch == 1 and learn.batch_index == self.batch:
            self._stop()

    def after_epoch(self, learn: Learner) -> None:
        if self.batch is None and learn.epoch == 1:
            self._stop()

    @staticmethod
    def _stop() -> None:
        torch.distributed.barrier()  # every process stops here, once rank 0 has written the checkpoint
        raise KeyboardInterrupt


def language_model(out: Path) -> tuple[Learner, Checkpoint, Interrupt]:
    import random

    from trainwell.text.lm_learner import language_model_learner
    from trainwell.text.lm_stream import lm_data

    generator = random.Random(0)
    words = ["the", "cat", "dog", "sat", "ran", "on", "a", "mat", "and", "slept"]
    texts = [" ".join(generator.choice(words) for _ in range(12)) for _ in range(100)]
    data = lm_data(texts, batch_size=2, bptt=6, min_freq=1, seed=0)
    learn = language_model_learner(data, emb_size=12, hidden_size=16, n_layers=2, progress=False, path=out)
    return maybe_distribute(learn), Checkpoint(every_n_batches=5, every_epoch=False), Interrupt(batch=4)


def main() -> None:
    out, mode = Path(sys.argv[1]), sys.argv[2]
    torch.set_num_threads(1)
    seed_everything(0)
    if sys.argv[3:] == ["lm"]:
        learn, checkpoint, interrupt = language_model(out)
    else:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(320, 6, generator=generator)
        y = ((x @ torch.linspace(-1.0, 1.5, 6)) + 0.3 * torch.randn(320, generator=generator) > 0).long()
        data = tensor_data(x, y, batch_size=16, valid_pct=0.25, seed=0)
        model = torch.nn.Sequential(
            torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1)
        )
        learn = maybe_distribute(Learner(model, data, progress=False, path=out))
        checkpoint, interrupt = Checkpoint(), Interrupt()
    callbacks: list[Callback] = [checkpoint]
    if mode == "interrupt":
        callbacks.append(interrupt)
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
