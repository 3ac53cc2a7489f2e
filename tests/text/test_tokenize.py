"""Word and subword tokenisation: the special-token rules, detokenize, configs, input checks, text files."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import time
from pathlib import Path

import pytest
import torch

from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.text import SPECIAL_TOKENS, SubwordTokenizer, WordTokenizer, detokenize, read_text_files
from trainwell.text.tokenize import validate_texts

REVIEWS = [
    "I didn't like this movie at all. The plot was thin and the acting was WORSE!!!!<br /><br />Avoid it.",
    "What a wonderful film. The cast is great, the music is great, and the ending made me cry.",
    "It's not a bad film, but it isn't good either. I'd give it 5/10 at most.",
    "The director's first film was much better; this one is boring, boring, boring.",
    "Honestly? One of the best films I have seen this year. Go and see it in a cinema!",
    "The actors can't save a script this weak. I won't watch it again.",
]


def tokenize(text: str, **config: object) -> list[str]:
    return WordTokenizer(**config).tokenize(text)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ rules
def test_capitalisation_marks() -> None:
    assert tokenize("The cat SAW a BIG dog, I think") == [
        "xxbos", "xxmaj", "the", "cat", "xxup", "saw", "a", "xxup", "big", "dog", ",", "xxmaj", "i", "think",
    ]  # fmt: skip


def test_character_repetition_keeps_the_count_and_leaves_numbers_alone() -> None:
    assert tokenize("great!!!!! sooooo 10000", add_bos=False) == [
        "great", "xxrep", "5", "!", "s", "xxrep", "5", "o", "10000",
    ]  # fmt: skip
    assert tokenize("NOOOO", add_bos=False) == ["xxmaj", "n", "xxrep", "4", "o"]
    assert tokenize("wow!!", add_bos=False) == ["wow", "!", "!"]  # below the threshold of 3
    assert tokenize("hmmmm", add_bos=False, min_char_repeat=None) == ["hmmmm"]


def test_word_repetition() -> None:
    assert tokenize("it was very very very bad", add_bos=False) == ["it", "was", "xxwrep", "3", "very", "bad"]
    assert tokenize("Very Very Very", add_bos=False) == ["xxwrep", "3", "xxmaj", "very"]
    assert tokenize("that that is", add_bos=False) == ["that", "that", "is"]  # two is not a repetition


def test_punctuation_contractions_numbers_and_initialisms() -> None:
    tokens = tokenize("I don't know, it's 7/10 (U.S. version) - can't say; we'll see...", add_bos=False)
    assert tokens == [
        "xxmaj", "i", "do", "n't", "know", ",", "it", "'s", "7/10", "(", "xxup", "u.s.", "version", ")", "-",
        "ca", "n't", "say", ";", "we", "'ll", "see", "xxrep", "3", ".",
    ]  # fmt: skip
    assert tokenize("DON'T", add_bos=False) == ["xxup", "do", "xxup", "n't"]
    assert tokenize("1,000 people paid $3.50", add_bos=False) == ["1,000", "people", "paid", "$", "3.50"]


def test_html_leftovers_from_imdb() -> None:
    text = "Bad.<br /><br />Really <i>bad</i> &amp; boring.<BR>The end"
    assert tokenize(text, add_bos=False) == [
        "xxmaj", "bad", ".", "\n", "xxmaj", "really", "bad", "&", "boring", ".", "\n", "xxmaj", "the", "end",
    ]  # fmt: skip
    assert "\n" not in tokenize(text, keep_newlines=False)
    assert tokenize("a <unk> b", add_bos=False) == ["a", "xxunk", "b"]  # the Penn Treebank's marker
    assert tokenize("a<br />b", fix_html=False, keep_newlines=False, add_bos=False) == [
        "a", "<", "br", "/", ">", "b",
    ]  # fmt: skip


def test_bos_eos_and_case_options() -> None:
    assert tokenize("Hi there", add_eos=True) == ["xxbos", "xxmaj", "hi", "there", "xxeos"]
    assert tokenize("Hi THERE", case="lower", add_bos=False) == ["hi", "there"]
    assert tokenize("Hi THERE", case="keep", add_bos=False) == ["Hi", "THERE"]
    assert tokenize("line one\n\n\nline two", add_bos=False) == ["line", "one", "\n", "line", "two"]


def test_every_special_token_has_its_fixed_place() -> None:
    assert SPECIAL_TOKENS == ("xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxmaj", "xxup", "xxrep", "xxwrep")


# ------------------------------------------------------------------------------------------ detokenize
@pytest.mark.parametrize(
    "text",
    [
        "I didn't like it!!!! Avoid it.",
        "The U.S. version is 7/10, not bad (really).",
        'He said "great" and left; we\'ll see.',
        "It was very very very bad.\nSO BAD",
        "Nooooo! Why?",
    ],
)
def test_detokenize_undoes_the_rules(text: str) -> None:
    assert detokenize(tokenize(text, add_eos=True)) == text


def test_detokenize_drops_padding_and_fillers() -> None:
    assert detokenize(["xxbos", "xxmaj", "hello", "xxpad", "xxfake3", "world", "xxpad"]) == "Hello world"


def test_detokenize_survives_odd_sampled_sequences() -> None:
    assert detokenize(["wow", "xxrep", "99999999", "!"]) == "wow" + "!" * 1000  # counts are capped
    assert detokenize(["xxrep", "²", "!"]) == "xxrep ²!"  # a malformed repetition stays as it is
    # A case mark with no word after it marks nothing: dropped, with or without a line break before the end.
    assert detokenize(["the", "xxmaj"]) == "the" and detokenize(["the", "xxmaj", "\n"]) == "the\n"
    # Stacked case marks, or a dropped token between a mark and its word, still mark the word (a weak language
    # model printed "Xxup soften" for "xxmaj xxup soften").
    assert detokenize(["romeo", "xxmaj", "xxup", "soften", "xxup", "xxmaj", "one"]) == "romeo SOFTEN ONE"
    assert (
        detokenize(["xxmaj", "xxbos", "the", "xxmaj", "xxrep", "3", "!"]) == "The!!!"
    )  # a mark before a repeat drops


# ------------------------------------------------------------------------------------------ configs
def test_word_tokenizer_config_round_trips_through_json() -> None:
    tokenizer = WordTokenizer(case="lower", min_char_repeat=4, min_word_repeat=None, add_eos=True)
    rebuilt = WordTokenizer.from_dict(json.loads(json.dumps(tokenizer.to_dict())))
    assert rebuilt == tokenizer
    assert rebuilt.tokenize(REVIEWS[0]) == tokenizer.tokenize(REVIEWS[0])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"case": "upper"}, "case must be one of mark, lower, keep; got 'upper'"),
        ({"min_char_repeat": 1}, "min_char_repeat must be a whole number >= 2"),
        ({"add_bos": "yes"}, "add_bos must be True or False"),
    ],
)
def test_bad_word_tokenizer_settings(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WordTokenizer(**config)  # type: ignore[arg-type]


def test_unknown_setting_in_a_stored_config() -> None:
    with pytest.raises(ConfigError, match=r"unknown word tokenizer settings \['lowercase'\]"):
        WordTokenizer.from_dict({"lowercase": True})


# ------------------------------------------------------------------------------------------ bad input
def test_bad_texts_are_reported_by_position() -> None:
    tokenizer = WordTokenizer()
    with pytest.raises(DataError, match=r"^texts is empty; pass at least one text$"):
        tokenizer.tokenize_many([])
    with pytest.raises(DataError, match=r"texts\[1\] is empty or only whitespace; .* drop_empty=True"):
        tokenizer.tokenize_many(["fine", "  \n ", "fine too"])
    with pytest.raises(DataError, match=r"texts\[2\] is float \(nan\), not a string"):
        tokenizer.tokenize_many(["a", "b", float("nan")])
    with pytest.raises(DataError, match="texts is a single string; pass a list of texts"):
        tokenizer.tokenize_many("just one text")
    with pytest.raises(DataError, match="all 2 texts are empty"):
        tokenizer.tokenize_many(["", " "], drop_empty=True)


def test_drop_empty_keeps_the_positions_of_the_kept_texts() -> None:
    kept, positions = validate_texts(["a", "", "b", "\t"], drop_empty=True)
    assert (kept, positions) == (["a", "b"], [0, 2])
    assert WordTokenizer().tokenize_many(["a", "", "b"], drop_empty=True) == [["xxbos", "a"], ["xxbos", "b"]]


def test_bad_n_workers() -> None:
    with pytest.raises(ConfigError, match="n_workers must be a whole number >= 1"):
        WordTokenizer().tokenize_many(["a"], n_workers=0)


def test_two_workers_give_the_same_tokens_as_one() -> None:
    texts = [f"{review} (copy {i})" for i in range(400) for review in REVIEWS][:2400]
    tokenizer = WordTokenizer()
    assert tokenizer.tokenize_many(texts, n_workers=2) == tokenizer.tokenize_many(texts)


# ------------------------------------------------------------------------------------------ files
def test_read_text_files_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "pos").mkdir()
    (tmp_path / "pos" / "b.txt").write_text("Great film.", encoding="utf-8")
    (tmp_path / "a.txt").write_bytes("\ufeffCafé au lait".encode())  # a byte-order mark is dropped
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    texts = read_text_files(tmp_path)
    assert texts == {tmp_path / "a.txt": "Café au lait", tmp_path / "pos" / "b.txt": "Great film."}
    assert list(read_text_files(tmp_path, recursive=False)) == [tmp_path / "a.txt"]
    # Gzipped text files too (Tiny Shakespeare's input.txt.gz was "no .txt files" in its folder).
    (tmp_path / "pos" / "c.txt.gz").write_bytes(gzip.compress(b"Loved it."))
    assert read_text_files(tmp_path)[tmp_path / "pos" / "c.txt.gz"] == "Loved it."
    assert list(read_text_files(tmp_path / "pos")) == [
        tmp_path / "pos" / "b.txt",
        tmp_path / "pos" / "c.txt.gz",
    ]


def test_non_utf8_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("fine", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    with pytest.raises(
        DataError,
        match=r"latin\.txt' is not utf-8 text \(byte 0xe9 on line 1\).*encoding_errors=\"replace\"\)$",
    ):
        read_text_files(tmp_path)
    assert (
        read_text_files(tmp_path, encoding_errors="replace")[tmp_path / "latin.txt"] == "Caf\ufffd cr\ufffdme"
    )


def test_read_text_files_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist or is not a folder"):
        read_text_files(tmp_path / "missing")
    a_file = tmp_path / "one.txt"
    a_file.write_text("a text", encoding="utf-8")
    with pytest.raises(
        DataError, match=f"^text folder {re.escape(str(a_file))} does not exist or is not a folder; pass"
    ):
        read_text_files(a_file)
    a_file.unlink()
    with pytest.raises(DataError, match=r"has no \.txt files"):
        read_text_files(tmp_path)
    with pytest.raises(ConfigError, match="encoding_errors must be 'strict' or 'replace'; got 'ignore'"):
        read_text_files(tmp_path, encoding_errors="ignore")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ subwords
CORPUS = [f"{review} {other}" for review in REVIEWS for other in REVIEWS] * 3


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_subword_training_and_json_round_trip(kind: str) -> None:
    tokenizer = SubwordTokenizer.train(CORPUS, kind=kind, vocab_size=150, min_frequency=1)  # type: ignore[arg-type]
    ids = [tokenizer.tokenizer.token_to_id(token) for token in SPECIAL_TOKENS]
    assert ids == list(range(len(SPECIAL_TOKENS)))
    assert len(tokenizer) % 8 == 0 and len(tokenizer) >= tokenizer.n_pieces

    data = json.loads(json.dumps(tokenizer.to_dict()))
    assert isinstance(data["tokenizer"], str)  # the model travels as JSON text, never pickled
    rebuilt = SubwordTokenizer.from_dict(data)
    new_text = "The music wasn't great, but the cast was WONDERFUL!!!!"
    assert rebuilt.encode(new_text) == tokenizer.encode(new_text)
    assert rebuilt.tokenize(new_text) == tokenizer.tokenize(new_text)

    encoded = tokenizer.encode(REVIEWS[0])
    assert encoded[:2] == [SPECIAL_TOKENS.index("xxbos"), SPECIAL_TOKENS.index("xxmaj")]
    assert (
        tokenizer.decode(encoded)
        == "I didn't like this movie at all. The plot was thin and the acting was WORSE!!!!\nAvoid it."
    )
    assert tokenizer.decode(torch.tensor(tokenizer.encode(new_text))) == new_text


def test_subword_encode_many_matches_encode() -> None:
    tokenizer = SubwordTokenizer.train(CORPUS, kind="bpe", vocab_size=120, min_frequency=1)
    ids, offsets = tokenizer.encode_many(REVIEWS)
    assert ids.dtype == offsets.dtype == torch.int64
    assert offsets.shape == (len(REVIEWS) + 1,)
    for index, text in enumerate(REVIEWS):
        assert ids[offsets[index] : offsets[index + 1]].tolist() == tokenizer.encode(text)
    assert len(tokenizer.itos()) == len(tokenizer)


def test_subword_bad_settings_and_stored_data() -> None:
    with pytest.raises(ConfigError, match="kind must be 'bpe' or 'unigram'; got 'wordpiece'"):
        SubwordTokenizer.train(REVIEWS, kind="wordpiece")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="vocab_size must be a whole number >= 18"):
        SubwordTokenizer.train(REVIEWS, vocab_size=10)
    with pytest.raises(DataError, match=r"texts\[0\] is empty"):
        SubwordTokenizer.train(["", "text"])
    data = SubwordTokenizer.train(CORPUS, vocab_size=60, min_frequency=1).to_dict()
    with pytest.raises(ArtifactError, match=r"missing keys \['tokenizer'\]"):
        SubwordTokenizer.from_dict({key: value for key, value in data.items() if key != "tokenizer"})
    with pytest.raises(ArtifactError, match="cannot be read"):
        SubwordTokenizer.from_dict({**data, "tokenizer": "{not json"})
    tokenizer = SubwordTokenizer.from_dict(data)
    with pytest.raises(DataError, match="id 999 is outside the subword vocabulary"):
        tokenizer.decode([2, 999])


# ------------------------------------------------------------------------------------------ real data
def _imdb_reviews(shared_data: Path, n: int) -> list[str]:
    with gzip.open(shared_data / "imdb" / "train.csv.gz", "rb") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        return [row["text"] for _, row in zip(range(n), rows, strict=False)]


@pytest.mark.data
def test_imdb_reviews_tokenize_cleanly(shared_data: Path) -> None:
    reviews = _imdb_reviews(shared_data, 2000)
    start = time.perf_counter()
    token_lists = WordTokenizer().tokenize_many(reviews)
    seconds = time.perf_counter() - start
    n_tokens = sum(map(len, token_lists))
    print(
        f"word tokenizer: {n_tokens} tokens from {len(reviews)} reviews, {n_tokens / seconds:,.0f} tokens/s"
    )
    assert n_tokens > 200 * len(reviews)  # IMDB reviews average ~230 words, more tokens with punctuation
    assert all(tokens[0] == "xxbos" for tokens in token_lists)
    flat = [token for tokens in token_lists for token in tokens]
    assert not any("<br" in token or token == "br" for token in flat)  # the HTML is gone
    assert all(token == token.lower() for token in flat)
    assert {"xxmaj", "xxup", "xxrep", "\n"} <= set(flat)


@pytest.mark.data
def test_ptb_lines_map_unk_and_round_trip(shared_data: Path) -> None:
    with gzip.open(shared_data / "ptb" / "ptb.valid.txt.gz", "rt", encoding="utf-8") as stream:
        lines = [line.strip() for _, line in zip(range(300), stream, strict=False) if line.strip()]
    tokenizer = WordTokenizer(case="lower", min_word_repeat=None, add_bos=False)
    token_lists = tokenizer.tokenize_many(lines)
    assert all("<" not in token for tokens in token_lists for token in tokens)
    assert any("xxunk" in tokens for tokens in token_lists)
    # Nothing is lost: the rules only split words (at&t -> at & t) and rename the <unk> marker.
    for line, tokens in zip(lines, token_lists, strict=True):
        assert "".join(tokens) == "".join(line.lower().replace("<unk>", "xxunk").split()), line
