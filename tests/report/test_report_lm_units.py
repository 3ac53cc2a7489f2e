"""The report of a character-level language model said "word" throughout: "as unsure as a choice among 40
equally likely words", "Its first guess of the next word", a "next-word accuracy" column, bands named "the 100 most
frequent words" and "Marked words ... unknown-word token". Each line now names what the model predicts one of
(``predicted_unit``): characters for ``--tokenizer char``, words still for a word model."""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import pytest

from text_samples import stories
from trainwell.report import build_report
from trainwell.text.lm_learner import fit_language_model

TINY = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}


def _report_text(tokenizer: str, folder: Path) -> str:
    out = folder / f"{tokenizer}_lm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tiny model's baseline warning: not tested here
        fit_language_model(stories(80), valid=stories(20, seed=7), out=out, epochs=1, progress=False,
                           tokenizer=tokenizer, batch_size=8, bptt=24, min_freq=1, learner_kwargs=TINY)  # fmt: skip
        held = folder / "held.txt"
        # characters (and a word) training never met: the unknown-token lines are written too
        held.write_text("\n".join(stories(30, seed=11)) + "\nZebra §§ ünïcode\n", encoding="utf-8")
        page = build_report(out, held, folder / f"{tokenizer}.html").read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)  # the CSS's break-word
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", page)).split())


@pytest.fixture(scope="module")
def char_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _report_text("char", tmp_path_factory.mktemp("char_report"))


def test_a_character_models_report_never_says_words(char_report: str) -> None:
    said = re.findall(r"[^.]{0,60}\bwords?\b[^.]{0,60}", char_report, flags=re.I)
    assert not said, said
    assert "language model predicting each next character" in char_report
    assert re.search(r"as unsure as a choice among [\d,]+ equally likely characters \(of \d+", char_report)
    assert "Its first guess of the next character is right" in char_report
    assert "next-character accuracy" in char_report
    # a vocabulary of some 40 characters: one band, named by its size, never "the 100 most frequent characters"
    band = re.search(r"all (\d+) characters of the vocabulary", char_report)
    assert band
    # The header's size splits as the band counts: it said "72 tokens in its vocabulary" beside "all 62 characters".
    header = re.search(r"([\d,]+) tokens in its vocabulary: (\d+) characters and (\d+) markers", char_report)
    assert header and header.group(2) == band.group(1), header
    fillers = re.search(r"and (\d+) unused rows rounding the table up", char_report)
    total = int(header.group(2)) + int(header.group(3)) + (int(fillers.group(1)) if fillers else 0)
    assert int(header.group(1).replace(",", "")) == total
    assert "most frequent characters" not in char_report
    assert "unknown characters (xxunk)" in char_report and "characters outside the vocabulary" in char_report
    assert "marked: characters the model gave less than" in char_report
    assert "its unknown-character token" in char_report


def test_a_word_models_report_still_says_words(tmp_path: Path) -> None:
    said = _report_text("word", tmp_path)
    assert "language model predicting each next word" in said
    # a one-epoch word model may be worse than a uniform guess: the sentence's other branch, in words too
    assert re.search(r"equally likely words \(of [\d,]+|more than the [\d,]+ words of its vocabulary", said)
    assert "Its first guess of the next word is right" in said and "next-word accuracy" in said
    assert re.search(r"all [\d,]+ words of the vocabulary|the 100 most frequent words", said)
    assert "unknown words (xxunk)" in said
    assert "marked: words the model gave less than" in said and "their capital letter included" in said
    assert "character" not in said.replace("bits per character", "").replace("per character", "")
