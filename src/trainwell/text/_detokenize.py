"""Word tokens back to readable text: :func:`detokenize` (re-exported by :mod:`trainwell.text.tokenize`).

It undoes the special tokens of :class:`~trainwell.text.tokenize.WordTokenizer` approximately, for text a
language model generates: case and repetition marks are applied, markers and fillers dropped, and punctuation
and clitics glued to their neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence

from trainwell.text.specials import BOS, EOS, FAKE_PREFIX, MAJ, PAD, REP, SPECIAL_TOKENS, UP, WREP

__all__ = ["detokenize"]

# Which tokens glue to their left or right neighbour
_NO_SPACE_BEFORE = frozenset(".,!?;:%)]}…") | {"n't", "'s", "'m", "'d", "'ll", "'re", "'ve", "..", "..."}
_NO_SPACE_AFTER = frozenset("([{$#")
#: The words a split-off ``n't`` joins (the tokenizer writes "can't" as ``ca n't``, "won't" as ``wo n't``): after
#: any other word a sampled ``n't`` keeps its space, so a model's slip reads as one ("jack n't", not "jackn't").
_TAKES_NOT = frozenset({
    "do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "could", "would", "should",
    "ca", "wo", "ai", "need", "must", "might", "dare", "sha", "ought",
})  # fmt: skip
_DROPPED_ON_DETOKENIZE = frozenset({BOS, EOS, PAD})
_MAX_DETOKENIZED_REPEAT = 1000


def detokenize(tokens: Sequence[str]) -> str:
    """Readable text from word tokens, undoing the special tokens approximately (for generated text).

    ``xxmaj``/``xxup`` restore case, ``xxrep``/``xxwrep`` expand repetitions, ``xxbos``/``xxeos``/``xxpad``
    and the filler ``xxfake*`` tokens are dropped, and punctuation and clitics attach to their neighbour (``n't`` only to a word that takes it: ``did n't`` ->
    ``didn't``, ``jack n't`` stays apart). Exact inversion is impossible (``"don't"`` and ``"do n't"`` tokenize alike).

    Example:
        >>> detokenize(["xxbos", "xxmaj", "i", "did", "n't", "like", "it", "xxrep", "4", "!"])
        "I didn't like it!!!!"
    """
    words = _expand_specials(list(tokens))
    pieces: list[str] = []
    glue_next = True  # nothing goes before the first word
    open_quote = False
    previous = ""  # the word before, on this line
    for word in words:
        if word == "\n":
            previous = ""
            if pieces and pieces[-1] == " ":
                pieces.pop()
            pieces.append("\n")
            glue_next = True
            continue
        # A run of one symbol ("!!!!" from xxrep) attaches like the symbol itself.
        glue = (
            glue_next
            or (
                word.lower() in _NO_SPACE_BEFORE and (word.lower() != "n't" or previous.lower() in _TAKES_NOT)
            )
            or (word[:1] in _NO_SPACE_BEFORE and word == word[:1] * len(word))
        )
        previous = word
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
