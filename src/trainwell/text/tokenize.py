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
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trainwell.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    pass

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

UNK, PAD, BOS, EOS, FLD, MAJ, UP, REP, WREP = (
    "xxunk",
    "xxpad",
    "xxbos",
    "xxeos",
    "xxfld",
    "xxmaj",
    "xxup",
    "xxrep",
    "xxwrep",
)
# The fixed order of the special tokens: their ids in every vocabulary (xxunk = 0, xxpad = 1, ...).
SPECIAL_TOKENS: tuple[str, ...] = (UNK, PAD, BOS, EOS, FLD, MAJ, UP, REP, WREP)
FAKE_PREFIX = "xxfake"  # filler tokens that round a vocabulary up to a multiple of 8; never produced

CaseRule = Literal["mark", "lower", "keep"]
_CASE_RULES = ("mark", "lower", "keep")

# ------------------------------------------------------------------------------------------ regexes
_HTML_BREAK = re.compile(r"(?:[ \t]*<br\s*/?\s*>[ \t]*)+", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?:a|b|i|u|em|strong|p|div|span|font|hr|sup|sub|center|blockquote)(?:\s[^<>]{0,200})?/?>",
    re.IGNORECASE,
)
_NEWLINES = re.compile(r"\s*\n\s*")
_PTB_UNK = re.compile(r"<unk>", re.IGNORECASE)  # the Penn Treebank's marker for rare words

# Alternatives in order of how often they fail fast: most positions start a plain word. Special tokens are
# plain words to this pattern; "n't" is split off beforehand by _NEGATION, so a word may end in it.
_TOKEN_BODY = r"""
    (?:[^\W\d_]\.){2,}             # initialisms: u.s. e.g.
  | \d+(?:[.,:/]\d+)+              # 1,000  3.5  10:30  7/10
  | [^\W_]+(?:'[tT]\b)?             # words and plain numbers (80s, mp3); "n't" after _NEGATION
  | '(?:[sSmMdD]|[lL][lL]|[rR][eE]|[vV][eE])\b    # clitics: 's 'm 'd 'll 're 've
  | \.\.+                          # an ellipsis shorter than the repetition threshold
  | [^\w\s]|_                      # any other symbol on its own
"""
_TOKEN = re.compile(_TOKEN_BODY, re.VERBOSE)
_NEGATION = re.compile(r"[nN]'[tT]\b")  # "don't" -> "do n't", "can't" -> "ca n't" (Penn Treebank style)
_TOKEN_WITH_NEWLINES = re.compile(r"\n|" + _TOKEN_BODY, re.VERBOSE)

# detokenize: which tokens glue to their left or right neighbour
_NO_SPACE_BEFORE = frozenset(".,!?;:%)]}…") | {"n't", "'s", "'m", "'d", "'ll", "'re", "'ve", "..", "..."}
_NO_SPACE_AFTER = frozenset("([{$#")
_DROPPED_ON_DETOKENIZE = frozenset({BOS, EOS, PAD})
_MAX_DETOKENIZED_REPEAT = 1000


