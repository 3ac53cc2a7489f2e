"""The vocabulary: ordering, min_freq, max_size, multiple-of-8 fillers, encoding, JSON round trip, errors."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.text import SPECIAL_TOKENS, SubwordTokenizer, Vocab, WordTokenizer, detokenize

N_SPECIAL = len(SPECIAL_TOKENS)
TEXTS = [
    "The film was good. The cast was good, the music was good.",
    "A bad film: the plot was bad and the cast was lost.",
    "The music was the best part of the film.",
]


@pytest.fixture
def token_lists() -> list[list[str]]:
    return WordTokenizer().tokenize_many(TEXTS)


def test_special_tokens_first_then_by_frequency_then_alphabetical() -> None:
    counts = {"the": 5, "cat": 2, "bat": 2, "zebra": 1, "xxmaj": 9}
    vocab = Vocab.from_counts(counts, min_freq=1, pad_to_multiple_of=None)
    assert vocab.itos == [*SPECIAL_TOKENS, "the", "bat", "cat", "zebra"]
    assert (vocab.unk_id, vocab.pad_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab.stoi["xxwrep"] == 8


def test_ids_do_not_depend_on_the_order_of_the_texts(token_lists: list[list[str]]) -> None:
    assert Vocab.build(token_lists, min_freq=1) == Vocab.build(token_lists[::-1], min_freq=1)


def test_min_freq_keeps_tokens_seen_often_enough(token_lists: list[list[str]]) -> None:
    counts = Counter(token for tokens in token_lists for token in tokens)
    vocab = Vocab.build(token_lists, min_freq=3, pad_to_multiple_of=None)
    expected = {token for token, count in counts.items() if count >= 3} - set(SPECIAL_TOKENS)
    assert set(vocab.itos[N_SPECIAL:]) == expected
    assert "bad" not in vocab and "good" in vocab and "music" not in vocab


def test_max_size_counts_special_tokens_and_fillers() -> None:
    counts = {f"word{i}": 100 - i for i in range(30)}
    vocab = Vocab.from_counts(counts, min_freq=1, max_size=20, pad_to_multiple_of=None)
    assert len(vocab) == 20 and vocab.itos[-1] == "word10"
    # 20 rounded down to a multiple of 8 is 16: 7 corpus tokens after the 9 special ones, no fillers needed.
    padded = Vocab.from_counts(counts, min_freq=1, max_size=20)
    assert len(padded) == 16 and padded.itos[-1] == "word6" and padded.n_fillers == 0


def test_size_is_rounded_up_to_a_multiple_of_8_with_fillers() -> None:
    vocab = Vocab.from_counts({"a": 3, "b": 3, "c": 3}, min_freq=1)
    assert len(vocab) == 16 and vocab.n_fillers == 4
    assert vocab.itos[-4:] == ["xxfake0", "xxfake1", "xxfake2", "xxfake3"]
    assert vocab.encode(["xxfake0"]) == [0]  # fillers are never produced, not even from input text
    assert len(Vocab.from_counts({"a": 3, "b": 3, "c": 3}, min_freq=1, pad_to_multiple_of=None)) == 12


def test_encode_decode_and_unknown_tokens(token_lists: list[list[str]]) -> None:
    vocab = Vocab.build(token_lists, min_freq=2)
    ids = vocab.encode(["xxbos", "the", "unicorn", "film"])
    assert ids[0] == vocab.bos_id and ids[2] == vocab.unk_id
    assert vocab.decode(ids) == ["xxbos", "the", "xxunk", "film"]
    assert vocab.decode(torch.tensor(ids)) == vocab.decode(np.array(ids)) == vocab.decode(ids)
    assert (
        detokenize(vocab.decode(vocab.encode(token_lists[2])))
        == "The music was the xxunk xxunk xxunk the film."
    )
    assert vocab.unknown_share([["the", "unicorn"]]) == 0.5


def test_encode_many_gives_one_flat_tensor_and_offsets(token_lists: list[list[str]]) -> None:
    vocab = Vocab.build(token_lists, min_freq=1)
    ids, offsets = vocab.encode_many(token_lists)
    assert ids.dtype == offsets.dtype == torch.int64
    assert offsets.tolist() == [0, *np.cumsum([len(tokens) for tokens in token_lists]).tolist()]
    for index, tokens in enumerate(token_lists):
        assert ids[offsets[index] : offsets[index + 1]].tolist() == vocab.encode(tokens)


def test_json_round_trip(token_lists: list[list[str]]) -> None:
    vocab = Vocab.build(token_lists, min_freq=1)
    rebuilt = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert rebuilt == vocab and len(rebuilt) == len(vocab)
    assert rebuilt.encode(token_lists[0]) == vocab.encode(token_lists[0])


def test_a_subword_tokenizer_gives_a_vocab_with_the_same_ids() -> None:
    subwords = SubwordTokenizer.train(TEXTS * 5, vocab_size=80, min_frequency=1)
    vocab = Vocab(subwords.itos())
    assert len(vocab) == len(subwords) and len(vocab) % 8 == 0
    assert vocab.encode(subwords.tokenize(TEXTS[0])) == subwords.encode(TEXTS[0])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"min_freq": 0}, "min_freq must be a whole number >= 1; got 0"),
        ({"max_size": 5}, r"max_size must be a whole number >= 16 \(the 9 special tokens rounded up"),
        (
            {"max_size": 8, "pad_to_multiple_of": None},
            r"max_size must be a whole number >= 9 \(the 9 special tokens\)",
        ),
        ({"pad_to_multiple_of": 0}, "pad_to_multiple_of must be a whole number >= 1 or None; got 0"),
    ],
)
def test_bad_settings(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Vocab.from_counts({"a": 5}, **settings)  # type: ignore[arg-type]


def test_bad_inputs_name_the_fix() -> None:
    vocab = Vocab.from_counts({"a": 5})
    with pytest.raises(DataError, match="encode takes a list of tokens, not a text; tokenize it first"):
        vocab.encode("a text")
    with pytest.raises(DataError, match="encode_many takes a list of token lists, not texts"):
        vocab.encode_many(["a text", "another"])
    with pytest.raises(DataError, match=r"token_lists\[0\] is a string, not a list of tokens"):
        Vocab.build(["a text"])
    with pytest.raises(DataError, match="token_lists holds no tokens"):
        Vocab.build([])
    with pytest.raises(DataError, match=r"id 16 is not a token id of this vocabulary \(0 to 15\)"):
        vocab.decode([1, 16])


def test_broken_stored_vocabularies() -> None:
    with pytest.raises(ArtifactError, match="must start with the special tokens"):
        Vocab(["the", *SPECIAL_TOKENS])
    with pytest.raises(ArtifactError, match=r"duplicate tokens \['the'\]"):
        Vocab([*SPECIAL_TOKENS, "the", "the"])
    with pytest.raises(ArtifactError, match=r"must be \{'itos': \[tokens...\]\}; got keys \['tokens'\]"):
        Vocab.from_dict({"tokens": list(SPECIAL_TOKENS)})


@pytest.mark.data
def test_imdb_vocabulary(shared_data: Path) -> None:
    with gzip.open(shared_data / "imdb" / "train.csv.gz", "rb") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        reviews = [row["text"] for _, row in zip(range(1500), rows, strict=False)]
    token_lists = WordTokenizer().tokenize_many(reviews)
    vocab = Vocab.build(token_lists, min_freq=3, max_size=60_000)
    assert len(vocab) % 8 == 0
    assert vocab.itos[N_SPECIAL : N_SPECIAL + 3] == ["the", ".", ","]  # English's most frequent tokens
    assert vocab.unknown_share(token_lists) < 0.05
    ids, _ = vocab.encode_many(token_lists)
    assert len(ids) == sum(map(len, token_lists)) and int(ids.max()) < len(vocab)
