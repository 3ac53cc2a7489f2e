"""Where :func:`~trainwell.vision.image_data` finds its image files: a folder tree, a CSV or a DataFrame of paths
and labels, or a list of paths; and the held-out splits (``valid=``, ``test=``) of the same kind as the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainwell.core.errors import ConfigError, DataError
from trainwell.vision.io import (
    LabelledFiles,
    csv_files,
    folder_splits,
    is_image_file,
    labelled_folder,
    table_files,
    warn_joined_labels,
    warn_listed_joined_labels,
)


def is_table(source: object) -> bool:
    """A pandas DataFrame (checked by name: pandas is not imported for a folder or an array)."""
    return type(source).__name__ == "DataFrame" and hasattr(source, "columns")


def is_path_list(source: object) -> bool:
    """A list (or tuple) of image paths: strings or ``Path`` objects, never an array of pixels."""
    return (
        isinstance(source, list | tuple)
        and len(source) > 0
        and all(isinstance(item, str | Path) for item in source)
    )


def file_splits(
    source: Any,
    labels: Any,
    valid: Any,
    test: Any,
    columns: TableColumns,
) -> tuple[dict[str, LabelledFiles], dict[str, list[Path]]]:
    label_delim = columns.label_delim
    # Any file but an image is a table of paths (.csv, .tsv, .csv.gz...): its reader says what it cannot read.
    table = is_table(source) or (isinstance(source, Path) and source.is_file() and not is_image_file(source))
    if table:
        splits = {"all": _table_split(source, columns)}
    elif isinstance(source, Path):
        splits = folder_splits(source)
        if label_delim is not None:
            raise ConfigError(
                "label_delim is for a CSV of multi-label images; a folder tree has one label per image"
            )
    else:
        splits = {"all": _listed_files(source, labels, "the image paths")}
        if label_delim is None:  # labels=["cat|dog", ...]: a class per combination, said as a CSV's are
            warn_listed_joined_labels(splits["all"].labels, "image_data's labels=")
    for key, held in (("valid", valid), ("test", test)):
        if held is None:
            continue
        if "all" in splits:
            splits["train"] = splits.pop("all")
        splits[key] = _held_files(held, key, table, isinstance(source, Path), columns)
    where = f"'{source}'" if isinstance(source, Path) else "the DataFrame" if table else "the image paths"
    for key, files in splits.items():
        if len(files) == 0:
            raise DataError(f"{where if key == 'all' else f'the {key} split of {where}'} holds no images")
    return splits, {key: list(files.paths) for key, files in splits.items()}


@dataclass(frozen=True)
class TableColumns:
    """How a CSV or a DataFrame of images is read."""

    path_col: str | None
    label_col: str | None
    label_delim: str | None
    encoding: str  # a CSV's
    encoding_errors: str = "strict"  # "replace": a byte the encoding cannot decode is read as U+FFFD


def _table_split(source: Any, columns: TableColumns) -> LabelledFiles:
    """The files of a CSV (paths relative to its folder) or a DataFrame (relative to the current folder)."""
    path_col, label_col, label_delim = columns.path_col, columns.label_col, columns.label_delim
    if path_col is None or label_col is None:
        what = f"'{source}' is a CSV" if isinstance(source, Path) else "a DataFrame of image paths needs"
        raise ConfigError(
            f"{what}: name its columns with --path-col and --label-col (path_col=, label_col=)"
            if isinstance(source, Path)
            else f"{what} path_col= and label_col=: the columns of the paths and of the labels"
        )
    if isinstance(source, Path):
        files = csv_files(
            source,
            path_col,
            label_col,
            label_delim=label_delim,
            encoding=columns.encoding,
            encoding_errors=columns.encoding_errors,
        )[0]
    else:
        files = table_files(source, path_col, label_col, label_delim=label_delim)
    if label_delim is None:
        warn_joined_labels(
            files.labels, label_col, f"'{source}'" if isinstance(source, Path) else "the DataFrame"
        )
    return files


def _listed_files(paths: Any, labels: Any, what: str) -> LabelledFiles:
    if labels is None:
        raise ConfigError("image paths need labels=: one label per image")
    values = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    if len(values) != len(paths):
        raise DataError(
            f"{what}: {len(paths)} image paths but {len(values)} labels; give one label per image"
        )
    files = [Path(path) for path in paths]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise DataError(f"{len(missing)} of {what} do not exist, e.g. '{missing[0]}'; check the paths")
    return LabelledFiles(files, values)


def _held_files(
    held: Any,
    key: str,
    table: bool,
    folder: bool,
    columns: TableColumns,
) -> LabelledFiles:
    """A held-out split of the source's own kind (see ``valid`` in :func:`image_data`), or a clear error."""
    if table:
        if is_table(held) or (isinstance(held, str | Path) and Path(held).is_file()):
            return _table_split(Path(held) if isinstance(held, str) else held, columns)
        raise ConfigError.worded(
            lambda say: (
                f"{say(key)} must be a CSV file or a DataFrame with the columns '{columns.path_col}' and "
                f"'{columns.label_col}' when the training images are listed in one; got {_shown(held)}"
            )
        )
    if folder:
        if isinstance(held, str | Path) and Path(held).is_dir():
            return labelled_folder(Path(held))
        raise ConfigError.worded(
            lambda say: (
                f"{say(key)} must be a folder of class folders when the training images are one; got "
                f"{_shown(held)} (a CSV of image paths and labels is taken when the training images are listed in "
                f"a CSV too, with {say('path_col')} and {say('label_col')})"
            )
        )
    if isinstance(held, tuple) and len(held) == 2 and is_path_list(held[0]):
        return _listed_files(held[0], held[1], f"the {key} image paths")
    raise ConfigError(f"{key}= must be a (paths, labels) pair when the source is a list of image paths")


def _shown(value: object) -> str:
    if isinstance(value, str | Path):
        return f"'{value}'" + ("" if Path(value).exists() else ", which does not exist")
    return type(value).__name__
