"""A gold file with an entity tag that lacks its type (``I-`` alone) is refused by ``predict`` and ``report`` of a
tagger in the words ``fit`` refuses it with, by file and line, exit 2 (a user tour with bad input: predict had
printed the slip as a gold tag, report had called it a tag the model never learned)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli, run_cli_many

from tagging_samples import entity_sentences, export_small_tagger, write_conll_file
from trainwell.core.errors import DataError
from trainwell.text.tagging.conll import TaggedCorpus, gold_column, read_conll

pytestmark = pytest.mark.slow


def _gold_with_slips(path: Path) -> Path:
    sentences = entity_sentences(8, seed=3)
    sentences[2][1][0] = "I-"
    sentences[4][1][1] = "B-"
    return write_conll_file(path, sentences)


def _lines_of_slips(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return [number for number, line in enumerate(lines, start=1) if line.endswith((" I-", " B-"))]


def test_gold_column_refuses_a_typeless_tag_naming_the_file_and_line(tmp_path: Path) -> None:
    path = _gold_with_slips(tmp_path / "gold.conll")
    first, second = _lines_of_slips(path)
    corpus = read_conll(path)
    classes = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    expected = f"{path}, line {first}: tag 'I-' has no entity type; fix it (1 more tag lacks one: {path}, line {second})"
    for tag_col in ("tag", "ner"):  # the model's own column, and the file's own read as gold
        with pytest.raises(DataError) as caught:
            gold_column(corpus, tag_col, classes)
        assert str(caught.value) == expected
    clean = read_conll(write_conll_file(tmp_path / "clean.conll", entity_sentences(8, seed=3)))
    assert gold_column(clean, "tag", classes) == "tag"
    made = TaggedCorpus([[("EU", "B-ORG"), ("x", "I-")]], ("token", "tag"), "conll", "pairs")
    with pytest.raises(DataError, match=r"^pairs, sentence 1, word 2: tag 'I-' has no entity type; fix it$"):
        gold_column(made, "tag", classes)


def test_predict_and_report_refuse_it_in_fits_words(tmp_path: Path) -> None:
    tagger = export_small_tagger(tmp_path)
    gold = _gold_with_slips(tmp_path / "gold.conll")
    first, second = _lines_of_slips(gold)
    fit, predict, report = run_cli_many(
        [
            ["fit", gold, "--out", tmp_path / "refit", "--epochs", "1"],
            ["predict", tagger, gold],
            ["report", tagger, "--data", gold, "--out", tmp_path / "report.html"],
        ]
    )
    expected = (
        f"error: {gold}, line {first}: tag 'I-' has no entity type; fix it (1 more tag lacks one: {gold}, "
        f"line {second})"
    )
    for result in (fit, predict, report):
        assert result.returncode == 2, result.explain()
        assert result.stderr_lines == [expected], result.explain()
        assert result.stdout == ""
    assert not (tmp_path / "report.html").exists()
    clean = write_conll_file(tmp_path / "clean.conll", entity_sentences(8, seed=3))
    done = run_cli("predict", tagger, clean)
    assert done.returncode == 0 and done.stdout.startswith("sentence,word,tag,prediction"), done.explain()
