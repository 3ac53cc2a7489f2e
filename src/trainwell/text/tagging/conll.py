"""Reading and writing CoNLL-style files for sequence labelling (named entities, part-of-speech tags).

Two layouts are read, plain or gzipped:

- **CoNLL** (CoNLL-2000/2003 and most NER corpora): one token per line, its fields separated by spaces or tabs,
  a blank line between sentences, ``-DOCSTART-`` lines between documents. CoNLL-2003's four columns are
  ``token pos chunk ner``.
- **CoNLL-U** (Universal Dependencies): ten TAB-separated fields per word (``id form lemma upos xpos feats head
  deprel deps misc``), ``#`` comment lines, a blank line between sentences. Multiword-token lines (id ``1-2``)
  and empty nodes (id ``8.1``) are not words of the sentence, so the words read are the syntactic words the
  tags belong to; they and the comments are kept aside (``TaggedCorpus.other_lines``), and
  :func:`write_conllu` puts them back where they were.

:func:`read_conll` picks the layout from the suffix (``.conllu``, ``.conllu.gz``) or else from the content,
:func:`holds_raw_sentences` tells a ``.txt`` of raw sentences from one of CoNLL columns,
:func:`find_split_files` finds train / valid / test files in a folder by their names, and :func:`write_conll`
writes tokens with gold and predicted tags in the layout the official ``conlleval`` script reads.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainwell.core.atomic import write_bytes_atomic
from trainwell.core.errors import ConfigError, DataError
from trainwell.text._splits import SPLIT_NAMES, split_of

__all__ = [
    "CONLL2003_COLUMNS",
    "CONLLU_COLUMNS",
    "TaggedCorpus",
    "default_tag_column",
    "find_split_files",
    "gold_column",
    "holds_raw_sentences",
    "read_conll",
    "write_conll",
]

#: The ten fields of a CoNLL-U word line, in order.
CONLLU_COLUMNS: tuple[str, ...] = (
    "id",
    "form",
    "lemma",
    "upos",
    "xpos",
    "feats",
    "head",
    "deprel",
    "deps",
    "misc",
)
#: The column names given to a four-column CoNLL file (the CoNLL-2003 layout).
CONLL2003_COLUMNS: tuple[str, ...] = ("token", "pos", "chunk", "ner")

_DOCSTART = "-DOCSTART-"
_DATA_SUFFIXES = (".txt", ".conll", ".conllu", ".bio", ".iob", ".tsv")
_CONLLU_SUFFIXES = (".conllu", ".conllu.gz")


@dataclass(frozen=True)
class TaggedCorpus:
    """Sentences read from a CoNLL or CoNLL-U file: the fields of every token, and the names of the fields.

    Attributes:
        sentences: one list per sentence, one tuple of fields per token (all tuples of a corpus have the
            same length, ``len(column_names)``).
        column_names: the name of each field, e.g. ``("token", "pos", "chunk", "ner")``.
        format: ``"conll"`` or ``"conllu"``.
        source: where the sentences came from (the path as text), for error messages.
        other_lines: CoNLL-U only (else ``None``): each sentence's lines that are not words (``# sent_id``,
            ``# text`` and other comments, multiword tokens ``3-4``, empty nodes ``5.1``), in the order read,
            each as ``(number of the sentence's words before it, the line)``. A blank line among them ends a
            block of comments that had no words of its own.
        first_lines: the 1-based line of each sentence's first word in the file read (``None`` for sentences made
            in Python), so that an error in a tag can name its line (:meth:`line_of`).

    Example:
        >>> corpus = TaggedCorpus([[("EU", "B-ORG"), ("rejects", "O")]], ("token", "tag"), "conll", "x.txt")
        >>> corpus.tokens(), corpus.column("tag"), len(corpus), corpus.n_tokens
        ([['EU', 'rejects']], [['B-ORG', 'O']], 1, 2)
    """

    sentences: list[list[tuple[str, ...]]]
    column_names: tuple[str, ...]
    format: str
    source: str
    other_lines: list[list[tuple[int, str]]] | None = None
    first_lines: list[int] | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def n_tokens(self) -> int:
        """The number of tokens (words) in all sentences."""
        return sum(len(sentence) for sentence in self.sentences)

    def line_of(self, sentence: int, word: int) -> int | None:
        """The 1-based line of the file that holds word ``word`` of sentence ``sentence`` (both counted from 0), or
        ``None`` when the sentences were not read from a file.

        A CoNLL sentence's words are consecutive lines; a CoNLL-U sentence's may have multiword-token lines, empty
        nodes or comments between them (``other_lines``), which are counted in.
        """
        if self.first_lines is None:
            return None
        line = self.first_lines[sentence] + word
        if self.other_lines is not None:
            line += sum(1 for place, _ in self.other_lines[sentence] if 0 < place <= word)
        return line

    def place_of(self, sentence: int, word: int) -> str:
        """Where word ``word`` of sentence ``sentence`` (both counted from 0) is, for an error message:
        ``"train.conll, line 12"``, or ``"x, sentence 3, word 2"`` (from 1) when the sentences were not read from a
        file."""
        line = self.line_of(sentence, word)
        if line is None:
            return f"{self.source}, sentence {sentence + 1}, word {word + 1}"
        return f"{self.source}, line {line}"

    def tokens(self) -> list[list[str]]:
        """The word forms of every sentence (``form`` in CoNLL-U, the first column in CoNLL)."""
        return self.column("form" if self.format == "conllu" else 0)

    def column(self, name: str | int) -> list[list[str]]:
        """One field of every token, by column name or 0-based index (a string of digits counts as an index
        when it is not a column name, so a command-line value works as is).

        Raises:
            ConfigError: no column has that name, or the index is out of range.
        """
        index = self._column_index(name)
        return [[token[index] for token in sentence] for sentence in self.sentences]

    def _column_index(self, name: str | int) -> int:
        names = ", ".join(self.column_names)
        if isinstance(name, str) and name in self.column_names:
            return self.column_names.index(name)
        if isinstance(name, str) and not name.isdecimal():
            raise ConfigError.worded(
                lambda say: (
                    f"tag column {name!r} not found in {self.source}; columns are: {names}. "
                    f"Pass {say('tag_col', 'NAME')} (or a 0-based column number)."
                )
            )
        index = int(name)
        if isinstance(name, bool) or not 0 <= index < len(self.column_names):
            raise ConfigError.worded(
                lambda say: (
                    f"column number {name!r} is out of range for {self.source}, which has "
                    f"{len(self.column_names)} columns ({names}); pass {say('tag_col', 'NAME')} or a number from 0 "
                    f"to {len(self.column_names) - 1}."
                )
            )
        return index

    def tag_column(self, name: str | int) -> tuple[str, list[list[str]]]:
        """The name of the column ``name`` points to (by name or 0-based index) and its field of every token,
        read as the tags: the words' own column is refused.

        Raises:
            ConfigError: no such column, or it is the words' column.
        """
        index = self._column_index(name)
        words = self.column_names.index("form") if self.format == "conllu" else 0
        if index == words:
            others = [
                column for number, column in enumerate(self.column_names) if number not in (words, 0)
            ] or ["(none: the file has only words)"]
            raise ConfigError.worded(
                lambda say: (
                    f"tag column {name!r} holds the words ({self.column_names[index]}), not their tags; "
                    f"pass {say('tag_col', 'NAME')} naming a column of tags: {', '.join(others)}"
                )
            )
        return self.column_names[index], self.column(index)


def default_tag_column(corpus: TaggedCorpus) -> str:
    """The column to tag when none is given: ``upos`` in CoNLL-U, ``ner`` in the CoNLL-2003 layout, otherwise
    the last column.

    Example:
        >>> default_tag_column(TaggedCorpus([[("a", "DT", "B-NP", "O")]], CONLL2003_COLUMNS, "conll", "x"))
        'ner'
    """
    if corpus.format == "conllu":
        return "upos"
    if corpus.column_names == CONLL2003_COLUMNS:
        return "ner"
    return corpus.column_names[-1]


def gold_column(corpus: TaggedCorpus, tag_col: str, classes: Collection[str]) -> str | None:
    """The column of ``corpus`` that holds the gold tags of a tagger trained on the column ``tag_col``.

    That column when the file has it; else the file's own tag column (:func:`default_tag_column`) when every tag
    in it is one the tagger knows (IOB1 and IOBES read as IOB2), so a tagger trained on CoNLL-2003's ``ner``
    scores a two-column ``word tag`` file and the other way round; ``None`` when neither holds the tags.

    Raises:
        DataError: the gold tags hold an entity tag with no type (``I-``), as a training file would be refused.

    Example:
        >>> corpus = TaggedCorpus([[("EU", "B-ORG")]], ("token", "tag"), "conll", "x")
        >>> gold_column(corpus, "ner", ["O", "B-ORG"]), gold_column(corpus, "ner", ["NOUN"])
        ('tag', None)
    """
    from trainwell.text.tagging.scheme import detect_scheme, refuse_typeless_tags, to_iob2

    if tag_col in corpus.column_names:
        refuse_typeless_tags(corpus.column(tag_col), corpus.place_of)
        return tag_col
    own = default_tag_column(corpus)
    if own == corpus.column_names[0] or (corpus.format == "conllu" and own == "form"):
        return None  # a file of words alone
    tags = corpus.column(own)
    refuse_typeless_tags(tags, corpus.place_of)  # gold tags all the same, with a slip in them
    scheme = detect_scheme(tags)
    known = set(classes)
    if all(tag in known for sentence in tags for tag in to_iob2(sentence, scheme)):
        return own
    return None


# ------------------------------------------------------------------------------------------------ reading
def read_conll(path: str | Path, *, encoding: str = "utf-8", encoding_errors: str = "strict") -> TaggedCorpus:
    """Read a CoNLL or CoNLL-U file (plain, or gzipped when its name ends in ``.gz``).

    The layout is CoNLL-U when the name ends in ``.conllu`` or ``.conllu.gz``, or when the first token line has
    exactly ten TAB-separated fields and a numeric id; otherwise CoNLL. Consecutive blank lines never make
    empty sentences, a last sentence without a blank line after it is kept, and ``\\r\\n`` line ends work.

    Args:
        path: the file to read.
        encoding: the file's text encoding (UTF-8 unless told, e.g. ``"latin-1"``); never guessed.
        encoding_errors: what to do with bytes not in ``encoding``, as in :meth:`bytes.decode`: ``"strict"``
            stops with an error that says where; ``"replace"`` reads them as U+FFFD.

    Returns:
        The sentences with their fields and column names.

    Raises:
        DataError: the file is missing, not ``encoding`` text, not gzip although named ``.gz``, holds no
            sentences, or has lines whose number of fields differs from the first token line's.
        ConfigError: ``encoding`` or ``encoding_errors`` is not one Python knows.
    """
    path = Path(path)
    text = _read_text(path, encoding, encoding_errors)
    lines = text.split("\n")
    other_lines = None
    first_lines: list[int] = []
    if _is_conllu(path, lines):
        sentences, other_lines = _parse_conllu(lines, path, first_lines)
        column_names = CONLLU_COLUMNS
        layout = "conllu"
    else:
        sentences, n_fields = _parse_conll(lines, path, first_lines)
        column_names = _conll_column_names(n_fields)
        layout = "conll"
    if not sentences:
        raise DataError(
            f"{path} holds no sentences: expected one token per line with its fields separated by spaces or "
            "tabs, and a blank line between sentences (or the CoNLL-U layout)."
        )
    return TaggedCorpus(sentences, column_names, layout, str(path), other_lines, first_lines)


def _read_text(path: Path, encoding: str, encoding_errors: str) -> str:
    from trainwell.data.io import check_encoding

    check_encoding(encoding)
    try:
        codecs.lookup_error(encoding_errors)
    except LookupError:
        raise ConfigError(
            f"encoding_errors={encoding_errors!r} is not an error handler; pass 'strict' or 'replace'."
        ) from None
    if not path.exists():
        raise DataError(f"{path} does not exist; pass the path of a CoNLL or CoNLL-U file.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass the path of a CoNLL or CoNLL-U file.")
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = stream.read()
        else:
            data = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DataError(
            f"{path} is not a complete gzip file ({error}); decompress it or remove the .gz suffix if it is "
            "plain text."
        ) from None
    utf8 = codecs.lookup(encoding).name == "utf-8"
    try:
        text = data.decode("utf-8" if utf8 else encoding, errors=encoding_errors)
    except UnicodeDecodeError as error:  # said as every reader says it: the file, the line, the byte, the fix
        from trainwell.data.io import undecodable_error

        raise undecodable_error(path, encoding, error) from None
    if text.startswith("\ufeff"):  # a byte-order mark some editors write
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text


def _is_conllu(path: Path, lines: list[str]) -> bool:
    if path.name.lower().endswith(_CONLLU_SUFFIXES):
        return True
    for line in lines:
        if not line or line.isspace() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            return False
        # a multiword token (1-2) or an empty node (8.1) may come first
        return fields[0].split("-")[0].split(".")[0].isdecimal()
    return False


def _parse_conllu(
    lines: list[str], path: Path, first_lines: list[int]
) -> tuple[list[list[tuple[str, ...]]], list[list[tuple[int, str]]]]:
    """The word lines of each sentence, and its other lines in their places (``TaggedCorpus.other_lines``); the
    line number of each sentence's first word is appended to ``first_lines``."""
    sentences: list[list[tuple[str, ...]]] = []
    others: list[list[tuple[int, str]]] = []
    sentence: list[tuple[str, ...]] = []
    kept: list[tuple[int, str]] = []
    for line_number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            if sentence:
                sentences.append(sentence)
                others.append(kept)
                sentence, kept = [], []
            elif kept and kept[-1][1]:  # comments with no words: their blank line stays with them
                kept.append((0, ""))
            continue
        if line[0] == "#":
            kept.append((len(sentence), line))
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            raise DataError(
                f"{path}, line {line_number}: found {len(fields)} TAB-separated fields but a CoNLL-U word "
                f"line has 10 ({', '.join(CONLLU_COLUMNS)}); fix the line, or rename the file if it is not "
                "CoNLL-U."
            )
        word_id = fields[0]
        if not word_id.isdecimal():
            if "-" in word_id or "." in word_id:
                kept.append((len(sentence), line))  # multiword token or empty node: not a syntactic word
                continue
            raise DataError(
                f"{path}, line {line_number}: the id {word_id!r} is not a number (nor a range like 1-2 or an "
                "empty node like 8.1); fix the line."
            )
        if not sentence:
            first_lines.append(line_number)
        sentence.append(tuple(fields))
    if sentence:
        sentences.append(sentence)
        others.append(kept)
    elif kept and others:  # comments after the last sentence: kept after its words and a blank line
        end = len(sentences[-1])
        others[-1].extend((end, line) for line in ["", *(line for _, line in kept if line)])
    return sentences, others


