"""The actual labels of images predicted from a folder sorted into class folders (``photos/test/cat/1.jpg``).

``trainwell predict MODEL photos/test/`` reads every image below the folder; when each image lies in a
sub-folder named after one of the model's classes, the folder names its actual class, as ``fit`` and
``report --data`` read it. A folder whose sub-folders are not the model's classes (days, cameras, ``train/`` and
``valid/``), or with images of its own beside them, is predicted as before, without the column.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def folder_classes(task: Any, folders: Sequence[Path], paths: Sequence[Path]) -> list[Any] | None:
    """Each of ``paths``' class, named by the first folder under the one of ``folders`` it was found in, when
    every path lies in such a sub-folder and every sub-folder name is one of ``task``'s classes (one class an
    image: binary or multiclass); else ``None``."""
    if getattr(task, "kind", None) not in ("binary", "multiclass") or not folders:
        return None
    if not all(Path(folder).is_dir() for folder in folders):
        return None
    # absolute, links kept: a folder of links to images elsewhere names the classes by its own sub-folders
    roots = [Path(os.path.abspath(folder)) for folder in folders]
    names: list[str] = []
    for path in paths:
        resolved = Path(os.path.abspath(path))
        root = next((root for root in roots if resolved.is_relative_to(root)), None)
        if root is None:
            return None
        parts = resolved.relative_to(root).parts
        if len(parts) < 2:  # an image beside the class folders: no folder names its class
            return None
        names.append(parts[0])
    if not names or task.unknown_classes(set(names)):
        return None
    return [task.as_class(name) for name in names]


def accuracy_line(predicted: Sequence[Any], actual: Sequence[Any], model: str, folder: str) -> str:
    """One line on how many of the images the model got right, and where to read the full account."""
    right = sum(str(guess) == str(truth) for guess, truth in zip(predicted, actual, strict=True))
    share = right / len(actual) if actual else 0.0
    return (
        f"actual: the sub-folders name the model's classes; accuracy {share:.4f} on these {len(actual):,} images "
        f"({right:,} right); for the full account (intervals, per class, the confusion): trainwell report {model} "
        f"--data {folder}"
    )
