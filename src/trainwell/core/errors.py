"""Exceptions that separate a user's mistake from a bug.

A :class:`UserError` is bad input: the message names the input, the rule it broke and the fix, and the command
line prints it as one line with exit code 2. Anything else is a bug and keeps its full traceback.
"""

from __future__ import annotations


class TrainwellError(Exception):
    """Base class of every exception trainwell raises on purpose."""


class UserError(TrainwellError, ValueError):
    """Bad input from the user: the message says what was wrong and what to do."""


class DataError(UserError):
    """A data source or a column cannot be used as given."""


class ArtifactError(UserError):
    """A model directory is missing, incomplete, corrupted or from an unknown format version."""


class ConfigError(UserError):
    """An argument or a configuration value is out of its allowed range."""


class TrainingDiverged(UserError):
    """The loss became NaN or infinite during training (usually a learning rate that is too high)."""


def add_note(error: BaseException, note: str) -> BaseException:
    """Attach ``note`` to ``error`` (kept by the traceback printer) and return it."""
    error.add_note(note)
    return error
