"""Tags for new sentences from a tagger artifact: raw text (split into words the way the training data was)
or words already split; entities with their character offsets in the text.

Every tag comes with its **confidence**: the probability of that tag for that word over all tag paths the model
allows (forward-backward over the CRF, :func:`~trainwell.text.tagging.crf.marginals`); an entity's confidence
is its least confident word's, so a threshold on it keeps only entities the model is sure of end to end.

Imports only torch, numpy, the recipe, the model registry, the word splitter and the word tokenizer's HTML
patterns: a serving process never loads training code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import DataError
from trainwell.export.predictor import Predictor
from trainwell.text.tagging.recipe import EncodedSentences, TaggingRecipe, tagging_batch

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Entity", "TaggedSentence", "TaggerPredictor"]

#: Sentences per forward pass.
BATCH_SENTENCES = 256
#: Raw texts longer than this many words are said (a warning, a note in a server's answer): each text is read as
#: one sentence, so a document pasted on one line is tagged as one long sequence, slowly and worse.
LONG_SENTENCE_WORDS = 300


@dataclass(frozen=True)
class Entity:
    """An entity found in a sentence: its type, its words ``[start, end)`` and, for raw text, its characters."""

    type: str
    start: int
    end: int
    text: str
    char_start: int | None = None
    char_end: int | None = None
    confidence: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence's words, their tags with their confidences, and (for entity tags: IOB, IOBES) the entities
    they mark; ``entities`` is ``None`` for tags that mark none (part of speech), and :meth:`to_dict` leaves it
    out."""

    words: list[str]
    tags: list[str]
    entities: list[Entity] | None = field(default_factory=list)
    text: str | None = None
    confidences: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"words": self.words, "tags": self.tags, "confidences": self.confidences}
        if self.entities is not None:
            answer["entities"] = [entity.to_dict() for entity in self.entities]
        return answer


