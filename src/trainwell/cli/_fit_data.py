"""What ``trainwell fit`` read its data as, and the options that kind of data never reads.

An option the chosen application would silently ignore is refused in one line instead, naming the option, what it
is for and what the data was read as (exit 2, as any misuse of the command line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: What --arch takes for a table.
TABLE_ARCHS = ("auto", "mlp", "tabular_mlp", "gbdt")


#: What each option of fit that images never read is for, as the refusal names it.
NOT_FOR_IMAGES = {
    "--text": "texts",
    "--tokenizer": "texts and language models",
    "--max-len": "texts",
    "--model": "texts",
    "--drop-empty": "texts",
    "--user": "ratings",
    "--item": "ratings",
    "--implicit": "ratings",
    "--valid-col": "tables, texts and ratings",
    "--cat-names": "tables",
    "--cont-names": "tables",
    "--ignore": "tables",
    "--date-format": "tables",
    "--min-category-count": "tables",
    "--positive": "tables",
    "--encoding-errors": "tables (a CSV of image paths too), CoNLL files and .txt corpora",
    "--names": "tables, texts and ratings without a header row",
    "--task language_model": "text corpora (.txt files)",
    "--task tagging": "tagged sentences (CoNLL files)",
}


def not_for_images(flags: list[str], data: Path) -> Exception:
    """The one-line refusal of options given with image data, which would otherwise be silently ignored:
    ``--text is for texts, not images ('photos' was read as ...): drop it``."""
    from trainwell.cli._unread import refusal

    read_as = "a folder of class folders of images" if data.is_dir() else "a CSV of image paths (--path-col)"
    return refusal(flags, NOT_FOR_IMAGES, f"images ('{data}' was read as {read_as})")


def holds_only_images(data: Path) -> bool:
    """A folder of images with no text a language model or a tagger could read (``.txt`` or CoNLL files)."""
    if not data.is_dir():  # said without importing NumPy for the image reader
        return False
    from trainwell.cli._tagging import is_tagging_source
    from trainwell.text.inputs import has_text_files
    from trainwell.vision.io import looks_like_image_folder

    return looks_like_image_folder(data) and not has_text_files(data) and not is_tagging_source(data, None)


def is_corpus_folder(data: Path) -> bool:
    """A folder of text files and nothing else a model reads (Tiny Shakespeare's ``input.txt``, PTB's
    ``ptb.train.txt``...): no images, tables, class folders or tagged sentences; what only a language model
    reads."""
    if not data.is_dir():
        return False
    from trainwell.cli._tagging import is_tagging_source
    from trainwell.core.paths import TABLE_SUFFIXES
    from trainwell.text.inputs import has_text_files
    from trainwell.vision.io import looks_like_image_folder

    if any(child.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES) for child in data.iterdir()):
        return False
    return (
        has_text_files(data)
        and not looks_like_image_folder(data)
        and not holds_text_classes(data)
        and not is_tagging_source(data, None)
    )


def holds_text_classes(data: Path) -> bool:
    """A folder of texts sorted into class folders, ``<label>/*.txt``, or ``train/<label>/*.txt`` beside
    ``valid/`` or ``test/`` (IMDB's layout): two class folders or more that hold ``.txt`` files, and no images;
    or, without class folders, files of one class's texts each, a text a line (rt-polarity's ``.pos`` and
    ``.neg``, :func:`~trainwell.text._line_files.class_files`)."""
    if not data.is_dir():
        return False
    from trainwell.text.inputs import has_text_files

    root = data / "train" if (data / "train").is_dir() else data
    classes = [
        child
        for child in root.iterdir()
        if child.is_dir() and not child.name.startswith(".") and has_text_files(child, recursive=False)
    ]
    if len(classes) < 2:
        from trainwell.text._line_files import class_files, split_class_files

        # rt-polarity's one file per class; Yelp's sentiment.train.0 beside sentiment.dev.0...
        return not classes and (class_files(root) is not None or split_class_files(root) is not None)
    from trainwell.vision.io import looks_like_image_folder

    return not looks_like_image_folder(data)


#: The options a folder of class folders of texts never reads: its texts are its files, its labels their folders.
UNREAD_BY_TEXT_FOLDER = (
    "--text",
    "--target",
    "--valid-col",
    "--user",
    "--item",
    "--implicit",
    "--path-col",
    "--test",
    "--names",
)  # fmt: skip  (--test: its own test/ beside train/ is its test set)


def read_text_classes(
    data: Path, given: dict[str, bool], *, cross_validated: bool = False
) -> list[str] | None:
    """Refuse the options a folder of class folders of texts never reads, and say what is read of it: the class
    folders when one of unlabelled texts (``unsup``) is left out, and (``cross_validated``) that its ``test/``
    split is kept out of the folds. Returns the labelled class folders, or ``None`` when every one is a class."""
    from trainwell.cli._common import out_console
    from trainwell.text._folders import labelled_classes

    refuse_unread(given, UNREAD_BY_TEXT_FOLDER, f"a folder of class folders of texts ('{data}')")
    say_class_files(data)
    labelled = labelled_classes(data)
    if labelled is not None:
        out_console.print(
            f"{data}: the class folders {', '.join(labelled)}; unlabelled texts left out",
            markup=False,
            soft_wrap=True,
        )
    if cross_validated:
        say_test_left_out(data)
    return labelled


def say_class_files(data: Path) -> None:
    """Say how a folder of one file of texts per class is read (a text a line, the label from the file's name),
    and, when they are ``.txt`` files, how to train a language model on them instead."""
    from trainwell.cli._common import out_console
    from trainwell.core.paths import is_model_directory
    from trainwell.text._line_files import class_files, split_class_files

    root = data / "train" if (data / "train").is_dir() else data
    if any(
        child.is_dir() and not child.name.startswith(".") and not is_model_directory(child)
        for child in root.iterdir()
    ):
        return  # class folders are read (IMDB's train/pos/), the files beside them not (its labeledBow.feat)
    files = class_files(root)
    if files is None:
        sets = split_class_files(root)
        if sets is None:
            return
        splits = "; ".join(
            f"{name}: " + ", ".join(f"{label} ({path.name})" for label, path in sets[name].items())
            for name in sets
        )
        out_console.print(
            f"{root}: one file of texts per class and split, a text a line, labelled by file: {splits}",
            markup=False,
            soft_wrap=True,
        )
        return
    shown = ", ".join(f"{label} ({path.name})" for label, path in files.items())
    corpus = any(path.name.lower().removesuffix(".gz").endswith(".txt") for path in files.values())
    out_console.print(
        f"{root}: one file of texts per class, a text a line, labelled by file: {shown}"
        + ("; for a language model on them instead, pass --task language_model" if corpus else ""),
        markup=False,
        soft_wrap=True,
    )


def say_test_left_out(data: Path, *, images: bool = False) -> None:
    """Say that cross-validation leaves a folder's ``test/`` beside ``train/`` out, and which folders its folds
    are drawn from (``train/`` and ``valid/`` pooled), by the names the folder's reader knows (``images``: the
    image reader's, ``training/`` too)."""
    from trainwell.cli._common import out_console
    from trainwell.text._folders import VALID_FOLDERS
    from trainwell.vision.io import TRAIN_NAMES, VALID_NAMES

    if images:
        from trainwell.vision.io import idx_files

        held = idx_files(data)
        if "test" in held and "train" in held:
            out_console.print(
                f"{', '.join(path.name for path in held['test'])} left out: the folds are drawn from "
                f"{', '.join(path.name for path in held['train'])}",
                markup=False,
                soft_wrap=True,
            )
            return
    else:
        from trainwell.text._line_files import split_class_files

        sets = split_class_files(data)
        if sets is not None and "test" in sets:
            folds = [path.name for name in ("train", "valid") if name in sets for path in sets[name].values()]
            out_console.print(
                f"{', '.join(path.name for path in sets['test'].values())} left out: the folds are drawn from "
                f"{', '.join(folds)}",
                markup=False,
                soft_wrap=True,
            )
            return
    train_names: tuple[str, ...] = TRAIN_NAMES if images else ("train",)
    valid_names: tuple[str, ...] = VALID_NAMES if images else VALID_FOLDERS
    children = {child.name.lower(): child for child in data.iterdir() if child.is_dir()}
    train = next((children[name] for name in train_names if name in children), None)
    valid = next((children[name] for name in valid_names if name in children), None)
    if train is None or ("test" not in children and valid is None):
        return
    drawn = f"{train}" + (f" and {valid}" if valid is not None else "")
    pooled = (
        " together (each fold holds out its own share, not the folder's split)" if valid is not None else ""
    )
    left = f"{children['test']} left out: " if "test" in children else ""
    out_console.print(f"{left}the folds are drawn from {drawn}{pooled}", markup=False, soft_wrap=True)


def is_image_source(data: Path, path_col: str | None, command: str = "fit") -> bool:
    """A folder of images, or a CSV listing image paths (``--path-col``)."""
    if path_col is not None:
        return True
    if data.is_dir():
        from trainwell.core.errors import DataError
        from trainwell.vision.io import holds_idx_images, looks_like_image_folder

        if not looks_like_image_folder(data):
            if holds_idx_images(data):
                return True  # MNIST's IDX files: read by image_data
            from trainwell.core.paths import TABLE_SUFFIXES
            from trainwell.text.inputs import has_text_files

            names = {path: path.name.lower().removesuffix(".gz") for path in data.iterdir()}
            tables = sorted(path for path, name in names.items() if name.endswith(TABLE_SUFFIXES))
            from trainwell.collab.names import ratings_file_in

            ratings = None if tables else ratings_file_in(data)
            if (
                ratings is not None
            ):  # with --target, or --user without --item...: how to read it  # MovieLens' ml-100k/: u.data beside u.item, u.user... and README
                raise DataError(
                    f"'{data}' is a folder without images; its {ratings.name} looks like ratings without a header row "
                    f"(user, item, rating[, timestamp]): trainwell {command} {ratings} --user user --item item --target "
                    "rating"
                )
            if not tables and any(name.endswith(".data") for name in names.values()):
                # UCI's adult.data beside adult.test (and adult.names): tables too, by the .data one
                tables = sorted(path for path, name in names.items() if name.endswith((".data", ".test")))
            if tables:  # GoEmotions' train/dev/test TSVs: the data are its tables, a .txt beside them a note
                train = next((path for path in tables if "train" in path.name.lower()), tables[0])
                raise DataError(
                    f"'{data}' is a folder of tables ({', '.join(path.name for path in tables)}), not of images: "
                    f"pass one table file, e.g. trainwell {command} {train} --target COLUMN"
                    + _table_hints(train, tables, command)
                )
            if has_text_files(data):
                held = "; it holds .txt files: for a language model on them pass --task language_model"
            else:  # what it does hold, so that the reader sees why (rt-polarity's one file of texts per class)
                files = sorted(path.name for path in data.iterdir() if not path.name.startswith("."))
                shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
                held = f" (it holds {shown})" if files else " (it is empty)"
            raise DataError(
                f"'{data}' is a folder without images{held}; pass a table file (for texts, one with a text and a "
                "label column: --text, --target), or a folder of <label>/*.jpg images or <label>/*.txt texts"
            )
        return True
    return False


def fasttext_columns(data: Path, text: str | None, target: str | None) -> tuple[str | None, str | None]:
    """``("text", "label")`` for a file in fastText's format (``__label__pos a great film``: read as those columns,
    :func:`~trainwell.text._fasttext.read_fasttext`), said on standard output; else ``text`` and ``target`` as
    given. Other column names given for such a file are refused."""
    from trainwell.text._fasttext import is_fasttext_file

    if not is_fasttext_file(data):
        return text, target
    if text not in (None, "text") or target not in (None, "label"):
        from trainwell.core.errors import ConfigError

        raise ConfigError(
            f"'{data}' is in fastText's format (__label__ labels, then the text), read as the columns text and "
            "label: drop --text and --target"
        )
    from trainwell.cli._common import out_console

    out_console.print(
        f"{data}: fastText's format, a text a line after its __label__ labels: read as --text text --target label",
        markup=False,
        soft_wrap=True,
    )
    return "text", "label"


def _table_hints(train: Path, tables: list[Path], command: str) -> str:
    """What helps pick the options for ``train``, one of a folder's ``tables``: its columns (from its header
    row) and, for fit and tune, the test table to pass in ``--test``."""
    from trainwell.data.io import first_row, looks_like_data

    hints = []
    shards = _shard_siblings(train, tables)
    if (
        len(shards) > 1
    ):  # a Hugging Face dataset's train-00000-of-00004.parquet...: one shard is part of the rows
        pattern = shards[0].parent / (_SHARD.sub("-*", shards[0].name, count=1))
        suffix = shards[0].name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
        reader = (
            "read_parquet"
            if suffix in ("parquet", "pq")
            else "read_json"
            if suffix == "jsonl"
            else "read_csv"
        )
        extra = ", lines=True" if suffix == "jsonl" else ""
        hints.append(
            f"it is one of the {len(shards)} shards of the training rows ({shards[0].name} to {shards[-1].name}) and "
            'trainwell reads one table: join them first, e.g. python -c "import glob, pandas as pd; '
            f"pd.concat(pd.{reader}(f{extra}) for f in sorted(glob.glob('{pattern}'))).to_parquet('train.parquet')\""
        )
    try:
        first = None if train.name.lower().endswith((".parquet", ".pq")) else first_row(train)
    except (OSError, UnicodeDecodeError, EOFError, ValueError):
        first = None
    if train.name.lower().endswith((".parquet", ".pq")):
        try:
            import pyarrow.parquet as parquet

            names = parquet.read_schema(train).names
            hints.append(f"its columns: {', '.join(names[:12])}" + (", ..." if len(names) > 12 else ""))
        except Exception:  # an unreadable file: its reader says why when read for real
            pass
    elif first is not None and looks_like_data(first.fields):
        hints.append(f"it has no header row: name its {len(first.fields)} columns with --names")
    elif first is not None:
        shown = ", ".join(first.fields[:12]) + (", ..." if len(first.fields) > 12 else "")
        hints.append(f"its columns: {shown}")
    if command in ("fit", "tune"):
        test = next((path for path in tables if "test" in path.name.lower() and path != train), None)
        hints.append(
            f"--test {test} scores a labelled test table" if test else "a labelled test table goes in --test"
        )
    return f" ({'; '.join(hints)})" if hints else ""


#: A shard's place in a file name, as the Hugging Face Hub writes them: ``train-00001-of-00004``.
_SHARD = re.compile(r"-\d{5}-of-\d{5}")


def _shard_siblings(table: Path, tables: list[Path]) -> list[Path]:
    """The shards of ``table``'s split among ``tables`` (``train-00000-of-00004.parquet`` ...), in order; just
    ``table`` when its name is no shard's."""
    match = _SHARD.search(table.name)
    if match is None:
        return [table]
    split = table.name[: match.start()]
    return sorted(
        path for path in tables if path.name.startswith(split) and _SHARD.search(path.name[len(split) :])
    )


def ratings_folder(
    data: Path,
    user: str | None,
    item: str | None,
    target: str | None,
    command: str,
    implicit: bool = False,
    names: Any = None,
) -> tuple[Path, str | None, str | None, str | None]:
    """MovieLens' ``ml-100k/`` (``u.data``, ratings without a header row, beside ``u.item``, ``u.user``... and no
    images or tables), given with none of ``--user``, ``--item``, ``--target`` (or ``--target rating``), read as
    its ratings file: ``(file, "user", "item", "rating")``, the columns the ratings reader names a headerless
    file's, said in one line (with ``implicit``, no target: the rows are interactions); so is such a file given
    itself (``ml-100k/u.data``, ``u1.base``: 4 tab-separated whole numbers a line, no header row) unless
    ``names`` (``--names``) names its columns; anything else as it is."""
    unchanged = data, user, item, target
    if user is not None or item is not None or target not in (None, "rating"):
        return unchanged
    read_as = "--implicit" if implicit else "--target rating"
    if data.is_file():
        from trainwell.collab.names import is_ratings_file

        if names is not None or not is_ratings_file(data):
            return unchanged
        if os.environ.get("RANK", "0") == "0":
            from trainwell.cli._common import err_console
            from trainwell.collab.names import FOLDER_NAME_FILES

            beside = next((name for name in FOLDER_NAME_FILES if (data.parent / name).is_file()), None)
            named = f"; the items' names from {beside} beside it" if beside and command == "fit" else ""
            err_console.print(
                f"'{data}' has no header row and 4 whole numbers a line, as MovieLens' u.data: {command} reads "
                f"its columns as user, item, rating, timestamp (--user user --item item {read_as}){named}; pass "
                "--names to name them otherwise",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )
        return data, "user", "item", None if implicit else "rating"
    if not data.is_dir():
        return unchanged
    from trainwell.vision.io import holds_idx_images, looks_like_image_folder

    if holds_idx_images(data) or looks_like_image_folder(data):
        return unchanged
    from trainwell.collab.names import ratings_file_in

    ratings = ratings_file_in(data)
    if ratings is None:
        return unchanged
    if os.environ.get("RANK", "0") == "0":
        from trainwell.cli._common import err_console

        err_console.print(
            f"'{data}': {ratings.name} holds ratings without a header row (user, item, rating[, timestamp]): "
            f"{command} reads it as trainwell {command} {ratings} --user user --item item {read_as}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    return ratings, "user", "item", None if implicit else "rating"


def table_else_text(
    table: Callable[[], T], text: Callable[[str], None], data: Path, *, arch: str, given: dict[str, bool]
) -> T | None:
    """``table()`` (a fit or an evaluation of the table ``data``), or, when the table has no input left but
    free-text columns (:class:`~trainwell.tabular.recipe.NoInputColumns`: SST-2's label and sentence, MRPC's two
    sentences) and no table model was asked for (``--arch``, table options but ``--ignore`` among ``given``), ``text(columns)``
    instead (several joined by commas: each row's texts are one example, a pair), said in one line, and
    ``None``."""
    from trainwell.cli._common import out_console, shown_paths
    from trainwell.tabular.recipe import NoInputColumns

    try:
        return table()
    except NoInputColumns as error:
        # --ignore only leaves columns out (IMDB's leaking rating and file path): what is left may be text alone
        if not error.free_text or arch != "auto" or any(given.get(f) for f in TABLE_ONLY if f != "--ignore"):
            raise
        columns = list(error.free_text)
    if len(columns) == 1:
        said = f"column '{columns[0]}' is free text and the table's only input: training a text model on it"
    else:
        named = " and ".join(f"'{column}'" for column in columns)
        said = (
            f"columns {named} are free text and the table's only inputs: training a text model on each "
            f"row's {len(columns)} texts as one example"
        )
    out_console.print(
        shown_paths(f"{data}: {said} (as --text {','.join(columns)})"), markup=False, soft_wrap=True
    )
    text(",".join(columns))
    return None


def free_text_input(
    data: Path,
    targets: str | list[str] | None,
    flags: list[str],
    *,
    given: dict[str, bool],
    arch: str,
    table_settings: dict[str, Any],
) -> str:
    """The free-text column(s) of the table ``data`` (joined by commas) that fit trains a text model on when
    they are its only inputs (:func:`table_else_text`), found before the fit for the text options ``flags``
    (``--tokenizer``, ``--max-len``) given without ``--text``: ``fit sst.tsv --target label --tokenizer word`` was
    refused ("--tokenizer is for texts (--text)") though ``fit sst.tsv --target label`` trains a text model on its
    column 'sentence'. Said in one line, as :func:`table_else_text` says it; refused in one line when the table
    is read as a table. ``table_settings``: what the table's reading takes (``valid_col``, ``names``,
    ``ignore``...)."""
    import warnings

    from trainwell.cli._common import out_console, shown_paths
    from trainwell.core.errors import ConfigError
    from trainwell.tabular.recipe import NoInputColumns

    several = len(flags) > 1
    what = (
        "texts (--text) and language models (--task language_model)"
        if flags == ["--tokenizer"]
        else "texts (--text)"
    )
    refused = ConfigError(
        f"{' and '.join(flags)} {'are' if several else 'is'} for {what}; '{data}' is read as a table, not as free "
        f"text alone: drop {'them' if several else 'it'}, or name its column of texts with --text COLUMN"
    )
    table_options = any(given.get(flag) for flag in TABLE_ONLY if flag != "--ignore")
    if not targets or not data.is_file() or arch != "auto" or table_options:
        raise refused
    from trainwell.tabular.data import tabular_data

    try:
        with warnings.catch_warnings():  # a probe: the text model's fit says what it reads
            warnings.simplefilter("ignore")
            tabular_data(data, targets, **table_settings)
    except NoInputColumns as error:
        if not error.free_text:
            raise
        columns = list(error.free_text)
    else:
        raise refused
    said = (
        f"column '{columns[0]}' is free text and the table's only input: training a text model on it"
        if len(columns) == 1
        else f"columns {' and '.join(repr(c) for c in columns)} are free text and the table's only inputs: "
        f"training a text model on each row's {len(columns)} texts as one example"
    )
    out_console.print(
        shown_paths(f"{data}: {said} (as --text {','.join(columns)})"), markup=False, soft_wrap=True
    )
    return ",".join(columns)


def refuse_idx(data: Path) -> Any:
    """The one-line error for one IDX file (MNIST's ``train-images-idx3-ubyte.gz``) given as the data: its
    folder is what fit reads; ``None`` for any other file."""
    from trainwell.core.errors import DataError
    from trainwell.core.paths import is_idx_file

    if not data.is_file() or not is_idx_file(data):
        return None
    return DataError(
        f"'{data}' is one IDX array file (MNIST's format): pass the folder holding it with its labels file, "
        f"trainwell fit {data.parent} (train-* for training, t10k-* as the test set; Python: image_data(folder))"
    )


def refuse_for_images(data: Path, given: dict[str, bool]) -> None:
    """Refuse the options of ``given`` (option -> whether the user set it) that images never read."""
    unused = [flag for flag in NOT_FOR_IMAGES if given.get(flag)]
    if unused:
        raise not_for_images(unused, data)


def refuse_for_tables_and_texts(
    text: str | None, arch: str, *, size: int | None, augment: str, pretrained: Path | None
) -> None:
    """Refuse the options of images (and an ``--arch`` tables do not have) given with a table or texts."""
    from trainwell.core.errors import ConfigError

    what = "texts (--text)" if text is not None else "tables"
    unused = [
        flag
        for flag, given in (
            ("--arch", arch != "auto" and (text is not None or arch not in TABLE_ARCHS)),
            ("--size", size is not None),
            ("--augment", augment != "auto"),
            ("--pretrained", pretrained is not None and text is None),
        )
        if given
    ]
    if unused == ["--arch"] and text is None:
        raise ConfigError(
            f"--arch {arch} is not an architecture for tables: use auto (the default), mlp or gbdt"
        )
    if unused:
        words = "is" if len(unused) == 1 else "are"
        domain = "images, ratings and tables" if unused == ["--arch"] else "images"
        raise ConfigError(
            f"{', '.join(unused)} {words} for {domain}, not {what}: drop {'it' if len(unused) == 1 else 'them'}"
        )


#: The options of fit that only a table's own model reads: texts and ratings refuse them.
TABLE_ONLY = (
    "--cat-names",
    "--cont-names",
    "--ignore",
    "--date-format",
    "--min-category-count",
    "--positive",
)


def table_options_given(
    cat_names: str | None,
    cont_names: str | None,
    ignore: str | None,
    date_format: list[str] | None,
    min_category_count: int | None,
) -> dict[str, bool]:
    """Which of the :data:`TABLE_ONLY` options were given (option -> given), for :func:`refuse_unread`."""
    return {
        "--cat-names": cat_names is not None,
        "--cont-names": cont_names is not None,
        "--ignore": ignore is not None,
        "--date-format": bool(date_format),
        "--min-category-count": min_category_count is not None,
    }


#: The options of fit that neither a language model nor a tagger reads (and --metric, which a tagger does read).
_UNREAD_BY_TEXT_STREAMS = (
    "--target", "--model", "--drop-empty", "--user", "--item", "--implicit", "--valid-col", "--cat-names",
    "--cont-names", "--ignore", "--date-format", "--min-category-count", "--positive", "--path-col", "--label-col",
    "--label-delim",
    "--label-names", "--no-label-thresholds", "--arch", "--size", "--augment", "--channels", "--recipe", "--test", "--wd", "--opt",
    "--max-len",
)  # fmt: skip
UNREAD_BY_LM = (*_UNREAD_BY_TEXT_STREAMS, "--metric")
UNREAD_BY_TAGGER = (*_UNREAD_BY_TEXT_STREAMS, "--text", "--pretrained", "--tokenizer", "--names")


def warn_ratings_as_table(data: Path, targets: str | list[str], encoding: str, names: Any = None) -> None:
    """Warn when a table is fitted to predict a rating (``--target rating``) from columns named as a user and an
    item: as a table its ids are read as numbers or categories, where a recommender learns each one's taste."""
    from trainwell.collab.data import PLAIN_RATING_NAMES, ratings_columns

    targets = [targets] if isinstance(targets, str) else targets
    if (
        len(targets) != 1
        or not data.is_file()
        or targets[0].lower().replace("_", "") not in PLAIN_RATING_NAMES
    ):
        return
    from trainwell.core.errors import UserError
    from trainwell.data.io import read_table

    try:
        columns = read_table(data, names=names, encoding=encoding, encoding_errors="replace").columns
    except UserError:
        return  # said when the table is read for real
    roles = ratings_columns(columns)
    if roles is None:
        return
    from trainwell.core.warn import warn

    user, item, _ = roles
    warn(
        f"'{data}' looks like a table of ratings ('{user}' rates '{item}'): as a table its ids are inputs like any "
        f"other, read as numbers or categories; a recommender learns each user's and item's taste: trainwell fit "
        f"{data} --user {user} --item {item} --target {targets[0]}",
        UserWarning,
    )


def refuse_unread(given: dict[str, bool], names: tuple[str, ...], what: str) -> None:
    """Refuse the options among ``names`` set in ``given`` (option -> whether the user set it) that ``what`` (a
    language model, a tagger) never reads: ``--target is not used by a language model (...): drop it``."""
    unused = [flag for flag in names if given.get(flag)]
    if unused:
        from trainwell.core.errors import ConfigError

        several = len(unused) > 1
        raise ConfigError(
            f"{', '.join(unused)} {'are' if several else 'is'} not used by {what}: drop {'them' if several else 'it'}"
        )


def recommender_words(user: str | None, item: str | None, implicit: bool) -> str:
    """How a refusal names a recommender, by the options that made it one: ``a recommender (--implicit)``."""
    chosen = {"--user": user is not None, "--item": item is not None, "--implicit": implicit}
    return f"a recommender ({', '.join(flag for flag, given in chosen.items() if given)})"


#: What ``fit --tokenizer`` takes, for a text classifier and for a language model.
TEXT_TOKENIZERS, LM_TOKENIZERS = ("word", "subword"), ("word", "subword", "whitespace", "char")


def tokenizer_setting(
    tokenizer: str | None,
    data: Path,
    task: str | None,
    text: str | None,
    pretrained: Path | None,
    image_source: bool,
) -> dict[str, Any]:
    """``{"tokenizer": name}`` for the pipeline when ``--tokenizer`` was given and applies, ``{}`` when it was
    not; refused in one line for data that has no text, a name the model cannot take, or a pretrained model
    (whose own tokenizer is kept)."""
    from trainwell.core.errors import ConfigError

    if tokenizer is None or image_source:  # images refuse it with their other options
        return {}
    language_model = task == "language_model"
    if not language_model and text is None:
        raise ConfigError(
            f"--tokenizer is for texts (--text) and language models (--task language_model), not '{data}': drop it, "
            "or name its column of texts with --text COLUMN"
        )
    names = LM_TOKENIZERS if language_model else TEXT_TOKENIZERS
    if tokenizer not in names:
        what = "a language model" if language_model else "a text classifier"
        raise ConfigError(f"--tokenizer {tokenizer!r} is not one for {what}: use {' or '.join(names)}")
    if pretrained is not None:
        raise ConfigError(
            "--tokenizer with --pretrained: the pretrained model's own tokenizer is kept (its vocabulary "
            "depends on it); drop --tokenizer"
        )
    return {"tokenizer": tokenizer}
