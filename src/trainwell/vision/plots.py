"""Image grids as PNG files: a training batch as the model sees it, and validation results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from trainwell.vision.data import ImageDataBundle
    from trainwell.vision.learner import VisionLearner


#: Characters of a title line under one image (at 8 points it is about the image's width).
TITLE_CHARS = 20


def _wrapped(text: str, width: int = TITLE_CHARS) -> str:
    """``text`` in lines of at most ``width`` characters, broken after a space or a label separator (``;``),
    so that long titles (several labels of a multi-label image) do not run into their neighbours; a
    ``true / predicted`` title too long for one line puts each side on lines of its own."""
    import re

    if len(text) > width and " / " in text:
        truth, _, guess = text.partition(" / ")
        return f"{_wrapped(truth + ' /', width)}\n{_wrapped(guess, width)}"
    lines: list[str] = []
    line = ""
    for piece in re.split(r"(?<=[ ;])", text):
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def image_grid(images: torch.Tensor, titles: list[str], colours: list[str], path: Path, title: str) -> Path:
    """``images`` float (N, C, H, W) in 0..1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from trainwell.core.atomic import write_bytes_atomic

    n = len(images)
    cols = min(8, max(1, math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    titles = [_wrapped(text) for text in titles]
    title_lines = max((text.count("\n") + 1 for text in titles), default=1)
    figure, axes = plt.subplots(
        rows, cols, figsize=(cols * 1.6, rows * (1.6 + 0.15 * title_lines) + 0.4), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= n:
            continue
        image = images[index].clamp(0, 1)
        if image.shape[0] == 1:
            axis.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
        else:
            axis.imshow(image.permute(1, 2, 0).numpy())
        axis.set_title(titles[index], fontsize=8, color=colours[index])
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue())
    return path


def _label(task: Any, target: torch.Tensor) -> str:
    if task.kind == "regression":
        return ";".join(shown_number(value) for value in target.reshape(-1).tolist())
    if task.kind == "multilabel":
        return ";".join(str(c) for c, on in zip(task.classes, target.tolist(), strict=True) if on) or "-"
    if task.kind == "binary":
        return str(task.classes[int(target.item() >= 0.5)])
    return str(task.classes[int(target.item())])


def shown_number(value: float | Sequence[float]) -> str:
    """A regression target or prediction as a title shows it: 4 significant digits (``12.25``, ``0.003712``);
    several targets' values joined by ``;`` (a point: ``0.5;0.3125``)."""
    if isinstance(value, Sequence):
        return ";".join(f"{part:.4g}" for part in value)
    return f"{value:.4g}"


def _spread_sample(loader: Any, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images spread over the whole set (a sorted folder would otherwise show one class only)."""
    tensors = getattr(loader, "tensors", None)
    if tensors is None:
        images, targets = next(iter(loader))[:2]
        return images[:n], targets[:n]
    total = len(tensors[0])
    index = torch.linspace(0, total - 1, min(n, total)).round().long()
    return tensors[0][index.to(tensors[0].device)].cpu(), tensors[-1][index.to(tensors[-1].device)].cpu()


def show_batch(data: ImageDataBundle, path: Path, n: int = 16, augmented: bool = True) -> Path:
    """The first ``n`` images of a training batch with their labels."""
    images, targets = next(iter(data.train))[:2]
    images, targets = images[:n], targets[:n]
    x = images.float() / 255.0
    if augmented and data.augmentation is not None:
        x = data.augmentation(x, generator=torch.Generator().manual_seed(0))
    titles = [_label(data.task, t) for t in targets]
    label = "augmented training images" if augmented else "training images"
    return image_grid(x.cpu(), titles, ["black"] * len(titles), path, label)


def show_results(
    learn: VisionLearner, path: Path, n: int = 16, *, loader: Any = None, name: str = "validation"
) -> Path:
    """Images of ``loader`` (default: the validation set, else the training set) titled ``true / predicted``
    (wrong predictions in red; for a regression, the numbers, in red where the error is more than a quarter
    of the training targets' standard deviation), under a heading that starts with ``name``."""
    if loader is None:
        loader = learn.data.valid if learn.data.valid is not None else learn.data.train
    images, targets = _spread_sample(loader, n)
    learn.model.eval()
    with torch.no_grad():
        probabilities = learn.task.activate(learn.model(images.to(learn.device)).float()).cpu()
    predicted = learn.task.decode(probabilities)
    titles, colours = [], []
    regression = learn.task.kind == "regression"
    tolerance = _tolerance(learn) if regression else None
    for target, guess in zip(targets, predicted, strict=True):
        truth = _label(learn.task, target)
        if regression:
            shown = _label(learn.task, torch.as_tensor(guess))
            error = (torch.as_tensor(guess, dtype=torch.float32) - target.float().reshape(-1)).abs().max()
            wrong = tolerance is not None and bool((error > tolerance).item())
        else:
            shown = ";".join(map(str, guess)) if isinstance(guess, list) else str(guess)
            wrong = shown != truth
        titles.append(f"{truth} / {shown}")
        colours.append("red" if wrong else "black")
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images
    # The colour is a verdict: say so, or a red title reads as decoration.
    wrong_words = f"off by more than {tolerance:.3g} in red" if regression else "wrong in red"
    title = f"{name}: true / predicted" + (f" ({wrong_words})" if "red" in colours else "")
    return image_grid(x.cpu(), titles, colours, path, title)


def _tolerance(learn: VisionLearner) -> float | None:
    """The error of a regression's prediction drawn in red: a quarter of the training targets' standard
    deviation (the smallest, with several targets); ``None`` when the data does not say it."""
    spread = (getattr(learn.data, "model_hints", None) or {}).get("target_std")
    return 0.25 * min(spread) if spread else None
