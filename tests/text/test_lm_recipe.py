"""A language model's vocabulary: a corpus tokenized already over a closed vocabulary (PTB, WikiText) keeps every
training type, its ``<unk>`` read as our unknown token; other text keeps the word rules and their frequency cut."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from trainwell.text.lm_recipe import closed_vocabulary, fit_lm_recipe
from trainwell.text.lm_stream import lm_data
from trainwell.text.specials import EOS, SPECIAL_TOKENS, UNK

# A PTB-like training text: lower case words, "N" for numbers, <unk> for the words the corpus left out, and
# words seen once ("zebra", "yak"), which are words of the corpus's vocabulary all the same.
TRAIN = ["the cat sat on the <unk> N", "a dog ate the <unk>", "the zebra saw a yak", "a cat and a dog"]
VALID = ["the dog sat", "a <unk> ate N"]


def _ptb_folder(folder: Path) -> Path:
    folder.mkdir()
    with gzip.open(folder / "ptb.train.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write("\n".join(TRAIN * 3 + ["the zebra"]) + "\n")  # "zebra" 4 times, "yak" and "and" 3
    (folder / "ptb.valid.txt").write_text("\n".join(VALID) + "\n", encoding="utf-8")
    return folder


def _words(data: object) -> set[str]:
    return {token for token in data.recipe.vocab.itos if not token.startswith("xx")}  # type: ignore[attr-defined]


def test_a_closed_vocabulary_corpus_keeps_every_training_type(tmp_path: Path) -> None:
    # A singleton of PTB is a word of its 10,000 (its rare words are <unk> already): the frequency cut made 30 of
    # them unknown, and the word rules read "N" as "xxmaj n", so the perplexity was not PTB's.
    folder = tmp_path / "ptb"
    folder.mkdir()
    lines = [*TRAIN, "a lone singleton"]
    with gzip.open(folder / "ptb.train.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    (folder / "ptb.valid.txt").write_text("\n".join(VALID) + "\n", encoding="utf-8")
    data = lm_data(folder, batch_size=2, bptt=4)
    recipe = data.recipe
    assert recipe.tokenizer_name == "whitespace"  # type: ignore[union-attr]
    types = {word for line in lines for word in line.split()}
    assert _words(data) == types - {"<unk>"}  # every type, case kept ("N"), singletons included
    assert "<unk>" not in recipe.vocab  # type: ignore[union-attr]
    ids = recipe.encode("the <unk> lone")  # type: ignore[union-attr]
    assert recipe.vocab.decode(ids) == ["the", UNK, "lone", EOS]  # type: ignore[union-attr]
    # The table: the corpus's words, then our special tokens (xxunk for its <unk>, xxeos ending each line) and
    # fillers up to a multiple of 8.
    vocab = recipe.vocab  # type: ignore[union-attr]
    assert len(vocab) == -(-(len(types) - 1 + len(SPECIAL_TOKENS)) // 8) * 8


def test_a_setting_given_is_kept_on_a_closed_vocabulary(tmp_path: Path) -> None:
    folder = _ptb_folder(tmp_path / "ptb")
    cut = lm_data(folder, min_freq=4, batch_size=2, bptt=4)
    counts = Counter(word for line in TRAIN * 3 + ["the zebra"] for word in line.split())
    assert _words(cut) == {word for word, count in counts.items() if count >= 4} - {"<unk>"}
    assert cut.recipe.tokenizer_name == "whitespace"  # type: ignore[union-attr]
    word = lm_data(folder, tokenizer="word", batch_size=2, bptt=4)
    assert word.recipe.tokenizer_name == "word" and "n" in word.recipe.vocab  # type: ignore[union-attr]
    assert "yak" in word.recipe.vocab  # type: ignore[union-attr]  # the closed vocabulary: min_freq 1 still


def test_other_text_keeps_the_word_rules_and_drops_words_seen_once() -> None:
    texts = ["The cat sat on the mat.", "The dog sat on the rug.", "A yak.", "the cat and the dog"]
    recipe = fit_lm_recipe(texts, None, None, 60_000, 8000)
    assert recipe.tokenizer_name == "word"
    assert "cat" in recipe.vocab and "yak" not in recipe.vocab  # seen once: left to xxunk, which it trains


def test_a_text_that_mentions_unk_in_passing_is_no_closed_vocabulary() -> None:
    prose = ["the tokenizer writes <unk> for a word it does not know " + "and so on " * 600]
    assert not closed_vocabulary(prose)
    assert closed_vocabulary(["a <unk> b c", "d e <unk>"])
    assert not closed_vocabulary(["a b c"]) and not closed_vocabulary([])


@pytest.mark.data
def test_ptb_reads_as_its_standard_10000_word_vocabulary(shared_data: Path) -> None:
    with gzip.open(shared_data / "ptb" / "ptb.train.txt.gz", "rt", encoding="utf-8") as stream:
        texts = stream.read().splitlines()
    recipe = fit_lm_recipe(texts, None, None, 60_000, 8000)
    vocab = recipe.vocab
    words = [token for token in vocab.itos if token not in SPECIAL_TOKENS and not token.startswith("xxfake")]
    # PTB's 10,000: 9,998 words, <unk> (our xxunk) and the end of a sentence (our xxeos, after every line).
    assert recipe.tokenizer_name == "whitespace" and len(words) == 9_998 and "<unk>" not in vocab
    assert len(vocab) == 10_008  # with xxpad, xxbos, xxfld, xxmaj, xxup, xxrep, xxwrep and one filler
