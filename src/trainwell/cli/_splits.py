"""A folder of tables named by split, read as one dataset: ``trainwell fit imdb/plain_text --target label``.

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

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Read", "Splits", "command_splits", "read_splits", "split_tables"]

#: A file's name without its shard number and ending -> the split it holds. Whole names only, unlike the
#: corpora's :func:`trainwell.text._splits.split_of` (``ptb.train.txt``): a table named ``train_labels.csv``
#: beside an image folder is no training split.
SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "valid": "valid",
    "validation": "valid",
    "val": "valid",
    "dev": "valid",
    "test": "test",
    "testing": "test",
}
#: The column marking the validation split's rows in the joined table.
VALID_MARK = "is_valid"
_SHARD = re.compile(r"-\d{5}-of-\d{5}$")
#: What ``datasets``' ``save_to_disk`` writes beside the data: descriptions, not tables.
_DATASETS_FILES = ("dataset_dict.json", "dataset_info.json", "state.json")


#: The version of what is made from the user's files in the cache: raised when reading them changes (2: the Hub's
#: lists of class numbers read as lists of names), so an older reading's files are made again, not read.
MADE_FORMAT = 2
#: The cache folder of the joined splits.
_JOINED = "joined"


@dataclass
class Splits:
    """What a command reads of a folder of splits."""

    data: Path  # the training rows (with the validation split's, marked in valid_col)
    test: Path | None  # the labelled test rows, or None
    valid_col: str | None  # the column marking the validation split's rows, or None
    names_applied: bool  # --names was used in joining: the joined tables have a header row
    declared: tuple[str, str] | None = None  # the class column the files declare, and the line saying so


def split_tables(folder: Path) -> dict[str, list[Path]] | None:
    """The tables of ``folder`` by split (``"train"``, ``"valid"``, ``"test"``, and ``"other"`` for the rest,
    such as ``unsupervised-00000-of-00001.parquet``), each in order; ``None`` unless it holds a training split and
    something to join or pair it with (shards, a validation or a test split). A folder of UCI's files
    (``adult.data``, ``adult.test``, ``adult.names``) holds its training and test rows by their endings; one that
    ``datasets``' ``save_to_disk`` wrote holds a folder of ``.arrow`` files per split.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("train-00000-of-00002.parquet", "train-00001-of-00002.parquet", "dev.tsv", "notes.txt"):
        ...     _ = (folder / name).write_text("")
        >>> {split: [path.name for path in paths] for split, paths in sorted(split_tables(folder).items())}
        {'train': ['train-00000-of-00002.parquet', 'train-00001-of-00002.parquet'], 'valid': ['dev.tsv']}
    """
    from trainwell.core.paths import TABLE_SUFFIXES

    groups: dict[str, list[Path]] = {}
    try:
        entries = sorted(path for path in folder.iterdir() if not path.name.startswith("."))
        files = [path for path in entries if path.is_file()]
        if any(_holds_images(path) for path in entries if path.is_dir()):
            return None  # a Kaggle image competition's train.csv beside train/: the tables list images
    except OSError:
        return None
    for path in files:
        bare = path.name.lower().removesuffix(".gz")
        if bare in _DATASETS_FILES:
            continue
        suffix = next((suffix for suffix in TABLE_SUFFIXES if bare.endswith(suffix)), None)
        if suffix is None:
            continue
        split = SPLIT_NAMES.get(_SHARD.sub("", bare.removesuffix(suffix)), "other")
        groups.setdefault(split, []).append(path)
    if (
        "train" not in groups
    ):  # datasets' save_to_disk: a folder per split (train/data-00000-of-00001.arrow...)
        for folder_of_split in (path for path in entries if path.is_dir()):
            named = SPLIT_NAMES.get(folder_of_split.name.lower())
            shards = sorted(folder_of_split.glob("*.arrow")) if named else []
            if named and shards:
                groups.setdefault(named, []).extend(shards)
    if "train" not in groups:  # UCI's adult.data beside adult.test: training and test rows by their endings
        data = [path for path in files if path.name.lower().removesuffix(".gz").endswith(".data")]
        stem = data[0].name.lower().removesuffix(".gz").removesuffix(".data") if len(data) == 1 else None
        tests = [path for path in files if stem and path.name.lower().removesuffix(".gz") == f"{stem}.test"]
        if stem is not None and not groups:
            groups = {"train": data, **({"test": tests} if tests else {})}
    train = groups.get("train", [])
    if not train or (len(train) == 1 and "valid" not in groups and "test" not in groups):
        return None
    return groups


def _config_folder(folder: Path) -> Path | None:
    """The one folder of splits inside ``folder`` when it holds no table of its own: a dataset repository
    downloaded from the Hub keeps its splits in ``data/`` or in a folder per configuration (``plain_text/``).
    Several configurations are refused by name: which one to read is the user's choice."""
    from trainwell.core.errors import DataError
    from trainwell.core.paths import TABLE_SUFFIXES

    try:
        entries = [path for path in folder.iterdir() if not path.name.startswith(".")]
        if any(
            path.is_file() and path.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)
            for path in entries
        ):
            return None
        inner = sorted(path for path in entries if path.is_dir() and split_tables(path) is not None)
    except OSError:
        return None
    if len(inner) > 1:
        raise DataError(
            f"'{folder}' holds {len(inner)} datasets in splits ({', '.join(path.name for path in inner)}): pass one "
            f"folder, e.g. {inner[0]}"
        )
    return inner[0] if inner else None


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
) -> Splits | None:
    """The files ``command`` reads for a folder of splits (:func:`split_tables`), said with ``say``; ``None`` when
    ``folder`` is not one. ``test`` or ``valid_col`` given keep theirs (the folder's split is then left out);
    ``fit`` and ``tune`` read the validation split; ``evaluate`` folds the training split alone. A test split
    without every one of ``targets`` is left out."""
    groups = split_tables(folder)
    if groups is None:
        return None
    train, valid, tests = groups["train"], groups.get("valid", []), groups.get("test", [])
    declared = None
    # The Hub's ClassLabel column; UCI's adult.data: the class adult.names declares; a column named label...
    if not targets and names is None:
        from trainwell.cli._common import declared_target

        declared = declared_target(train[0], encoding)
        if declared is None and tests:  # Kaggle's train.csv and test.csv: the column the test table lacks
            declared = _competition_target(train[0], tests[0], encoding)
        targets = [declared[0]] if declared is not None else []
    notes = []
    if valid and (valid_col is not None or command not in ("fit", "tune")):
        why = (
            "--valid-col marks the validation rows"
            if valid_col is not None
            else "folds are drawn from training"
            if command == "evaluate"
            else f"{command} reads the training rows"
        )
        notes.append(f"{_listed(valid)} left out ({why})")
        valid = []
    if tests and (test is not None or command in ("evaluate", "lr-find")):
        why = "--test given" if test is not None else f"{command} does not score a test table"
        notes.append(f"{_listed(tests)} left out ({why})")
        tests = []
    joined = len(train) > 1 or len(tests) > 1 or bool(valid)
    mark = None
    counts = {"train": "", "valid": ""}
    if joined:
        frames = [_read(path, names, encoding, encoding_errors) for path in train]
        counts["train"] = f" ({sum(len(frame) for frame in frames):,} rows)"
        if valid:
            valid_frames = [_read(path, names, encoding, encoding_errors) for path in valid]
            counts["valid"] = f"{sum(len(frame) for frame in valid_frames):,} rows, "
            mark = VALID_MARK if VALID_MARK not in frames[0].columns else f"{VALID_MARK}_split"
            frames = [frame.assign(**{mark: False}) for frame in frames]
            frames += [frame.assign(**{mark: True}) for frame in valid_frames]
        data = _joined(folder, "train", train + valid, frames, names, encoding)
    else:
        data = train[0]
    test_file = None
    if tests:
        test_frames = [_read(path, names, encoding, encoding_errors) for path in tests]
        absent = [name for name in targets if name not in test_frames[0].columns]
        unlabelled = [
            name for name in targets if name not in absent and all(f[name].isna().all() for f in test_frames)
        ]  # the Hub's test splits of GLUE: every label -1, "none"
        if not targets or absent or unlabelled:
            what = (
                f"no column {absent[0]!r}"
                if absent
                else f"no label in column {unlabelled[0]!r}"
                if unlabelled
                else "no --target to score"
            )
            notes.append(f"{_listed(tests)} left out ({what}: predict it with trainwell predict)")
        elif joined:
            test_file = _joined(folder, "test", tests, test_frames, names, encoding)
        else:
            test_file = tests[0]
    parts = [f"training rows from {_listed(train)}{counts['train']}"]
    if valid and mark is not None:
        parts.append(
            f"validation rows from {_listed(valid)} ({counts['valid']}marked in column '{mark}': --valid-col {mark})"
        )
    if test_file is not None:
        parts.append(f"test rows from {_listed(tests)} (--test)")
    others = groups.get("other", [])
    if others:
        notes.append(f"{_listed(others)} left out (no split name: train, validation/dev, test)")
    say(f"'{folder}': a dataset in splits: {'; '.join(parts + notes)}")
    if joined:
        say(f"joined into '{data.parent}' (made once; trainwell cache --clear removes it)")
    return Splits(
        data, test_file if test is None else test, mark or valid_col, joined and names is not None, declared
    )


