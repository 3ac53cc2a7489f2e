"""Finding and decoding images: folder trees, CSV lists, IDX files; Pillow decoding, resized once.

Decoding happens once, when the data is built, into one ``uint8`` tensor ``(N, C, H, W)``: a corrupt file is
found and reported by name then, never in the middle of an epoch. Large sets are decoded by a pool of
processes (Pillow releases little of the GIL).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import re
import struct
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.paths import TABLE_SUFFIXES as TABLES
from trainwell.core.paths import is_idx_file as is_idx_file
from trainwell.core.paths import natural_sorted
from trainwell.core.warn import warn

if TYPE_CHECKING:
    from PIL import Image

#: HEIC/HEIF, the photos iPhones take: decoded by pillow-heif (``trainwell[heif]``) when installed.
HEIF_SUFFIXES = frozenset({".heic", ".heif"})
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".avif", *HEIF_SUFFIXES}
)
RESIZE_METHODS = ("crop", "squish", "pad")
#: What an image model's command says of standard input ('-'), which it does not read.
NO_STANDARD_INPUT = (
    "an image model reads image files and folders of them, not standard input ('-'); pass their paths"
)
#: Files that hold rows or texts, never an image (each may end in .gz).
TABLE_SUFFIXES = (*TABLES, ".txt", ".conll", ".conllu")
#: Folder names read as the validation and test splits of a folder tree.
VALID_NAMES = ("valid", "validation", "val")
TEST_NAMES = ("test",)
TRAIN_NAMES = ("train", "training")
#: Below this many images decoding stays in this process (a pool costs more than it saves).
POOL_THRESHOLD = 2000
#: Images decoded per task: bounds the memory a worker's result takes.
CHUNK_IMAGES = 512
#: The column of :func:`pixel_rows`, under which an image model's training images are sketched.
PIXELS_COLUMN = "pixels"


@dataclass
class LabelledFiles:
    """Image paths with their labels (one label, or a list of labels for multi-label data)."""

    paths: list[Path]
    labels: list[Any]

    def __len__(self) -> int:
        return len(self.paths)


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


#: The folder a zip made on macOS holds beside its files (``__MACOSX/``, of ``._*`` companions): no images, no
#: class; left out as hidden folders are.
MAC_ZIP_FOLDER = "__MACOSX"


def is_junk_folder(name: str) -> bool:
    """A folder that holds no data: hidden (``.ipynb_checkpoints``) or macOS' zip residue (``__MACOSX``)."""
    return name.startswith(".") or name == MAC_ZIP_FOLDER