def _parse_conll(
    lines: list[str], path: Path, first_lines: list[int]
) -> tuple[list[list[tuple[str, ...]]], int]:
    """The fields of each sentence's words and their number; the line number of each sentence's first word is
    appended to ``first_lines``."""
    sentences: list[list[tuple[str, ...]]] = []
    sentence: list[tuple[str, ...]] = []
    n_fields = 0
    first_line = 0
    for line_number, raw_line in enumerate(lines, start=1):
        line = raw_line.strip(" \t\r")
        if not line:
            if sentence:
                sentences.append(sentence)
                sentence = []
            continue
        if "\t" in line:
            line = line.replace("\t", " ")
        fields = line.split(" ")
        if "" in fields:  # several spaces or tabs in a row
            fields = [field for field in fields if field]
        if fields[0] == _DOCSTART:  # a document boundary, not a sentence (its field count is not checked)
            if sentence:
                sentences.append(sentence)
                sentence = []
            continue
        if not sentence and line.startswith("# "):  # a comment before a sentence (as CoNLL-U writes them)
            continue
        if len(fields) != n_fields:
            if n_fields:
                raise DataError(
                    f"{path}, line {line_number}: found {len(fields)} fields ({' '.join(fields)!r}) but "
                    f"expected {n_fields} like the first token line (line {first_line}); every token line "
                    "needs the same fields separated by spaces or tabs."
                )
            n_fields, first_line = len(fields), line_number
        if not sentence:
            first_lines.append(line_number)
        sentence.append(tuple(fields))
    if sentence:
        sentences.append(sentence)
    return sentences, n_fields


