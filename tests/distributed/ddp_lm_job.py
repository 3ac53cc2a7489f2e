"""One language-model job, run in a single process or by ``torchrun`` on two: the distributed test compares them.

Usage: ``python ddp_lm_job.py OUT_DIR BATCH SOFTMAX`` (``full`` or ``sampled``). With dropout off and the full
softmax, two processes of batch ``BATCH/2`` read the same rows per step as one process of batch ``BATCH``, so
the weights must end the same. Each process writes ``weights-RANK.pt``; rank 0 also writes ``history.json``
and the model directory ``model/`` (through :func:`fit_language_model`, what ``trainwell fit`` runs).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import torch

from trainwell.core.device import is_rank_zero
from trainwell.distributed import world_size
from trainwell.text.lm_learner import fit_language_model

WORDS = ["the", "cat", "dog", "sat", "ran", "on", "under", "a", "mat", "rug", "and", "then", "slept"]


def corpus() -> list[str]:
    generator = random.Random(0)
    return [" ".join(generator.choice(WORDS) for _ in range(12)) for _ in range(150)]


def main() -> None:
    out, batch, softmax = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {"emb_size": 16, "hidden_size": 24, "n_layers": 2, "drop_mult": 0.0, "train_softmax": softmax}
    run = fit_language_model(
        corpus(),
        out=out / "model" if is_rank_zero() else None,
        epochs=2,
        progress=False,
        learner_kwargs={**sizes, "n_samples": 8},
        batch_size=batch,
        bptt=8,
        min_freq=1,
    )
    learn = run.learn
    after = learn.validate()  # outside the fit: every process reads the whole validation stream
    rank = torch.distributed.get_rank() if world_size() > 1 else 0
    torch.save(learn.model.state_dict(), out / f"weights-{rank}.pt")
    if is_rank_zero():
        record = {
            "history": learn.history,
            "world_size": world_size(),
            "steps": learn.iteration,
            "after": after,
        }
        (out / "history.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
