"""Raw text to words with character offsets, close to the Penn Treebank tokenisation of CoNLL and UD corpora.

Sequence taggers are trained on corpora that are already split into words (CoNLL-2003, Universal
Dependencies), mostly after Penn Treebank conventions; to tag a raw sentence at prediction time it has to be
split the same way, and each word keeps its offsets so that tags can be mapped back onto the text.

The rules, applied by one compiled regular expression in a single left-to-right scan:

- whitespace separates words;
- punctuation marks are words of their own (``,`` ``.`` ``!`` ``?`` ``;`` ``:`` ``(`` ``)`` ``"`` ``$`` ``%``
  ...), ``...`` and ``--`` staying whole;
- except inside numbers (``3.5``, ``1,000``, ``12:30``, ``1/2``), abbreviations with inner periods (``U.S.``,
  ``e.g.``), a capital initial (``J.``), common titles and abbreviations (``Mr.``, ``Inc.``, ``etc.``, ``Jan.``,
  see ``TITLES``), URLs and e-mail addresses, hyphenated words (``well-known``, ``1996-08-22``) and names such
  as ``O'Neill`` and ``AT&T``;
- English clitics are split off, with a straight or a typographic apostrophe: ``don't`` -> ``do n't``,
  ``can't`` -> ``ca n't``, ``it's`` -> ``it 's``, ``I'm``, ``they're``, ``we've``, ``he'll``, ``she'd``; and
  ``cannot`` -> ``can not``.

Because words are slices of the text (``text[start:end] == word``), nothing is rewritten: PTB's ``-LRB-`` for
``(`` or ````` for ``"`` are not produced, and a sentence-final ``U.S.`` or ``etc.`` keeps its period (PTB
would add a second one).
"""

from __future__ import annotations

import re

__all__ = ["TITLES", "split_words"]

#: Abbreviations that keep their period (``Mr.``), matched with this exact case.
TITLES: tuple[str, ...] = (
    *("Mr", "Mrs", "Ms", "Dr", "Prof", "Jr", "Sr", "St", "Mt", "Ft", "Rev", "Hon", "Messrs"),
    *("Gen", "Gov", "Sen", "Rep", "Pres", "Capt", "Col", "Lt", "Sgt", "Adm", "Cmdr"),
    *("Inc", "Ltd", "Co", "Corp", "Bros", "No", "vs", "etc", "approx", "cf", "Fig"),
    *("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"),
)

_CLOSING = r"""[.,;:!?)\]}"'”’»]"""  # punctuation that may follow a URL at the end of a clause
_URL_END = rf"(?={_CLOSING}*(?:\s|$))"
_CLITIC_TAIL = r"(?i:s|m|d|re|ve|ll)(?!\w)"  # what follows the apostrophe of 's 'm 'd 're 've 'll
_WORD_JOINER = (
    r"(?:[-‐‑]"  # well-known, 1996-08-22 (ASCII hyphen, Unicode hyphen, non-breaking hyphen)
    r"|(?<=\d)[.,:/](?=\d)"  # 3.5, 1,000, 12:30, 1/2
    rf"|['’](?!{_CLITIC_TAIL})"  # O'Neill, rock'n'roll (but not it's)
    r"|(?<=[A-Z])&(?=[A-Z])"  # AT&T
    r")"
)
_PATTERN = re.compile(
    rf"""
      (?:https?://|ftp://|www\.)\S+?{_URL_END}                      # URL
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                                  # e-mail address
    | (?:[\w-]+\.)+(?:com|org|net|edu|gov|int|io|info|biz)(?![\w-])(?:/\S*?{_URL_END})?   # bare domain
    | (?:[^\W\d_]\.){{2,}}                                          # U.S., e.g., a.m.
    | (?:{"|".join(TITLES)})\.(?!\w)                                # Mr., Inc., etc.
    | [A-ZÀ-ÖØ-Þ]\.(?![\w.])                                        # an initial: J.
    | \w+?(?=(?i:n['’]t)(?!\w))                                     # the "do" of "don't"
    | (?i:can)(?=(?i:not)(?!\w))                                    # the "can" of "cannot"
    | (?i:n['’]t)(?!\w) | ['’]{_CLITIC_TAIL}                        # n't 's 'm 'd 're 've 'll
    | \w+(?:{_WORD_JOINER}\w+)*                                     # a word or a number
    | \.{{2,}} | -{{2,}} | `` | ''                                  # ... -- `` ''
    | \S                                                            # any other mark, alone
    """,
    re.VERBOSE,
)


def split_words(text: str) -> list[tuple[str, int, int]]:
    """Split raw text into words, each with its start and end (exclusive) character offsets.

    Args:
        text: a sentence or a paragraph of raw text.

    Returns:
        ``(word, start, end)`` for every word in order, with ``text[start:end] == word``.

    Example:
        >>> [word for word, _, _ in split_words("Mr. O'Neill doesn't live in the U.S. anymore, it's 3.5 km.")]
        ['Mr.', "O'Neill", 'does', "n't", 'live', 'in', 'the', 'U.S.', 'anymore', ',', 'it', "'s", '3.5', 'km', '.']
        >>> split_words("Hi, Bob!")
        [('Hi', 0, 2), (',', 2, 3), ('Bob', 4, 7), ('!', 7, 8)]
    """
    return [(match.group(), match.start(), match.end()) for match in _PATTERN.finditer(text)]
