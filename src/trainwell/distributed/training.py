"""A Learner fitted by several processes: shards, ``DistributedDataParallel``, combined validation.

:func:`distribute` prepares a Learner once: each loader reads its own shard (training shards padded to the same
length, so every process takes the same number of steps; validation shards exact, so each row counts once),
and :class:`DistributedTraining` wraps the model in ``DistributedDataParallel`` for each fit. The wrapper is
only what batches run through (``learn.forward_model``): ``learn.model`` stays the plain model, so checkpoints,
exports and callbacks see the same names as in a single process. Validation losses and metric states are
combined across processes (sums all-reduced, score lists gathered; callbacks that keep their own sums combine
them through :meth:`~trainwell.learner.events.Callback.combine`) before the epoch's row is written, so every
process holds the same history, and early stopping or save-best decide the same way everywhere.

Batch normalisation keeps per-process statistics while training, as ``DistributedDataParallel`` does by
default; every process validates with rank 0's (handed out before each validation), the model exported. Each process draws its own random numbers (dropout, augmentation), and checkpoints keep each
process's, so a resumed distributed fit continues exactly.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.distributed.setup import init_distributed, local_device
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["DistributedTraining", "distribute", "maybe_distribute"]


class DistributedTraining(Callback):
    """Runs each fit through ``DistributedDataParallel`` and combines each epoch's numbers across processes.

    Added by :func:`distribute`; not meant to be built by hand.
    """

    order = (
        -21
    )  # before the Recorder (-20) at every event: the combined numbers are in place when it reads them

    def __init__(self, find_unused_parameters: bool = False) -> None:
        self.find_unused_parameters = find_unused_parameters

    def before_fit(self, learn: Learner) -> None:
        from torch.nn.parallel import DistributedDataParallel

        if not any(p.requires_grad for p in learn.model.parameters()):
            raise ConfigError("every parameter is frozen; unfreeze some before a distributed fit")
        _check_metrics_combine(learn.metrics)
        device_ids = [learn.device.index] if learn.device.type == "cuda" else None
        # Every built-in model uses every parameter that trains (a frozen body's take no part), so DDP's search
        # for unused ones, an extra pass over the graph each step, is off unless asked for; a model that needs
        # it fails on its second step with a one-line error saying so (Learner._one_batch).
        learn.forward_model = DistributedDataParallel(
            learn.model, device_ids=device_ids, find_unused_parameters=self.find_unused_parameters
        )

    def after_train(self, learn: Learner) -> None:
        for callback in learn.callbacks:  # the same list, in the same order, in every process
            callback.combine("train", _all_reduce_sum)

    def before_validate(self, learn: Learner) -> None:
        # DDP hands rank 0's buffers out before each training step, so each process ends the epoch with the
        # batch-norm statistics of its own last batch: every process validates with rank 0's, the model saved,
        # so that the epoch's scores are that model's (they mixed two models, 0.8876 for one that scores 0.8873).
        import torch.distributed as dist

        for buffer in learn.model.buffers():
            dist.broadcast(buffer.data, src=0)

    def after_validate(self, learn: Learner) -> None:
        for callback in learn.callbacks:
            callback.combine("valid", _all_reduce_sum)
        for metric in learn.metrics:
            metric.load_state(_combined_states(metric))

    def after_fit(self, learn: Learner) -> None:
        learn.forward_model = None


def _check_metrics_combine(metrics: Any) -> None:
    """Refuse a metric that keeps its state in attributes of its own: each process would report its own share
    of the validation rows, and early stopping could decide differently in different processes."""
    for metric in metrics:
        if not metric.reductions:
            raise ConfigError(
                f"metric {metric.name!r} keeps its state in attributes of its own, which a distributed fit cannot "
                "combine across processes; pass it as a function fn(preds, targets) -> float instead (its inputs "
                "are gathered from every process), or declare its states (see trainwell.metrics.Metric)"
            )


def _all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    import torch.distributed as dist

    backend = dist.get_backend()
    device = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else torch.device("cpu")
    total = values.to(device)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total.cpu()


def _combined_states(metric: Any) -> dict[str, torch.Tensor]:
    """A metric's states over every process: ``"sum"`` states added up, ``"cat"`` states concatenated."""
    import torch.distributed as dist

    combined = {}
    for key, value in metric.state_dict().items():
        if metric.reductions[key] == "sum":
            combined[key] = _all_reduce_sum(value.double()).to(value.dtype)
        else:
            parts: list[Any] = [None] * dist.get_world_size()
            dist.all_gather_object(parts, value.cpu())
            filled = [part for part in parts if part.numel()]
            combined[key] = torch.cat(filled) if filled else value.cpu()
    return combined


