"""Text in a JSON body that is not Unicode: a lone surrogate escape (``"\\ud800"``), refused with a 422 naming it.

JSON's ``\\uXXXX`` escapes write a character outside the Basic Multilingual Plane as two surrogates, a high one
(``\\uD800`` to ``\\uDBFF``) then a low one (``\\uDC00`` to ``\\uDFFF``); Python's JSON reader joins such a pair into
one character and keeps a surrogate without its partner as it is: a string no UTF-8 text can hold. A table
model's server answered such a value with a 500 (pandas' string columns are UTF-8: ``UnicodeEncodeError``), a
text model's scored it, and an image model's refused a key holding one as "unable to parse raw data as a unicode
string". Every JSON endpoint now refuses it the same way, before its body is validated
(:func:`~trainwell.serve._content_type.require_json`; the image endpoint reads its body itself and calls
:func:`lone_surrogate_problems` there): ``rows.0.Ticket: not valid Unicode text: ...``.

Only a body whose bytes hold an unpaired surrogate escape is looked through (:func:`may_hold_lone_surrogates`), so
a request without one costs a scan of its bytes for ``\\u``, no more.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LONE_SURROGATE", "lone_surrogate_problems", "may_hold_lone_surrogates"]

#: What a refusal says after the field's name (the escape found is put in its place).
LONE_SURROGATE = (
    "not valid Unicode text: it holds the lone surrogate {escape}, half of a pair of \\u escapes (\\uD800-\\uDBFF "
    "then \\uDC00-\\uDFFF) that writes one character; send the character itself, or both halves of its pair"
)
#: A high surrogate escape not followed by a low one, or a low one not preceded by a high one (in a body's bytes).
#: An escaped backslash before it (``"\\\\ud800"``, the text ``\ud800``) matches too: the body is then looked
#: through and nothing is found.
_LONE_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
#: A surrogate left in a decoded string: Python's JSON reader joins every pair, so any one found is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Problems listed at most (a 1,000-row request could hold one in each row).
_MAX_PROBLEMS = 50


def may_hold_lone_surrogates(body: bytes) -> bool:
    """Whether the JSON text ``body`` holds a surrogate escape without its partner (cheap: most bodies hold no
    ``\\u`` at all)."""
    return b"\\u" in body and _LONE_ESCAPE.search(body) is not None


def lone_surrogate_problems(document: Any) -> list[dict[str, Any]]:
    """The strings of a decoded JSON ``document`` (values and keys) holding a lone surrogate, as problems of
    :func:`~trainwell.serve._errors.error_body`'s shape: ``loc`` the path to the value (to the object, for a
    key), type ``string_unicode``; ``[]`` when there is none."""
    problems: list[dict[str, Any]] = []
    stack: list[tuple[list[Any], Any]] = [([], document)]
    while stack and len(problems) < _MAX_PROBLEMS:
        loc, value = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found is not None:
                problems.append(_problem(loc, found.group()))
        elif isinstance(value, dict):
            kept = []
            for key, item in value.items():
                found = _SURROGATE.search(key)
                if found is not None:  # refused as a key: what it holds is not looked at (nor named by it)
                    problems.append(_problem(loc, found.group(), key=key))
                else:
                    kept.append(([*loc, key], item))
            stack.extend(reversed(kept))  # popped in the document's order
        elif isinstance(value, list):
            stack.extend(([*loc, index], item) for index, item in reversed(list(enumerate(value))))
    return problems


def _problem(loc: list[Any], surrogate: str, key: str | None = None) -> dict[str, Any]:
    escape = f"\\u{ord(surrogate):04x}"
    message = LONE_SURROGATE.format(escape=escape)
    if key is not None:
        shown = "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in key)
        message = f"the key '{shown}' is {message}"
    return {"loc": loc or ["body"], "msg": message, "type": "string_unicode"}
