"""A line on standard error while the data is read (image files decoded, texts tokenized), once that takes more
than a moment.

``trainwell fit cifar10 --time 90s`` decoded 60,000 JPEGs for 79 s of its 90 with nothing on the screen, and
``fit imdb/train.csv.gz`` tokenized its 25,000 reviews for over a minute in silence: a user could not tell a
slow read from a hung one, nor that most of the budget went to it. After :data:`QUIET_SECONDS`
the reading says itself: in a terminal one line rewritten in place (``reading images: 12,000 / 60,000 (decoding
JPEG, 1,900/s, about 25s left)``), elsewhere (a log, CI) a few plain lines, at most one every
:data:`PLAIN_EVERY` seconds and :data:`PLAIN_LINES` in all; then one line of what the reading took. A read
shorter than :data:`QUIET_SECONDS` says nothing. Standard library only: the command line may import it early.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from time import monotonic
from typing import Any, TextIO

from trainwell.core.duration import format_duration

__all__ = ["ReadingProgress"]

#: Seconds of reading before anything is said.
QUIET_SECONDS = 2.0
#: Seconds between two rewrites of the terminal's line, and between two plain lines.
TERMINAL_EVERY, PLAIN_EVERY = 0.25, 15.0
#: Plain lines at most (the closing line apart).
PLAIN_LINES = 4


class ReadingProgress:
    """Says how the reading of ``total`` items (image files, texts) goes, on ``stream`` (standard error by
    default).

    Args:
        total: the items to read (every split together).
        paths: some of them, whose commonest suffix names the format decoded (``JPEG``, ``PNG``).
        noun: what is read, in the plural (``"images"``, ``"texts"``).
        doing: what reading them is (``"tokenizing"``); ``None``: ``decoding`` the format of ``paths``.
        clock: seconds from a fixed point (``time.monotonic``; tests pass their own).
        stream: where the lines go (read when each is written, so a captured standard error is used).
        terminal: whether the line is rewritten in place; ``None``: when ``stream`` is a terminal.
        enabled: ``False`` says nothing (``progress=False``, a rank of ``torchrun`` other than the first); the
            reading is timed all the same (:meth:`close`).

    Example:
        >>> import io
        >>> times, out = iter([0.0, 1.0, 3.0, 20.0, 40.0]), io.StringIO()
        >>> reading = ReadingProgress(60_000, [Path("a.jpg")], clock=lambda: next(times), stream=out, terminal=False)
        >>> for done in (2_000, 6_000, 40_000, 60_000):
        ...     reading.advance(done - reading.done)
        >>> reading.close()
        40.0
        >>> print(out.getvalue(), end="")
        reading images: 6,000 / 60,000 (decoding JPEG, 2,000/s, about 27s left)
        reading images: 40,000 / 60,000 (decoding JPEG, 2,000/s, about 10s left)
        read 60,000 images in 40s (1,500/s)
    """

    def __init__(
        self,
        total: int,
        paths: Sequence[Path] = (),
        *,
        clock: Any = monotonic,
        stream: TextIO | None = None,
        terminal: bool | None = None,
        enabled: bool = True,
        noun: str = "images",
        doing: str | None = None,
    ) -> None:
        self.total, self.done = int(total), 0
        self._clock, self._stream = clock, stream
        self._terminal = terminal
        self.enabled = enabled and total > 0
        self.noun = noun
        if doing is None:
            found = _format_of(paths) if self.enabled else ""
            doing = f"decoding {found}" if found else ""
        self._doing = doing
        self._started = clock()
        self._closed, self._elapsed = False, 0.0
        self._said_at: float | None = None  # when a line was last written
        self._lines = 0
        self._open = False  # a terminal line waits for its end

    def _out(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _is_terminal(self) -> bool:
        if self._terminal is None:
            isatty = getattr(self._out(), "isatty", None)
            try:
                self._terminal = bool(isatty()) if callable(isatty) else False
            except (ValueError, OSError):  # a closed or detached stream
                self._terminal = False
        return self._terminal

    def advance(self, count: int) -> None:
        """``count`` more items were read (or skipped as unreadable)."""
        self.done = min(self.total, self.done + int(count))
        if not self.enabled or self.done >= self.total:  # the closing line says the rest
            return
        now = self._clock()
        elapsed = now - self._started
        if elapsed < QUIET_SECONDS:
            return
        terminal = self._is_terminal()
        if self._said_at is not None:
            if terminal and now - self._said_at < TERMINAL_EVERY:
                return
            if not terminal and (now - self._said_at < PLAIN_EVERY or self._lines >= PLAIN_LINES):
                return
        self._said_at = now
        line = self.line(elapsed)
        try:
            if terminal:
                self._out().write(f"\r{line}\x1b[K")
                self._open = True
            else:
                self._out().write(f"{line}\n")
            self._out().flush()
        except (ValueError, OSError):  # a closed stream says nothing more
            self.enabled = False
            return
        self._lines += 1

    def line(self, elapsed: float) -> str:
        """``reading images: 12,000 / 60,000 (decoding JPEG, 1,900/s, about 25s left)``; ``reading texts: 8,000 /
        25,000 (tokenizing, 600/s, about 28s left)``."""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        what = f"{self._doing}, " if self._doing else ""
        left = f", about {format_duration((self.total - self.done) / rate)} left" if rate > 0 else ""
        return f"reading {self.noun}: {self.done:,} / {self.total:,} ({what}{rate:,.0f}/s{left})"

    def close(self) -> float:
        """End the reading: where a line was said, one more says what the whole reading took; returns its
        seconds (the same again when called again)."""
        if self._closed:
            return self._elapsed
        self._closed = True
        self._elapsed = elapsed = self._clock() - self._started
        said, self.enabled = self.enabled and self._lines > 0, False
        if not said:
            return elapsed
        rate = f" ({self.done / elapsed:,.0f}/s)" if elapsed > 0 else ""
        line = f"read {self.done:,} {self.noun} in {format_duration(elapsed)}{rate}"
        try:
            self._out().write(f"\r{line}\x1b[K\n" if self._open else f"{line}\n")
            self._out().flush()
        except (ValueError, OSError):
            pass
        return elapsed


#: Formats named by their usual name, by suffix.
_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".heic": "HEIF", ".heif": "HEIF"}


def _format_of(paths: Sequence[Path]) -> str:
    """The commonest format of ``paths`` (the first thousand) by suffix: ``JPEG``, ``PNG``; ``""`` for none."""
    counts = Counter(Path(path).suffix.lower() for path in list(paths)[:1000])
    counts.pop("", None)
    if not counts:
        return ""
    suffix = counts.most_common(1)[0][0]
    return _FORMATS.get(suffix, suffix.lstrip(".").upper())
