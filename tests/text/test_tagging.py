"""Sequence labelling end to end: data from CoNLL files or Python pairs, a BiLSTM-CRF that learns entities,
its artifact and predictor (raw text with character offsets), and the command line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from tagging_samples import entity_sentences, pos_sentences, write_conll_file
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError, DataError
from trainwell.text import (
    TaggerPredictor,
    fit_tagger,
    tagging_data,
    tagging_learner,
)
from trainwell.text.tagging.conll import read_conll
from trainwell.text.tagging.learner import baseline_scores
from trainwell.text.tagging.scheme import from_iob2

SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


def _trained(n: int = 300, epochs: int = 6, crf: bool = True):
    data = tagging_data(entity_sentences(n, seed=1), valid=entity_sentences(60, seed=2), batch_size=16)
    learn = tagging_learner(data, arch_config={**SMALL, "crf": crf}, progress=False, lr=2e-2)
    learn.fit_one_cycle(epochs)
    return data, learn


# ------------------------------------------------------------------------------------------------ data
def test_data_from_pairs_orders_tags_and_keeps_padding_out_of_the_targets() -> None:
    data = tagging_data(entity_sentences(50), valid_pct=0.2, batch_size=8)
    assert data.task.kind == "tagging"
    assert data.task.classes == ("O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER")
    assert data.task.extra == {"scheme": "iob2", "source_scheme": "iob2"}
    assert data.task.metric_names == ("entity_f1", "entity_precision", "entity_recall", "tag_accuracy")
    assert data.train.n_rows == 40 and data.valid.n_rows == 10
    words, casing, chars, tags = next(iter(data.valid))
    lengths = (tags != -100).sum(dim=1)
    assert words.shape == casing.shape == tags.shape and chars.shape[:2] == words.shape
    assert torch.equal(lengths, (words != data.recipe.pad_id).sum(dim=1))
    first = data.sentences["valid"][0]
    assert tags[0, : len(first)].tolist() == [data.task.classes.index(t) for t in data.tags["valid"][0]]


def test_iob1_input_is_trained_as_iob2_and_remembered() -> None:
    iob2 = entity_sentences(40)
    iob1 = [(words, from_iob2(tags, "iob1")) for words, tags in iob2]
    assert any(
        t.startswith("I-") and (i == 0 or tags[i - 1] == "O") for _, tags in iob1 for i, t in enumerate(tags)
    )
    data = tagging_data(iob1, valid_pct=0.25)
    assert data.task.extra == {"scheme": "iob2", "source_scheme": "iob1"}
    assert sorted(map(tuple, data.tags["train"] + data.tags["valid"])) == sorted(tuple(t) for _, t in iob2)


def test_an_entity_begun_with_i_in_iob2_data_is_warned_of() -> None:
    # "EU O", then "I-PER" right after O in a file of B- starts trained without a word ("the data came as iob2").
    sentences = entity_sentences(40)
    words, tags = sentences[3]
    slipped = ["O", "I-PER", *tags[2:]] if len(tags) > 2 else ["O", "I-PER"]
    sentences[3] = (words[: len(slipped)], slipped)
    with pytest.warns(UserWarning, match=r"^1 entity begins with an I- tag, where IOB2 begins each with B- \(the "
                      r"first: 'I-PER' after 'O', word 2 of (train|valid) sentence \d+: .*\); it is read as beginning one"):  # fmt: skip
        data = tagging_data(sentences, valid_pct=0.25, seed=0)
    assert data.task.extra["source_scheme"] == "iob2"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean IOB2 says nothing
        tagging_data(entity_sentences(40), valid_pct=0.25, seed=0)


def test_part_of_speech_tags_get_tag_accuracy_only() -> None:
    data = tagging_data(pos_sentences(40), valid_pct=0.25)
    assert data.task.extra["scheme"] == "none"
    assert data.task.metric_names == ("tag_accuracy",)


def test_folder_of_conll_files_with_docstart_and_gzip(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_conll_file(folder / "train.txt", entity_sentences(30), docstart=True)
    with gzip.open(folder / "dev.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write(write_conll_file(tmp_path / "dev.txt", entity_sentences(10, seed=5)).read_text())
    write_conll_file(folder / "test.txt", entity_sentences(12, seed=6))
    data = tagging_data(folder)
    assert (data.train.n_rows, data.valid.n_rows, data.test.n_rows) == (30, 10, 12)
    assert data.task.target_names == ("tag",)


def test_rare_words_hide_behind_unknown_in_training_batches_only() -> None:
    once = [
        ([f"Name{chr(97 + i % 26)}{chr(97 + i // 26)}", "is", "here"], ["B-PER", "O", "O"]) for i in range(40)
    ]
    data = tagging_data(entity_sentences(200) + once, valid_pct=0.1, rare_word_dropout=0.5, seed=3)
    loader = data.train
    rare_ids = np.flatnonzero(loader.rare)
    assert len(rare_ids) > 20  # the names seen once
    hidden = loader._word_ids()
    changed = hidden != loader.encoded.words
    assert changed.any() and np.isin(loader.encoded.words[changed], rare_ids).all()
    assert (hidden[changed] == data.recipe.unk_id).all()
    assert np.array_equal(hidden, loader.new()._word_ids())  # a pure function of (seed, epoch)
    loader.set_epoch(1)
    assert not np.array_equal(loader._word_ids(), hidden)
    assert data.valid._word_ids() is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ([(["a", "b"], ["O"])], r"source\[0\] has 2 words but 1 tags"),
        ([(["a"], ["O"]), (["b"], ["O"])], "needs at least 2 different tags"),
        ([("a b", ["O", "O"])], r"source\[0\] must be a \(words, tags\) pair"),
        ([], "source holds no sentences"),
    ],
)
def test_bad_sentences_are_refused_with_the_reason(source, message: str) -> None:
    with pytest.raises(DataError, match=message):
        tagging_data(source, valid_pct=0)


def test_tagging_is_not_a_target_column_task() -> None:
    with pytest.raises(ConfigError, match="task='tagging' reads sentences"):
        trainwell.infer_task(["a", "b"], kind="tagging")


# ------------------------------------------------------------------------------------------------ training
def test_new_data_of_another_vocabulary_is_refused_and_the_same_reading_taken() -> None:
    data = tagging_data(entity_sentences(50, seed=1), valid_pct=0.2, batch_size=8)
    learn = tagging_learner(data, arch_config=SMALL, progress=False)
    other = tagging_data(entity_sentences(50, seed=3), valid_pct=0.2, batch_size=8)
    assert other.task.classes == data.task.classes and other.recipe.words != data.recipe.words
    with pytest.raises(ConfigError) as refused:
        learn.data = other
    message = str(refused.value)
    assert message.startswith("learn.data: the new data's word vocabulary is not the Learner's (")
    assert "the model's word embedding rows would mean other words" in message
    assert "tagging_learner(new_data)" in message and "\n" not in message
    assert learn.data is data
    again = tagging_data(entity_sentences(50, seed=1), valid_pct=0.2, batch_size=16)
    learn.data = again  # the same training sentences: the same vocabulary
    assert learn.data is again


def test_the_tagger_checks_new_data_through_the_learners_hook_and_names_the_first_difference() -> None:
    # The tagger had its own copy of the text Learners' vocabulary check, in a data setter of its own; it now
    # answers Learner.check_new_data, as they do, with their wording of the difference.
    from dataclasses import replace

    from trainwell.text.tagging.learner import TaggerLearner, reading_difference

    assert "data" not in vars(TaggerLearner)  # no setter of its own: the Learner's, which calls the hook
    data = tagging_data(entity_sentences(40, seed=1), valid_pct=0.2, batch_size=8)
    learn = tagging_learner(data, arch_config=SMALL, progress=False)
    recipe = data.recipe
    words = len(recipe.words)
    other = replace(recipe, words=(*recipe.words[:5], "zebra", *recipe.words[6:], "okapi"))
    with pytest.raises(ConfigError) as refused:
        learn.check_new_data(replace(data, recipe=other))
    assert str(refused.value) == (
        f"learn.data: the new data's word vocabulary is not the Learner's ({words + 1:,} words against the "
        f"Learner's {words:,}; id 5 is 'zebra' where the Learner's is {recipe.words[5]!r}), so the model's word "
        "embedding rows would mean other words; tagging_data builds its vocabularies from its own training "
        "sentences, so train a tagger on it: tagging_learner(new_data)"
    )
    chars = replace(recipe, chars=(*recipe.chars[:-1], "\u2603"))
    assert reading_difference(chars, recipe) == (
        f"character vocabulary is not the Learner's ({len(recipe.chars):,} characters as well, but id "
        f"{len(recipe.chars) - 1} is '\u2603' where the Learner's is {recipe.chars[-1]!r}), so the model's "
        "character embedding rows would mean other characters"
    )
    assert reading_difference(replace(recipe, max_word_chars=10), recipe) == (
        f"words are read with lowercase=True, max_word_chars=10, the Learner's with lowercase=True, "
        f"max_word_chars={recipe.max_word_chars}"
    )
    learn.check_new_data(replace(data, recipe=replace(recipe)))  # an equal recipe reads alike: taken


def test_bilstm_crf_learns_entities_and_clears_the_baseline() -> None:
    data, learn = _trained()
    row = learn.history[-1]
    assert row["entity_f1"] > 0.95
    assert row["entity_f1"] > row["entity_f1_baseline"]
    assert 0 < row["entity_f1_baseline"] < 1
    # the metrics saw the decoded paths: recount them from get_preds
    preds, targets = learn.get_preds()
    from trainwell.evaluate.tagging import per_type_scores, sentence_counts

    counts = sentence_counts(preds, targets, data.task.classes)
    correct, total = counts.correct.sum(), counts.actual.sum() + counts.predicted.sum()
    assert 2 * correct / total == pytest.approx(row["entity_f1"])
    assert set(per_type_scores(counts)) == {"LOC", "ORG", "PER"}


def test_softmax_tagger_decodes_well_formed_entities() -> None:
    data, learn = _trained(epochs=2, crf=False)
    preds, _ = learn.get_preds()
    classes = data.task.classes
    for row in preds.tolist():
        tags = [classes[i] for i in row if i >= 0]
        for previous, tag in zip(["O", *tags], tags, strict=False):
            if tag.startswith("I-"):
                assert previous[2:] == tag[2:], tags


def test_losses_are_means_over_words() -> None:
    data = tagging_data(entity_sentences(40), valid_pct=0.25)
    learn = tagging_learner(data, arch_config=SMALL, progress=False)
    words = 0
    total = 0.0
    learn.model.eval()
    with torch.no_grad():
        for batch in data.valid:
            *inputs, tags = batch
            n = int((tags != -100).sum())
            total += float(learn.loss_func(learn.model(*inputs), tags)) * n
            words += n
    assert learn.validate()["loss"] == pytest.approx(total / words, rel=1e-5)


def test_baseline_scores_by_hand() -> None:
    train_words = [["Paris", "is", "big"], ["Paris", "Hilton"]]
    train_tags = [["B-LOC", "O", "O"], ["B-PER", "I-PER"]]
    # "Paris": LOC once, PER once -> the first seen wins the tie (Counter keeps insertion order)
    scores = baseline_scores(
        train_words,
        train_tags,
        [["Paris", "Hilton", "is"]],
        [["B-PER", "I-PER", "O"]],
        ["O", "B-LOC", "B-PER", "I-PER"],
    )
    assert scores["tag_accuracy_baseline"] == pytest.approx(2 / 3)
    assert scores["entity_f1_baseline"] == 0.0  # B-LOC I-PER: a LOC and a PER, neither right


# ------------------------------------------------------------------------------------------------ artifact
def test_artifact_predictor_tags_raw_text_and_word_lists(tmp_path: Path) -> None:
    data, learn = _trained()
    learn.export(tmp_path / "tagger")
    predictor = trainwell.load(tmp_path / "tagger")
    assert isinstance(predictor, TaggerPredictor)
    sentences = data.sentences["valid"]
    preds, _ = learn.get_preds()
    expected = [[data.task.classes[i] for i in row if i >= 0] for row in preds.tolist()]
    assert predictor.tag_words(sentences) == expected
    text = "Mary works for Siemens in New York."
    tagged = predictor.tag([text])[0]
    assert tagged.words == ["Mary", "works", "for", "Siemens", "in", "New", "York", "."]
    found = {(e.type, e.text, text[e.char_start : e.char_end]) for e in tagged.entities}
    assert found == {("PER", "Mary", "Mary"), ("ORG", "Siemens", "Siemens"), ("LOC", "New York", "New York")}
    assert len(tagged.confidences) == len(tagged.words) and all(0 < c <= 1 for c in tagged.confidences)
    for entity in tagged.entities:
        assert entity.confidence == min(tagged.confidences[entity.start : entity.end])
    table = predictor.predict([text, ["Tom", "lives", "in", "Oslo", "."]])
    assert list(table.columns) == ["words", "tags", "entities"]
    assert table["entities"][1] == "Tom/PER; Oslo/LOC"
    # One sentence alone is one prediction (tag() refused it: "wrap a single sentence in a list").
    assert predictor.tag(text) == [tagged]
    pd.testing.assert_frame_equal(predictor.predict(text), table.head(1))
    pd.testing.assert_frame_equal(learn.predict(text), table.head(1))
    # A DataFrame was tagged as its column names, a file's path as the sentence "data / sents . txt".
    frame = pd.DataFrame({"sentence": [text, "Tom lives in Oslo ."], "id": [1, 2]}, index=[7, 9])
    from_frame = predictor.predict(frame)
    assert list(from_frame.index) == [7, 9] and list(from_frame["entities"]) == list(table["entities"])
    assert predictor.predict(frame["sentence"]).equals(from_frame)
    with pytest.raises(ConfigError, match=r"which column of the table holds the sentences\? pass text_col="):
        predictor.predict(frame.rename(columns={"sentence": "body", "id": "note"}))
    file = tmp_path / "sents.txt"
    file.write_text(f"{text}\n\nTom lives in Oslo .\n", encoding="utf-8")
    from_file = predictor.predict(file)
    assert list(from_file["line"]) == [1, 3] and list(from_file["entities"]) == list(table["entities"])
    with pytest.warns(UserWarning, match=r"names a file but was tagged as a sentence; pass Path\("):
        predictor.predict(str(file))


def test_predictor_refuses_bad_sentences(tmp_path: Path) -> None:
    _, learn = _trained(n=40, epochs=1)
    learn.export(tmp_path / "tagger")
    predictor = trainwell.load(tmp_path / "tagger")
    with pytest.raises(DataError, match="holds the word 'New York'"):
        predictor.tag_words([["New York"]])
    assert predictor.tag_words([[]]) == [[]]


# ------------------------------------------------------------------------------------------------ CLI
def test_fit_and_predict_from_the_command_line(tmp_path: Path) -> None:
    train = write_conll_file(tmp_path / "train.conll", entity_sentences(200, seed=1))
    test = write_conll_file(tmp_path / "test.conll", entity_sentences(30, seed=9))
    runner = CliRunner()
    fitted = runner.invoke(
        app, ["fit", str(train), "--epochs", "3", "--out", str(tmp_path / "m"), "--valid-pct", "0.2"]
    )
    assert fitted.exit_code == 0, fitted.output
    assert "entity_f1" in fitted.output and "Validation entities by type" in fitted.output
    assert "entity_f1_baseline" in fitted.output
    # Three short epochs leave the model below the per-word baseline of these template sentences: it says so.
    assert "warning: entity_f1" in fitted.output and "is not above the most-frequent-tag" in fitted.output
    # the fit's BaselineNotBeaten warning, and no hand-made line beside it
    assert fitted.output.count("is not above the most-frequent-tag") == 1
    stdin = runner.invoke(app, ["predict", str(tmp_path / "m"), "-"], input="Tom lives in Oslo .\n")
    assert stdin.exit_code == 0, stdin.output
    assert "words,tags,entities" in stdin.output
    written = runner.invoke(
        app, ["predict", str(tmp_path / "m"), str(test), "--out", str(tmp_path / "pred.conll")]
    )
    assert written.exit_code == 0, written.output
    lines = [line.split() for line in (tmp_path / "pred.conll").read_text().splitlines() if line]
    assert len(lines) == sum(len(w) for w, _ in entity_sentences(30, seed=9))
    assert all(len(fields) == 3 for fields in lines)  # word, gold, predicted: what conlleval reads
    table = runner.invoke(app, ["predict", str(tmp_path / "m"), str(test)])
    assert table.exit_code == 0 and table.output.startswith("sentence,word,tag,prediction")
    info = runner.invoke(app, ["info", str(tmp_path / "m")], env={"COLUMNS": "250"})
    assert info.exit_code == 0 and "tags from 'tag' (entity spans, IOB2" in info.output


def test_predict_tags_the_raw_sentences_of_a_text_file(tmp_path: Path) -> None:
    # A .txt of raw sentences was read as a CoNLL file and stopped: "line 3: found 5 fields but expected 8".
    _, learn = _trained(n=40, epochs=1)
    learn.export(tmp_path / "tagger")
    sentences = tmp_path / "sentences.txt"
    sentences.write_text(
        "EU rejects German call to boycott British lamb.\n\nTom lives in Oslo.\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(sentences)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "line,words,tags,entities" and len(lines) == 3
    assert lines[1].startswith("1,EU rejects German call to boycott British lamb .,")
    assert lines[2].startswith("3,Tom lives in Oslo .,")
    one = tmp_path / "one.txt"  # a single line of words is a sentence, not a one-word CoNLL file
    one.write_text("Tom lives in Oslo.\n", encoding="utf-8")
    single = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(one)])
    assert single.exit_code == 0 and single.output.splitlines()[1].startswith("1,Tom lives in Oslo .,")
    as_json = tmp_path / "tagged.json"  # lists, as the server answers: not the table's space-joined strings
    written = CliRunner().invoke(
        app, ["predict", str(tmp_path / "tagger"), str(sentences), "--out", str(as_json)]
    )
    assert written.exit_code == 0, written.output
    records = json.loads(as_json.read_text(encoding="utf-8"))
    assert [record["line"] for record in records] == [1, 3]
    assert records[1]["words"] == ["Tom", "lives", "in", "Oslo", "."] and len(records[1]["tags"]) == 5
    assert len(records[1]["confidences"]) == 5 and isinstance(records[1]["entities"], list)
    conll = write_conll_file(tmp_path / "test.txt", entity_sentences(3, seed=9))  # a CoNLL .txt stays CoNLL
    columns = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(conll)])
    assert columns.exit_code == 0 and columns.output.startswith("sentence,word,tag,prediction")
    assert "holds one word a line" not in columns.stderr
    # One word a line and nothing else reads either way: the reading taken is said, with the other's form.
    words = tmp_path / "words.txt"
    words.write_text("Tom\nlives\n\nOslo\n", encoding="utf-8")
    said = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(words)], env={"COLUMNS": "250"})
    rows = said.stdout.splitlines()
    assert said.exit_code == 0 and rows[0] == "sentence,word,prediction", said.output
    assert rows[1].startswith("1,Tom,") and rows[3].startswith("2,Oslo,")
    assert f"'{words}' holds one word a line: read as CoNLL, a blank line ending each sentence" in " ".join(
        said.stderr.split()
    )


def test_command_line_errors_are_one_line(tmp_path: Path) -> None:
    train = tmp_path / "train.conll"
    train.write_text("EU B-ORG\nrejects O extra\n\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["fit", str(train), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "line 2" in result.output and "Traceback" not in result.output
    # lr-find of a CoNLL file asked for --target, as of a table.
    (tmp_path / "good.conll").write_text("EU B-ORG\nrejects O\n\nPeter B-PER\n", encoding="utf-8")
    swept = CliRunner().invoke(app, ["lr-find", str(tmp_path / "good.conll")], env={"COLUMNS": "250"})
    assert swept.exit_code == 2 and "a tagger trains at fit's default rate: pass fit --lr" in swept.output
    table = tmp_path / "rows.csv"
    table.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    odd = tmp_path / "train.txt"  # neither a table with --target nor lines that read as CoNLL columns
    odd.write_text("EU\trejects\tGerman\nB-ORG\n", encoding="utf-8")
    hint = CliRunner().invoke(app, ["fit", str(odd)], env={"COLUMNS": "250"})
    assert (
        hint.exit_code == 2
        and "for sentences tagged word by word (CoNLL), pass --task tagging" in hint.output
    )
    wrong = CliRunner().invoke(app, ["fit", str(table), "--target", "b", "--tag-col", "ner"])
    assert wrong.exit_code == 2 and "--tag-col is for tagged sentences" in wrong.output
    conll = write_conll_file(tmp_path / "ner.conll", entity_sentences(20, seed=1))
    unread = CliRunner().invoke(
        app, ["fit", str(conll), "--target", "tag", "--model", "ulmfit"]
    )  # were ignored
    assert unread.exit_code == 2 and "--target, --model are not used by a tagger" in unread.output, (
        unread.output
    )


def test_fit_tagger_reports_the_test_set(tmp_path: Path) -> None:
    run = fit_tagger(
        entity_sentences(150, seed=1),
        valid=entity_sentences(30, seed=2),
        test=entity_sentences(30, seed=3),
        out=tmp_path / "m",
        epochs=2,
        progress=False,
        arch_config=SMALL,
    )
    assert run.model_dir is not None and (run.model_dir / "history.csv").is_file()
    assert set(run.test_metrics) == {"loss", "entity_f1", "entity_precision", "entity_recall", "tag_accuracy"}
    # The model directory keeps them, and info shows them
    stored = json.loads((run.model_dir / "trainwell.json").read_text())["training"]["test"]
    assert stored == pytest.approx(run.test_metrics)
    shown = CliRunner().invoke(app, ["info", str(run.model_dir)], env={"COLUMNS": "200"})
    assert f"test entity_f1 {run.test_metrics['entity_f1']:.4f}" in " ".join(
        shown.output.replace("│", " ").split()
    )


# ------------------------------------------------------------------------------------------------ real data
def test_conll2003_and_ud_ewt_load_with_their_published_sizes(shared_data: Path) -> None:
    conll = tagging_data(shared_data / "conll2003")
    assert (conll.train.n_rows, conll.valid.n_rows, conll.test.n_rows) == (14041, 3250, 3453)
    assert conll.task.classes == (
        "O",
        "B-LOC",
        "I-LOC",
        "B-MISC",
        "I-MISC",
        "B-ORG",
        "I-ORG",
        "B-PER",
        "I-PER",
    )
    assert conll.task.target_names == ("ner",)
    ud = tagging_data(shared_data / "ud_english_ewt")
    assert (ud.train.n_tokens, ud.valid.n_tokens, ud.test.n_tokens) == (204577, 25147, 25094)
    assert len(ud.task.classes) == 17 and ud.task.extra["scheme"] == "none"
    # The part-of-speech column, read from the smallest split alone (the sizes above were counted already).
    pos = tagging_data(shared_data / "conll2003" / "test.txt.gz", tag_col="pos")
    assert pos.task.extra["scheme"] == "none" and "NNP" in pos.task.classes


def test_evaluate_cross_validates_against_both_baselines_on_the_same_folds(tmp_path: Path) -> None:
    from trainwell.text.tagging.evaluation import evaluate_tagger

    data = write_conll_file(tmp_path / "train.conll", entity_sentences(120, seed=4))
    evaluation = evaluate_tagger(data, cv=2, epochs=2)
    # Each entity type's F1, as fit prints it (evaluate showed only the headline scores).
    types = [key for key in evaluation.model.folds[0] if key.startswith("entity_f1[")]
    assert len(types) >= 2 and all(0 <= evaluation.model.folds[0][key] <= 1 for key in types)
    assert evaluation.model.k == 2 and set(evaluation.baselines) == {"most frequent tag", "window logistic"}
    for result in evaluation.baselines.values():
        assert [len(v) for _, v in result.splits] == [len(v) for _, v in evaluation.model.splits]
        headline = {"entity_f1", "entity_precision", "entity_recall", "tag_accuracy"}
        assert set(result.folds[0]) == headline | set(types)
    # the most-frequent-tag folds recomputed by hand
    from trainwell.text.tagging.baselines import MostFrequentTag

    pairs = entity_sentences(120, seed=4)
    train, valid = evaluation.model.splits[0]
    guessed = (
        MostFrequentTag()
        .fit([pairs[i][0] for i in train], [pairs[i][1] for i in train])
        .predict([pairs[i][0] for i in valid])
    )
    right = sum(
        g == t for i, gs in zip(valid, guessed, strict=True) for g, t in zip(gs, pairs[i][1], strict=True)
    )
    total = sum(len(pairs[i][1]) for i in valid)
    assert evaluation.baselines["most frequent tag"].folds[0]["tag_accuracy"] == pytest.approx(right / total)
    result = CliRunner().invoke(
        app, ["evaluate", str(data), "--cv", "2", "--epochs", "1"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "2-fold cross-validation (tagging" in result.output and "window logistic" in result.output
    assert types[0] in result.output


def test_a_words_tags_do_not_depend_on_the_sentences_batched_with_it(tmp_path: Path) -> None:
    _, learn = _trained(n=60, epochs=1)
    learn.export(tmp_path / "tagger")
    predictor = trainwell.load(tmp_path / "tagger")
    short = ["Tom", "met", "Mary", "."]
    long_word = ["Supercalifragilisticexpialidocious", "met", "Tom", "in", "Oslo", "today", "."]
    alone = predictor.model(*_inputs(predictor, [short]))
    together = predictor.model(*_inputs(predictor, [short, long_word]))[:1, : len(short)]
    torch.testing.assert_close(alone, together)


def _inputs(predictor, sentences):
    from trainwell.text.tagging.recipe import tagging_batch

    return tagging_batch(predictor.recipe.encode(sentences), np.arange(len(sentences)))


def test_conll_text_files_and_their_folders_are_recognised(tmp_path: Path) -> None:
    from trainwell.cli._tagging import is_tagging_source, looks_like_conll

    folder = tmp_path / "conll2003"
    folder.mkdir()
    with gzip.open(folder / "train.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write(
            write_conll_file(tmp_path / "plain.txt", entity_sentences(40, seed=1), docstart=True).read_text()
        )
    write_conll_file(folder / "valid.txt", entity_sentences(10, seed=2))
    prose = tmp_path / "prose.txt"
    prose.write_text("It was a dark and stormy night.\nThe rain fell.\n", encoding="utf-8")
    assert looks_like_conll(folder / "train.txt.gz") and looks_like_conll(tmp_path / "plain.txt")
    assert not looks_like_conll(prose)
    assert is_tagging_source(folder, None) and is_tagging_source(tmp_path / "plain.txt", None)
    assert not is_tagging_source(prose, None) and not is_tagging_source(folder, "language_model")
    # A two-line table saved as .txt reads as two CoNLL columns; given a text column (--text), it is a table.
    table = tmp_path / "two.txt"
    table.write_text("my review,label\ngreat film,1\n", encoding="utf-8")
    assert looks_like_conll(table) and is_tagging_source(table, None)
    assert not is_tagging_source(table, None, "my review")
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(folder), "--epochs", "1", "--out", str(tmp_path / "m")])
    assert fitted.exit_code == 0, fitted.output
    exported = runner.invoke(
        app,
        ["export", str(tmp_path / "m"), "--onnx", "--data", str(folder / "valid.txt")],
        env={"COLUMNS": "250"},
    )
    if exported.exit_code == 0:  # onnxruntime is an optional extra
        assert "onnxruntime matches PyTorch on 10 sentences from" in exported.output
    else:
        assert "pip install" in exported.output


def test_a_type_never_predicted_shows_why_it_has_no_precision() -> None:
    from trainwell.cli._tagging import _rate

    assert _rate(float("nan"), "none predicted") == "none predicted" and _rate(0.5, "-") == "0.5000"


def _write_conllu(path: Path, sentences: list[tuple[list[str], list[str]]]) -> Path:
    lines = []
    for words, tags in sentences:
        lines.append("# sent_id = s")
        lines.extend(
            f"{i}\t{w}\t{w.lower()}\t{t}\t_\t_\t0\troot\t_\t_"
            for i, (w, t) in enumerate(zip(words, tags, strict=True), 1)
        )
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.data
def test_predict_keeps_a_ud_files_comments_multiword_tokens_and_empty_nodes(
    shared_data: Path, tmp_path: Path
) -> None:
    # predict --out x.conllu dropped the input's # sent_id / # text comments, multiword tokens (29-30) and empty
    # nodes (8.1). Excerpts of UD English EWT: the output must hold every non-word line of the input, byte for
    # byte and in its place; word lines keep their gold upos and differ only in MISC, which holds UPOS_pred=.
    folder = shared_data / "ud_english_ewt"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")

    def excerpt(name: str, n_sentences: int, path: Path) -> bytes:
        blocks = gzip.decompress((folder / name).read_bytes()).split(b"\n\n")[:n_sentences]
        path.write_bytes(b"\n\n".join(blocks) + b"\n\n")
        return path.read_bytes()

    excerpt("en_ewt-ud-train.conllu.gz", 150, tmp_path / "train.conllu")
    fitted = CliRunner().invoke(
        app, ["fit", str(tmp_path / "train.conllu"), "--epochs", "1", "--out", str(tmp_path / "tagger")]
    )
    assert fitted.exit_code == 0, fitted.output
    given = excerpt("en_ewt-ud-dev.conllu.gz", 60, tmp_path / "dev.conllu")  # with 29-30 and 8.1
    out = tmp_path / "predicted.conllu"
    done = CliRunner().invoke(
        app, ["predict", str(tmp_path / "tagger"), str(tmp_path / "dev.conllu"), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    written, lines = out.read_bytes().split(b"\n"), given.split(b"\n")
    assert len(written) == len(lines)
    others = [line for line in lines if not line.split(b"\t")[0].isdigit()]
    assert b"8.1\twrite" in b"\n".join(others) and b"29-30\tdidn't" in b"\n".join(others)
    for new_line, old_line in zip(written, lines, strict=True):
        fields = old_line.split(b"\t")
        if fields[0].isdigit():
            new_fields = new_line.split(b"\t")
            assert new_fields[:9] == fields[:9]
            assert new_fields[9].split(b"|")[-1].startswith(b"UPOS_pred=")
            assert new_fields[9].split(b"|")[:-1] == [a for a in fields[9].split(b"|") if a != b"_"]
        else:
            assert new_line == old_line


def test_predict_writes_a_conllu_input_back_with_its_tags_predicted(tmp_path: Path) -> None:
    # --out x.conllu wrote conlleval's "word gold predicted" lines: not CoNLL-U, whatever its name said.
    train = _write_conllu(tmp_path / "train.conllu", pos_sentences(60, seed=1))
    fitted = CliRunner().invoke(app, ["fit", str(train), "--epochs", "1", "--out", str(tmp_path / "tagger")])
    assert fitted.exit_code == 0, fitted.output
    test = _write_conllu(tmp_path / "test.conllu", pos_sentences(4, seed=2))
    out = tmp_path / "predicted.conllu"
    done = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(test), "--out", str(out)])
    assert done.exit_code == 0, done.output
    written, given = (read_conll(path) for path in (out, test))
    assert written.format == "conllu" and written.column_names == given.column_names
    assert written.column("form") == given.column("form") and written.column("lemma") == given.column("lemma")
    # The gold upos is kept; each prediction is in MISC (it overwrote the gold, tour54 F11).
    assert written.column("upos") == given.column("upos")
    assert "gold upos kept and the predictions in MISC as UPOS_pred=TAG" in done.output
    predicted = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(test)])
    assert [t.removeprefix("UPOS_pred=") for s in written.column("misc") for t in s] == [
        line.split(",")[-1] for line in predicted.output.splitlines()[1:]
    ]
    conll = write_conll_file(tmp_path / "test.conll", pos_sentences(2, seed=3))
    refused = CliRunner().invoke(app, ["predict", str(tmp_path / "tagger"), str(conll), "--out", str(out)])
    assert refused.exit_code == 2 and "is not CoNLL-U; name the output .conll" in refused.output
