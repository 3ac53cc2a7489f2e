"""Test-time augmentation in the server, as ``trainwell predict --tta`` does it.

A request to an image model may send ``"tta": true`` (JSON) or the form field ``tta=true`` (multipart): each of
its images is then answered with its probabilities (a regression: its predicted number) blended over views of it,
by the code ``predict --tta`` runs (:func:`~trainwell.vision.transform.tta_probabilities`: the plain view half,
and shifted or augmented views as the model was trained). ``trainwell serve --tta`` (``create_app(tta=True)``)
makes it the default, which a request's ``"tta": false`` turns off for itself. It costs a forward per view (five
on the default views): a server with ``--tta`` answers about five times fewer images a second.

On the onnx backend the views run through ``model.onnx`` (a graph is a function of the pixels like the PyTorch
model), so both backends give the same answers, as they do without it. A table, text or ratings model has no
images to view: ``"tta": true`` is refused in one line (422), as ``--tta`` is at start-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from trainwell.data.task import Task
from trainwell.data.tta import tta_refusal  # said alike by the ONNX predictor and trainwell predict

__all__ = ["describe_server_tta", "tta_doc", "tta_predict_proba", "tta_problem", "tta_refusal", "with_tta"]

#: What a request field, form field or ``/metadata`` calls it.
FIELD = "tta"


def tta_problem(task: Task, wanted: bool | None, application: str | None) -> dict[str, Any] | None:
    """The 422 problem of a request asking ``"tta": true`` of a model that cannot do it, else ``None``
    (``false`` asks for nothing and passes)."""
    if not wanted:
        return None
    refusal = tta_refusal(task, application)
    if refusal is None:
        return None
    return {"loc": [FIELD], "msg": refusal, "type": "tta_not_available"}


def tta_doc() -> str:
    """The description of an image model's request field ``tta``."""
    return (
        "Optional. true: each image's answer is its probabilities (a regression: its number) blended over views "
        "of it (shifts, mirror images or training augmentations: GET /metadata tta.views says which), as "
        "trainwell predict --tta gives them; about five model calls an image. false: the plain answer. Left out: "
        "the server's default (GET /metadata: tta.default; trainwell serve --tta)."
    )


def with_tta(request_type: type[BaseModel], application: str | None) -> type[BaseModel]:
    """``request_type`` (a JSON body of ``POST /predict``) with the optional boolean field ``tta``.

    An image model's schema documents it (:func:`tta_doc`). Any other model's leaves it out of the schema yet
    reads it, so that ``true`` is refused with a 422 that says why (:func:`tta_problem`) rather than as an
    unknown field, or silently ignored where unknown fields are. ``null`` is no boolean: leave it out.
    """
    if application == "vision":
        field: Any = (bool, Field(None, strict=True, description=tta_doc(), examples=[True]))
    else:
        field = (SkipJsonSchema[bool], Field(None, strict=True))
    return create_model(request_type.__name__, __base__=request_type, tta=field)


def tta_predict_proba(predictor: Any, pixels: np.ndarray) -> Any:
    """Activated outputs of ``uint8`` images ``(N, C, H, W)`` at the training size, blended over their views:
    the predictor's own ``predict_proba(tta=True)`` on both backends (the ONNX predictor runs the views through
    ``model.onnx``, :meth:`~trainwell.export.onnx_predictor.OnnxPredictor.predict_proba`)."""
    return predictor.predict_proba(pixels, tta=True)


def describe_server_tta(predictor: Any) -> str:
    """What ``"tta": true`` averages for this model, in the words ``trainwell predict --tta`` prints: from the
    recorded augmentation's settings, without torch (an ONNX server imports it only for a TTA request)."""
    from trainwell.vision.augment_config import AugmentationConfig, describe_tta

    config = predictor.recipe.extra.get("augmentation")
    what = "predicted numbers" if predictor.task.kind == "regression" else "probabilities"
    return describe_tta(AugmentationConfig.from_dict(config) if config else None, what=what)
