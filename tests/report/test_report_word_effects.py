"""The text report's words behind the predictions: a few texts, each word shaded by its occlusion effect."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_browser import dump_dom

from text_samples import BAD, GOOD, reviews
from trainwell.report import build_report
from trainwell.text import fit_texts

SECTION = "<h2>Words behind the predictions</h2>"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("texts") / "model"
    frame = reviews(300, 0, shuffle=True)
    fit_texts(
        frame, text_col="review", target="sentiment", out=out, epochs=6, lr=0.3, ngrams=1, progress=False
    )
    return out


def section_of(html: str) -> str:
    return html.split(SECTION, 1)[1].split("</section>", 1)[0]


def shown_texts(section: str) -> list[list[tuple[float, str]]]:
    """Each shaded text's words with their effects, read back from the spans' titles."""
    blocks = section.split('<div style="border')[1:]
    return [
        [
            (float(effect), word)
            for effect, word in re.findall(r'<span title="([-+][0-9.]+)[^"]*"[^>]*>([^<]*)</span>', block)
        ]
        for block in blocks
    ]


def test_the_report_shades_the_words_behind_a_few_predictions(model_dir: Path, tmp_path: Path) -> None:
    rows = reviews(60, 1, shuffle=True)
    # A long text the model gets wrong with confidence ('awful' decides it; the label says pos), with markup.
    rows.loc[0] = [" ".join(["<b>the</b> film"] * 35 + ["awful"]), "pos"]
    path = tmp_path / "labelled.csv"
    rows.to_csv(path, index=False)
    html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    section = section_of(html)
    assert (
        "measured by occlusion" in section
        and "Red: the word pushed" in section
        and "blue: against" in section
    )
    assert "&lt;b&gt;the&lt;/b&gt;" in section and "<b>" not in section
    texts = shown_texts(section)
    assert len(texts) == 6
    assert "row 1: wrong; predicted neg" in section
    # Only the first 60 words of the long text are measured, and the note says so; 'awful' (word 71) is not.
    assert "(the first 60 of its 71 words)" in section and len(texts[0]) == 60
    for words in texts[1:]:
        effect, word = max(words)
        assert word in GOOD + BAD and effect > 0, words  # the one sentiment word pushed the prediction most
    table = section.split("<tbody>", 1)[1]
    assert re.search(r"<td>(pos|neg)</td><td>towards</td><td>(" + "|".join(GOOD + BAD) + r")</td>", table)


def test_the_section_renders_in_headless_chromium(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    reviews(40, 3, shuffle=True).to_csv(path, index=False)
    dom = dump_dom(build_report(model_dir, path, tmp_path / "report.html"), tmp_path / "profile")
    section = dom.split('<section id="word-effects">', 1)[1].split("</section>", 1)[0]
    assert "Words behind the predictions" in section
    assert len(re.findall(r"background: rgba\(214, 39, 40", section)) >= 6  # a red word at least each text


def topics(n: int, seed: int) -> pd.DataFrame:
    """Texts of one topic word (sport or food) among filler words, labelled by it."""
    rng = np.random.default_rng(seed)
    filler = ["today", "we", "saw", "the", "and", "a", "dog", "very", "old", "new"]
    words = {"sport": "goal", "food": "soup"}
    labels = ["sport", "food"] * (n // 2)
    texts = [" ".join([*rng.choice(filler, 6).tolist(), words[label]]) for label in labels]
    return pd.DataFrame({"text": texts, "topic": labels})


def test_a_multilabel_report_explains_the_likeliest_label(tmp_path: Path) -> None:
    out = tmp_path / "model"
    fit_texts(
        topics(200, 0), text_col="text", target="topic", label_delim="|", out=out, epochs=6, progress=False
    )
    path = tmp_path / "valid.csv"
    topics(20, 1).to_csv(path, index=False)
    section = section_of(build_report(out, path, tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Which words drove the likeliest label" in section and "likeliest label sport" in section
    assert "actual labels: sport" in section
