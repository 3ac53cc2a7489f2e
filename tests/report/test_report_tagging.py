"""The report of a tagger, judged on a labelled CoNLL file: scores with intervals over sentences, entity types,
error kinds, confused tags and the worst sentences with their mistakes marked; rendered by headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_browser import dump_dom

from tagging_samples import entity_sentences, write_conll_file
from trainwell.core.errors import DataError
from trainwell.report import build_report
from trainwell.report._tagging import entity_error_kinds
from trainwell.text import fit_tagger

SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-tagger") / "model"
    fit_tagger(entity_sentences(200, seed=1), valid=entity_sentences(30, seed=2), out=out, epochs=3,
               lr=2e-2, progress=False, arch_config=SMALL)  # fmt: skip
    return out


def test_report_scores_the_file_and_marks_the_mistakes(tagger_dir: Path, tmp_path: Path) -> None:
    test = write_conll_file(tmp_path / "test.conll", entity_sentences(40, seed=7))
    page = build_report(tagger_dir, test, tmp_path / "report.html")
    html = page.read_text()
    for heading in ("Metrics", "Entities by type", "Tags confused", "Sentences with the most mistakes"):
        assert f">{heading}<" in html
    assert "entity_f1" in html and "interval over 40 sentences" in html
    assert "data:image/png;base64," in html  # the confusion matrix, embedded


def test_a_file_without_the_tag_column_or_with_unknown_tags_is_refused(
    tagger_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "three.conll"
    bad.write_text("Mary B-PER x\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no 'tag' column"):
        build_report(tagger_dir, bad, tmp_path / "r.html")
    unknown = tmp_path / "unknown.conll"
    unknown.write_text("Mary B-PERSON\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="tags the model never learned: B-PERSON"):
        build_report(tagger_dir, unknown, tmp_path / "r.html")


def test_entity_error_kinds() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    predicted = [["B-PER", "O", "O", "B-ORG", "B-LOC", "O"]]
    kinds = entity_error_kinds(gold, predicted)
    # PER cut short, LOC read as ORG, a LOC where none is, the ORG missed
    assert kinds == {"wrong boundaries": 1, "wrong type": 1, "spurious": 1, "missed": 1}


def test_tagger_report_renders_in_headless_chromium(tagger_dir: Path, tmp_path: Path) -> None:
    test = write_conll_file(tmp_path / "test.conll", entity_sentences(20, seed=7))
    page = build_report(tagger_dir, test, tmp_path / "report.html")
    dom = dump_dom(page, tmp_path / "profile")
    assert "Sentences with the most mistakes" in dom and "Entities by type" in dom


def test_a_mistake_is_never_broken_across_lines_and_the_cut_is_marked() -> None:
    # Chromium broke "[Zimbabwe B-MISC→B-PER]" after the hyphen of B-MISC, leaving "B-" at a line's end.
    from trainwell.report._tagging import SENTENCE_CHARS, _worst_sentences

    words = ["Zimbabwe", "Open", "<b>", *["word"] * SENTENCE_CHARS]
    gold = ["B-MISC", "I-MISC", "O", *["O"] * SENTENCE_CHARS]
    predicted = ["B-PER", "I-MISC", "B-ORG", *["O"] * SENTENCE_CHARS]
    section = _worst_sentences([words], [gold], [predicted], k=3)
    assert (
        '<mark class="miss">Zimbabwe</mark><sub class="tags">B-MISC→B-PER</sub></span> Open' in section
        and section.count('<span class="nowrap"') == 2
    )
    assert (
        '<mark class="miss">&lt;b&gt;</mark><sub class="tags">O→B-ORG</sub>' in section
        and "<b>" not in section
    )
    cell = section.split('<td class="prose">')[1].split("</td>")[0]
    assert cell.endswith(" …") and len(re.sub(r"<[^>]+>", "", cell)) < SENTENCE_CHARS + 40


def test_worst_sentences_are_numbered_from_1_as_predict_numbers_them() -> None:
    # The report listed sentences 8 and 0 where trainwell predict (and the table reports) count from 1.
    from trainwell.report._tagging import _worst_sentences

    words = [["Mary", "sings"], ["Paris", "sleeps"], ["Bob", "runs"]]
    gold = [["B-PER", "O"], ["B-LOC", "O"], ["B-PER", "O"]]
    predicted = [["B-PER", "O"], ["B-PER", "O"], ["B-PER", "O"]]  # only the second sentence is wrong
    section = _worst_sentences(words, gold, predicted, k=3)
    assert '<tr><td class="number">2</td><td class="number">1</td>' in section and "counted from 1" in section
    assert (
        '<mark class="miss">Paris</mark><sub class="tags">B-LOC→B-PER</sub>' in section
        and "Mary" not in section
    )


def test_tags_no_word_of_the_file_has_are_left_blank_not_scored_0(tagger_dir: Path, tmp_path: Path) -> None:
    # CoNLL's test.txt subset had no ORG: the matrix showed B-ORG and I-ORG rows of 0.00, read as "0% right".
    no_groups = [s for s in entity_sentences(80, seed=7) if not any(t.endswith("ORG") for t in s[1])]
    test = write_conll_file(tmp_path / "test.conll", no_groups[:30])
    html = build_report(tagger_dir, test, tmp_path / "report.html").read_text()
    said = " ".join(html.split())
    assert "No word of this file is tagged B-ORG or I-ORG: their rows are left blank in the matrix" in said
