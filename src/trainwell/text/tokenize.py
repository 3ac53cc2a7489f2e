"""Text to tokens: a fast rule-based word tokenizer and input checks (subwords: :mod:`trainwell.text.subword`).

The word tokenizer follows ULMFiT's idea (Howard and Ruder 2018): lower-case everything so the vocabulary
stays small, but keep what lower-casing and squashing would lose as *special tokens*, so a language model can
still learn it:

- ``xxmaj`` before a word whose first letter was upper case (``"The"`` -> ``xxmaj the``), ``xxup`` before an
  all-caps word of two or more letters (``"GREAT"`` -> ``xxup great``);
- ``xxrep n c`` for a character repeated ``n`` >= 3 times (``"!!!!!"`` -> ``xxrep 5 !``); digits are left
  alone, so ``"1000"`` stays a number;
- ``xxwrep n w`` for a token repeated ``n`` >= 3 times in a row (``"very very very"`` -> ``xxwrep 3 very``);
- ``xxbos`` at the start of every text (and ``xxeos`` at the end when asked), ``xxunk`` for words outside the
  vocabulary, ``xxpad`` for padding, ``xxfld`` between fields.

Punctuation becomes separate tokens, contractions split Penn-Treebank style (``"don't"`` -> ``do n't``,
``"I'm"`` -> ``xxmaj i 'm``), and HTML left in scraped text such as IMDB's ``<br /><br />`` becomes one newline
token. Everything is done with a few compiled regular expressions and one pass over the tokens, so the 25,000
IMDB training reviews take seconds; ``n_workers`` spreads a big corpus over processes.

Why our own rules rather than a library: spaCy or NLTK would be a large dependency for what is a handful of
regular expressions, and the special-token scheme has to match the vocabulary and :func:`detokenize` exactly.
Subword models are trained with HuggingFace ``tokenizers`` (Rust, fast, serialisable to JSON): the word rules
run first, so the subword vocabulary shares the special tokens and their ids.

This module holds the tokenizer's settings and drivers; the rules themselves are in
:mod:`trainwell.text._word_rules`, the special tokens in :mod:`trainwell.text.specials`, :func:`detokenize`
in :mod:`trainwell.text._detokenize`, and :func:`validate_texts` and :func:`read_text_files` in
:mod:`trainwell.text.inputs`. All of them are importable from here too.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from itertools import repeat
from typing import Any, Literal

from trainwell.core.errors import ConfigError
from trainwell.text._detokenize import detokenize
from trainwell.text._word_rules import (
    _NEGATION,
    _NEWLINES,
    _TOKEN,
    _TOKEN_WITH_NEWLINES,
    _clean_html,
    _mark_case,
    _mark_word_repeats,
    _replace_char_repeat,
    _replace_char_repeat_lower,
)
from trainwell.text.inputs import read_text_files, validate_texts
from trainwell.text.specials import BOS, EOS, FLD, MAJ, PAD, REP, SPECIAL_TOKENS, UNK, UP, WREP

# Importable from here before the split, so still (the redundant aliases mark them as re-exported).
from trainwell.text.specials import FAKE_PREFIX as FAKE_PREFIX
from trainwell.text.specials import _check_multiple as _check_multiple
from trainwell.text.specials import _round_up as _round_up

__all__ = [
    "BOS",
    "EOS",
    "FLD",
    "MAJ",
    "PAD",
    "REP",
    "SPECIAL_TOKENS",
    "UNK",
    "UP",
    "WREP",
    "WordTokenizer",
    "detokenize",
    "read_text_files",
    "validate_texts",
]

CaseRule = Literal["mark", "lower", "keep"]
_CASE_RULES = ("mark", "lower", "keep")


def _check_n_workers(n_workers: int | None) -> int:
    if n_workers is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ConfigError(f"n_workers must be a whole number >= 1 (or None for all CPUs); got {n_workers!r}")
    return n_workers


# ------------------------------------------------------------------------------------------ word tokenizer
@dataclass(frozen=True)
class WordTokenizer:
    """Rule-based word tokenizer with ULMFiT's special tokens (see the module docstring for the rules).

    Attributes:
        case: ``"mark"`` lower-cases and adds ``xxmaj`` / ``xxup``; ``"lower"`` lower-cases only;
            ``"keep"`` leaves case alone.
        min_char_repeat: A non-digit character repeated at least this often becomes ``xxrep n c``;
            ``None`` turns the rule off.
        min_word_repeat: A token repeated at least this often in a row becomes ``xxwrep n w``; ``None``
            turns the rule off.
        fix_html: Turn ``<br />`` into a newline, drop simple formatting tags, unescape entities
            (``&amp;``) and map the Penn Treebank's ``<unk>`` to ``xxunk``.
        keep_newlines: Keep line breaks as a ``"\\n"`` token (runs of them become one); otherwise they are
            plain spaces.
        add_bos: Start every text with ``xxbos``.
        add_eos: End every text with ``xxeos``.

    Example:
        >>> WordTokenizer()("I didn't like it!!!!<br /><br />SO BAD")
        ['xxbos', 'xxmaj', 'i', 'did', "n't", 'like', 'it', 'xxrep', '4', '!', '\\n', 'xxup', 'so', 'xxup', 'bad']
    """

    case: CaseRule = "mark"
    min_char_repeat: int | None = 3
    min_word_repeat: int | None = 3
    fix_html: bool = True
    keep_newlines: bool = True
    add_bos: bool = True
    add_eos: bool = False

    def __post_init__(self) -> None:
        if self.case not in _CASE_RULES:
            raise ConfigError(f"case must be one of {', '.join(_CASE_RULES)}; got {self.case!r}")
        for name in ("min_char_repeat", "min_word_repeat"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 2):
                raise ConfigError(
                    f"{name} must be a whole number >= 2, or None to turn the rule off; got {value!r}"
                )
        for name in ("fix_html", "keep_newlines", "add_bos", "add_eos"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be True or False; got {getattr(self, name)!r}")
        char_repeat = (
            None
            if self.min_char_repeat is None
            # Lookahead first: cheaper than a capture + back-reference tried at every position.
            else re.compile(rf"(?=(.)\1{{{self.min_char_repeat - 1}}})\1+", re.DOTALL)
        )
        object.__setattr__(self, "_char_repeat", char_repeat)
        object.__setattr__(self, "_token_pattern", _TOKEN_WITH_NEWLINES if self.keep_newlines else _TOKEN)

    # -------------------------------------------------------------------------------- one text
    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        """Tokens of one text (no validation: :meth:`tokenize_many` checks its inputs)."""
        if self.fix_html:
            text = _clean_html(text)
        if "\n" in text:
            text = _NEWLINES.sub("\n", text)
        if "’" in text:
            text = text.replace("’", "'")
        if "'" in text:
            text = _NEGATION.sub(r" \g<0>", text)
        char_repeat: re.Pattern[str] | None = self._char_repeat  # type: ignore[attr-defined]
        if char_repeat is not None:
            text = char_repeat.sub(
                _replace_char_repeat if self.case == "keep" else _replace_char_repeat_lower, text
            )
        if self.case == "lower":
            text = text.lower()
        tokens: list[str] = self._token_pattern.findall(text)  # type: ignore[attr-defined]
        if (
            self.min_word_repeat is not None
            and len(tokens) >= self.min_word_repeat
            and any(map(str.__eq__, tokens, tokens[1:]))  # cheap test first: most texts have no repeats
        ):
            tokens = _mark_word_repeats(tokens, self.min_word_repeat)
        if self.case == "mark":
            tokens = _mark_case(tokens)
        if self.add_bos:
            tokens.insert(0, BOS)
        if self.add_eos:
            tokens.append(EOS)
        return tokens

    # -------------------------------------------------------------------------------- many texts
    def tokenize_many(
        self,
        texts: Iterable[object],
        *,
        n_workers: int | None = 1,
        drop_empty: bool = False,
        progress: Callable[[int], object] | None = None,
    ) -> list[list[str]]:
        """Tokens of every text, after :func:`validate_texts` (blank texts raise unless ``drop_empty``).

        Args:
            texts: The texts.
            n_workers: Processes to use; 1 (the default) tokenizes here, ``None`` uses every CPU. Worth it
                from tens of thousands of texts on: starting workers and shipping tokens back costs about
                a second.
            drop_empty: Drop blank texts instead of raising (use :func:`validate_texts` to learn which).
            progress: called with the number of texts just tokenized, every :data:`_PROGRESS_EVERY` texts here
                and as each worker's chunk comes back (e.g. a
                :class:`~trainwell.data.reading_progress.ReadingProgress`'s ``advance``).
        """
        kept, _ = validate_texts(texts, drop_empty=drop_empty)
        workers = min(_check_n_workers(n_workers), max(1, len(kept) // 1000))
        if workers == 1:
            if progress is None:
                return [self.tokenize(text) for text in kept]
            tokens: list[list[str]] = []
            for start in range(0, len(kept), _PROGRESS_EVERY):
                tokens.extend(self.tokenize(text) for text in kept[start : start + _PROGRESS_EVERY])
                progress(min(_PROGRESS_EVERY, len(kept) - start))
            return tokens
        n_chunks = workers * 4  # several chunks per worker even out uneven text lengths
        size = -(-len(kept) // n_chunks)
        chunks = [kept[start : start + size] for start in range(0, len(kept), size)]
        with warnings.catch_warnings(), ProcessPoolExecutor(workers, mp_context=_worker_context()) as pool:
            warnings.filterwarnings(
                "ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning
            )
            joined_chunks = []
            for chunk, joined in zip(
                chunks, pool.map(_tokenize_joined, repeat(self.to_dict()), chunks), strict=True
            ):
                joined_chunks.append(joined)
                if progress is not None:
                    progress(len(chunk))
        # Tokens never hold a space, so each text travels back as one string: far cheaper to pickle than lists.
        return [line.split(" ") for chunk in joined_chunks for line in chunk]

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Approximate text of ``tokens``; see :func:`detokenize`."""
        return detokenize(tokens)

    # -------------------------------------------------------------------------------- config
    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready plain data; :meth:`from_dict` rebuilds an equal tokenizer."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordTokenizer:
        """Rebuild from :meth:`to_dict` output; missing keys take their defaults.

        Raises:
            ConfigError: A key is unknown or a value is out of range.
        """
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown word tokenizer settings {unknown}; the known ones are {', '.join(sorted(known))}"
            )
        return cls(**data)


def _worker_context() -> multiprocessing.context.BaseContext:
    """``fork`` on Linux, the platform default elsewhere.

    A spawned worker re-imports trainwell, and with it torch (seconds per worker), which cancels the gain on
    a corpus like IMDB's 25,000 reviews. Forking a process that holds torch or tokenizers threads is unsafe
    in general because a lock held by such a thread stays locked in the child; the worker here runs only
    Python regular expressions and never calls into those libraries, so it cannot wait on such a lock.
    """
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


#: Texts tokenized in this process between two calls of :meth:`WordTokenizer.tokenize_many`'s ``progress``.
_PROGRESS_EVERY = 1024


def _tokenize_joined(config: dict[str, Any], texts: list[str]) -> list[str]:
    tokenizer = WordTokenizer.from_dict(config)
    return [" ".join(tokenizer.tokenize(text)) for text in texts]
