"""A small, exact ``multipart/form-data`` reader for image uploads (RFC 7578), on the whole body in memory.

Why our own: FastAPI's ``File``/``Form`` need the ``python-multipart`` package, which the ``serve`` extra does
not bring, and the standard library's ``email`` parser rewrites line endings inside binary parts. The body is
already bounded by the server's size limit, so reading it whole is fine; parts are split on the boundary,
which by construction never occurs inside a part.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MultipartError", "Part", "boundary_of", "parse_multipart"]


class MultipartError(ValueError):
    """The body is not well-formed ``multipart/form-data``; the message says what is wrong."""


@dataclass(frozen=True)
class Part:
    """One part of a form: its field ``name``, the ``filename`` a client gave (if any) and its bytes."""

    name: str
    filename: str | None
    content: bytes


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a ``multipart/form-data`` content type.

    Raises:
        MultipartError: No boundary, or one longer than RFC 2046's 70 characters.
    """
    _, params = _header_value(content_type)
    boundary = params.get("boundary", "")
    if not boundary:
        raise MultipartError("the content-type header has no boundary parameter")
    if len(boundary) > 70:
        raise MultipartError(f"the boundary is {len(boundary)} characters long, over the 70 allowed")
    return boundary


def parse_multipart(body: bytes, boundary: str) -> list[Part]:
    """The parts of ``body`` in order.

    Raises:
        MultipartError: No opening or closing boundary, or a part without a ``form-data`` name.
    """
    delimiter = b"--" + boundary.encode("latin-1")
    if body.startswith(delimiter):
        position = 0
    else:
        position = body.find(b"\r\n" + delimiter)  # a preamble before the first boundary is allowed
        if position < 0:
            raise MultipartError("the body does not contain the boundary given in the content-type header")
        position += 2
    separator = b"\r\n" + delimiter
    parts: list[Part] = []
    while True:
        position += len(delimiter)
        if body.startswith(b"--", position):
            return parts  # the closing delimiter; an epilogue after it is ignored
        line_end = body.find(b"\r\n", position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise MultipartError("a boundary line is not followed by a line break")
        start = line_end + 2
        end = body.find(separator, start)
        if end < 0:
            raise MultipartError("the body ends before the closing boundary (is it truncated?)")
        parts.append(_part(body[start:end], len(parts)))
        position = end + 2


def _part(raw: bytes, index: int) -> Part:
    head_end = raw.find(b"\r\n\r\n")
    if raw.startswith(b"\r\n"):  # no headers at all
        head, content = b"", raw[2:]
    elif head_end < 0:
        raise MultipartError(f"part {index} has no blank line between its headers and its content")
    else:
        head, content = raw[:head_end], raw[head_end + 4 :]
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        name, colon, value = line.decode("utf-8", errors="replace").partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    kind, params = _header_value(headers.get("content-disposition", ""))
    if kind != "form-data" or "name" not in params:
        raise MultipartError(f'part {index} has no "Content-Disposition: form-data; name=..." header')
    return Part(params["name"], params.get("filename"), content)


def _header_value(value: str) -> tuple[str, dict[str, str]]:
    """``'form-data; name="a"; filename="b;c.png"'`` -> ``("form-data", {"name": "a", "filename": "b;c.png"})``."""
    kind, _, rest = value.partition(";")
    params: dict[str, str] = {}
    index = 0
    while index < len(rest):
        equals = rest.find("=", index)
        if equals < 0:
            break
        key = rest[index:equals].strip(" \t;").lower()
        index = equals + 1
        if rest[index : index + 1] == '"':
            chars: list[str] = []
            index += 1
            while index < len(rest) and rest[index] != '"':
                if rest[index] == "\\" and index + 1 < len(rest):
                    index += 1
                chars.append(rest[index])
                index += 1
            params[key] = "".join(chars)
            index += 1
        else:
            stop = rest.find(";", index)
            stop = len(rest) if stop < 0 else stop
            params[key] = rest[index:stop].strip()
            index = stop
        index = rest.find(";", index)
        if index < 0:
            break
        index += 1
    return kind.strip().lower(), params
