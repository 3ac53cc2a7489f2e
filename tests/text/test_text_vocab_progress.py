"""Reading the training texts for the vocabulary says how it goes, as their encoding does: IMDB's 20,000 training
reviews were read for 12 s (47 s on a busy machine) before any line, which came only with the encoding."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from trainwell.data.reading_progress import ReadingProgress
from trainwell.text.data import text_data
from trainwell.text.specials import SPECIAL_TOKENS
from trainwell.text.tokenize import WordTokenizer


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    words = np.array(["good", "bad", "film", "plot", "cast", "dull", "fine", "rain"])
    texts = [" ".join(rng.choice(words, rng.integers(1, 12))) + f" n{i}" for i in range(n)]
    return pd.DataFrame({"text": texts, "other": texts[::-1], "label": rng.choice(["pos", "neg"], n)})


@pytest.mark.parametrize("n_workers", [1, 2])
def test_tokenize_many_tells_every_text_and_keeps_the_tokens(n_workers: int) -> None:
    texts = _frame(2500)["text"].tolist()
    told: list[int] = []
    tokenizer = WordTokenizer()
    tokens = tokenizer.tokenize_many(texts, n_workers=n_workers, progress=told.append)
    assert tokens == tokenizer.tokenize_many(texts)
    assert sum(told) == 2500
    assert len(told) >= 3  # in steps, not once at the end
    if n_workers == 1:
        assert told == [1024, 1024, 452]


def _captured(monkeypatch: pytest.MonkeyPatch) -> tuple[io.StringIO, list[ReadingProgress]]:
    now = [0.0]

    def clock() -> float:
        now[0] += 1.5  # every look at the clock: 1.5 s more
        return now[0]

    out = io.StringIO()
    made: list[ReadingProgress] = []

    class Captured(ReadingProgress):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, clock=clock, stream=out, terminal=False, **kwargs)
            made.append(self)

    monkeypatch.setattr("trainwell.data.reading_progress.ReadingProgress", Captured)
    monkeypatch.setattr("trainwell.text.tokenize._PROGRESS_EVERY", 100)
    return out, made


def test_building_the_vocabulary_says_a_line_before_the_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    out, made = _captured(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text_data(_frame(2000), "label", valid_pct=0.2)
    lines = out.getvalue().splitlines()
    assert (
        lines[0].startswith("reading training texts: ") and "/ 1,600 (building the vocabulary, " in lines[0]
    )
    closing = lines.index(next(line for line in lines if line.startswith("read 1,600 training texts in ")))
    assert all(not line.startswith("reading texts: ") for line in lines[:closing]), lines
    assert made[0].done == 1600

    out.truncate(0), out.seek(0), made.clear()
    vocab = [*SPECIAL_TOKENS, "good", "bad", "film"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text_data(_frame(2000), "label", valid_pct=0.2, vocab=vocab)
    assert "(counting words, " in out.getvalue().splitlines()[0]

    out.truncate(0), out.seek(0), made.clear()
    text_data(_frame(2000), "label", valid_pct=0.2, progress=False)
    assert out.getvalue() == "" and made[0].done == 1600 and not made[0].enabled


def test_a_pair_of_texts_counts_rows_not_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    out, made = _captured(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text_data(_frame(1000), "label", text_col=["text", "other"], valid_pct=0.2)
    assert made[0].noun == "training texts" and made[0].done == 800
    assert "read 800 training texts in " in out.getvalue()


@pytest.mark.parametrize(
    ("batch_format", "step", "extra"),
    [("bag", 4096, {}), ("padded", 4096, {}), ("bag", 100, {}), ("bag", 4096, {"tokenizer": "subword"})],
)
def test_the_training_texts_are_tokenized_once_and_encoded_alike(
    monkeypatch: pytest.MonkeyPatch, batch_format: str, step: int, extra: dict
) -> None:
    # The vocabulary's reading of the training texts is encoded as is: IMDB's 20,000 training reviews were
    # tokenized twice, for the vocabulary and again for their ids. A fresh encoding gives the same ids.
    import trainwell.text.data as text_module

    monkeypatch.setattr(text_module, "_TOKENIZED_AT_ONCE", step)  # 100: the training texts encoded in parts
    calls: list[int] = []
    many = WordTokenizer.tokenize_many

    def counted(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        texts = list(texts)
        calls.append(len(texts))
        return many(self, texts, **kwargs)

    monkeypatch.setattr(WordTokenizer, "tokenize_many", counted)
    frame = _frame(1500)
    frame.loc[3, "text"] = "A LONG one , with CAPS and !!! " * 40  # cut at max_len when padded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = text_data(frame, "label", valid_pct=0.2, batch_format=batch_format, progress=False, **extra)
    assert data.valid is not None and data.recipe is not None
    if "tokenizer" not in extra:
        assert calls == [1200, 300] if step > 1200 else (calls[0] == 1200 and sum(calls[1:]) == 300), calls
    for loader, texts in ((data.train, data.texts["train"]), (data.valid, data.texts["valid"])):
        ids, offsets, _ = data.recipe.encode_counted(texts)
        np.testing.assert_array_equal(loader.ids, ids)  # type: ignore[union-attr]
        np.testing.assert_array_equal(loader.offsets, offsets)  # type: ignore[union-attr]


def test_tokens_are_refused_where_the_recipe_reads_otherwise() -> None:
    from trainwell.core.errors import ConfigError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = text_data(_frame(300), "label", progress=False)
        pairs = text_data(_frame(300), "label", text_col=["text", "other"], progress=False)
    with pytest.raises(ConfigError, match="tokens= holds 1 token lists for 2 texts"):
        data.recipe.encode_counted(["a b", "c"], tokens=[["a", "b"]])  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="tokens= is for a word tokenizer's recipe of one text field"):
        pairs.recipe.encode_counted(["a", "b"], tokens=[["a"], ["b"]])  # type: ignore[union-attr]