def _conll_column_names(n_fields: int) -> tuple[str, ...]:
    if n_fields == 4:
        return CONLL2003_COLUMNS
    if n_fields == 2:
        return ("token", "tag")
    return ("token", *(f"col{index}" for index in range(1, n_fields)))


def holds_raw_sentences(path: str | Path, n_lines: int = 200) -> bool:
    """Whether ``path``, a ``.txt`` file, holds raw sentences, one per line, rather than CoNLL's word per
    line.

    A CoNLL file's token lines all have one number of fields and its sentences run over several lines, so the
    first lines are raw sentences when their numbers of space-separated fields differ, or, all of one number
    above one, when no sentence of the CoNLL reading would have two words: every line stands alone between
    blank lines, or the whole file is lines of words without a blank line (a CoNLL file ends its sentences with
    one). A file of one word per line stays CoNLL, and so does one with ``-DOCSTART-`` lines.
    """
    path = Path(path)
    if not path.name.lower().removesuffix(".gz").endswith(".txt") or not path.is_file():
        return False
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            lines = [line for _, line in zip(range(n_lines + 1), stream, strict=False)]
    except OSError:
        return False
    whole = len(lines) <= n_lines
    lines = lines[:n_lines]
    if any(line.startswith("-DOCSTART-") for line in lines):
        return False
    widths = [len(line.split()) for line in lines if line.strip() and not line.startswith("#")]
    if len(set(widths)) > 1:
        return True
    if not widths or widths[0] < 2:
        return False
    blocks, run = [], 0  # lines of each run of non-blank lines: the sentences of the CoNLL reading
    for line in lines:
        if line.strip():
            run += 1
        elif run:
            blocks.append(run)
            run = 0
    ended = bool(blocks)  # a blank line after a sentence: how a CoNLL file ends each one
    if run:
        blocks.append(run)
    return all(block == 1 for block in blocks) or (whole and not ended)


