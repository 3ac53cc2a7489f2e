"""Raw text to a tagger (tour54 F8): ``<br />`` is read as a space, not as the words ``< br / >``, with offsets
still into the text given; a line of more than LONG_SENTENCE_WORDS words (a pasted document) is said once, by
its line, as the tagger reads each line as one sentence."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagging_samples import export_small_tagger
from trainwell.cli.app import app
from trainwell.export import load
from trainwell.text.tagging.predictor import LONG_SENTENCE_WORDS, without_markup
from trainwell.text.tagging.words import split_words

pytestmark = pytest.mark.filterwarnings("ignore:.*most-frequent-tag baseline")

LONG = " ".join(["Mary works in Paris ."] * 70)  # 350 words on one line


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_small_tagger(tmp_path_factory.mktemp("tagger"))


def test_html_tags_are_blanked_keeping_offsets() -> None:
    text = "Mary left.<br /><br />She <i>works</i> in Paris.<BR>"
    blanked = without_markup(text)
    assert len(blanked) == len(text)
    spans = split_words(blanked)
    assert [word for word, _, _ in spans] == ["Mary", "left", ".", "She", "works", "in", "Paris", "."]
    assert all(text[start:end] == word for word, start, end in spans)  # offsets into the text as given
    assert without_markup("if a < b and c > d") == "if a < b and c > d"  # no tag: untouched


def test_python_tag_reads_br_as_a_space_and_warns_of_a_long_text(tagger: Path, tmp_path: Path) -> None:
    predictor = load(tagger)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        short, long = predictor.tag(["Mary left.<br /><br />She works.", LONG])
    assert short.words == ["Mary", "left", ".", "She", "works", "."]
    assert short.text == "Mary left.<br /><br />She works."
    assert len(long.words) == 350 > LONG_SENTENCE_WORDS
    said = [str(w.message) for w in caught if "words" in str(w.message)]
    assert len(said) == 1 and said[0].startswith(
        "text 1 has 350 words: the tagger reads each text as one sentence"
    )
    lines = tmp_path / "lines.txt"
    lines.write_text(f"Mary left.\n\n{LONG}\n{LONG} Paris\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictor.tag(lines)
    said = [str(w.message) for w in caught if "words" in str(w.message)]
    assert said == [
        "line 4 has 351 words (and 1 more over 300): the tagger reads each line as one sentence, slowly when it "
        "is long; split sentences onto lines of their own"
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictor.tag(["Mary left.", ["Mary"] * 400])  # words given: the caller split them
    assert not [w for w in caught if "words" in str(w.message)]


def test_the_cli_warns_once_by_line_and_drops_br(tagger: Path, tmp_path: Path) -> None:
    source = tmp_path / "reviews.txt"
    source.write_text(f"Mary left.<br /><br />She works.\n\n{LONG}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(tagger), str(source)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert result.output.count("has 350 words") == 1
    assert "line 3 has 350 words: the tagger reads each line as one sentence" in result.output
    rows = [line for line in result.output.splitlines() if line.startswith(("1,", "3,"))]
    assert rows[0].split(",")[1] == "Mary left . She works ."  # the words column: no < br / >
    assert rows[1].startswith("3,Mary works in Paris")
