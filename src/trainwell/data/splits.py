"""A folder of tables named by split, read as one dataset: ``fit_table("imdb/plain_text", "label")``.

Datasets ship split into files: the Hugging Face Hub's ``train-00000-of-00002.parquet``,
``train-00001-of-00002.parquet`` and ``test-00000-of-00001.parquet``; GLUE's ``train.tsv``, ``dev.tsv`` and
``test.tsv``; Kaggle's ``train.csv`` beside ``test.csv``. :func:`split_tables` finds the splits by the files' names;
:func:`read_splits` turns them into what is read: the training rows (the shards joined), the validation split's
rows as the validation rows (marked in a column ``is_valid``, read as ``valid_col``), and the test split as the
labelled test table when it holds the target (an unlabelled test split, as Kaggle's, is left for prediction).
Joined tables are written once as Parquet under ``$TRAINWELL_CACHE/joined`` and read again while their files are
unchanged.

The library (:func:`~trainwell.tabular.data.tabular_data`, ``fit_table``, ``evaluate_table``) reads a folder
through :func:`table_source`; the command line through :mod:`trainwell.cli._splits`, which adds what only a
command reads (images and tagged sentences stored in Parquet, a language model's corpus), so that both read the
same folder the same way.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "VALID_MARK",
    "Splits",
    "TableSource",
    "config_folder",
    "read_splits",
    "split_tables",
    "state_key",
    "table_header",
    "table_source",
]

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
SHARD = re.compile(r"-\d{5}-of-\d{5}$")
#: What ``datasets``' ``save_to_disk`` writes beside the data: descriptions, not tables.
_DATASETS_FILES = ("dataset_dict.json", "dataset_info.json", "state.json")


#: The version of what is made from the user's files in the cache: raised when reading them changes (2: the Hub's
#: lists of class numbers read as lists of names), so an older reading's files are made again, not read.
MADE_FORMAT = 2
#: The cache folder of the joined splits.
JOINED = "joined"


@dataclass
class Splits:
    """What a command reads of a folder of splits."""

    data: Path  # the training rows (with the validation split's, marked in valid_col)
    test: Path | None  # the labelled test rows, or None
    valid_col: str | None  # the column marking the validation split's rows, or None
    names_applied: bool  # --names was used in joining: the joined tables have a header row
    declared: tuple[str, str] | None = None  # the class column the files declare, and the line saying so
    #: What reading the files said (a table's columns named from its description, lines left out before its
    #: first row), held to be said after the line on what the folder is, in the files' order: see :meth:`say_held`.
    held: list[warnings.WarningMessage] = field(default_factory=list)

    def say_held(self) -> None:
        """Issue the warnings held while the files were read, in the order met (the training split's first), as
        if met now; then forget them."""
        from trainwell.core.warn import warn

        for caught in self.held:
            warn(caught.message, caught.category)
        self.held = []


def split_tables(
    folder: Path, *, holds_images: Callable[[Path], bool] | None = None
) -> dict[str, list[Path]] | None:
    """The tables of ``folder`` by split (``"train"``, ``"valid"``, ``"test"``, and ``"other"`` for the rest,
    such as ``unsupervised-00000-of-00001.parquet``), each in order; ``None`` unless it holds a training split and
    something to join or pair it with (shards, a validation or a test split). A folder of UCI's files
    (``adult.data``, ``adult.test``, ``adult.names``) holds its training and test rows by their endings; one that
    ``datasets``' ``save_to_disk`` wrote holds a folder of ``.arrow`` files per split. ``holds_images`` (the
    command line's: this layer knows no image) says whether a folder in it holds images: a Kaggle image
    competition's ``train.csv`` beside ``train/`` lists images, and is no table to train on.

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
        if holds_images is not None and any(holds_images(path) for path in entries if path.is_dir()):
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
        split = SPLIT_NAMES.get(SHARD.sub("", bare.removesuffix(suffix)), "other")
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


def config_folder(folder: Path, *, holds_images: Callable[[Path], bool] | None = None) -> Path | None:
    """The one folder of splits inside ``folder`` when it holds no table of its own: a dataset repository
    downloaded from the Hub keeps its splits in ``data/`` or in a folder per configuration (``plain_text/``).
    Several configurations are refused by name: which one to read is the user's choice. ``holds_images``: as
    :func:`split_tables` takes it."""
    from trainwell.core.errors import DataError
    from trainwell.core.paths import TABLE_SUFFIXES

    try:
        entries = [path for path in folder.iterdir() if not path.name.startswith(".")]
        if any(
            path.is_file() and path.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)
            for path in entries
        ):
            return None
        inner = sorted(
            path
            for path in entries
            if path.is_dir() and split_tables(path, holds_images=holds_images) is not None
        )
    except OSError:
        return None
    if len(inner) > 1:
        raise DataError(
            f"'{folder}' holds {len(inner)} datasets in splits ({', '.join(path.name for path in inner)}): pass one "
            f"folder, e.g. {inner[0]}"
        )
    return inner[0] if inner else None


