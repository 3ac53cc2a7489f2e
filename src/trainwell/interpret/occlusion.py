"""Occlusion maps (Zeiler and Fergus 2014): which parts of an image the prediction depends on.

A patch of the image's own mean colour (per channel) slides over the image; at each position the drop in the
probability of the class of interest is recorded. The mean, not grey: on a dark image (MNIST's white digits on
black) a grey patch is itself a bright mark, and the map shows the model reacting to it. Where covering the
image hurts the prediction most, the model was looking. For a regression the map
records the change of the predicted number instead: how much lower (or higher) it is with that area covered.
Model-agnostic (no gradients, no hooks), so it works for any image model; the occluded copies run through the
model in batches.

:meth:`OcclusionMap.plot` writes ``occlusion.png`` (or ``path``) and returns it as a
:class:`~trainwell.core.plot_file.PlotFile`, a ``Path`` that Jupyter shows inline, like every other plot; the PNG
bytes it returned before are its ``png`` (or ``read_bytes()``), and ``plot(None)`` still returns bytes alone.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import torch
from torch.nn import functional as F

from trainwell.core.errors import ConfigError
from trainwell.core.plot_file import PlotFile, save_png, warn_if_replacing


@dataclass(frozen=True, repr=False)
class OcclusionMap:
    """The result of :func:`occlusion_map`.

    Attributes:
        image: the image, float ``(C, H, W)`` in 0..1.
        heat: ``(H, W)``: drop of the class probability when that area is covered (positive = evidence for);
            for a regression, drop of the predicted number (positive = covering it lowers the number).
        target: index of the class explained (of the target, for a regression).
        label: its name.
        probability: the class probability on the whole image (the predicted number, for a regression).
        quantity: whether the map explains a predicted number (a regression) rather than a class probability.
        fill: what covered the image, said on the plot: :data:`IMAGE_MEAN` (the default: each channel's mean
            over this image), or the value (0..1 scale) given, which on a black background is itself a mark where
            not black, so red far from the object can be the patch's own effect.
    """

    image: torch.Tensor
    heat: torch.Tensor
    target: int
    label: str
    probability: float
    quantity: bool = False
    fill: float | str = "mean"

    def __repr__(self) -> str:
        """A line, not the tensors: ``OcclusionMap(label='ship', probability=0.67, target=1, size=32x32)``
        (``print`` of a map wrote some forty lines of ``image`` and ``heat``)."""
        value = (
            f"prediction={self.probability:.4g}" if self.quantity else f"probability={self.probability:.2f}"
        )
        height, width = self.heat.shape[-2:]
        return f"OcclusionMap(label={self.label!r}, {value}, target={self.target}, size={height}x{width})"

    @overload
    def plot(self, path: str | Path = ..., *, title: str | None = None) -> PlotFile: ...
    @overload
    def plot(self, path: None, *, title: str | None = None) -> bytes: ...
    def plot(
        self, path: str | Path | None = "occlusion.png", *, title: str | None = None
    ) -> PlotFile | bytes:
        """The image beside the image with the heat map overlaid, written to ``path`` (``occlusion.png`` in the
        current folder by default) and returned as a ``Path`` that Jupyter shows inline, as every plot is.

        Its ``png`` attribute (or ``read_bytes()``) holds the PNG bytes; ``path=None`` writes no file and returns
        the bytes alone (what ``plot()`` returned before). ``occlusion.png`` holding the map of another image
        written by this process is replaced with a ``UserWarning``: pass ``path`` to keep each."""
        return plot_occlusion([self], path, titles=[title] if title else None)


def _class_probabilities(task: Any, output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each row's explained value: the probability of its own target class (a regression: its target's number)."""
    rows = torch.arange(len(output))
    if _is_regression(task):
        values = task.activate(output.float())
        return values if values.ndim == 1 else values[rows, targets]
    probabilities = task.activate(output.float()) if task is not None else torch.softmax(output.float(), -1)
    if probabilities.ndim == 1:  # binary: the probability of the positive class
        return torch.where(targets.to(probabilities.device) == 1, probabilities, 1 - probabilities)
    return probabilities[rows, targets]


