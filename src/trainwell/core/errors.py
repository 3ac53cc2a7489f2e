"""Exceptions that separate a user's mistake from a bug.

A :class:`UserError` is bad input: the message names the input, the rule it broke and the fix, and the command
line prints it as one line with exit code 2. Anything else is a bug and keeps its full traceback.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

#: Python keywords whose command-line option is not the keyword with dashes (``label_delim``: ``--label-delim``).
OPTION_NAMES: dict[str, str] = {
    "text_col": "--text",
    "time_budget": "--time",
    "date_formats": "--date-format",
    "metrics": "--metric",
}

_UNSET: Any = object()
_Error = TypeVar("_Error", bound="UserError")


class TrainwellError(Exception):
    """Base class of every exception trainwell raises on purpose."""


class Spelling:
    """How a message names a setting to whoever gave it: as a Python keyword (``cv``, ``cv=5``) or as a
    command-line option (``--cv``, ``--cv 5``). :meth:`UserError.worded` writes a message both ways.

    Args:
        command_line: spell options (``--cv 5``) rather than keywords (``cv=5``).
        options: keywords whose option is not in :data:`OPTION_NAMES` nor the keyword with dashes, for this
            message (``{"rating": "--target"}``).

    Example:
        >>> python, command = Spelling(command_line=False), Spelling(command_line=True)
        >>> python("cv", 5), command("cv", 5), python("text_col"), command("text_col"), command("label_delim", "|")
        ('cv=5', '--cv 5', 'text_col', '--text', "--label-delim '|'")
    """

    def __init__(self, command_line: bool, options: Mapping[str, str] | None = None) -> None:
        self.command_line = command_line
        self._options = {**OPTION_NAMES, **(options or {})}

    def __call__(self, keyword: str, value: Any = _UNSET) -> str:
        """``keyword`` alone, or set to ``value`` (Python: its ``repr``; a shell: quoted where it must be)."""
        if not self.command_line:
            return keyword if value is _UNSET else f"{keyword}={value!r}"
        option = self._options.get(keyword, "--" + keyword.replace("_", "-"))
        return option if value is _UNSET else f"{option} {shlex.quote(str(value))}"

    def either(self, python: str, command_line: str) -> str:
        """``python`` or ``command_line``, whichever this spelling is for (a fix that differs by more than the
        names: ``fit_tagger('train.conll')`` or ``trainwell fit train.conll --task tagging``)."""
        return command_line if self.command_line else python


class UserError(TrainwellError, ValueError):
    """Bad input from the user: the message says what was wrong and what to do.

    A message that names settings is written with :meth:`worded`, so that a Python caller reads its keywords
    (``cv=5``) and a command-line user its options (``--cv 5``): ``str(error)`` is the Python wording,
    :attr:`command_line` the other, which the command line prints.
    """

    #: The message as the command line words it (options, not keywords); ``None``: the same as ``str(error)``.
    command_line: str | None = None

    @classmethod
    def worded(
        cls: type[_Error], words: Callable[[Spelling], str], options: Mapping[str, str] | None = None
    ) -> _Error:
        """The error whose message is ``words(spell)``, with ``spell`` naming settings as Python keywords, and
        whose :attr:`command_line` is the same words with command-line options.

        Example:
            >>> error = ConfigError.worded(lambda say: f"{say('cv')} must be at least 2; pass e.g. {say('cv', 5)}")
            >>> str(error), error.command_line
            ('cv must be at least 2; pass e.g. cv=5', '--cv must be at least 2; pass e.g. --cv 5')
        """
        error = cls(words(Spelling(command_line=False, options=options)))
        error.command_line = words(Spelling(command_line=True, options=options))
        return error


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