class TaggerPredictor(Predictor):
    """Sentences in (raw strings, or lists of words), tags and entities out."""

    application = "text"
    recipe_class = TaggingRecipe
    recipe: TaggingRecipe

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.task.classes]

    @property
    def marks_entities(self) -> bool:
        return self.task.extra.get("scheme") == "iob2"

    def tag_words(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """The tag of every word of sentences given as lists of words."""
        return [tags for tags, _ in self.tag_words_with_confidence(sentences)]

    @torch.no_grad()
    def tag_words_with_confidence(
        self, sentences: Sequence[Sequence[str]]
    ) -> list[tuple[list[str], list[float]]]:
        """Each sentence's tags and, per word, the probability of its tag (see the module docstring)."""
        checked = _check_sentences(sentences)
        keep = [i for i, sentence in enumerate(checked) if sentence]
        kept = [checked[i] for i in keep]
        encoded = self.recipe.encode(kept)
        results: list[tuple[list[str], list[float]]] = [([], []) for _ in checked]
        classes = self.classes
        for rows, scores, mask in self._scored(kept, encoded):
            paths, probabilities = self._decode(scores, mask)
            chosen = probabilities.gather(2, paths.clamp(min=0).unsqueeze(2)).squeeze(2)
            for row, path, confidence in zip(rows, paths.tolist(), chosen.tolist(), strict=True):
                length = len(kept[row])
                results[keep[row]] = ([classes[i] for i in path[:length]], confidence[:length])
        return results

    def _scored(
        self, sentences: list[list[str]], encoded: EncodedSentences
    ) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
        """Each forward pass's rows, their tag scores ``(B, T, C)`` padded to the longest, and the mask of their
        words ``(B, T)``: runs of :data:`BATCH_SENTENCES` sentences, in order (the LSTM packs them)."""
        for start in range(0, len(sentences), BATCH_SENTENCES):
            rows = np.arange(start, min(start + BATCH_SENTENCES, len(sentences)))
            words, casing, chars = tagging_batch(encoded, rows)
            yield rows, self.model(words, casing, chars), words != self.recipe.pad_id

    def _decode(self, scores: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Best paths ``(B, T)`` and every word's tag probabilities ``(B, T, C)``."""
        return self.model.decode(scores, mask), self.model.marginals(scores, mask)  # type: ignore[operator]

    def tag(self, inputs: Any, *, text_col: str | None = None) -> list[TaggedSentence]:
        """Tag sentences: raw strings (split into words like the training data) or lists of words; a string
        alone is one sentence (a list of one tagged sentence). A text file (a ``Path``) is read one sentence a
        line, blank lines left out; a pandas Series of strings, or a DataFrame's ``text_col`` (default: its one
        column, or the one named ``text`` or ``sentence``), one sentence a row.

        HTML line breaks and simple formatting tags in raw text (``<br />``, ``<i>``, as IMDB reviews hold them)
        are read as spaces, not as words (``<`` ``br`` ``/`` ``>``); character offsets still point into the text
        as given. A text of more than :data:`LONG_SENTENCE_WORDS` words is said in one warning: each text is one
        sentence to the tagger."""
        if isinstance(inputs, PurePath):
            numbers, lines = _file_sentences(Path(inputs))
            return self.tag_named(lines, [f"line {number}" for number in numbers])
        items = _sentences_of(inputs, text_col)
        if type(inputs).__name__ in ("Series", "DataFrame"):
            names = [f"row {label}" for label in inputs.index]
        else:
            names = [f"text {position}" for position in range(len(items))]
        return self.tag_named(items, names)

    def tag_named(
        self, inputs: Sequence[str | Sequence[str]], names: Sequence[str] | None = None
    ) -> list[TaggedSentence]:
        """:meth:`tag` for a list of sentences (raw strings or lists of words) named by ``names`` (``line 3``) in
        the warning of raw texts longer than :data:`LONG_SENTENCE_WORDS` words; none when ``names`` is None."""
        from trainwell.text.tagging.words import split_words

        inputs = list(inputs)
        texts: list[str | None] = [item if isinstance(item, str) else None for item in inputs]
        spans = [split_words(without_markup(text)) if text is not None else None for text in texts]
        if names is not None:
            warn_of_long_texts([len(found) if found is not None else 0 for found in spans], names)
        sentences = [
            [word for word, _, _ in found] if found is not None else [str(word) for word in item]
            for item, found in zip(inputs, spans, strict=True)
        ]
        tagged = self.tag_words_with_confidence(sentences)
        results = []
        for text, words, (sentence_tags, confidences), found in zip(
            texts, sentences, tagged, spans, strict=True
        ):
            entities = self._entities(words, sentence_tags, confidences, found, text)
            results.append(TaggedSentence(words, sentence_tags, entities, text, confidences))
        return results

    def _entities(
        self,
        words: list[str],
        tags: list[str],
        confidences: list[float],
        offsets: list[tuple[str, int, int]] | None,
        text: str | None,
    ) -> list[Entity] | None:
        if not self.marks_entities:
            return None
        from trainwell.text.tagging.scheme import entity_spans

        entities = []
        for kind, start, end in entity_spans(tags):
            confidence = min(confidences[start:end])
            if offsets is not None and text is not None:
                char_start, char_end = offsets[start][1], offsets[end - 1][2]
                found = text[char_start:char_end]
                entities.append(Entity(kind, start, end, found, char_start, char_end, confidence))
            else:
                entities.append(Entity(kind, start, end, " ".join(words[start:end]), confidence=confidence))
        return entities

    def predict(
        self, inputs: Any, *, text_col: str | None = None, at_least_one: bool = False
    ) -> pd.DataFrame:
        """One row per sentence (one row for a string alone): its words and tags joined by spaces, and its
        entities as ``text/TYPE`` joined by ``"; "`` (for entity tags). Takes what :meth:`tag` takes; a Series or
        DataFrame gives a table with its index, a text file one with each sentence's ``line``.

        A row of a Series or DataFrame whose text is empty or missing has no words and no tags, said in a warning
        that names the rows by their index. ``at_least_one=True`` is refused (a ConfigError), as every predictor
        refuses it for a model that is not multi-label: a tagger gives every word its tag already."""
        from trainwell.data.at_least_one import refuse_at_least_one

        refuse_at_least_one(self.task, at_least_one, application=self.application)
        lines = None
        if isinstance(inputs, PurePath):
            lines, sentences = _file_sentences(Path(inputs))
            tagged = self.tag_named(sentences, [f"line {number}" for number in lines])
        else:
            tagged = self.tag(inputs, text_col=text_col)
            if hasattr(inputs, "index") and hasattr(inputs, "iloc"):
                _warn_of_empty_rows(inputs.index, tagged)
        if hasattr(inputs, "index") and hasattr(inputs, "iloc"):  # a Series or DataFrame: its rows' labels
            return self.table(tagged, index=inputs.index)
        return self.table(tagged, lines=lines)

    def table(
        self, tagged: Sequence[TaggedSentence], *, index: Any = None, lines: Sequence[int] | None = None
    ) -> pd.DataFrame:
        """:meth:`predict`'s table of tagged sentences: their words and tags joined by spaces, entities as
        ``text/TYPE`` joined by ``"; "`` (for entity tags); with ``index`` as its index, or ``lines`` first."""
        import pandas as pd

        table: dict[str, list[Any]] = {
            "words": [" ".join(t.words) for t in tagged],
            "tags": [" ".join(t.tags) for t in tagged],
        }
        if self.marks_entities:
            table["entities"] = ["; ".join(f"{e.text}/{e.type}" for e in t.entities or []) for t in tagged]
        if index is not None:
            return pd.DataFrame(table, index=index)
        if lines is not None:
            return pd.DataFrame({"line": list(lines), **table})
        return pd.DataFrame(table)


def without_markup(text: str) -> str:
    """``text`` with HTML line breaks and simple formatting tags (``<br />``, ``<i>``, ``</p>``: the patterns the
    classifier's word tokenizer cleans, ``fix_html``) blanked out by as many spaces, so that they split no word
    into ``<`` ``br`` ``/`` ``>`` and every offset still points into ``text``."""
    if "<" not in text:
        return text
    from trainwell.text._word_rules import _HTML_BREAK, _HTML_TAG

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group())

    return _HTML_TAG.sub(blank, _HTML_BREAK.sub(blank, text))


def long_text_note(n_words: int) -> str:
    """What a raw text of ``n_words`` words (more than :data:`LONG_SENTENCE_WORDS`) is told: it was one sentence."""
    return (
        f"{n_words:,} words read as one sentence: the tagger reads each text as one sentence; split the text into "
        "sentences (one a line, or one a text)"
    )


def warn_of_long_texts(word_counts: Sequence[int], names: Sequence[str]) -> None:
    """One warning when raw texts hold more than :data:`LONG_SENTENCE_WORDS` words: the longest, named (``line
    3``), and how many more; each was tagged as one sentence (a pasted document: one slow, long sequence)."""
    long = [
        (count, name) for count, name in zip(word_counts, names, strict=True) if count > LONG_SENTENCE_WORDS
    ]
    if not long:
        return
    from trainwell.core.warn import warn

    count, name = max(long, key=lambda pair: pair[0])
    others = f" (and {len(long) - 1} more over {LONG_SENTENCE_WORDS})" if len(long) > 1 else ""
    noun = name.split()[0]
    fix = "split sentences onto lines of their own" if noun == "line" else f"pass one sentence a {noun}"
    warn(
        f"{name} has {count:,} words{others}: the tagger reads each {noun} as one sentence, slowly when it is "
        f"long; {fix}",
        UserWarning,
    )


def _warn_of_empty_rows(index: pd.Index, tagged: list[TaggedSentence]) -> None:
    """Say which rows of a table (by their index labels) held no text and were left without words or tags: they
    were answered as empty sentences in silence (``trainwell predict`` says its own data rows and never hands
    the predictor an empty one)."""
    empty = [label for label, sentence in zip(index, tagged, strict=True) if not sentence.words]
    if not empty:
        return
    from trainwell.core.warn import warn

    shown = ", ".join(map(str, empty[:5])) + (", ..." if len(empty) > 5 else "")
    plural = "s" if len(empty) > 1 else ""
    warn(
        f"{len(empty)} of {len(tagged)} row{'s' if len(tagged) > 1 else ''} with an empty text (index {shown}) "
        f"left without words or tags; fill or drop {'those rows' if plural else 'that row'}",
        UserWarning,
    )


def sentence_column(names: list[str], text_col: str | None) -> str:
    """Which of a table's columns ``names`` holds the sentences: ``text_col``, or the one column, or the one named
    text or sentence; asked for (a ConfigError) when none tells them apart."""
    from trainwell.core.errors import ConfigError

    column = text_col
    if column is None:
        named = [name for name in names if name.lower() in ("text", "sentence")]
        if len(names) == 1 or len(named) == 1:
            column = names[0] if len(names) == 1 else named[0]
        else:
            raise ConfigError(
                f"which column of the table holds the sentences? pass text_col= (its columns: "
                f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''})"
            )
    if column not in names:
        from trainwell.data.io import did_you_mean

        raise DataError(f"the table has no column '{column}'{did_you_mean([column], names)}; pass text_col=")
    return column


