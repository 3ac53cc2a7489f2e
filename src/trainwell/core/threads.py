"""How many threads scikit-learn's OpenMP and BLAS pools may take, from the cores the machine has free.

scikit-learn's gradient boosting opens many short parallel regions (a histogram per feature per node). On a
machine whose cores are busy with other work, each region's threads wait on one another for the scheduler, and a
fit with one thread per core became several times slower than one thread alone: a HistGradientBoosting baseline
on 333 image thumbnails (192 features) took 74 s with two threads beside a load of 4 on 2 cores, and 12 s with
one (and ``trainwell evaluate photos/ --time 60s`` seemed to hang in it). So the pools get the cores left free:
all of them on an idle machine, one when others are busy.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


def free_cores() -> int:
    """Cores not taken by other work, at least 1: the cores this process may run on, less the one-minute load
    average beyond this process's own (a load of 1 is this process at work). Without a load average (Windows),
    every core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return max(1, min(cores, cores - round(max(0.0, load - 1.0))))


@contextlib.contextmanager
def sklearn_threads() -> Iterator[int]:
    """Limit scikit-learn's OpenMP and BLAS thread pools to :func:`free_cores` within the block; yields it."""
    from threadpoolctl import threadpool_limits

    threads = free_cores()
    with threadpool_limits(limits=threads):
        yield threads


@contextlib.contextmanager
def threads_set(count: int | None, device: torch.device | str) -> Iterator[None]:
    """Inside, on the CPU, torch's intra-op threads are ``count``; the process's own setting is restored on
    leaving (however the block ends). ``None``, another device, or the count already set: nothing changes."""
    import torch

    threads = torch.get_num_threads()
    if count is None or torch.device(device).type != "cpu" or threads == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def predictor_threads(predictor: Any) -> contextlib.AbstractContextManager[None]:
    """The threads a predictor's answers run on: its ``threads`` attribute (``1`` for a network whose fits keep
    to one thread, so ``trainwell.load(dir).predict`` sums as the fit's validation did; ``None``: the process's
    own setting, as ``torch.set_num_threads`` or ``trainwell serve --threads`` left it). The model's device
    decides as for a fit: on a GPU nothing changes."""
    import torch

    count = getattr(predictor, "threads", None)
    if count is None:
        return contextlib.nullcontext()
    model = getattr(predictor, "model", None)
    tensor = (
        next(iter([*model.parameters(), *model.buffers()]), None)
        if isinstance(model, torch.nn.Module)
        else None
    )
    return threads_set(count, tensor.device if tensor is not None else "cpu")
