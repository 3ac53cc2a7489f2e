"""A network with batch normalisation fitted by ``torchrun`` on two processes: rank 0 writes the last epoch's
validation loss as the fit recorded it beside the loss of the model it keeps, scored alone on every validation row.

Usage: ``torchrun --nproc_per_node 2 ddp_batchnorm_job.py OUT_DIR``; rank 0 writes ``scores.json`` to OUT_DIR.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.distributed import maybe_distribute
from trainwell.learner import Learner


def main() -> None:
    out = Path(sys.argv[1])
    torch.set_num_threads(1)
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(320, 6, generator=generator) * 3 + 1
    y = ((x @ torch.linspace(-1.0, 1.5, 6)) + 0.3 * torch.randn(320, generator=generator) > 0).long()
    data = tensor_data(x, y, batch_size=20, valid_pct=0.25, seed=0)
    valid_x, valid_y = (tensor.clone() for tensor in data.valid.tensors)  # type: ignore[union-attr]
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    )
    learn = maybe_distribute(Learner(model, data, opt="sgd", lr=0.1, metrics=["accuracy"], progress=False))
    learn.fit(2)
    if is_rank_zero():
        learn.model.eval()
        with torch.no_grad():
            logits = learn.model(valid_x).squeeze(-1)
        kept = torch.nn.functional.binary_cross_entropy_with_logits(logits, valid_y.float()).item()
        out.mkdir(parents=True, exist_ok=True)
        scores = {"recorded": learn.history[-1]["valid_loss"], "kept": kept}
        (out / "scores.json").write_text(json.dumps(scores))


if __name__ == "__main__":
    main()