def read_splits(
    folder: Path,
    *,
    command: str,
    targets: Sequence[str],
    test_given: bool,
    valid_col: str | None,
    names: list[str] | None,
    encoding: str,
    encoding_errors: str,
    say: Callable[[str], None],
    valid_given: bool = False,
    python: bool = False,
    holds_images: Callable[[Path], bool] | None = None,
    declare: Callable[[Path, str], tuple[str, str] | None] | None = None,
    hold: bool = False,
    label_delim: str | None = None,
    text_columns: Sequence[str] = (),
) -> Splits | None:
    """The files ``command`` reads for a folder of splits (:func:`split_tables`), said with ``say``; ``None`` when
    ``folder`` is not one. A test table or ``valid_col`` given keep theirs (the folder's split is then left out:
    ``Splits.test`` is ``None``); ``fit`` and ``tune`` read the validation split; ``evaluate`` folds the training
    split alone. ``valid_given``: the caller chose the validation rows by their positions (Python's ``splits=``),
    the folder's validation split then left out too. A test split without every one of ``targets`` is left out.
    ``python``: the lines name Python's
    keywords (``test=``), not the command line's options (``--test``). Without ``targets`` (and ``names``),
    ``declare`` (the command line's reading of a table's own description) names the target, else the one column
    the test split lacks (Kaggle's layout).

    What reading the files warns of comes after the line saying what the folder is, each file's in the order of
    the splits (training, validation, test), not in the order they are read here (the test split first, to see
    whether it is labelled; the training file alone later, by the caller): a folder of UCI's files said
    adult.test's notes before the line naming it the test split. With ``hold``, they are left in
    :attr:`Splits.held` for the caller to say (:meth:`Splits.say_held`) after lines of its own.

    Every split is read as the single file would be: ``text_columns`` (``--text``) and, with ``label_delim``
    (``--label-delim``), the target columns are kept as written, so that no reading of numbers takes them (a
    TSV's multi-label cell ``1,4`` is two labels, not the number 1.4 written with a decimal comma)."""
    groups = split_tables(folder, holds_images=holds_images)
    if groups is None:
        return None
    option = _PYTHON_WORDS if python else _COMMAND_WORDS
    train, valid, tests = groups["train"], groups.get("valid", []), groups.get("test", [])
    declared = None
    # The Hub's ClassLabel column; UCI's adult.data: the class adult.names declares; a column named label...
    if not targets and names is None:
        declared = declare(train[0], encoding) if declare is not None else None
        if declared is None and tests:  # Kaggle's train.csv and test.csv: the column the test table lacks
            declared = _competition_target(train[0], tests[0], encoding)
        targets = [declared[0]] if declared is not None else []
    written = [*text_columns, *(targets if label_delim is not None else ())]
    notes = []
    if valid and (valid_col is not None or valid_given or command not in ("fit", "tune")):
        why = (
            f"{option['valid_col']} marks the validation rows"
            if valid_col is not None
            else "splits= choose the validation rows"
            if valid_given
            else "folds are drawn from training"
            if command == "evaluate"
            else f"{command} reads the training rows"
        )
        notes.append(f"{_listed(valid)} left out ({why})")
        valid = []
    if tests and (test_given or command in ("evaluate", "lr-find")):
        why = f"{option['test']} given" if test_given else f"{command} does not score a test table"
        notes.append(f"{_listed(tests)} left out ({why})")
        tests = []
    joined = len(train) > 1 or len(tests) > 1 or bool(valid)
    mark = None
    counts = {"train": "", "valid": ""}
    with warnings.catch_warnings(record=True) as held:
        warnings.simplefilter("always")  # every one held: the filters in force decide when each is said
        if joined:
            frames = [_read(path, names, encoding, encoding_errors, written) for path in train]
            counts["train"] = f" ({sum(len(frame) for frame in frames):,} rows)"
            if valid:
                valid_frames = [_read(path, names, encoding, encoding_errors, written) for path in valid]
                counts["valid"] = f"{sum(len(frame) for frame in valid_frames):,} rows, "
                mark = VALID_MARK if VALID_MARK not in frames[0].columns else f"{VALID_MARK}_split"
                frames = [frame.assign(**{mark: False}) for frame in frames]
                frames += [frame.assign(**{mark: True}) for frame in valid_frames]
            data = _joined(folder, "train", train + valid, frames, names, encoding, written)
        else:
            data = train[0]  # read by the caller, after this: what its reading says of its header is said now
            if names is None:  # in its reader's words: the command line says them once
                from trainwell.data.io import _described

                _described(data, data, encoding)
        test_file, left_out = _test_split(
            folder, tests, targets, names, encoding, encoding_errors, joined, option, written
        )
        notes += [left_out] if left_out else []
    parts = [f"training rows from {_listed(train)}{counts['train']}"]
    if valid and mark is not None:
        marked = f"valid_col={mark!r}" if python else f"--valid-col {mark}"
        parts.append(
            f"validation rows from {_listed(valid)} ({counts['valid']}marked in column '{mark}': {marked})"
        )
    if test_file is not None:
        parts.append(f"test rows from {_listed(tests)} ({option['test']})")
    others = groups.get("other", [])
    if others:
        notes.append(f"{_listed(others)} left out (no split name: train, validation/dev, test)")
    say(f"'{folder}': a dataset in splits: {'; '.join(parts + notes)}")
    if joined:
        say(f"joined into '{data.parent}' (made once; trainwell cache --clear removes it)")
    found = Splits(data, test_file, mark or valid_col, joined and names is not None, declared, held)
    if not hold:
        found.say_held()
    return found


