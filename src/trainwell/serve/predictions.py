"""From validated rows (or decoded images) to the JSON answers of ``POST /predict``, and ``GET /metadata``."""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

import trainwell
from trainwell.core.arrays import as_array
from trainwell.data.dates import describe_date_format
from trainwell.data.task import Task
from trainwell.serve.config import ServeConfig
from trainwell.serve.images import accepted_formats
from trainwell.serve.schema import input_specs, training_ranges

__all__ = [
    "ServablePredictor",
    "answers_for",
    "at_least_one_problem",
    "metadata_document",
    "predict_image_items",
    "predict_images",
    "predict_rows",
    "unseen_categories",
    "with_likeliest_labels",
]


class ServablePredictor(Protocol):
    """What the server needs from a predictor: :class:`~trainwell.tabular.TabularPredictor` and
    :class:`~trainwell.vision.predictor.ImagePredictor` (torch) and
    :class:`~trainwell.export.onnx_predictor.OnnxPredictor` (numpy) have it. ``recipe`` is a
    :class:`~trainwell.tabular.recipe.TabularRecipe` or an :class:`~trainwell.vision.recipe.ImageRecipe`."""

    task: Task
    recipe: Any
    metadata: dict[str, Any]

    @property
    def application(self) -> str | None: ...  # read-only: a plain attribute of any predictor conforms

    def predict_proba(
        self, rows: Any, *, allow_missing_columns: bool = False
    ) -> Any: ...  # a torch.Tensor (PyTorch predictors) or a numpy array (ONNX)