# ------------------------------------------------------------------------------------------ input checks
def validate_texts(
    texts: Iterable[object], *, name: str = "texts", drop_empty: bool = False, droppable: bool = True
) -> tuple[list[str], list[int]]:
    """Check that ``texts`` is a non-empty collection of non-blank strings; return them and their positions.

    Done once, before any work, so a bad row is reported by position instead of surfacing later as an odd
    shape or a silently empty sequence.

    Args:
        texts: Any iterable of strings (list, tuple, pandas Series, numpy array).
        name: How the error messages call the input (a column name, a file).
        drop_empty: Drop empty and whitespace-only texts instead of raising; the returned positions then
            say which inputs were kept (to drop the matching labels).
        droppable: Whether the caller takes ``drop_empty=True``, which the error for a blank text then offers
            (a predictor takes no such option: the error asks to fill or drop the text).

    Returns:
        ``(kept_texts, kept_positions)``.

    Raises:
        DataError: ``texts`` is a single string or empty, holds a non-string, or (without ``drop_empty``) a
            blank text.
    """
    if isinstance(texts, (str, bytes)):
        raise DataError(f"{name} is a single string; pass a list of texts, e.g. [text]")
    kept: list[str] = []
    positions: list[int] = []
    total = 0
    for position, text in enumerate(texts):
        total += 1
        if not isinstance(text, str):
            raise DataError(
                f"{name}[{position}] is {type(text).__name__} ({text!r:.40}), not a string; "
                "fill or drop missing texts and convert the column to text first"
            )
        if not text or text.isspace():
            if drop_empty:
                continue
            raise DataError(
                f"{name}[{position}] is empty or only whitespace; remove it or pass drop_empty=True to drop "
                "blank texts"
                if droppable
                else f"{name}[{position}] is empty or only whitespace; a model has nothing to read there: fill "
                "or drop that text"
            )
        kept.append(text)
        positions.append(position)
    if total == 0:
        raise DataError(f"{name} is empty; pass at least one text")
    if not kept:
        raise DataError(f"all {total} {name} are empty or only whitespace; there is nothing to tokenize")
    return kept, positions


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
        self, texts: Iterable[object], *, n_workers: int | None = 1, drop_empty: bool = False
    ) -> list[list[str]]:
        """Tokens of every text, after :func:`validate_texts` (blank texts raise unless ``drop_empty``).

        Args:
            texts: The texts.
            n_workers: Processes to use; 1 (the default) tokenizes here, ``None`` uses every CPU. Worth it
                from tens of thousands of texts on: starting workers and shipping tokens back costs about
                a second.
            drop_empty: Drop blank texts instead of raising (use :func:`validate_texts` to learn which).
        """
        kept, _ = validate_texts(texts, drop_empty=drop_empty)
        workers = min(_check_n_workers(n_workers), max(1, len(kept) // 1000))
        if workers == 1:
            return [self.tokenize(text) for text in kept]
        n_chunks = workers * 4  # several chunks per worker even out uneven text lengths
        size = -(-len(kept) // n_chunks)
        chunks = [kept[start : start + size] for start in range(0, len(kept), size)]
        with warnings.catch_warnings(), ProcessPoolExecutor(workers, mp_context=_worker_context()) as pool:
            warnings.filterwarnings(
                "ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning
            )
            joined_chunks = list(pool.map(_tokenize_joined, repeat(self.to_dict()), chunks))
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


def _clean_html(text: str) -> str:
    if "<" in text:
        text = _HTML_BREAK.sub("\n", text)
        text = _HTML_TAG.sub(" ", text)
        text = _PTB_UNK.sub(f" {UNK} ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _replace_char_repeat(match: re.Match[str]) -> str:
    char = match.group(1)
    if char.isspace() or char.isdigit():  # runs of spaces vanish anyway; "1000" stays a number
        return match.group()
    return f" {REP} {len(match.group())} {char} "


def _replace_char_repeat_lower(match: re.Match[str]) -> str:
    # Lower case here, or "NOOOO" would give "xxrep 4 xxmaj o": the repeated letter's case is the one thing lost.
    char = match.group(1)
    if char.isspace() or char.isdigit():
        return match.group()
    return f" {REP} {len(match.group())} {char.lower()} "


def _mark_word_repeats(tokens: list[str], min_repeat: int) -> list[str]:
    out: list[str] = []
    start, n = 0, len(tokens)
    while start < n:
        token, end = tokens[start], start + 1
        while end < n and tokens[end] == token:
            end += 1
        if end - start >= min_repeat:
            out += (WREP, str(end - start), token)
        else:
            out += tokens[start:end]
        start = end
    return out


def _mark_case(tokens: list[str]) -> list[str]:
    out: list[str] = []
    append = out.append
    for token in tokens:
        if token.islower():  # the common case first: already lower case
            append(token)
        elif token.isupper():
            append(UP if len(token) > 1 else MAJ)
            append(token.lower())
        elif token[0].isupper():
            append(MAJ)
            append(token.lower())
        else:  # no cased letter (punctuation, numbers) or mixed case inside a word ("iPhone")
            append(token.lower())
    return out


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


def _tokenize_joined(config: dict[str, Any], texts: list[str]) -> list[str]:
    tokenizer = WordTokenizer.from_dict(config)
    return [" ".join(tokenizer.tokenize(text)) for text in texts]


# ------------------------------------------------------------------------------------------ detokenize
def detokenize(tokens: Sequence[str]) -> str:
    """Readable text from word tokens, undoing the special tokens approximately (for generated text).

    ``xxmaj``/``xxup`` restore case, ``xxrep``/``xxwrep`` expand repetitions, ``xxbos``/``xxeos``/``xxpad``
    and the filler ``xxfake*`` tokens are dropped, and punctuation and clitics attach to their neighbour.
    Exact inversion is impossible (``"don't"`` and ``"do n't"`` tokenize alike).

    Example:
        >>> detokenize(["xxbos", "xxmaj", "i", "did", "n't", "like", "it", "xxrep", "4", "!"])
        "I didn't like it!!!!"
    """
    words = _expand_specials(list(tokens))
    pieces: list[str] = []
    glue_next = True  # nothing goes before the first word
    open_quote = False
    for word in words:
        if word == "\n":
            if pieces and pieces[-1] == " ":
                pieces.pop()
            pieces.append("\n")
            glue_next = True
            continue
        # A run of one symbol ("!!!!" from xxrep) attaches like the symbol itself.
        glue = (
            glue_next
            or word.lower() in _NO_SPACE_BEFORE
            or (word[:1] in _NO_SPACE_BEFORE and word == word[:1] * len(word))
        )
        glue_next = word in _NO_SPACE_AFTER
        if word == '"':  # straight quotes alternate between opening and closing
            glue = glue or open_quote
            glue_next = not open_quote
            open_quote = not open_quote
        if not glue:
            pieces.append(" ")
        pieces.append(word)
    return "".join(pieces).strip(" ")


def _expand_specials(tokens: list[str]) -> list[str]:
    """Apply repetition and case tokens; the result holds plain words (and ``"\\n"``) only."""
    words: list[str] = []
    index, n = 0, len(tokens)
    while index < n:
        token = tokens[index]
        index += 1
        if token in _DROPPED_ON_DETOKENIZE or token.startswith(FAKE_PREFIX):
            continue
        if token in (REP, WREP) and index + 1 < n and tokens[index].isdecimal():
            # Capped: a sampled "xxrep 99999999 !" must not build a gigabyte string.
            count, target = min(int(tokens[index]), _MAX_DETOKENIZED_REPEAT), tokens[index + 1]
            index += 2
            if token == REP:
                text = target * count
                # A repeated letter inside a word ("s xxrep 4 o") glues to the letters before it.
                if words and target.isalpha() and words[-1][-1:].isalpha():
                    words[-1] += text
                else:
                    words.append(text)
            else:
                case_mark = target if target in (MAJ, UP) else None
                if case_mark is not None and index < n:
                    target = _apply_case(case_mark, tokens[index])
                    index += 1
                words.extend([target] * count)
            continue
        if token in (MAJ, UP):
            # A mark at the very end marks nothing and is dropped. A sampled sequence may stack marks or put a dropped token between a mark and its word
            # ("xxmaj xxup soften"): the marks apply to the next word (xxup wins), never to another mark.
            marks = {token}
            while index < n and (tokens[index] in (MAJ, UP) or tokens[index] in _DROPPED_ON_DETOKENIZE):
                marks.add(tokens[index])
                index += 1
            if (
                index < n
                and tokens[index] not in SPECIAL_TOKENS
                and not tokens[index].startswith(FAKE_PREFIX)
            ):
                words.append(_apply_case(UP if UP in marks else MAJ, tokens[index]))
                index += 1
            continue
        words.append(token)
    return words


def _apply_case(mark: str, word: str) -> str:
    return word.upper() if mark == UP else word[:1].upper() + word[1:]


# ------------------------------------------------------------------------------------------ files
def read_text_files(
    folder: str | os.PathLike[str],
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    recursive: bool = True,
) -> dict[Path, str]:
    """Read every ``.txt`` file under ``folder`` as ``encoding`` text (UTF-8 by default), in sorted path order.

    Args:
        folder: The folder (searched recursively unless ``recursive=False``).
        encoding: The files' encoding, e.g. ``"cp1252"`` for text saved by Windows tools; never guessed.
        encoding_errors: ``"strict"`` raises on bytes not in ``encoding``, so a wrongly encoded corpus is
            noticed; ``"replace"`` decodes them as U+FFFD, only when asked. A UTF-8 byte-order mark is dropped.
        recursive: Search subfolders too.

    Returns:
        ``{path: text}``; the paths keep labels a folder layout may hold (``train/pos/1.txt``).

    Raises:
        ConfigError: ``encoding_errors`` is not ``"strict"`` or ``"replace"``.
        DataError: The folder is missing or has no ``.txt`` files, or a file is not valid UTF-8.
    """
    from trainwell.data.io import check_encoding_errors, read_text_file

    check_encoding_errors(encoding_errors)
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"text folder {root} does not exist or is not a folder; pass a folder of .txt files")
    paths = sorted(
        path for path in (root.rglob("*.txt") if recursive else root.glob("*.txt")) if path.is_file()
    )
    if not paths:
        where = "in it or its subfolders" if recursive else "in it"
        raise DataError(f"text folder {root} has no .txt files {where}; text files must end in .txt")

    return {path: read_text_file(path, encoding=encoding, encoding_errors=encoding_errors) for path in paths}


def _check_multiple(pad_to_multiple_of: int | None) -> None:
    if pad_to_multiple_of is not None and (
        isinstance(pad_to_multiple_of, bool)
        or not isinstance(pad_to_multiple_of, int)
        or pad_to_multiple_of < 1
    ):
        raise ConfigError(
            f"pad_to_multiple_of must be a whole number >= 1 or None; got {pad_to_multiple_of!r}"
        )


def _round_up(size: int, multiple: int | None) -> int:
    return size if multiple is None else -(-size // multiple) * multiple
