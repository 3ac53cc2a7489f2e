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
