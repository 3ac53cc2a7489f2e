"""The report's sections for an image model: metrics, confusion and calibration (a classifier) or predictions
against the true values (a regression), and the worst images with their occlusion maps (what the model looked
at when it went wrong)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.interpret.occlusion import occlusion_maps, plot_occlusion
from trainwell.report import _html, _outputs
from trainwell.vision.data import numeric_labels
from trainwell.vision.io import (
    PIXELS_COLUMN,
    TEST_NAMES,
    TRAIN_NAMES,
    VALID_NAMES,
    LabelledFiles,
    csv_files,
    folder_splits,
    is_image_file,
)
from trainwell.vision.plots import shown_number

if TYPE_CHECKING:
    from trainwell.vision.predictor import ImagePredictor

#: Images decoded and predicted per step, so memory stays flat on large folders.
CHUNK = 512


def vision_report_sections(
    predictor: ImagePredictor,
    source: Path,
    *,
    top_k: int,
    path_col: str | None = None,
    label_col: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    seed: int = 0,
    tta: bool | None = None,
) -> tuple[list[str], list[str]]:
    """Intro paragraphs and sections for an image model judged on labelled images: a folder of class folders,
    or a CSV of paths and labels (``path_col``/``label_col``, by default those the model was trained from; the
    CSV read in ``encoding``). ``tta``: score the images with test-time augmentation too, and say whether it
    helps (``None``: when the model's augmentation allows it and the images are few enough to be cheap, at most
    :data:`~trainwell.vision.tta_effect.TTA_AUTO_IMAGES` on the CPU; ``False``: never)."""
    import pandas as pd

    from trainwell.data.fingerprint import item_digests
    from trainwell.report.build import (
        _training_overlap,
        classes_words,
        judged_sections,
        model_words,
        row_losses,
    )
    from trainwell.vision.predictor import readable_pixels

    task = predictor.task
    if task.kind not in ("binary", "multiclass", "multilabel", "regression"):
        raise ConfigError(f"the report supports image classifiers and regressions; this one is {task.kind}")
    regression = task.kind == "regression"
    judged_set = _idx_set(Path(source))
    if judged_set is None:
        files, judged = _labelled_files(
            predictor, Path(source), path_col, label_col, encoding, encoding_errors
        )
    else:  # MNIST's IDX files: the arrays of its test set, each image named by its place in the file
        array, labels, named, judged = judged_set
        files = LabelledFiles([Path(f"{named.name}[{i}]") for i in range(len(array))], labels)
    if regression:  # every label a number, a cell that is not one named by its row
        column = label_col or (predictor.recipe.extra.get("csv") or {}).get("label_col")
        files = LabelledFiles(
            files.paths,
            numeric_labels(files.labels, judged, column if Path(source).is_file() else None, judged=True),
        )
    given = (
        [label for labels in files.labels for label in labels] if task.kind == "multilabel" else files.labels
    )
    unknown = [] if regression else task.unknown_classes(given)
    if unknown:
        raise DataError(
            f"'{source}' has labels the model does not know: {unknown[:5]}; its classes are "
            f"{', '.join(sorted(map(str, task.classes)))}"
        )
    measure, tta_words = _tta_plan(predictor, len(files), tta)
    # Unreadable files are skipped and named, as fit skips them; the rest are decoded once, a chunk at a time.
    chunks, tta_chunks, digests, readable = [], [], [], set()
    pieces = (
        readable_pixels(predictor, files.paths, chunk=CHUNK)
        if judged_set is None
        else (
            (predictor.pixels(judged_set[0][start : start + CHUNK]), files.paths[start : start + CHUNK])
            for start in range(0, len(files), CHUNK)
        )
    )
    for pixels, part in pieces:
        if measure:  # the plain pass shared by the blend: 1 + 4 predictions an image, not 2 + 4
            plain, blended = predictor.predict_proba_both(pixels)
            chunks.append(plain)
            tta_chunks.append(blended)
        else:
            chunks.append(predictor.predict_proba(pixels))
        digests.extend(item_digests(pixels.numpy()))
        readable.update(part)
    probabilities = torch.cat(chunks)
    if len(readable) < len(set(files.paths)):
        kept = [i for i, path in enumerate(files.paths) if path in readable]
        files = LabelledFiles([files.paths[i] for i in kept], [files.labels[i] for i in kept])
    where = f"{len(files):,} labelled images {'listed in' if Path(source).is_file() else 'in'} {judged}"
    if regression:
        targets = task.encode(files.labels)
    elif task.kind == "multilabel":
        targets = task.encode([[task.as_class(label) for label in labels] for labels in files.labels])
    else:
        targets = task.encode([task.as_class(label) for label in files.labels])
    # The images' pixel digests against the sketch of the training images (none in older artifacts: no warning).
    overlap = _training_overlap(predictor.metadata, pd.DataFrame({PIXELS_COLUMN: digests}), unit="images")
    sections = judged_sections(
        task,
        probabilities,
        targets,
        (len(files), where),
        "image",
        trained_on=bool(overlap),
        test_split=judged.endswith(
            f"(the test split of {source})"
        ),  # a folder's test/, held out of every choice
        seed=seed,
        metadata=predictor.metadata,
    )
    if measure:
        sections.insert(1, _tta_section(predictor, probabilities, torch.cat(tta_chunks), targets))
    elif tta_words:
        sections.insert(
            1, _html.section("tta", "Test-time augmentation", [_html.paragraph(tta_words, note=True)])
        )
    losses = row_losses(task, probabilities, targets)

    def pixels_of(chosen: list[int]) -> torch.Tensor:
        if judged_set is None:
            return predictor.pixels([files.paths[i] for i in chosen])
        return predictor.pixels(judged_set[0][chosen])

    # Each image by its path under the folder (or the CSV's folder) judged: airplane/0019.jpg and ship/0019.jpg,
    # not 0019.jpg twice.
    root = Path(source) if Path(source).is_dir() else Path(source).parent
    names = [_under(path, root) for path in files.paths]
    sections.append(_top_images_section(predictor, names, pixels_of, targets, probabilities, losses, top_k))
    targets_named = ", ".join(repr(str(name)) for name in task.target_names) or "a number"
    intro: list[str] = [
        _html.facts(f"{model_words(task, 'image')} predicting {targets_named}{classes_words(task)}", where),
        _html.paragraph(
            f"Images are {predictor.recipe.size[0]}x{predictor.recipe.size[1]}, {predictor.recipe.channels} "
            f"channel{'' if predictor.recipe.channels == 1 else 's'}.",
            note=True,
        ),
    ]
    if overlap:
        intro.append(_html.paragraph(overlap))
    return intro, sections


def _tta_plan(predictor: ImagePredictor, n_images: int, tta: bool | None) -> tuple[bool, str]:
    """Whether to score the images with test-time augmentation too, and else what the report says instead
    (``""``: nothing, the model cannot use it or ``tta`` is ``False``).

    Raises:
        ConfigError: ``tta=True`` for a model that cannot use TTA (several numbers an image).
    """
    from trainwell.data.tta import tta_refusal
    from trainwell.vision.transform import tta_views_for
    from trainwell.vision.tta_effect import TTA_AUTO_IMAGES

    if tta is False:
        return False, ""
    refused = tta_refusal(predictor.task, "vision", option="--tta (tta=True)", fix="drop it")
    if refused is not None:
        if tta:
            raise ConfigError(refused)
        return False, ""
    if tta_views_for(predictor.augmentation) is None:
        return False, (
            "Not measured: the model trained without augmentation, so --tta gives the plain predictions."
            if tta
            else ""
        )
    on_gpu = any(parameter.is_cuda for parameter in predictor.model.parameters())
    if tta or on_gpu or n_images <= TTA_AUTO_IMAGES:
        return True, ""
    return False, (
        f"Not measured: on the CPU, test-time augmentation predicts each of the {n_images:,} images 5 times "
        f"(a report measures it by itself on up to {TTA_AUTO_IMAGES:,}); pass --tta (Python: tta=True) to "
        "measure whether it helps before predicting or serving with --tta."
    )


def _tta_section(
    predictor: ImagePredictor, plain: torch.Tensor, blended: torch.Tensor, targets: torch.Tensor
) -> str:
    """The images' headline metric plain and with test-time augmentation, and the verdict (said as a note too,
    so that the command line prints it)."""
    from trainwell.core.warn import Note, warn
    from trainwell.vision.tta_effect import tta_effect

    effect = tta_effect(predictor.task, plain, blended, targets, predictor.describe_tta())
    rows: list[list[object]] = [[effect.metric, round(effect.plain, 4), round(effect.tta, 4)]]
    if effect.fixed is not None and effect.broken is not None:
        rows.append(["images right only this way", effect.broken, effect.fixed])
    warn(effect.verdict(), Note)
    return _html.section(
        "tta",
        "Test-time augmentation",
        [
            _html.paragraph(
                f"The same images predicted plain and with --tta: {effect.views}. The other sections use the "
                "plain predictions.",
                note=True,
            ),
            _html.table(["", "plain", "with TTA"], rows),
            _html.paragraph(effect.verdict()),
        ],
    )


def _idx_set(source: Path) -> tuple[np.ndarray, list[object], Path, str] | None:
    """A folder of IDX files' images to judge on (its test set, held out of every choice the fit made; else its
    training set), their labels, their file and where they are in words; ``None`` for any other source."""
    from trainwell.vision.io import idx_files, idx_sets

    sets = idx_sets(source) if source.is_dir() else None
    if sets is None:
        return None
    split = "test" if "test" in sets else "train"
    images, labels = sets[split]
    named = idx_files(source)[split][0]
    words = "test" if split == "test" else "training"
    return images, labels.tolist(), named, f"{named} (the {words} split of {source})"


def _labelled_files(
    predictor: ImagePredictor,
    source: Path,
    path_col: str | None,
    label_col: str | None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> tuple[LabelledFiles, str]:
    """The images to judge on and their labels, from a folder tree or a CSV, and where they are in words. Of a
    folder's ``train/``, ``valid/`` and ``test/`` splits, the test split (held out of every choice the fit made),
    else the validation split."""
    task = predictor.task
    if source.is_file() and is_image_file(source):
        raise DataError(
            f"'{source}' is one image; a model is judged on labelled images: pass a folder of class "
            "folders (photos/<label>/*.jpg, or its test/ split) or a CSV of image paths and labels"
        )
    if source.is_file():
        trained = predictor.recipe.extra.get("csv") or {}
        path_col = path_col or trained.get("path_col")
        label_col = label_col or trained.get("label_col")
        if path_col is None or label_col is None:
            raise ConfigError(
                f"'{source}' is a CSV: name its columns with --path-col and --label-col (the model was not "
                "trained from a CSV, so their names are not known)"
            )
        files, _table = csv_files(
            source,
            path_col,
            label_col,
            label_delim=task.label_delim,
            trained_single_label=task.kind != "multilabel",
            encoding=encoding,
            encoding_errors=encoding_errors,
        )
        return files, str(source)
    if task.kind == "multilabel":
        raise ConfigError(
            f"'{source}' is a folder, but a multi-label image model needs a CSV of paths and labels (several "
            "labels per image): pass --data labels.csv with --path-col and --label-col"
        )
    splits = folder_splits(source, known=set(task.classes))  # cat_0100.jpg alone is a cat to score
    if "all" in splits:
        return splits["all"], str(source)
    key = "test" if "test" in splits else "valid" if "valid" in splits else "train"
    names = {"test": TEST_NAMES, "valid": VALID_NAMES, "train": TRAIN_NAMES}[key]
    folder = next(child for child in source.iterdir() if child.is_dir() and child.name.lower() in names)
    split = {"test": "test", "valid": "validation", "train": "training"}[key]
    return splits[key], f"{folder} (the {split} split of {source})"


def _under(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (``airplane/0019.jpg``; ``../photos/cat/0019.jpg`` for a CSV listing images
    beside its folder, as its cells write them: the name alone showed two 0019.jpg), else its name."""
    import os

    try:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    except (ValueError, OSError):  # another drive
        return path.name


