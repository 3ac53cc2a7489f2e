"""Texts laid out as one file per class, one text a line (rt-polarity's ``rt-polarity.pos`` and ``.neg``, SentEval's
``custrev.pos``, ``pos.txt`` beside ``neg.txt``): which files of a folder are such files, and each one's label.

The label is the part of the file names that differs between them (``rt-polarity.neg.gz`` and
``rt-polarity.pos.gz``: ``neg`` and ``pos``). Files named as splits (PTB's ``ptb.train.txt`` and
``ptb.valid.txt``) are a corpus cut into splits, not classes, and a folder of many files is a corpus of
documents: neither is read so.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from trainwell.core.paths import TABLE_SUFFIXES, is_idx_file

#: The most files a folder of one file per class holds; more are documents of a corpus, not classes.
MAX_CLASS_FILES = 50

#: Names of splits: files named so (``ptb.train.txt``, ``sentiment.dev.0``) are not one class each.
SPLIT_NAMES = frozenset({"train", "training", "valid", "validation", "val", "dev", "test"})

#: Endings (before any ``.gz``) of files that hold anything but one text a line: documentation, tables (UCI's
#: ``.data`` too), images, archives, code, configuration and binary data.
_NOT_LINES = frozenset(
    {
        *(".md", ".rst", ".html", ".htm", ".pdf", ".doc", ".docx", ".rtf", ".names", ".log"),
        *(*TABLE_SUFFIXES, ".conll", ".conllu", ".data"),
        *(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".svg"),
        *(".tgz", ".tar", ".zip", ".bz2", ".xz", ".7z", ".rar", ".xlsx", ".xls", ".ods"),
        *(".py", ".sh", ".r", ".ipynb", ".js", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".xml"),
        *(".npy", ".npz", ".pt", ".pth", ".bin", ".safetensors", ".onnx", ".pkl", ".pickle", ".h5", ".db"),
    }
)
#: Starts of the names of a dataset's documentation files (``SOURCE.md``, ``README``, ``LICENSE``...).
_DOCUMENTS = (
    "readme",
    "license",
    "licence",
    "copying",
    "source",
    "changelog",
    "notice",
    "citation",
    "authors",
)
_SEPARATORS = "._- "
#: Each of :data:`SPLIT_NAMES` as the split it names.
_SPLIT_OF = {
    **dict.fromkeys(("train", "training"), "train"),
    **dict.fromkeys(("valid", "validation", "val", "dev"), "valid"),
    "test": "test",
}


def class_files(folder: Path) -> dict[str, Path] | None:
    """The files of ``folder`` (not its subfolders) that each hold one class's texts, one a line, by label; ``None``
    unless there are 2 to :data:`MAX_CLASS_FILES` of them with distinct labels, none named as a split.

    A file counts unless it is hidden, documentation (``README``, ``SOURCE.md``), a table, an image, an archive,
    code, or binary (a NUL byte in its first 4 KB, decompressed for ``.gz``).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("rt-polarity.neg", "rt-polarity.pos", "SOURCE.md"):
        ...     _ = (folder / name).write_text("a text\\n")
        >>> {label: path.name for label, path in class_files(folder).items()}
        {'neg': 'rt-polarity.neg', 'pos': 'rt-polarity.pos'}
    """
    if not folder.is_dir():
        return None
    named = [path for path in folder.iterdir() if _named_as_lines(path)]
    if (
        not 2 <= len(named) <= MAX_CLASS_FILES
    ):  # said by the names alone: a corpus of many files is not opened
        return None
    files = sorted(path for path in named if _not_binary(path))
    if len(files) < 2:
        return None
    labels = file_labels([_stem(path) for path in files])
    if labels is None or any(SPLIT_NAMES & set(re.split(r"[._\- ]", label.lower())) for label in labels):
        return None
    return dict(zip(labels, files, strict=True))


def split_class_files(folder: Path) -> dict[str, dict[str, Path]] | None:
    """Files of one class's texts, a text a line, for each split (the Yelp and Amazon sets of style transfer:
    ``sentiment.train.0``, ``sentiment.train.1``, ``sentiment.dev.0``...; ``train.pos`` beside ``test.pos``): by split
    (``train``, ``valid``, ``test``), each the files of its classes by label (:func:`file_labels` within the
    split). ``None`` unless every file of ``folder`` that may hold lines names exactly one split, the training
    split and another are there, each with 2 files or more, and all of them have the same labels.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("sentiment.train.0", "sentiment.train.1", "sentiment.dev.0", "sentiment.dev.1"):
        ...     _ = (folder / name).write_text("a text\\n")
        >>> {split: sorted(files) for split, files in split_class_files(folder).items()}
        {'train': ['0', '1'], 'valid': ['0', '1']}
    """
    if not folder.is_dir():
        return None
    named = [path for path in folder.iterdir() if _named_as_lines(path)]
    if not 4 <= len(named) <= MAX_CLASS_FILES:
        return None
    groups: dict[str, list[Path]] = {}
    for path in named:
        splits = {_SPLIT_OF[word] for word in re.split(r"[._\- ]", _stem(path).lower()) if word in _SPLIT_OF}
        if len(splits) != 1:
            return None  # a file of no split (Yelp's human references), or of two: not this layout
        groups.setdefault(splits.pop(), []).append(path)
    if "train" not in groups or len(groups) < 2:
        return None
    sets: dict[str, dict[str, Path]] = {}
    for split in ("train", "valid", "test"):
        files = sorted(path for path in groups.get(split, []) if _not_binary(path))
        if split in groups and len(files) < 2:
            return None
        labels = file_labels([_stem(path) for path in files]) if files else []
        if labels is None:
            return None
        if files:
            sets[split] = dict(zip(labels, files, strict=True))
    if any(set(files) != set(sets["train"]) for files in sets.values()):
        return None
    return sets


def file_labels(stems: list[str]) -> list[str] | None:
    """Each of ``stems`` without the start and end all of them share (cut at a ``.``, ``_``, ``-`` or space):
    ``rt-polarity.neg`` and ``rt-polarity.pos`` give ``neg`` and ``pos``; the whole stems where that leaves an
    empty or repeated label, ``None`` where the stems themselves repeat.

    Example:
        >>> file_labels(["quote.tok.gt9.5000", "plot.tok.gt9.5000"])
        ['quote', 'plot']
        >>> file_labels(["positive", "negative"])
        ['positive', 'negative']
    """
    prefix = _common_start(stems)
    while prefix and prefix[-1] not in _SEPARATORS:
        prefix = prefix[:-1]
    suffix = _common_start([stem[::-1] for stem in stems])[::-1]
    while suffix and suffix[0] not in _SEPARATORS:
        suffix = suffix[1:]
    labels = [stem[len(prefix) : len(stem) - len(suffix)] for stem in stems]
    if (
        all(labels)
        and len(set(labels)) == len(labels)
        and all(len(prefix) + len(suffix) < len(s) for s in stems)
    ):
        return labels
    return stems if len(set(stems)) == len(stems) else None


def _common_start(words: list[str]) -> str:
    """The characters all ``words`` start with."""
    length = 0
    for chars in zip(*words, strict=False):  # up to the shortest word
        if len(set(chars)) > 1:
            break
        length += 1
    return words[0][:length]


def _stem(path: Path) -> str:
    """``path``'s name without ``.gz`` and ``.txt``: what tells the classes apart."""
    name = path.name
    for ending in (".gz", ".txt"):
        if name.lower().endswith(ending):
            name = name[: -len(ending)]
    return name


def _named_as_lines(path: Path) -> bool:
    """A file whose name says nothing against one text a line: not hidden, documentation, a table, an image..."""
    name = path.name.lower()
    if name.startswith(".") or not path.is_file():
        return False
    bare = name.removesuffix(".gz")
    return not (Path(bare).suffix in _NOT_LINES or bare.startswith(_DOCUMENTS) or is_idx_file(path))


def _not_binary(path: Path) -> bool:
    """No NUL byte in the first 4 KB (decompressed for ``.gz``), and readable."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                start = stream.read(4096)
        else:
            with path.open("rb") as stream:
                start = stream.read(4096)
    except (OSError, EOFError, zlib.error):  # gzip.BadGzipFile is an OSError
        return False
    return b"\0" not in start