def distribute(learn: Learner, *, find_unused_parameters: bool = False) -> Learner:
    """Prepare ``learn`` to be fitted by every process of the ``torchrun`` job; returns it.

    Joins the process group (from torchrun's variables), moves the model to this process's device, shards
    the training and validation loaders (trainwell's own, or a torch DataLoader, whose sampler is replaced: see
    :func:`shard_torch_loader`) and adds :class:`DistributedTraining`. Every process must build the
    same Learner from the same data and seed, and call this before fitting.

    ``find_unused_parameters=True`` is for a model of your own whose forward pass leaves some trained
    parameters out (a branch taken only sometimes): DistributedDataParallel then looks for them every step.

    Raises:
        ConfigError: Not launched by torchrun; a loader that cannot be sharded (neither a torch DataLoader over a
            map-style dataset nor one of trainwell's, which have ``rank``/``world_size``).
    """
    if getattr(learn.model, "closed_form", False):
        raise ConfigError(
            f"the {type(learn.model).__name__} model is fitted in closed form, not by gradient steps, so there is "
            "nothing to share between processes; run it without torchrun"
        )
    rank, size = init_distributed()
    device = local_device()
    if learn.device != device:
        learn.device = device
        learn.model = learn.model.to(device)
    for name, loader in (("training", learn.data.train), ("validation", learn.data.valid)):
        if loader is None:
            continue
        if _is_torch_loader(loader):
            sharded = shard_torch_loader(loader, rank, size, training=name == "training")
            if name == "training":
                learn.data.train = sharded
            else:
                learn.data.valid = sharded
            continue
        if not (hasattr(loader, "rank") and hasattr(loader, "world_size")):
            raise ConfigError(
                f"the {name} data ({type(loader).__name__}) cannot be split between processes; pass a torch "
                "DataLoader over a map-style Dataset (its sampler is replaced by one shard per process) or "
                "trainwell's loaders (tensor_data, tabular_data, image_data...)"
            )
        loader.rank, loader.world_size = rank, size  # type: ignore[attr-defined]
        if name == "validation" and hasattr(loader, "even"):
            loader.even = False  # type: ignore[attr-defined]
            _one_batch_each(loader, size)
    learn.processes = size  # type: ignore[attr-defined]  # trainwell.json's training entry records it
    if not any(isinstance(callback, DistributedTraining) for callback in learn.callbacks):
        learn.add_callbacks(DistributedTraining(find_unused_parameters))
        _own_random_streams(rank)
        _say_global_batch(learn, rank, size)
    return learn


def global_batch_line(size: int, backend: str, batch_size: int | None) -> str:
    """What a distributed fit changes of the fit the same settings make in one process, in one line: every
    step averages the gradients of ``size`` batches, so the batch a step sees is ``size`` times larger and an
    epoch has ``size`` times fewer steps, at the learning rate given (nothing rescales it).

    >>> global_batch_line(2, "gloo", 32)
    '2 processes (DDP, gloo): global batch 64 = 2 x 32; learning rate as given, not scaled'
    """
    batch = (
        f"global batch {size * batch_size} = {size} x {batch_size}"
        if batch_size
        else f"{size} batches a step"
    )
    return f"{size} processes (DDP, {backend}): {batch}; learning rate as given, not scaled"


def _say_global_batch(learn: Learner, rank: int, size: int) -> None:
    """Rank 0 says :func:`global_batch_line` on standard error, where the fit shows its progress (a fit under
    torchrun doubled its batch and halved its steps without a word: tour62 #9)."""
    import torch.distributed as dist

    from trainwell.callbacks.progress import ProgressBar

    if rank != 0 or not any(isinstance(callback, ProgressBar) for callback in learn.callbacks):
        return
    from rich.console import Console

    batch_size = getattr(learn.data.train, "batch_size", None)
    line = global_batch_line(size, dist.get_backend(), batch_size if isinstance(batch_size, int) else None)
    Console(stderr=True).print(line, markup=False, highlight=False, soft_wrap=True)


