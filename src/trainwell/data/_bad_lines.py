"""Where a text table breaks: the line of a file that pandas' parser gave up on, found again by reading the file.

pandas says "Error tokenizing data. C error: Expected 4 fields in line 11, saw 6" or "EOF inside string starting at
row 15", counting records, not the lines an editor shows (a quoted value over two lines, the header, a title
left out shift them), and "Expected object or value at position 36" for a JSON-lines file: a byte, not a line.
These functions scan the file as the parser reads it and name the line and what is wrong on it, so the error
can say ``data.csv, line 16: a quote (") opens and is never closed``. They run only once a read has failed.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

__all__ = ["BadLine", "bad_json_file", "bad_json_line", "bad_table_line", "binary_bytes"]


class BadLine(Exception):
    """A line of a data file that its reader could not read: ``line`` (1-based) and ``what`` is wrong on it, for
    the caller to say as ``<file>, line <line>: <what>``."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"line {line}: {what}")
        self.line = line
        self.what = what


# pandas' C and Python parsers: "Expected 4 fields in line 11, saw 6".
_EXPECTED = re.compile(r"Expected (\d+) fields in line \d+, saw (\d+)")
#: Bytes looked at to tell a binary file from text.
BINARY_SNIFF = 8192
# C0 control bytes that no text holds (tab, line ends, form feed and escape are text's).
_CONTROL = frozenset(range(0x01, 0x09)) | frozenset(range(0x0E, 0x1B)) | frozenset(range(0x1C, 0x20))
# The share of control bytes in a file's start above which it is not text, even without a NUL byte.
_CONTROL_SHARE = 0.02


def _text_lines(path: Path, encoding: str) -> Iterator[str]:
    """The physical lines of ``path`` (decompressed for ``.gz``), each with its line end, CRLF kept whole; bytes
    not in ``encoding`` as U+FFFD (the read said where they are, or has no quarrel with them)."""
    import gzip

    raw = gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")  # noqa: SIM115
    with io.TextIOWrapper(cast(IO[bytes], raw), encoding=encoding, errors="replace", newline="") as text:
        yield from text


def _records(lines: Iterator[str], sep: str) -> Iterator[tuple[int, int, int | None]]:
    """``(line, fields, None)`` for each non-blank record of a CSV read with ``sep`` (its first line, 1-based, and
    how many fields it holds), as pandas' parser splits them: a quote (``"``) at the start of a field (spaces
    before it aside) opens a value that runs, line ends and delimiters included, to the next lone quote (``""``
    is a quote inside it). A quote left open at the end of the file ends the records with ``(line, 0, opened)``:
    the line where that quote is. A delimiter of several characters (``::``) is read without quotes, as pandas'
    Python parser reads it."""
    start = 0
    fields = 1
    quoted = False  # inside a quoted value
    at_field_start = True
    opened = 0
    for number, line in enumerate(lines, start=1):
        if not quoted:
            start, fields, at_field_start = number, 1, True
            body = line.rstrip("\r\n")
            if not body.strip():
                continue  # a blank line: pandas skips it
            if len(sep) > 1:
                yield number, body.count(sep) + 1, None
                continue
            if '"' not in body:  # the usual line: no quotes to follow
                yield number, body.count(sep) + 1, None
                continue
        else:
            body = line
        position = 0
        while position < len(body):
            char = body[position]
            if quoted:
                if char == '"':
                    if body[position + 1 : position + 2] == '"':
                        position += 1  # "" inside a quoted value
                    else:
                        quoted = False
            elif char == sep:
                fields += 1
                at_field_start = True
            elif char == '"' and at_field_start:
                quoted, opened, at_field_start = True, number, False
            elif char not in " \r\n":
                at_field_start = False
            position += 1
        if not quoted:
            yield start, fields, None
    if quoted:
        yield start, 0, opened