def _sentences_of(inputs: Any, text_col: str | None) -> Any:
    """What :meth:`TaggerPredictor.tag` reads of ``inputs``: a list of sentences (strings or lists of words).
    A DataFrame was tagged as its column names, a file's path as a sentence of words ``data / sents . txt``."""

    if isinstance(inputs, PurePath):
        return _file_sentences(Path(inputs))[1]
    if type(inputs).__name__ == "DataFrame" and hasattr(inputs, "columns"):
        column = sentence_column([str(name) for name in inputs.columns], text_col)
        inputs = inputs[column]
    if type(inputs).__name__ == "Series":
        # A missing cell (NaN, None, pd.NA) is an empty sentence; a number is tagged as its digits.
        return [
            value if isinstance(value, str) else ("" if _missing(value) else str(value)) for value in inputs
        ]
    if isinstance(inputs, str):
        if text_col is None and "\n" not in inputs and " " not in inputs.strip() and Path(inputs).is_file():
            from trainwell.core.warn import warn

            warn(
                f"'{inputs}' names a file but was tagged as a sentence; pass Path('{inputs}') to tag the "
                "file's lines",
                UserWarning,
            )
        return [inputs]
    return inputs


def _missing(value: Any) -> bool:
    """Whether a table's cell holds nothing: NaN, None, ``pd.NA`` or ``NaT`` (None was tagged as the word
    ``None``)."""
    import pandas as pd

    missing = pd.isna(value)
    return bool(missing) if isinstance(missing, bool | np.bool_) else False


