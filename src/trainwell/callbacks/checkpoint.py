"""Checkpoints during a fit, so that a killed run can be resumed exactly with ``fit(..., resume_from=path)``."""

from __future__ import annotations

import errno
import math
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.callbacks._validate import file_path, flag, positive_int, positive_number
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.core.warn import warn
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

#: What a first write is assumed to cost before one is measured (``max_overhead``): the bytes of the weights
#: and the optimizer's state at this many bytes a second. Measured on a laptop-class disk: a 104 MB n-gram bag
#: and its optimizer state in 0.43 to 0.64 s, a 1.3 MB table MLP in 5 ms.
ASSUMED_WRITE_SPEED = 200e6


class Checkpoint(Callback):
    """Write ``learn.save_checkpoint(path)`` every ``every_n_batches`` training batches, every ``every_seconds``
    and/or every epoch.

    Each write replaces the previous file atomically, so the file always holds the latest complete state.
    Resuming with the same call (``learn.fit_one_cycle(3, resume_from=path)``) continues from the batch after
    the checkpoint and gives the same weights and history as a run that was never interrupted. Only rank 0
    writes; in a distributed fit the file keeps each process's RNG states and partial sums, and each process
    resumes from its own. A relative ``path`` is under ``learn.path``.

    The callback runs after the Recorder and the schedules (order 85) so that the file includes this batch;
    a callback that must see the file already written (or that may stop the process) needs a larger order.
    A write between two optimizer steps keeps the gradients held for the next one (those of a group of
    :class:`GradientAccumulation`, or of batches a callback's ``CancelStep`` left to accumulate), whatever the
    trigger (any ``every_n_batches``, ``every_seconds``, an interrupt), so the resume is exact there too; a
    write after a step holds none and costs nothing more.

    Args:
        path: the checkpoint file.
        every_n_batches: also write after every this many training batches of the fit (``None``: never).
        every_epoch: write after every epoch (after validation). When a callback ends the fit for good
            (:class:`EarlyStopping`; ``learn.stopped_by`` names it), the file is written once more, saying so: a
            resume of the same call then trains no more, as one of a fit that ran all its epochs.
        every_seconds: also write after the first training batch that ends this many seconds after the last
            write (or the fit's start), so that a long epoch is not lost whole.
        max_overhead: skip a mid-epoch write (``every_n_batches``, ``every_seconds``) that would come sooner
            after the last one than that write took divided by this share, so those writes take at most this
            share of the fit's time: at ``0.02``, a write of 0.5 s waits for 25 s of training. The first write's
            time is estimated from the bytes to write (:data:`ASSUMED_WRITE_SPEED`). ``None``: every trigger
            writes. An epoch's end (``every_epoch``) is skipped by this cap only when a write during that same
            epoch came too shortly before it; otherwise it is always written, even if writing then takes more
            than this share (a large model in short epochs): skipping it made a kill repeat several finished
            epochs (``kill -9`` after epoch 3 of a table MLP resumed after epoch 2).

    How much a kill loses: with ``every_epoch`` (the default) a kill without warning (``kill -9``, a machine
    that dies, an out-of-memory kill) loses at most the epoch in progress, and when that epoch's predecessor
    ended within the cap of a mid-epoch write, the part of the predecessor after that write; with
    ``every_seconds`` too, at most about ``every_seconds`` (or the cap's wait, if longer) of training. A
    caught signal (``save_on_interrupt``: Ctrl-C, SIGTERM) loses nothing.
        save_on_interrupt: on Ctrl-C (SIGINT), or SIGTERM (what ``kill``, a container's stop and a job
            scheduler send), finish the batch in progress (or the epoch's validation), write the checkpoint,
            then raise ``KeyboardInterrupt`` (``KeyboardInterrupt("SIGTERM")`` for SIGTERM): a resume then loses
            nothing. With ``every_epoch=False`` and no other trigger, the file is written on a signal only
            (Lightning's ``OnExceptionCheckpoint``). A second signal stops at once. Only in the main thread of one process, for a signal whose
            handler is still Python's default.
        settings: plain values (str, numbers, bools, ``None``, lists and dicts of them) kept in the file,
            describing the run, so that a resume can check it is the same one
            (:func:`~trainwell.learner.read_checkpoint`).
        clock: seconds from a fixed point (``time.perf_counter``; tests pass their own).

    Attributes:
        last_path: the file written last, or ``None``.
        writes: how many times the file was written in the fits so far.
        seconds_writing: the time those writes took.

    Example:
        >>> checkpoint = Checkpoint("run/checkpoint.pt", every_n_batches=500)
        >>> long_run = Checkpoint("run/checkpoint.pt", every_seconds=120, max_overhead=0.02)
    """

    order = (
        85  # after SaveBest (80) has taken this epoch into account, before EarlyStopping (90) may end the fit
    )
    runs_in_lr_find = False  # the learning-rate finder's sweep is undone: nothing of it to resume

    def __init__(
        self,
        path: str | Path = "checkpoint.pt",
        every_n_batches: int | None = None,
        every_epoch: bool = True,
        *,
        every_seconds: float | None = None,
        max_overhead: float | None = None,
        save_on_interrupt: bool = False,
        settings: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.path = file_path("Checkpoint", "path", path)
        self.every_n_batches = (
            None
            if every_n_batches is None
            else positive_int("Checkpoint", "every_n_batches", every_n_batches, example=500)
        )
        self.every_epoch = flag("Checkpoint", "every_epoch", every_epoch)
        self.every_seconds = (
            None
            if every_seconds is None
            else positive_number("Checkpoint", "every_seconds", every_seconds, example="300")
        )
        self.save_on_interrupt = flag("Checkpoint", "save_on_interrupt", save_on_interrupt)
        if (
            self.every_n_batches is None
            and self.every_seconds is None
            and not self.every_epoch
            and not self.save_on_interrupt
        ):
            raise ConfigError(
                "Checkpoint would never write: pass every_n_batches=N or every_seconds=S, keep every_epoch=True, "
                "or pass save_on_interrupt=True to write only on Ctrl-C (or SIGTERM)"
            )
        self.max_overhead = (
            None
            if max_overhead is None
            else positive_number("Checkpoint", "max_overhead", max_overhead, example="0.02")
        )
        self.settings = _plain_settings(settings)
        self._clock = clock
        self.last_path: Path | None = None
        self.writes = 0
        self.seconds_writing = 0.0
        self._last_write = 0.0
        self._write_cost: float | None = None
        self._mid_epoch_write: int | None = None  # the epoch of the last write made between its batches
        self._interrupted = False
        self._fit_writes = 0  # the writes of the fit in progress
        self._resumed_stopped = False
        self._signal = "SIGINT"  # the signal that asked the fit to stop
        self._previous_handlers: dict[int, Any] = {}

    # --------------------------------------------------------------------------------------------- events
    def before_fit(self, learn: Learner) -> None:
        self._last_write = self._clock()  # the time since the fit's start is what a first write would save
        self._write_cost = None
        self._mid_epoch_write = None
        self._interrupted = False
        self._fit_writes = 0
        # A resume of a fit that had stopped: the file already says so, and nothing trains.
        self._resumed_stopped = bool(learn.stopped_by)
        if self.save_on_interrupt:
            self._catch_interrupts()

    def after_batch(self, learn: Learner) -> None:
        if not learn.training:
            return
        if self._interrupted:
            self._save(learn)
            raise self._stop()
        counted = self.every_n_batches is not None and learn.iteration % self.every_n_batches == 0
        timed = self.every_seconds is not None
        if not (counted or timed):
            return
        now = self._clock()
        due = counted or (timed and now - self._last_write >= self.every_seconds)  # type: ignore[operator]
        if self._agreed(due and self._affordable(learn, now)):
            self._save(learn)
            self._mid_epoch_write = learn.epoch

    def after_epoch(self, learn: Learner) -> None:
        if self._interrupted:  # Ctrl-C during validation: the epoch is whole now
            self._save(learn)
            raise self._stop()
        if self.every_epoch and self._agreed(self._epoch_end_due(learn)):
            self._save(learn)
            self._mid_epoch_write = None

    def after_fit(self, learn: Learner) -> None:
        if self._interrupted:  # Ctrl-C after the last epoch's end: stop before what follows the fit
            raise self._stop()
        if learn.stopped_by and not self._resumed_stopped and (self.every_epoch or self._fit_writes):
            # A callback ended the fit (EarlyStopping, after this epoch's write): the file says so, or a resume
            # of the same call went on to train the epochs after the stop.
            self._save(learn)

    def teardown(self, learn: Learner) -> None:
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)
        self._previous_handlers = {}

    def _stop(self) -> KeyboardInterrupt:
        """The interrupt that ends the fit, naming SIGTERM when that was the signal (Ctrl-C's is plain)."""
        return KeyboardInterrupt("SIGTERM") if self._signal == "SIGTERM" else KeyboardInterrupt()

    # ----------------------------------------------------------------------------------------------- work
    def _save(self, learn: Learner) -> None:
        # Every process takes part (each hands rank 0 its own RNG states and partial sums); rank 0 writes.
        start = self._clock()
        try:
            path = learn.save_checkpoint(learn.path / self.path, self.settings)
        except (OSError, RuntimeError) as error:
            full = _no_space(error, learn, learn.path / self.path)
            if full is None:
                raise
            raise full from error
        self._last_write = self._clock()
        self._write_cost = self._last_write - start
        self.writes += 1
        self._fit_writes += 1
        self.seconds_writing += self._write_cost
        if is_rank_zero():
            self.last_path = path

    def _affordable(self, learn: Learner, now: float) -> bool:
        """Whether a write now keeps writing within ``max_overhead`` of the time since the last one."""
        if self.max_overhead is None:
            return True
        cost = self._write_cost if self._write_cost is not None else _state_bytes(learn) / ASSUMED_WRITE_SPEED
        return now - self._last_write >= cost / self.max_overhead

    def _epoch_end_due(self, learn: Learner) -> bool:
        """Whether this epoch's end is written: always when no write was made during the epoch (the file would
        otherwise hold a state more than one epoch old, and a kill repeat finished epochs), else within the
        ``max_overhead`` cap."""
        return self._mid_epoch_write != learn.epoch or self._affordable(learn, self._clock())

    def _agreed(self, wanted: bool) -> bool:
        """``wanted`` by any process of a distributed fit when it rests on the clock (every process must take
        part in a write); ``wanted`` itself otherwise."""
        if not (self.every_seconds is not None or self.max_overhead is not None) or not _distributed():
            return wanted
        import torch.distributed as dist

        from trainwell.callbacks.budget import cpu_group

        vote = torch.tensor([1.0 if wanted else 0.0], dtype=torch.float64)
        dist.all_reduce(vote, op=dist.ReduceOp.MAX, group=cpu_group())
        return bool(vote.item() > 0)

    def _catch_interrupts(self) -> None:
        """Take over Ctrl-C for the fit when Python's default handler has it, in the main thread of one process
        (the processes of a distributed fit would stop on different batches and wait for each other)."""
        if threading.current_thread() is not threading.main_thread() or _distributed():
            reason = "outside the main thread" if not _distributed() else "in a distributed fit"
        else:
            defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
            for number, default in defaults.items():
                if signal.getsignal(number) is default:  # someone else handles it: leave it to them
                    self._previous_handlers[number] = signal.signal(number, self._on_interrupt)
            reason = "as another handler has Ctrl-C and SIGTERM"
        only_on_signal = self.every_n_batches is None and self.every_seconds is None and not self.every_epoch
        if only_on_signal and not self._previous_handlers:
            warn(
                f"Checkpoint('{self.path}') writes only on Ctrl-C or SIGTERM (save_on_interrupt=True, "
                f"every_epoch=False), and it cannot catch them {reason}: this fit writes no checkpoint; "
                "pass every_n_batches=N, every_seconds=S or every_epoch=True"
            )

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        self._interrupted = True
        self._signal = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
        # A second signal stops at once, as usual.
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("every_seconds", self.every_seconds),
                ("max_overhead", self.max_overhead),
                ("save_on_interrupt", self.save_on_interrupt or None),
            )
            if value is not None
        )
        return (
            f"Checkpoint(path='{self.path}', every_n_batches={self.every_n_batches}, every_epoch={self.every_epoch}"
            f"{extra})"
        )


