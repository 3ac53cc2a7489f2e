"""Options a command would silently ignore for the data or the model it was given, refused in one line instead.

``fit`` names them in :mod:`trainwell.cli._fit_data` (``--x is not used by a tagger ...: drop it``, through
:func:`~trainwell.cli._fit_data.refuse_unread`); the other commands use the same two sentence shapes, the
second one here: ``--size is for images, not tables: drop it``. Nothing here imports more than the errors.
"""

from __future__ import annotations

from typing import Any


def refuse_for(given: dict[str, bool], domains: dict[str, str], what: str) -> None:
    """Refuse the options of ``domains`` (option -> what it is for) set in ``given`` (option -> whether the user
    set it), which ``what`` never reads: ``--size is for images, not tables: drop it``."""
    unused = [flag for flag in domains if given.get(flag)]
    if unused:
        raise refusal(unused, domains, what)


def refusal(unused: list[str], domains: dict[str, str], what: str) -> Exception:
    """The one line refusing ``unused`` (options of ``domains``: option -> what it is for) for ``what``."""
    from trainwell.core.errors import ConfigError

    named = list(dict.fromkeys(domains[flag] for flag in unused))
    domain = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    several = len(unused) > 1
    return ConfigError(
        f"{', '.join(unused)} {'are' if several else 'is'} for {domain}, not {what}: drop {'them' if several else 'it'}"
    )


#: How a refusal names a model by its application (``trainwell.json``'s ``application``).
_APPLICATIONS = {
    "tabular": "a table model",
    "text": "a text classifier",
    "collab": "a recommender",
    "vision": "an image model",
}


def model_words(metadata: dict[str, Any]) -> str:
    """What a model directory holds, as a refusal names it (``a tagger``, ``an image model``...), from its
    ``trainwell.json`` read as plain JSON (:func:`trainwell.cli._early.peek_metadata`)."""
    task = metadata.get("task")
    kind = task.get("kind") if isinstance(task, dict) else None
    if kind == "language_model":
        return "a language model"
    if kind == "tagging":
        return "a tagger"
    return _APPLICATIONS.get(str(metadata.get("application")), "this model")


def names_utf8(encoding: str) -> bool:
    """Whether ``--encoding`` names UTF-8 under any of its spellings (the default: nothing was asked)."""
    import codecs

    return codecs.lookup(encoding).name == "utf-8"
