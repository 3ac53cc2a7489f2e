"""Build a DataBundle for sequence labelling (named entities, parts of speech) from CoNLL / CoNLL-U files, a
folder of train / valid / test files, or sentences in Python.

The tag scheme is read from the data: tags that mark entity spans (``B-PER``, ``I-PER``, ``O``) are converted to
IOB2 whatever scheme they came in (IOB1, IOBES), so the model learns one convention and entity scores are
comparable; other tags (``NOUN``, ``VERB``) stand alone. The vocabularies are fitted on the training sentences
only. Each split is kept as flat arrays with offsets (:class:`~trainwell.text.tagging.recipe.EncodedSentences`),
and a batch is cut out with a few numpy gathers; sentences of similar length are batched together.

Training batches hide rare words: each word seen once in training reads as ``xxunk`` with probability
``rare_word_dropout`` (0.5, as Lample et al. 2016 did), so the ``xxunk`` row learns what an unseen word at test
time looks like. The choice is a pure function of ``(seed, epoch)``, so a resumed run sees the same batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import DataBundle, random_split
from trainwell.data.task import Task
from trainwell.losses import IGNORE_INDEX
from trainwell.text.loader import EpochBatches, epoch_batches
from trainwell.text.tagging.recipe import EncodedSentences, TaggingRecipe, tagging_batch
from trainwell.text.vocab import Vocab

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TaggingDataBundle", "TaggingLoader", "read_tagged", "tagging_data"]


Sentences = list[list[str]]
TaggedSource = str | Path | Sequence[tuple[Sequence[str], Sequence[str]]]


class TaggingLoader(EpochBatches):
    """Batches ``(words, casing, chars, tags)`` of encoded sentences (shapes in :func:`tagging_batch`; ``tags``
    is ``(B, T)`` with :data:`IGNORE_INDEX` after each sentence's last word).

    Args:
        encoded: the sentences' encoded words.
        tags: every word's tag id, flat, aligned with ``encoded``.
        batch_size: sentences per batch.
        shuffle: a new order each epoch, sentences of similar length together (training).
        seed: the order and the hidden rare words of epoch ``e`` are a pure function of ``(seed, e)``.
        rare: per word id, whether the word is rare (seen once in training); hidden at ``rare_word_dropout``.
        rare_word_dropout: chance that a rare word reads as ``xxunk`` in a training batch.
    """

    def __init__(
        self,
        encoded: EncodedSentences,
        tags: np.ndarray,
        batch_size: int = 32,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        rare: np.ndarray | None = None,
        rare_word_dropout: float = 0.0,
        device: torch.device | str = "cpu",
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be a positive whole number, got {batch_size}")
        if len(tags) != len(encoded.words):
            raise DataError(f"{len(encoded.words)} words but {len(tags)} tags; give one tag per word")
        if len(encoded.offsets) < 2:
            raise DataError("cannot build a loader over 0 sentences")
        if not 0.0 <= rare_word_dropout < 1.0:
            raise ConfigError(f"rare_word_dropout must be in [0, 1), got {rare_word_dropout}")
        self.encoded = encoded
        self.tags = np.ascontiguousarray(tags, dtype=np.int64)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.bucket = True
        self.seed = int(seed)
        self.rare = rare
        self.rare_word_dropout = float(rare_word_dropout)
        self.device = torch.device(device)
        self.epoch = 0
        self.rank, self.world_size, self.even = 0, 1, True
        self._hidden: tuple[int, np.ndarray] | None = None

    @property
    def n_rows(self) -> int:
        """Sentences."""
        return len(self.encoded.offsets) - 1

    @property
    def n_sentences(self) -> int:
        """Sentences: what a tagger's DataBundle counts in its repr, as its evaluation and cross-validation do."""
        return self.n_rows

    @property
    def n_tokens(self) -> int:
        """Words, in all sentences."""
        return len(self.encoded.words)

    def batches(self) -> list[np.ndarray]:
        """Sentence indices of every batch of the current epoch."""
        return epoch_batches(self, self.encoded.lengths)

    def _word_ids(self) -> np.ndarray | None:
        """This epoch's word ids with some rare words hidden (training only), computed once per epoch."""
        if not self.shuffle or self.rare is None or self.rare_word_dropout == 0.0:
            return None
        if self._hidden is None or self._hidden[0] != self.epoch:
            words = self.encoded.words
            draw = np.random.default_rng([self.seed, self.epoch, 1]).random(len(words))
            hide = self.rare[words] & (draw < self.rare_word_dropout)
            self._hidden = (self.epoch, np.where(hide, Vocab.unk_id, words))
        return self._hidden[1]

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
        """The inputs and tags of sentences ``rows``."""
        words, casing, chars = tagging_batch(self.encoded, rows, self._word_ids())
        starts, lengths = self.encoded.offsets[rows], self.encoded.lengths[rows]
        tags = np.full(words.shape, IGNORE_INDEX, dtype=np.int64)
        row_index = np.repeat(np.arange(len(rows)), lengths)
        column = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        tags[row_index, column] = self.tags[np.repeat(starts, lengths) + column]
        return tuple(t.to(self.device) for t in (words, casing, chars, torch.from_numpy(tags)))

    def _copy(self, *, batch_size: int, shuffle: bool, drop_last: bool) -> TaggingLoader:
        return TaggingLoader(
            self.encoded,
            self.tags,
            batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            seed=self.seed,
            rare=self.rare,
            rare_word_dropout=self.rare_word_dropout,
            device=self.device,
        )


@dataclass(repr=False)
class TaggingDataBundle(DataBundle):
    """A DataBundle of tagged sentences; ``sentences`` and ``tags`` keep each split's words and (IOB2) tags."""

    sentences: dict[str, Sentences] | None = None
    tags: dict[str, Sentences] | None = None
    #: Pretrained vectors by word id ``(n_words, dim)`` and which rows the vectors file gave (``embeddings=``).
    word_vectors: tuple[np.ndarray, np.ndarray] | None = None

    def show_batch(self, n: int = 8, split: str = "train") -> pd.DataFrame:
        """The first ``n`` sentences of ``split`` (``"train"``, ``"valid"`` or ``"test"``) as read, one a row: their
        ``words`` and their ``tags`` (the tags in IOB2 where they mark entity spans, as the model learns them), each
        joined by spaces, one tag per word, and their ``length`` in words.

        Example:
            >>> data = tagging_data([(["Anna", "lives", "here"], ["B-PER", "O", "O"])] * 4, valid_pct=0.25)
            >>> data.show_batch(1).to_dict("records")
            [{'words': 'Anna lives here', 'tags': 'B-PER O O', 'length': 3}]
        """
        import pandas as pd

        from trainwell.data.bundle import refuse_a_path

        refuse_a_path(n, "sentences as read, with their tags")
        sentences, tags = (self.sentences or {}).get(split), (self.tags or {}).get(split)
        if sentences is None or tags is None:
            raise ConfigError(
                f"show_batch: this tagged data has no {split!r} split of sentences (it has: "
                f"{', '.join(self.sentences or {})}); pass one of those as split="
            )
        return pd.DataFrame(
            {
                "words": [" ".join(words) for words in sentences[:n]],
                "tags": [" ".join(sentence_tags) for sentence_tags in tags[:n]],
                "length": [len(words) for words in sentences[:n]],
            }
        )


def read_tagged(
    source: TaggedSource,
    tag_col: str | int | None = None,
    *,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    what: str = "data",
) -> tuple[Sentences, Sentences, str]:
    """Words and tags of every sentence of ``source``, and the tag column's name.

    ``source`` is a CoNLL / CoNLL-U file (``.gz`` too) or a list of ``(words, tags)`` pairs.
    """
    if isinstance(source, str | Path):
        from trainwell.text.tagging.conll import default_tag_column, read_conll

        corpus = read_conll(source, encoding=encoding, encoding_errors=encoding_errors)
        if len(corpus.column_names) == 1:  # read on, its words would become the tag classes
            if what == "source":
                raise DataError(
                    f"{source} holds words alone, one column, with no tags to train on; add each word's tag "
                    "beside it (word TAG, a blank line between sentences)"
                )
            role = "validation" if what == "valid" else what
            raise DataError(
                f"{source} (the {role} file) holds words alone, one column, with no tags to score; add its gold "
                "tags as a column, or move it out of the folder (predict tags such a file)"
            )
        name, column = corpus.tag_column(default_tag_column(corpus) if tag_col is None else tag_col)
        check_entity_tags(column, corpus.place_of)
        return corpus.tokens(), column, name  # the column's name, even when given by its number
    words: Sentences = []
    tags: Sentences = []
    for position, pair in enumerate(source):
        if not isinstance(pair, tuple | list) or len(pair) != 2 or isinstance(pair[0], str):
            raise DataError(
                f"{what}[{position}] must be a (words, tags) pair of lists, got {type(pair).__name__}; pass "
                "[(['EU', 'rejects'], ['B-ORG', 'O']), ...]"
            )
        sentence, sentence_tags = [str(w) for w in pair[0]], [str(t) for t in pair[1]]
        if len(sentence) != len(sentence_tags):
            raise DataError(
                f"{what}[{position}] has {len(sentence)} words but {len(sentence_tags)} tags; give one tag per word"
            )
        if not sentence:
            raise DataError(f"{what}[{position}] has no words; drop empty sentences")
        words.append(sentence)
        tags.append(sentence_tags)
    if not words:
        raise DataError(f"{what} holds no sentences")
    check_entity_tags(tags, lambda sentence, word: f"{what}[{sentence}], word {word + 1}")
    return words, tags, "tag" if tag_col is None else str(tag_col)


def check_entity_tags(tags: Sentences, place: Callable[[int, int], str]) -> None:
    """Refuse entity tags with no type (``I-``), and warn of other tags that are neither ``O`` nor an entity tag
    among entity tags (``B-PER ... PER``), naming the first by ``place(sentence, word)``: either kind makes the
    scheme read as plain tags, scored by tag accuracy, so a single slip would silently drop entity F1.
    Tag sets with no entity tags (parts of speech) pass untouched.

    Raises:
        DataError: a tag is ``B-``, ``I-``, ``E-`` or ``S-`` alone, among entity tags.
    """
    from trainwell.core.warn import warn
    from trainwell.text.tagging.scheme import refuse_typeless_tags

    n_entity, outside = refuse_typeless_tags(tags, place)
    if not n_entity or not outside:
        return
    if len(outside) >= n_entity:
        return  # as many plain tags as entity tags: a tag set of another kind, read as it is
    sentence, word, tag = outside[0]
    kinds = sorted({found for _, _, found in outside})
    count = (
        "" if len(outside) == 1 else f" ({len(outside):,} such tags: {', '.join(repr(k) for k in kinds[:5])})"
    )
    warn(
        f"{place(sentence, word)}: tag {tag!r} is neither O nor an entity tag such as B-PER, among {n_entity:,} "
        f"entity tags{count}; so every tag is read as a plain tag, scored by tag accuracy instead of entity F1: "
        f"fix {'it' if len(outside) == 1 else 'them'} if the tags mark entities",
        UserWarning,
    )


def _split_sources(
    source: TaggedSource, valid: TaggedSource | None, test: TaggedSource | None
) -> tuple[TaggedSource, TaggedSource | None, TaggedSource | None]:
    if isinstance(source, str | Path) and Path(source).is_dir():
        from trainwell.text.tagging.conll import find_split_files

        found = find_split_files(Path(source))
        return (
            found["train"],
            valid if valid is not None else found.get("valid"),
            (test if test is not None else found.get("test")),
        )
    return source, valid, test


def ordered_tags(tags: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """Tag classes in a readable order: ``O`` first, then by entity type with ``B-`` before ``I-``."""
    seen = {tag for sentence in tags for tag in sentence}

    def key(tag: str) -> tuple[int, str, str]:
        prefix, dash, kind = tag.partition("-")
        if tag == "O":
            return (0, "", "")
        return (1, kind, prefix) if dash and prefix in ("B", "I", "E", "S") else (1, tag, "")

    return tuple(sorted(seen, key=key))


def tagging_data(
    source: TaggedSource,
    *,
    tag_col: str | int | None = None,
    valid: TaggedSource | None = None,
    test: TaggedSource | None = None,
    valid_pct: float = 0.1,
    batch_size: int = 32,
    seed: int = 0,
    min_freq: int = 1,
    max_vocab: int | None = 100_000,
    lowercase: bool = True,
    rare_word_dropout: float = 0.5,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    embeddings: str | Path | None = None,
    max_embedding_words: int | None = 100_000,
) -> TaggingDataBundle:
    """A DataBundle of tagged sentences for :func:`~trainwell.text.tagging.learner`.

    Args:
        source: a CoNLL file (one word per line, columns split by spaces or tabs, a blank line between
            sentences; ``.gz`` too), a CoNLL-U file, a folder holding ``train`` / ``valid`` (or ``dev``) /
            ``test`` files, or a list of ``(words, tags)`` pairs.
        tag_col: the column holding the tags, by name or position (default: ``ner`` for CoNLL-2003's four
            columns, ``upos`` for CoNLL-U, else the last column).
        valid, test: more sources like ``source`` (default: the folder's files; else ``valid_pct`` of the
            training sentences at random, and no test set).
        valid_pct: share of the training sentences held out when there is no validation source.
        batch_size: sentences per training batch (validation reads four times as many).
        seed: controls the split, the batch order and the hidden rare words.
        min_freq, max_vocab: the word vocabulary keeps words seen ``min_freq`` times or more in training, at
            most ``max_vocab`` of them.
        lowercase: look words up lower-cased (their casing still reaches the model as a casing class).
        rare_word_dropout: chance that a word seen once in training reads as unknown in a training batch.
        encoding: the text encoding of the files (UTF-8 unless told, e.g. ``"latin-1"``); never guessed.
        encoding_errors: ``"strict"`` stops at bytes not in ``encoding``; ``"replace"`` reads them as U+FFFD.
        embeddings: a pretrained word vectors file (GloVe, word2vec or fastText text format): its first
            ``max_embedding_words`` words join the vocabulary and start the word embedding (the tagger's
            ``word_dim`` becomes their size), so words never seen in training still read as what they mean.
    """
    splits, tag_name = _read_splits(source, valid, test, tag_col, valid_pct, seed, encoding, encoding_errors)
    splits, task = _tagging_task(splits, tag_name)
    vector_words: list[str] = []
    if embeddings is not None:
        from trainwell.text.tagging.vectors import read_word_vectors

        vector_words, vectors = read_word_vectors(
            embeddings, max_words=max_embedding_words, lowercase=lowercase
        )
    recipe = TaggingRecipe.fit(
        splits["train"][0],
        min_freq=min_freq,
        max_vocab=max_vocab,
        lowercase=lowercase,
        tag_col=tag_name,
        extra_words=vector_words,
    )
    word_vectors = None
    if embeddings is not None:
        word_vectors = _vector_rows(recipe, vector_words, vectors)
        recipe.extra["embeddings"] = {
            "file": Path(embeddings).name,
            "words": int(word_vectors[1].sum()),
            "dim": vectors.shape[1],
        }
    return TaggingDataBundle(
        task,
        *_loaders(recipe, splits, task.classes, batch_size, seed, rare_word_dropout),
        recipe=recipe,
        application="text",
        model_hints={"n_words": len(recipe.words), "n_chars": len(recipe.chars)},
        sentences={name: split_words for name, (split_words, _) in splits.items()},
        tags={name: split_tags for name, (_, split_tags) in splits.items()},
        word_vectors=word_vectors,
    )


def _read_splits(
    source: TaggedSource,
    valid: TaggedSource | None,
    test: TaggedSource | None,
    tag_col: str | int | None,
    valid_pct: float,
    seed: int,
    encoding: str,
    encoding_errors: str,
) -> tuple[dict[str, tuple[Sentences, Sentences]], str]:
    """Each split's sentences and tags (``train`` first; ``valid`` read or drawn, ``test`` when given), and the
    name of the tag column."""
    train_source, valid_source, test_source = _split_sources(source, valid, test)
    words, tags, tag_name = read_tagged(
        train_source, tag_col, encoding=encoding, encoding_errors=encoding_errors, what="source"
    )
    splits: dict[str, tuple[Sentences, Sentences]] = {}
    if valid_source is not None:
        train_words, train_tags = words, tags
        valid_words, valid_tags, _ = read_tagged(
            valid_source, tag_col, encoding=encoding, encoding_errors=encoding_errors, what="valid"
        )
        splits["valid"] = (valid_words, valid_tags)
    elif valid_pct:
        if valid is None and isinstance(source, str | Path) and Path(source).is_file():
            _note_split_files_beside(Path(source), valid_pct, len(words), test is not None)
        train_index, valid_index = random_split(len(words), valid_pct, seed)
        train_words, train_tags = [words[i] for i in train_index], [tags[i] for i in train_index]
        splits["valid"] = ([words[i] for i in valid_index], [tags[i] for i in valid_index])
    else:
        train_words, train_tags = words, tags
    splits = {"train": (train_words, train_tags), **splits}
    if test_source is not None:
        test_words, test_tags, _ = read_tagged(
            test_source, tag_col, encoding=encoding, encoding_errors=encoding_errors, what="test"
        )
        splits["test"] = (test_words, test_tags)
    return splits, tag_name


def _note_split_files_beside(source: Path, valid_pct: float, n_sentences: int, test_given: bool) -> None:
    """Say that a training file validates on drawn sentences while the validation file beside it goes unread
    (``en_ewt-ud-train.conllu.gz`` fitted alone beside ``en_ewt-ud-dev.conllu.gz``: 2,509 random training sentences
    scored, silently; tour60 #12), and how to read it: the folder, or ``valid=``."""
    from trainwell.core.errors import Spelling
    from trainwell.core.warn import Note, warn
    from trainwell.text.tagging.conll import find_split_files

    try:
        found = find_split_files(source.parent)
    except DataError:  # no train file named so, or two of a split: nothing beside it to point at
        return
    if "valid" not in found or found["train"].resolve() != source.resolve():
        return
    beside = [found["valid"].name, *([found["test"].name] if "test" in found and not test_given else [])]
    unused = f"{' and '.join(beside)} beside it {'is' if len(beside) == 1 else 'are'} not used"
    held = max(1, round(n_sentences * valid_pct))

    def words(say: Spelling) -> str:
        fix = say.either(
            f"pass the folder '{source.parent}' (its files are the splits), or valid='{found['valid']}'",
            f"fit the folder '{source.parent}' (its files are the splits)",
        )
        return (
            f"'{source.name}': validating on a random {valid_pct:.0%} of the training sentences ({held:,} of "
            f"{n_sentences:,}, {say('valid_pct')}); {unused}: {fix}"
        )

    note = Note(words(Spelling(command_line=False)))
    note.command_line = words(Spelling(command_line=True))  # type: ignore[attr-defined]
    warn(note)


def _tagging_task(
    splits: dict[str, tuple[Sentences, Sentences]], tag_name: str
) -> tuple[dict[str, tuple[Sentences, Sentences]], Task]:
    """The splits with entity tags in IOB2 whatever scheme they came in, and the task: every tag of every split,
    the scheme converted to and the one read."""
    from trainwell.text.tagging.scheme import detect_scheme, to_iob2

    scheme = detect_scheme(sentence for _, split_tags in splits.values() for sentence in split_tags)
    if scheme == "iob2":
        _warn_inside_starts(splits)
    if scheme not in ("iob2", "none"):
        splits = {name: (w, [to_iob2(t, scheme) for t in ts]) for name, (w, ts) in splits.items()}
    classes = ordered_tags([sentence for _, split_tags in splits.values() for sentence in split_tags])
    extra = {"scheme": "none" if scheme == "none" else "iob2", "source_scheme": scheme}
    return splits, Task("tagging", classes, (tag_name,), extra=extra)


def _warn_inside_starts(splits: dict[str, tuple[Sentences, Sentences]]) -> None:
    """Warn of entities that begin with ``I-`` in IOB2 data (a slip: ``O I-PER``), which are read as beginning
    one: the first named by its split, sentence and word, with the tag before it."""
    from trainwell.core.warn import warn
    from trainwell.text.tagging.scheme import inside_starts

    found = {name: inside_starts(split_tags) for name, (_, split_tags) in splits.items()}
    total = sum(len(starts) for starts in found.values())
    if not total:
        return
    name, starts = next((name, starts) for name, starts in found.items() if starts)
    sentence, word, tag, before = starts[0]
    after = f"after '{before}'" if before else "at the sentence's start"
    warn(
        f"{total:,} entit{'y begins' if total == 1 else 'ies begin'} with an I- tag, where IOB2 begins each with "
        f"B- (the first: '{tag}' {after}, word {word + 1} of {name} sentence {sentence + 1}: "
        f"'{' '.join(splits[name][0][sentence][max(0, word - 2) : word + 2])}'); "
        f"{'it is' if total == 1 else 'they are'} read as beginning one: check the tags",
        UserWarning,
    )


def _vector_rows(
    recipe: TaggingRecipe, vector_words: list[str], vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pretrained vectors by word id ``(n_words, dim)``, and which ids they cover (the rest stay zero)."""
    matrix = np.zeros((len(recipe.words), vectors.shape[1]), dtype=np.float32)
    found = np.zeros(len(recipe.words), dtype=bool)
    stoi = recipe.word_vocab.stoi
    for key, vector in zip(vector_words, vectors, strict=True):
        if key in stoi:
            matrix[stoi[key]], found[stoi[key]] = vector, True
    return matrix, found


def _loaders(
    recipe: TaggingRecipe,
    splits: dict[str, tuple[Sentences, Sentences]],
    classes: Sequence[str],
    batch_size: int,
    seed: int,
    rare_word_dropout: float,
) -> tuple[TaggingLoader, TaggingLoader | None, TaggingLoader | None]:
    """The training, validation and test loaders: shuffled training batches that hide words seen once at
    ``rare_word_dropout``, four times larger ordered ones elsewhere (``None`` for a split there is not)."""
    index = {tag: i for i, tag in enumerate(classes)}
    loaders: dict[str, TaggingLoader] = {}
    for name, (split_words, split_tags) in splits.items():
        encoded = recipe.encode(split_words)
        tag_ids = np.fromiter((index[t] for sentence in split_tags for t in sentence), dtype=np.int64)
        if name == "train":
            counts = np.bincount(encoded.words, minlength=len(recipe.words))
            loaders[name] = TaggingLoader(
                encoded,
                tag_ids,
                batch_size,
                shuffle=True,
                seed=seed,
                rare=counts == 1,
                rare_word_dropout=rare_word_dropout,
            )
        else:
            loaders[name] = TaggingLoader(encoded, tag_ids, batch_size * 4)
    return loaders["train"], loaders.get("valid"), loaders.get("test")
