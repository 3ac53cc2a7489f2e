"""Serving a language model: ``POST /generate`` continues a prompt, ``POST /score`` says how likely the model
finds each of some texts, ``GET /metadata`` and ``GET /health`` as for every model.

The model carries a hidden state from call to call, so calls take turns on it (one lock): a generation is a
loop of small calls that cannot share a batch with another request's. Scoring reads each text from a fresh
state, so concurrent ``/score`` requests are merged into one call (:mod:`trainwell.serve.batching`, up to
``max_batch`` texts), which pads texts of similar length together. The work runs in threads, so the event loop
keeps answering (``/health`` included) while a long generation runs.

What the answers and the schema say of unknown words follows the model: words not in its vocabulary read as its
own unknown-word token (PTB's ``<unk>``, else ``xxunk``), and the corpus's own ``<unk>`` a text writes is a token
the model knows, never counted as unknown (:func:`trainwell.text.lm_predictor.unknown_by_text`).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

import trainwell
from trainwell.serve._content_type import require_json
from trainwell.serve._errors import install_error_handlers
from trainwell.serve._middleware import TICKET_KEY, AnnouncePredictions, BodySizeLimit, RequestId, UnreadQuery
from trainwell.serve.batching import MicroBatcher
from trainwell.serve.config import ServeConfig
from trainwell.serve.docs_page import install_docs
from trainwell.serve.metrics import note_items
from trainwell.serve.schema import ErrorResponse
from trainwell.serve.texts import NonBlankText, is_blank, text_limits, texts_request_model

#: Most tokens one ``/generate`` request may ask for.
MAX_WORDS = 1000
#: The 404 of paths that other models serve: ``trainwell predict lm`` exists, ``POST /predict`` does not.
PATH_HINTS = {
    "/predict": "a language model has no /predict; POST texts to /score for how likely the model finds each "
    '(what `trainwell predict` gives: {"texts": ["...", ...]}), or a prompt to /generate to continue it',
}


def _generate_request(forbid_extra_fields: bool) -> type[BaseModel]:
    return create_model(
        "GenerateRequest",
        __config__=ConfigDict(extra="forbid" if forbid_extra_fields else "ignore"),
        prompt=(NonBlankText, Field(description="The text to continue.", examples=["the market"])),
        n_words=(
            int,
            Field(default=50, ge=1, le=MAX_WORDS, description=f"Tokens to sample, 1 to {MAX_WORDS}."),
        ),
        temperature=(
            float,
            Field(
                default=1.0,
                ge=0.0,
                le=10.0,
                description="0: always the likeliest token; higher: more varied.",
            ),
        ),
        top_k=(
            int | None,
            Field(default=None, ge=1, description="Sample among the k likeliest tokens only."),
        ),
        top_p=(
            float | None,
            Field(
                default=None,
                gt=0.0,
                le=1.0,
                description="Sample among the likeliest tokens that hold this share of the probability (nucleus).",
            ),
        ),
        seed=(int | None, Field(default=None, description="The same seed and prompt give the same text.")),
    )


def _unknown_words_said(recipe: Any) -> dict[str, str]:
    """What the docs page (``"app"``), ``/generate``'s ``unknown_words`` and ``/score``'s ``unknown`` say of
    unknown words, with the model's own token (a PTB model's ``<unk>``) and the rule of ``trainwell predict`` and
    ``generate``: the schema said "words outside the vocabulary" and the answers counted PTB's own ``<unk>``."""
    from trainwell.text.lm_predictor import corpus_marker_sentence, read_as_unknown

    token = recipe.unknown_token
    if recipe.tokenizer_name == "char":  # every character a token: only a character never met is unknown
        unseen = f"characters training never met are {read_as_unknown(token, plural=True)}"
        return {
            "app": f"Each character is a token; {unseen} (/score counts them: unknown).",
            "unknown_words": "The prompt's characters training never met (read as the unknown token).",
            "unknown": f"Of those, characters: {unseen}.",
        }
    if recipe.tokenizer_name == "subword":  # pieces spell every word: only an unseen character is unknown
        pieces = f"characters training never met are {read_as_unknown(token, plural=True)}"
        return {
            "app": f"Its subword pieces spell every word; {pieces} (/score counts them: unknown).",
            "unknown_words": "Always empty for this model: its subword pieces spell every word.",
            "unknown": f"Of those, pieces for {pieces}.",
        }
    return {
        "app": (
            f"Words {read_as_unknown(token, plural=True)}; /generate names the prompt's (unknown_words) and /score "
            f"counts each text's (unknown). {corpus_marker_sentence(recipe, 'a prompt or text')}"
        ).strip(),
        "unknown_words": (
            f"The prompt's words {read_as_unknown(token, plural=True)}, so the continuation cannot follow them; "
            f"each once, in the prompt's order. {corpus_marker_sentence(recipe, 'the prompt', 'not one of them')}"
        ).strip(),
        "unknown": (
            f"Of those, words {read_as_unknown(token, plural=True)}. "
            f"{corpus_marker_sentence(recipe, 'a text', 'not counted here')}"
        ).strip(),
    }


