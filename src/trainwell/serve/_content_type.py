"""The content type of a request body, checked the same way by every ``POST`` endpoint of every server.

A body sent with another type is never read as JSON: curl's ``-d`` sends ``application/x-www-form-urlencoded``
unless told otherwise, and FastAPI would then report the body as "not a valid dictionary". Such a request, or
one without a ``Content-Type`` header, gets a 415 whose one-line message names the type received, the type
expected and the curl flag that sends it. JSON endpoints declare :func:`require_json` as a route dependency
(it runs before the body is validated); the image endpoint, which also takes ``multipart/form-data`` and reads
its body itself, calls :func:`content_type_problem` with ``multipart=True``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from trainwell.serve._surrogates import lone_surrogate_problems, may_hold_lone_surrogates

__all__ = [
    "CURL_JSON",
    "UnsupportedMediaType",
    "content_type_problem",
    "is_image",
    "is_json",
    "media_type",
    "require_json",
]

#: The curl option that sends a JSON body as JSON.
CURL_JSON = "-H 'Content-Type: application/json'"
_JSON_EXPECTED = f"application/json (curl: {CURL_JSON})"
_IMAGES_EXPECTED = (
    f'application/json ({{"images": ["<base64>", ...]}}; curl: {CURL_JSON}), multipart/form-data '
    '(files in the field "images"; curl: -F images=@cat.png) or one image as the body, typed image/*, '
    "application/octet-stream or not at all (curl: --data-binary @cat.png -H 'Content-Type: image/png')"
)


class UnsupportedMediaType(Exception):
    """A request body of a content type the endpoint does not read: answered 415 with ``problem`` (the shape
    :func:`~trainwell.serve._errors.error_body` reads)."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem["msg"])
        self.problem = problem


def media_type(content_type: str) -> str:
    """``"application/json; charset=utf-8"`` -> ``"application/json"`` (lower case, no parameters)."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """JSON, or a JSON-based type (``application/problem+json``), as FastAPI reads them."""
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def is_image(media: str) -> bool:
    """An image type (``image/png``, ``image/jpeg``...): the image endpoint reads such a body as one image file."""
    return media.startswith("image/")


def content_type_problem(content_type: str, *, multipart: bool = False) -> dict[str, Any] | None:
    """``None`` when a body of ``content_type`` (the header's value, ``""`` when absent) is read as JSON (or as
    multipart/form-data, with ``multipart``); else the problem to answer with a 415."""
    received = media_type(content_type)
    if is_json(received) or (multipart and (received == "multipart/form-data" or is_image(received))):
        return None
    shown = f"content type {received!r} is not accepted" if received else "the request has no Content-Type"
    expected = _IMAGES_EXPECTED if multipart else _JSON_EXPECTED
    return {"loc": ["body"], "msg": f"{shown}; send {expected}", "type": "unsupported_media_type"}


async def require_json(request: Request) -> None:
    """Route dependency of the JSON endpoints: refuse a body that is not sent as JSON, or whose text is not
    Unicode (a lone surrogate escape, :mod:`~trainwell.serve._surrogates`), before the body is validated.

    Raises:
        UnsupportedMediaType: The ``Content-Type`` header is missing or not JSON (answered 415).
        RequestValidationError: A string or key of the body holds a lone surrogate (answered 422, naming it).
    """
    problem = content_type_problem(request.headers.get("content-type", ""))
    if problem is not None:
        raise UnsupportedMediaType(problem)
    # FastAPI has read and decoded the body before the dependencies run: both calls answer from its cache.
    if may_hold_lone_surrogates(await request.body()):
        problems = lone_surrogate_problems(await request.json())
        if problems:
            raise RequestValidationError(
                [{**problem, "loc": ["body", *problem["loc"]]} for problem in problems]
            )
