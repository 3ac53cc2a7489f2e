"""One intra-op thread for a table's network on the CPU, in its fits and its evaluation passes.

A table's MLP runs some fifty small operators a batch (an embedding per category column, narrow linear layers,
AdamW's update of each parameter). torch opens a parallel region for each one above its grain size, and the
region's threads wait on one another: on 2 cores busy with other work (a load of 9) a Titanic batch of 32 rows
took 91 ms of CPU and 309 ms on the clock with torch's two threads, against 5 ms and 21 ms with one, so the
learning-rate finder's sweep under ``--time`` stopped for want of time on a table of 900 rows; an Adult batch of
256 rows took 106 ms of CPU against 8 ms. ``benchmarks/tabular_batch_speed.py`` measures both side by side (6 to
11 times faster on one thread at a load of 7; 3 to 10 times at 5): the penalty grows with the load. The batches
themselves are slices of whole tensors (:class:`~trainwell.data.loader.TensorLoader`), about 0.01 ms each: the
loading was never the cost.

One thread, not the cores the machine has free as the trees' walk takes them
(:func:`~trainwell.tabular.gbdt.walk_threads`): the walk's gathers and comparisons give the same answer on any
number of threads, but a network's float sums are grouped by thread, so a thread count that followed the
machine's load would train other weights from the same seed. With one thread a seed trains the same weights
whatever else runs on the machine and whatever its number of cores.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


@contextlib.contextmanager
def one_thread(device: torch.device | str) -> Iterator[None]:
    """Inside, on the CPU, torch's intra-op threads are one; the process's own setting is restored on leaving
    (however the block ends). On another device, or with one thread already, nothing changes."""
    threads = torch.get_num_threads()
    if torch.device(device).type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class OneThread(Callback):
    """Within a fit on the CPU (its learning-rate finder's sweep included), torch's intra-op threads are one; the
    process's own setting is back when the fit ends, however it ends (see :mod:`trainwell.tabular.threads`).

    :func:`~trainwell.tabular.tabular_learner` adds it to the network's Learner, whose ``validate`` and
    ``get_preds`` then keep to one thread too. ``learn.remove_callback(OneThread)`` gives the fits and passes
    every thread torch takes (a machine of many idle cores, batches far larger than the defaults).
    """

    order = -60  # before anything that times batches (a TimeBudget's plan, -40) or does work in before_fit

    def __init__(self) -> None:
        self._threads: int | None = None  # the process's setting while a fit holds one thread

    def before_fit(self, learn: Learner) -> None:
        threads = torch.get_num_threads()
        if learn.device.type == "cpu" and threads > 1:
            self._threads = threads
            torch.set_num_threads(1)

    def teardown(self, learn: Learner) -> None:
        if self._threads is not None:
            torch.set_num_threads(self._threads)
            self._threads = None