#: ``/score``'s answer to a text empty or only spaces: nothing predicted (the sum of no log-probabilities is 0).
EMPTY_SCORE: dict[str, Any] = {
    "tokens": 0,
    "unknown": 0,
    "log_prob": 0.0,
    "perplexity": None,
    "note": "the text is empty or only spaces: nothing to score",
}


def _response_models(said: dict[str, str]) -> tuple[type[BaseModel], type[BaseModel]]:
    """``/generate``'s and ``/score``'s answers, their unknown-word fields described as ``said``
    (:func:`_unknown_words_said`)."""
    generate_response = create_model(
        "GenerateResponse",
        text=(str, Field(description="The prompt as sent, then the sampled continuation.")),
        unknown_words=(list[str], Field(default=[], description=said["unknown_words"])),
    )
    text_score = create_model(
        "TextScore",
        tokens=(int, Field(description="Tokens predicted: all but the text's first.")),
        unknown=(int, Field(description=said["unknown"])),
        log_prob=(float, Field(description="Their total natural log-probability.")),
        perplexity=(
            float | None,
            Field(description="exp(-log_prob / tokens); null for a text of one token (or an empty one)."),
        ),
        note=(
            str | None,
            Field(
                None,
                description="Sent only for a text that is empty or only spaces: nothing was scored (0 tokens); "
                "the request's other texts were.",
            ),
        ),
    )
    score_response = create_model("ScoreResponse", scores=(list[text_score], ...))  # type: ignore[valid-type]
    return generate_response, score_response


def score_rows(predictor: Any, lock: threading.Lock, texts: Sequence[str]) -> list[dict[str, Any]]:
    """One ``/score`` answer per text (the batch function of the server's batcher), with the model's lock; a
    blank text's is :data:`EMPTY_SCORE` (no token to predict), as a classifier answers it with a note."""
    kept = [index for index, text in enumerate(texts) if not is_blank(text)]
    answers: list[dict[str, Any]] = [dict(EMPTY_SCORE) for _ in texts]
    if kept:
        with lock:
            table = predictor.score_texts([texts[index] for index in kept])
        for index, row in zip(kept, table.itertuples(), strict=True):
            answers[index] = {
                "tokens": int(row.tokens),
                "unknown": int(row.unknown),
                "log_prob": float(row.log_prob),
                "perplexity": None if math.isnan(row.perplexity) else float(row.perplexity),
            }
    return answers