def state_key(paths: Sequence[Path], settings: str) -> str:
    """A short key of ``settings`` and the state of each of ``paths`` (its place, size and time of change): what
    a table, images or CoNLL files made from them once are kept under, and made again when one changes, or when
    :data:`MADE_FORMAT` does (a reading that changed: what an older trainwell made is not read as this one's)."""
    key = hashlib.sha256(f"{MADE_FORMAT}|{settings}".encode())
    from trainwell.core.paths import file_state

    for path in paths:
        key.update(f"{file_state(path)}\n".encode())
    return key.hexdigest()[:16]


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
    done = root / ".complete"
    if not done.is_file():
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            counts = write(partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        (partial / ".complete").write_text(json.dumps(counts), encoding="utf-8")
        shutil.rmtree(root, ignore_errors=True)
        partial.replace(root)
    return root, json.loads(done.read_text(encoding="utf-8"))


def _listed(paths: Sequence[Path]) -> str:
    """File names for a message; a file in a folder named by its split (save_to_disk's) with that folder."""
    names = [
        f"{path.parent.name}/{path.name}" if path.parent.name.lower() in SPLIT_NAMES else path.name
        for path in paths
    ]
    return ", ".join(names) if len(names) <= 3 else f"{names[0]} ... {names[-1]} ({len(names)} files)"


def _read(path: Path, names: list[str] | None, encoding: str, encoding_errors: str) -> Any:
    from trainwell.data.io import read_table

    return read_table(path, names=names, encoding=encoding, encoding_errors=encoding_errors)


def _competition_target(train: Path, test: Path, encoding: str) -> tuple[str, str] | None:
    """The one column of ``train`` that ``test`` lacks, all others shared (Kaggle's ``train.csv`` beside the
    ``test.csv`` to predict: Titanic's ``Survived``, House Prices' ``SalePrice``), with the line saying so."""
    train_columns, test_columns = table_header(train, encoding), table_header(test, encoding)
    if not train_columns or not test_columns:
        return None
    lacking = [column for column in train_columns if column not in test_columns]
    if len(lacking) != 1 or len(train_columns) != len(test_columns) + 1:
        return None
    return lacking[0], (
        f"--target {lacking[0]}: the one column '{train.name}' has and '{test.name}' lacks (a competition's "
        "layout: the test table is the one to predict)"
    )


def table_header(path: Path, encoding: str) -> list[str] | None:
    """The column names of a table file without reading its rows (a Parquet or Arrow file's schema, a CSV or
    TSV file's first row); ``None`` for a workbook or a file that cannot be read so."""
    from trainwell.core.columnar import columnar_schema

    try:
        schema = columnar_schema(path)
        if schema is not None:
            return [str(name) for name in schema.names]
        if path.name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods", ".json", ".jsonl", ".ndjson")):
            return None
        from trainwell.data.io import first_row

        row = first_row(path, encoding)
    except (OSError, ValueError, UnicodeDecodeError, EOFError):
        return None
    return [field.strip('"') for field in row.fields] if row is not None else None


def _joined(
    folder: Path,
    split: str,
    paths: Sequence[Path],
    frames: Sequence[Any],
    names: list[str] | None,
    encoding: str,
) -> Path:
    """``frames`` (read from ``paths``) as one Parquet file under the cache, written once per state of the
    files; a table whose columns differ from the first's is refused by name."""
    import pandas as pd

    from trainwell.core.errors import DataError
    from trainwell.core.paths import cache_root

    first = list(frames[0].columns)
    for path, frame in zip(paths, frames, strict=True):
        if set(frame.columns) - {VALID_MARK, f"{VALID_MARK}_split"} != set(first) - {
            VALID_MARK,
            f"{VALID_MARK}_split",
        }:
            marks = {VALID_MARK, f"{VALID_MARK}_split"}
            own = [column for column in frame.columns if column not in marks]
            theirs = [column for column in first if column not in marks]
            if names is None and len(own) == len(theirs) and len(set(own) & set(theirs)) * 2 < len(own):
                # As many fields, most named otherwise: the first lines are rows of data (GoEmotions' TSVs, whose
                # label may be the same in both)
                from trainwell.data.io import placeholder_names

                raise DataError(
                    f"the splits of '{folder}' name their columns otherwise ('{paths[0].name}' opens with "
                    f"{', '.join(repr(str(c)[:30]) for c in theirs[:3])}..., '{path.name}' with "
                    f"{', '.join(repr(str(c)[:30]) for c in own[:3])}...): their first lines are rows of data, not "
                    f"headers; name the {len(theirs)} columns with --names, e.g. --names "
                    f"{placeholder_names(len(theirs))}"
                )
            raise DataError(
                f"'{path}' has the columns {', '.join(map(str, frame.columns))}, not those of '{paths[0].name}' "
                f"({', '.join(map(str, first))}): the splits of '{folder}' must share their columns"
            )
    settings = f"{names}|{encoding}|{[list(frame.columns) for frame in frames]}|{[len(f) for f in frames]}"
    target = (
        cache_root() / _JOINED / f"{folder.resolve().name}-{state_key(paths, settings)}" / f"{split}.parquet"
    )
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    table = pd.concat(list(frames), ignore_index=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        table.to_parquet(partial, index=False)
    except (ValueError, TypeError, ImportError) as error:  # pyarrow refuses mixed types, or is absent
        partial.unlink(missing_ok=True)
        raise DataError(
            f"could not join the splits of '{folder}' into one table: {str(error).splitlines()[0]}; join them "
            "yourself and pass the joined file"
        ) from None
    partial.replace(target)
    return target


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
) -> Read:
    """What ``command`` reads given these options (``--target a,b``, ``--names ...``): for a folder of splits,
    :func:`read_splits`' files, said on standard error (``--names`` then spent on joining them); else the options
    as given, with a note when ``data`` is one shard of several."""
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
