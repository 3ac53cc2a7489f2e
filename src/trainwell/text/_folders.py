"""Texts laid out in folders for classification: ``<label>/*.txt``, or ``train/`` with ``valid/`` and ``test/`` beside
it (IMDB's layout, fastai's ``from_folder``), or one file per class of a text a line (rt-polarity's), read into
the tables :func:`~trainwell.text.text_data` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.paths import data_folders, is_model_directory
from trainwell.core.text_encoding import file_lines
from trainwell.core.warn import warn
from trainwell.text._line_files import split_class_files

if TYPE_CHECKING:
    import pandas as pd

#: Sub-folders read as the validation split of a folder of texts (``train/`` beside it), as for images.
VALID_FOLDERS = ("valid", "validation", "val", "dev")


#: Class folder names that hold unlabelled texts in public corpora (IMDB's ``train/unsup``), warned about.
UNLABELLED_NAMES = ("unsup", "unlabeled", "unlabelled")

#: The columns :func:`judged_texts` names each text by where a person finds it: its file, relative to the folder
#: given, and, in a file of a text a line, its line (counted from 1, blank lines included).
PLACE_COLUMNS = ("file", "line")


@dataclass(frozen=True)
class _Reading:
    """How the class folders are read: their files' encoding, blank files, which class folders to keep, and the
    folder each text's file is named from (``placed_from``: in the columns :data:`PLACE_COLUMNS`, for a report
    that names the texts it shows; ``None`` for the tables fit reads, of ``text`` and ``label`` alone)."""

    encoding: str
    encoding_errors: Literal["strict", "replace"]
    drop_empty: bool
    classes: tuple[str, ...] | None
    placed_from: Path | None = None


def read_text_folder(
    root: Path,
    *,
    classes: Sequence[str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    drop_empty: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The texts of ``root/<label>/*.txt``, or of ``root/train/<label>/`` with ``valid/`` (or ``dev/``) and
    ``test/`` beside it (IMDB's layout; fastai's ``from_folder``), as tables of ``text`` and ``label``: the
    training (and validation, marked in ``is_valid``) texts, and the test folder's (``None`` without one).
    A folder without class folders may hold one file per class instead, a text a line, labelled by the part of
    the file names that differs (rt-polarity's ``rt-polarity.neg`` and ``.pos``:
    :func:`~trainwell.text._line_files.class_files`).

    ``classes`` keeps only the class folders of those names (IMDB: ``["neg", "pos"]``, leaving its unlabelled
    ``unsup`` out); without it every class folder is a class, and one named like unlabelled texts
    (:data:`UNLABELLED_NAMES`) is warned about once. Blank files are refused by name, or with ``drop_empty`` left
    out with a warning. The files are ``encoding`` text; ``encoding_errors="replace"`` reads bytes not in it as
    U+FFFD.

    Raises:
        ConfigError: ``classes`` is not a list of names.
        DataError: A folder without class folders, a name of ``classes`` that is not a class folder of the
            training folder, a blank file (without ``drop_empty``), a file not in ``encoding``.
    """
    import pandas as pd

    reading = _Reading(encoding, encoding_errors, drop_empty, _checked_classes(classes))
    children = {child.name.lower(): child for child in root.iterdir() if child.is_dir()}
    train_dir = children.get("train")
    test_dir = children.get("test")
    if train_dir is None:
        sets = _files_per_split(root)
        if sets is not None:  # sentiment.train.0, sentiment.train.1, sentiment.dev.0...
            return _split_file_texts(root, sets, reading)
        frame = _class_texts(root, reading, training=True)
        _warn_unlabelled([(root, frame)], reading)
        return frame, None
    read = [(train_dir, _class_texts(train_dir, reading, training=True).assign(is_valid=False))]
    valid_dir = next((children[name] for name in VALID_FOLDERS if name in children), None)
    if valid_dir is not None:
        read.append((valid_dir, _class_texts(valid_dir, reading).assign(is_valid=True)))
    test = _class_texts(test_dir, reading) if test_dir is not None else None
    _warn_unlabelled(
        [*read, *([(test_dir, test)] if test_dir is not None and test is not None else [])], reading
    )
    frame = pd.concat([part for _, part in read], ignore_index=True)
    if valid_dir is None:
        frame = frame.drop(columns="is_valid")
    return frame, test


def _checked_classes(classes: Sequence[str] | None) -> tuple[str, ...] | None:
    if classes is None:
        return None
    if (
        isinstance(classes, str)
        or not isinstance(classes, Sequence)
        or not classes
        or not all(isinstance(name, str) and name for name in classes)
    ):
        raise ConfigError(
            f"classes= takes the names of class folders, e.g. classes=['neg', 'pos']; got {classes!r}"
        )
    return tuple(classes)


