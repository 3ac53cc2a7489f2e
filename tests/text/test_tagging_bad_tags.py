"""A slip in one entity tag (``I-`` with no type, a bare ``PER``) among clean IOB tags: refused or warned of by
file and line, never a silent switch from entity F1 to tag accuracy; and the baselines a fit prints beside its
scores are those of the metrics it is scored on."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagging_samples import SMALL_TAGGER, entity_sentences, pos_sentences, write_conll_file
from trainwell.cli.app import app
from trainwell.core.errors import DataError
from trainwell.text import tagging_data, tagging_learner
from trainwell.text.tagging.conll import read_conll


def _with_tag(sentences, sentence: int, word: int, tag: str):
    changed = [(list(words), list(tags)) for words, tags in sentences]
    changed[sentence][1][word] = tag
    return changed


def _line_of(path: Path, sentence: int, word: int) -> int:
    """The line of ``word`` of ``sentence`` in a file written by write_conll_file, counted by hand."""
    lines = path.read_text(encoding="utf-8").split("\n")
    seen, inside = -1, False
    for number, line in enumerate(lines, start=1):
        if line and not inside:
            seen, inside, position = seen + 1, True, 0
        elif not line:
            inside = False
            continue
        else:
            position += 1
        if seen == sentence and position == word:
            return number
    raise AssertionError("no such word")


def test_a_typeless_i_tag_in_a_conll_file_is_refused_by_file_and_line(tmp_path: Path) -> None:
    sentences = _with_tag(entity_sentences(12, seed=1), 9, 2, "I-")
    path = write_conll_file(tmp_path / "broken_tag.conll", sentences)
    line = _line_of(path, 9, 2)
    assert path.read_text(encoding="utf-8").split("\n")[line - 1].endswith(" I-")
    with pytest.raises(DataError) as raised:
        tagging_data(path)
    assert str(raised.value) == f"{path}, line {line}: tag 'I-' has no entity type; fix it"


def test_the_cli_refuses_it_with_exit_2_and_names_every_further_slip(tmp_path: Path) -> None:
    sentences = entity_sentences(12, seed=1)
    for sentence, tag in ((3, "B-"), (5, "I-"), (6, "I-"), (7, "S-"), (8, "I-")):
        sentences = _with_tag(sentences, sentence, 0, tag)
    path = write_conll_file(tmp_path / "tags.conll", sentences)
    lines = [_line_of(path, s, 0) for s in (3, 5, 6, 7, 8)]
    result = CliRunner().invoke(
        app, ["fit", str(path), "--out", str(tmp_path / "m"), "--epochs", "1"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 2, result.output
    expected = (
        f"{path}, line {lines[0]}: tag 'B-' has no entity type; fix it (4 more tags lack one: "
        f"{path}, line {lines[1]}; {path}, line {lines[2]}; {path}, line {lines[3]}; and 1 more)"
    )
    assert expected in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_the_line_of_a_conllu_word_counts_multiword_tokens_and_comments(tmp_path: Path) -> None:
    rows = [
        "# sent_id = 1",
        "1\tEU\teu\tPROPN\t_\t_\t0\troot\t_\tB-ORG",
        "",
        "# sent_id = 2",
        "# text = Peter's at Acme",
        "1-2\tPeter's\t_\t_\t_\t_\t_\t_\t_\t_",
        "1\tPeter\tPeter\tPROPN\t_\t_\t0\troot\t_\tB-PER",
        "2\t's\tbe\tAUX\t_\t_\t1\tcop\t_\tO",
        "3\tat\tat\tADP\t_\t_\t4\tcase\t_\tI-",
        "4\tAcme\tAcme\tPROPN\t_\t_\t1\tobl\t_\tB-ORG",
        "",
    ]
    path = tmp_path / "ner.conllu"
    path.write_text("\n".join(rows), encoding="utf-8")
    corpus = read_conll(path)
    places = ((0, 0), (1, 0), (1, 1), (1, 3))
    assert [corpus.line_of(sentence, word) for sentence, word in places] == [2, 7, 8, 10]
    with pytest.raises(DataError, match=rf"^{path}, line 9: tag 'I-' has no entity type; fix it$"):
        tagging_data(path, tag_col="misc", valid_pct=0)


def test_pairs_in_python_are_named_by_position() -> None:
    sentences = _with_tag(entity_sentences(12, seed=1), 4, 1, "E-")
    with pytest.raises(DataError, match=r"^source\[4\], word 2: tag 'E-' has no entity type; fix it$"):
        tagging_data(sentences)
    valid = _with_tag(entity_sentences(6, seed=2), 2, 0, "I-")
    with pytest.raises(DataError, match=r"^valid\[2\], word 1: tag 'I-' has no entity type"):
        tagging_data(entity_sentences(12, seed=1), valid=valid)


def test_a_plain_tag_among_entity_tags_is_warned_of_with_its_line_and_the_metric_it_costs(
    tmp_path: Path,
) -> None:
    sentences = _with_tag(entity_sentences(12, seed=1), 2, 0, "PER")
    path = write_conll_file(tmp_path / "ner.conll", sentences)
    line = _line_of(path, 2, 0)
    with pytest.warns(UserWarning) as caught:
        data = tagging_data(path)
    said = [str(w.message) for w in caught if "neither O nor" in str(w.message)]
    assert len(said) == 1
    assert said[0].startswith(
        f"{path}, line {line}: tag 'PER' is neither O nor an entity tag such as B-PER, among "
    )
    assert "scored by tag accuracy instead of entity F1: fix it if the tags mark entities" in said[0]
    assert data.task.extra["scheme"] == "none" and "entity_f1" not in data.task.metric_names


def test_clean_entity_tags_and_part_of_speech_tags_pass_without_a_word(tmp_path: Path) -> None:
    for sentences in (entity_sentences(12, seed=1), pos_sentences(12, seed=1)):
        path = write_conll_file(tmp_path / "tags.conll", sentences)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tagging_data(path)
    from trainwell.text.tagging.scheme import tags_outside_scheme

    assert tags_outside_scheme([["NOUN", "B-PER"], ["O", "I-"]]) == (1, [(0, 0, "NOUN"), (1, 1, "I-")])


def test_a_fit_on_tags_read_as_plain_prints_only_the_baselines_of_its_metrics() -> None:
    train = _with_tag(entity_sentences(30, seed=1), 0, 0, "PER")
    with pytest.warns(UserWarning, match="neither O nor an entity tag"):
        data = tagging_data(train, valid=entity_sentences(10, seed=2), batch_size=16)
    learn = tagging_learner(data, arch_config=SMALL_TAGGER, progress=False)
    learn.fit_one_cycle(1)
    row = learn.history[-1]
    assert "tag_accuracy" in row and "tag_accuracy_baseline" in row
    assert "entity_f1" not in row and "entity_f1_baseline" not in row
    clean = tagging_data(entity_sentences(30, seed=1), valid=entity_sentences(10, seed=2), batch_size=16)
    entity = tagging_learner(clean, arch_config=SMALL_TAGGER, progress=False)
    entity.fit_one_cycle(1)
    assert {"entity_f1", "entity_f1_baseline", "tag_accuracy_baseline"} <= set(entity.history[-1])
