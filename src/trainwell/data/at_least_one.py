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


#: What each application's predictor answers one of, where its model is not multi-label.
_ITEMS = {"vision": "image", "text": "text"}


def what_it_answers(task: Any, application: str | None) -> str:
    """What a model of ``task`` read by the ``application``'s predictor (``tabular``, ``vision``, ``text``,
    ``collab``...) answers instead of labels, as a refusal of ``at_least_one`` says it: a language model's scores,
    a tagger's tags, a recommender's ratings, else one answer for each row, image or text. Every predictor,
    ``learn.predict`` and the HTTP server say it alike (:func:`refusal_for`)."""
    kind = getattr(task, "kind", None)
    if kind == "language_model":
        return "a language model scores how likely it finds each text (log_prob, perplexity), not labels"
    if kind == "tagging":
        return "this tagger predicts one tag for each word, not labels for a text"
    if application == "collab":
        classes = list(getattr(task, "classes", None) or [])
        if kind == "binary" and len(classes) == 2:
            negative, positive = (str(label) for label in classes)
            return f"this recommender answers every (user, item) pair '{positive}' or '{negative}' already"
        names = list(getattr(task, "target_names", None) or [])
        return f"this recommender predicts each (user, item) pair's {names[0] if names else 'rating'}, not labels"
    return f"this {kind} model gives every {_ITEMS.get(str(application), 'row')} one answer already"


def refusal_for(task: Any, application: str | None, option: str = "at_least_one=") -> str:
    """The one line refusing ``option`` for a model of ``task`` that is not multi-label, read by the
    ``application``'s predictor (:func:`what_it_answers`)."""
    return at_least_one_refusal(
        str(getattr(task, "kind", None)), option=option, answers=what_it_answers(task, application)
    )


def refuse_at_least_one(
    task: Any,
    at_least_one: bool,
    *,
    items: str = "row",
    answers: str | None = None,
    application: str | None = None,
) -> None:
    """Raise a one-line :class:`ConfigError` when ``at_least_one`` is asked of a model whose ``task`` is not
    multi-label (before any input is read: the mistake is the caller's, whatever the inputs): in the words of
    :func:`refusal_for` where ``application`` is given, else with ``items`` and ``answers`` as in
    :func:`at_least_one_refusal`."""
    kind = getattr(task, "kind", None)
    if not at_least_one or kind == "multilabel":
        return
    if application is not None:
        raise ConfigError(refusal_for(task, application))
    raise ConfigError(at_least_one_refusal(str(kind), items=items, answers=answers))
