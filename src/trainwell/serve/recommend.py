"""``POST /recommend`` for a ratings model: the best items for one user, ranked with the serving engine.

Body: ``{"user": 196, "k": 10, "exclude": [242, 302], "candidates": null}``; answer: ``{"user": 196,
"known_user": true, "items": [{"item": 64, "score": 4.72}, ...]}``, best first. A user the model never saw
gets the average user's ranking (``known_user`` false). The ranking is
:func:`trainwell.collab.ranking.rank_items`, the same as ``CollabPredictor.recommend``, run on whichever engine
serves ``/predict`` (PyTorch or ONNX).

Instead of a user, ``{"from_items": [50, 172], "k": 10}`` ranks items for someone known only by the items
they chose (a new visitor's basket), as ``CollabPredictor.recommend_from_items`` does; the answer then holds
``from_items`` and ``known_items`` (how many of them the model knows) instead of ``user``, and each item's
``similarity`` to the basket (a factor model's pooled cosine) or ``score`` (EASE's probability). And
``{"similar_to": 50, "k": 10}`` lists an item's nearest neighbours, as ``CollabPredictor.similar_items`` does:
``{"similar_to": 50, "items": [{"item": 181, "similarity": 0.83}, ...]}``. And ``{"users": [196, 186], "k":
10}`` ranks for several users in one request (at most the server's ``max_rows``), each as ``user`` would, with
the same ``k``, ``exclude``, ``candidates`` and ``include_seen``: ``{"recommendations": [{"user": 196,
"known_user": true, "items": [...]}, ...]}``, in the order sent. Exactly one of ``user``, ``users``,
``from_items`` and ``similar_to`` is sent.

Those two read the model's item weights (factors, or EASE's item-to-item weights), which ``model.onnx`` does not
expose: on the ONNX backend they are answered by the PyTorch predictor of the same model directory, built from
``model.safetensors`` on first use (:class:`TorchCompanion`), so the answers are the PyTorch backend's. Only a
server given a predictor object without a model directory, or a model without item weights, cannot answer
them: a 501 says so.
"""

from __future__ import annotations

import inspect
import json
import threading
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

from trainwell.collab.ranking import rank_items, refuse_missing_id
from trainwell.core.errors import ConfigError, UserError
from trainwell.serve._content_type import require_json
from trainwell.serve._errors import error_body
from trainwell.serve.config import ServeConfig
from trainwell.serve.metrics import note_items
from trainwell.serve.schema import CategoricalValue, ErrorResponse

#: Most items one answer may hold, and most ids a request may list to exclude or rank.
MAX_K = 1000
MAX_IDS = 100_000


#: What a request may rank for: exactly one of these.
SUBJECTS = ("user", "users", "from_items", "similar_to")


