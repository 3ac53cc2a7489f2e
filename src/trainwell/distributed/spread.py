"""Independent jobs spread over ``torchrun``'s processes: cross-validation folds, search trials.

``fit`` under ``torchrun`` trains one model with every process (:mod:`trainwell.distributed.training`).
``evaluate`` and ``tune`` have many models to train, each small enough for one process, so they share them
out instead: process ``r`` of ``N`` takes jobs ``r``, ``r + N``, ``r + 2N``... (:func:`my_share`) and trains
each one alone (:func:`each_process_alone`: no ``DistributedDataParallel``, no shards), with the seed it would
have in a single process, so the numbers are those of a one-process run. The results then meet in every
process (:func:`gather_results`) and rank 0 writes them.

No process group is formed, ever: the processes talk through ``torchrun``'s own key-value store
(:func:`job_store`). A process that finishes first waits there for the others (up to :data:`GATHER_TIMEOUT_S`),
and every process stays alone afterwards, so a process holding the best of a search's models can still write
it (a model is exported by rank 0 of a process group only), and a script may evaluate twice. A search cannot
deal its trials out in advance (each is chosen from those finished before it, in every process): one process
publishes what the others wait for, a counter in the store hands the trials out, and
:func:`gather_over_store` gathers under a name of its own.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import pickle
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from trainwell.distributed.setup import launched_by_torchrun

__all__ = ["GATHER_TIMEOUT_S", "SpreadProcesses", "each_process_alone", "gather_over_store", "gather_results",
           "job_store", "my_share", "rank_zero_says", "spread_position", "spread_processes",
           "termination_unwinds", "trains_together", "wait_for_keys"]  # fmt: skip

#: How long a process that finished its share waits for the slowest one when they gather (a day: a search
#: may run for hours, and torch's default of 30 minutes would abort it).
GATHER_TIMEOUT_S = 24 * 3600

_alone = False

#: The longest pause between two looks at the store while a process waits for keys (:func:`wait_for_keys`).
KEY_POLL_S = 0.5

#: How long a process other than rank 0 waits to learn whether rank 0 stopped on the same error
#: (:func:`rank_zero_says`) before saying its own.
SAME_ERROR_WAIT_S = 3.0


def spread_position() -> tuple[int, int]:
    """``(rank, world_size)`` from torchrun's variables, or ``(0, 1)`` in a single process."""
    if not launched_by_torchrun():
        return 0, 1
    return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])


def my_share(n_jobs: int) -> list[int]:
    """The jobs of ``range(n_jobs)`` this process runs: every ``world_size``-th from its rank on (all of them in
    a single process)."""
    rank, size = spread_position()
    return list(range(rank, n_jobs, size))


@contextlib.contextmanager
def each_process_alone() -> Iterator[None]:
    """Inside, the one-call pipelines train in this process alone even under ``torchrun`` (each process has
    its own job): :func:`trains_together` is False. With CUDA, each process trains on its own GPU
    (``LOCAL_RANK``, wrapping round when there are fewer GPUs than processes), not all on the first."""
    global _alone
    if launched_by_torchrun():
        import torch

        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ["LOCAL_RANK"]) % torch.cuda.device_count())
    before, _alone = _alone, True
    try:
        yield
    finally:
        _alone = before


def trains_together() -> bool:
    """Whether a pipeline should train one model with every process: launched by ``torchrun`` with several
    processes, and not inside :func:`each_process_alone`."""
    return launched_by_torchrun() and not _alone


def gather_results(value: Any) -> list[Any]:
    """Every process's ``value``, in rank order, in every process (``[value]`` in a single process).

    Goes through ``torchrun``'s own store (:func:`job_store`, :func:`gather_over_store`), so no process group is
    formed: a process that finished its share first waits for the others (up to :data:`GATHER_TIMEOUT_S`), and
    the process stays alone afterwards (``is_rank_zero()`` still true, a second evaluation in the same script
    spreads again). Every process must call it the same number of times, in the same order: the calls are
    numbered to keep their keys apart.
    """
    if not launched_by_torchrun():
        return [value]
    global _gathers, _store
    if _store is None:
        _store = job_store("gather")
    _gathers += 1
    return gather_over_store(_store, f"call_{_gathers}", value)


_gathers = 0
_store: Any = None


def job_store(purpose: str) -> Any:
    """``torchrun``'s own key-value store (the agent's ``TCPStore`` at ``MASTER_ADDR:MASTER_PORT``), its keys
    under ``trainwell/<purpose>/attempt_<restart>/``: fresh for every job and every restart of one, and shared
    by all its processes, on every machine, with no process group. Reads wait for a key up to
    :data:`GATHER_TIMEOUT_S`.

    Raises:
        ConfigError: The processes were not started by ``torchrun`` (no agent store to share).
    """
    import torch.distributed as dist

    from trainwell.core.errors import ConfigError

    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        raise ConfigError(
            f"trainwell {purpose} shares its work over the processes through torchrun's own store, and these "
            "processes were not started by torchrun; launch them with torchrun --nproc_per_node N -m trainwell "
            f"{purpose} ..."
        )
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        int(os.environ["MASTER_PORT"]),
        is_master=False,
        timeout=datetime.timedelta(seconds=GATHER_TIMEOUT_S),
    )
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    return dist.PrefixStore(f"trainwell/{purpose}/attempt_{attempt}/", store)


