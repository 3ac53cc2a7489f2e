"""A reader that stops reading (``trainwell fit ... | head``) ends what the command prints, not the command.

Once a pipe's reader has gone, the next write raises :class:`BrokenPipeError`; click then exits with 1 and says
nothing, which ended a fit in the middle of training and left its checkpoint in the model directory, refused by
the next fit there. :func:`keep_going_unread` wraps both standard streams so that such a write is dropped, with
every later one: the command finishes and writes what it writes to files, and exits as it would have.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

__all__ = ["WRITING_COMMANDS", "UnreadStream", "keep_going_unread"]


class UnreadStream:
    """``stream``, whose writes are dropped once its reader has gone (the first :class:`BrokenPipeError`)."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self._stream = stream
        self._name = name
        self.unread = False

    def write(self, text: str) -> int:
        if not self.unread:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.unread:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        self.unread = True
        # What is still buffered, flushed at exit, goes nowhere instead of raising again (Python's own advice).
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), self._stream.fileno())
        other = sys.stderr if self._name == "stdout" else None
        if isinstance(other, UnreadStream) and not other.unread:
            other.write(
                "note: standard output was closed by its reader; the command goes on, and what it prints there "
                "is dropped\n"
            )
            other.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding...: the stream's own
        return getattr(self._stream, name)


#: The commands whose work is the files they write (a model directory, a report, a plot): they go on. Those
#: whose answer is what they print (predict, recommend, info...) stop as any Unix tool does (exit 1).
WRITING_COMMANDS = frozenset({"fit", "tune", "lr-find", "export", "report"})


def keep_going_unread(argv: list[str]) -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` (once) when ``argv`` runs one of :data:`WRITING_COMMANDS`; the
    command line's entry point calls it."""
    command = next((word for word in argv if not word.startswith("-")), None)
    if command not in WRITING_COMMANDS:
        return
    if not isinstance(sys.stdout, UnreadStream) and sys.stdout is not None:
        sys.stdout = UnreadStream(sys.stdout, "stdout")  # type: ignore[assignment]
    if not isinstance(sys.stderr, UnreadStream) and sys.stderr is not None:
        sys.stderr = UnreadStream(sys.stderr, "stderr")  # type: ignore[assignment]
