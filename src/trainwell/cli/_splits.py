"""A folder of tables named by split, read as one dataset: ``trainwell fit imdb/plain_text --target label``.

The reading of a folder of tables is the data layer's (:mod:`trainwell.data.splits`), shared with Python's
``fit_table(folder, ...)``; this module adds what only a command reads.

Datasets ship split into files: the Hugging Face Hub's ``train-00000-of-00002.parquet``,
``train-00001-of-00002.parquet`` and ``test-00000-of-00001.parquet``; GLUE's ``train.tsv``, ``dev.tsv`` and
``test.tsv``. :func:`split_tables` finds the splits by the files' names; :func:`read_splits` turns them into what
a command reads: the training rows (the shards joined), the validation split's rows as the validation rows
(marked in a column ``is_valid``, passed as ``--valid-col``), and the test split as ``--test`` when it holds the
target (an unlabelled test split, as Kaggle's, is left for ``trainwell predict``). Joined tables are written
once as Parquet under ``$TRAINWELL_CACHE/joined`` and read again while their files are unchanged.

:func:`command_splits` is what the commands call: it also reads a dataset repository through its one folder of
splits (``data/``, ``plain_text/``), images stored in Parquet as a folder tree of images
(:mod:`trainwell.cli._parquet_images`), and, for a language model, the splits as its corpus and validation text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from trainwell.data import splits as _data_splits
from trainwell.data.splits import JOINED as _JOINED
from trainwell.data.splits import SHARD as _SHARD
from trainwell.data.splits import (
    Splits,
    _joined,
    _listed,
    _read,
    record_source,
    state_key,
    table_header,
)

__all__ = ["Read", "Splits", "command_splits", "read_splits", "split_tables"]


def split_tables(folder: Path) -> dict[str, list[Path]] | None:
    """:func:`trainwell.data.splits.split_tables`, a folder holding images (a Kaggle image competition's
    ``train.csv`` beside ``train/``) read as no folder of tables."""
    return _data_splits.split_tables(folder, holds_images=_holds_images)


def _config_folder(folder: Path) -> Path | None:
    """:func:`trainwell.data.splits.config_folder`, with :func:`split_tables`' reading of images."""
    return _data_splits.config_folder(folder, holds_images=_holds_images)


def _holds_images(folder: Path, depth: int = 2) -> bool:
    """Whether ``folder`` (or a folder in it, ``depth`` levels down) holds an image among its first entries."""
    from trainwell.vision.io import IMAGE_SUFFIXES

    for count, path in enumerate(folder.iterdir()):
        if count >= 50:
            break
        if path.suffix.lower() in IMAGE_SUFFIXES or (
            depth > 1 and path.is_dir() and _holds_images(path, depth - 1)
        ):
            return True
    return False


def read_splits(
    folder: Path,
    *,
    command: str,
    targets: Sequence[str],
    test: Path | None,
    valid_col: str | None,
    names: list[str] | None,
    encoding: str,
    encoding_errors: str,
    say: Callable[[str], None],
    label_delim: str | None = None,
    text_columns: Sequence[str] = (),
) -> Splits | None:
    """:func:`trainwell.data.splits.read_splits` in the command line's words: ``--test`` given is kept, and a
    table's own description names the target (:func:`~trainwell.cli._common.declared_target`). What reading the
    files warns of is held (:attr:`Splits.held`): :func:`command_splits` says it after the target's line."""
    from trainwell.cli._common import declared_target

    found = _data_splits.read_splits(
        folder,
        command=command,
        targets=targets,
        test_given=test is not None,
        valid_col=valid_col,
        names=names,
        encoding=encoding,
        encoding_errors=encoding_errors,
        say=say,
        holds_images=_holds_images,
        declare=declared_target,
        hold=True,
        label_delim=label_delim,
        text_columns=text_columns,
    )
    if found is not None and test is not None:
        found.test = test
    return found


