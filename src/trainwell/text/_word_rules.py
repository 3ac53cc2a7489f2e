"""The word tokenizer's rules: the regular expressions that split text into tokens, and the passes that mark
case and repetitions with special tokens.

:class:`~trainwell.text.tokenize.WordTokenizer` applies them in order (its module docstring lists the rules);
they live here so the tokenizer module holds its settings and the single- and multi-process drivers only.
"""

from __future__ import annotations

import html
import re

from trainwell.text.specials import MAJ, REP, UNK, UP, WREP

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
