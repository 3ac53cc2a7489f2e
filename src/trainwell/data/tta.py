"""The refusal of test-time augmentation for a model that cannot average over views, said alike by the ONNX
predictor, ``trainwell predict MODEL/model.onnx --tta`` and the HTTP server.

Test-time augmentation (:func:`~trainwell.vision.transform.tta_probabilities`) averages an image model's answers
over views of each image. A table, text or ratings model has no images to view, and an image model predicting
several numbers in each image (a point's x and y) is pulled toward the middle by views that move no pixel: asking
either for it is a mistake to say in one line, not a wish to ignore. It lives here, below the predictors and the
server, so that each says it in these words rather than its own copy.
"""

from __future__ import annotations

from trainwell.data.task import Task

#: What a model of each non-image application reads instead of images, as the refusal names it.
_WHAT = {"tabular": "table", "text": "text", "collab": "ratings"}


def tta_refusal(
    task: Task | None, application: str | None, *, option: str = '"tta": true', fix: str = "leave tta out"
) -> str | None:
    """Why a model cannot answer with test-time augmentation, in one line naming ``option`` (how it was asked)
    and ending on ``fix``, or ``None`` when it can: an image model, except one predicting several numbers in
    each image (a point's x and y), which views that move no pixel pull toward the middle (``predict(tta=True)``
    refuses it too)."""
    if application != "vision":
        what = _WHAT.get(str(application), str(application))
        return (
            f"{option}: test-time augmentation averages an image model's answers over views of each image; this "
            f"is a {what} model, which has no images to view: {fix}"
        )
    if task is not None and task.kind == "regression" and len(task.target_names) > 1:
        return (
            f"{option}: test-time augmentation averages answers over views of each image; this model predicts "
            f"{', '.join(task.target_names)} in each image, and views that move no pixel (only their colours "
            f"change) pull such answers toward the middle: {fix}"
        )
    return None
