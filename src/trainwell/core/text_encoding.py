"""The checks of a text encoding and of what to do with bytes it cannot decode, without pandas.

:mod:`trainwell.data.io` checks them before opening a file; the command line before it imports the training
stack, so that a mistyped ``--encoding`` is said at once.
"""

from __future__ import annotations

import codecs

from trainwell.core.errors import ConfigError

__all__ = ["check_encoding", "check_encoding_errors", "file_lines"]


def check_encoding(encoding: str) -> None:
    """Raise a :class:`ConfigError` unless ``encoding`` names a text encoding Python knows.

    Checked before a file is opened, so that a typo says so instead of surfacing as a reading failure.

    Raises:
        ConfigError: For example ``unknown encoding 'cp1525'; pass a text encoding Python knows, e.g.
            --encoding cp1252 (Windows/Excel), latin-1 or utf-8 (Python: encoding="cp1252")``.
    """
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        problem = "unknown encoding"
    else:
        # base64, rot13, zlib... are codecs too, but between bytes and bytes: no text comes out of them.
        if getattr(info, "_is_text_encoding", True):
            return
        problem = "not a text encoding:"
    raise ConfigError(
        f"{problem} {encoding!r}; pass a text encoding Python knows, e.g. --encoding cp1252 (Windows/Excel), "
        'latin-1 or utf-8 (Python: encoding="cp1252")'
    )


def check_encoding_errors(encoding_errors: str) -> None:
    """Raise a :class:`ConfigError` unless ``encoding_errors`` is one of the two every reader takes."""
    if encoding_errors not in ("strict", "replace"):
        raise ConfigError(
            f"encoding_errors must be 'strict' or 'replace'; got {encoding_errors!r} (--encoding-errors "
            "strict|replace)"
        )


def file_lines(text: str) -> list[str]:
    r"""The lines of a file's text as a file's reader cuts them: at ``\n``, ``\r\n`` and ``\r`` only.

    ``str.splitlines`` also cuts at U+0085, U+2028, U+000C and other characters that sit inside a line of real
    text (raw IMDB reviews hold U+0085): a file of one text a line then gave more texts than it has lines, each
    numbered wrong, and a valid fastText file was refused at a "line" without its label.

    Example:
        >>> file_lines("one\x85 review\r\ntwo\n")
        ['one\x85 review', 'two']
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts none
    return lines
