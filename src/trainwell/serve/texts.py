"""Serving text classifiers: the request body ``{"texts": [...]}``, one model call per batch, ``GET /metadata``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import torch
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from trainwell.serve.config import ServeConfig
from trainwell.serve.predictions import ServablePredictor, answers_for

#: A text must hold something besides whitespace: an empty review has nothing to classify.
NonBlankText = Annotated[str, StringConstraints(pattern=r"\S", strict=True)]


def texts_request_model(
    *, max_texts: int, forbid_extra_fields: bool, fields: Sequence[str] = ()
) -> type[BaseModel]:
    """``{"texts": ["...", ...]}`` with 1 to ``max_texts`` non-blank strings (a 422 names ``texts.N`` otherwise);
    for a model of several text columns (``fields``, a pair), each item is a list of one text a field:
    ``{"texts": [["first", "second"], ...]}``."""
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
    return create_model(
        "TextsRequest",
        __config__=ConfigDict(extra="forbid" if forbid_extra_fields else "ignore"),
        texts=(
            list[item],  # type: ignore[valid-type]
            Field(min_length=1, max_length=max_texts, description=description, examples=[example]),
        ),
    )


def predict_texts(predictor: ServablePredictor, texts: list[str]) -> list[dict[str, Any] | None]:
    """One model call for ``texts`` (validated); one answer per text, as rows get in :func:`predict_rows`."""
    return answers_for(predictor.task, torch.as_tensor(predictor.predict_proba(texts)), len(texts))


def text_metadata(predictor: ServablePredictor, config: ServeConfig, *, backend: str) -> dict[str, Any]:
    """The body of ``GET /metadata`` for a text model."""
    from trainwell.serve.predictions import _metrics, _task_info, _versions

    recipe = predictor.recipe
    tokenizer = recipe.tokenizer.get("kind", "word") if isinstance(recipe.tokenizer, dict) else "word"
    return {
        "application": "text",
        "backend": backend,
        "task": _task_info(predictor.task),
        "text": {
            "column": recipe.text_col,
            **({"fields": list(recipe.fields)} if getattr(recipe, "fields", ()) else {}),
            "tokenizer": tokenizer,
            "vocabulary": len(recipe.vocab),
            "max_len": recipe.max_len,
        },
        "request_format": (
            '{"texts": [[' + ", ".join(f'"<{name}>"' for name in recipe.fields) + "], ...]}"
            if getattr(recipe, "fields", ())
            else '{"texts": ["...", ...]}'
        ),
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": text_limits(config),
    }


def text_limits(config: ServeConfig) -> dict[str, Any]:
    """The ``limits`` of ``GET /metadata`` for models that take texts."""
    return {
        "max_texts": config.max_rows,
        "max_body_bytes": config.max_body_bytes,
        "max_batch": config.max_batch,
        "batch_wait_ms": config.batch_wait_ms,
        "forbid_extra_fields": config.forbid_extra_fields,
    }
