"""Under torchrun, rank 0 says once, before training, how the processes change the batch: each step averages
the gradients of every process's batch, so ``fit --batch-size 32`` on 2 processes steps on 64 rows at the
learning rate given (tour62 #9: the batch doubled and the steps halved without a word). That a fit under the
real torchrun says it once is checked by the command line's own launch, in test_distributed_cli.py."""

from __future__ import annotations

from trainwell.distributed.training import global_batch_line

LINE = "2 processes (DDP, gloo): global batch 64 = 2 x 32; learning rate as given, not scaled"


def test_the_line_names_the_processes_the_backend_and_the_global_batch() -> None:
    assert global_batch_line(2, "gloo", 32) == LINE
    assert global_batch_line(4, "nccl", 128).startswith(
        "4 processes (DDP, nccl): global batch 512 = 4 x 128;"
    )
    assert global_batch_line(3, "gloo", None) == (
        "3 processes (DDP, gloo): 3 batches a step; learning rate as given, not scaled"
    )