def _class_probability(task: Any, output: torch.Tensor, target: int) -> torch.Tensor:
    if _is_regression(task):  # the predicted number of target ``target``
        values = task.activate(output.float())
        return values if values.ndim == 1 else values[:, target]
    probabilities = task.activate(output.float()) if task is not None else torch.softmax(output.float(), -1)
    if probabilities.ndim == 1:  # binary: the probability of the positive class
        return probabilities if target == 1 else 1 - probabilities
    return probabilities[:, target]


@torch.no_grad()
def occlusion_map(
    learn: Any,
    image: Any,
    *,
    target: int | None = None,
    patch: int | None = None,
    stride: int | None = None,
    fill: float | str = "mean",
    batch_size: int | None = None,
) -> OcclusionMap:
    """Slide a patch over ``image`` and record the drop in the probability of ``target`` (for a regression
    model: the drop in the predicted number).

    Args:
        learn: a Learner (its model and task are used), the run ``fit_images`` returned (its ``.learn``), a
            loaded image model (``trainwell.load(dir)``), or a model returning logits of a multiclass problem.
        image: ``(C, H, W)``, ``uint8`` or floats in 0..1 (what the model takes). A loaded model also takes
            whatever its ``predict`` takes for one image (a path, encoded bytes, a Pillow image, an array of
            another size or channel count) and fits it to the training size as ``predict`` does.
        target: class index to explain (default: the predicted class); for a regression, the index of the
            target (default: 0, the first or only one).
        patch: side of the square patch in pixels (default: about a seventh of the image side).
        stride: step between patch positions (default: half the patch).
        fill: what covers the image: ``"mean"`` (default), each channel's mean over this image, so a patch
            removes detail without adding a mark of its own; or a value on the 0..1 scale (``0.5``: mid-grey, a
            bright patch on a dark image; ``0``: black).
        batch_size: occluded copies per forward pass (default: as many as fit :data:`BATCH_VALUES` input
            values, at most :data:`MOST_COPIES`: 682 copies of a 32-pixel colour image, 42 of a 128-pixel one).
    """
    return occlusion_maps(
        learn, [image], targets=[target], patch=patch, stride=stride, fill=fill, batch_size=batch_size
    )[0]


#: Input values (copies x channels x height x width) an occlusion forward pass takes by default: few small
#: copies a pass left a CPU's convolutions under-used (2,250 copies of 32-pixel images: 2.8 s of CPU time in
#: passes of 128, 1.9 s in passes of 1,024), and large images keep the pass's memory bounded.
BATCH_VALUES = 2**21
#: The most occluded copies in one forward pass by default.
MOST_COPIES = 1024


@dataclass
class _Plan:
    """One image's occlusion: the image as the model takes it (floats, on the model's device), its patch side,
    the patch positions, and what covers each patch."""

    x: torch.Tensor
    side: int
    positions: list[tuple[int, int]]
    patch_value: torch.Tensor


