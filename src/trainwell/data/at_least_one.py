"""The refusal of ``at_least_one`` for a model that is not multi-label, said alike by every predictor, by
``learn.predict`` and by the HTTP server.

``at_least_one`` (:meth:`~trainwell.data.task.Task.decode`) gives a multi-label row with no label over its
threshold its likeliest label. Any other task answers every row already (a class, or a value), so asking for it
there is a mistake to say, not a wish to ignore: the caller may believe the model is multi-label.
"""

from __future__ import annotations

from typing import Any

from trainwell.core.errors import ConfigError


def at_least_one_refusal(
    kind: str, *, option: str = "at_least_one=", items: str = "row", answers: str | None = None
) -> str:
    """The one line that refuses ``option`` (``at_least_one=``, ``--at-least-one``, the JSON field
    ``at_least_one``) for a model of task ``kind``, whose every one of ``items`` has an answer already;
    ``answers`` says instead what such a model predicts, where no labels are (``this tagger predicts one tag for
    each word, not labels``)."""
    said = answers or f"this {kind} model gives every {items} one answer already"
    return f"{option} is for multi-label models; {said}: drop it"


def refuse_at_least_one(
    task: Any, at_least_one: bool, *, items: str = "row", answers: str | None = None
) -> None:
    """Raise a one-line :class:`ConfigError` when ``at_least_one`` is asked of a model whose ``task`` is not
    multi-label (before any input is read: the mistake is the caller's, whatever the inputs); ``answers`` as in
    :func:`at_least_one_refusal`."""
    kind = getattr(task, "kind", None)
    if at_least_one and kind != "multilabel":
        raise ConfigError(at_least_one_refusal(str(kind), items=items, answers=answers))
