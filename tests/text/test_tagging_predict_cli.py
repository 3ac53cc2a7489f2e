"""``trainwell predict`` on a tagger, from the files users actually hand it: short raw sentences, tables, raw
sentences written out as CoNLL."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tagging_samples import SMALL_TAGGER, entity_sentences, export_small_tagger, write_conll_file
from trainwell.cli.app import app
from trainwell.text import tagging_data, tagging_learner


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_small_tagger(tmp_path_factory.mktemp("tagger"))


def _predict(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["predict", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_raw_sentences_of_one_length_are_sentences_not_one_conll_sentence(
    tagger: Path, tmp_path: Path
) -> None:
    # Two lines of three words each read as one CoNLL sentence of two words, 'Mary' and 'John', tagged as a pair.
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("Mary works here.\nJohn sleeps there.\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(sentences))
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "line,words,tags,entities" and len(lines) == 3
    assert lines[1].startswith("1,Mary works here .,") and lines[2].startswith("2,John sleeps there .,")
    # A CoNLL .txt of one sentence ends with its blank line, and stays CoNLL; so does a word-per-line file.
    conll = tmp_path / "one.txt"
    conll.write_text("Tom B-PER\nlives O\n\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(conll))
    assert code == 0 and output.splitlines() == ["sentence,word,tag,prediction", *output.splitlines()[1:]]
    assert len(output.splitlines()) == 3
    assert output.splitlines()[1].startswith("1,Tom,B-PER,")  # numbered from 1, as raw sentences' lines are
    words = tmp_path / "words.txt"
    words.write_text("Tom\nlives\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(tagger), str(words)], env={"COLUMNS": "250"})
    assert result.exit_code == 0 and result.stdout.startswith("sentence,word,prediction")
    assert len(result.stdout.splitlines()) == 3 and "holds one word a line: read as CoNLL" in result.stderr


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet", "rows.jsonl", "rows.csv.gz"])
def test_a_table_of_sentences_is_tagged_row_by_row_not_read_as_one_word_per_row(
    tagger: Path, tmp_path: Path, name: str
) -> None:
    # A CSV was read as a CoNLL file of one column: every row one "word", tagged as one long sentence; then it was
    # refused, even with --text naming its column of sentences.
    table = tmp_path / name
    frame = pd.DataFrame({"text": ["Mary works here.", "Tom sleeps."], "label": ["x", "y"]})
    if name.endswith(".parquet"):
        frame.to_parquet(table)
    elif name.endswith(".jsonl"):
        frame.to_json(table, orient="records", lines=True)
    else:
        frame.to_csv(table, index=False)
    code, output = _predict(str(tagger), str(table), "--keep", "label")
    assert code == 0, output
    answers = pd.read_csv(io.StringIO(output))
    assert list(answers.columns[:2]) == ["label", "words"] and list(answers["label"]) == ["x", "y"]
    assert list(answers["words"]) == ["Mary works here .", "Tom sleeps ."]
    named = _predict(str(tagger), str(table), "--text", "label")  # the column named, whatever it holds
    assert named[0] == 0 and pd.read_csv(io.StringIO(named[1]))["words"].tolist() == ["x", "y"]


def test_a_table_whose_sentences_are_not_told_apart_is_refused_in_one_line(
    tagger: Path, tmp_path: Path
) -> None:
    table = tmp_path / "rows.csv"
    table.write_text("body,note\nMary works here.,x\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(table))
    assert code == 2 and output.strip() == (
        f"error: {table} is a table of 2 columns (body, note): name its column of sentences with --text"
    )
    code, output = _predict(str(tagger), str(table), "--text", "bdy")
    assert code == 2 and "--text names 'bdy', not a column of" in output and "did you mean 'body'" in output


def test_raw_sentences_written_to_a_conll_file_are_conll(tagger: Path, tmp_path: Path) -> None:
    # --out pred.conll wrote the CSV table of raw sentences into a file named .conll.
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("Tom lives in Oslo.\n\nMary works for Siemens.\n", encoding="utf-8")
    out = tmp_path / "pred.conll"
    code, output = _predict(str(tagger), str(sentences), "--out", str(out))
    assert code == 0, output
    assert "wrote 10 tagged words to" in output
    blocks = [block.splitlines() for block in out.read_text(encoding="utf-8").strip().split("\n\n")]
    assert [[line.split()[0] for line in block] for block in blocks] == [
        ["Tom", "lives", "in", "Oslo", "."],
        ["Mary", "works", "for", "Siemens", "."],
    ]
    assert all(len(line.split()) == 2 for block in blocks for line in block)  # word, predicted
    code, output = _predict(str(tagger), "-", "--out", str(tmp_path / "pred.conllu"))
    assert code == 2 and "a .conllu output is the CoNLL-U input with a predicted tag for each word" in output
    conll = write_conll_file(tmp_path / "test.conll", entity_sentences(2, seed=3))
    code, output = _predict(str(tagger), str(conll), "--out", str(tmp_path / "pred2.conllu"))
    assert code == 2 and "a .conllu output is the CoNLL-U input with a predicted tag for each word" in output


def test_the_gold_tags_of_a_file_in_another_layout_are_found(tagger: Path, tmp_path: Path) -> None:
    # A model trained on two-column 'word tag' lines found no gold in CoNLL-2003's four columns (its tags are
    # in 'ner', not 'tag'): predict left them out and report refused the file. The file's own tag column is
    # the gold when every tag in it is one the model knows.
    from trainwell.report import build_report

    sentences = entity_sentences(12, seed=4)
    four = tmp_path / "test.conll"
    four.write_text(
        "".join(
            "".join(f"{w} NN B-NP {t}\n" for w, t in zip(words, tags, strict=True)) + "\n"
            for words, tags in sentences
        ),
        encoding="utf-8",
    )
    code, output = _predict(str(tagger), str(four))
    assert code == 0 and output.startswith("sentence,word,tag,prediction"), output
    gold = pd.read_csv(io.StringIO(output), keep_default_na=False)["tag"]
    assert list(gold) == [tag for _, tags in sentences for tag in tags]
    out = tmp_path / "pred.conll"
    assert _predict(str(tagger), str(four), "--out", str(out))[0] == 0
    assert all(len(line.split()) == 3 for line in out.read_text(encoding="utf-8").splitlines() if line)
    page = build_report(tagger, four, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<dt>Evaluated on</dt><dd>12 labelled sentences" in page
    # A column of other tags (chunks here) is no gold: none is shown.
    chunks = tmp_path / "chunks.conll"
    chunks.write_text("Mary NNP B-NP\nworks VBZ B-VP\n\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(chunks))
    assert code == 0 and output.startswith("sentence,word,prediction"), output


def test_the_hint_after_fit_is_a_command_that_runs_in_a_shell(tmp_path: Path) -> None:
    # "trainwell predict /tmp/my models/ner -" broke at the space when pasted into a shell.
    import shlex

    from trainwell.cli._tagging import predict_hint

    hint = predict_hint(tmp_path / "my models" / "ner")
    assert hint.startswith('tag new text with: echo "Your sentence." | trainwell predict ')
    command = hint.split(" | ", 1)[1]
    assert shlex.split(command) == ["trainwell", "predict", str(tmp_path / "my models" / "ner"), "-"]


def test_info_of_a_part_of_speech_tagger_says_one_tag_per_word(tmp_path: Path) -> None:
    # It said "(one tag per word; the data came as none)": 'none' is the scheme of tags that mark no spans.
    from tagging_samples import pos_sentences

    data = tagging_data(pos_sentences(20, seed=1), valid=pos_sentences(5, seed=2), batch_size=16)
    learn = tagging_learner(data, arch_config=SMALL_TAGGER, progress=False)
    learn.export(tmp_path / "pos")
    result = CliRunner().invoke(app, ["info", str(tmp_path / "pos")], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "tags from 'tag' (one tag per word)" in result.output and "came as" not in result.output


def test_a_conllu_output_from_a_conllu_file_without_the_tag_column_says_so(
    tagger: Path, tmp_path: Path
) -> None:
    # A CoNLL-U file without the tagger's column was said to be "not CoNLL-U".
    conllu = tmp_path / "dev.conllu"
    conllu.write_text("1\tTom\ttom\tPROPN\tNNP\t_\t0\troot\t0:root\t_\n\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(conllu), "--out", str(tmp_path / "pred.conllu"))
    assert code == 2 and f"and '{conllu}' has no tag column to hold them; name the output .conll" in output
    assert "not CoNLL-U" not in output


def test_export_checks_the_onnx_file_on_raw_sentences_too(tagger: Path, tmp_path: Path) -> None:
    # --data sentences.txt stopped at "line 2: found 5 fields but expected 4", read as a CoNLL file.
    import shutil

    pytest.importorskip("onnxruntime")
    model = shutil.copytree(tagger, tmp_path / "m")
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("Tom lives in Oslo.\nMary works for Siemens in New York.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["export", str(model), "--onnx", "--data", str(sentences)], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "onnxruntime matches PyTorch on 2 sentences from" in result.output


def test_report_on_raw_sentences_says_it_needs_the_gold_tags(tagger: Path, tmp_path: Path) -> None:
    # It stopped at "line 2: found 5 fields but expected 4 like the first token line".
    from trainwell.core.errors import DataError
    from trainwell.report import build_report

    sentences = tmp_path / "sentences.txt"
    sentences.write_text("Tom lives in Oslo.\nMary works for Siemens in New York.\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build_report(tagger, sentences, tmp_path / "report.html")
    assert str(caught.value) == (
        f"'{sentences}' holds raw sentences, one a line, and the report scores the tagger against gold tags: "
        "pass a CoNLL file of the same sentences, one word per line with its tag"
    )


def test_a_table_row_without_a_sentence_is_left_untagged_and_said(tagger: Path, tmp_path: Path) -> None:
    # An empty cell of the --text column was written as a blank row ('2,,,') in silence, where the text
    # classifier says which data rows it left without a prediction.
    table = tmp_path / "notes.csv"
    table.write_text("id,body\n1,Mary works here.\n2,\n3,Tom sleeps.\n4,   \n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["predict", str(tagger), str(table), "--text", "body", "--keep", "id"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert f"{table}: 2 rows with an empty text (data rows 2, 4) left without a prediction" in result.stderr
    answers = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(answers["id"]) == [1, 2, 3, 4]
    assert list(answers["words"]) == ["Mary works here .", "", "Tom sleeps .", ""]
    assert answers.loc[0, "tags"] and answers.loc[1, "tags"] == "" and answers.loc[3, "tags"] == ""
    empty = tmp_path / "empty.csv"
    empty.write_text("id,body\n1,\n2,\n", encoding="utf-8")
    code, output = _predict(str(tagger), str(empty), "--text", "body")
    assert code == 2 and "every text is empty (2 rows)" in output