class CheckpointSpaceError(OSError):
    """No room on the disk (or in the quota) to write a checkpoint: an ``OSError`` (``errno.ENOSPC`` or
    ``errno.EDQUOT``) naming the file, whatever torch wrapped it in (``torch.save`` raises a ``RuntimeError``,
    ``"unexpected pos ..."``, for a write cut short). The previous checkpoint, if any, is untouched: each write goes
    to a temporary file beside it, removed when it fails.

    Attributes:
        needed_bytes: about what one write takes (the previous file's size, or the weights' and optimizer's).
        free_bytes: what the file system had free after the write failed, or ``None`` if it cannot be told.
        kept: where the fit of the previous checkpoint stopped, in words (``"after epoch 1 of 3"``), when that
            file is there and reads whole; ``None`` when there is none.
    """

    def __init__(
        self, code: int, path: Path, needed_bytes: int, free_bytes: int | None, kept: str | None
    ) -> None:
        super().__init__(code, os.strerror(code), str(path))
        self.needed_bytes, self.free_bytes, self.kept = needed_bytes, free_bytes, kept

    def __str__(self) -> str:
        free = "" if self.free_bytes is None else f"{_megabytes(self.free_bytes)} free, "
        told = (
            f"{super().__str__()} ({free}a checkpoint takes at least {_megabytes(self.needed_bytes)} more while it "
            "is written)"
        )
        if self.kept is None:
            return f"{told}; free some space or write the checkpoint elsewhere"
        return (
            f"{told}; the checkpoint written before ({self.kept}) is intact: free some space and resume from it "
            "(resume_from=...)"
        )