def _is_torch_loader(loader: Any) -> bool:
    from torch.utils.data import DataLoader

    return isinstance(loader, DataLoader)


def shard_torch_loader(loader: Any, rank: int, size: int, *, training: bool) -> Any:
    """The same torch DataLoader reading this process's shard of its dataset.

    Training: a :class:`~torch.utils.data.DistributedSampler`, shuffled when the loader shuffled, seeded the
    same in every process (and reshuffled each epoch through ``set_epoch``), padded so that every process takes
    the same number of steps. Validation: every ``size``-th row from ``rank`` on, in order, without padding, so
    each row counts once in the combined loss and metrics.

    Raises:
        ConfigError: The loader reads an iterable-style dataset, uses its own batch sampler, or has fewer
            validation rows than processes.
    """
    from torch.utils.data import (
        BatchSampler,
        DataLoader,
        DistributedSampler,
        IterableDataset,
        RandomSampler,
        SequentialSampler,
    )

    kind = "training" if training else "validation"
    if isinstance(loader.dataset, IterableDataset):
        raise ConfigError(
            f"the {kind} DataLoader reads an IterableDataset, which cannot be split by index between processes; "
            "shard it yourself (torch.distributed.get_rank() inside the dataset) or use a map-style Dataset"
        )
    if type(loader.batch_sampler) is not BatchSampler or not isinstance(
        loader.sampler, (RandomSampler, SequentialSampler)
    ):
        raise ConfigError(
            f"the {kind} DataLoader has a sampler of its own ({type(loader.sampler).__name__}); a distributed fit "
            "replaces it with one shard per process: pass shuffle=True or False instead, or shard it yourself"
        )
    n_rows = len(loader.dataset)
    if n_rows < size:
        raise ConfigError(
            f"the {kind} data has {n_rows} rows for {size} processes; each process needs at least one: use more "
            "rows or fewer processes"
        )
    sampler: Any
    if training:
        shuffle = isinstance(loader.sampler, RandomSampler)
        # The seed must agree across processes: the one seed_everything set, read before each draws its own.
        sampler = DistributedSampler(
            loader.dataset, num_replicas=size, rank=rank, shuffle=shuffle, seed=torch.initial_seed() % 2**63
        )
    else:
        sampler = list(range(rank, n_rows, size))
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        sampler=sampler,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        drop_last=loader.drop_last,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        persistent_workers=loader.persistent_workers,
        prefetch_factor=loader.prefetch_factor,
    )


def _own_random_streams(rank: int) -> None:
    """From here on, each process draws its own random numbers: dropout masks, augmentations, mixup weights and
    sampled words differ between processes, as they would between the batches of one process, instead of
    repeating rank 0's on other rows.

    The model was built before (the same everywhere, and DDP broadcasts rank 0's anyway); what must agree
    across processes (batch order, window lengths, drawn negatives) comes from generators seeded by the seed
    and the epoch, not from these streams. Checkpoints keep every process's streams.
    """
    if rank == 0:
        return
    import random

    import numpy as np

    seed = (torch.initial_seed() + 1_000_003 * rank) % 2**63
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _one_batch_each(loader: Any, size: int) -> None:
    """Shrink a validation loader's batches until every process reads at least one.

    A process that reads no validation batch would hold its metrics' empty states (0-dim zeros) where the others
    hold per-class counts, and the all-reduce of the two shapes would never return.
    """
    n_rows = int(getattr(loader, "n_rows", 0))
    if n_rows and n_rows < size:
        raise ConfigError(
            f"the validation set has {n_rows} rows for {size} processes; each process needs at least one: use "
            "more validation rows or fewer processes"
        )
    batch_size = getattr(loader, "batch_size", None)
    if n_rows and batch_size and math.ceil(n_rows / batch_size) < size:
        loader.batch_size = math.ceil(n_rows / size)


def maybe_distribute(learn: Learner) -> Learner:
    """:func:`distribute` when the process was launched by ``torchrun`` with several processes (and is not
    training a job of its own: :func:`~trainwell.distributed.spread.each_process_alone`), else ``learn``."""
    from trainwell.distributed.spread import trains_together

    return distribute(learn) if trains_together() else learn