def _warn_unlabelled(read: list[tuple[Path, pd.DataFrame]], reading: _Reading) -> None:
    """Warn once when a class folder is named as unlabelled texts are, naming it and the ``classes=`` to pass."""
    if reading.classes is not None:
        return
    for folder, frame in read:
        labels = sorted(set(frame["label"]))
        unlabelled = [label for label in labels if label.lower() in UNLABELLED_NAMES]
        if unlabelled:
            name = unlabelled[0]
            count = int((frame["label"] == name).sum())
            kept = [label for label in labels if label.lower() not in UNLABELLED_NAMES]
            warn(
                f"class folder '{folder / name}' ({count:,} texts) looks like unlabelled texts, read here as the "
                f"class '{name}'; pass classes={kept!r} to keep only the labelled class folders",
                UserWarning,
            )
            return


def _class_texts(folder: Path, reading: _Reading, *, training: bool = False) -> pd.DataFrame:
    """The texts of ``folder``'s class folders (a file each), else of its files of one class each (a line each)."""
    import pandas as pd

    from trainwell.text._line_files import class_files
    from trainwell.text.tokenize import read_text_files

    found = {c.name: c for c in sorted(data_folders(folder))}  # a model directory written there is no class
    files = None if found else class_files(folder)
    if files is None and not found:
        raise DataError(
            f"'{folder}' has no class folders of .txt files; arrange texts as {folder}/<label>/<text>.txt (or "
            "train/<label>/ and valid/<label>/ folders), or one file per class holding a text a line "
            f"({folder}/pos.txt, {folder}/neg.txt), or pass a CSV of texts and labels"
        )
    if files is not None:
        return _file_texts(folder, files, reading, training=training)
    kept = _kept_classes(folder, list(found), reading, "class folder", training=training)
    rows = [
        (text, path, name)
        for name in kept
        for path, text in read_text_files(
            found[name], encoding=reading.encoding, encoding_errors=reading.encoding_errors
        ).items()
    ]
    blank = [path for text, path, _label in rows if not text.strip()]
    if blank:
        if not reading.drop_empty:
            raise DataError(
                f"text file '{blank[0]}' is empty ({len(blank)} file{'' if len(blank) == 1 else 's'} in all); "
                "fill or remove them, or pass --drop-empty (Python: drop_empty=True)"
            )
        warn(f"dropped {len(blank)} empty text file(s) of '{folder}' (the first: '{blank[0]}')", UserWarning)
    kept_rows = [row for row in rows if row[0].strip()]
    frame = pd.DataFrame([(text, label) for text, _path, label in kept_rows], columns=["text", "label"])
    if reading.placed_from is not None:
        frame["file"] = [_placed(path, reading.placed_from) for _text, path, _label in kept_rows]
    return frame


def _files_per_split(root: Path) -> dict[str, dict[str, Path]] | None:
    """The files of one class's texts per split of a folder without class folders
    (:func:`~trainwell.text._line_files.split_class_files`), or ``None``."""
    if any(c.is_dir() and not c.name.startswith(".") and not is_model_directory(c) for c in root.iterdir()):
        return None
    return split_class_files(root)


def _file_texts(
    folder: Path, files: dict[str, Path], reading: _Reading, *, training: bool = False
) -> pd.DataFrame:
    """The texts of files of one class's texts each (``files``, by label), a line each, as ``text`` and ``label``
    (and, placed, the ``file`` and ``line`` each is on)."""
    import pandas as pd

    kept = _kept_classes(folder, list(files), reading, "class file", training=training)
    rows = [
        (text, label, files[label], number)
        for label in kept
        for number, text in _lines(files[label], reading)
    ]
    frame = pd.DataFrame([(text, label) for text, label, _path, _number in rows], columns=["text", "label"])
    if reading.placed_from is not None:
        frame["file"] = [_placed(path, reading.placed_from) for _text, _label, path, _number in rows]
        frame["line"] = [number for *_rest, number in rows]
    return frame


def _placed(path: Path, root: Path) -> str:
    """``path`` as its reader finds it from the folder ``root`` they gave: ``test/pos/0_10.txt``."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # not under it (a link followed out): the path itself
        return str(path)


def _split_file_texts(
    root: Path, sets: dict[str, dict[str, Path]], reading: _Reading
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """:func:`read_text_folder`'s tables for files of one class's texts per split
    (:func:`~trainwell.text._line_files.split_class_files`): the training and validation files' texts (the
    latter marked in ``is_valid``), and the test files' (``None`` without them)."""
    import pandas as pd

    parts = [
        _file_texts(root, sets[split], reading, training=split == "train").assign(is_valid=split == "valid")
        for split in ("train", "valid")
        if split in sets
    ]
    frame = pd.concat(parts, ignore_index=True)
    if "valid" not in sets:
        frame = frame.drop(columns="is_valid")
    return frame, _file_texts(root, sets["test"], reading) if "test" in sets else None


