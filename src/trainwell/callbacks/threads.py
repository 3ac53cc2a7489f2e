"""One intra-op thread for a network of many small operators on the CPU (a table's MLP, a ratings model's
factors), in its fits and its evaluation passes.

A table's MLP runs some fifty small operators a batch (an embedding per category column, narrow linear layers,
AdamW's update of each parameter); a ratings model's batch is a few embedding lookups, a dot product and the
update of two large embedding tables. torch opens a parallel region for each operator above its grain size, and
the region's threads wait on one another: on 2 cores busy with other work (a load of 9) a Titanic batch of 32 rows
took 91 ms of CPU and 309 ms on the clock with torch's two threads, against 5 ms and 21 ms with one, so the
learning-rate finder's sweep under ``--time`` stopped for want of time on a table of 900 rows; an Adult batch of
256 rows took 106 ms of CPU against 8 ms; an epoch of MovieLens 100k's ratings took 57 s against 9.2 s (load
8.5) and 14.5 s against 3.0 s (load 11, median of 2), as implicit feedback 72 s against 12 s and 40 s against
10 s, the scores the same to the last digit. ``benchmarks/tabular_batch_speed.py`` measures both side by side
(6 to 11 times faster on one thread at a load of 7; 3 to 10 times at 5), tables and ratings: the penalty grows
with the load. A table's or ratings' batches are slices of whole tensors
(:class:`~trainwell.data.loader.TensorLoader`), about 0.01 ms each: the loading was never the cost (implicit
feedback's loader draws its negatives, a third of a batch's time on one thread).

One thread, not the cores the machine has free as the trees' walk takes them
(:func:`~trainwell.tabular.gbdt.walk_threads`): the walk's gathers and comparisons give the same answer on any
number of threads, but a network's float sums are grouped by thread, so a thread count that followed the
machine's load would train other weights from the same seed. With one thread a seed trains the same weights
whatever else runs on the machine and whatever its number of cores.

:func:`~trainwell.tabular.tabular_learner` and :func:`~trainwell.collab.collab_learner` add :class:`OneThread` to
the networks they build (not to models fitted in closed form: boosted trees, EASE); their Learners' ``validate``
and ``get_preds`` keep to one thread while it is there (:func:`pass_threads`).
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
    process's own setting is back when the fit ends, however it ends (see :mod:`trainwell.callbacks.threads`).

    :func:`~trainwell.tabular.tabular_learner` and :func:`~trainwell.collab.collab_learner` add it to the
    network's Learner, whose ``validate`` and ``get_preds`` then keep to one thread too. ``learn.remove_callback(OneThread)`` gives the fits and passes
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


def pass_threads(learn: Learner) -> contextlib.AbstractContextManager[None]:
    """One thread for an evaluation pass (``validate``, ``get_preds``) of ``learn`` while its fits keep to one
    (:class:`OneThread` is in its callbacks), so that its scores are summed as the fit's validation summed them;
    otherwise the process's own setting."""
    if learn.get_callback(OneThread) is None:
        return contextlib.nullcontext()
    return one_thread(learn.device)


def with_one_thread(callbacks: list[Callback]) -> list[Callback]:
    """``callbacks`` and a :class:`OneThread`, unless one is there already."""
    if any(isinstance(callback, OneThread) for callback in callbacks):
        return callbacks
    return [*callbacks, OneThread()]
