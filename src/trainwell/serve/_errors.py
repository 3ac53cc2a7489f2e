"""4xx answers that name the field: ``{"message": "rows.0.age: Input should be a valid number", "detail": [...]}``.

FastAPI's own validation answer lists problems with a ``loc`` such as ``["body", "rows", 0, "age"]``; here each
problem also gets the dotted ``field`` (``rows.0.age``) and the answer a one-line ``message`` a person can
read in a log. A body that is not JSON at all is a 400; every other validation problem is a 422. A body of
another content type is a 415 (:mod:`trainwell.serve._content_type`). An unknown path is a 404 that lists the
endpoints of the server, with a hint for a path clients of this kind of model often try (``app.state.path_hints``:
``/predict`` on a language model points at ``/score`` and ``/generate``).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Route

from trainwell.serve._content_type import UnsupportedMediaType
from trainwell.serve._middleware import BodyTooLarge, EncodedBody, body_problem
from trainwell.serve.schema import ID_MISSING, MAX_STANDARD_DEVIATIONS

#: Problems listed in ``detail`` (a 1,000-row request can have thousands) and in the one-line ``message``.
MAX_LISTED, MAX_IN_MESSAGE = 50, 5

#: A blank text where one is required (a language model's /generate prompt): refused with the request. (In a
#: batch, a classifier's /predict and a language model's /score answer it with a note instead,
#: :mod:`trainwell.serve.texts`, and a tagger with no words.)
EMPTY_TEXT = (
    "Text is empty or only spaces: a text model has nothing to read there. The request is refused as a whole "
    "(none of its texts was scored): send some words here, or leave this text out"
)

_HINTS = {
    "extra_forbidden": "not an input of this model: GET /metadata lists the inputs",
    "missing": "every input must be present; send null for a missing value",
}


def install_error_handlers(app: FastAPI) -> None:
    """Answer validation errors and HTTP errors with :class:`~trainwell.serve.schema.ErrorResponse` bodies, and
    ``/favicon.ico`` with 204 (no icon)."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(UnsupportedMediaType, _unsupported_media_type)  # type: ignore[arg-type]
    # Any other exception is a bug: answered in JSON like every other answer; starlette still raises it after the
    # answer is sent, so the server logs its traceback.
    app.add_exception_handler(Exception, _internal_error)
    # A browser opening /docs asks for /favicon.ico: answered "no icon" (204), not a 404 in the log each visit.
    app.add_api_route("/favicon.ico", _no_icon, methods=["GET", "HEAD"], include_in_schema=False)


async def _no_icon() -> Response:
    return Response(status_code=204)