#: How the lines of :func:`read_splits` name the settings, on the command line and in Python.
_COMMAND_WORDS = {
    "test": "--test",
    "valid_col": "--valid-col",
    "target": "--target",
    "predict": "trainwell predict",
}
_PYTHON_WORDS = {
    "test": "test=",
    "valid_col": "valid_col=",
    "target": "target=",
    "predict": "trainwell.load(model).predict",
}


class TableSource(NamedTuple):
    """What the library reads of a folder of splits: the training table, the labelled test table (``None``: none,
    or the caller's own), the column marking the validation rows, and the column names still to apply."""

    data: Path
    test: Path | None
    valid_col: str | None
    names: list[str] | None


def table_source(
    source: str | Path,
    targets: Sequence[str],
    *,
    command: str = "fit",
    test_given: bool = False,
    valid_col: str | None = None,
    valid_given: bool = False,
    names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    say: Callable[[str], None] | None = None,
    label_delim: str | None = None,
    text_columns: Sequence[str] = (),
) -> TableSource | None:
    """What a table's reader takes for ``source`` when it is a folder of splits (``titanic/``: ``train.csv.gz``
    beside ``test.csv.gz``; the Hub's shards; a dataset repository's one folder of them, ``data/``), as ``trainwell
    fit`` reads it: the training split (its shards joined, the validation split's rows marked in ``is_valid``)
    and the labelled test split, unless the caller gave a test table (``test_given``) or ``command`` is
    ``"evaluate"``, which folds the training split alone; the validation split unless the caller chose the
    validation rows (``valid_col``, or ``valid_given``: by their positions). ``None`` when ``source`` is no such
    folder: a file, or a folder holding one table, which the reader refuses by name. ``say`` hears what was read,
    in Python's words.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "train.csv").write_text("x,y\\n1,0\\n2,1\\n")
        >>> _ = (folder / "test.csv").write_text("x,y\\n3,1\\n")
        >>> found = table_source(folder, ["y"])
        >>> found.data.name, found.test.name, found.valid_col
        ('train.csv', 'test.csv', None)
    """
    folder = Path(source)
    if not folder.is_dir():
        return None
    said = say if say is not None else _silent
    inner = config_folder(folder)
    if inner is not None:
        said(f"'{folder}': reading the splits in '{inner}'")
        folder = inner
    listed = list(names) if names is not None else None
    found = read_splits(
        folder,
        command=command,
        targets=list(targets),
        test_given=test_given,
        valid_col=valid_col,
        valid_given=valid_given,
        names=listed,
        encoding=encoding,
        encoding_errors=encoding_errors,
        say=said,
        python=True,
        label_delim=label_delim,
        text_columns=text_columns,
    )
    if found is None:
        return None
    return TableSource(found.data, found.test, found.valid_col, None if found.names_applied else listed)


