"""One line on the error stream as each fold of a cross-validation ends: which fold, its time, the time so far and
about how long the rest will take.

``trainwell evaluate sst_sub.tsv --text sentence --target label --cv 3`` ran 4m 33s on a loaded 2-core machine
with nothing on the screen between the data's lines and the table: a user could not tell a slow fold from a hung
one, nor whether to wait. The estimate is the mean time of the folds done so far times the folds left (folds are
of a size, so the first fold's time is a fair guide). The lines go to standard error, beside the warnings, so that
the table on standard output stays as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from time import monotonic
from typing import TextIO

__all__ = ["FoldProgress"]


class FoldProgress:
    """Says ``"fold 2 of 5 done in 41s (1m 20s so far, about 2m left)"`` as each fold ends.

    Args:
        folds: the folds this process runs (under ``torchrun``, its share).
        total: the folds of the whole cross-validation, as the lines number them.
        clock: seconds from a fixed point (``time.monotonic``; tests pass their own).
        stream: where the lines go (standard error, read when each line is written, so a captured one is used).

    Example:
        >>> import io
        >>> times, out = iter([0.0, 40.0, 90.0, 130.0]), io.StringIO()
        >>> progress = FoldProgress(3, 3, clock=lambda: next(times), stream=out)
        >>> for number in range(3):
        ...     progress.done(number)
        >>> print(out.getvalue(), end="")
        fold 1 of 3 done in 40s (40s so far, about 1m 20s left)
        fold 2 of 3 done in 50s (1m 30s so far, about 45s left)
        fold 3 of 3 done in 40s (2m 10s for the 3 folds)
    """

    def __init__(
        self,
        folds: int,
        total: int,
        *,
        clock: Callable[[], float] = monotonic,
        stream: TextIO | None = None,
    ) -> None:
        self.folds, self.total = folds, total
        self._clock = clock
        self._stream = stream
        self._started = self._last = clock()
        self._ended = 0

    def done(self, number: int) -> None:
        """Say that fold ``number`` (from 0) ended."""
        from trainwell.callbacks.budget import format_duration

        now = self._clock()
        took, elapsed = now - self._last, now - self._started
        self._last = now
        self._ended += 1
        left = self.folds - self._ended
        so_far = (
            f"{format_duration(elapsed)} so far, about {format_duration(elapsed / self._ended * left)} left"
            if left > 0
            else f"{format_duration(elapsed)} for {'the' if self.folds == self.total else 'its'} {self.folds} folds"
        )
        stream = self._stream if self._stream is not None else sys.stderr
        print(
            f"fold {number + 1} of {self.total} done in {format_duration(took)} ({so_far})",
            file=stream,
            flush=True,
        )