@torch.no_grad()
def occlusion_maps(
    learn: Any,
    images: Sequence[Any],
    *,
    targets: Sequence[int | None] | None = None,
    patch: int | None = None,
    stride: int | None = None,
    fill: float | str = "mean",
    batch_size: int | None = None,
) -> list[OcclusionMap]:
    """:func:`occlusion_map` of several images at once, each map the same as that image's own: the whole
    images go through the model in one pass, and the occluded copies of every image share the forward
    passes (the report's ten top-loss maps: one stream of 2,250 copies, not ten of 225). ``targets``: one
    per image (``None``: its predicted class; a regression's first target), as ``target`` of
    :func:`occlusion_map`; the other arguments are those of :func:`occlusion_map`.

    Example:
        >>> maps = occlusion_maps(trainwell.load("model"), ["a.png", "b.png"])          # doctest: +SKIP
        >>> plot_occlusion(maps, "why.png")                                           # doctest: +SKIP
    """
    model, task = _explained_model(learn)
    fill = _checked_fill(fill)
    if targets is None:
        targets = [None] * len(images)
    if len(targets) != len(images):
        raise ConfigError(
            f"occlusion_maps: {len(images)} images but {len(targets)} targets; give one per image"
        )
    plans = [_plan(learn, model, image, patch, stride, fill) for image in images]
    if not plans:
        return []
    was_training = model.training
    model.eval()
    try:
        bases, chosen = _whole_images(model, task, plans, list(targets), batch_size)
        drops = _covered_drops(model, task, plans, chosen, bases, batch_size)
    finally:
        model.train(was_training)
    return [
        _result(task, plan, target, base, plan_drops, fill)
        for plan, target, base, plan_drops in zip(plans, chosen, bases, drops, strict=True)
    ]


def _explained_model(learn: Any) -> tuple[torch.nn.Module, Any]:
    """The model and task of what :func:`occlusion_map` explains, refused when it is no image model."""
    from trainwell.learner.run_files import FitRun

    if isinstance(learn, FitRun):  # what fit_images returns: its learner
        learn = learn.learn
    model = getattr(learn, "model", learn)
    task = getattr(learn, "task", None)
    data = getattr(learn, "data", None)
    # A Learner knows its application through its data; a loaded predictor says it itself.
    application = getattr(data, "application", None) or getattr(learn, "application", None)
    images_of_own = application == "generic" and _image_rows(data) is not None
    if application not in (None, "vision") and not images_of_own:
        also = (
            ", whose batches are not one image tensor (B, C, H, W) of floats beside the target"
            if application == "generic"
            else ""
        )
        raise ConfigError(
            f"occlusion_map explains an image model's predictions; this {'learner' if data else 'model'} is a "
            f"{application} one{also} (for a table's columns: trainwell.report.permutation_importance)"
        )
    return model, task