def gather_over_store(store: Any, name: str, value: Any) -> list[Any]:
    """Every process's ``value``, in rank order, in every process, through ``store`` (from :func:`job_store`):
    :func:`gather_results` without a process group. Every process calls it once per ``name``; it waits for the
    slowest. The values are pickled into the job's own store, which only the job's processes use (as
    ``all_gather_object`` pickles them between them)."""
    rank, size = spread_position()
    store.set(f"{name}/{rank}", pickle.dumps(value))
    keys = [f"{name}/{other}" for other in range(size)]
    wait_for_keys(store, keys)
    return [pickle.loads(store.get(key)) for key in keys]


def wait_for_keys(store: Any, keys: list[str], timeout_s: float = GATHER_TIMEOUT_S) -> None:
    """Wait until every one of ``keys`` is in ``store``, up to ``timeout_s``, looking every :data:`KEY_POLL_S`
    at most. Not the store's own ``wait``: that call blocks in C++ until the keys come, and Python runs no signal
    handler meanwhile, so a process waiting there for a slower one would neither stop on Ctrl-C nor clean up on
    torchrun's SIGTERM (:func:`termination_unwinds`) until the keys came or the timeout, a day, ran out.

    Raises:
        torch.distributed.DistStoreError: The keys were not all there after ``timeout_s``.
    """
    import torch.distributed as dist

    deadline, pause = time.monotonic() + timeout_s, 0.01
    while not store.check(keys):
        if time.monotonic() > deadline:
            raise dist.DistStoreError(f"waited {timeout_s:.0f} s for the store's keys {keys}; not all came")
        time.sleep(pause)
        pause = min(2 * pause, KEY_POLL_S)


@contextlib.contextmanager
def termination_unwinds() -> Iterator[None]:
    """Inside, SIGTERM raises ``SystemExit(143)`` (128 + the signal's number, the status a shell gives a process
    it killed) rather than ending the process where it stands, so that ``finally`` blocks and context managers
    run: what the process would remove on Ctrl-C it removes then too. torchrun stops its processes with SIGTERM
    (when it is stopped itself, or when one of them failed), and kills those still running about 30 seconds
    later. A second SIGTERM stops the process at once. Nothing changes outside the main thread, or where a
    handler of someone else's has SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield  # someone else handles SIGTERM: leave it to them
        return

    def unwind(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is unwind:
            signal.signal(signal.SIGTERM, previous)


def rank_zero_says(message: str, wait_s: float = SAME_ERROR_WAIT_S) -> bool:
    """Whether rank 0 of this ``torchrun`` job says ``message`` (an error every process met, such as a missing
    column), so this process may stay quiet rather than print it once per process. Rank 0 records its message
    in the job's store and answers False: it always speaks. Another process records its own, waits up to
    ``wait_s`` for rank 0's and answers whether it is the same one; a different error, or none from rank 0 in
    time (only this process failed), is this process's to say. False outside ``torchrun``, or when the store
    cannot be reached (better said twice than never).

    torchrun stops the other processes once one has failed, so a process still waiting here when rank 0 exits
    on the same error is stopped quietly, as wanted.
    """
    if not launched_by_torchrun() or os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        return False
    import torch.distributed as dist

    rank, _ = spread_position()
    try:
        store = dist.PrefixStore("errors/", job_store("said"))
        store.set(str(rank), message)
        if rank == 0:
            return False
        store.wait(["0"], datetime.timedelta(seconds=wait_s))
        return bool(store.get("0").decode() == message)
    except (RuntimeError, OSError, ValueError):  # rank 0 said nothing in time (DistStoreError), or no store
        return False


@dataclass(frozen=True)
class SpreadProcesses:
    """``torchrun``'s processes (or this one alone) as a cross-validation shares its folds out over them:
    the :class:`trainwell.evaluate.spread.Processes` that :func:`~trainwell.evaluate.spread.cross_validate_spread`
    takes. Made by :func:`spread_processes`."""

    rank: int
    size: int

    def share(self, n_jobs: int) -> list[int]:
        return my_share(n_jobs)

    def gather(self, value: Any) -> list[Any]:
        return gather_results(value)

    def alone(self) -> contextlib.AbstractContextManager[Any]:
        return each_process_alone()


def spread_processes() -> SpreadProcesses:
    """The processes independent jobs (cross-validation folds) are shared out over: every process ``torchrun``
    started, or this one alone.

    Raises:
        ConfigError: Several processes, and this one has joined torchrun's process group already (a distributed
            fit ran in it): every job would then see the group, and train or draw its random numbers as one part
            of a distributed fit instead of alone.
    """
    rank, size = spread_position()
    if size > 1:
        import torch.distributed as dist

        from trainwell.core.errors import ConfigError

        if dist.is_available() and dist.is_initialized():
            raise ConfigError(
                "under torchrun, evaluate shares its folds out to processes that each train alone, and this "
                "process has joined the job's process group already (a distributed fit ran in it): evaluate in a "
                "torchrun job of its own, or before the fit"
            )
    return SpreadProcesses(rank, size)
