"""Serving text classifiers: the request body ``{"texts": [...]}``, one model call per batch, ``GET /metadata``.

A text that is empty or only spaces (an example of a pair with such a text) is answered with a ``note`` and no
prediction (``prediction`` and ``probabilities`` null), and the request's other texts are scored, as the tagger
answers such a text and ``trainwell predict`` skips a blank line: one policy for every model of texts. Only a
request with nothing but blank texts is refused (422, ``texts_all_empty``): it holds nothing to score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from trainwell.serve.config import ServeConfig
from trainwell.serve.predictions import ServablePredictor, answers_for

#: A text must hold something besides whitespace: an empty review has nothing to classify. Whitespace as Python
#: reads it (``str.isspace``, what the predictors refuse): the pattern's ``\s`` is Unicode's White_Space in the
#: validator's regex engine, which leaves out the four separators U+001C to U+001F, so a text of them alone
#: passed the schema and was refused by the predictor after it (a fuzzed request found it).
NonBlankText = Annotated[str, StringConstraints(pattern=r"[^\s\x1c-\x1f]", strict=True)]
#: The same in a JSON Schema, for ``contains`` (at least one text holds a non-space character); U+0085 too, which
#: Python reads as a space and ECMA-262's ``\s`` does not.
NON_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]"
#: Any text (blank ones are answered with :data:`EMPTY_TEXT_NOTE`).
AnyText = Annotated[str, StringConstraints(strict=True)]

#: The note on the answer to a text with nothing in it but spaces (no prediction).
EMPTY_TEXT_NOTE = "the text is empty or only spaces: nothing to classify (no prediction)"


def is_blank(item: str | Sequence[str]) -> bool:
    """Whether a text (an example of a pair: any of its texts) is empty or only spaces, as the predictor reads
    them (``str.isspace``)."""
    texts = [item] if isinstance(item, str) else item
    return any(not text.strip() for text in texts)


def texts_request_model(
    *,
    max_texts: int,
    forbid_extra_fields: bool,
    fields: Sequence[str] = (),
    text_col: str | None = None,
    blank_notes: bool = False,
    verb: str = "classify",
    accepted: Sequence[Any] = (),
) -> type[BaseModel]:
    """``{"texts": ["...", ...]}`` with 1 to ``max_texts`` strings; for a model of several text columns
    (``fields``, a pair), each item is a list of one text a field: ``{"texts": [["first", "second"], ...]}``. With
    ``text_col`` (the column the model was trained on), rows as a table model takes them are read too,
    ``{"rows": [{"review": "...", "sentiment": "pos"}, ...]}``: each row's text column(s), as ``trainwell predict``
    reads a table; its other keys are refused with ``forbid_extra_fields`` (as a table model's server refuses
    them), but for the columns ``accepted`` (the model's target: a row sent as the training table holds it),
    which are ignored, and all are ignored without it.

    With ``blank_notes`` (a classifier's), a blank text is let through, to be answered with a note
    (:func:`predict_texts`; a language model's ``/score``: :func:`~trainwell.serve.lm.score_rows`), and only a
    request of blank texts alone is a 422 (``texts_all_empty``); without it, every text must hold a non-space
    character (a 422 names ``texts.N``). ``verb``: what the model does with the texts, in the descriptions."""
    text: Any = AnyText if blank_notes else NonBlankText
    item: Any = text
    each = (
        "any string (an empty one is answered with a note)" if blank_notes else "each must hold a non-space"
    )
    description = f"The texts to {verb}, 1 to {max_texts}; {each}" + (
        "; at least one must hold a non-space character." if blank_notes else " character."
    )
    example: list[Any] = ["A wonderful film, a joy from start to finish."]
    # JSON Schema's way to say "at least one text is not blank" (documented; enforced by not_all_blank).
    one_not_blank: dict[str, Any] = {"type": "string", "pattern": NON_BLANK_PATTERN}
    if fields:
        item = Annotated[list[text], Field(min_length=len(fields), max_length=len(fields))]
        description = (
            f"The examples to {verb}, 1 to {max_texts}; each a list of {len(fields)} texts ({', '.join(fields)}, "
            "in that order)"
            + (
                "; an example with an empty text is answered with a note, and at least one example must have "
                "none."
                if blank_notes
                else ", each holding a non-space character."
            )
        )
        example = [["A man is playing a guitar.", "Someone plays an instrument."][: len(fields)]]
        one_not_blank = {"type": "array", "items": one_not_blank}

    def texts_field(default: Any = ...) -> Any:
        extra: Any = {"contains": one_not_blank} if blank_notes else None
        return Field(
            default,
            min_length=1,
            max_length=max_texts,
            description=description,
            examples=[example],
            json_schema_extra=extra,
        )

    validators: dict[str, Any] = {}
    if blank_notes:

        def texts_not_all_blank(texts: list[Any] | None) -> list[Any] | None:
            return _not_all_blank(texts, "texts", verb)

        validators["not_all_blank"] = field_validator("texts")(texts_not_all_blank)

    if text_col is None:
        return create_model(
            "TextsRequest",
            __config__=ConfigDict(extra="forbid" if forbid_extra_fields else "ignore"),
            __validators__=validators,
            texts=(list[item], texts_field()),  # type: ignore[valid-type]
        )
    columns = list(fields) or [text_col]
    # A row holds each text column (by its name, which need not be a Python name); other keys are refused with
    # forbid_extra_fields, as a table model's server refuses them, but for the training table's columns the model
    # does not read (its target: `accepted`), else ignored.
    required: list[Any] = [*columns]
    unused = [name for name in dict.fromkeys(str(name) for name in accepted) if name not in columns]
    # Missing columns are said by rows_hold_texts (pydantic's "Field required" would get a table row's advice to
    # send null), so the fields default to None while the schema still requires them.
    row_type = create_model(
        "TextRow",
        __config__=ConfigDict(
            extra="forbid" if forbid_extra_fields else "ignore",
            populate_by_name=True,
            json_schema_extra={"required": required},
        ),
        **{  # type: ignore[call-overload]
            f"column_{index}": (text, Field(default=None, alias=name)) for index, name in enumerate(columns)
        },
        **{
            f"unused_{index}": (
                Any,
                Field(
                    default=None,
                    alias=name,
                    description="A training column the model does not read: ignored.",
                ),
            )
            for index, name in enumerate(unused)
        },
    )
    others = (
        "other keys are refused but for " + ", ".join(unused) + ", accepted and ignored"
        if forbid_extra_fields and unused
        else "other keys are refused"
        if forbid_extra_fields
        else "other keys are ignored"
    )

    def rows_hold_texts(data: Any) -> Any:
        """Before the rows are validated: each row holds the text column(s), else the request is refused naming
        the columns (a row of a table's other columns alone was told only that its keys are not inputs)."""
        rows = data.get("rows") if isinstance(data, dict) and data.get("texts") is None else None
        for number, row in enumerate(rows if isinstance(rows, list) else ()):
            absent = [name for name in columns if isinstance(row, dict) and row.get(name) is None]
            if absent:
                raise PydanticCustomError(
                    "texts_or_rows",
                    f"rows.{number} has no text in column '{absent[0]}': the model reads "
                    f"{', '.join(columns)} ({others})",
                )
        return data

    def rows_to_texts(request: Any) -> Any:
        sent = [name for name in ("texts", "rows") if getattr(request, name) is not None]
        if len(sent) != 1:
            raise PydanticCustomError(
                "texts_or_rows",
                'send the texts as {"texts": [...]} or as rows holding the column'
                f'{"s" if len(columns) > 1 else ""} {", ".join(columns)}: {{"rows": [{{...}}]}}, not '
                + ("both" if sent else "neither"),
            )
        if request.rows is not None:
            cells = [
                [getattr(row, f"column_{index}") for index in range(len(columns))] for row in request.rows
            ]
            for number, row in enumerate(cells):
                absent = [name for name, cell in zip(columns, row, strict=True) if cell is None]
                if absent:  # said by rows_hold_texts before: kept for a body that got past it
                    raise PydanticCustomError(
                        "texts_or_rows",
                        f"rows.{number} has no text in column '{absent[0]}': the model reads "
                        f"{', '.join(columns)} ({others})",
                    )
            if blank_notes:
                _not_all_blank(cells, "rows", verb)
            request.texts, request.rows = [row if fields else row[0] for row in cells], None
        return request

    # At least one row whose text(s) hold a non-space character.
    row_not_blank: Any = {
        "type": "object",
        "properties": {name: {"type": "string", "pattern": NON_BLANK_PATTERN} for name in columns},
        "required": columns,
    }
    return create_model(
        "TextsRequest",
        __config__=ConfigDict(
            extra="forbid" if forbid_extra_fields else "ignore",
            json_schema_extra={"oneOf": [{"required": ["texts"]}, {"required": ["rows"]}]},
        ),
        __validators__={
            **validators,
            "rows_hold_texts": model_validator(mode="before")(rows_hold_texts),  # type: ignore[dict-item]
            "rows_to_texts": model_validator(mode="after")(rows_to_texts),  # type: ignore[dict-item]
        },
        # Either may be left out (a default of None, never validated), but neither is null: a union with None would
        # put its members in every error's place ("texts.list[...].0") and null in the documented body.
        texts=(list[item], texts_field(None)),  # type: ignore[valid-type]
        rows=(
            list[row_type],  # type: ignore[valid-type]
            Field(
                default=None,
                min_length=1,
                max_length=max_texts,
                description=f"Instead of texts (send one of the two): rows as for a table model, each holding "
                f"{', '.join(columns)} ({others})"
                + ("; rows whose text is empty are answered with a note." if blank_notes else "."),
                json_schema_extra={"contains": row_not_blank} if blank_notes else None,
            ),
        ),
    )


def _not_all_blank(items: list[Any] | None, name: str, verb: str) -> list[Any] | None:
    """``items`` as they are, unless every one is blank (:func:`is_blank`): nothing in the request to score."""
    if items and all(is_blank(item) for item in items):
        raise PydanticCustomError(
            "texts_all_empty",
            f"{'every text' if name == 'texts' else 'the text of every row'} is empty or only spaces ({len(items)} in "
            "all): "
            f"the request holds nothing to {verb}; send at least one text with words in it",
        )
    return items


def predict_texts(predictor: ServablePredictor, texts: list[Any]) -> list[dict[str, Any] | None]:
    """One model call for the non-blank ``texts`` (validated); one answer per text, as rows get in
    :func:`predict_rows`, a blank text's a :data:`EMPTY_TEXT_NOTE` with no prediction."""
    kept = [index for index, text in enumerate(texts) if not is_blank(text)]
    answers: list[dict[str, Any] | None] = [
        {"prediction": None, "probabilities": None, "note": EMPTY_TEXT_NOTE} for _ in texts
    ]
    if kept:
        values = predictor.predict_proba([texts[index] for index in kept])
        for index, answer in zip(kept, answers_for(predictor.task, values, len(kept)), strict=True):
            answers[index] = answer
    return answers


def text_metadata(predictor: ServablePredictor, config: ServeConfig, *, backend: str) -> dict[str, Any]:
    """The body of ``GET /metadata`` for a text model."""
    from trainwell.serve.predictions import _metrics, _task_info, _versions

    recipe = predictor.recipe
    tokenizer = recipe.tokenizer.get("kind", "word") if isinstance(recipe.tokenizer, dict) else "word"
    return {
        "application": "text",
        "backend": backend,
        "task": _task_info(predictor.task, config.at_least_one),
        "text": {
            "column": recipe.text_col,
            **({"fields": list(recipe.fields)} if getattr(recipe, "fields", ()) else {}),
            "tokenizer": tokenizer,
            "vocabulary": len(recipe.vocab),
            "max_len": recipe.max_len,
            "reads": text_reading(recipe),
            "longest_trained_tokens": getattr(recipe, "longest_trained", None),
        },
        "request_format": _request_format(recipe),
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": text_limits(config),
    }


def text_reading(recipe: Any) -> str:
    """How much of a text the model reads, for ``GET /metadata``: a sequence model its first ``max_len`` tokens,
    as in training; a bag of words every token (``max_len`` null), a request's size capped by the body limit
    (``limits.max_body_bytes``, ``--max-body-bytes``: 413 over it).

    Example:
        >>> from types import SimpleNamespace
        >>> text_reading(SimpleNamespace(max_len=None, batch_format="bag"))
        "every token of a text (a bag of words): a longer text takes longer and is never cut; a request's size is capped by limits.max_body_bytes (--max-body-bytes)"
        >>> text_reading(SimpleNamespace(max_len=1440, batch_format="padded"))
        'the first 1,440 tokens of a text, as in training (the rest is not read)'
    """
    if recipe.max_len is None:
        kind = " (a bag of words)" if recipe.batch_format == "bag" else ""
        return (
            f"every token of a text{kind}: a longer text takes longer and is never cut; a request's size is capped "
            "by limits.max_body_bytes (--max-body-bytes)"
        )
    return f"the first {recipe.max_len:,} tokens of a text, as in training (the rest is not read)"


def text_limits(config: ServeConfig) -> dict[str, Any]:
    """The ``limits`` of ``GET /metadata`` for models that take texts."""
    return {
        "max_texts": config.max_rows,
        "max_body_bytes": config.body_limit("text"),
        "max_batch": config.max_batch,
        "batch_wait_ms": config.batch_wait_ms,
        "forbid_extra_fields": config.forbid_extra_fields,
    }


def _request_format(recipe: Any) -> str:
    """``{"texts": ["...", ...]} or {"rows": [{"review": ...}, ...]}``: the two bodies a text model takes."""
    fields = list(getattr(recipe, "fields", ()))
    texts = (
        '{"texts": [[' + ", ".join(f'"<{name}>"' for name in fields) + "], ...]}"
        if fields
        else '{"texts": ["...", ...]}'
    )
    columns = ", ".join(f'"{name}": ...' for name in fields or [recipe.text_col])
    return f'{texts} or {{"rows": [{{{columns}}}, ...]}}'
