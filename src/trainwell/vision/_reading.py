"""The line on standard error while image files are decoded, now shared with the texts' tokenizing:
:mod:`trainwell.data.reading_progress`."""

from trainwell.data.reading_progress import (
    PLAIN_EVERY,
    PLAIN_LINES,
    QUIET_SECONDS,
    TERMINAL_EVERY,
    ReadingProgress,
)

__all__ = ["PLAIN_EVERY", "PLAIN_LINES", "QUIET_SECONDS", "TERMINAL_EVERY", "ReadingProgress"]