def _file_sentences(path: Path) -> tuple[list[int], list[str]]:
    """The line numbers and sentences of a text file of one sentence a line, blank lines left out."""
    from trainwell.core.text_encoding import file_lines
    from trainwell.data.io import read_text_file

    numbered = [
        (number, line)
        for number, line in enumerate(file_lines(read_text_file(path)), start=1)
        if line.strip()
    ]
    if not numbered:
        raise DataError(f"'{path}' holds no sentence; pass one sentence a line")
    return [number for number, _ in numbered], [line for _, line in numbered]


def _check_sentences(sentences: Sequence[Sequence[str]]) -> list[list[str]]:
    if isinstance(sentences, str):
        raise DataError("sentences must be a list of lists of words, got one string; split it or use tag()")
    checked = []
    for position, sentence in enumerate(sentences):
        if isinstance(sentence, str) or not isinstance(sentence, Sequence):
            raise DataError(
                f"sentence {position} must be a list of words, got {type(sentence).__name__}; pass raw text to tag()"
            )
        words = [str(word) for word in sentence]
        if any(not word or any(ch.isspace() for ch in word) for word in words):
            bad = next(word for word in words if not word or any(ch.isspace() for ch in word))
            raise DataError(
                f"sentence {position} holds the word {bad!r}; words must be non-empty and hold no spaces"
            )
        checked.append(words)
    return checked


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> TaggerPredictor:
    """Hook for the text application's loader: a tagger's predictor."""
    return TaggerPredictor.from_artifact(metadata, state)
