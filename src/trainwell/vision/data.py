"""Build a DataBundle of images: from a folder tree, a CSV of paths and labels, or arrays.

Images are decoded and fitted to one size once, here, into a ``uint8`` tensor ``(N, C, H, W)``; batches are
slices of it (4x less memory and transfer than floats). Augmentation runs later, on whole batches, as tensor
operations (see :mod:`trainwell.vision.augment`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle, keep_classes_in_train, random_split
from trainwell.data.class_shares import class_shares
from trainwell.data.fair_order import fair_order
from trainwell.data.fingerprint import RowSketch, item_digests
from trainwell.data.loader import TensorLoader
from trainwell.data.task import Task, infer_task, name_labels, warn_unknown_labels, warn_whole_number_classes
from trainwell.models.layers import target_statistics
from trainwell.vision import _choices
from trainwell.vision._counts import split_counts
from trainwell.vision._like import check_classes, check_like, with_channels
from trainwell.vision._reading import ReadingProgress
from trainwell.vision._sources import TableColumns, file_splits, is_path_list, is_table
from trainwell.vision.augment import Augmentation
from trainwell.vision.io import (
    PIXELS_COLUMN,
    LabelledFiles,
    as_image_batch,
    decode_images,
    idx_sets,
    pixel_rows,
    probe_images,
    warn_listed_joined_labels,
)
from trainwell.vision.recipe import ImageRecipe

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.core.label_names import LabelNames

#: Images whose median side is at most this are kept at their own size; larger ones default to DEFAULT_SIZE.
NATIVE_SIZE_LIMIT = _choices.NATIVE_SIZE_LIMIT
DEFAULT_SIZE = 128
Size = int | tuple[int, int]


@dataclass(repr=False)
class ImageDataBundle(DataBundle):
    """A DataBundle of images, with ``show_batch`` and the file paths behind each split (when from files)."""

    paths: dict[str, list[Path]] | None = None
    #: Seconds reading the files took (``None``: none read: arrays).
    read_seconds: float | None = None

    def show_batch(  # type: ignore[override]  # a PNG of the images, where a table gives rows
        self, path: str | Path = "batch.png", n: int = 16, augmented: bool = True
    ) -> Path:
        """Write a PNG grid of training images with their labels, augmented as the model will see them."""
        from trainwell.vision.plots import show_batch

        return show_batch(self, Path(path), n=n, augmented=augmented)

    def __repr__(self) -> str:
        """``DataBundle(task=binary, train=41 images, valid=10 images, application='vision')``: it said
        ``41 rows``."""
        sizes = ", ".join(
            f"{name}={_images(int(loader.n_rows))}"  # type: ignore[attr-defined]
            for name, loader in self.loaders().items()
        )
        return f"DataBundle(task={self.task.kind}, {sizes}, application={self.application!r})"


def _images(count: int) -> str:
    return f"{count:,} image{'' if count == 1 else 's'}"


def image_data(
    source: str | Path | pd.DataFrame | Sequence[str | Path] | np.ndarray | torch.Tensor,
    labels: Sequence[Any] | np.ndarray | torch.Tensor | None = None,
    *,
    valid: tuple[Any, Any] | str | Path | pd.DataFrame | None = None,
    test: tuple[Any, Any] | str | Path | pd.DataFrame | None = None,
    path_col: str | None = None,
    label_col: str | None = None,
    label_delim: str | None = None,
    label_names: LabelNames | None = None,
    valid_pct: float = 0.2,
    size: Size | None = None,
    resize: str | None = None,
    channels: int | None = None,
    task: str | Task | None = None,
    augmentation: Augmentation | str | None = "auto",
    batch_size: int | None = None,
    seed: int = 0,
    n_workers: int | None = None,
    cache: bool | str | Path | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    like: DataBundle | None = None,
    progress: bool = True,
) -> ImageDataBundle:
    """Everything an image Learner needs: decoded, resized images, the task, the recipe and the loaders.

    Args:
        source: a folder (``<label>/*.jpg``, or ``train/`` + ``valid/`` [+ ``test/``] with class folders; or
            MNIST's IDX files, ``train-images-idx3-ubyte.gz`` and its labels, ``t10k-*`` the test set), a
            CSV of paths and labels (with ``path_col`` and ``label_col``; paths relative to the CSV's folder), a
            DataFrame of them (paths relative to the current folder), a list of image paths (with ``labels``),
            or an array of images ``(N, H, W[, C])`` / ``(N, C, H, W)``, uint8 or 0..1 floats (with ``labels``).
        labels: the labels of a list of paths or an array ``source``.
        valid, test: held-out sets of the source's kind: a folder of class folders for a folder, a CSV or a
            DataFrame of the same columns for a CSV or a DataFrame, ``(paths, labels)`` for a list of paths,
            ``(images, labels)`` for an array.
        path_col, label_col, label_delim: for a CSV or DataFrame source; ``label_delim`` makes labels
            multi-label.
        label_names: names for the labels, shown and predicted in their place: a list naming the labels 0, 1,
            2 ... (CIFAR-10's as arrays), ``{label: name}``, or a file or a text as ``--label-names`` reads them
            (:func:`~trainwell.data.task.name_labels`).
        valid_pct: share held out at random when no validation set is given.
        size: side (or ``(height, width)``) images are fitted to once; default: their own size when small
            (<= 64 px), else 128.
        resize: ``crop`` (centre), ``squish`` or ``pad``; default ``crop``, and ``squish`` for several numbers an
            image (a point's ``x,y``: each stays at the same fraction of the width and height).
        channels: read every image as grayscale (``1``) or colour (``3``; grey images repeated into the three
            channels) instead of as the majority of the files are (a few colour strays among grey images
            are read as grey): the model, ``trainwell.json`` and so ``predict``, ``serve`` and the ONNX file take
            that many channels. An array is converted likewise.
        task: override the inferred task (``binary``, ``multiclass``, ``multilabel``, ``regression``), or a
            whole :class:`~trainwell.data.task.Task` whose classes to keep. Labels that are numbers, some of
            them not whole (an age of 3.7), are inferred as a regression; whole numbers are classes (digits)
            unless ``task="regression"``.
        augmentation: an :class:`Augmentation`, a preset name (``"default"``, ``"digits"``, ``"documents"``,
            ``"none"``) or ``"auto"`` (digits-style for small grayscale images, else the photo default).
        batch_size: images per training batch (default: 128, fewer for small sets).
        seed: controls the split and the shuffling.
        n_workers: processes decoding files (default: one per CPU, for large sets).
        cache: keep decoded images in a disk cache and memory-map them (later runs skip decoding; sets
            bigger than memory work): ``True`` for the default folder (``$TRAINWELL_CACHE`` or
            ``~/.cache/trainwell/images``), a folder, ``False`` to decode into memory only, or ``None`` (the
            default): memory when the set fits comfortably (read from the default folder's entry for these very
            files when an earlier run left one, not decoded again), else the default cache folder.
        encoding: text encoding of a CSV source (and of ``valid`` / ``test`` CSVs), e.g. ``"cp1252"`` (Excel
            on Windows); never guessed.
        encoding_errors: ``"replace"`` reads a byte of such a CSV that ``encoding`` cannot decode as U+FFFD
            instead of stopping (``"strict"``), as tables read it.
        like: a bundle of :func:`image_data` whose size (unless ``size`` names another: progressive resizing),
            channels, resizing, normalisation, augmentation (unless ``augmentation`` names another) and task are
            taken as they are instead of chosen from these images: the next task of continual learning, more
            images for a Learner trained on the first (``learn.data = image_data(folder, like=learn.data)``),
            read by the model as it read those; a label that is not among its classes is refused (see
            :mod:`trainwell.vision._like`).
        progress: when decoding the files takes more than 2 s, say how it goes on standard error (one line
            rewritten in a terminal, a few plain lines elsewhere; :mod:`trainwell.vision._reading`).

    Example:
        >>> images = np.random.default_rng(0).integers(0, 255, (40, 16, 16), dtype=np.uint8)
        >>> image_data(images, labels=[0, 1] * 20, augmentation="none").task.kind
        'binary'
    """
    _check_settings(valid_pct, batch_size, size)
    _check_channels(channels)
    _check_augmentation(augmentation)
    check_like(like, resize=resize, task=task, label_names=label_names, channels=channels)
    given: ImageRecipe | None = None  # like='s recipe, taken as it is (at another size when size= says so)
    if like is not None:
        given = cast(ImageRecipe, like.recipe)
        if size is not None:  # progressive resizing: the same normalisation and classes, larger images
            given = dataclasses.replace(given, size=_chosen_size(size, []))
        size, resize, task = given.size, given.resize, like.task
        if label_delim is None:  # a multi-label CSV's labels are split as the first data's were
            label_delim = like.task.label_delim
    from trainwell.core.archives import unpacked

    source, valid, test = unpacked(source), unpacked(valid), unpacked(test)  # photos.zip: what it holds
    name = str(source) if isinstance(source, str | Path) else "the images"
    idx = idx_sets(Path(source)) if isinstance(source, str | Path) and labels is None else None
    if idx is not None:  # MNIST's IDX files: its train-* set, and its t10k-* set as the test set
        source, labels = idx["train"]
        if test is None and "test" in idx:
            test = idx["test"]
    paths: dict[str, list[Path]] | None = None
    read_seconds: float | None = None
    if isinstance(source, str | Path) or is_table(source) or is_path_list(source):
        if not isinstance(source, str | Path):
            name = "the DataFrame" if is_table(source) else "the image paths"
        splits, paths = file_splits(
            Path(source) if isinstance(source, str) else source,
            labels,
            valid,
            test,
            TableColumns(path_col, label_col, label_delim, encoding, encoding_errors),
        )
        train_files = splits["train"] if "train" in splits else splits["all"]
        quantity = _is_quantity(train_files.labels, task.kind if isinstance(task, Task) else task)
        resize = resize or _default_resize(train_files.labels, quantity)
        if quantity:  # every split's labels as numbers, a cell that is not one named by its row
            splits = {
                key: LabelledFiles(
                    files.paths,
                    numeric_labels(files.labels, _split_name(name, key, valid, test), label_col, label_delim),
                )
                for key, files in splits.items()
            }
        # once: the size and the channels (200 files opened); like= gives both
        probed = (
            probe_images(train_files.paths, channels=channels)
            if given is None
            else (given.size, given.channels)
        )
        chosen = _chosen_size(size, train_files.paths, probed)
        channels = probed[1]
        cache_dir = _cache_dir(cache, sum(len(files) for files in splits.values()), channels, chosen)
        reading = _reading_progress(splits, progress)
        arrays = {
            key: _decode(
                files, chosen, channels, resize, n_workers, cache_dir, reuse=cache is None, reading=reading
            )
            for key, files in splits.items()
        }
        read_seconds = reading.close()
        if paths is not None:
            paths = {key: [files.paths[i] for i in arrays[key][2]] for key, files in splits.items()}
        decoded = {key: (images, values) for key, (images, values, _kept) in arrays.items()}
        if "valid" in decoded:
            # A valid/ folder (or CSV) sorted by class: kept in a fair order, as a share drawn at random is.
            decoded["valid"], order = _in_fair_order(*decoded["valid"], seed, quantity)
            if paths is not None and order is not None:
                paths["valid"] = [paths["valid"][i] for i in order]
    else:
        if labels is None:
            raise ConfigError("image_data from an array needs labels=: one label per image")
        decoded = {"train": _array_split(source, labels, "the images")}
        if label_delim is None:  # labels=["cat|dog", ...]: a class per combination, said as a CSV's are
            warn_listed_joined_labels(decoded["train"][1], "image_data's labels=")
        for key, held in (("valid", valid), ("test", test)):
            if held is not None:
                if not isinstance(held, tuple) or len(held) != 2:
                    raise ConfigError(f"{key}= must be an (images, labels) pair when the source is an array")
                decoded[key] = _array_split(held[0], held[1], f"the {key} images")
        quantity = _is_quantity(decoded["train"][1], task.kind if isinstance(task, Task) else task)
        resize = resize or _default_resize(decoded["train"][1], quantity)
        decoded = {
            key: (_fit_array(images, size, resize), values) for key, (images, values) in decoded.items()
        }
        chosen_channels = given.channels if given is not None else channels
        if (
            chosen_channels is not None
        ):  # colour or grey as asked (or as like='s), as a file is decoded to them
            decoded = {
                key: (with_channels(images, chosen_channels), values)
                for key, (images, values) in decoded.items()
            }
        if quantity:
            decoded = {
                key: (images, numeric_labels(values, "the images" if key == "train" else f"the {key} images"))
                for key, (images, values) in decoded.items()
            }
    if "valid" not in decoded and "all" not in decoded and valid_pct > 0:
        # train/ (and test/) without valid/: the validation images come out of train/.
        decoded["all"] = decoded.pop("train")
        if paths is not None:
            paths["all"] = paths.pop("train")
    if "all" in decoded:
        images, values = decoded.pop("all")
        if valid_pct > 0:
            if isinstance(images, np.memmap) and not _fits_in_memory(
                len(images), images.shape[1], images.shape[2:]
            ):
                raise DataError(
                    f"{name}: {len(images)} images are too many to split at random in memory; arrange them as "
                    "train/<label>/ and valid/<label>/ folders (each split is then read from the disk cache)"
                )
            if len(images) < 2:  # random_split's "need at least 2 rows", said of images
                raise DataError(
                    f"{name} holds {_images(len(images))}: at least 2 are needed to hold some out for validation; "
                    "add images"
                )
            train_index, valid_index = random_split(len(images), valid_pct, seed)
            if (
                not quantity
                and not isinstance(task, Task)
                and not any(isinstance(v, list | tuple) for v in values)
            ):
                train_index, valid_index = keep_classes_in_train(
                    train_index, valid_index, values, name, unit="image"
                )
            # The validation images in a fair order (every prefix holds each class in proportion): a budget's
            # capped pass reads the first batches, which in the files' order were one class or two.
            valid_index = valid_index[
                fair_order([values[i] for i in valid_index], seed, classes=not quantity)
            ]
            decoded["train"] = (images[train_index], [values[i] for i in train_index])
            decoded["valid"] = (images[valid_index], [values[i] for i in valid_index])
            if paths is not None:
                every = paths.pop("all")
                paths["train"] = [every[i] for i in train_index]
                paths["valid"] = [every[i] for i in valid_index]
        else:
            decoded["train"] = (images, values)
            if paths is not None:
                paths["train"] = paths.pop("all")
    train_images, train_labels = decoded["train"]
    # A Task given whole (cross-validation folds) keeps every fold's classes those of the whole data set.
    resolved = (
        task
        if isinstance(task, Task)
        else _task(train_labels, "regression" if quantity else task, label_delim, name, label_col or "label")
    )
    if label_names is not None:
        resolved = name_labels(resolved, label_names)
    if given is not None:
        for key, (_, values) in decoded.items():
            check_classes(resolved, values, _split_name(name, key, valid, test))
    recipe = ImageRecipe.fit(train_images, resize=resize) if given is None else given
    if like is not None and augmentation == "auto":  # the first data's, as it trained the model
        chosen_augmentation = _resized(like.augmentation, recipe.size)
        if chosen_augmentation is not None:
            recipe = dataclasses.replace(
                recipe, extra={**recipe.extra, "augmentation": chosen_augmentation.to_dict()}
            )
    else:
        chosen_augmentation = _augmentation(augmentation, recipe, points=_several_targets(resolved))
        # Recorded for test-time augmentation in the predictor, which must only use what training used (digits
        # and text are never mirrored), and the preset's name for `trainwell info` and the fit's first line.
        extra = {
            key: value
            for key, value in recipe.extra.items()
            if key not in ("augmentation", "augmentation_preset")
        }
        if chosen_augmentation is not None:
            extra["augmentation"] = chosen_augmentation.to_dict()
            extra["augmentation_preset"] = _preset_name(augmentation, recipe)
        recipe = dataclasses.replace(recipe, extra=extra)
    if path_col is not None and label_col is not None:
        # Recorded so that a report or an evaluation on another CSV of the same form needs no column options.
        recipe = dataclasses.replace(
            recipe, extra={**recipe.extra, "csv": {"path_col": path_col, "label_col": label_col}}
        )
    bs = batch_size or _default_batch_size(len(train_images))
    # Memory-mapped pixels are gathered batch by batch, never copied whole.
    gather = "batch" if isinstance(train_images, np.memmap) else "epoch"
    train = TensorLoader(
        (torch.from_numpy(train_images), _encode(resolved, train_labels, "training")),
        bs,
        shuffle=True,
        drop_last=len(train_images) > bs,
        seed=seed,
        gather=gather,
    )
    # Which images trained the model (digests of their pixels), sketched, so a report on them can say so.
    train_rows = pixel_rows(train_images)
    train.rows_sketch = RowSketch.of(train_rows, [PIXELS_COLUMN])  # type: ignore[attr-defined]
    # Each class's share of the training images: the constant answer a report on other images compares with.
    shares = class_shares(resolved, train.tensors[-1])
    if shares is not None:
        train.class_shares = shares  # type: ignore[attr-defined]
    loaders: dict[str, TensorLoader] = {}
    for key in ("valid", "test"):
        if key in decoded and len(decoded[key][0]):
            images, values = decoded[key]
            warn_copies_of_training(images, train_rows[PIXELS_COLUMN], key, paths, name)
            loaders[key] = TensorLoader(
                (torch.from_numpy(images), _encode(resolved, values, key)), bs * 2, gather=gather
            )
    # How many images of each class each split holds: said by fit before training (and for trainwell.json, as
    # class_shares is); not in the recipe, which like= takes as it is.
    train.images_found = split_counts(  # type: ignore[attr-defined]
        {"train": train.tensors[-1], **{key: loader.tensors[-1] for key, loader in loaders.items()}},
        resolved.kind,
        len(resolved.classes or ()),
    )
    hints = {"n_out": resolved.n_outputs, "in_channels": recipe.channels, "size": list(recipe.size)}
    if resolved.kind == "regression":  # the model answers in the target's units (models.layers.TargetScale)
        hints.update(target_statistics(train.tensors[-1]))
        if like is not None:  # the model's scaling of the target is the first data's
            hints.update({key: like.model_hints[key] for key in hints if key in like.model_hints})
    return ImageDataBundle(
        resolved,
        train,
        loaders.get("valid"),
        loaders.get("test"),
        recipe,
        "vision",
        hints,
        chosen_augmentation,
        paths=paths,
        read_seconds=read_seconds,
    )


def _decode(
    files: LabelledFiles,
    size: tuple[int, int],
    channels: int,
    resize: str,
    n_workers: int | None,
    cache_dir: Path | None,
    *,
    reuse: bool = False,
    reading: ReadingProgress | None = None,
) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """The files decoded: through the disk cache when ``cache_dir`` is given; else into memory, from the default
    cache folder's entry for these very files and settings when ``reuse`` and an earlier run left one
    (``cache=True``, or a set once too big for memory): decoding 60,000 small PNGs again would take longer than
    a short ``--time`` budget's training, and the decoding is inside the budget. ``reading`` is told of each
    chunk decoded (a cache entry found is read in a moment and counted at once)."""
    from trainwell.vision.cache import cached_decode, cached_entry, default_cache_dir

    done_before = reading.done if reading is not None else 0
    advance = reading.advance if reading is not None else None

    if cache_dir is not None:
        images, kept = cached_decode(
            files.paths, size, channels, resize, cache_dir=cache_dir, n_workers=n_workers, progress=advance
        )
    else:
        found = (
            cached_entry(files.paths, size, channels, resize, cache_dir=default_cache_dir())
            if reuse
            else None
        )
        if found is not None:
            images, kept = np.array(found[0]), found[1]  # read into memory, as decoding would have left them
        else:
            images, kept = decode_images(
                files.paths, size, channels, resize, n_workers=n_workers, progress=advance
            )
    if reading is not None:
        reading.advance(len(files) - (reading.done - done_before))  # a cache entry's files, read at once
    return images, [files.labels[i] for i in kept], kept


def _in_fair_order(
    images: np.ndarray, values: list[Any], seed: int, quantity: bool
) -> tuple[tuple[np.ndarray, list[Any]], np.ndarray | None]:
    """A held-out split's images and labels in :func:`~trainwell.data.fair_order.fair_order`, and that order
    (``None``: kept as they were, a memory-mapped split too large to copy into memory in another order)."""
    if isinstance(images, np.memmap) and not _fits_in_memory(len(images), images.shape[1], images.shape[2:]):
        return (images, values), None
    order = fair_order(values, seed, classes=not quantity)
    return (images[order], [values[i] for i in order]), order


def _reading_progress(splits: dict[str, LabelledFiles], progress: bool) -> ReadingProgress:
    """The progress line of decoding every split's files (said on the first process of ``torchrun`` alone)."""
    from trainwell.core.device import is_rank_zero

    every = [path for files in splits.values() for path in files.paths[:1000]]
    total = sum(len(files) for files in splits.values())
    return ReadingProgress(total, every, enabled=progress and is_rank_zero())


def _cache_dir(
    choice: bool | str | Path | None, n_images: int, channels: int, size: tuple[int, int]
) -> Path | None:
    """Where decoded pixels go: ``None`` for memory (checked to fit when asked for explicitly)."""
    from trainwell.vision.cache import default_cache_dir

    if choice is None:
        return default_cache_dir() if not _fits_in_memory(n_images, channels, size) else None
    if choice is False:
        if not _fits_in_memory(n_images, channels, size):
            _check_memory(n_images, channels, size)
        return None
    return default_cache_dir() if choice is True else Path(choice)


def _available_memory() -> int | None:
    """Bytes of memory available now, where the platform says (Linux, macOS)."""
    import os

    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def warn_copies_of_training(
    images: np.ndarray,
    train_digests: Any,
    split: str,
    paths: dict[str, list[Path]] | None = None,
    name: str = "the images",
) -> int:
    """Warn when held-out images are pixel-for-pixel copies of training images; return how many are.

    A copy scores as well as the training image it repeats, so the held-out metrics flatter the model (the same
    photo saved in two folders, a data set that ships duplicates, a split drawn after copies were made). The
    warning names the first copy and its training twin by path when the images came from files.
    """
    where = {digest: index for index, digest in enumerate(train_digests)}
    held = item_digests(images)
    copies = [index for index, digest in enumerate(held) if digest in where]
    if copies:
        noun = {"valid": "validation", "test": "test"}.get(split, split)
        first = copies[0]
        example = ""
        if paths is not None and split in paths and "train" in paths:
            example = f" (the first: '{paths[split][first]}', the same pixels as '{paths['train'][where[held[first]]]}')"
        warn(
            f"{name}: {len(copies):,} of {len(held):,} {noun} images ({len(copies) / len(held):.1%}) are pixel-for-"
            f"pixel copies of training images{example}; they score as the training images do and flatter the "
            f"{noun} metrics: remove the copies from one split",
            UserWarning,
        )
    return len(copies)


def warn_repeated_images(
    images: np.ndarray, paths: Sequence[Path] | None = None, name: str = "the images"
) -> int:
    """Warn when images repeat one another pixel for pixel; return how many are repeats of an earlier one.

    Cross-validation (``trainwell evaluate``) draws its folds from all the images, so a copy can land in the fold
    that scores its twin's model and flatter the scores (each fold's own check is then not said again). The
    warning names the first repeat and the image it repeats by path when the images came from files.
    """
    first_of: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for index, digest in enumerate(item_digests(images)):
        if digest in first_of:
            repeats.append((index, first_of[digest]))
        else:
            first_of[digest] = index
    if repeats:
        example = ""
        if paths is not None:
            copy, twin = repeats[0]
            example = f" (the first: '{paths[copy]}', the same pixels as '{paths[twin]}')"
        warn(
            f"{name}: {len(repeats):,} of {len(images):,} images repeat another image pixel for pixel{example}; "
            "cross-validation can score a copy with a model trained on its twin, which flatters the scores: remove "
            "the copies",
            UserWarning,
        )
    return len(repeats)


#: The start of :func:`warn_copies_of_training`'s warning, which a caller that checked the whole set leaves out.
COPIES_OF_TRAINING = r".*pixel-for-pixel copies of training images"


def _fits_in_memory(n_images: int, channels: int, size: tuple[int, int]) -> bool:
    available = _available_memory()
    return available is None or n_images * channels * size[0] * size[1] <= available // 2


def _check_memory(n_images: int, channels: int, size: tuple[int, int]) -> None:
    """Refuse, before decoding, a set whose decoded pixels would not fit comfortably in memory."""
    needed = n_images * channels * size[0] * size[1]
    available = _available_memory() or 0
    raise DataError(
        f"{n_images} images at {size[0]}x{size[1]} need {needed / 1e9:.1f} GB decoded, more than half of the "
        f"{available / 1e9:.1f} GB of memory available; pass a smaller --size (e.g. {max(32, size[0] // 2)}) or "
        "let the disk cache hold them (cache=True)"
    )


def _chosen_size(
    size: Size | None, paths: Sequence[Path], probed: tuple[tuple[int, int], int] | None = None
) -> tuple[int, int]:
    """The size the images are fitted to: ``size``, else the files' own median when small, else
    :data:`DEFAULT_SIZE` (``probed``: :func:`probe_images` of ``paths``, when already made)."""
    if size is not None:
        return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    (height, width), _ = probed or probe_images(paths)
    if max(height, width) <= NATIVE_SIZE_LIMIT:
        return height, width
    return DEFAULT_SIZE, DEFAULT_SIZE


def _array_split(images: Any, labels: Any, source: str) -> tuple[np.ndarray, list[Any]]:
    array = as_image_batch(images, source)
    values = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    if len(values) != len(array):
        raise DataError(f"{source}: {len(array)} images but {len(values)} labels; give one label per image")
    if len(array) == 0:
        raise DataError(f"{source} hold no images")
    return array, values


def _fit_array(images: np.ndarray, size: Size | None, resize: str) -> np.ndarray:
    if size is None:
        return images
    target = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if tuple(images.shape[2:]) == target:
        return images
    from PIL import Image

    from trainwell.vision.io import fit_size

    mode = "L" if images.shape[1] == 1 else "RGB"
    out = np.zeros((len(images), images.shape[1], *target), dtype=np.uint8)
    for index, image in enumerate(images):
        pil = Image.fromarray(image[0] if mode == "L" else image.transpose(1, 2, 0), mode)
        array = np.asarray(fit_size(pil, target, resize))
        out[index] = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return out


def _task(
    labels: list[Any], kind: str | None, label_delim: str | None, name: str, column: str = "label"
) -> Task:
    """The task of these labels, its target named ``column`` (a CSV's label column; ``"label"`` for folders)."""
    if not labels:
        raise DataError(f"{name} holds no labelled images")
    if kind == "regression":
        values = numeric_labels(labels, name, column, label_delim)
        if isinstance(values[0], list):  # several numbers an image: one target per label column
            return infer_task(_target_frame(values, column, name), kind="regression")
        return infer_task(values, name=column, kind="regression")
    if isinstance(labels[0], list) and _is_quantity(
        labels, None
    ):  # several numbers an image, asked as classes
        raise ConfigError(
            f"{name}: --label-col '{column}' holds numbers to predict in each image (not 0/1 flags of classes), which "
            f"--task {kind} cannot read as labels: leave --task out (one regression of {column})"
        )
    if kind is None and not isinstance(labels[0], list | tuple):
        distinct = len({str(v) for v in labels})
        if distinct < 2:
            raise DataError(
                f"{name} has a single class ({labels[0]!r}); a classifier needs images of at least two classes"
            )
        kind = "binary" if distinct == 2 else "multiclass"  # integer labels are classes, never quantities
        warn_whole_number_classes(labels, column, "images")
    # Labels joined in one (cat|dog) were warned of where they were read (a CSV, labels=), whatever the task.
    return infer_task(labels, name=column, kind=kind, label_delim=label_delim, joined_said=True)


def _target_frame(values: list[Any], column: str, name: str) -> pd.DataFrame:
    """Several numbers an image as a table of targets, named by the label columns they came from (``x,y``)."""
    import pandas as pd

    widths = {len(row) if isinstance(row, list) else 1 for row in values}
    if len(widths) > 1:
        raise DataError(f"{name}: the images have {sorted(widths)} numbers each; give every image as many")
    names = [part.strip() for part in column.split(",")]
    if len(names) != len(values[0]):
        names = [f"{column}_{index}" for index in range(len(values[0]))]
    return pd.DataFrame(values, columns=names)


def _is_quantity(labels: Sequence[Any], kind: str | None) -> bool:
    """Whether ``labels`` are numbers to predict: ``kind`` is ``"regression"``, or it is unset and every label is
    a number, some of them not whole (an age of 3.7), or a list of numbers (a point: several columns of numbers
    not all 0 or 1, :func:`~trainwell.vision.io.table_files`). Whole numbers alone are classes (digits 0 to 9)
    unless ``--task regression`` says otherwise, as for texts."""
    if kind is not None:
        return kind == "regression"
    if labels and all(isinstance(value, list) and value and all(map(_is_number, value)) for value in labels):
        # Several numbers an image (--label-col x,y): several targets to predict; rows of 0 and 1 alone are the
        # flags of a multi-label image (a multi-hot array).
        return not all(part in (0, 1) for value in labels for part in value)
    if not labels or not all(_is_number(value) for value in labels):
        return False
    values = np.asarray(labels, dtype=float)
    finite = values[np.isfinite(values)]
    return bool((finite != np.round(finite)).any())


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def numeric_labels(
    labels: Sequence[Any],
    name: str,
    column: str | None = None,
    label_delim: str | None = None,
    *,
    judged: bool = False,
) -> list[Any]:
    """``labels`` (in the order of their rows) as the numbers of a regression target, numbers written as text
    too (``"3.5"``); a label that is a list of numbers (several targets: a point) as a list of floats.

    Raises:
        DataError: A label is no finite number (text, empty, NaN): the message names ``name`` (the CSV, or
            what the images are), the label ``column`` (``None``: not from a table) and the row. ``judged``: the
            labels judge a trained regression model (``trainwell report``), which no task flag changes.
        ConfigError: ``label_delim`` is given: a regression target is one number per image.
    """
    if label_delim is not None:
        raise ConfigError(
            f"{name}: label_delim (--label-delim) splits several class labels in one cell; a regression "
            "target is one number per image: drop --label-delim, or drop --task regression"
        )
    values: list[Any] = []
    for row, label in enumerate(labels, start=1):
        if isinstance(label, list) and label and all(_number(part) is not None for part in label):
            values.append([_number(part) for part in label])  # a point: several targets of one image
            continue
        value = _number(label)
        if value is None:
            flags = (
                [part.strip() for part in column.split(",")] if column is not None and "," in column else []
            )
            fix = "fix the cell or drop the row" if column else "give each image a number as its label"
            several = bool(flags) and (isinstance(label, list) or str(label) in flags)
            advice = (
                "several --label-col columns are 0/1 flags of classes; image regression reads one column of "
                "numbers: pass that column alone"
                if several
                else f"this model predicts a number for every image: {fix}, or judge it on images labelled with "
                "numbers"
                if judged
                else f"a regression target needs a number for every image: {fix}, or leave --task regression out "
                "to train a classifier"
            )
            where = (
                f"--label-col '{column}' holds {label!r} in data row {row}"
                if column
                else f"the label of image {row} is {label!r}"
            )
            what = "not a finite number" if _is_number(label) else "not a number"
            raise DataError(f"{name}: {where}, {what}; {advice}")
        values.append(value)
    return values


def _number(label: Any) -> float | None:
    """A label as a finite float, or ``None`` when it is none (text, a list, NaN, an infinity)."""
    if _is_number(label):
        value = float(label)
    elif isinstance(label, str):
        try:
            value = float(label.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _split_name(name: str, key: str, valid: Any, test: Any) -> str:
    """How an error names the split ``key`` of ``name``: a held-out CSV or folder by its path."""
    if key not in ("valid", "test"):
        return name
    held = {"valid": valid, "test": test}[key]
    if isinstance(held, str | Path):
        return str(held)
    return f"the {key} split of {name}"


def _encode(task: Task, labels: list[Any], split: str) -> torch.Tensor:
    if split not in ("train", "training"):
        warn_unknown_labels(task, labels, f"{split} images")
    try:
        return task.encode(labels)
    except DataError as error:
        raise DataError(f"{split} images: {error}") from error


def _default_batch_size(n_images: int) -> int:
    """128, or fewer for small sets so an epoch still has about 20 steps (at least 16)."""
    return int(min(128, max(16, 2 ** math.floor(math.log2(max(n_images, 1) / 20)))))


#: The augmentation presets by name (``"auto"`` chooses one of them from the images).
PRESETS = ("default", "digits", "documents", "none")


def _check_augmentation(choice: object) -> None:
    """Refuse an unknown augmentation before any image is decoded (it was found only after reading them all)."""
    if choice is None or isinstance(choice, Augmentation) or choice in ("auto", *PRESETS):
        return
    raise ConfigError(
        f"augmentation (--augment) must be an Augmentation or a preset name: auto, {', '.join(PRESETS)}; got "
        f"{choice!r}. For your own pipeline, adjust a preset: dataclasses.replace(Augmentation.default(), ...)"
    )


def _augmentation(
    choice: Augmentation | str | None, recipe: ImageRecipe, points: bool = False
) -> Augmentation | None:
    """The augmentation ``choice`` names; ``auto`` picks the preset from the images, and for several numbers an
    image (``points``: a point's ``x,y``) keeps only its changes of colour: a flip, a crop or a turn would move
    the point away from its numbers (``--augment default`` asks for them anyway)."""
    _check_augmentation(choice)
    if choice is None or isinstance(choice, Augmentation):
        return choice
    auto = choice == "auto"
    if auto:
        choice = _preset_name(choice, recipe)
    presets = {
        "default": lambda: _photo_default(recipe),
        "digits": Augmentation.digits,
        "documents": Augmentation.documents,
        "none": Augmentation.none,
    }
    chosen = presets[str(choice)]()
    if auto and points:
        chosen = dataclasses.replace(
            chosen, flip=False, max_rotate=0.0, max_zoom=0.0, max_translate=0.0, min_scale=1.0, max_scale=1.0,
            min_ratio=1.0, max_ratio=1.0, erase_p=0.0, pixel_shift=0,
        )  # fmt: skip
    return chosen


def _resized(augmentation: Any, size: tuple[int, int]) -> Any:
    """``augmentation`` (like='s) with its output at ``size`` where it sets one (the photo preset crops to the
    images' size): at another size= it would crop the larger images back to the first data's."""
    if not isinstance(augmentation, Augmentation) or augmentation.size is None:
        return augmentation
    return dataclasses.replace(augmentation, size=size)


def _preset_name(choice: Augmentation | str | None, recipe: ImageRecipe) -> str:
    """The name of the preset ``choice`` is (``auto``: the one it picks for these images), ``custom`` for an
    :class:`Augmentation` given whole: said by ``trainwell info`` and before a fit."""
    if isinstance(choice, Augmentation) or choice is None:
        return "custom"
    if choice == "auto":
        small_gray = recipe.channels == 1 and max(recipe.size) <= NATIVE_SIZE_LIMIT
        return "digits" if small_gray else "default"
    return str(choice)


def _several_targets(task: Task) -> bool:
    """Whether ``task`` predicts several numbers an image (a point): what no geometric change may move."""
    return task.kind == "regression" and len(task.target_names) > 1


def _default_resize(labels: Sequence[Any], quantity: bool) -> str:
    """``squish`` for several numbers an image (a point stays at its fraction of the width and height), else
    ``crop``."""
    return "squish" if quantity and bool(labels) and isinstance(labels[0], list) else "crop"


def _photo_default(recipe: ImageRecipe) -> Augmentation:
    """The photo preset; for tiny photos (CIFAR-sized) a gentler crop and no rotation.

    A crop of 35% of a 32-pixel image keeps too little to recognise, and a short CPU schedule then underfits:
    measured on CIFAR-10 (simple_cnn 32/64/128, 18 epochs), the full preset gave 82.5% test accuracy.
    """
    preset = Augmentation.default(recipe.size, recipe.channels)
    if max(recipe.size) > NATIVE_SIZE_LIMIT:
        return preset
    return dataclasses.replace(
        preset, min_scale=0.75, max_rotate=0.0, brightness=0.1, contrast=0.1, saturation=0.1
    )


def _check_channels(channels: Any) -> None:
    """Refuse ``channels`` other than 1 (grayscale), 3 (colour) or ``None`` (as the files are), in words."""
    if channels is None or (
        isinstance(channels, numbers.Integral) and not isinstance(channels, bool) and channels in (1, 3)
    ):
        return
    raise ConfigError.worded(
        lambda say: (
            f"{say('channels')} must be 1 (read every image as grayscale) or 3 (as colour, RGB), got {channels!r}; "
            "leave it out to read them as most of the images are"
        )
    )


def _check_settings(valid_pct: float, batch_size: int | None, size: Size | None) -> None:
    from trainwell.data.bundle import check_split_settings

    check_split_settings(
        valid_pct, batch_size, fewest_rows=2, why="batch normalisation needs two images per batch"
    )
    sides = (size,) if isinstance(size, int) else tuple(size or ())
    if any(not isinstance(s, numbers.Integral) or isinstance(s, bool) for s in sides):
        raise ConfigError.worded(
            lambda say: (
                f"{say('size')} is the image side in whole pixels (64, or height and width: (48, 64)), got {size!r}"
            )
        )
    if any(s < 8 for s in sides):
        raise ConfigError.worded(lambda say: f"{say('size')} must be at least 8 pixels, got {size!r}")
