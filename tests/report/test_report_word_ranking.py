"""The table of the words behind a text classifier's predictions ranks words by their mean effect among those
seen in a few texts, not by their total or their count: on SST-2 the total put 'the', 'a' and 'and' first. The
line saying the section was cut appears only when the cut dropped a material share of the texts, with its
numbers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.report import _text, build_report
from trainwell.text import fit_texts

SECTION = "<h2>Words behind the predictions</h2>"
#: Words that decide the label, each rare: at most one a text.
SIGNAL = {
    "pos": [
        "great",
        "superb",
        "lovely",
        "brilliant",
        "moving",
        "charming",
        "witty",
        "best",
        "fine",
        "gripping",
    ],
    "neg": ["awful", "dull", "boring", "bad", "worst", "tedious", "bland", "clumsy", "lame", "messy"],
}
#: Frequent neutral words: every text holds them all, some twice.
FILLER = ["the", "a", "and", "of", "it", "is", "film", "this"]


def labelled(n: int, seed: int) -> pd.DataFrame:
    """``n`` texts, half pos: every filler word (in random order, some twice) and, in 60% of them, one signal
    word. A text without one is predicted by the filler alone, which the model leans towards one class: summed
    over the many texts holding them, the filler's small effects outweighed the rare signal words' large ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        label = "pos" if index % 2 == 0 else "neg"
        words = [*FILLER, *rng.choice(FILLER, 4).tolist()]
        if rng.random() < 0.6:
            words.append(str(rng.choice(SIGNAL[label])))
        rng.shuffle(words)
        rows.append((" ".join(words), label))
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ranking") / "model"
    fit_texts(labelled(400, 0), text_col="text", target="label", out=out, epochs=6, lr=0.3, ngrams=1,
              progress=False)  # fmt: skip
    return out


def section_of(page: Path) -> str:
    return html.unescape(page.read_text(encoding="utf-8").split(SECTION, 1)[1].split("</section>", 1)[0])


def table_rows(section: str) -> list[tuple[str, str, str, int, float]]:
    """The word table's rows: (class, pushes, word, texts, mean effect)."""
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        (label, pushes, word, int(texts), float(mean))
        for label, pushes, word, texts, mean in re.findall(
            r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td[^>]*>(\d+)</td><td[^>]*>\d+</td>"
            r"<td[^>]*>(-?[\d.]+)</td></tr>",
            body,
        )
    ]


def test_signal_words_rank_above_the_frequent_filler(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_text, "SECONDS", 120.0)  # a busy machine reads every text all the same
    path = tmp_path / "dev.csv"
    labelled(160, 1).to_csv(path, index=False)
    section = section_of(build_report(model_dir, path, tmp_path / "report.html"))
    assert (
        "Ranked by mean effect, among words in at least 3 texts of a class: for each class, the 8 words that "
        "raised its probability most on average, then the 4 that lowered it most." in section
    )
    assert "Read in 160 of the 160 texts (the 6 above and 154 more drawn at random)" in section
    assert "Cut to keep this section" not in section  # nothing was cut
    rows = table_rows(section)
    for label, signal in SIGNAL.items():
        towards = [(word, texts, mean) for row_label, pushes, word, texts, mean in rows
                   if row_label == label and pushes == "towards"]  # fmt: skip
        words = [word for word, _, _ in towards]
        assert all(word in signal or word in FILLER for word in words), (label, towards)
        # Each signal word listed (in 3 texts or more) comes before every filler word (in all of them).
        ranked = [word in signal for word in words]
        assert sum(ranked) >= 3 and ranked == sorted(ranked, reverse=True), (label, towards)
        assert all(texts >= 3 and mean > 0.15 for word, texts, mean in towards if word in signal), towards
        means = [mean for _, _, mean in towards]
        assert means == sorted(means, reverse=True)  # by mean, not by count or total


def test_the_cut_is_said_with_its_numbers_when_it_drops_many_texts(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_text, "SECONDS", 0.0)  # any machine is too slow: the cut is certain
    path = tmp_path / "dev.csv"
    labelled(40, 2).to_csv(path, index=False)
    section = section_of(build_report(model_dir, path, tmp_path / "report.html"))
    assert re.search(
        r"Cut to keep this section within about 0 s: it shades 2 of 6 texts \(6 would have taken about [\d.]+ s "
        r"here; the first took [\d.]+ s\); the word table reads 2 of 40 texts\.",
        section,
    ), re.findall(r"Cut[^<]*", section)
    # Two texts hold no word 3 times for a class: the table says so rather than rank one-off words.
    assert "Read in 2 of the 40 texts" in section and "no word is in 3 texts of one class" in section


@pytest.mark.parametrize(
    ("kept", "planned", "said"),
    [
        (845, 872, None),  # 3% dropped: no news
        (785, 872, None),  # 10%: still not said
        (784, 872, "the word table reads 784 of 872 texts"),
        (370, 872, "the word table reads 370 of 872 texts"),
        (0, 0, None),
    ],
)
def test_only_a_material_cut_is_said(kept: int, planned: int, said: str | None) -> None:
    assert _text.cut_words(kept, planned, "the word table reads") == said
