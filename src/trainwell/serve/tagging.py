"""Serving taggers: ``POST /predict`` with ``{"texts": [...]}`` returns each text's words, their tags and the
entities they mark, with character offsets into the text; ``GET /metadata`` lists the tags.

Sentences already split into words (a CoNLL file's) go as ``{"words": [["1.", "Jesper", ...], ...]}`` instead:
the server does not split them again (it would split ``1.`` into ``1`` and ``.``), so the answer's ``words`` are
those sent and its ``tags`` line up with them, one each, as ``TaggerPredictor.tag`` gives for lists of words.
There is no text to point into, so an entity's ``char_start`` and ``char_end`` are null: its ``start`` and
``end`` are word indices into the sentence, and its ``text`` is its words joined by single spaces.

A text that is empty or only spaces is answered with no words and no tags and a ``note`` saying so, as
``trainwell predict`` skips a blank line and ``TaggerPredictor.tag`` answers an empty sentence: the other texts
of the request are still tagged. A text of more than ``LONG_SENTENCE_WORDS`` words gets a ``note`` too: it was
tagged as one sentence. A tagger whose tags mark no entities (part of speech) answers no ``entities`` field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model, model_validator
from pydantic_core import PydanticCustomError

from trainwell.serve.config import ServeConfig

#: The note on the answer to a text with no word in it.
EMPTY_TEXT_NOTE = "the text is empty or only spaces: no words to tag"

#: A word as the tagger reads it: some characters, none of them a space. Python counts \x1c-\x1f and \x85 as
#: spaces (``str.isspace``, which the predictor checks); JSON Schema's and pydantic's ``\s`` do not all agree.
Word = Annotated[str, StringConstraints(pattern=r"^[^\s\x1c-\x1f\x85]+$", strict=True)]


def tagging_request_model(*, max_sentences: int, forbid_extra_fields: bool) -> type[BaseModel]:
    """``{"texts": ["...", ...]}`` or ``{"words": [["...", ...], ...]}``: exactly one of the two, with 1 to
    ``max_sentences`` sentences (a 422 names ``texts.N``, ``words.N`` or ``words.N.M`` otherwise)."""

    def one_of_the_two(request: Any) -> Any:
        sent = [name for name in ("texts", "words") if getattr(request, name) is not None]
        if len(sent) == 2:
            raise PydanticCustomError("texts_and_words", "send either texts or words, not both")
        if not sent:
            raise PydanticCustomError(
                "texts_or_words_missing",
                "send texts (raw strings, split into words here) or words (sentences already split into words)",
            )
        return request

    return create_model(
        "TaggingRequest",
        __config__=ConfigDict(
            extra="forbid" if forbid_extra_fields else "ignore",
            json_schema_extra={"oneOf": [{"required": ["texts"]}, {"required": ["words"]}]},
        ),
        __validators__={"one_of_the_two": model_validator(mode="after")(one_of_the_two)},  # type: ignore[dict-item]
        # Not nullable: a field is sent or left out (the default None only marks it as not sent).
        texts=(
            list[Annotated[str, StringConstraints(strict=True)]],
            Field(
                None,
                min_length=1,
                max_length=max_sentences,
                description=f"The texts to tag, 1 to {max_sentences}, each one sentence. They are split into words "
                "as the training data was (HTML tags such as <br /> read as spaces). An empty text (or only "
                "spaces) is answered with no words and a note; the others are tagged.",
                examples=[["Mary works for Siemens in New York."]],
            ),
        ),
        words=(
            list[Annotated[list[Word], Field(min_length=1)]],
            Field(
                None,
                min_length=1,
                max_length=max_sentences,
                description=f"Instead of texts: 1 to {max_sentences} sentences already split into words (each "
                "word non-empty, without spaces). They are tagged as given, one tag per word; entities then "
                "have word indices (start, end) but no character offsets.",
                examples=[[["1.", "Jesper", "Ronnback", "(", "Sweden", ")"]]],
            ),
        ),
    )


def predict_tagged(predictor: Any, sentences: list[str | list[str]]) -> list[dict[str, Any] | None]:
    """One model call for ``sentences`` (validated: texts, or lists of words); one answer per sentence, with a
    ``note`` for an empty text (answered with no words) or one tagged as a single long sentence."""
    from trainwell.text.tagging.predictor import LONG_SENTENCE_WORDS, long_text_note

    answers = []
    for sentence, tagged in zip(sentences, predictor.tag_named(sentences), strict=True):
        answer = tagged.to_dict()
        if isinstance(sentence, str) and not tagged.words:
            answer["note"] = EMPTY_TEXT_NOTE
        elif isinstance(sentence, str) and len(tagged.words) > LONG_SENTENCE_WORDS:
            answer["note"] = long_text_note(len(tagged.words))
        answers.append(answer)
    return answers


def tagging_response_model(classes: list[str]) -> type[BaseModel]:
    """``{"predictions": [{"words", "tags", "entities"}, ...]}``, one entry per sentence, in order."""
    entity = create_model(
        "Entity",
        type=(str, Field(description="The entity's type, e.g. PER.")),
        text=(
            str,
            Field(description="The entity as written in the text (words sent: its words joined by spaces)."),
        ),
        start=(int, Field(description="Index of its first word in words.")),
        end=(int, Field(description="Index after its last word in words.")),
        char_start=(
            int | None,
            Field(description="Offset of its first character in the text; null when words were sent."),
        ),
        char_end=(
            int | None,
            Field(description="Offset after its last character; null when words were sent."),
        ),
        confidence=(
            float,
            Field(description="Its least sure word's probability of its tag.", ge=0.0, le=1.0),
        ),
    )
    item = create_model(
        "TaggedText",
        words=(
            list[str],
            Field(description="The text split into words as the training data was, or the words sent."),
        ),
        tags=(
            list[str],
            Field(description="One tag per word.", json_schema_extra={"items": {"enum": list[Any](classes)}}),
        ),
        confidences=(
            list[float],
            Field(description="Each word's probability of its tag over all tag paths."),
        ),
        entities=(  # type: ignore[arg-type]
            list[entity] | None,  # type: ignore[valid-type]
            Field(
                None,
                description="Entities the tags mark (IOB or IOBES tags); left out when the tags mark none "
                "(part-of-speech tags).",
            ),
        ),
        note=(
            str | None,
            Field(
                None,
                description="Sent only when something about this text is worth saying: it was empty (no words, "
                "no tags), or so long that it was tagged as one sentence.",
            ),
        ),
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
        "request_format": '{"texts": ["...", ...]} or {"words": [["...", ...], ...]}',
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": text_limits(config),
    }