def _kept_classes(
    folder: Path, names: list[str], reading: _Reading, what: str, *, training: bool
) -> list[str]:
    """The classes of ``folder`` read: all of ``names`` (its ``what``: class folders or class files), or those
    ``classes=`` names (a name it lacks refused in the training folder)."""
    if reading.classes is None:
        return names
    missing = [name for name in reading.classes if name not in names]
    if training and missing:
        raise DataError(
            f"classes= names {missing[0]!r}, not a {what} of '{folder}'; its {what}s are: {', '.join(names)}"
        )
    kept = [name for name in names if name in reading.classes]
    if not kept:
        raise DataError(
            f"'{folder}' holds none of the {what}s classes= names ({', '.join(reading.classes)}); its {what}s "
            f"are: {', '.join(names)}"
        )
    return kept


def _lines(path: Path, reading: _Reading) -> list[tuple[int, str]]:
    """The texts of a file of one class's texts: its non-blank lines, stripped, each after its line's number
    (counted from 1, blank lines included: the number an editor shows)."""
    from trainwell.data.io import read_text_file

    text = read_text_file(path, encoding=reading.encoding, encoding_errors=reading.encoding_errors)
    lines = [(number, line.strip()) for number, line in enumerate(file_lines(text), start=1) if line.strip()]
    if not lines:
        raise DataError(
            f"'{path}' holds no text; a file of one class's texts holds one a line: fill or remove it"
        )
    return lines


def labelled_classes(root: Path) -> list[str] | None:
    """The class folders of a folder of texts (of its ``train/`` when it has one) but those named as unlabelled
    texts are (IMDB's ``train/unsup``: 50,000 reviews with no label, not a class), when there is one; else
    ``None`` (every class folder is a class)."""
    return _labelled_names(root / "train" if (root / "train").is_dir() else root)


def _labelled_names(folder: Path) -> list[str] | None:
    """``folder``'s class folders but those named as unlabelled texts are, when there is one (else ``None``)."""
    names = sorted(
        child.name
        for child in folder.iterdir()
        if child.is_dir() and not child.name.startswith(".") and not is_model_directory(child)
    )
    kept = [name for name in names if name.lower() not in UNLABELLED_NAMES]
    return kept if len(kept) < len(names) else None


def check_folder_columns(text_col: object, target: object) -> None:
    """Refuse a text column or a target named for a folder of texts: its texts are its files, its labels their
    folders' names (read as the columns ``text`` and ``label``)."""
    if target not in (None, "label") or text_col not in (None, "text"):
        raise ConfigError(
            "a folder of texts has one label per text, its folder's name, and the text in the file; leave "
            "text_col= and target= out"
        )


def judged_texts(
    root: Path,
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
) -> tuple[pd.DataFrame, str]:
    """The labelled texts a model is judged on from a folder of texts (``text``, ``label``), and where they came
    from, quoted for a message: its ``test/`` split beside ``train/`` (held out of every choice the fit made), else
    its ``valid/`` split, else its class folders (of files of one class's texts per split, the test files, else
    the validation ones); a class folder of unlabelled texts (``unsup``) is left out, and so are blank
    files (with a warning).

    Each text is placed where a person finds it (:data:`PLACE_COLUMNS`): ``file``, its file's path relative to
    ``root`` (``test/pos/0_10.txt``), and, for files of a text a line (rt-polarity's), ``line``, its line in that
    file: a folder has no rows to number.

    Raises:
        DataError: A folder without class folders of ``.txt`` files, a file not in ``encoding``.
    """
    children = {child.name.lower(): child for child in root.iterdir() if child.is_dir()}
    folder = root
    if "train" in children:
        split = next((children[name] for name in ("test", *VALID_FOLDERS) if name in children), None)
        folder = split if split is not None else children["train"]
    sets = _files_per_split(root)
    if sets is not None:  # the test files, else the validation ones: split_class_files has one or the other
        name = "test" if "test" in sets else "valid"
        files = sets[name]
        shown = ", ".join(path.name for path in files.values())
        reading = _Reading(encoding, encoding_errors, True, None, placed_from=root)
        return _file_texts(root, files, reading), f"'{root}' (its {name} files: {shown})"
    kept = _labelled_names(folder)
    reading = _Reading(encoding, encoding_errors, True, tuple(kept) if kept else None, placed_from=root)
    source = f"'{folder}'" if folder == root else f"'{folder}' (the {folder.name} split of {root})"
    return _class_texts(folder, reading), source
