"""The process group: joined from ``torchrun``'s environment, on the backend that fits the device.

``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` in each process
it starts; :func:`init_distributed` reads them (``init_method="env://"``), picks NCCL when CUDA is there and Gloo
otherwise, and pins each process to its own GPU.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

import torch

from trainwell.core.errors import ConfigError

__all__ = ["broadcast_value", "init_distributed", "launched_by_torchrun", "local_device", "world_size"]

_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def launched_by_torchrun() -> bool:
    """True in a process started by ``torchrun`` with more than one process in the job."""
    return all(name in os.environ for name in _ENV) and int(os.environ["WORLD_SIZE"]) > 1


def world_size() -> int:
    """Processes in the job: 1 unless a process group is up."""
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def local_device() -> torch.device:
    """This process's device: its own GPU (``cuda:LOCAL_RANK``) when CUDA is there, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def init_distributed(backend: str | None = None) -> tuple[int, int]:
    """Join the job's process group (once) and return ``(rank, world_size)``.

    Args:
        backend: ``"nccl"`` or ``"gloo"``; by default NCCL with CUDA, Gloo on the CPU.

    Raises:
        ConfigError: The process was not started by ``torchrun`` (or a launcher setting the same variables).
    """
    import torch.distributed as dist

    if not dist.is_available():
        raise ConfigError("this PyTorch build has no torch.distributed; install a build that has it")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    missing = [name for name in _ENV if name not in os.environ]
    if missing:
        raise ConfigError(
            f"distributed training needs the variables torchrun sets ({', '.join(missing)} missing); launch with "
            "torchrun --nproc_per_node N your_script.py (or: torchrun --nproc_per_node N -m trainwell fit ...)"
        )
    chosen = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if chosen == "nccl":
        torch.cuda.set_device(local_device())
    dist.init_process_group(chosen, init_method="env://")
    atexit.register(_leave)
    _watch_for_failure()
    return dist.get_rank(), dist.get_world_size()


_failed = False


def mark_failed() -> None:
    """Say that this process is ending on an error: at exit it leaves the job at once instead of meeting the
    others at the barrier (:func:`_leave`). The command line calls it on the errors it turns into an exit code;
    an exception nobody caught marks it itself (:func:`_watch_for_failure`)."""
    global _failed
    _failed = True


def _watch_for_failure() -> None:
    """Mark the process failed (:func:`mark_failed`) when an exception reaches the top, before the hook in place
    prints it."""
    import sys

    shown = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, traceback: Any) -> None:
        mark_failed()
        shown(kind, value, traceback)

    sys.excepthook = hook


#: How long a process leaving the job waits for the others at exit before it leaves anyway.
LEAVE_TIMEOUT_S = 60


def _leave() -> None:
    """Leave the process group at exit, all processes together.

    A process that destroys its group while another is still working (rank 0 writing the model directory)
    can abort at exit with "terminate called without an active exception": Gloo's receiving thread is still
    blocked on that peer. Meeting at a barrier first means no process leaves while another still talks to it.
    Then it waits for its own backend threads to finish with what they hold (:func:`let_threads_settle`).

    A process that failed (:func:`mark_failed`: an error in one process alone, a callback's bug on rank 1) does
    not wait: the others are blocked in the collective it will never join (the next batch's gradients), so no
    barrier is ever met, and the job hung until the launcher's timeout with nothing but the first traceback.
    Leaving at once lets ``torchrun`` see the failed process and stop the others.
    """
    import datetime

    import torch.distributed as dist

    if _failed:
        let_threads_settle()
        return
    if dist.is_initialized():
        try:
            if dist.get_backend() == "gloo":  # gives up after the timeout if a process died
                dist.monitored_barrier(timeout=datetime.timedelta(seconds=LEAVE_TIMEOUT_S))
            else:
                dist.barrier()
        except RuntimeError:
            pass  # another process has gone: leave anyway
        dist.destroy_process_group()
    let_threads_settle()  # also when the script destroyed the group itself: the backend's threads outlive it


#: How long a process leaving the job waits, at most, for other threads of its own to go idle.
SETTLE_TIMEOUT_S = 1.0
#: How often it looks.
SETTLE_POLL_S = 0.01


def let_threads_settle(timeout: float = SETTLE_TIMEOUT_S) -> None:
    """Sleep, releasing the GIL, until no other thread of this process is running or waiting to run, two looks
    in a row (Linux, from ``/proc/self/task``; elsewhere a tenth of a second), or until ``timeout``.

    A Gloo worker thread drops a finished collective a moment after the collective returned; when Python has
    dropped its own hold on the tensors by then, the worker takes the GIL to release them. Once the interpreter
    has begun to shut down, a thread that asks for the GIL is made to exit, and exiting from inside a C++
    destructor aborts the process ("terminate called without an active exception", SIGABRT), after the job's
    work is done but with a failed exit that torchrun reports as the job's failure. On a busy 2-core machine the
    worker can lag that long: about one exit in ten before this wait (``gdb`` on the core: the worker in
    ``~AsyncAllgatherWork``, the main thread in ``Py_FinalizeEx``).
    """
    import time

    tasks = "/proc/self/task"
    if not os.path.isdir(tasks):
        time.sleep(min(timeout, 0.1))
        return
    me = str(threading.get_native_id())
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(SETTLE_POLL_S)
        quiet = quiet + 1 if not _others_running(tasks, me) else 0


def _others_running(tasks: str, me: str) -> bool:
    """Whether a thread of this process other than ``me`` is running or runnable (state ``R``)."""
    for tid in os.listdir(tasks):
        if tid == me:
            continue
        try:
            with open(f"{tasks}/{tid}/stat", encoding="ascii", errors="replace") as stat:
                state = stat.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue  # the thread ended while we looked
        if state == "R":
            return True
    return False


def broadcast_value(value: Any, source: int = 0) -> Any:
    """``value`` as process ``source`` has it, in every process (a no-op in a single process).

    What must be decided once for all processes (a learning rate picked by the finder from one process's
    losses) goes through here, so that no process trains with another setting.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=source)
    return holder[0]