def _top_images_section(
    predictor: ImagePredictor,
    names: list[str],
    pixels_of: Callable[[list[int]], torch.Tensor],
    targets: torch.Tensor,
    probabilities: torch.Tensor,
    losses: np.ndarray,
    k: int,
) -> str:
    """The ``k`` images of highest loss with their occlusion maps (``names``: how the table names each image,
    ``pixels_of``: the model's pixels of the images at some positions)."""
    task = predictor.task
    multilabel = task.kind == "multilabel"
    regression = task.kind == "regression"
    several = regression and len(task.target_names) > 1  # a point's x, y: its numbers' spread scales them
    spread = targets.float().std(dim=0).clamp_min(1e-12) if several else None
    order = np.lexsort((np.arange(len(losses)), -losses))[:k]
    predicted = task.decode(probabilities)
    if regression:
        predicted, actual = [shown_number(v) for v in predicted], [shown_number(v) for v in targets.tolist()]
    else:
        actual = (
            task.decode(targets) if multilabel else [task.classes[int(value)] for value in targets.tolist()]
        )
    # The probability of the predicted class, on each caption and in the table (docs: "captioned actual ->
    # predicted, p(predicted), loss"), as interp.plot_top_losses and the table reports give it.
    confidence: np.ndarray | None = None
    if task.kind in ("binary", "multiclass"):
        scores = probabilities.float()
        if task.kind == "binary":
            positive = scores.reshape(len(scores), -1)[:, -1]
            scores = torch.stack([1 - positive, positive], 1)
        confidence = scores.max(dim=-1).values.numpy()
    pixels = pixels_of(order.tolist())
    holder = _Holder(predictor)
    explained: list[int | None] = []  # the target each image's map explains (None: its predicted class)
    titles, rows = [], []
    for index in order.tolist():
        if multilabel:
            # The map of the label decided worst in this image (a label missed, or one given wrongly).
            p = probabilities[index].float().clamp(1e-7, 1 - 1e-7)
            wrongness = torch.where(targets[index] > 0.5, -torch.log(p), -torch.log(1 - p))
            label = int(wrongness.argmax())
            explained.append(label)
            how = "missed" if float(targets[index, label]) > 0.5 else "wrongly given"
            titles.append(
                f"'{task.classes[label]}' {how} (p={float(p[label]):.2f}, loss {losses[index]:.2f})"
            )
            cells = _outputs.top_losses_cells(task, probabilities, targets, index)
            rows.append([_outputs.shown_row(index), names[index], *cells, float(losses[index])])
        else:
            if several and spread is not None:  # a point: the map of the number predicted worst, in its SDs
                worst = int(((probabilities[index] - targets[index]).abs() / spread).argmax())
                explained.append(worst)
                titles.append(f"{actual[index]} -> {predicted[index]} ({task.target_names[worst]} worst)")
            else:
                explained.append(None)
                error = (
                    f"squared error {losses[index]:.3g}"
                    if regression
                    else f"p={float(confidence[index]):.2f}, loss {losses[index]:.2f}"
                    if confidence is not None
                    else f"loss {losses[index]:.2f}"
                )
                # Named sides: a bare "9 -> 3" read as a riddle.
                titles.append(f"actual {actual[index]} -> predicted {predicted[index]}\n({error})")
            rows.append(
                [
                    _outputs.shown_row(index),
                    names[index],
                    actual[index],
                    predicted[index],
                    *([float(confidence[index])] if confidence is not None else []),
                    float(losses[index]),
                ]
            )
    # Every map in one call: the images' occluded copies share forward passes (ten maps of 32-pixel images
    # were ten streams of 225 copies in passes of 128).
    maps = occlusion_maps(holder, list(pixels[: len(explained)]), targets=explained)
    if multilabel:
        what = (
            f"The {len(maps)} images with the highest loss ({_outputs.loss_words(task)}), each beside the "
            "occlusion map of its worst-decided label: red areas are where covering the image lowers that "
            "label's probability, i.e. what the model took as evidence for it."
        )
        header = ["image", "file", *_outputs.top_losses_header(task), "loss"]
    elif several:
        what = (
            f"The {len(maps)} images predicted worst ({_outputs.loss_words(task)}), each with its actual -> "
            f"predicted {', '.join(task.target_names)} and the occlusion map of the number it predicted worst: red "
            "areas are where covering the image lowers that number, blue where it raises it."
        )
        header = ["image", "file", "actual", "predicted", "squared error (SDs²)"]
    elif regression:
        what = (
            f"The {len(maps)} images predicted worst (the largest squared error), each with its actual -> "
            "predicted number and its occlusion map: red areas are where covering the image lowers the "
            "predicted number, blue where it raises it, i.e. what the model read the number from."
        )
        header = ["image", "file", "actual", "predicted", "squared error"]
    else:
        what = (
            f"The {len(maps)} images with the highest loss (-log of the probability given to the true class), "
            "each titled actual -> predicted class, p (the probability of the predicted class) and loss, beside "
            "its occlusion map: red areas are where covering "
            "the image lowers the probability of the predicted class, i.e. what the model relied on; blue, "
            "where covering raises it. All maps share one colour scale (the bar on the right), so their colours compare."
        )
        header = [
            "image",
            "file",
            "actual",
            "predicted",
            *(["p(predicted)"] if confidence is not None else []),
            "loss",
        ]
    # What covered the image, said in the caption as in the figure's legend: a grey patch on a dark image (MNIST's
    # black background) is a bright mark of its own, so each patch takes the image's own mean colour.
    what += (
        " Each patch that covers the image is filled with that image's own mean colour (per channel), which "
        "adds no mark of its own."
    )
    body = [_html.paragraph(what, note=True)]
    if maps:
        body.append(_html.image(plot_occlusion(maps, titles=titles), "top-loss images with occlusion maps"))
        body.append(_html.table(header, rows))
    return _html.section("top-losses", "Top losses", body)


class _Holder:
    """What :func:`occlusion_map` needs from a predictor: the model and the task."""

    def __init__(self, predictor: ImagePredictor) -> None:
        self.model = predictor.model
        self.task = predictor.task