def _plan(
    learn: Any, model: torch.nn.Module, image: Any, patch: int | None, stride: int | None, fill: float | str
) -> _Plan:
    """``image`` read and checked as the model takes it, with its patch positions and fill."""
    from trainwell.learner.run_files import FitRun

    if isinstance(learn, FitRun):
        learn = learn.learn
    data = getattr(learn, "data", None)
    image = _model_image(learn, image)
    if image.ndim != 3:
        raise ConfigError(f"occlusion_map takes one image (C, H, W), got shape {tuple(image.shape)}")
    _check_shape(getattr(data, "recipe", None), image)
    if getattr(data, "application", None) == "generic":
        _check_own_shape(_image_rows(data), image)
    tensor = next(iter([*model.parameters(), *model.buffers()]), None)
    device = tensor.device if tensor is not None else torch.device("cpu")
    x = (image.float() / 255.0 if image.dtype == torch.uint8 else image.float()).to(device)
    channels, height, width = x.shape
    side = patch or max(2, round(min(height, width) / 7))
    step = stride or max(1, side // 2)
    if side > min(height, width) or step < 1:
        raise ConfigError(f"patch {side} and stride {step} must fit the {height}x{width} image")
    # (C, 1, 1): each channel's mean over this image, or the value given, broadcast over a patch.
    patch_value = (
        x.mean(dim=(1, 2), keepdim=True)
        if fill == IMAGE_MEAN
        else torch.full((channels, 1, 1), float(fill)).to(x)
    )
    tops = list(range(0, height - side + 1, step))
    lefts = list(range(0, width - side + 1, step))
    if tops[-1] != height - side:
        tops.append(height - side)
    if lefts[-1] != width - side:
        lefts.append(width - side)
    return _Plan(x, side, [(top, left) for top in tops for left in lefts], patch_value)


def _copies_per_pass(plan: _Plan, batch_size: int | None) -> int:
    """Occluded copies of ``plan``'s image in one forward pass: ``batch_size``, else by :data:`BATCH_VALUES`."""
    if batch_size is not None:
        return max(1, int(batch_size))
    return max(1, min(MOST_COPIES, BATCH_VALUES // plan.x.numel()))


def _whole_images(
    model: torch.nn.Module, task: Any, plans: list[_Plan], targets: list[int | None], batch_size: int | None
) -> tuple[list[float], list[int]]:
    """Each whole image's explained value (probability, or number) and the target explained, the images of one
    shape through the model together."""
    bases: list[float] = [0.0] * len(plans)
    chosen: list[int] = [0] * len(plans)
    for indices in _same_shapes(plans):
        step = _copies_per_pass(plans[indices[0]], batch_size)
        for start in range(0, len(indices), step):
            some = indices[start : start + step]
            output = model(torch.stack([plans[i].x for i in some]))
            for row, i in enumerate(some):
                one = output[row : row + 1]
                target = targets[i]
                if _is_regression(task):
                    target = _checked_target(task, one, 0 if target is None else target)
                elif target is None:
                    probabilities = (
                        task.activate(one.float()) if task is not None else torch.softmax(one.float(), -1)
                    )
                    target = (
                        int((probabilities >= 0.5).item())
                        if probabilities.ndim == 1
                        else int(probabilities.argmax())
                    )
                chosen[i] = target
                bases[i] = float(_class_probability(task, one, target)[0])
    return bases, chosen


def _covered_drops(
    model: torch.nn.Module,
    task: Any,
    plans: list[_Plan],
    targets: list[int],
    bases: list[float],
    batch_size: int | None,
) -> list[torch.Tensor]:
    """Each image's drop of its explained value at each patch position: the occluded copies of the images of one
    shape stream through shared forward passes."""
    drops = [torch.empty(len(plan.positions)) for plan in plans]
    for indices in _same_shapes(plans):
        work = [(i, position) for i in indices for position in range(len(plans[i].positions))]
        step = _copies_per_pass(plans[indices[0]], batch_size)
        for start in range(0, len(work), step):
            chunk = work[start : start + step]
            copies = torch.stack([plans[i].x for i, _ in chunk])  # (B, C, H, W)
            for row, (i, position) in enumerate(chunk):
                plan = plans[i]
                top, left = plan.positions[position]
                copies[row, :, top : top + plan.side, left : left + plan.side] = plan.patch_value
            chunk_targets = torch.tensor([targets[i] for i, _ in chunk])
            scores = _class_probabilities(task, model(copies), chunk_targets).float().cpu()
            for row, (i, position) in enumerate(chunk):
                drops[i][position] = bases[i] - scores[row]
    return drops


def _same_shapes(plans: list[_Plan]) -> list[list[int]]:
    """The plans' indices grouped by image shape, in order of first appearance (one forward pass, one shape)."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for index, plan in enumerate(plans):
        groups.setdefault(tuple(plan.x.shape), []).append(index)
    return list(groups.values())


def _result(
    task: Any, plan: _Plan, target: int, base: float, drops: torch.Tensor, fill: float | str
) -> OcclusionMap:
    """The map of one image: each position's drop spread over the pixels its patch covered (averaged where
    patches overlap)."""
    _, height, width = plan.x.shape
    side = plan.side
    heat = torch.zeros(height, width)
    counts = torch.zeros(height, width)
    for (top, left), drop in zip(plan.positions, drops.tolist(), strict=True):
        heat[top : top + side, left : left + side] += drop
        counts[top : top + side, left : left + side] += 1
    heat = heat / counts.clamp_min(1)
    if _is_regression(task):
        names = list(getattr(task, "target_names", ()) or ())
        label = str(names[target]) if target < len(names) else "prediction"
        return OcclusionMap(plan.x.cpu(), heat, target, label, base, quantity=True, fill=fill)
    classes = getattr(task, "classes", None)
    label = str(classes[target]) if classes and target < len(classes) else str(target)
    return OcclusionMap(plan.x.cpu(), heat, target, label, base, fill=fill)


#: ``fill`` of :func:`occlusion_map` for each channel's mean over the image explained.
IMAGE_MEAN = "mean"


def _checked_fill(fill: Any) -> float | str:
    """``fill`` as :func:`occlusion_map` takes it: ``"mean"`` or a number from 0 to 1."""
    if fill == IMAGE_MEAN:
        return IMAGE_MEAN
    if isinstance(fill, bool) or not isinstance(fill, int | float) or not 0 <= float(fill) <= 1:
        raise ConfigError(
            f"fill must be 'mean' (each channel's mean over the image) or a value from 0 (black) to 1 (white), "
            f"got {fill!r}"
        )
    return float(fill)


def _is_regression(task: Any) -> bool:
    return getattr(task, "kind", None) == "regression"


def _checked_target(task: Any, output: torch.Tensor, target: int) -> int:
    """The index of the regression target to explain, refused when the model has no such output."""
    n_outputs = output.reshape(len(output), -1).shape[1]
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < n_outputs:
        names = ", ".join(f"{i} ({name})" for i, name in enumerate(getattr(task, "target_names", ())))
        raise ConfigError(
            f"occlusion_map: target={target!r} is not an output of this regression model; pass the index of "
            f"one of its {n_outputs} target(s): {names or 0}"
        )
    return target


def _model_image(learn: Any, image: Any) -> torch.Tensor:
    """``image`` as the model takes it: a loaded image model (its ``pixels`` fits any image to the training size
    and channels, as its ``predict`` does) decodes it; anything else must already be a tensor."""
    pixels = getattr(learn, "pixels", None)
    if not callable(pixels) and not isinstance(image, torch.Tensor) and _image_learner(learn):
        # A file, an array or a Pillow image for a learner: read as learn.predict reads it (its predictor's own
        # resizing and channels), as for a loaded model, rather than refused.
        from trainwell.learner._export import learner_predictor

        pixels = learner_predictor(learn).pixels
    if callable(pixels):
        if isinstance(image, torch.Tensor):
            image = image.cpu().numpy()
        return torch.as_tensor(pixels(image))[0]
    if not isinstance(image, torch.Tensor):
        raise ConfigError(
            f"occlusion_map takes the image as a tensor (C, H, W) for a learner or a model, got "
            f"{type(image).__name__}; or pass the model loaded with trainwell.load(dir), which reads files too"
        )
    return image


def _image_learner(learn: Any) -> bool:
    """Whether ``learn`` is a Learner of an image model that ``trainwell.load`` could rebuild (a predictor
    of its own reads files)."""
    data = getattr(learn, "data", None)
    return getattr(data, "application", None) == "vision" and getattr(learn, "model_spec", None) is not None


def _image_rows(data: Any) -> tuple[int, ...] | None:
    """The shape ``(C, H, W)`` of one image where ``data`` (tensor_data of image-shaped arrays, or loaders of
    one's own) gives the model one 4-D float tensor and the target a batch; else ``None``. Such a Learner was
    refused as "a generic one" though its model, passed alone, was explained."""
    # The validation loader's batch when tensors are not at hand: it draws no shuffle (reading a training batch
    # of a torch DataLoader would move its random order, and the next fit's).
    loader: Any = getattr(data, "valid", None) or getattr(data, "train", None)
    tensors = getattr(loader, "tensors", None)
    if tensors is None:
        try:
            tensors = next(iter(loader))
        except Exception:  # a loader that cannot be read again, or yields no batch: not one to explain
            return None
    if not isinstance(tensors, list | tuple) or len(tensors) != 2:
        return None
    inputs = tensors[0]
    if not isinstance(inputs, torch.Tensor) or inputs.dim() != 4 or not inputs.is_floating_point():
        return None
    return tuple(int(size) for size in inputs.shape[1:])


def _check_own_shape(shape: tuple[int, ...] | None, image: torch.Tensor) -> None:
    """Refuse an image of another shape than the images of a Learner on tensors of one's own."""
    if shape is None or tuple(image.shape) == shape:
        return
    raise ConfigError(
        f"occlusion_map: this learner's model reads images of shape {shape} (C, H, W), as its data holds them; "
        f"got shape {tuple(image.shape)}: pass one image as the data holds it (e.g. x[0])"
    )


def _check_shape(recipe: Any, image: torch.Tensor) -> None:
    """Refuse an image of another shape than the training images': another channel count failed inside torch
    (a conv error naming weights), another size ran, on an image ``predict`` would have resized first."""
    channels, size = getattr(recipe, "channels", None), getattr(recipe, "size", None)
    if channels is None or size is None or tuple(image.shape) == (channels, *size):
        return
    height, width = size
    raise ConfigError(
        f"occlusion_map: this model takes images of {channels} channel{'s' if channels > 1 else ''}, "
        f"{height}x{width} (C, H, W); got shape {tuple(image.shape)}: pass the image as the model takes it, or "
        "the model loaded with trainwell.load(dir), which fits any image (a path, an array) as predict does"
    )


#: Image and map pairs side by side in a row of the figure, when there are more than two maps (three a row,
#: embedded in a report at its width, drew the 9-point titles about 6 pixels high).
PAIRS_PER_ROW = 2
#: Characters a line of a panel's title holds (a panel is about two inches wide, the title 9 points).
TITLE_CHARS = 30
#: Pixels a character of the 8.5-point caption takes on average at 100 dpi, with a margin.
CAPTION_CHAR_PX = 6.6
#: Height added to the figure for each line of the caption.
LEGEND_LINE_INCHES = 0.18
#: Height of a row of pairs: the images and their titles of two lines (less, and a row's titles ran into the
#: images above).
ROW_INCHES = 2.5


def _image_title(result: OcclusionMap) -> str:
    """The title over the image: the label explained and its probability (a regression: its predicted number)."""
    if result.quantity:
        return f"{_quantity_name(result.label)}: {result.probability:.4g}"
    return f"p('{result.label}') = {result.probability:.2f}"


def _map_title(result: OcclusionMap, strongest: float) -> str:
    """The title over the map: how much covering its deepest colour (its most decisive patch) moves the
    probability or the number, named again: a report titles each image with its own words."""
    if result.quantity:
        return f"covering the deepest colour moves the {_quantity_name(result.label)} by {strongest:.3g}"
    return f"covering the deepest colour moves p('{result.label}') by {strongest:.2g}"


def _quantity_name(label: str) -> str:
    """A regression's label as a noun: ``"predicted price"``, or ``"prediction"`` for an unnamed target."""
    return label if label == "prediction" else f"predicted {label}"


def _legend(quantity: bool, fills: set[float | str]) -> str:
    """What the colours mean and what covered the image (``fills``: the patches' fills): the figure's caption,
    under the maps (above them it was five lines over a single map, a quarter of the figure)."""
    ways = []
    if IMAGE_MEAN in fills:
        ways.append(
            "each patch is covered with the image's own mean colour (per channel), which adds no mark"
        )
    values = sorted(fill for fill in fills if isinstance(fill, float))
    if values:
        ways.append(
            f"each patch is covered with grey {' or '.join(f'{value:g}' for value in values)} (0 black, 1 white), "
            "which on a dark background is itself a mark"
        )
    covered = "; " + " or ".join(ways)
    if quantity:
        return (
            "Occlusion maps: red where covering the image lowers the predicted number, blue where it raises it "
            f"(the colour bar: how much){covered}"
        )
    return (
        "Occlusion maps: red where covering the image lowers p, the probability of the label named (evidence "
        f"for it), blue where it raises it (the colour bar: by how much){covered}"
    )


#: ``scale`` of :func:`plot_occlusion`: every map on one colour scale (maps side by side compare), or each on
#: its own (a weak map's pattern shows, but a fall of 0.11 is drawn as deep as one of 0.25).
SHARED, EACH = "shared", "each"


def _headline(maps: list[OcclusionMap]) -> str:
    """The figure's one-line title: what red and blue mean (the detail is in the caption under the maps)."""
    what = "the predicted number" if maps[0].quantity else "the label"
    return f"Occlusion map{'s' if len(maps) > 1 else ''}: red = evidence for {what}, blue = against"


def _scale_sentence(maps: list[OcclusionMap], scale: str, limit: float) -> str:
    """The caption's sentence saying which colour scale the maps are drawn on."""
    if len(maps) == 1:
        return ""
    if scale == SHARED:
        return f" All {len(maps)} maps share one colour scale (the bar: -{limit:.2g} to +{limit:.2g}), so their colours compare."
    return (
        " Each map has its own colour scale (its bar), so colours do not compare between maps: read each "
        "map's title for how much its deepest colour moves."
    )


def _bar_label(maps: list[OcclusionMap]) -> str:
    """What a colour bar measures: the fall of the probability (or number) when an area is covered."""
    if maps[0].quantity:
        labels = {m.label for m in maps}
        what = _quantity_name(maps[0].label) if len(labels) == 1 else "the predicted number"
        return f"fall of {'the ' if len(labels) == 1 else ''}{what} when covered"
    labels = {m.label for m in maps}
    what = f"p('{maps[0].label}')" if len(labels) == 1 else "p(the label in each map's title)"
    return f"fall of {what} when covered"


def _colour_bar(figure: Any, image: Any, axes: Any, limit: float, maps: list[OcclusionMap]) -> None:
    """A signed scale beside a map (or, shared, beside all of them): +x (red) is how much covering lowers p (or
    the number), -x (blue) raises it."""
    bar = figure.colorbar(
        image, ax=axes, fraction=0.08 if len(maps) == 1 else 0.03, pad=0.03, ticks=[-limit, 0.0, limit]
    )
    bar.ax.set_yticklabels([f"{-limit:+.2g}", "0", f"{limit:+.2g}"], fontsize=9)
    bar.set_label(_bar_label(maps), fontsize=9)


@overload
def plot_occlusion(
    maps: list[OcclusionMap], path: None = None, *, titles: list[str] | None = None, scale: str = SHARED
) -> bytes: ...
@overload
def plot_occlusion(
    maps: list[OcclusionMap], path: str | Path, *, titles: list[str] | None = None, scale: str = SHARED
) -> PlotFile: ...
def plot_occlusion(
    maps: list[OcclusionMap],
    path: str | Path | None = None,
    *,
    titles: list[str] | None = None,
    scale: str = SHARED,
) -> PlotFile | bytes:
    """Each map as a pair: the image, then the heat map over it (red: evidence for the class, or for a higher
    number in a regression; blue: against), each map's title saying in words how much covering its
    deepest-coloured patch moves the probability or the number. One pair a row for one or two maps, two pairs
    a row for more; a one-line title above, and the caption under the maps says what covered the image.

    ``scale``: ``"shared"`` (the default) draws every map on one colour scale, the largest change of any map,
    with one colour bar, so that maps side by side compare (a fall of 0.11 and one of 0.25 were both full red);
    ``"each"`` scales each map to its own strongest patch, with its own bar (a weak map's pattern shows), and
    the caption says the colours do not compare.

    Given a ``path``, the PNG is written there and returned as a ``Path`` that Jupyter shows inline (its ``png``
    holds the bytes); ``occlusion.png`` in the current folder holding other maps written by this process is
    replaced with a ``UserWarning``. Without one, nothing is written and the PNG bytes are returned (to embed
    in a page, as the HTML report does)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not maps:
        raise ConfigError("plot_occlusion needs at least one occlusion map")
    if scale not in (SHARED, EACH):
        raise ConfigError(f"plot_occlusion: scale must be 'shared' or 'each', got {scale!r}")
    shared_limit = max(float(m.heat.abs().max()) for m in maps) or 1.0
    per_row = 1 if len(maps) <= 2 else PAIRS_PER_ROW
    rows = -(-len(maps) // per_row)
    # An empty column between pairs, so that each map is read beside its own image, not the next one.
    ratios = ([1.0, 1.0, 0.3] * per_row)[:-1]
    width, height = 5.0 * per_row + 0.6 * (per_row - 1), ROW_INCHES * rows + 0.3
    figure, grid = plt.subplots(
        rows,
        len(ratios),
        figsize=(width, height),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"width_ratios": ratios},
    )
    for axis in grid.ravel():
        axis.axis("off")
    heat_axes, heat = [], None
    for index, result in enumerate(maps):
        pair = grid[index // per_row][3 * (index % per_row) : 3 * (index % per_row) + 2]
        picture = result.image.permute(1, 2, 0).clamp(0, 1).numpy()
        gray = result.image.shape[0] == 1
        shown = picture[..., 0] if gray else picture
        for axis in pair:
            axis.imshow(shown, cmap="gray" if gray else None, vmin=0, vmax=1)
        # One scale for all (maps side by side compare), or each its own (a weak map's pattern shows).
        strongest = float(result.heat.abs().max())
        limit = shared_limit if scale == SHARED else (strongest or 1.0)
        heat = pair[1].imshow(
            F.interpolate(result.heat[None, None], size=tuple(result.image.shape[1:]), mode="nearest")[
                0, 0
            ].numpy(),
            cmap="bwr",
            vmin=-limit,
            vmax=limit,
            alpha=0.55,
        )
        heat_axes.append(pair[1])
        if scale == EACH or len(maps) == 1:
            _colour_bar(figure, heat, pair[1], limit, [result])
        title = titles[index] if titles and index < len(titles) else _image_title(result)
        # Line breaks the caller put in are kept (a report's "actual 9 -> predicted 3" above its loss).
        lines = [textwrap.fill(line, TITLE_CHARS) for line in title.split("\n")]
        pair[0].set_title("\n".join(lines), fontsize=9)
        # Say the scale: a map whose strongest patch moves p by 0.001 is drawn as deep as one moving it by 0.9.
        # The colours' meaning is said once above the grid: three lines of it over every map ran into the
        # images of the row above.
        pair[1].set_title(textwrap.fill(_map_title(result, strongest), TITLE_CHARS), fontsize=9)
    if scale == SHARED and len(maps) > 1:
        _colour_bar(figure, heat, list(heat_axes), shared_limit, maps)
    # The detail under the maps, wrapped to the figure's width; above them, one line (five lines of it over a
    # single map took a quarter of the figure).
    caption = (
        _legend(maps[0].quantity, {m.fill for m in maps}) + "." + _scale_sentence(maps, scale, shared_limit)
    )
    caption = textwrap.fill(caption, max(30, int(width * 100 / CAPTION_CHAR_PX)))
    figure.set_size_inches(width, height + LEGEND_LINE_INCHES * (caption.count("\n") + 1))
    # Laid out by matplotlib's constrained layout, which keeps each row's titles clear of the images above, of
    # the title and of the caption's lines.
    figure.suptitle(_headline(maps), fontsize=10)
    figure.supxlabel(caption, fontsize=8.5, color="0.25")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    data = buffer.getvalue()
    if path is None:
        return data
    warn_if_replacing(
        path, owner=tuple(maps), default_name="occlusion.png", what="occlusion maps", of="image"
    )
    return save_png(path, data)
