"""Image grids as PNG files: a training batch as the model sees it, and validation results. Each is returned
as a :class:`~trainwell.core.plot_file.PlotFile`, a ``Path`` that Jupyter shows inline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.plot_file import PlotFile, warn_if_replacing
from trainwell.learner.plots import image_grid

if TYPE_CHECKING:
    from trainwell.vision.data import ImageDataBundle
    from trainwell.vision.learner import VisionLearner


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


def show_batch(data: ImageDataBundle, path: Path, n: int = 16, augmented: bool = True) -> PlotFile:
    """The first ``n`` images of a training batch with their labels, written to ``path`` and returned as a
    ``Path`` that Jupyter shows inline. Written to ``batch.png`` in the current folder, it warns when that file
    held the batch of other data written by this process."""
    images, targets = next(iter(data.train))[:2]
    images, targets = images[:n], targets[:n]
    x = images.float() / 255.0
    if augmented and data.augmentation is not None:
        x = data.augmentation(x, generator=torch.Generator().manual_seed(0))
    titles = [_label(data.task, t) for t in targets]
    label = "augmented training images" if augmented else "training images"
    warn_if_replacing(path, owner=data, default_name="batch.png", what="training images", of="data set")
    return image_grid(x.cpu(), titles, ["black"] * len(titles), path, label)


def show_results(
    learn: VisionLearner, path: Path, n: int = 16, *, loader: Any = None, name: str = "validation"
) -> PlotFile:
    """Images of ``loader`` (default: the validation set, else the training set) titled ``true / predicted``
    (wrong predictions in red; for a regression, the numbers, in red where the error is more than a quarter
    of the training targets' standard deviation), under a heading that starts with ``name``.

    Returns the PNG written to ``path`` as a ``Path`` that Jupyter shows inline. Written to ``results.png`` in
    the current folder, it warns when that file held the results of another model written by this process."""
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
    owner = (learn.model, loader)
    warn_if_replacing(path, owner=owner, default_name="results.png", what="results", of="model or data set")
    return image_grid(x.cpu(), titles, colours, path, title)


def _tolerance(learn: VisionLearner) -> float | None:
    """The error of a regression's prediction drawn in red: a quarter of the training targets' standard
    deviation (the smallest, with several targets); ``None`` when the data does not say it."""
    spread = (getattr(learn.data, "model_hints", None) or {}).get("target_std")
    return 0.25 * min(spread) if spread else None