# ------------------------------------------------------------------------------------------- split files
def _is_data_file(name: str) -> bool:
    lower = name.lower().removesuffix(".gz")
    return lower.endswith(_DATA_SUFFIXES)


def find_split_files(folder: str | Path) -> dict[str, Path]:
    """Find the train, valid and test files of a folder by their names.

    Only files ending in .txt, .conll, .conllu, .bio, .iob or .tsv (optionally followed by .gz) count. A
    name points to **train** when it starts with ``train`` or holds ``-train.``, ``_train.`` or ``.train.``;
    to **valid** when it starts with ``valid``, ``dev`` or ``testa`` or holds ``-dev.``, ``_dev.``, ``.dev.``
    (or the same with ``valid``); to **test** when it starts with ``test`` (but not ``testa``) or ``testb``,
    or holds ``-test.``, ``_test.`` or ``.test.``. So both UD's ``en_ewt-ud-train.conllu.gz`` and
    CoNLL-2003's ``train.txt`` are found.

    Returns:
        ``{"train": path, "valid": path, "test": path}``; valid and test only when found.

    Raises:
        DataError: the folder is missing, has no train file, or has two files for one split.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"{folder} is not a folder; pass the folder that holds the train / valid / test files."
        )
    names = sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    candidates: dict[str, list[str]] = {split: [] for split in SPLIT_NAMES}
    for name in names:
        if _is_data_file(name):
            for split in split_of(name):
                candidates[split].append(name)
    for split, found in candidates.items():
        if len(found) > 1:
            raise DataError(
                f"{folder} holds {len(found)} {split} files: {', '.join(found)}; keep one of them, or pass the "
                "files one by one."
            )
    if not candidates["train"]:
        listed = ", ".join(names) if names else "no files"
        raise DataError(
            f"no train file in {folder} (found: {listed}); name it train.txt, train.conll, *-train.conllu or "
            "similar (optionally .gz), or pass the file itself."
        )
    return {split: folder / found[0] for split, found in candidates.items() if found}


# ------------------------------------------------------------------------------------------------ writing
def write_conll(
    path: str | Path, tokens: Sequence[Sequence[str]], columns: Sequence[Sequence[Sequence[str]]]
) -> Path:
    """Write tokens and one or more tag columns as a CoNLL file, atomically (gzipped when ``path`` ends in .gz).

    Each line is ``token tag1 tag2 ...`` separated by single spaces, with a blank line after every sentence:
    with gold then predicted tags this is the input of the official ``conlleval`` script.

    Args:
        path: the file to write; its folder is created when missing.
        tokens: the words of each sentence.
        columns: one or more columns, each with one tag per token of every sentence.

    Returns:
        The path written.

    Raises:
        ConfigError: a column's sentences or tags do not line up with ``tokens``.
        DataError: a sentence is empty, or a token or tag is empty or holds whitespace (the file could not be
            read back field by field).
    """
    for column_number, column in enumerate(columns):
        if len(column) != len(tokens):
            raise ConfigError(
                f"tag column {column_number} has {len(column)} sentences but tokens has {len(tokens)}; pass one "
                "list of tags per sentence."
            )
    parts: list[str] = []
    for sentence_number, words in enumerate(tokens):
        if not words:
            raise DataError(
                f"sentence {sentence_number} is empty; a CoNLL file cannot hold an empty sentence, so drop it "
                "before writing."
            )
        tag_lists = [column[sentence_number] for column in columns]
        for column_number, tags in enumerate(tag_lists):
            if len(tags) != len(words):
                raise ConfigError(
                    f"sentence {sentence_number} has {len(words)} tokens but {len(tags)} tags in tag column "
                    f"{column_number}; pass one tag per token."
                )
        for fields in zip(words, *tag_lists, strict=True):
            line = " ".join(fields)
            if len(line.split()) != len(fields):  # a field is empty or holds whitespace
                _raise_bad_field(sentence_number, fields)
            parts.append(line)
        parts.append("")
    return _write_lines(path, parts)


def write_conllu(
    path: str | Path,
    corpus: TaggedCorpus,
    tag_col: str,
    predicted: Sequence[Sequence[str]],
    *,
    keep_gold: bool = False,
) -> Path:
    """Write a CoNLL-U ``corpus`` back with ``predicted`` tags, its ten TAB-separated fields kept, atomically
    (gzipped when ``path`` ends in .gz).

    Where the predictions go: into ``tag_col`` (``upos``...); or, with ``keep_gold=True``, into each word's MISC
    field as ``UPOS_pred=NOUN`` (:func:`prediction_key`), its ``tag_col`` kept, so that gold and prediction can be
    compared line by line. ``trainwell predict --out x.conllu`` keeps the gold when the file has some
    (:func:`holds_gold_tags`) and fills an empty (``_``) column.

    Comments, multiword-token lines and empty nodes (``corpus.other_lines``) are written as they were read, in
    their places; only word lines get predictions. A file read by :func:`read_conll` comes back line for line
    but for its line ends (written ``\\n``), a byte-order mark, and runs of blank lines (written as one).

    Raises:
        ConfigError: ``corpus`` is not CoNLL-U, or ``predicted`` does not line up with its sentences.
    """
    if corpus.format != "conllu":
        raise ConfigError(f"{corpus.source} is not CoNLL-U; write its predictions with write_conll")
    index = corpus.column_names.index(tag_col) if tag_col in corpus.column_names else -1
    if index < 0 or len(predicted) != len(corpus.sentences):
        raise ConfigError(
            f"{len(predicted)} predicted sentences or tag column {tag_col!r} do not fit {corpus.source}"
        )
    misc = (
        corpus.column_names.index("misc") if "misc" in corpus.column_names else len(corpus.column_names) - 1
    )
    key = prediction_key(tag_col)
    others = corpus.other_lines or [[] for _ in corpus.sentences]
    parts: list[str] = []
    for sentence, tags, kept in zip(corpus.sentences, predicted, others, strict=True):
        if len(tags) != len(sentence):
            raise ConfigError(f"a sentence of {len(sentence)} tokens got {len(tags)} predicted tags")
        waiting = iter(kept)  # in reading order, so their places never decrease
        other = next(waiting, None)
        for place, (fields, tag) in enumerate(zip(sentence, tags, strict=True)):
            while other is not None and other[0] <= place:
                parts.append(other[1])
                other = next(waiting, None)
            if keep_gold:
                written = list(fields)
                written[misc] = _with_misc(fields[misc], key, tag)
            else:
                written = [*fields[:index], tag, *fields[index + 1 :]]
            parts.append("\t".join(written))
        while other is not None:  # lines after the last word
            parts.append(other[1])
            other = next(waiting, None)
        parts.append("")
    return _write_lines(path, parts)


def holds_gold_tags(corpus: TaggedCorpus, tag_col: str) -> bool:
    """Whether the column ``tag_col`` of a CoNLL-U ``corpus`` holds tags (any word's is not ``_``): gold tags that
    :func:`write_conllu` keeps, writing the predictions into MISC."""
    if tag_col not in corpus.column_names:
        return False
    return any(tag != "_" for sentence in corpus.column(tag_col) for tag in sentence)


def prediction_key(tag_col: str) -> str:
    """The MISC attribute that holds a prediction of ``tag_col`` beside its gold tag: ``UPOS_pred`` for upos."""
    return f"{tag_col.upper()}_pred"


def _with_misc(field: str, key: str, value: str) -> str:
    """A MISC field with ``key=value`` set: added after its other attributes (``_`` when it had none), or in
    place of an earlier ``key=`` (a file predicted before)."""
    attributes = [item for item in field.split("|") if item and item != "_"]
    attributes = [item for item in attributes if item.split("=", 1)[0] != key]
    return "|".join([*attributes, f"{key}={value}"])


def _write_lines(path: str | Path, lines: list[str]) -> Path:
    """``lines`` as UTF-8 text, atomically; gzipped when ``path`` ends in .gz."""
    data = ("\n".join(lines) + "\n" if lines else "").encode("utf-8")
    path = Path(path)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return write_bytes_atomic(path, data)


def _raise_bad_field(sentence_number: int, fields: tuple[str, ...]) -> None:
    bad = next(field for field in fields if len(field.split()) != 1 or field.strip() != field)
    raise DataError(
        f"sentence {sentence_number}: the field {bad!r} is empty or holds whitespace, which would break the "
        "space-separated CoNLL format; replace the whitespace (e.g. with '_') before writing."
    )
