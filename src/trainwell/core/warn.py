"""Warnings that point at the user's line: ``warn(message)`` instead of ``warnings.warn(message, stacklevel=N)``.

A fixed ``stacklevel`` is right for one caller only: the same check reached through ``tabular_data`` and
through ``fit_table`` sits at different depths, and a warning attributed to a line inside trainwell tells the
user nothing about which of their calls caused it. :func:`warn` attributes it to the first frame outside the
package (what Python 3.12's ``skip_file_prefixes`` does), so ``python -W error`` and warning filters by module
work on the user's code, and a script sees its own file and line.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path

__all__ = ["Note", "warn"]

_PACKAGE = str(Path(__file__).resolve().parent.parent)
#: Frames of the standard library's that stand between trainwell and its caller: a function of trainwell's
#: decorated with a context manager (``tune_table``) is called through contextlib's wrapper.
_PASSED_THROUGH = (str(Path(contextlib.__file__).resolve()),)
#: torch's own such wrapper, ``@torch.no_grad()`` on a function of trainwell's (a predictor's ``predict_proba``):
#: matched by its path's end, so that this module imports no torch.
_TORCH_PASSED_THROUGH = str(Path("torch", "utils", "_contextlib.py"))


class Note(UserWarning):
    """What trainwell did as documented, said so that the user knows it (a table's columns named from the
    description beside it): a ``UserWarning``, so filters on those hold, printed by the command line as a
    ``note:`` line, not an alarming ``warning:`` one."""


def warn(message: str | Warning, category: type[Warning] = UserWarning) -> None:
    """Issue ``message`` as a ``category`` warning (a warning instance: as itself), attributed to the first caller
    outside trainwell."""
    level, frame = 2, sys._getframe(1)  # 2: the caller of warn()
    while frame is not None and _inside(frame.f_code.co_filename):
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


def _inside(filename: str) -> bool:
    try:
        resolved = str(Path(filename).resolve())
        return (
            resolved.startswith(_PACKAGE)
            or resolved in _PASSED_THROUGH
            or resolved.endswith(_TORCH_PASSED_THROUGH)
        )
    except OSError:  # "<stdin>", "<doctest ...>": not a file of the package
        return False