def error_body(problems: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{"message", "detail"}`` for problems given as ``{"loc": [...], "msg": str, "type": str}``."""
    detail = []
    for problem in problems[:MAX_LISTED]:
        loc = [part if isinstance(part, int) else str(part) for part in problem.get("loc", ())]
        field = ".".join(str(part) for part in loc) or "body"
        kind = str(problem.get("type", "value_error"))
        message = str(problem.get("msg", "invalid value"))
        if kind == "string_pattern_mismatch" and loc[:1] == ["words"]:  # a tagger's word: no spaces
            message = "A word must be non-empty and hold no spaces: send each word as its own string"
        elif (
            kind == "string_pattern_mismatch"
        ):  # the other pattern served: a text needs a non-space character
            kind, message = "text_empty", EMPTY_TEXT
        elif kind == "missing" and len(loc) <= 1:
            # A field of the body itself ("texts", "user"), not an input column: null would not do either.
            message = f"{message} (the request needs it; GET /docs shows the body)"
        elif kind == "extra_forbidden" and len(loc) <= 1:
            # A field of the body itself ("rows" sent to a text model), not an input column; said already where
            # _explained names the field meant.
            if "(not a field of this request" not in message:
                message = f"{message} (not a field of this request: GET /docs shows the body)"
        elif kind in _HINTS:
            message = f"{message} ({_HINTS[kind]})"
        detail.append({"loc": loc, "field": field, "msg": message, "type": kind})
    said = _message_parts(detail)
    shown = "; ".join(said[:MAX_IN_MESSAGE])
    more = max(0, len(said) - MAX_IN_MESSAGE) + len(problems) - len(detail)  # and those past MAX_LISTED
    return {
        "message": shown + (f"; and {more} more problem{'' if more == 1 else 's'}" if more > 0 else ""),
        "detail": detail,
    }


def _message_parts(detail: list[dict[str, Any]]) -> list[str]:
    """The one-line message's parts: an unknown field first (a misspelt input, which also explains the missing
    one it stands for), then each row's missing inputs as one part (``rows.0: missing age, sex (...)``), then
    the rest in order. A row of six missing inputs and one unknown field had the unknown one cut from the
    message."""
    missing: dict[str, list[dict[str, Any]]] = {}  # a row's dotted path -> its missing inputs
    unknown: list[str] = []
    parts: list[str | list[dict[str, Any]]] = []  # a row's missing inputs hold one place, the first's
    for item in detail:
        loc = item["loc"]
        if item["type"] == "missing" and len(loc) > 1:
            row = ".".join(str(part) for part in loc[:-1])
            if row not in missing:
                missing[row] = []
                parts.append(missing[row])
            missing[row].append(item)
        elif item["type"] == "extra_forbidden":
            unknown.append(f"{item['field']}: {item['msg']}")
        else:
            parts.append(f"{item['field']}: {item['msg']}")
    said = list(unknown)
    for part in parts:
        if isinstance(part, str):
            said.append(part)
        elif len(part) == 1:
            said.append(f"{part[0]['field']}: {part[0]['msg']}")
        else:
            row = ".".join(str(piece) for piece in part[0]["loc"][:-1])
            names = ", ".join(str(item["loc"][-1]) for item in part)
            said.append(f"{row}: missing {names} ({_HINTS['missing']})")
    return said


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = []
    for problem in error.errors():
        loc = list(problem.get("loc", ()))
        if loc[:1] == ["body"] and len(loc) > 1:
            loc = loc[1:]  # every field is in the body: "rows.0.age" reads better than "body.rows.0.age"
        if problem.get("type") == "json_invalid":
            reason = (problem.get("ctx") or {}).get("error", "not JSON")
            position = loc[0] if loc and isinstance(loc[0], int) else "?"
            return JSONResponse(
                error_body(
                    [
                        {
                            "loc": ["body"],
                            "msg": f"invalid JSON at character {position}: {reason}",
                            "type": "json_invalid",
                        }
                    ]
                ),
                status_code=400,
            )
        if problem.get("type") == "missing" and len(loc) > 1 and loc[-1] in _id_inputs(request):
            # A recommender's user or item left out of a row: the same advice as for null, not "send null".
            problems.append({"loc": loc, "msg": ID_MISSING, "type": "id_missing"})
            continue
        problems.append(
            {"loc": loc, "msg": _explained(problem, loc, _body_fields(request)), "type": problem.get("type")}
        )
    return JSONResponse(error_body(problems), status_code=422)


def _id_inputs(request: Request) -> tuple[str, ...]:
    """The inputs a row may not leave out nor send as null (a recommender's user and item column:
    ``app.state.id_inputs``, set by :func:`~trainwell.serve.recommend.add_recommend_route`); ``()`` otherwise."""
    return tuple(getattr(request.app.state, "id_inputs", ()))


def _body_fields(request: Request) -> tuple[str, ...]:
    """The fields of the body the route of ``request`` reads (``("rows", "at_least_one", "tta")``), for the
    example a refusal of the body's shape gives; ``()`` when it reads none."""
    body_field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(body_field, "field_info", None), "annotation", None)
    return tuple(getattr(model, "model_fields", None) or ())


#: The fields that carry a request's items, each with how a list of them looks and what one of them is called:
#: the words a refusal of the body's shape uses instead of pydantic's ("a valid dictionary or object to extract
#: fields from").
_ITEM_FIELDS: dict[str, tuple[str, str]] = {
    "rows": ('[{"input": value, ...}, ...]', "row"),
    "texts": ('["...", ...]', "text"),
    "words": ('[["...", ...], ...]', "sentence"),
    "images": ('["<base64 image file>", ...]', "image"),
    "from_items": ("[item, ...]", "item"),
    "prompt": ('"..."', ""),
    "user": ("user_id", ""),
    "similar_to": ("item_id", ""),
}


#: pydantic's kinds of "not an object": a body read by FastAPI, one validated by hand (images), a row.
_OBJECT_KINDS = ("model_attributes_type", "model_type", "dict_type")


