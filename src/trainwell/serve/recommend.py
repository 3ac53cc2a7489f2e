"""``POST /recommend`` for a ratings model: the best items for one user, ranked with the serving engine.

Body: ``{"user": 196, "k": 10, "exclude": [242, 302], "candidates": null}``; answer: ``{"user": 196,
"known_user": true, "items": [{"item": 64, "score": 4.72}, ...]}``, best first. A user the model never saw
gets the average user's ranking (``known_user`` false). The ranking is
:func:`trainwell.collab.ranking.rank_items`, the same as ``CollabPredictor.recommend``, run on whichever engine
serves ``/predict`` (PyTorch or ONNX).
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

from trainwell.collab.ranking import rank_items
from trainwell.core.errors import UserError
from trainwell.serve._errors import error_body
from trainwell.serve.config import ServeConfig
from trainwell.serve.schema import CategoricalValue

#: Most items one answer may hold, and most ids a request may list to exclude or rank.
MAX_K = 1000
MAX_IDS = 100_000


def recommend_request_model(*, forbid_extra_fields: bool) -> type[BaseModel]:
    """The body of ``POST /recommend``."""
    return create_model(
        "RecommendRequest",
        __config__=ConfigDict(extra="forbid" if forbid_extra_fields else "ignore"),
        user=(CategoricalValue, Field(description="A user id as in the training ratings.", examples=[196])),
        k=(int, Field(10, ge=1, le=MAX_K, description=f"How many items to return, 1 to {MAX_K}.")),
        exclude=(
            list[CategoricalValue],
            Field(
                default_factory=list, max_length=MAX_IDS, description="Items to leave out (already rated)."
            ),
        ),
        candidates=(
            list[CategoricalValue] | None,
            Field(None, max_length=MAX_IDS, description="Rank only these items (default: every item)."),
        ),
    )


def add_recommend_route(app: FastAPI, predictor: Any, config: ServeConfig) -> None:
    """Register ``POST /recommend`` on ``app`` for the ratings model ``predictor``."""
    request_type = recommend_request_model(forbid_extra_fields=config.forbid_extra_fields)

    async def recommend(body: Any) -> Response:
        request: Any = body
        try:
            ranking = await run_in_threadpool(
                rank_items,
                predictor,
                request.user,
                request.k,
                exclude=request.exclude,
                candidates=request.candidates,
            )
        except UserError as error:
            problem = {"loc": ["candidates"], "msg": str(error), "type": "unknown_items"}
            return JSONResponse(error_body([problem]), status_code=422)
        answer = {
            "user": request.user,
            "known_user": ranking.known_user,
            "items": [
                {"item": item, "score": score}
                for item, score in zip(ranking.items, ranking.scores, strict=True)
            ],
        }
        return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")

    # The body type is built at run time; FastAPI reads it from the signature.
    recommend.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=request_type)],
        return_annotation=Response,
    )
    app.post(
        "/recommend",
        summary="Rank items for a user",
        description=(
            "The k items with the highest predicted score for the user, best first, leaving out `exclude`. "
            "A user the model never saw gets the average user's ranking (known_user: false)."
        ),
    )(recommend)