def _loose_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder`` (not in its sub-folders), in natural order."""
    return natural_sorted(p for p in folder.iterdir() if is_image_file(p) and p.is_file())


def _images(count: int) -> str:
    return f"{count:,} image{'' if count == 1 else 's'}"


def warn_loose_images(loose: Sequence[Path], folder: Path, beside: str) -> None:
    """Say that the images directly in ``folder``, ``beside`` its sub-folders, are left out: they were dropped
    without a word."""
    if not loose:
        return
    one = len(loose) == 1
    warn(
        f"{_images(len(loose))} directly in '{folder}', beside {beside}, {'is' if one else 'are'} left out "
        f"(e.g. '{loose[0]}'): an image's class is the folder it is in; move {'it' if one else 'them'} into "
        "one",
        UserWarning,
    )


def image_files(folder: Path) -> list[Path]:
    """The image files below ``folder``, in the order found, as ``fit`` reads a class folder and ``predict`` a
    folder: links to folders followed (each folder once; a link back to the folder or above it is not), hidden
    files and folders and model directories (their ``curves.png``) left out. A link to no file is kept, for the
    decoding to skip it by name as it skips a corrupt file."""
    from trainwell.core.paths import is_model_directory, walk_following_links

    found: list[Path] = []
    for current, dirs, files in walk_following_links(folder):
        dirs[:] = [
            name for name in dirs if not is_junk_folder(name) and not is_model_directory(Path(current) / name)
        ]
        found.extend(
            path
            for name in files
            if is_image_file(path := Path(current) / name) and (path.is_file() or path.is_symlink())
        )
    return found


def looks_like_image_folder(path: Path) -> bool:
    """A directory holding image files somewhere below it (what ``trainwell fit`` treats as image data)."""
    if not path.is_dir():
        return False
    return any(is_image_file(p) for p in _walk_limited(path, limit=2000))


def _walk_limited(root: Path, limit: int) -> list[Path]:
    """Up to ``limit`` files below ``root``, model directories left out (their curves.png is no data)."""
    from trainwell.core.paths import is_model_directory

    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if not is_model_directory(Path(folder) / name)]
        for name in files:
            found.append(Path(folder) / name)
            if len(found) >= limit:
                return found
    return found


def folder_splits(
    root: Path, known: set[Any] | None = None, *, with_test: bool = True
) -> dict[str, LabelledFiles]:
    """Read ``root/<label>/*`` or ``root/{train,valid,test}/<label>/*``; keys are the splits present.
    ``known``: the labels a fitted model knows (scoring it), so that loose images named ``cat_0100.jpg`` read
    as labelled however few they are (see :func:`labels_from_names`). A ``test/`` of loose images without
    labels is no split (said in a warning: :func:`_labelled_test`); ``with_test=False`` leaves ``test/``
    unread."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"image folder '{root}' does not exist; check the path")
    if not root.is_dir():
        raise DataError(
            f"'{root}' is not a folder; pass a folder of class sub-folders (photos/<label>/*.jpg)"
        )
    children = {child.name.lower(): child for child in root.iterdir() if child.is_dir()}
    train_dir = next((children[n] for n in TRAIN_NAMES if n in children), None)
    valid_dir = next((children[n] for n in VALID_NAMES if n in children), None)
    if train_dir is None and valid_dir is None:
        return {"all": labelled_folder(root, names_known=known)}
    if train_dir is None:
        raise DataError(
            f"'{root}' has a '{valid_dir.name}' folder but no 'train' folder; add train/<label>/ images"  # type: ignore[union-attr]
        )
    splits = {"train": labelled_folder(train_dir)}
    warn_loose_images(_loose_images(root), root, f"its '{train_dir.name}' folder")
    if valid_dir is not None:
        splits["valid"] = labelled_folder(valid_dir, known=set(splits["train"].labels))
    test_dir = next((children[n] for n in TEST_NAMES if n in children), None)
    if test_dir is not None and with_test:
        held = _labelled_test(test_dir, set(splits["train"].labels))
        if held is not None:
            splits["test"] = held
    return splits


def _labelled_test(folder: Path, known: set[Any]) -> LabelledFiles | None:
    """A ``test/`` folder beside ``train/``: its class folders, or its loose images when every name reads as
    one of the training classes and a number (``cat.12.jpg``); ``None`` for loose images that name no class
    (a Kaggle competition's ``test/`` of ids to answer, ``img0.jpg``...), said in one line: they have no labels
    to score a model by, so they are for ``trainwell predict``. They were refused, with advice to sort them into
    class folders, which images without labels cannot be."""
    if any(child.is_dir() and not is_junk_folder(child.name) for child in folder.iterdir()):
        return labelled_folder(folder, known=known)
    loose = _loose_images(folder)
    named = _name_labels(loose)
    if not loose or (named is not None and set(named) <= {str(label) for label in known}):
        return labelled_folder(folder, known=known)
    warn(
        f"'{folder}' holds {_images(len(loose))} without labels (no class folders): it is not scored as a test "
        f"set; to answer them, trainwell predict MODEL_DIR '{folder}'",
        UserWarning,
    )
    return None


def labelled_folder(
    folder: Path, known: set[Any] | None = None, names_known: set[Any] | None = None
) -> LabelledFiles:
    """Images of ``folder/<label>/`` (nested folders below a label count for that label); a model directory
    written there (``--out photos/model``) is no class, left out with a warning. ``known``: the training
    folder's labels, which every label here must be one of; ``names_known``: labels known only to read loose
    images' names by (a fitted model's classes: its caller says which it does not know)."""
    from trainwell.core.paths import data_folders

    classes = sorted(child for child in data_folders(folder) if child.name != MAC_ZIP_FOLDER)
    if not classes:
        loose = _loose_images(folder)
        named = labels_from_names(loose, known if known is not None else names_known)
        if named is not None:  # Kaggle's dogs-vs-cats: cat.0.jpg, dog.0.jpg; Oxford pets: Abyssinian_1.jpg
            counts = Counter(named)
            shown = ", ".join(f"{label} ({count:,})" for label, count in sorted(counts.items())[:8])
            more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
            warn(
                f"'{folder}' has no class sub-folders: each image's label is read from its name, the part before "
                f"its number: {shown}{more}",
                UserWarning,
            )
            return _known_labels(LabelledFiles(loose, named), folder, known)
        readable = bool(loose) and all(_NAMED_LABEL.fullmatch(path.stem) for path in loose)
        cameras = _camera_names(loose) if readable and _enough_named(_name_labels(loose) or []) else []
        hint = (
            (
                f" (it holds {_images(len(loose))} named as cameras and phones name them, e.g. "
                f"{', '.join(cameras[:3])}: the part before their number names a camera, not a class)"
                if cameras
                else f" (it holds {len(loose)} loose images named <label><number>, but labels are read from names "
                "only for two labels or more, each with two images at least)"
                if readable
                else f" (it holds {len(loose)} loose images, not all named <label><number> as cat.1.jpg)"
            )
            if loose
            else ""
        )
        if holds_idx_images(folder):
            hint = (
                " (it holds IDX files, MNIST's format, which trainwell fit, evaluate, report and image_data read "
                "as a folder, and predict as an images file, but not here: this needs image files)"
            )
        raise DataError(
            f"'{folder}' has no class sub-folders{hint}; arrange images as {folder}/<label>/<image>.jpg, "
            "or pass a CSV of paths and labels"
        )
    warn_loose_images(_loose_images(folder), folder, "its class folders")
    paths: list[Path] = []
    labels: list[str] = []
    empty: list[str] = []
    for class_dir in classes:
        files = sorted(image_files(class_dir))
        if not files:
            empty.append(class_dir.name)
            continue
        paths.extend(files)
        labels.extend([class_dir.name] * len(files))
    if empty:
        raise DataError(
            f"class folder{'s' if len(empty) > 1 else ''} {', '.join(repr(e) for e in empty)} in '{folder}' "
            f"hold{'' if len(empty) > 1 else 's'} no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
            "add images or remove the folder"
        )
    return _known_labels(LabelledFiles(paths, labels), folder, known)


def _known_labels(files: LabelledFiles, folder: Path, known: set[Any] | None) -> LabelledFiles:
    """``files``, refused when ``known`` (the training folder's labels) lacks one of their labels."""
    if known is not None:
        unknown = sorted(set(files.labels) - known)
        if unknown:
            from trainwell.data.task import plain_label

            written = {plain_label(label): label for label in known}
            twins = [
                f"'{label}' here is '{written[plain_label(label)]}' in the training folder"
                for label in unknown
                if plain_label(label) in written
            ]
            hint = f" ({', '.join(twins[:5])}: name the folders alike)" if twins else ""
            raise DataError(
                f"'{folder}' has classes the training folder lacks: {unknown[:5]}; every class needs training "
                f"images{hint}"
            )
    return files


#: A file name read as a label then a number (``cat.12``, ``great_pyrenees_173``, ``photo (3)``): the label holds a
#: letter, and the separators before the number are not part of it.
_NAMED_LABEL = re.compile(r"(?P<label>.*?[^\W\d_].*?)[\s._-]*\(?\d+\)?")


#: The first word of the names cameras, phones and tools give files (``IMG_0001.JPG``, ``DSC_1030.JPG``,
#: ``PXL_20240101_093000123.jpg``, ``Screenshot 2024-01-05 at 10.22.31.png``, ``frame_0001.png``): a camera's or
#: a tool's, never a class, however many of them a folder mixes.
CAMERA_WORDS = frozenset(
    {
        "img", "image", "images", "dsc", "dscn", "dscf", "dcim", "pxl", "mvimg", "vid", "mov", "gopr", "dji",
        "cimg", "pict", "sam", "screenshot", "screen", "whatsapp", "snapchat", "photo", "photos", "pic",
        "picture", "frame", "scan", "capture", "untitled", "file", "download",
    }
)  # fmt: skip


def _name_labels(paths: Sequence[Path]) -> list[str] | None:
    """Each name's part before its number, when every name reads so (:data:`_NAMED_LABEL`); else ``None``."""
    labels: list[str] = []
    for path in paths:
        match = _NAMED_LABEL.fullmatch(path.stem)
        if match is None:
            return None
        labels.append(match["label"])
    return labels


def _enough_named(labels: Sequence[str]) -> bool:
    """At least two labels of two images each, and labels fewer than half the images."""
    counts = Counter(labels)
    return len(counts) >= 2 and min(counts.values()) >= 2 and len(counts) * 2 <= len(labels)


def _camera_names(paths: Sequence[Path]) -> list[str]:
    """One file name for each camera's or tool's name prefix among ``paths`` (:data:`CAMERA_WORDS`), in order."""
    shown: dict[str, str] = {}
    for path in paths:
        match = _NAMED_LABEL.fullmatch(path.stem)
        words = re.findall(r"[^\W_]+", match["label"]) if match is not None else []
        if words and words[0].lower() in CAMERA_WORDS:
            shown.setdefault(words[0].lower(), path.name)
    return list(shown.values())


def labels_from_names(paths: Sequence[Path], known: set[Any] | None = None) -> list[str] | None:
    """Each image's label read from its name, the part before its number (Kaggle's ``cat.0.jpg``, the Oxford
    pets' ``great_pyrenees_173.jpg``), when every name reads so, at least two labels have two images each, and
    labels are fewer than half the images; else ``None``. Names cameras, phones and tools give files are never
    labels, however many of them a folder mixes (``IMG_0001.jpg`` beside ``DSC_1030.jpg``: two cameras, not two
    classes; :data:`CAMERA_WORDS`). With ``known`` (the training folder's labels: a validation or test folder),
    every name reading so is enough: a test folder may hold one image of a class."""
    labels = _name_labels(paths)
    if labels is None:
        return None
    if known is not None and labels:
        return labels  # a label the training folder lacks is then refused by name
    if not _enough_named(labels) or _camera_names(paths):
        return None
    return labels


def csv_files(
    csv_path: Path,
    path_col: str,
    label_col: str,
    *,
    label_delim: str | None = None,
    root: Path | None = None,
    trained_single_label: bool = False,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> tuple[LabelledFiles, Any]:
    """Paths (relative to ``root``, default the CSV's folder) and labels from a CSV; also returns the table.

    The CSV is read as :func:`trainwell.data.io.read_table` reads every table: ``.tsv`` and ``.gz`` too, spaces
    around values dropped (``'cat '`` is the class ``'cat'``).

    ``trained_single_label``: the labels are read to judge a trained single-label model (``trainwell report``,
    which takes no ``--label-delim``), so an empty label cell is not pointed to that option. ``encoding``: the
    CSV's (e.g. ``"cp1252"`` from Excel on Windows); a file not in it fails naming the line of its first bad
    byte, unless ``encoding_errors`` is ``"replace"``: such a byte is then read as U+FFFD, as tables read it.
    """
    from trainwell.data.io import check_encoding, check_encoding_errors, read_table

    check_encoding(encoding)
    check_encoding_errors(encoding_errors)
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DataError(f"CSV file '{csv_path}' does not exist; check the path")
    # Read as every table is (.gz, .tsv, a byte-order mark, spaces around values, an empty file said in one
    # line); only an empty cell is missing, so labels such as 'NA', 'None' or '?' stay labels, as folders of
    # those names are classes.
    table = read_table(
        csv_path, na_values=(), encoding=encoding, encoding_errors=encoding_errors, pandas_na=False
    )
    files = table_files(
        table,
        path_col,
        label_col,
        label_delim=label_delim,
        base=Path(root) if root is not None else csv_path.parent,
        name=str(csv_path),
        trained_single_label=trained_single_label,
    )
    return files, table


def table_files(
    table: Any,
    path_col: str,
    label_col: str,
    *,
    label_delim: str | None = None,
    base: Path | None = None,
    name: str = "the DataFrame",
    trained_single_label: bool = False,
) -> LabelledFiles:
    """Paths and labels from a table (a CSV read by :func:`csv_files`, or a DataFrame given as it is): paths
    relative to ``base`` (default: the current folder); the table is left unchanged."""
    import pandas as pd

    flags = [part.strip() for part in label_col.split(",")] if label_col not in table.columns else [label_col]
    twice = sorted({flag for flag in flags if flags.count(flag) > 1})
    if twice:
        raise ConfigError(f"--label-col names '{twice[0]}' twice ({label_col}); name each label column once")
    for option, column in (("--path-col", path_col), *(("--label-col", flag) for flag in flags)):
        if column not in table.columns:
            raise DataError(
                f"{option} '{column}' is not a column of {name}; its columns are: "
                f"{', '.join(map(str, list(table.columns)[:10]))}. Pass {option} with one of them"
            )
    paths = _listed_paths(table[path_col], base, name)
    if len(flags) > 1:  # a column of 0/1 per class, as Kaggle's Plant Pathology lists them
        return LabelledFiles(paths, _flag_labels(table, flags, name))
    column = table[label_col]
    blank = column.map(lambda value: isinstance(value, str) and not value.strip()).astype(bool)
    column = column.where(~blank, None)  # a cell of spaces is an empty cell
    labels: list[Any] = column.tolist()
    if label_delim is not None:  # an empty cell is an image with no label
        labels = [
            [] if pd.isna(v) else [part.strip() for part in str(v).split(label_delim) if part.strip()]
            for v in labels
        ]
    else:
        empty = column.isna().to_numpy()
        if empty.any():
            row, count = int(empty.argmax()) + 1, int(empty.sum())
            present = pd.to_numeric(column[~empty], errors="coerce")
            # numbers, some not whole (a regression's, as image_data infers it): not classes missing a label
            numbers = len(present) > 0 and bool(present.notna().all() and (present != present.round()).any())
            advice = (
                "the model is single-label, so every image needs a label: fill the cell, or drop the row"
                if trained_single_label
                else "the other cells are numbers, and a number to predict is needed for every image: fill the cell, "
                "or drop the row"
                if numbers
                else "give each image its label, or pass --label-delim for multi-label images (an empty cell is "
                "then an image with no label)"
            )
            raise DataError(
                f"--label-col '{label_col}' is empty in data row {row} of {name} ({count} "
                f"row{'' if count == 1 else 's'} in all); {advice}"
            )
    return LabelledFiles(paths, labels)


def warn_joined_labels(labels: Sequence[Any], label_col: str, name: str) -> None:
    """Warn when most labels of ``label_col`` (of ``name``, a CSV or a DataFrame) join several labels, read
    without a separator: each combination (``airplane;bright``, ``cat;dark``) became a class of a single-label
    model, without a word (:func:`trainwell.data.task.warn_joined_labels`, as tables and texts say it); or, in a
    DataFrame whose cells are lists, a label of a multi-label model (:func:`warn_joined_items`)."""
    from trainwell.data.task import warn_joined_labels as warn_joined

    what = f"--label-col '{label_col}' in {name}"
    if not warn_joined(labels, what, "an image"):
        warn_joined_items(labels, what)


def warn_listed_joined_labels(labels: Sequence[Any], what: str) -> None:
    """:func:`warn_joined_labels` for labels handed to ``image_data`` in Python (``labels=`` beside a list of paths
    or an array): ``["cat|dog", "cat", ...]`` trained a class per combination, ``[["cat|dog"], ...]`` a label
    per combination, without a word. ``what`` names them (``"image_data's labels="``)."""
    from trainwell.data.task import warn_joined_labels as warn_joined

    if not warn_joined(labels, what, "an image", python=True):
        warn_joined_items(labels, what)


def warn_joined_items(labels: Sequence[Any], what: str) -> bool:
    """Warn when the images' labels are lists (multi-label) whose items mostly join several labels
    (``["cat|dog"]``): each combination is then one label of the model, ``cat`` in ``cat|dog`` never learned as
    ``cat``. Returns whether it warned."""
    from trainwell.core.warn import warn
    from trainwell.data.task import joined_labels

    items = [
        item.strip()
        for label in labels
        if isinstance(label, list | tuple)
        for item in label
        if isinstance(item, str) and item.strip()
    ]
    found = joined_labels(items)
    if found is None:
        return False
    mark, joined = found
    chosen = set(joined)
    holding = sum(1 for item in items if item in chosen)
    parts = [part.strip() for part in joined[0].split(mark) if part.strip()]
    warn(
        f"{holding:,} of the {len(items):,} labels in the lists of {what} hold '{mark}' (e.g. [{joined[0]!r}]): "
        f"each combination is read as one label; write each label as an item of its own ({parts!r}, not "
        f"[{joined[0]!r}])",
        UserWarning,
    )
    return True


#: A label column whose values are 0 or 1 in at least this share of rows holds flags of a class (its other values
#: are typos); numbers to predict (a point's x,y) are seldom exactly 0 or 1.
FLAG_SHARE = 0.9


def _flag_labels(table: Any, flags: list[str], name: str) -> list[Any]:
    """Each row's labels from its columns ``flags``: of 0/1 flags (``--label-col healthy,rust,scab``), the name of
    its one column holding 1 when every row has exactly one (one class an image), else the list of them (several
    labels an image, none allowed); of numbers not all 0 or 1 (``--label-col x,y``, a point in each image), the
    row's numbers, in the columns' order: several targets of one regression."""
    import pandas as pd

    values = table[flags].apply(pd.to_numeric, errors="coerce")
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(numbers).all():
        row, position = (int(index[0]) for index in (~np.isfinite(numbers)).nonzero())
        raise DataError(
            f"--label-col '{flags[position]}' holds {_cell(table, flags[position], row)} in data row {row + 1} of "
            f"{name}; several label columns each hold 0 or 1 (1: the image has that label), or each a number to "
            "predict (a point's x,y): fix the cell, or drop the row"
        )
    # Per column: flags when mostly 0 and 1, or two whole values (0 and 2: one of them mistyped).
    flags_like = np.array(
        [
            np.isin(column, (0, 1)).mean() >= FLAG_SHARE
            or (len(np.unique(column)) <= 2 and bool((column == np.round(column)).all()))
            for column in numbers.T
        ]
    )
    if not np.isin(numbers, (0, 1)).all():
        # Numbers to predict (a point's x,y) are seldom exactly 0 or 1; a column that mostly is holds flags, and
        # its other values are typos, or it is a flag beside numbers: either is refused, naming it.
        if not flags_like.any():
            return numbers.tolist()
        odd = ~np.isin(numbers, (0, 1)) & flags_like
        if odd.any():
            row, position = (int(index[0]) for index in odd.nonzero())
            raise DataError(
                f"--label-col '{flags[position]}' holds {_cell(table, flags[position], row)} in data row {row + 1} "
                f"of {name}, where its other cells are 0 or 1 (1: the image has that label): fix the cell"
            )
        position, numeric = int(flags_like.argmax()), flags[int((~flags_like).argmax())]
        raise DataError(
            f"--label-col '{flags[position]}' holds 0/1 flags while '{numeric}' holds numbers to predict, in {name}; "
            "one model predicts classes or numbers: pass the number columns alone (x,y), or the flags alone"
        )
    chosen = [
        [flag for flag, value in zip(flags, row, strict=True) if value == 1] for row in values.to_numpy()
    ]
    if all(len(labels) == 1 for labels in chosen):
        return [labels[0] for labels in chosen]
    return chosen


def _cell(table: Any, column: str, row: int) -> str:
    """A table's cell as an error shows it: text quoted (``'x'``), a number as written (``2``, not np.int64(2))."""
    value = table[column].iloc[row]
    return repr(value) if isinstance(value, str) else str(value.item() if hasattr(value, "item") else value)


def _listed_paths(column: Any, base: Path | None, name: str, *, some_missing: bool = False) -> list[Path]:
    """A table's column of image paths, relative to ``base`` (default: the current folder); each must exist, as
    written or, for names listed without their folder or extension (Kaggle's ``id`` column beside ``train/``),
    as one folder under ``base`` and one image extension make them all (said in a warning). ``some_missing``
    (predicting): files that do not exist are kept, for the decoding to skip by name as it skips a corrupt one,
    unless none exists."""
    written = column.astype(str).tolist()

    def resolved(names: list[str]) -> list[Path]:
        return [Path(p) if Path(p).is_absolute() or base is None else base / p for p in names]

    paths = resolved(written)
    missing = [str(p) for p in paths if not p.is_file()]
    found = _completed_paths(written, base or Path.cwd(), str(column.name)) if missing else None
    if found is not None:
        paths, pattern = found
        warn(
            f"{name} lists its images without {pattern[1]}: each read as '{pattern[0]}' (found for all "
            f"{len(paths):,})",
            UserWarning,
        )
        return paths
    if missing and os.sep == "/" and any("\\" in path for path in written):  # Windows' separators, here
        mended = resolved([path.replace("\\", "/") for path in written])
        if all(path.is_file() for path in mended):
            warn(
                f"{name} writes its paths with backslashes, as Windows does: read with / instead", UserWarning
            )
            return mended
    if missing and some_missing and len(missing) < len(paths):
        return paths
    if missing:
        windows = any("\\" in path and "/" not in path for path in written)
        raise DataError(
            f"{len(missing)} image file(s) listed in {name} do not exist, e.g. '{missing[0]}'; "
            f"paths are read relative to '{base if base is not None else Path.cwd()}'"
            + (
                "; they are written with backslashes, as Windows writes them: write them with /"
                if windows
                else ""
            )
        )
    return paths


def _completed_paths(
    written: list[str], base: Path, column: str
) -> tuple[list[Path], tuple[str, str]] | None:
    """The files ``written`` (the table's ``column``) names without folder or image extension, found as
    ``base/<folder>/<name><extension>`` for one sub-folder (or ``base`` itself) and one extension that complete
    every name, with the pattern and what the names lack (``("kc/train/<id>.tif", "their folder and
    extension")``); else ``None``."""
    if not written or any(Path(name).is_absolute() for name in written) or not base.is_dir():
        return None
    folders = [
        base,
        *sorted(child for child in base.iterdir() if child.is_dir() and not child.name.startswith(".")),
    ]
    for folder in folders:
        names = {entry.name for entry in folder.iterdir() if entry.is_file()}
        suffixes = sorted(
            {Path(entry).suffix for entry in names if Path(entry).suffix.lower() in IMAGE_SUFFIXES}
        )
        for suffix in ("", *suffixes):
            if folder == base and suffix == "":
                continue  # as written: what was not found
            if all(f"{name}{suffix}" in names for name in written):
                parts = (("folder", folder != base), ("extension", bool(suffix)))
                lacking = " and ".join(part for part, lacks in parts if lacks)
                shown = f"{folder}/<{column}>{suffix}"
                return [folder / f"{name}{suffix}" for name in written], (shown, f"their {lacking}")
    return None


def is_table_file(path: Path) -> bool:
    """A file that holds rows or texts, never an image: ``.csv``, ``.tsv``, ``.parquet``, ``.txt``... (``.gz`` too)."""
    return path.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)


def listed_image_paths(
    table_path: Path, path_col: str | None, model: str = "the model", given: bool = False
) -> list[Path]:
    """The image files a table lists in ``path_col`` (the column a model trained from a CSV recorded), relative
    to the table's folder as ``fit`` read them; ``path_col=None`` (a model trained from folders or arrays) is
    refused, naming ``model``."""
    from trainwell.data.io import list_columns, read_table

    if path_col is None:
        raise DataError(not_an_image(table_path, model))
    try:
        rows = read_table(table_path, na_values=(), pandas_na=False)
    except DataError as error:  # notes.txt given among images: "has no data rows" said nothing of images
        raise DataError(
            f"'{table_path}' is not an image, and as a table of image paths it cannot be read ({error}); pass "
            f"image files, folders of them, or a CSV with the column '{path_col}'"
        ) from error
    if path_col not in rows.columns:
        whose = "--path-col" if given else "the column of image paths the model was trained from"
        raise DataError(
            f"'{path_col}' ({whose}) is not a column of '{table_path}'; its columns are: "
            f"{list_columns([str(c) for c in rows.columns])}. Name its column of image paths with --path-col"
        )
    return _listed_paths(rows[path_col].dropna(), table_path.parent, f"'{table_path}'", some_missing=True)


def not_an_image(source: Path, model: str) -> str:
    """Why a table given to an image model trained from folders (or arrays) is not read."""
    return (
        f"'{source}' is not an image: {model} is an image model (not trained from a CSV of paths, so no column "
        "of one is known); name the table's column of image paths with --path-col, or pass image files (.jpg, "
        ".png...) or folders of them"
    )


# ------------------------------------------------------------------------------------------ decoding
@functools.cache
def heif_ready() -> bool:
    """Whether HEIC/HEIF photos decode: pillow-heif is installed (``trainwell[heif]``), its opener then
    registered with Pillow (once; decoding processes forked after it inherit it)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def check_decodable(paths: Sequence[Path]) -> None:
    """Refuse, before any is decoded, HEIC/HEIF photos (an iPhone's) when pillow-heif is not installed: each
    would be skipped as unreadable, a folder of them leaving no image at all."""
    heif = [path for path in paths if Path(path).suffix.lower() in HEIF_SUFFIXES]
    if heif and not heif_ready():
        raise DataError(
            f"{len(heif):,} of the images are HEIC photos (as an iPhone takes them), e.g. '{heif[0]}', and decoding "
            "them needs pillow-heif: pip install pillow-heif (or trainwell[heif]), or convert them to JPEG"
        )


def opened(handle: Any, path: Path | None) -> Image.Image:
    """``Image.open(handle)``, Pillow's decompression-bomb warning said of ``path`` (a file of the user's own,
    read anyway): it named no file ("Image size (108000000 pixels) exceeds limit of 89478485 pixels, could be
    decompression bomb DOS attack")."""
    from PIL import Image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", Image.DecompressionBombWarning)
        image = Image.open(handle)
    for item in caught:
        if not issubclass(item.category, Image.DecompressionBombWarning):
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
            continue
        width, height = image.size
        named = f"'{path}'" if path is not None else "an image"
        warn(
            f"{named} is {width:,}x{height:,} pixels ({width * height:,}), beyond Pillow's limit against "
            f"decompression bombs ({Image.MAX_IMAGE_PIXELS:,}): read anyway, as a file you gave; it is slow to "
            "decode, so shrink it if it is a photo like the others",
            UserWarning,
        )
    return image


#: Why a file of no bytes is not decoded, in ``fit``'s warning of skipped files and ``predict``'s error column.
EMPTY_FILE = "empty file (0 bytes)"


def _empty_file(path: str | Path) -> bool:
    try:
        path = Path(path)  # a path given as text (predict's one file, a CSV's column) too
        return path.is_file() and path.stat().st_size == 0
    except OSError:  # decoding says why it cannot be read
        return False


def open_image(source: Path | bytes | Image.Image, mode: str, at_least: int | None = None) -> Image.Image:
    """Decode to ``mode`` ("RGB" or "L"), applying the EXIF orientation a camera recorded. ``at_least``: the
    side the image is resized to after, so a JPEG several times larger (a phone's 4032x3024 photo for 224
    pixels) is decoded at a half, a quarter or an eighth of its size by libjpeg's scaled decoding, never below
    ``at_least`` on either side: about a third of the time, the same picture after the resize."""
    from PIL import Image, ImageOps

    if isinstance(source, Image.Image):
        image = source
    else:
        empty = len(source) == 0 if isinstance(source, bytes | bytearray) else _empty_file(source)
        if empty:
            # Pillow's "cannot identify image file" said nothing of why; predict said "empty file (0 bytes)"
            raise ValueError(EMPTY_FILE)
        if source.suffix.lower() in HEIF_SUFFIXES if isinstance(source, Path) else source[4:8] == b"ftyp":
            heif_ready()  # a served request's bytes may be an iPhone's HEIC photo too (ISO media: 'ftyp')
        handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        image = opened(handle, source if isinstance(source, Path) else None)
        if at_least is not None and image.format == "JPEG":
            image.draft(None, (at_least, at_least))  # both sides stay >= at_least, whichever way it is turned
        image.load()
    image = ImageOps.exif_transpose(image) or image
    if image.mode.startswith("I") or image.mode == "F":
        image = _to_eight_bits(image)
    if image.mode != mode:
        if image.mode in ("RGBA", "LA", "P"):
            # Transparent areas become white, as a viewer shows them, rather than black (in grayscale too: a
            # transparent PNG among grey digits read as "L" turned black where a colour model saw white).
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            background.alpha_composite(image.convert("RGBA"))
            image = background
        image = image.convert(mode)
    return image


def _to_eight_bits(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit integer or floating-point grayscale image as 8-bit ``L``, its range scaled rather than
    clipped.

    Pillow's own conversion clips every value above 255 to white, so a 16-bit PNG (scans, microscopy, depth
    maps; Pillow reads them as ``I;16`` or ``I``) would arrive almost blank. 16-bit images are scaled by
    1/257 (65535 -> 255); integer images whose values fit in 8 bits are kept as they are. A floating-point
    image (a TIFF of mode ``F``) whose values lie within 0..1 is scaled by 255: it arrived black. Its values
    read as missing (NaN) are black.
    """
    from PIL import Image

    array = np.asarray(image)
    if image.mode == "F":
        array = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if array.size and float(array.min()) >= 0.0 and float(array.max()) <= 1.0:
            array = array * 255.0
        elif array.size and float(array.max()) > 255.0:
            array = array / 257.0
        return Image.fromarray(np.clip(array.round(), 0, 255).astype(np.uint8))
    if image.mode.startswith("I;16") or (array.size and int(array.max()) > 255):
        array = np.clip(array.astype(np.float64) / 257.0, 0, 255).round()
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def fit_size(image: Image.Image, size: tuple[int, int], method: str) -> Image.Image:
    """Resize to ``size`` (height, width): ``crop`` keeps the centre, ``squish`` stretches, ``pad`` letterboxes."""
    from PIL import Image, ImageOps

    height, width = size
    if image.size == (width, height):
        return image
    if method == "squish":
        return image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if method == "pad":
        return ImageOps.pad(image, (width, height), Image.Resampling.BILINEAR)
    return ImageOps.fit(image, (width, height), Image.Resampling.BILINEAR)


def image_array(
    source: Path | bytes | Image.Image, size: tuple[int, int], channels: int, method: str
) -> np.ndarray:
    """One image as ``uint8`` ``(C, H, W)``."""
    image = fit_size(open_image(source, "L" if channels == 1 else "RGB", at_least=max(size)), size, method)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def _decode_chunk(
    paths: Sequence[Path], size: tuple[int, int], channels: int, method: str
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    from PIL import Image

    # What Pillow raises for a truncated, corrupt or hostile file; anything else is a bug and propagates.
    decode_errors = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)
    out = np.zeros((len(paths), channels, *size), dtype=np.uint8)
    failed: list[tuple[int, str]] = []
    for index, path in enumerate(paths):
        try:
            out[index] = image_array(path, size, channels, method)
        except decode_errors as error:
            failed.append((index, decode_error_message(path, error)))
    return out, failed


def _pool_context() -> Any:
    """Where ``fork`` is safe and available (Linux), the decoding pool forks, whatever the interpreter's
    default: Python 3.14 makes ``forkserver`` the default, which re-imports the caller's script in every worker,
    so a script calling :func:`~trainwell.vision.image_data` without an ``if __name__ == "__main__":`` guard
    would crash. Elsewhere (macOS, Windows) the platform's default, ``spawn``."""
    import multiprocessing
    import sys

    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


@contextlib.contextmanager
def _quiet_fork() -> Iterator[None]:
    """Silence Python 3.12's warning that forking a multi-threaded process may deadlock the child.

    The warning is about a child that goes on to use a lock another thread held at the fork (torch's thread
    pools, OpenMP). The decoding workers run only Pillow and NumPy code on file paths and never touch torch,
    so they cannot meet those locks."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning
        )
        yield


def decode_images(
    paths: Sequence[Path],
    size: tuple[int, int],
    channels: int,
    method: str = "crop",
    n_workers: int | None = None,
    out: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode every path; returns ``(images uint8 (N', C, H, W), kept indices)`` with unreadable files skipped.

    Each skipped file is named in one warning (the first few, with the count). ``out`` (``(N, C, H, W)``
    ``uint8``, e.g. a memory-mapped file) receives the pixels instead of a new array; skipped files are
    compacted away in place and the result is a view of its first ``N'`` rows. Workers decode chunks of at
    most :data:`CHUNK_IMAGES`, a bounded number at a time, so memory stays flat however many files there are.
    ``progress`` is called with the count of each chunk's files once they are decoded
    (:class:`~trainwell.vision._reading.ReadingProgress`'s ``advance``).
    """
    if method not in RESIZE_METHODS:
        raise ConfigError(f"resize method must be one of {', '.join(RESIZE_METHODS)}, got {method!r}")
    check_decodable(paths)
    n = len(paths)
    images = out if out is not None else np.zeros((n, channels, *size), dtype=np.uint8)
    workers = n_workers if n_workers is not None else min(os.cpu_count() or 1, 8)
    failed: list[tuple[int, str]] = []
    if n < POOL_THRESHOLD or workers <= 1:
        for start in range(0, n, CHUNK_IMAGES):
            part, part_failed = _decode_chunk(paths[start : start + CHUNK_IMAGES], size, channels, method)
            images[start : start + len(part)] = part
            failed.extend((start + i, message) for i, message in part_failed)
            if progress is not None:
                progress(len(paths[start : start + CHUNK_IMAGES]))
    else:
        chunk = max(1, min(CHUNK_IMAGES, -(-n // (workers * 4))))
        starts = list(range(0, n, chunk))
        with _quiet_fork(), ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
            pending: dict[int, Any] = {}
            for position, start in enumerate(starts):
                pending[start] = pool.submit(
                    _decode_chunk, list(paths[start : start + chunk]), size, channels, method
                )
                if len(pending) >= 2 * workers or position == len(starts) - 1:
                    for begin in sorted(pending)[: len(pending) if position == len(starts) - 1 else workers]:
                        part, part_failed = pending.pop(begin).result()
                        images[begin : begin + len(part)] = part
                        failed.extend((begin + i, message) for i, message in part_failed)
                        if progress is not None:
                            progress(min(chunk, n - begin))
    bad = {index for index, _ in failed}
    if bad:
        warn_skipped([message for _, message in sorted(failed)], n)
    kept = np.array([i for i in range(n) if i not in bad], dtype=np.int64)
    if len(kept) == 0:
        raise DataError(f"none of the {n} image files could be decoded; first error: {failed[0][1]}")
    if bad:
        for position, index in enumerate(kept.tolist()):  # in place: never a second copy of the set
            if position != index:
                images[position] = images[index]
    return images[: len(kept)], kept


#: Unreadable files a warning names one by one; past this many, the warning names these and writes them all to
#: a list file it names.
SHOWN_SKIPPED = 10


def warn_skipped(messages: Sequence[str], total: int, *, rows: bool = False) -> None:
    """One warning naming the unreadable files skipped (``"path: Error: why"``) of ``total``: what ``fit``,
    ``predict``, ``report`` and ``export --data`` all say about a corrupt file. Every file is named, so a user
    can find each: up to :data:`SHOWN_SKIPPED` in the warning, and past that the first of them there and all of
    them in a text file in the temporary folder, one a line, whose path the warning gives. ``rows``: the
    predictions keep a row for each (empty, with the reason in an ``error`` column), which the warning says."""
    shown = "; ".join(messages[:SHOWN_SKIPPED])
    more = ""
    if len(messages) > SHOWN_SKIPPED:
        more = f"; and {len(messages) - SHOWN_SKIPPED:,} more (all {len(messages):,} listed in {_skipped_list(messages)})"
    kept = (
        "; each keeps its row, with an empty prediction and the reason in the 'error' column" if rows else ""
    )
    warn(f"skipped {len(messages):,} unreadable image file(s) of {total:,}: {shown}{more}{kept}", UserWarning)


def _skipped_list(messages: Sequence[str]) -> Path:
    """``messages`` written one a line to a new file in the temporary folder: where a warning names the files
    it has no room for."""
    import tempfile

    handle, name = tempfile.mkstemp(prefix="trainwell-skipped-images-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write("".join(f"{message}\n" for message in messages))
    return Path(name)


def decode_error_message(path: Path, error: BaseException) -> str:
    """How a skipped file is named: ``"path: Error: first line of the reason"`` (a link to no file: where it
    leads)."""
    return f"{path}: {decode_error_reason(path, error)}"


def decode_error_reason(path: Path, error: BaseException) -> str:
    """Why ``path`` could not be decoded, in :func:`decode_error_message`'s words without the path: what the
    ``error`` column of predictions says of a skipped file."""
    if Path(path).is_symlink() and not Path(path).exists():
        return f"a link to '{os.readlink(path)}', which does not exist"
    if isinstance(error, DataError) and str(error).startswith(
        f"'{path}' "
    ):  # the reason names the path already
        return str(error).splitlines()[0][len(str(path)) + 3 :][:120]
    return f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"


#: Colour images among grayscale ones, at most this share of those looked at, are read as grayscale: a stray
#: file (a CMYK or RGBA picture, a JPEG named .png) or grey pictures saved in colour must not turn the whole model
#: to colour, and with it the augmentation to the photo preset (flips and crops, which hurt digits).
FEW_IN_COLOUR = 0.05

#: How many of the stray colour files the warning names.
_NAMED_IN_COLOUR = 3


def probe_images(
    paths: Sequence[Path], limit: int = 200, *, channels: int | None = None
) -> tuple[tuple[int, int], int]:
    """Median (height, width) and channel count of a sample of files: 1 (grayscale) when the colour images
    among them are at most :data:`FEW_IN_COLOUR` of them (the majority decides; the colour ones are converted,
    named in one warning), else 3. ``channels`` (1 or 3, ``image_data(channels=)``) is the count given instead:
    every image read so, nothing decided and nothing warned."""

    check_decodable(paths)
    step = max(1, len(paths) // limit)
    heights, widths = [], []
    colour: list[Path] = []
    probed = list(paths)[::step][:limit]
    first_error: BaseException | None = None
    for path in probed:
        try:
            with opened(path, Path(path)) as image:
                width, height = image.size
                if image.mode not in ("L", "1", "I;16", "I", "F"):
                    colour.append(Path(path))
        except Exception as error:  # corrupt files are reported by decode_images
            first_error = first_error or error
            continue
        heights.append(height)
        widths.append(width)
    if not heights:
        raise DataError(_none_opened(probed, len(paths), first_error))
    size = (int(np.median(heights)), int(np.median(widths)))
    if channels is not None:
        return size, channels
    if colour and len(colour) <= FEW_IN_COLOUR * len(heights):
        named = ", ".join(f"'{path}'" for path in colour[:_NAMED_IN_COLOUR])
        more = f" and {len(colour) - _NAMED_IN_COLOUR} more" if len(colour) > _NAMED_IN_COLOUR else ""
        warn(
            f"{len(colour)} of the {len(heights)} images looked at {'is' if len(colour) == 1 else 'are'} in colour "
            f"({named}{more}), the others grayscale: the majority decides, so every image is read as grayscale "
            "(1 channel; the colour ones converted) and the augmentation is chosen for grayscale images; "
            "if colour matters, convert the grey images to colour too, or pick the augmentation yourself "
            "(--augment default / augmentation='default' flips and crops), or read them all in colour "
            "(--channels 3 / channels=3)",
            UserWarning,
        )
        return size, 1
    return size, 3 if colour else 1


def _none_opened(probed: Sequence[Path], total: int, error: BaseException | None) -> str:
    """The error when none of the ``probed`` files of ``total`` could be opened: why (empty files, the first
    file's error) and what to do; it said only "could not be opened, e.g. 'a/0.png'"."""
    first = Path(probed[0]) if probed else None
    looked = f"{len(probed):,} image files looked at" if len(probed) < total else f"{total:,} image files"
    if first is None:
        return "no image files to open; pass a folder of JPEG or PNG files"
    empty = [path for path in probed if Path(path).is_file() and Path(path).stat().st_size == 0]
    if len(empty) == len(probed):
        return (
            f"none of the {looked} could be opened: every one is empty (0 bytes), e.g. '{first}'; the copy or "
            "download that wrote them failed: copy or download them again"
        )
    why = decode_error_reason(first, error) if error is not None else "unknown error"
    return (
        f"none of the {looked} could be opened, e.g. '{first}' ({why}); they are not images Pillow reads, or "
        "are damaged: pass JPEG or PNG files (a copy or download cut short: do it again)"
    )


def pixel_rows(images: np.ndarray) -> Any:
    """Decoded images (``uint8`` ``(N, C, H, W)``) as a one-column table of pixel digests (column
    :data:`PIXELS_COLUMN`): the rows whose sketch an image model keeps of its training images, so that a report
    on those same images can say so (:mod:`trainwell.data.fingerprint`)."""
    import pandas as pd

    from trainwell.data.fingerprint import item_digests

    return pd.DataFrame({PIXELS_COLUMN: item_digests(images)})


# ------------------------------------------------------------------------------------------ arrays
#: An IDX images file's name: ``<set>-images-idx3-ubyte`` (``.gz`` or not), with ``<set>-labels-idx1-ubyte`` beside.
_IDX_IMAGES = re.compile(r"^(?P<set>.+)-images-idx3-ubyte(?P<gz>\.gz)?$")


def holds_idx_images(folder: Path) -> bool:
    """Whether ``folder`` holds an IDX images file (``train-images-idx3-ubyte.gz``, MNIST's)."""
    return folder.is_dir() and any(_IDX_IMAGES.match(path.name) for path in folder.iterdir())


def idx_files(folder: Path) -> dict[str, tuple[Path, Path]]:
    """The IDX files of ``folder`` by split, without reading them: ``train`` from ``train-*``, ``test`` from
    ``t10k-*`` (or a set whose name ends in ``test``), each its images file and the labels file beside it (which
    may be missing); ``{}`` for a folder holding none."""
    found: dict[str, tuple[Path, Path]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        match = _IDX_IMAGES.match(path.name)
        if match is None:
            continue
        name = match["set"].lower()
        split = "test" if "t10k" in name or name.endswith("test") else "train" if "train" in name else None
        if split is not None and split not in found:
            found[split] = (path, folder / f"{match['set']}-labels-idx1-ubyte{match['gz'] or ''}")
    return found


def idx_sets(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """The image sets of a folder of IDX files (MNIST's, Fashion-MNIST's layout), as ``(images, labels)`` arrays
    by split (:func:`idx_files`); ``None`` when the folder holds no ``*-images-idx3-ubyte`` file.

    Raises:
        DataError: An images file without its labels file, or no training set among them.
    """
    if not holds_idx_images(folder):
        return None
    sets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split, (path, labels) in idx_files(folder).items():
        if not labels.is_file():
            raise DataError(f"IDX images '{path}' have no labels file beside them: expected '{labels.name}'")
        images, values = read_idx(path), read_idx(labels)
        if len(images) != len(values):
            raise DataError(f"'{path}' holds {len(images)} images but '{labels}' {len(values)} labels")
        sets[split] = (images, values)
    if "train" not in sets:
        names = ", ".join(sorted(path.name for path in folder.iterdir() if _IDX_IMAGES.match(path.name)))
        raise DataError(
            f"'{folder}' holds IDX images ({names}) but no training set: name it train-images-idx3-ubyte"
        )
    return sets


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (MNIST's format), gzipped or not, as a numpy array of its stored shape."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"IDX file '{path}' does not exist; check the path")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"'{path}' is not an IDX file (bad magic number)")
    dtypes: dict[int, Any] = {
        0x08: np.uint8,
        0x09: np.int8,
        0x0B: ">i2",
        0x0C: ">i4",
        0x0D: ">f4",
        0x0E: ">f8",
    }
    if raw[2] not in dtypes:
        raise DataError(f"'{path}' has an unknown IDX element type 0x{raw[2]:02x}")
    n_dims = raw[3]
    shape = struct.unpack(f">{n_dims}I", raw[4 : 4 + 4 * n_dims])
    data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * n_dims)
    if data.size != int(np.prod(shape)):
        raise DataError(f"'{path}' is truncated: expected {int(np.prod(shape))} values, found {data.size}")
    return data.reshape(shape)


#: How far past 0..1 a float image may go and still be read as 0..1 (clipped): interpolation overshoots.
OVERSHOOT = 0.05


def as_image_batch(images: Any, source: str = "images") -> np.ndarray:
    """Arrays in common layouts -> ``uint8`` ``(N, C, H, W)``.

    Accepts ``(N, H, W)`` grayscale, ``(N, H, W, C)`` and ``(N, C, H, W)`` with C in 1, 3 or 4, as ``uint8``
    0..255 or floats in 0..1 (up to :data:`OVERSHOOT` past either end, clipped) or 0..255. Four channels are RGBA, laid on white as a decoded file is (:func:`open_image`),
    so an array of a transparent PNG gives what the file gives.
    """
    array = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise DataError(
            f"{source} must have shape (N, H, W), (N, H, W, C) or (N, C, H, W); got {tuple(array.shape)}"
        )
    if array.shape[1] not in (1, 3, 4) and array.shape[-1] in (1, 3, 4):
        array = array.transpose(0, 3, 1, 2)
    rgba = array.shape[1] == 4
    if array.shape[1] not in (1, 3, 4):
        raise DataError(f"{source} must have 1, 3 or 4 (RGBA) channels; got shape {tuple(array.shape)}")
    if array.dtype != np.uint8:
        as_float = array.astype(np.float32)
        if not np.isfinite(as_float).all():
            raise DataError(f"{source} hold NaN or infinite values")
        high = float(as_float.max()) if as_float.size else 0.0
        low = float(as_float.min()) if as_float.size else 0.0
        if low < -OVERSHOOT or high > 255:
            raise DataError(
                f"{source} must be 0..1 floats or 0..255 values; found values from {low} to {high}"
            )
        # 0..1 floats up to a resize's overshoot (bicubic gives 1.02): read as 0..1, clipped; a 0..255 picture
        # whose brightest pixel is 1 is black either way.
        scale = 255.0 if high <= 1.0 + OVERSHOOT else 1.0
        array = np.clip(np.rint(as_float * scale), 0, 255).astype(np.uint8)
    if rgba:
        alpha = array[:, 3:].astype(np.float32) / 255.0
        array = np.rint(array[:, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    array = np.ascontiguousarray(array)
    return array if array.flags.writeable else array.copy()  # torch refuses to share read-only memory


#: What decoding an image may raise for a file or bytes that are not an image Pillow reads.
DECODE_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, SyntaxError, EOFError)


def model_pixels(images: Any, size: tuple[int, int], channels: int, resize: str) -> np.ndarray:
    """What a predictor takes -> ``uint8`` ``(N, C, H, W)`` at a model's ``size`` and ``channels``, fitted as
    :func:`~trainwell.vision.image_data` fitted its training images (``resize``).

    ``images``: a sequence of paths (a list, a pandas Series or an array of strings), encoded bytes, Pillow
    images or arrays (each fitted on its own); a batch
    array ``(N, ...)`` (each image fitted when the batch is of another size); or one image on its own (a path,
    bytes, a Pillow image, an ``(H, W)`` or ``(H, W, C)`` array, or ``(C, H, W)`` of the model's size), taken as
    a batch of one. A string is a path, never a sequence of characters.

    Raises:
        DataError: No images, an array of the wrong shape, or an image that cannot be read (named).
    """
    from PIL import Image

    if isinstance(images, str | Path | bytes | Image.Image):
        images = [images]
    elif _is_array(images) and np.ndim(images) == 1 and np.asarray(images).dtype.kind in "OUS":
        images = np.asarray(
            images
        ).tolist()  # a column of paths (a Series, an array of strings): one image each
    elif _is_array(images) and _one_image(tuple(images.shape), size, channels):
        images = images[None]
    if _is_array(images):
        batch = as_image_batch(images)
        if tuple(batch.shape[1:]) == (channels, *size):
            return batch
        images = (
            batch  # training fitted such arrays (image_data(..., size=32) on 28-pixel digits): do the same
        )
    arrays = [_model_image(item, index, size, channels, resize) for index, item in enumerate(images)]
    if not arrays:
        raise DataError("no images to predict")
    return np.stack(arrays)


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "__array__")  # numpy arrays and torch tensors


def _one_image(shape: tuple[int, ...], size: tuple[int, int], channels: int) -> bool:
    """Whether an array of ``shape`` is one image rather than a batch: 2-D, or 3-D laid out ``(H, W, C)`` (no
    batch of grey images is 1, 3 or 4 pixels wide), or ``(C, H, W)`` of the model's channels and size (read as
    a batch of grey images it would not fit the model; for a grey model ``(1, H, W)`` reads the same either
    way)."""
    if len(shape) == 2:
        return True
    return len(shape) == 3 and (shape[-1] in (1, 3, 4) or shape == (channels, *size))


def _model_image(item: Any, index: int, size: tuple[int, int], channels: int, resize: str) -> np.ndarray:
    from PIL import Image

    if _is_array(item):
        batch = as_image_batch(item[None] if np.ndim(item) in (2, 3) else item, f"image {index}")
        if batch.shape[1] == channels and tuple(batch.shape[2:]) == size:
            return batch[0]
        item = Image.fromarray(batch[0, 0] if batch.shape[1] == 1 else batch[0].transpose(1, 2, 0))
    elif isinstance(item, str | Path) and Path(item).is_dir():
        raise DataError(
            f"image {index}: '{item}' is a folder; pass it on its own (predict('{item}') reads every image below "
            "it, each beside its path) or its image files"
        )
    elif isinstance(item, str | Path) and Path(item).is_symlink() and not Path(item).exists():
        raise DataError(f"'{item}' is a link to '{os.readlink(item)}', which does not exist")
    elif isinstance(item, str | Path) and not Path(item).is_file():
        raise DataError(f"'{item}' does not exist or is not a file")
    shown = f"'{item}'" if isinstance(item, str | Path) else f"image {index}"
    if (isinstance(item, bytes) and not item) or (
        isinstance(item, str | Path) and Path(item).stat().st_size == 0
    ):
        # The cause is what a warning naming the skipped files of a folder says (readable_pixels).
        raise DataError(f"{shown} is empty (0 bytes); pass a JPEG or PNG file") from ValueError(EMPTY_FILE)
    try:
        return image_array(item, size, channels, resize)
    except DECODE_ERRORS as error:
        reason, fix = _why(error)
        raise DataError(f"{shown} could not be decoded as an image ({reason}); {fix}") from error


def _why(error: BaseException) -> tuple[str, str]:
    """Pillow's reason for a file it could not decode, and the fix: "image file is truncated" was dropped (only
    "OSError" was said)."""
    detail = str(error).splitlines()[0][:120] if str(error).strip() else ""
    if detail.startswith("cannot identify image file"):  # Pillow's UnidentifiedImageError: the path again
        detail = ""
    reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    if "truncated" in detail.lower() or isinstance(error, EOFError):
        return reason, "the file is cut short: copy or download it again"
    return reason, "pass a JPEG or PNG file"