def recommend_request_model(*, forbid_extra_fields: bool, max_users: int = 1000) -> type[BaseModel]:
    """The body of ``POST /recommend``; ``max_users``: most ids in ``users``."""
    return create_model(
        "RecommendRequest",
        __config__=ConfigDict(
            extra="forbid" if forbid_extra_fields else "ignore",
            json_schema_extra={"oneOf": [{"required": [name]} for name in SUBJECTS]},
        ),
        user=(
            CategoricalValue,
            Field(
                None,
                description="A user id as in the training ratings (or send users, from_items, or similar_to).",
                examples=[196],
            ),
        ),
        users=(
            list[CategoricalValue] | None,
            Field(
                None,
                min_length=1,
                max_length=max_users,
                description=f"Instead of a user: several users (at most {max_users}), each ranked as user is, "
                "with the same k, exclude, candidates and include_seen; answered as recommendations, in order.",
                examples=[[196, 186]],
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
        similar_to=(
            CategoricalValue,
            Field(
                None,
                description="Instead of a user: an item; lists the items most similar to it (the cosine of "
                "their learned item weights), as `trainwell recommend MODEL --similar-to ITEM` does.",
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
    request_type = recommend_request_model(
        forbid_extra_fields=config.forbid_extra_fields, max_users=config.max_rows
    )
    # A /predict row that leaves its user or item out gets the advice null gets (send both), not a table
    # model's "send null for a missing value" (trainwell.serve._errors).
    app.state.id_inputs = (predictor.recipe.user_col, predictor.recipe.item_col)
    companion = TorchCompanion(predictor)
    names: dict[str, str] | None = getattr(app.state, "item_names", None)
    companion.names = names

    def answer_for(user: Any, ranking: Any) -> dict[str, Any]:
        return {
            "user": user,
            "known_user": ranking.known_user,
            "seen_left_out": ranking.seen_left_out,
            "items": [
                {"item": item, **_name(names, item), "score": score}
                for item, score in zip(ranking.items, ranking.scores, strict=True)
            ],
        }

    def rank_all(users: list[Any], request: Any) -> list[Any]:
        options = {
            "exclude": request.exclude,
            "candidates": request.candidates,
            "include_seen": request.include_seen,
        }
        return [rank_items(predictor, user, request.k, **options) for user in users]

    async def recommend(body: Any, http: Request) -> Response:
        request: Any = body
        sent = [name for name in SUBJECTS if getattr(request, name) is not None]
        if not sent:
            problem = {
                "loc": ["user"],
                "msg": "send a user id, or users: a list of user ids, or from_items: a list of items, or "
                "similar_to: an item",
                "type": "missing",
            }
            return JSONResponse(error_body([problem]), status_code=422)
        if len(sent) > 1:
            sent_ones = ("both " if len(sent) == 2 else "") + ", ".join(sent[:-1]) + " and " + sent[-1]
            message = f"send one of user, users, from_items and similar_to, not {sent_ones}"
            problem = {"loc": [sent[-1]], "msg": message, "type": "conflict"}
            return JSONResponse(error_body([problem]), status_code=422)
        if request.from_items is not None:
            return await _from_items(companion, request)
        if request.similar_to is not None:
            return await _similar_to(companion, request)
        batch = request.users is not None
        users = list(request.users) if batch else [request.user]
        note_items(http.scope, len(users))
        known = list(predictor.recipe.users)
        for index, user in enumerate(users):
            # An empty user id is the user field's mistake; any other refusal below is the candidates'.
            try:
                refuse_missing_id(user, "user", "recommend", known)
            except UserError as error:
                return _refuse_at(["users", index] if batch else ["user"], str(error), "missing")
        try:
            rankings = await run_in_threadpool(rank_all, users, request)
        except UserError as error:
            problem = {"loc": ["candidates"], "msg": str(error), "type": "unknown_items"}
            return JSONResponse(error_body([problem]), status_code=422)
        answers = [answer_for(user, ranking) for user, ranking in zip(users, rankings, strict=True)]
        return _json({"recommendations": answers} if batch else answers[0])

    # The body type is built at run time; FastAPI reads it from the signature.
    recommend.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=request_type),
            inspect.Parameter("http", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        ],
        return_annotation=Response,
    )
    app.post(
        "/recommend",
        summary="Rank items for a user or a basket of items, or list an item's neighbours",
        description=(
            "The k items with the highest predicted score for the user, best first, leaving out `exclude`. With "
            "`users` instead of `user`: the same for each of them, as `recommendations`, in order. "
            "A user the model never saw gets the average user's ranking (known_user: false). With `from_items` "
            "instead of `user`: the items that go best with those (each with its `similarity` to them, the cosine of "
            "learned weights pooled; EASE: its `score`, a probability). With `similar_to`: the k items most similar "
            "to that item, by the cosine of their learned weights. Both are answered by PyTorch on either "
            "backend (on onnx, the model is built from model.safetensors on first use)."
        ),
        responses=_ERRORS,
        dependencies=[Depends(require_json)],
    )(recommend)


class TorchCompanion:
    """The PyTorch predictor of the served model, for the answers that read its item weights (``from_items``,
    ``similar_to``): the served predictor itself on the PyTorch backend; on the ONNX backend, the predictor
    ``trainwell.load`` builds from the same model directory, on first use (most servers never need it, and it
    holds a second copy of the weights). The server checked ``model.safetensors`` at start-up."""

    def __init__(self, predictor: Any) -> None:
        self._predictor = predictor if hasattr(predictor, "similar_items") else None
        self._model_dir = getattr(predictor, "model_dir", None)
        self._lock = threading.Lock()  # requests arriving together build it once
        self.names: dict[str, str] | None = (
            None  # the items' names the model directory keeps, for the answers
        )

    def get(self) -> Any | None:
        """The PyTorch predictor (built now if need be), or ``None`` without a model directory to build it
        from (a server given a predictor object)."""
        with self._lock:
            if self._predictor is None and self._model_dir is not None:
                from trainwell.export.predictor import load

                self._predictor = load(self._model_dir)
            return self._predictor


_ERRORS: dict[int | str, dict[str, Any]] = {
    415: {
        "model": ErrorResponse,
        "description": "The body is not sent as application/json (curl: -H 'Content-Type: application/json').",
    },
    422: {"model": ErrorResponse, "description": "A field is invalid or unknown; the message names it."},
    501: {
        "model": ErrorResponse,
        "description": "from_items or similar_to on a model (or server) that cannot answer it; the message "
        "says why.",
    },
}


def _name(names: dict[str, str] | None, item: Any) -> dict[str, str]:
    """``{"name": ...}`` for an item the model's stored names know (MovieLens' titles), else nothing."""
    if not names:
        return {}
    from trainwell.data.categories import category_key

    name = names.get(category_key(item))
    return {"name": name} if name is not None else {}


def _json(answer: dict[str, Any]) -> Response:
    return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")


def _refuse(field: str, message: str, kind: str, status: int = 422) -> Response:
    return _refuse_at([field], message, kind, status)


def _refuse_at(loc: list[Any], message: str, kind: str, status: int = 422) -> Response:
    return JSONResponse(error_body([{"loc": loc, "msg": message, "type": kind}]), status_code=status)


async def _torch_predictor(companion: TorchCompanion, field: str) -> Any:
    """The PyTorch predictor, or the 501 answer when there is none."""
    torch_predictor = await run_in_threadpool(companion.get)
    if torch_predictor is None:
        message = (
            f"{field} reads the model's item weights, which only the PyTorch model holds, and this server has "
            "no model directory to build it from; serve the model directory (trainwell serve MODEL_DIR)"
        )
        return _refuse(field, message, "not_implemented", 501)
    return torch_predictor


async def _from_items(companion: TorchCompanion, request: Any) -> Response:
    """The answer to a ``from_items`` request, or a 4xx/501 naming the field."""
    if request.candidates is not None:
        return _refuse(
            "candidates", "candidates work with a user; leave them out with from_items", "conflict"
        )
    predictor = await _torch_predictor(companion, "from_items")
    if isinstance(predictor, Response):
        return predictor
    try:
        table = await run_in_threadpool(
            predictor.recommend_from_items, request.from_items, request.k, exclude=request.exclude
        )
    except ConfigError as error:  # no item weights: the model cannot answer this at all
        return _refuse("from_items", str(error), "not_implemented", 501)
    except UserError as error:
        return _refuse("from_items", str(error), "unknown_items")
    known = int((predictor.recipe.item_codes(request.from_items) > 0).sum())
    item_col = predictor.recipe.item_col
    measure = (
        "similarity" if "similarity" in table.columns else "score"
    )  # factors' cosine; EASE's probability
    return _json(
        {
            "from_items": request.from_items,
            "known_items": known,
            "items": [
                {"item": item, **_name(companion.names, item), measure: float(value)}
                for item, value in zip(table[item_col].tolist(), table[measure].tolist(), strict=True)
            ],
        }
    )


async def _similar_to(companion: TorchCompanion, request: Any) -> Response:
    """The answer to a ``similar_to`` request: the item's neighbours as ``similar_items`` lists them."""
    for field, given in (
        ("candidates", request.candidates is not None),
        ("exclude", bool(request.exclude)),
        ("include_seen", request.include_seen),
    ):
        if given:
            message = f"{field} works with a user (or from_items); leave it out with similar_to"
            return _refuse(field, message, "conflict")
    predictor = await _torch_predictor(companion, "similar_to")
    if isinstance(predictor, Response):
        return predictor
    try:
        table = await run_in_threadpool(predictor.similar_items, request.similar_to, request.k)
    except ConfigError as error:  # no item weights to compare
        return _refuse("similar_to", str(error), "not_implemented", 501)
    except UserError as error:
        return _refuse("similar_to", str(error), "unknown_item")
    item_col = predictor.recipe.item_col
    return _json(
        {
            "similar_to": request.similar_to,
            "items": [
                {"item": item, **_name(companion.names, item), "similarity": float(similarity)}
                for item, similarity in zip(
                    table[item_col].tolist(), table["similarity"].tolist(), strict=True
                )
            ],
        }
    )
