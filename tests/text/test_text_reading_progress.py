"""Tokenizing a large set of texts says how it goes on standard error (IMDB's 25,000 reviews were read for over a
minute in silence), in parts whose ids are those of one whole encoding."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

import trainwell.text.data as text_module
from trainwell.data.reading_progress import ReadingProgress
from trainwell.text.data import _encoded, text_data


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    words = np.array(["good", "bad", "film", "plot", "cast", "dull", "fine", "rain"])
    texts = [" ".join(rng.choice(words, rng.integers(1, 12))) + f" n{i}" for i in range(n)]
    return pd.DataFrame({"text": texts, "label": rng.choice(["pos", "neg"], n)})


@pytest.mark.parametrize("batch_format", ["bag", "padded"])
def test_texts_encoded_in_parts_get_the_ids_of_one_encoding(batch_format: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = text_data(_frame(300), "label", batch_format=batch_format, progress=False)
    texts = _frame(9000)["text"].tolist()
    whole = data.recipe.encode_counted(texts)  # type: ignore[union-attr]
    reading = ReadingProgress(len(texts), noun="texts", doing="tokenizing", enabled=False)
    parts = _encoded(data.recipe, texts, 1, reading)  # type: ignore[arg-type]
    assert reading.done == 9000
    for got, expected in zip(parts, whole, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_a_long_tokenizing_says_a_line_and_a_closing_one(monkeypatch: pytest.MonkeyPatch) -> None:
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
    monkeypatch.setattr(text_module, "_TOKENIZED_AT_ONCE", 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = text_data(_frame(2000), "label", valid_pct=0.2)
    lines = out.getvalue().splitlines()
    assert lines and lines[0].startswith("reading texts: ") and "/ 2,000 (tokenizing, " in lines[0], lines
    assert lines[-1].startswith("read 2,000 texts in "), lines
    assert made[-1].done == 2000 and data.valid is not None  # made[0]: the vocabulary's reading
    out.truncate(0)
    made.clear()
    text_data(_frame(2000), "label", valid_pct=0.2, progress=False)
    assert out.getvalue() == "" and not any(reading.enabled for reading in made)


def test_the_reading_writes_durations_as_the_budget_does() -> None:
    from trainwell.callbacks.budget import format_duration
    from trainwell.data import reading_progress

    for seconds in (0.0, 0.001, 0.4, 9.96, 45.2, 59.6, 592, 3599.6, 5400, 7261):
        assert reading_progress.format_duration(seconds) == format_duration(seconds), seconds
