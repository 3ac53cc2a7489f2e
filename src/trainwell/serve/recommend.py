"""``POST /recommend`` for a ratings model: the best items for one user, ranked with the serving engine.

Body: ``{"user": 196, "k": 10, "exclude": [242, 302], "candidates": null}``; answer: ``{"user": 196,
"known_user": true, "items": [{"item": 64, "score": 4.72}, ...]}``, best first. A user the model never saw
gets the average user's ranking (``known_user`` false). The ranking is
:func:`trainwell.collab.ranking.rank_items`, the same as ``CollabPredictor.recommend``, run on whichever engine
serves ``/predict`` (PyTorch or ONNX).

Instead of a user, ``{"from_items": [50, 172], "k": 10}`` ranks items for someone known only by the items
they chose (a new visitor's basket), as ``CollabPredictor.recommend_from_items`` does; the answer then holds
``from_items`` and ``known_items`` (how many of them the model knows) instead of ``user``. It needs the
PyTorch backend, which holds the item factors.
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
        user=(
            CategoricalValue,
            Field(
                None, description="A user id as in the training ratings (or send from_items).", examples=[196]
            ),
        ),
        from_items=(
            list[CategoricalValue] | None,
            Field(
                None,
                min_length=1,
                max_length=MAX_IDS,
                description="Instead of a user: items someone chose (a basket); ranks what goes with them.",
            ),
        ),
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
        include_seen=(
            bool,
            Field(
                False,
                description="Keep the items the user already chose in the data the model was fitted on. They "
                "are left out by default (seen_left_out in the answer counts them).",
            ),
        ),
    )


def add_recommend_route(app: FastAPI, predictor: Any, config: ServeConfig) -> None:
    """Register ``POST /recommend`` on ``app`` for the ratings model ``predictor``."""
    request_type = recommend_request_model(forbid_extra_fields=config.forbid_extra_fields)

    async def recommend(body: Any) -> Response:
        request: Any = body
        if request.from_items is not None:
            return await _from_items(predictor, request)
        if request.user is None:
            problem = {
                "loc": ["user"],
                "msg": "send a user id, or from_items: a list of items",
                "type": "missing",
            }
            return JSONResponse(error_body([problem]), status_code=422)
        try:
            ranking = await run_in_threadpool(
                rank_items,
                predictor,
                request.user,
                request.k,
                exclude=request.exclude,
                candidates=request.candidates,
                include_seen=request.include_seen,
            )
        except UserError as error:
            problem = {"loc": ["candidates"], "msg": str(error), "type": "unknown_items"}
            return JSONResponse(error_body([problem]), status_code=422)
        answer = {
            "user": request.user,
            "known_user": ranking.known_user,
            "seen_left_out": ranking.seen_left_out,
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
        summary="Rank items for a user, or for a basket of items",
        description=(
            "The k items with the highest predicted score for the user, best first, leaving out `exclude`. "
            "A user the model never saw gets the average user's ranking (known_user: false). With `from_items` "
            "instead of `user`: the items that go best with those (PyTorch backend)."
        ),
    )(recommend)


async def _from_items(predictor: Any, request: Any) -> Response:
    """The answer to a ``from_items`` request, or a 422 naming the field."""

    def refuse(field: str, message: str, kind: str) -> Response:
        return JSONResponse(error_body([{"loc": [field], "msg": message, "type": kind}]), status_code=422)

    if request.user is not None:
        return refuse("from_items", "send a user or from_items, not both", "conflict")
    if request.candidates is not None:
        return refuse("candidates", "candidates work with a user; leave them out with from_items", "conflict")
    if not hasattr(predictor, "recommend_from_items"):
        message = "from_items needs the item factors, which the ONNX graph does not hold: serve with --backend torch"
        return refuse("from_items", message, "unsupported")
    try:
        table = await run_in_threadpool(
            predictor.recommend_from_items, request.from_items, request.k, exclude=request.exclude
        )
    except UserError as error:
        return refuse("from_items", str(error), "unknown_items")
    known = int((predictor.recipe.item_codes(request.from_items) > 0).sum())
    item_col = predictor.recipe.item_col
    answer = {
        "from_items": request.from_items,
        "known_items": known,
        "items": [
            {"item": item, "score": float(score)}
            for item, score in zip(table[item_col].tolist(), table["score"].tolist(), strict=True)
        ],
    }
    return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")