def made_once(
    folder: Path, kind: str, paths: Sequence[Path], settings: str, write: Callable[[Path], dict[str, int]]
) -> tuple[Path, dict[str, int]]:
    """A folder under ``$TRAINWELL_CACHE/joined`` that ``write`` fills from ``paths`` (images, CoNLL files), once
    per state of the files (:func:`state_key`), and the counts ``write`` answered, kept beside it. ``write`` fills
    a partial folder, renamed into place when done: an interrupted or failed run leaves nothing read later."""
    import json
    import shutil

    from trainwell.core.paths import cache_root

    root = cache_root() / _JOINED / f"{folder.resolve().name}-{state_key(paths, settings)}-{kind}"
    record_source(root, folder)  # named by trainwell cache
    done = root / ".complete"
    if not done.is_file():
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        from trainwell.core.archives import make_cache_folder

        make_cache_folder(partial.parent).joinpath(partial.name).mkdir()  # a bad TRAINWELL_CACHE: one line
        try:
            counts = write(partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        (partial / ".complete").write_text(json.dumps(counts), encoding="utf-8")
        shutil.rmtree(root, ignore_errors=True)
        partial.replace(root)
    return root, json.loads(done.read_text(encoding="utf-8"))


class Read(NamedTuple):
    """What a command reads: its data, test table, validation mark and column names, after a folder of splits."""

    data: Path
    test: Path | None
    valid_col: str | None
    names: str | None
    target: str | None
    valid: Path | None = None  # a language model's validation text (the validation split, joined)


def command_splits(
    data: Path,
    command: str,
    *,
    target: str | None,
    test: Path | None = None,
    valid_col: str | None = None,
    names: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    task: str | None = None,
    label_delim: str | None = None,
    text: str | None = None,
) -> Read:
    """What ``command`` reads given these options (``--target a,b``, ``--names ...``): for a folder of splits,
    :func:`read_splits`' files, said on standard error (``--names`` then spent on joining them); else the options
    as given, with a note when ``data`` is one shard of several. Every split is read as the single file is: the
    ``text`` columns, and with ``label_delim`` the target's, as written (``1,4``: two labels, not a number)."""
    import os

    from trainwell.cli._common import column_names, err_console

    def say(line: str) -> None:
        if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 says it for all
            err_console.print(line, soft_wrap=True, markup=False, highlight=False)

    given = Read(data, test, valid_col, names, target)
    images = _parquet_images(data, command, target, say)
    if images is not None:
        return Read(images, test, valid_col, names, None)
    tagged = _parquet_tagged(data, command, say)
    if tagged is not None:
        return Read(tagged, test, valid_col, names, target)
    if data.is_file():
        shard = _SHARD.search(data.name.lower().removesuffix(".gz").rsplit(".", 1)[0])
        siblings = split_tables(data.parent) if shard is not None else None
        split = next((name for name, paths in (siblings or {}).items() if data in paths), None)
        if siblings and split and len(siblings[split]) > 1:
            say(
                f"note: '{data.name}' is 1 of the {len(siblings[split])} shards of its split; pass the folder "
                f"'{data.parent}' to read them all (and its other splits)"
            )
        return given
    if not data.is_dir():
        return given
    inner = _config_folder(data)
    if inner is not None:
        say(f"'{data}': reading the splits in '{inner}'")
        data = inner
    if task == "language_model":
        return _corpus_read(data, given, names, encoding, encoding_errors, say)
    found = read_splits(
        data,
        command=command,
        targets=column_names(target) or [],
        test=test,
        valid_col=valid_col,
        names=column_names(names),
        encoding=encoding,
        encoding_errors=encoding_errors,
        say=say,
        label_delim=label_delim,
        text_columns=column_names(text) or [],
    )
    if found is None:
        return given
    from trainwell.cli._common import alias_path

    for made, split in ((found.data, "training"), (found.test, "test")):
        if made is not None and _JOINED in made.parts:
            both = " and validation" if split == "training" and found.valid_col and valid_col is None else ""
            alias_path(made, f"{data} ({split}{both} split{'s' if both else ''})")
    if target is None and found.declared is not None:
        target = found.declared[0]
        say(found.declared[1])
    found.say_held()  # what the folder is and what is predicted first, then each file's notes, training's first
    return Read(found.data, found.test, found.valid_col, None if found.names_applied else names, target)


def _corpus_read(
    folder: Path,
    given: Read,
    names: str | None,
    encoding: str,
    encoding_errors: str,
    say: Callable[[str], None],
) -> Read:
    """A language model's reading of a folder of splits (the Hub's wikitext: train, validation and test Parquet
    files of a ``text`` column): the training split as the corpus, the validation split as its validation text,
    each joined when in shards; the test split kept out, for judging (``trainwell evaluate --test``)."""
    from trainwell.cli._common import column_names

    groups = split_tables(folder)
    if groups is None:
        return given
    listed = column_names(names)
    files: dict[str, Path] = {}
    joined = any(len(groups.get(split, [])) > 1 for split in ("train", "valid"))  # then both, read alike
    for split in ("train", "valid"):
        paths = groups.get(split, [])
        if paths and not joined:
            files[split] = paths[0]
        elif paths:
            frames = [_read(path, listed, encoding, encoding_errors) for path in paths]
            files[split] = _joined(folder, split, paths, frames, listed, encoding)
    tests = groups.get("test", [])
    kept = f"; {_listed(tests)} kept out, for judging (trainwell evaluate MODEL --test ...)" if tests else ""
    valid = f"; validation text from {_listed(groups['valid'])}" if "valid" in files else ""
    say(f"'{folder}': a corpus in splits: training text from {_listed(groups['train'])}{valid}{kept}")
    used_names = None if joined and names is not None else names
    return given._replace(data=files["train"], names=used_names, valid=files.get("valid"))


def _hub_splits(data: Path) -> tuple[Path, dict[str, list[Path]]] | None:
    """A Parquet file (as a training split of its own) or a folder of splits (through its one configuration's
    folder), with its splits: where the Hub's images and tagged sentences are looked for."""
    if data.is_file():
        return data, {"train": [data]}
    if not data.is_dir():
        return None
    inner = _config_folder(data) or data
    splits = split_tables(inner)
    if not splits:
        return None
    return inner, {split: paths for split, paths in splits.items() if split in ("train", "valid", "test")}


def _parquet_tagged(data: Path, command: str, say: Callable[[str], None]) -> Path | None:
    """For tagged sentences stored in Parquet (the Hub's CoNLL-2003), the folder of CoNLL files they are written
    into (:func:`~trainwell.cli._parquet_tagged.conll_tree`)."""
    from trainwell.cli._parquet_tagged import conll_tree, tagged_columns

    found = _hub_splits(data)
    if found is None or tagged_columns(found[1]["train"][0]) is None:
        return None
    folder, splits = found
    return conll_tree(folder, {"train": splits["train"]} if command == "evaluate" else splits, say)


def _parquet_images(data: Path, command: str, target: str | None, say: Callable[[str], None]) -> Path | None:
    """For images stored in Parquet (one file, or a folder of splits of them: the Hub's MNIST, CIFAR-10), the
    folder tree of images they are written into (:func:`~trainwell.cli._parquet_images.images_tree`)."""
    from trainwell.cli._parquet_images import image_column, images_tree

    found = _hub_splits(data)
    column = image_column(found[1]["train"][0]) if found is not None else None
    if found is None or column is None:
        return None
    folder, splits = found
    kept = {"train": splits["train"]} if command == "evaluate" else splits
    return images_tree(folder, kept, column, label=target, say=say)


def held_out_split(
    data: Path,
    names: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    *,
    targets: Sequence[str] = (),
) -> tuple[Path, str | None]:
    """What ``trainwell report --data`` reads of a folder of splits: its test split (else its validation split),
    joined when in shards, written as images or CoNLL files when stored so in Parquet; said on standard error.
    A test table without the model's ``targets`` (Kaggle's ``test.csv``, the one to predict) is passed over for
    the validation split, or refused by name when there is none. Anything else is ``data`` as given. Returns the
    path and which split it is (``"test"``, ``"valid"``; ``None``: ``data`` as given)."""
    from trainwell.cli._common import column_names, err_console
    from trainwell.cli._parquet_images import image_column, images_tree
    from trainwell.cli._parquet_tagged import conll_tree, tagged_columns

    found = _hub_splits(data) if data.is_dir() else None
    if found is None:
        return data, None
    folder, splits = found
    split = "test" if "test" in splits else "valid" if "valid" in splits else None
    if split is None:
        return data, None
    header = table_header(splits[split][0], encoding) if names is None else None
    lacking = [name for name in targets if header is not None and name not in header]
    if split == "test" and lacking:
        if "valid" not in splits:
            from trainwell.core.errors import DataError

            raise DataError(
                f"'{data}': its test split, {_listed(splits['test'])}, has no column '{lacking[0]}' (the table to "
                "predict, not labelled rows) and there is no validation split; pass --data labelled rows the model "
                "has not seen"
            )
        split = "valid"
        passed_over = f"its test split has no column '{lacking[0]}' (the table to predict); "
    else:
        passed_over = ""

    def say(line: str) -> None:
        err_console.print(line, soft_wrap=True, markup=False, highlight=False)

    paths = splits[split]
    say(
        f"'{data}': {passed_over}judged on its {'test' if split == 'test' else 'validation'} split, "
        f"{_listed(paths)}"
    )
    column = image_column(paths[0])
    if column is not None:
        return images_tree(folder, {split: paths}, column, label=None, say=say) / split, split
    if tagged_columns(paths[0]) is not None:
        tree = conll_tree(folder, {split: paths}, say)
        return (data, None) if tree is None else (tree / f"{split}.txt", split)
    if len(paths) == 1:
        return paths[0], split
    listed = column_names(names)
    frames = [_read(path, listed, encoding, encoding_errors) for path in paths]
    return _joined(folder, split, paths, frames, listed, encoding), split
