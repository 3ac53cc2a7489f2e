"""The detokenizer joins a generated ``n't`` only to a word that takes it (tour54 F9): ``trainwell generate py_lm
"I didn't like THE ending!!!"`` wrote ``... part just & jackn't fight ...``, gluing a sampled ``n't`` onto any
word. A word that takes it (did, ca, wo, ...) still reads as the contraction it came from."""

from __future__ import annotations

import pytest

from trainwell.text.tokenize import WordTokenizer, detokenize


@pytest.mark.parametrize(
    "text",
    [
        "I didn't like it, and she doesn't either.",
        "They can't, won't and shan't go; it isn't, wasn't, hasn't.",
        "You mustn't, oughtn't, needn't, ain't.",
        "WE DIDN'T, Couldn't, wouldn't",
    ],
)
def test_contractions_of_words_that_take_nt_come_back_joined(text: str) -> None:
    assert detokenize(WordTokenizer()(text)) == text


def test_a_sampled_nt_after_another_word_keeps_its_space() -> None:
    tokens = ["xxbos", "part", "just", "&", "jack", "n't", "fight", "at", "his"]
    assert detokenize(tokens) == "part just & jack n't fight at his"
    assert detokenize(["xxbos", "xxmaj", "the", "xxup", "n't", "xxmaj", "did", "n't"]) == "The N'T Didn't"
    # at the start of a line nothing comes before it
    assert detokenize(["xxbos", "yes", "\n", "n't", "so"]) == "yes\nn't so"
