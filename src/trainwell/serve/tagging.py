"""Serving taggers: ``POST /predict`` with ``{"texts": [...]}`` returns each text's words, their tags and the
entities they mark, with character offsets into the text; ``GET /metadata`` lists the tags."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model

from trainwell.serve.config import ServeConfig


def predict_tagged(predictor: Any, texts: list[str]) -> list[dict[str, Any] | None]:
    """One model call for ``texts`` (validated); one answer per text."""
    return [tagged.to_dict() for tagged in predictor.tag(texts)]


def tagging_response_model(classes: list[str]) -> type[BaseModel]:
    """``{"predictions": [{"words", "tags", "entities"}, ...]}``, one entry per text, in order."""
    entity = create_model(
        "Entity",
        type=(str, Field(description="The entity's type, e.g. PER.")),
        text=(str, Field(description="The entity as written in the text.")),
        start=(int, Field(description="Index of its first word.")),
        end=(int, Field(description="Index after its last word.")),
        char_start=(int | None, Field(description="Offset of its first character in the text.")),
        char_end=(int | None, Field(description="Offset after its last character.")),
        confidence=(
            float,
            Field(description="Its least sure word's probability of its tag.", ge=0.0, le=1.0),
        ),
    )
    item = create_model(
        "TaggedText",
        words=(list[str], Field(description="The text split into words as the training data was.")),
        tags=(
            list[str],
            Field(description="One tag per word.", json_schema_extra={"items": {"enum": list[Any](classes)}}),
        ),
        confidences=(
            list[float],
            Field(description="Each word's probability of its tag over all tag paths."),
        ),
        entities=(list[entity], Field(description="Entities the tags mark (empty for part-of-speech tags).")),  # type: ignore[valid-type]
    )
    return create_model("TaggingResponse", predictions=(list[item], ...))  # type: ignore[valid-type]


def tagging_metadata(predictor: Any, config: ServeConfig, *, backend: str) -> dict[str, Any]:
    """The body of ``GET /metadata`` for a tagger."""
    from trainwell.serve.predictions import _metrics, _task_info, _versions
    from trainwell.serve.texts import text_limits

    recipe = predictor.recipe
    return {
        "application": "text",
        "backend": backend,
        "task": {**_task_info(predictor.task), "scheme": predictor.task.extra.get("scheme", "none")},
        "text": {
            "tag_column": recipe.tag_col,
            "vocabulary": len(recipe.words),
            "characters": len(recipe.chars),
        },
        "request_format": '{"texts": ["...", ...]}',
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": text_limits(config),
    }
