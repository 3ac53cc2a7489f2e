"""Training on several processes with ``torch.distributed``, launched by ``torchrun``.

``torchrun --nproc_per_node 2 -m trainwell fit data.csv --target y`` trains one model on two processes: each
reads its own shard of the training rows, gradients are averaged by PyTorch's ``DistributedDataParallel``,
validation is split between the processes and combined exactly, and only rank 0 writes files. In a script,
call :func:`distribute` on a Learner before fitting it (the one-call pipelines do it themselves when launched
by ``torchrun``).
"""

from trainwell.distributed.setup import (
    broadcast_value,
    init_distributed,
    launched_by_torchrun,
    world_size,
)
from trainwell.distributed.spread import each_process_alone, gather_results, my_share, trains_together
from trainwell.distributed.training import DistributedTraining, distribute, maybe_distribute

__all__ = [
    "DistributedTraining",
    "broadcast_value",
    "distribute",
    "each_process_alone",
    "gather_results",
    "init_distributed",
    "launched_by_torchrun",
    "maybe_distribute",
    "my_share",
    "trains_together",
    "world_size",
]
