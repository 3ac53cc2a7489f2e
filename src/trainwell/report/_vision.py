"""The report's sections for an image classifier: metrics, confusion, calibration, and the worst images with
their occlusion maps (what the model looked at when it went wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

import trainwell
from trainwell.core.errors import ConfigError, DataError
from trainwell.interpret.occlusion import occlusion_map, plot_occlusion
from trainwell.report import _html
from trainwell.vision.io import folder_splits

if TYPE_CHECKING:
    from trainwell.vision.predictor import ImagePredictor

#: Images decoded and predicted per step, so memory stays flat on large folders.
CHUNK = 512


def vision_report_sections(
    predictor: ImagePredictor, folder: Path, *, top_k: int
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for an image model judged on the labelled images in ``folder``."""
    from trainwell.report.build import (
        _classification_sections,
        _interpretation,
        _metrics_section,
        row_losses,
    )

    task = predictor.task
    if task.kind not in ("binary", "multiclass"):
        raise ConfigError(f"the report supports binary and multiclass image models; this one is {task.kind}")
    splits = folder_splits(folder)
    files = splits.get("valid") or splits.get("test") or splits.get("all") or splits["train"]
    known = {str(c) for c in task.classes}
    unknown = sorted({str(label) for label in files.labels} - known)
    if unknown:
        raise DataError(
            f"'{folder}' has class folders the model does not know: {unknown[:5]}; its classes are "
            f"{', '.join(sorted(known))}"
        )
    index = {str(c): c for c in task.classes}
    targets = task.encode([index[str(label)] for label in files.labels])
    chunks = [predictor.predict_proba(files.paths[i : i + CHUNK]) for i in range(0, len(files), CHUNK)]
    probabilities = torch.cat(chunks)
    source = f"{len(files)} labelled images in {folder}"
    sections = [_metrics_section(task, probabilities, targets, len(files), source, unit="image")]
    sections.extend(_classification_sections(_interpretation(task, probabilities, targets)))
    losses = row_losses(task, probabilities, targets)
    sections.append(_top_images_section(predictor, files.paths, files.labels, probabilities, losses, top_k))
    intro = [
        _html.paragraph(
            f"{task.kind} image classifier ({', '.join(map(str, task.classes))}), evaluated on {source}. "
            f"Images are {predictor.recipe.size[0]}x{predictor.recipe.size[1]}, {predictor.recipe.channels} "
            f"channel(s). trainwell {trainwell.__version__}."
        )
    ]
    return intro, sections


def _top_images_section(
    predictor: ImagePredictor,
    paths: list[Path],
    labels: list[Any],
    probabilities: torch.Tensor,
    losses: np.ndarray,
    k: int,
) -> str:
    task = predictor.task
    order = np.lexsort((np.arange(len(losses)), -losses))[:k]
    predicted = task.decode(probabilities)
    chosen = [paths[i] for i in order.tolist()]
    pixels = predictor.pixels(chosen)
    holder = _Holder(predictor)
    maps, titles, rows = [], [], []
    for position, index in enumerate(order.tolist()):
        result = occlusion_map(holder, pixels[position])
        maps.append(result)
        titles.append(f"{labels[index]} -> {predicted[index]} (loss {losses[index]:.2f})")
        rows.append([index, paths[index].name, labels[index], predicted[index], float(losses[index])])
    body = [
        _html.paragraph(
            f"The {len(maps)} images with the highest loss (-log of the probability given to the true class), "
            "each beside its occlusion map: red areas are where covering the image lowers the probability of "
            "the predicted class, i.e. what the model relied on.",
            note=True,
        )
    ]
    if maps:
        body.append(_html.image(plot_occlusion(maps, titles=titles), "top-loss images with occlusion maps"))
        body.append(_html.table(["image", "file", "actual", "predicted", "loss"], rows))
    return _html.section("top-losses", "Top losses", body)


class _Holder:
    """What :func:`occlusion_map` needs from a predictor: the model and the task."""

    def __init__(self, predictor: ImagePredictor) -> None:
        self.model = predictor.model
        self.task = predictor.task