def _silent(line: str) -> None:
    """A ``say`` that says nothing: a builder without a progress display reads a folder quietly."""


def state_key(paths: Sequence[Path], settings: str) -> str:
    """A short key of ``settings`` and the state of each of ``paths`` (its place, size and time of change): what
    a table, images or CoNLL files made from them once are kept under, and made again when one changes, or when
    :data:`MADE_FORMAT` does (a reading that changed: what an older trainwell made is not read as this one's)."""
    key = hashlib.sha256(f"{MADE_FORMAT}|{settings}".encode())
    from trainwell.core.paths import file_state

    for path in paths:
        key.update(f"{file_state(path)}\n".encode())
    return key.hexdigest()[:16]


def _test_split(
    folder: Path,
    tests: list[Path],
    targets: Sequence[str],
    names: list[str] | None,
    encoding: str,
    encoding_errors: str,
    joined: bool,
    option: dict[str, str],
    written: Sequence[str] = (),
) -> tuple[Path | None, str | None]:
    """The labelled test table of :func:`read_splits` (``tests`` joined when several), or ``None`` and why the
    test split is left out: it lacks one of ``targets``, or holds no label in it (the Hub's test splits of GLUE:
    every label -1, "none")."""
    if not tests:
        return None, None
    test_frames = [_read(path, names, encoding, encoding_errors, written) for path in tests]
    absent = [name for name in targets if name not in test_frames[0].columns]
    unlabelled = [
        name for name in targets if name not in absent and all(f[name].isna().all() for f in test_frames)
    ]
    if not targets or absent or unlabelled:
        what = (
            f"no column {absent[0]!r}"
            if absent
            else f"no label in column {unlabelled[0]!r}"
            if unlabelled
            else f"no {option['target']} to score"
        )
        return None, f"{_listed(tests)} left out ({what}: predict it with {option['predict']})"
    if joined:
        return _joined(folder, "test", tests, test_frames, names, encoding, written), None
    return tests[0], None


def _listed(paths: Sequence[Path]) -> str:
    """File names for a message; a file in a folder named by its split (save_to_disk's) with that folder."""
    names = [
        f"{path.parent.name}/{path.name}" if path.parent.name.lower() in SPLIT_NAMES else path.name
        for path in paths
    ]
    return ", ".join(names) if len(names) <= 3 else f"{names[0]} ... {names[-1]} ({len(names)} files)"


def _read(
    path: Path, names: list[str] | None, encoding: str, encoding_errors: str, written: Sequence[str] = ()
) -> Any:
    """One split's table, the columns ``written`` kept as the text written (:func:`read_splits`)."""
    from trainwell.data.io import read_table

    return read_table(
        path, names=names, encoding=encoding, encoding_errors=encoding_errors, as_written=list(written)
    )


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


def record_source(entry: Path, folder: Path) -> None:
    """Record beside ``entry`` (a folder under the cache's joined splits) the ``folder`` its splits came from, as
    an unpacked archive records its archive, for ``trainwell cache`` to name (it named no source for joined
    splits). Written when missing, so an entry an earlier version made gets it when next read; a cache that
    cannot be written (read-only, shared) is read as before, without it."""
    marker = entry.with_name(f"{entry.name}.source")
    if marker.is_file():
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(folder.resolve()), encoding="utf-8")
    except OSError:
        return


def _joined(
    folder: Path,
    split: str,
    paths: Sequence[Path],
    frames: Sequence[Any],
    names: list[str] | None,
    encoding: str,
    written: Sequence[str] = (),
) -> Path:
    """``frames`` (read from ``paths``) as one Parquet file under the cache, written once per state of the
    files and of the columns kept ``written`` as text (a folder read before with its labels as numbers is joined
    again); a table whose columns differ from the first's is refused by name."""
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
    if written:  # as before for a folder read without them: its joined file stays the same
        settings += f"|written={sorted(set(written))}"
    target = (
        cache_root() / JOINED / f"{folder.resolve().name}-{state_key(paths, settings)}" / f"{split}.parquet"
    )
    record_source(target.parent, folder)
    if target.is_file():
        return target
    from trainwell.core.archives import make_cache_folder

    make_cache_folder(target.parent)  # TRAINWELL_CACHE naming a file: one line, not a traceback
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
