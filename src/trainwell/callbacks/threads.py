"""One intra-op thread for a network of many small operators on the CPU (a table's MLP, a ratings model's
factors, a text bag model), in its fits, its evaluation passes and its predictor's answers.

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

A text bag model's batch is one embedding bag over the texts' n-grams, a small head and LazyAdamW's update of the
rows it touched: the same kind of work. ``benchmarks/thread_speed.py`` runs torch's threads and one thread side by
side in one process, taking turns (2 cores, a load of 6.6 to 11, 2026-12-07): an epoch of 15,000 SST-2 sentences
took 7.6 to 50 s on two threads against 0.54 to 3.8 s on one (12 to 37 times, nine pairs), the validation loss the
same to the last digit; ``trainwell.load(dir).predict`` of 1,000 Adult rows by a table's MLP 17 to 349 ms against
7.3 to 35 ms (1.7 to 18 times, nine pairs), of 1,000 SST-2 sentences by a bag model 14 to 162 ms against 15 to 78
ms (0.95 to 4.1 times, seven pairs: at best for two threads, the same). So the predictors ``trainwell.load``
returns for these networks answer on one thread too (their ``threads``: :func:`~trainwell.core.threads.predictor_threads`).

Networks of large operators keep the process's setting. At the same loads an epoch of 1,000 SST-2 sentences by the
AWD-LSTM classifier (1,150 hidden units) took 22 to 72 s on two threads against 2.9 to 9.8 s on one (3.3 to 21
times, seven pairs), and one of 1,000 CIFAR-10 images by ``vision_learner``'s CNN 17 to 96 s against 1.7 to 7.7 s
(6.6 to 15 times, seven pairs), two threads burning ten times the CPU as they waited on one another; but their
matrix products and convolutions are the work threads do speed up on idle cores, which that machine (never below a
load of 6 that day) could not show, so they keep torch's threads until a measurement on idle cores says otherwise
(a language model's fit takes one thread under a short ``--time`` only: :mod:`trainwell.text.lm_pipeline`).

One thread, not the cores the machine has free as the trees' walk takes them
(:func:`~trainwell.tabular.gbdt.walk_threads`): the walk's gathers and comparisons give the same answer on any
number of threads, but a network's float sums are grouped by thread, so a thread count that followed the
machine's load would train other weights from the same seed. With one thread a seed trains the same weights
whatever else runs on the machine and whatever its number of cores. (A bag model's sums, at its default sizes,
stay under torch's grain: its weights came out the same on two threads, and for it the reason is speed. The
AWD-LSTM's validation loss moved in the fourth digit.)

:func:`~trainwell.tabular.tabular_learner`, :func:`~trainwell.collab.collab_learner` and
:func:`~trainwell.text.text_classifier_learner` (bag models) add :class:`OneThread` to the networks they build
(not to models fitted in closed form: boosted trees, EASE); their Learners' ``validate`` and ``get_preds`` keep to
one thread while it is there (:func:`pass_threads`), and so do the predictors ``trainwell.load`` rebuilds for them
(:func:`~trainwell.core.threads.predictor_threads`: ``TabularPredictor``, ``CollabPredictor`` and ``TextPredictor`` hold ``threads = 1``;
``None``, the process's own setting, for trees, EASE and sequence models, or set by hand).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import torch

from trainwell.core.threads import threads_set
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


def one_thread(device: torch.device | str) -> contextlib.AbstractContextManager[None]:
    """Inside, on the CPU, torch's intra-op threads are one; the process's own setting is restored on leaving
    (however the block ends). On another device, or with one thread already, nothing changes."""
    return threads_set(1, device)


class OneThread(Callback):
    """Within a fit on the CPU (its learning-rate finder's sweep included), torch's intra-op threads are one; the
    process's own setting is back when the fit ends, however it ends (see :mod:`trainwell.callbacks.threads`).

    :func:`~trainwell.tabular.tabular_learner`, :func:`~trainwell.collab.collab_learner` and
    :func:`~trainwell.text.text_classifier_learner` (bag models) add it to the network's Learner, whose
    ``validate`` and ``get_preds`` then keep to one thread too. ``learn.remove_callback(OneThread)`` gives the
    fits and passes every thread torch takes (a machine of many idle cores, batches far larger than the defaults).
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