def create_lm_app(predictor: Any, config: ServeConfig) -> FastAPI:
    """The application serving the language model of ``predictor`` (an ``LMPredictor``).

    ``app.state.batcher`` and ``app.state.batch_stats`` are those of ``/score``."""
    from trainwell.serve.app import server_batcher

    lock = threading.Lock()  # the model's hidden state serves one call at a time
    said = _unknown_words_said(predictor.recipe)  # the model's own unknown-word token, in every description
    batcher: MicroBatcher[str, dict[str, Any]] = server_batcher(partial(score_rows, predictor, lock), config)

    app = FastAPI(
        title="trainwell model: a language model",
        version=trainwell.__version__,
        description=(
            "A trainwell language model. POST a prompt to /generate as JSON "
            '{"prompt": "...", "n_words": 50} for a continuation; POST texts to /score as {"texts": ["...", ...]} '
            "for how likely the model finds each. GET /metadata lists the vocabulary and the limits. "
            f"{said['app']}"
        ),
        lifespan=batcher.lifespan,
        docs_url=None,  # Swagger UI loads its scripts from a CDN: /docs is drawn here instead
        redoc_url=None,
    )
    install_docs(app)
    app.state.predictor, app.state.config, app.state.backend = predictor, config, "torch"
    app.state.batcher, app.state.batch_stats = batcher, batcher.stats
    app.state.path_hints = PATH_HINTS
    install_error_handlers(app)
    app.add_middleware(AnnouncePredictions, batcher=batcher, path="/score")  # type: ignore[arg-type]
    app.add_middleware(BodySizeLimit, max_body_bytes=config.body_limit("text"), items="texts")  # type: ignore[arg-type]
    app.add_middleware(UnreadQuery)  # type: ignore[arg-type]
    app.add_middleware(RequestId)  # type: ignore[arg-type]
    metadata = lm_metadata(predictor, config)
    app.state.metadata = metadata  # create_app adds the model's identity to its versions

    @app.get("/health", summary="Liveness: the model is loaded")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metadata", summary="Task, tokenizer, vocabulary, cache pointer, metrics, versions and limits")
    async def get_metadata() -> dict[str, Any]:
        return metadata

    from trainwell.serve.app import answer_head  # app imports this module on first use: no cycle at import

    answer_head(app, "/health", health)
    answer_head(app, "/metadata", get_metadata)

    generate_request = _generate_request(config.forbid_extra_fields)
    from trainwell.text.lm_predictor import generate_text, unknown_prompt_words

    def generate_locked(body: Any) -> str:
        with lock:
            return str(
                generate_text(
                    predictor.model,
                    predictor.recipe,
                    body.prompt,
                    body.n_words,
                    temperature=body.temperature,
                    top_k=body.top_k,
                    top_p=body.top_p,
                    seed=body.seed,
                )
            )

    generate_response, score_response = _response_models(said)

    async def generate(body: Any) -> Any:
        # Answered in a field rather than warned in the server's log (LMPredictor.generate warns its caller).
        unknown, _ = unknown_prompt_words(predictor.recipe, body.prompt)
        return generate_response(text=await run_in_threadpool(generate_locked, body), unknown_words=unknown)

    generate.__annotations__["body"] = generate_request
    app.post(
        "/generate",
        summary="Continue a prompt",
        response_model=generate_response,
        responses=_ERRORS,
        dependencies=[Depends(require_json)],
    )(generate)

    score_request = texts_request_model(
        max_texts=config.max_rows,
        forbid_extra_fields=config.forbid_extra_fields,
        blank_notes=True,
        verb="score",
    )

    async def score(request: Request, body: Any) -> Response:
        note_items(request.scope, len(body.texts))
        scores = await batcher.submit(list(body.texts), request.scope.get(TICKET_KEY))
        content = json.dumps({"scores": scores}, allow_nan=False, separators=(",", ":"))
        return Response(content, media_type="application/json")

    score.__annotations__["body"] = score_request
    app.post(
        "/score",
        summary="Score texts",
        description="How likely the model finds each text, read on its own from a fresh state; in order.",
        response_model=score_response,
        responses=_ERRORS,
        dependencies=[Depends(require_json)],
    )(score)
    return app


_ERRORS: dict[int | str, dict[str, Any]] = {
    415: {
        "model": ErrorResponse,
        "description": "The body is not sent as application/json (curl: -H 'Content-Type: application/json').",
    },
}


def lm_metadata(predictor: Any, config: ServeConfig) -> dict[str, Any]:
    """The body of ``GET /metadata`` for a language model."""
    from trainwell.serve.predictions import _metrics, _versions

    recipe = predictor.recipe
    return {
        "application": "text",
        "backend": "torch",
        "task": {"kind": "language_model"},
        "text": {
            "tokenizer": recipe.tokenizer_name,
            "vocabulary": len(recipe.vocab),
            # What a word outside the vocabulary reads as, and the corpus's own marker that is no unknown word.
            "unknown_token": recipe.unknown_token,
            "unknown_marker": recipe.unknown_marker,
        },
        "cache_pointer": recipe.cache.to_dict() if recipe.cache is not None else None,
        "request_format": {
            "/generate": '{"prompt": "...", "n_words": 50, "temperature": 1.0, "top_k": null, "top_p": null, "seed": null}',
            "/score": '{"texts": ["...", ...]}',
        },
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": {**text_limits(config), "max_words": MAX_WORDS},
    }