def predict_rows(predictor: ServablePredictor, rows: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """One model call for ``rows``; one answer per row, or ``None`` where the model's output is not finite.

    Labels are decoded by the task exactly as :meth:`TabularPredictor.predict` decodes them. A binary
    answer lists both classes' probabilities (``predict`` has a column for the positive class only).

    Args:
        predictor: The loaded model.
        rows: Validated rows, each holding every input column (``None`` = missing).

    Returns:
        ``{"prediction": ..., "probabilities": {label: p}}`` per row for classification,
        ``{"prediction": value}`` (several targets: ``{"prediction": {target: value}}``) for regression. A
        table model's answers add ``unseen`` (:func:`unseen_categories`: the row's categorical values the model
        has no code for, by column; ``{}`` when it knows them all); a recommender's add ``known_user`` and
        ``known_item`` instead (false: never seen in training, scored as the average known user or item).
    """
    # One code path for both backends: a tensor result is viewed as an array (no copy), so labels, the
    # finiteness check and the JSON floats come from the same operations whichever engine ran the model, and a
    # server on the ONNX backend never imports torch.
    answers = answers_for(predictor.task, predictor.predict_proba(rows), len(rows))
    if predictor.application == "collab":  # a user or item never seen is scored as the average one: say so
        import pandas as pd

        known = predictor.recipe.known(pd.DataFrame(rows))
        for answer, (user, item) in zip(answers, known.tolist(), strict=True):
            if answer is not None:
                answer.update(known_user=bool(user), known_item=bool(item))
    elif hasattr(predictor.recipe, "categories"):  # said as `trainwell predict` notes them, but row by row
        for answer, unseen in zip(answers, unseen_categories(predictor.recipe, rows), strict=True):
            if answer is not None:
                answer["unseen"] = unseen
    return answers


def unseen_categories(recipe: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each row, its categorical inputs holding a value the model has no code of its own for, with the value
    as sent: ``{"workclass": "Space-force"}``. Such a value was never seen in training (or in too few rows to
    get a code); the model reads it as the column's rare values, or as missing where the column had none, and
    scores the row all the same. Values are matched by their text form, as the recipe encodes them (``1`` and
    ``"1"`` are the same); ``null`` is missing, not unseen."""
    from trainwell.data.categories import category_key

    known = {name: set(recipe.categories[name]) for name in recipe.cat_names}
    return [
        {
            name: value
            for name, values in known.items()
            if (value := row.get(name)) is not None and category_key(value) not in values
        }
        for row in rows
    ]


def predict_images(
    predictor: ServablePredictor, images: list[np.ndarray], *, tta: bool = False
) -> list[dict[str, Any] | None]:
    """One model call for decoded images (each ``uint8`` ``(C, H, W)`` at the training size), stacked into a
    batch; one answer per image, as :func:`predict_rows` gives per row. ``tta``: each answer blended over views
    of its image (:func:`~trainwell.serve.tta.tta_predict_proba`), as ``trainwell predict --tta`` gives it."""
    pixels = np.stack(images)  # (N, C, H, W)
    if tta:
        from trainwell.serve.tta import tta_predict_proba

        values = tta_predict_proba(predictor, pixels)
    else:
        values = predictor.predict_proba(pixels)
    return answers_for(predictor.task, values, len(images))


def predict_image_items(
    predictor: ServablePredictor, items: list[tuple[np.ndarray, bool]]
) -> list[dict[str, Any] | None]:
    """The answers of a batch's images, each given with whether its request asked for TTA: one model call for
    the plain ones and one (of several views) for the others, the answers back in the order given. An image's
    answer does not depend on the images beside it in either call."""
    answers: list[dict[str, Any] | None] = [None] * len(items)
    for wanted in (False, True):
        positions = [index for index, (_, tta) in enumerate(items) if tta is wanted]
        if positions:
            found = predict_images(predictor, [items[index][0] for index in positions], tta=wanted)
            for index, answer in zip(positions, found, strict=True):
                answers[index] = answer
    return answers


def answers_for(task: Task, values: Any, n_items: int) -> list[dict[str, Any] | None]:
    """The JSON answers for the activated outputs ``values`` (an array or a tensor) of ``n_items`` items
    (``None``: not finite)."""
    values = as_array(values)
    matrix = values.reshape(n_items, -1)  # (N, outputs); binary: (N, 1), the positive class
    finite = np.isfinite(matrix).all(axis=1).tolist()
    table: list[list[float]] = matrix.tolist()
    answers: list[dict[str, Any] | None]
    if task.kind == "regression":
        names = list(task.target_names)
        if len(names) > 1:
            answers = [{"prediction": dict(zip(names, row, strict=True))} for row in table]
        else:
            answers = [{"prediction": row[0]} for row in table]
    else:
        labels = [str(label) for label in task.classes]
        decoded = task.decode(values)
        if task.kind == "binary":
            probabilities = [{labels[0]: 1.0 - row[0], labels[1]: row[0]} for row in table]
        else:
            probabilities = [dict(zip(labels, row, strict=True)) for row in table]
        answers = [
            {"prediction": label, "probabilities": probs}
            for label, probs in zip(decoded, probabilities, strict=True)
        ]
    return [answer if ok else None for answer, ok in zip(answers, finite, strict=True)]


def at_least_one_problem(
    task: Task, wanted: bool | None, application: str | None = None
) -> dict[str, Any] | None:
    """The 422 problem (``{"loc", "msg", "type"}``, as :func:`~trainwell.serve._errors.error_body` reads it) of a
    request asking ``"at_least_one": true`` of a model that is not multi-label, else ``None``: said, not
    ignored, as ``predict(at_least_one=True)`` raises for it (``false`` asks for nothing and passes), and in its
    words (:func:`~trainwell.data.at_least_one.refusal_for`: ``application`` is the served predictor's)."""
    if not wanted or task.kind == "multilabel":
        return None
    from trainwell.data.at_least_one import refusal_for

    return {
        "loc": ["at_least_one"],
        "msg": refusal_for(task, application, option="at_least_one"),
        "type": "at_least_one_not_multilabel",
    }


def with_likeliest_labels(task: Task, answers: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    """A multi-label model's ``answers`` (:func:`answers_for`) with each empty ``prediction`` (no label over its
    threshold) given its likeliest label, as :meth:`Task.decode` gives it with ``at_least_one``; the other answers
    as they were. Applied per request after the batch's model call, so requests that ask it and requests that
    do not can share one batch."""
    # An empty list of labels, not a blank text's null prediction (answered with a note, not scored).
    empty = [
        index for index, answer in enumerate(answers) if answer is not None and answer["prediction"] == []
    ]
    if task.kind != "multilabel" or not empty:
        return answers
    labels = [str(label) for label in task.classes]
    # float32, as the predictors' outputs are: the numbers compared with the thresholds are the same ones.
    probabilities = np.array(
        [[answers[index]["probabilities"][label] for label in labels] for index in empty],  # type: ignore[index]
        dtype=np.float32,
    )
    filled = list(answers)
    for index, chosen in zip(empty, task.decode(probabilities, at_least_one=True), strict=True):
        filled[index] = {**answers[index], "prediction": chosen}  # type: ignore[dict-item]
    return filled


def metadata_document(
    predictor: ServablePredictor, config: ServeConfig, *, backend: str = "torch"
) -> dict[str, Any]:
    """The body of ``GET /metadata`` (see :class:`~trainwell.serve.schema.MetadataResponse`); ``backend`` is
    the engine running the model (``"torch"`` or ``"onnx"``)."""
    if predictor.application == "vision":
        return _vision_metadata(predictor, config, backend=backend)
    metadata = predictor.metadata
    recipe, task = predictor.recipe, predictor.task
    inputs = []
    for spec in input_specs(recipe, training_ranges(metadata)):
        entry: dict[str, Any] = {"name": spec.name, "kind": spec.kind}
        if spec.kind in ("categorical", "text"):
            entry["values"] = list(spec.values)
        elif spec.kind == "date":
            entry["format"] = describe_date_format(spec.date_format)
        else:
            entry.update(
                mean=spec.mean,
                std=spec.std,
                median=spec.median,
                minimum=spec.training_minimum,  # None (null) where an older model directory does not record it
                maximum=spec.training_maximum,
                accepted_minimum=spec.accepted_minimum,
                accepted_maximum=spec.accepted_maximum,
            )
        inputs.append(entry)
    return {
        "application": predictor.application,
        "backend": backend,
        "task": _task_info(task, config.at_least_one),
        "inputs": inputs,
        "request_format": _rows_request_format(recipe),
        "dropped_columns": dict(recipe.dropped),
        "metrics": _metrics(metadata),
        "versions": _versions(metadata),
        "limits": {
            "max_rows": config.max_rows,
            "max_body_bytes": config.body_limit(str(predictor.application)),
            "max_batch": config.max_batch,
            "batch_wait_ms": config.batch_wait_ms,
            "forbid_extra_fields": config.forbid_extra_fields,
        },
    }


def _rows_request_format(recipe: Any) -> str:
    """``request_format`` of a table model's or a recommender's ``GET /metadata``: the body ``POST /predict``
    reads, as the other kinds of model say theirs."""
    user, item = getattr(recipe, "user_col", None), getattr(recipe, "item_col", None)
    if user is not None and item is not None:  # a recommender: both ids in every row, never null
        return f'{{"rows": [{{"{user}": <user id>, "{item}": <item id>}}, ...]}}: both in every row, not null'
    return '{"rows": [{"<input>": <value or null>, ...}, ...]}: every input in every row; null for a missing value'


def _vision_metadata(predictor: ServablePredictor, config: ServeConfig, *, backend: str) -> dict[str, Any]:
    """See :class:`~trainwell.serve.schema.VisionMetadataResponse`."""
    recipe = predictor.recipe
    height, width = recipe.size
    return {
        "application": "vision",
        "backend": backend,
        "task": _task_info(predictor.task, config.at_least_one),
        "tta": _tta_info(predictor, config),
        "image": {
            "height": height,
            "width": width,
            "channels": recipe.channels,
            "resize": recipe.resize,
            "mean": list(recipe.mean),
            "std": list(recipe.std),
        },
        "formats": accepted_formats(),
        "request_formats": {
            "application/json": '{"images": ["<base64 of an image file>", ...]}',
            "multipart/form-data": "one or more image files in the form field 'images' (or 'files')",
            "image/*": "one image file as the whole body, sent with its type (image/png, image/jpeg...), as "
            "application/octet-stream or with none",
        },
        "metrics": _metrics(predictor.metadata),
        "versions": _versions(predictor.metadata),
        "limits": {
            "max_images": config.max_images,
            "max_image_pixels": config.max_image_pixels,
            "max_body_bytes": config.body_limit("vision"),
            "max_batch": config.max_batch,
            "batch_wait_ms": config.batch_wait_ms,
            "forbid_extra_fields": config.forbid_extra_fields,
        },
    }


def _tta_info(predictor: ServablePredictor, config: ServeConfig) -> dict[str, Any]:
    """``GET /metadata``'s ``tta`` of an image model: whether a request that leaves ``"tta"`` out gets it
    (``trainwell serve --tta``), whether the model can do it at all, and what its views are, in words."""
    from trainwell.serve.tta import describe_server_tta, tta_refusal

    available = tta_refusal(predictor.task, "vision") is None
    return {
        "default": config.tta,
        "available": available,
        "views": describe_server_tta(predictor) if available else None,
    }


#: The tasks whose decisions compare a probability with ``threshold``; for the others it means nothing.
THRESHOLD_TASKS = ("binary", "multilabel")


def _task_info(task: Task, at_least_one: bool = False) -> dict[str, Any]:
    """The ``task`` of ``GET /metadata``; a multi-label model's says whether the server answers a row with no
    label over its threshold with its likeliest label by default (``at_least_one``: ``trainwell serve
    --at-least-one``; a request's ``"at_least_one"`` decides for itself)."""
    threshold = {"threshold": task.threshold} if task.kind in THRESHOLD_TASKS else {}
    decided = {"at_least_one": at_least_one} if task.kind == "multilabel" else {}
    return {
        "kind": task.kind,
        "classes": list(task.classes),
        "target_names": list(task.target_names),
        **threshold,
        **decided,
        "label_thresholds": (
            {str(label): value for label, value in zip(task.classes, task.label_thresholds, strict=True)}
            if task.label_thresholds
            else None
        ),
    }


#: Columns of a history row that are bookkeeping, not figures of the model: which fit of several, the learning
#: rate the schedule ended on, the seconds the epoch took.
BOOKKEEPING = ("fit", "lr", "time")


def _metrics(metadata: dict[str, Any]) -> dict[str, Any]:
    """``GET /metadata``'s ``metrics``: the losses and metrics of the history row of the weights served (the
    last epoch's, or the best epoch's a fit loaded back), and that epoch counted from 1; without the
    bookkeeping (:data:`BOOKKEEPING`) and without figures the fit did not record (null, or not finite: a
    boosted-trees model's training loss)."""
    training = metadata.get("training") or {}
    final = {name: value for name, value in (training.get("final") or {}).items() if name not in BOOKKEEPING}
    if "epoch" in final and isinstance(training.get("epochs"), int):
        # Counted from 1 over every fit, as history.csv and the screen count it, by the row's place: a directory
        # written before kept each fit's 0-based epoch in the row. A best epoch loaded back (SaveBest, a table's
        # MLP) is the row's: its figures are that epoch's, not the last's.
        final["epoch"] = training.get("weights_from_epoch") or training["epochs"]
    figures = {name: _scalar(value) for name, value in final.items()}
    return {name: value for name, value in figures.items() if value is not None}


def _versions(metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "trainwell": metadata.get("trainwell_version"),
        "torch": metadata.get("torch_version"),
        "format_version": metadata.get("format_version"),
        "created": metadata.get("created"),
        "server_trainwell": trainwell.__version__,
        # Where the model was written (python, numpy, pandas, torch, onnxruntime, platform); null before it was kept.
        "environment": metadata.get("environment"),
    }


def _scalar(value: Any) -> str | int | float | bool | None:
    """A metric as a JSON scalar: non-finite numbers become null, anything else its text."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)