def bad_table_line(
    path: Path, sep: str, encoding: str, skip: int, width: int | None, reason: str
) -> tuple[int, str] | None:
    """``(line, what is wrong)`` for the CSV or TSV ``path`` whose read with ``sep`` failed for ``reason`` (pandas'
    message), or ``None`` when the scan finds nothing to blame (a parser error of another kind).

    Args:
        path: The file (``.gz`` read decompressed).
        sep: Its delimiter.
        encoding: Its text encoding.
        skip: Lines left out before its first record (a title above the header).
        width: How many columns ``--names`` names (the file has no header row), else ``None``: the header's.
        reason: pandas' message: how many fields it expected a row to hold, or a string left open.
    """
    expected = _EXPECTED.search(reason)
    lines = _text_lines(path, encoding)
    for _ in range(skip):
        next(lines, None)
    header: int | None = width
    for line, fields, opened in _records(lines, sep):
        line += skip
        if opened is not None:
            return opened + skip, 'a quote (") opens and is never closed; close it or remove it'
        if header is None:
            header = fields
            continue
        limit = int(expected.group(1)) if expected else header
        if fields > limit:
            if limit != header:  # pandas took a count of its own (the rows below a title line)
                has = "the rows before it have"
            else:
                has = "--names (Python: names=) gives" if width is not None else "the header has"
            return line, f"{fields} fields where {has} {limit}; fix that line"
    return None


def bad_json_line(path: Path, encoding: str) -> tuple[str, str] | None:
    """``(where, what is wrong)`` (``"line 2, column 16"``) for the first line of the JSON-lines file ``path`` that is not one JSON object,
    blank lines aside; ``None`` when each line is one."""
    for number, line in enumerate(_text_lines(path, encoding), start=1):
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            column = len(line) - len(line.lstrip().lstrip("\ufeff")) + error.colno
            what = "the line ends before its JSON object does" if error.pos >= len(text) else "not valid JSON"
            reason = error.msg[0].lower() + error.msg[1:]
            return (
                f"line {number}, column {column}",
                f"{what} ({reason}); each line holds one JSON object: fix it",
            )
        if not isinstance(value, dict):
            kind = {list: "list", str: "string", bool: "true/false", type(None): "null"}.get(
                type(value), "number"
            )
            return f"line {number}", f"a JSON {kind}, where each line holds one JSON object; fix that line"
    return None


def bad_json_file(path: Path, encoding: str) -> tuple[str, str] | None:
    """``(where, what is wrong)`` (``"line 3, column 5"``) for the JSON file ``path`` when it is not valid JSON;
    ``None`` when it is (its reader refused the table it holds, not its syntax)."""
    text = "".join(_text_lines(path, encoding)).lstrip("\ufeff")
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        what = "the file ends before its JSON does" if error.pos >= len(text.rstrip()) else "not valid JSON"
        return (
            f"line {error.lineno}, column {error.colno}",
            f"{what} ({error.msg[0].lower()}{error.msg[1:]}); fix it",
        )
    return None


def binary_bytes(start: bytes) -> tuple[int, str] | None:
    """Where and what marks ``start`` (a file's first :data:`BINARY_SNIFF` bytes, undecoded) as a binary file,
    not text: ``(line, what)`` for its first NUL byte, or, with more than 2% of its bytes control codes no text
    holds, for the first of those; ``None`` for text. NUL bytes are UTF-16 text's own: its caller reads such text
    otherwise."""
    sample = start[:BINARY_SNIFF]
    at = sample.find(b"\x00")
    if at >= 0:
        what = "a NUL byte (0x00), which no text holds"
    else:
        controls = [position for position, byte in enumerate(sample) if byte in _CONTROL]
        if len(controls) <= _CONTROL_SHARE * len(sample):
            return None
        at = controls[0]
        what = f"a control byte (0x{sample[at]:02x}), one of {len(controls):,} in its first {len(sample):,} bytes"
    return sample.count(b"\n", 0, at) + 1, what