def _no_space(error: BaseException, learn: Learner, given: Path) -> CheckpointSpaceError | None:
    """The :class:`CheckpointSpaceError` that ``error`` (raised writing the checkpoint ``given``) amounts to, or
    ``None`` for another error. Found as an ``OSError`` of a full disk or quota anywhere in the chain of causes,
    or as torch's own words for a write cut short when the disk has less room than the file takes."""
    from trainwell.core.model_dir import fit_checkpoint_damage, fit_checkpoint_position
    from trainwell.learner._checkpoint import under

    path = under(learn.path, given)
    needed = _state_bytes(learn)
    if path.is_file():
        needed = max(needed, path.stat().st_size)
    try:
        free: int | None = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    code = _chained_errno(error, (errno.ENOSPC, errno.EDQUOT))
    if code is None:
        cut_short = isinstance(error, RuntimeError) and any(
            words in str(error) for words in ("unexpected pos", "file write failed", "No space left")
        )
        if not (cut_short and free is not None and free < needed):
            return None
        code = errno.ENOSPC
    kept = None
    if path.is_file() and fit_checkpoint_damage(path) is None:
        kept = fit_checkpoint_position(path)
    return CheckpointSpaceError(code, path, needed, free, kept)


def _chained_errno(error: BaseException, codes: tuple[int, ...]) -> int | None:
    """The errno, among ``codes``, of an ``OSError`` that is ``error`` or in its chain of causes and contexts."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, OSError) and link.errno in codes:
            return link.errno
        link = link.__cause__ if link.__cause__ is not None or link.__suppress_context__ else link.__context__
    return None


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.0f} kB"


def _state_bytes(learn: Learner) -> int:
    """The bytes of the weights and the optimizer's state: most of a checkpoint."""
    tensors = list(learn.model.state_dict().values())
    if learn.opt is not None:
        for state in learn.opt.state.values():
            tensors.extend(value for value in state.values() if isinstance(value, torch.Tensor))
    return sum(tensor.numel() * tensor.element_size() for tensor in tensors)


def _distributed() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _plain_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """``settings`` as a dict, refused unless every value is one a checkpoint can hold without pickling."""

    def plain(value: Any) -> bool:
        if value is None or isinstance(value, (str, bool, int)):
            return True
        if isinstance(value, float):
            return not math.isnan(value)  # NaN != NaN: a resume could never match it
        if isinstance(value, (list, tuple)):
            return all(plain(item) for item in value)
        if isinstance(value, dict):
            return all(isinstance(key, str) and plain(item) for key, item in value.items())
        return False

    if settings is None:
        return {}
    if not isinstance(settings, Mapping) or not plain(dict(settings)):
        raise ConfigError(
            f"Checkpoint settings must be a dict of plain values (str, numbers, bools, None, lists and dicts of "
            f"them), got {settings!r}; convert paths and objects to strings"
        )
    return {str(key): value for key, value in settings.items()}