def _sent(value: Any) -> str:
    """What a JSON value is, in words: a list, an object, text, a number, true/false, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return (
        "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else "another value"
    )


def body_shape_message(
    kind: Any, loc: Sequence[Any], value: Any, ctx: Any, fields: Sequence[str]
) -> str | None:
    """The message for a body, or a field holding the request's items, of the wrong JSON shape, in the words a
    client can act on (pydantic's words name its own types: "a valid dictionary or object to extract fields
    from", "List should have at least 1 item after validation"); ``None`` for any other problem. ``fields``: the
    fields of the body, which give the example of a right one."""
    loc = list(loc)
    items = [name for name in fields if name in _ITEM_FIELDS] or ["rows"]
    if kind in _OBJECT_KINDS and len(loc) <= 1 and loc[:1] in ([], ["body"]):
        examples = " or ".join(f'{{"{name}": {_ITEM_FIELDS[name][0]}}}' for name in items[:3])
        return f"must be a JSON object such as {examples}, not {_sent(value)} (GET /docs shows the body)"
    field = str(loc[0]) if loc else ""
    listed, noun = _ITEM_FIELDS.get(field, ("", ""))
    if not noun:
        return None
    if kind == "list_type" and len(loc) == 1:
        one: Any = {"row": dict, "text": str, "image": str}.get(noun, ())  # what a single item looks like
        single = f" (one {noun}: wrap it in [ ])" if isinstance(value, one) else ""
        return f"must be a list of {noun}s such as {listed}, not {_sent(value)}{single}"
    if kind in _OBJECT_KINDS and len(loc) == 2 and noun == "row":
        return (
            'each row must be a JSON object of input values such as {"input": value, ...} (GET /metadata lists the '
            f"inputs), not {_sent(value)}"
        )
    if kind == "string_type" and len(loc) == 2 and noun == "text":
        return f"each text must be a JSON string, not {_sent(value)}"
    if kind in ("too_short", "too_long") and len(loc) == 1:
        context = ctx or {}
        actual = context.get("actual_length")
        if kind == "too_short":
            least = context.get("min_length", 1)
            return f"send at least {least} {noun}{'' if least == 1 else 's'}, got {actual}"
        most = context.get("max_length")
        return (
            f"send at most {most:,} {noun}s in one request (the server's limit), got {actual:,}: split them over "
            "several requests"
            if isinstance(most, int) and isinstance(actual, int)
            else None
        )
    return None


def _explained(problem: Any, loc: list[Any], fields: Sequence[str] = ()) -> str:
    """pydantic's message, with what it leaves a client to guess: the shape a body of the wrong shape should have
    (:func:`body_shape_message`), that a number was sent as text, and why an input of a row has a range at all
    (:data:`~trainwell.serve.schema.MAX_STANDARD_DEVIATIONS`)."""
    message = str(problem.get("msg"))
    kind, value = problem.get("type"), problem.get("input")
    shape = body_shape_message(kind, loc, value, problem.get("ctx"), fields)
    if shape is not None:
        return shape
    if kind == "float_type" and isinstance(value, str):
        return (
            f'{message}, got the text {value!r} (send a number, as 22.5 or as the text "22.5", and null for a '
            "missing value)"
        )
    if kind == "float_type" and isinstance(value, int) and not isinstance(value, bool):
        # A whole number past a float's range (JSON's 1 and 400 zeros): "a valid number, not a number" said before
        return f"Input should be a finite number, got {too_large(value)}{_RANGE_ADVICE}"
    if kind == "finite_number" and isinstance(value, float) and value in (math.inf, -math.inf):
        # Python's JSON reader reads 1e400 as infinity (the text "1e999" is read as it too)
        return f"Input should be a finite number, got {too_large(value)}{_RANGE_ADVICE}"
    if kind == "float_type" and value is not None:  # a list, an object, true or false
        return f"{message}, not {_sent(value)} (send a number, and null for a missing value)"
    # pydantic's words for a key holding a lone surrogate that got past require_json
    if kind == "string_unicode" and message.startswith("Input should be"):
        return "a key or text here is not valid Unicode text (a lone surrogate \\u escape): send UTF-8 text"
    if kind == "extra_forbidden" and len(loc) == 1 and fields:
        meant = difflib.get_close_matches(str(loc[0]), [str(name) for name in fields], n=1, cutoff=0.75)
        if meant:  # {"text": ...} for {"texts": [...]}, {"row": ...} for {"rows": [...]}
            listed = _ITEM_FIELDS.get(meant[0], ("...", ""))[0]
            return (
                f'{message} (not a field of this request: did you mean "{meant[0]}"? {{"{meant[0]}": {listed}}}; '
                "GET /docs shows the body)"
            )
    if kind == "bool_type":
        return f"must be true or false, not {_sent(value) if not isinstance(value, str) else repr(value)}"
    if kind in ("less_than_equal", "greater_than_equal") and loc[:1] == ["rows"]:
        return (
            f"{message} ({MAX_STANDARD_DEVIATIONS:,.0f} training standard deviations from the training mean: a "
            "data error; GET /metadata lists the range each input accepts, accepted_minimum to accepted_maximum, "
            "and its training range, minimum to maximum, where the model records it)"
        )
    return message


#: What a number past a float's range is told to do.
_RANGE_ADVICE = "; send a number of ordinary size (GET /metadata lists what each input accepts), and null for a missing value"


def too_large(value: float) -> str:
    """A number past a 64-bit float's range, in words: ``"1e400 (a whole number of 401 digits), beyond a 64-bit
    float's range (at most about 1.8e308)"``; an infinity is what a JSON reader makes of ``1e400``."""
    sign = "-" if value < 0 else ""
    limit = f"a 64-bit float's range (at most about {sign}1.8e308)"
    if isinstance(value, int):
        digits = len(str(abs(value)))
        return (
            f"{sign}{str(abs(value))[0]}e{digits - 1} (a whole number of {digits:,} digits), beyond {limit}"
        )
    return f"a number beyond {limit}, which reads as {sign}infinity"


async def _unsupported_media_type(request: Request, error: UnsupportedMediaType) -> JSONResponse:
    return JSONResponse(error_body([error.problem]), status_code=415)


def unreadable_json_problem(error: BaseException) -> dict[str, Any] | None:
    """The 400 problem for a body Python's JSON reader refused (``None`` for another error): where and why for
    a syntax error; bytes that are not UTF-8, arrays nested past the recursion limit and numbers with more
    digits than Python converts (4300) are refused by other exceptions, which FastAPI reported only as "There
    was an error parsing the body" (and a route reading its own body let out as a 500)."""
    if isinstance(error, json.JSONDecodeError):
        message = f"invalid JSON at character {error.pos}: {error.msg}"
    elif isinstance(error, UnicodeDecodeError):
        message = f"invalid JSON: not UTF-8 text ({error.reason} at byte {error.start}); send the JSON encoded as UTF-8"
    elif isinstance(error, RecursionError):
        message = "invalid JSON: nested too deeply to read (GET /docs shows the body)"
    elif isinstance(error, ValueError) and (digits := _TOO_MANY_DIGITS.search(str(error))):
        message = (
            f"invalid JSON: a number has {digits['has']} digits, more than the {digits['limit']} read; send "
            "numbers of ordinary size"
        )
    else:
        return None
    return {"loc": ["body"], "msg": message, "type": "json_invalid"}


#: Python's refusal of a long integer: "Exceeds the limit (4300 digits) ...: value has 5001 digits; ...".
_TOO_MANY_DIGITS = re.compile(r"limit \((?P<limit>\d+) digits\).*value has (?P<has>\d+) digits")


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    message = (
        f"internal error ({type(error).__name__}) answering {request.method} {request.url.path}: a bug; the "
        "server's log has the traceback"
    )
    return JSONResponse({"message": message, "detail": []}, status_code=500)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    if error.status_code == 404 and detail == "Not Found":  # the router's: no route has this path
        detail = not_found_message(request)
    if error.status_code == 405 and detail == "Method Not Allowed":  # the router's: the path takes others
        allowed = ", ".join(
            sorted(part.strip() for part in (error.headers or {}).get("Allow", "").split(","))
        )
        detail = (
            f"{request.method} {request.url.path}: this endpoint takes {allowed} (GET /docs describes the "
            "endpoints)"
        )
    if isinstance(error, BodyTooLarge | EncodedBody):  # raised while a route read a chunked body
        return JSONResponse(error_body([body_problem(error)]), status_code=error.status_code)
    if error.status_code == 400 and error.__cause__ is not None:  # FastAPI's "error parsing the body"
        problem = unreadable_json_problem(error.__cause__)
        if problem is not None:
            return JSONResponse(error_body([problem]), status_code=400)
    return JSONResponse(
        {"message": detail, "detail": []}, status_code=error.status_code, headers=error.headers
    )


def not_found_message(request: Request) -> str:
    """One line for a path no route serves: the hint the app keeps for it, if any, and every endpoint."""
    endpoints: list[str] = []
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.include_in_schema:  # not /docs, /openapi.json
            methods = sorted(method for method in route.methods if method != "HEAD")
            endpoints.extend(f"{method} {route.path}" for method in methods)
    hints: dict[str, str] = getattr(request.app.state, "path_hints", None) or {}
    hint = hints.get(request.url.path)
    asked = f"{request.method} {request.url.path}"
    lead = f"{asked}: {hint}" if hint else f"no endpoint {asked}"
    return f"{lead}; this server answers {', '.join(endpoints)} (GET /docs describes them)"
