"""Texts laid out in folders for classification: ``<label>/*.txt``, or ``train/`` with ``valid/`` and ``test/`` beside
it (IMDB's layout, fastai's ``from_folder``), read into the tables :func:`~trainwell.text.text_data` takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from trainwell.core.errors import DataError
from trainwell.core.warn import warn

if TYPE_CHECKING:
    import pandas as pd

#: Sub-folders read as the validation split of a folder of texts (``train/`` beside it), as for images.
VALID_FOLDERS = ("valid", "validation", "val", "dev")


def read_text_folder(
    root: Path,
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    drop_empty: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The texts of ``root/<label>/*.txt``, or of ``root/train/<label>/`` with ``valid/`` (or ``dev/``) and
    ``test/`` beside it (IMDB's layout; fastai's ``from_folder``), as tables of ``text`` and ``label``: the
    training (and validation, marked in ``is_valid``) texts, and the test folder's (``None`` without one).

    Blank files are refused by name, or with ``drop_empty`` left out with a warning. The files are
    ``encoding`` text; ``encoding_errors="replace"`` reads bytes not in it as U+FFFD.
    """
    import pandas as pd

    children = {child.name.lower(): child for child in root.iterdir() if child.is_dir()}
    train_dir = children.get("train")
    test_dir = children.get("test")
    if train_dir is None:
        return _class_texts(root, encoding, encoding_errors, drop_empty), None
    frames = [_class_texts(train_dir, encoding, encoding_errors, drop_empty).assign(is_valid=False)]
    valid_dir = next((children[name] for name in VALID_FOLDERS if name in children), None)
    if valid_dir is not None:
        frames.append(_class_texts(valid_dir, encoding, encoding_errors, drop_empty).assign(is_valid=True))
    frame = pd.concat(frames, ignore_index=True)
    if valid_dir is None:
        frame = frame.drop(columns="is_valid")
    return frame, _class_texts(
        test_dir, encoding, encoding_errors, drop_empty
    ) if test_dir is not None else None


def _class_texts(
    folder: Path, encoding: str, encoding_errors: Literal["strict", "replace"], drop_empty: bool
) -> pd.DataFrame:
    import pandas as pd

    from trainwell.text.tokenize import read_text_files

    classes = sorted(c for c in folder.iterdir() if c.is_dir() and not c.name.startswith("."))
    if not classes:
        raise DataError(
            f"'{folder}' has no class folders of .txt files; arrange texts as {folder}/<label>/<text>.txt (or "
            "train/<label>/ and valid/<label>/ folders), or pass a CSV of texts and labels"
        )
    rows = [
        (text, path, c.name)
        for c in classes
        for path, text in read_text_files(c, encoding=encoding, encoding_errors=encoding_errors).items()
    ]
    blank = [path for text, path, _label in rows if not text.strip()]
    if blank:
        if not drop_empty:
            raise DataError(
                f"text file '{blank[0]}' is empty ({len(blank)} file{'' if len(blank) == 1 else 's'} in all); "
                "fill or remove them, or pass --drop-empty (Python: drop_empty=True)"
            )
        warn(f"dropped {len(blank)} empty text file(s) of '{folder}' (the first: '{blank[0]}')", UserWarning)
    kept = [(text, label) for text, _path, label in rows if text.strip()]
    return pd.DataFrame(kept, columns=["text", "label"])
