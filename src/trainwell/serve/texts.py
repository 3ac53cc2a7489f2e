"""Serving text classifiers: the request body ``{"texts": [...]}``, one model call per batch, ``GET /metadata``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model, model_validator
from pydantic_core import PydanticCustomError

from trainwell.serve.config import ServeConfig
from trainwell.serve.predictions import ServablePredictor, answers_for

#: A text must hold something besides whitespace: an empty review has nothing to classify. Whitespace as Python
#: reads it (``str.isspace``, what the predictors refuse): the pattern's ``\s`` is Unicode's White_Space in the
#: validator's regex engine, which leaves out the four separators U+001C to U+001F, so a text of them alone
#: passed the schema and was refused by the predictor after it (a fuzzed request found it).
NonBlankText = Annotated[str, StringConstraints(pattern=r"[^\s\x1c-\x1f]", strict=True)]


def texts_request_model(
    *, max_texts: int, forbid_extra_fields: bool, fields: Sequence[str] = (), text_col: str | None = None
) -> type[BaseModel]:
    """``{"texts": ["...", ...]}`` with 1 to ``max_texts`` non-blank strings (a 422 names ``texts.N`` otherwise);
    for a model of several text columns (``fields``, a pair), each item is a list of one text a field:
    ``{"texts": [["first", "second"], ...]}``. With ``text_col`` (the column the model was trained on), rows as a
    table model takes them are read too, ``{"rows": [{"review": "...", "id": 7}, ...]}``: each row's text
    column(s), its other keys ignored, as ``trainwell predict`` reads a table."""
    item: Any = NonBlankText
    description = f"The texts to classify, 1 to {max_texts}; each must hold a non-space character."
    example: list[Any] = ["A wonderful film, a joy from start to finish."]
    if fields:
        item = Annotated[list[NonBlankText], Field(min_length=len(fields), max_length=len(fields))]
        description = (
            f"The examples to classify, 1 to {max_texts}; each a list of {len(fields)} texts ({', '.join(fields)}, "
            "in that order), each holding a non-space character."
        )
        example = [["A man is playing a guitar.", "Someone plays an instrument."][: len(fields)]]

    def texts_field(default: Any = ...) -> Any:
        return Field(default, min_length=1, max_length=max_texts, description=description, examples=[example])

    if text_col is None:
        return create_model(
            "TextsRequest",
            __config__=ConfigDict(extra="forbid" if forbid_extra_fields else "ignore"),
            texts=(list[item], texts_field()),  # type: ignore[valid-type]
        )
    columns = list(fields) or [text_col]
    # A row holds each text column (by its name, which need not be a Python name), other keys ignored.
    required: list[Any] = [*columns]
    # Missing columns are said by rows_to_texts (pydantic's "Field required" would get a table row's advice to
    # send null), so the fields default to None while the schema still requires them.
    row_type = create_model(
        "TextRow",
        __config__=ConfigDict(
            extra="ignore", populate_by_name=True, json_schema_extra={"required": required}
        ),
        **{  # type: ignore[call-overload]
            f"column_{index}": (NonBlankText, Field(default=None, alias=name))
            for index, name in enumerate(columns)
        },
    )

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
                if absent:
                    raise PydanticCustomError(
                        "texts_or_rows",
                        f"rows.{number} has no text in column '{absent[0]}': the model reads "
                        f"{', '.join(columns)} (other keys are ignored)",
                    )
            request.texts, request.rows = [row if fields else row[0] for row in cells], None
        return request

    return create_model(
        "TextsRequest",
        __config__=ConfigDict(
            extra="forbid" if forbid_extra_fields else "ignore",
            json_schema_extra={"oneOf": [{"required": ["texts"]}, {"required": ["rows"]}]},
        ),
        __validators__={"rows_to_texts": model_validator(mode="after")(rows_to_texts)},  # type: ignore[dict-item]
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
                f"{', '.join(columns)} (other keys are ignored).",
            ),
        ),
    )


def predict_texts(predictor: ServablePredictor, texts: list[str]) -> list[dict[str, Any] | None]:
    """One model call for ``texts`` (validated); one answer per text, as rows get in :func:`predict_rows`."""
    return answers_for(predictor.task, predictor.predict_proba(texts), len(texts))


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
        },
        "request_format": _request_format(recipe),
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": text_limits(config),
    }


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
