"""The n-gram bag classifier end to end: training, LazyAdamW, export -> load -> predict, fit_texts, errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from classify_tables import sentiment_frame, topic_frame, write_csv

import trainwell
from resume_support import resumed_beside_uninterrupted
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.seeding import seed_everything
from trainwell.learner.learner import Learner
from trainwell.text import TextPredictor, fit_texts, text_classifier_learner, text_data
from trainwell.text.models import NgramBag, _drop_ids
from trainwell.text.optim import LazyAdamW


def test_bag_model_learns_an_easy_sentiment_set() -> None:
    torch.manual_seed(0)  # the result must not depend on which tests ran before
    data = text_data(sentiment_frame(400), "sentiment", text_col="review", seed=0)
    learn = text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(8, 0.02)
    assert learn.history[-1]["accuracy"] >= 0.95


def test_multiclass_and_multilabel_train_and_predict(tmp_path: Path) -> None:
    torch.manual_seed(0)
    data = text_data(topic_frame(300), "topic", text_col="text", seed=0)
    learn = text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(8, 0.02)
    assert learn.history[-1]["accuracy"] >= 0.9
    labelled = text_data(topic_frame(300, multilabel=True), "topic", text_col="text", label_delim="|", seed=0)
    multi = text_classifier_learner(labelled, progress=False, arch_config={"hidden": 16})
    multi.fit_one_cycle(8, 0.02)
    predictor = trainwell.load(multi.export(tmp_path / "multi"))
    table = predictor.predict(["The band played a song at dinner.", "A great goal by the team."])
    assert list(table.columns) == ["prediction", "probability_food", "probability_music", "probability_sport"]
    assert set(table["prediction"][1].split(";")) >= {"sport"}


def test_export_load_predict_matches_the_learner(tmp_path: Path) -> None:
    frame = sentiment_frame(300)
    data = text_data(frame, "sentiment", text_col="review", seed=1)
    learn = text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(2)
    expected, _ = learn.get_preds()
    predictor = trainwell.load(learn.export(tmp_path / "model"))
    assert isinstance(predictor, TextPredictor)
    valid_texts = data.texts["valid"]  # type: ignore[attr-defined,index]
    probabilities = predictor.predict_proba(valid_texts)
    torch.testing.assert_close(probabilities, expected, rtol=1e-5, atol=1e-6)
    table = predictor.predict(pd.DataFrame({"review": valid_texts[:3]}))
    assert list(table.columns) == ["prediction", "probability_pos"]
    assert table["prediction"].tolist() == ["pos" if p >= 0.5 else "neg" for p in expected[:3].tolist()]
    # One text alone is one prediction, as one image alone is (it was refused: "texts is a single string").
    torch.testing.assert_close(predictor.predict_proba(valid_texts[0]), expected[:1], rtol=1e-5, atol=1e-6)
    for predict in (predictor.predict, learn.predict):
        pd.testing.assert_frame_equal(predict(valid_texts[0]), table.head(1))


def test_predictor_rejects_bad_texts(tmp_path: Path) -> None:
    data = text_data(sentiment_frame(60), "sentiment", text_col="review")
    learn = text_classifier_learner(data, progress=False)
    predictor = trainwell.load(learn.export(tmp_path / "model"))
    with pytest.raises(ConfigError, match=r"^at_least_one= is for multi-label models; this binary model gives "
                       r"every text one answer already: drop it$"):  # fmt: skip
        predictor.predict(["fine"], at_least_one=True)
    # It said "remove it or pass drop_empty=True", an option no predict takes (learn.predict neither).
    for predict in (predictor.predict, learn.predict):
        with pytest.raises(DataError) as raised:
            predict(["fine", "  "])
        assert str(raised.value) == (
            "texts[1] is empty or only whitespace; a model has nothing to read there: fill or drop that text"
        )
    with pytest.raises(
        DataError,
        match=r"text column 'review' not found in the input table; columns are: body. A column of texts named "
        r"otherwise is read with text_col= \(predict --text NAME\)",
    ):
        predictor.predict(pd.DataFrame({"body": ["x"]}))
    # The command line read it with --text body; Python had no text_col= (a TypeError).
    named = pd.DataFrame({"id": [7, 8], "body": ["fine film", "bad film"]}, index=[10, 11])
    pd.testing.assert_frame_equal(
        predictor.predict(named, text_col="body"),
        predictor.predict(pd.DataFrame({"review": ["fine film", "bad film"]}, index=[10, 11])),
    )
    with pytest.raises(
        DataError, match=r"^text_col= 'bdy' is not a column of the input table \(did you mean 'body'"
    ):
        predictor.predict(named, text_col="bdy")
    with pytest.raises(
        ConfigError, match=r"^text_col= names a table's column of texts, and the inputs are a list"
    ):
        predictor.predict(["fine"], text_col="body")
    with pytest.raises(DataError, match=r"^texts\[0\] is empty or only whitespace"):
        predictor.predict("  ")  # one text alone is read, and checked, as a list of one


def test_predicting_a_csv_with_empty_texts_names_the_data_row(tmp_path: Path) -> None:
    # A blank cell of the CSV reads as NaN, which was reported as "row[1] is float (nan), not a string".
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    data = text_data(sentiment_frame(60), "sentiment", text_col="review")
    model = text_classifier_learner(data, progress=False).export(tmp_path / "model")
    new = tmp_path / "new.csv"
    new.write_text('review\na fine film\n""\nboring\n"   "\n', encoding="utf-8")
    predictor = trainwell.load(model)
    with pytest.raises(
        DataError, match=r"text column 'review' is empty in data rows 2 and 4 of the input's 4 rows; "
    ):
        predictor.predict(pd.read_csv(new))
    # The command line answers the other rows (one empty review refused the whole file, where a file of lines
    # skips its blank lines and a folder its empty files), the empty ones left blank and said.
    result = CliRunner().invoke(app, ["predict", str(model), str(new)])
    assert result.exit_code == 0, result.output
    answers = pd.read_csv(io.StringIO(result.stdout))
    assert answers["prediction"].isna().tolist() == [False, True, False, True]
    assert "2 rows with an empty text (data rows 2, 4) left without a prediction" in result.stderr


def test_whole_number_labels_stay_whole_beside_rows_left_blank(tmp_path: Path) -> None:
    # A blank row's missing answer turned the column of 0/1 labels into floats: 1.0 and 0.0 in a submission.
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    frame = sentiment_frame(60)
    frame["sentiment"] = (frame["sentiment"] == "pos").astype(int)
    data = text_data(frame, "sentiment", text_col="review")
    model = text_classifier_learner(data, progress=False).export(tmp_path / "model")
    new = tmp_path / "new.csv"
    new.write_text('id,review\n7,a fine film\n8,""\n9,boring\n', encoding="utf-8")
    for extra, column in (([], "prediction"), (["--label-only"], "sentiment")):
        result = CliRunner().invoke(app, ["predict", str(model), str(new), "--keep", "id", *extra])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0].split(",")[:2] == ["id", column]
        assert [line.split(",")[1] for line in lines[1:]] in (
            ["1", "", "0"],
            ["0", "", "1"],
            ["1", "", "1"],
            ["0", "", "0"],
        )


def test_fit_texts_writes_a_model_directory(tmp_path: Path) -> None:
    path = write_csv(sentiment_frame(300), tmp_path / "reviews.csv")
    run = fit_texts(path, text_col="review", target="sentiment", out=tmp_path / "model", progress=False)
    assert run.model_dir is not None and (run.model_dir / "history.csv").is_file()
    assert run.metrics["accuracy"] >= 0.9
    predictor = trainwell.load(run.model_dir)
    assert predictor.predict(["I loved it, superb film.", "Awful and boring."])["prediction"].tolist() == [
        "pos",
        "neg",
    ]
    with pytest.raises(ConfigError, match="unknown text architecture 'lstm9'"):
        fit_texts(path, text_col="review", target="sentiment", arch="lstm9")


def test_learner_refuses_other_bundles() -> None:
    from trainwell.data import tensor_data

    with pytest.raises(ConfigError, match="needs data from text_data"):
        text_classifier_learner(tensor_data(torch.randn(8, 2), [0, 1] * 4))
    # Language-model and tagging bundles are "text" bundles too: they crashed with AttributeError
    # ('LMRecipe' object has no attribute 'batch_format').
    from trainwell.text import language_model_learner, lm_data, tagging_data, tagging_learner

    texts = sentiment_frame(40)["review"].tolist()
    stream = lm_data(texts, batch_size=4, bptt=8)
    with pytest.raises(ConfigError, match=r"got language-model data \(lm_data\); .*language_model_learner"):
        text_classifier_learner(stream)
    tagged = tagging_data([(["a", "b"], ["X", "Y"]), (["b", "a"], ["Y", "X"])] * 5)
    with pytest.raises(ConfigError, match=r"got tagging data \(tagging_data\); .*tagging_learner"):
        text_classifier_learner(tagged)
    # The language model's architecture was offered as a classifier, then refused for its batch format.
    data = text_data(sentiment_frame(40), "sentiment", text_col="review", batch_format="padded")
    with pytest.raises(
        ConfigError, match=r"'awd_lstm_lm' is a language model.*language_model_learner"
    ) as raised:
        text_classifier_learner(data, "awd_lstm_lm")
    assert "choose one of: awd_lstm, ngram_bag," in str(raised.value)
    with pytest.raises(ConfigError, match=r"'ngram_bag' is a text classifier, not a language model"):
        language_model_learner(stream, "ngram_bag")
    assert tagging_learner(tagged, progress=False).task.kind == "tagging"


def test_new_data_must_read_texts_as_the_learners_did() -> None:
    # learn.data = text_data(...) of other texts was taken silently: its vocabulary gave the embedding's rows to
    # other words (and another hash table size to the n-grams), so the model read nonsense.
    from trainwell.text import language_model_learner, lm_data

    data = text_data(sentiment_frame(60, seed=0), "sentiment", text_col="review", min_freq=1)
    learn = text_classifier_learner(data, progress=False)
    other = sentiment_frame(40, seed=5)
    with pytest.raises(ConfigError) as raised:
        learn.data = text_data(other, "sentiment", text_col="review", min_freq=1)
    message = str(raised.value)
    assert "\n" not in message and learn.data is data
    assert message.startswith("learn.data: the new data's vocabulary is not the Learner's (")
    assert "40 tokens as well, but id 10 is 'the' where the Learner's is 'with'), so the model's" in message
    fix = "vocab=learn.data.recipe.vocab, n_buckets=learn.data.recipe.n_buckets"
    assert f"text_data(..., tokenizer=learn.data.recipe.text_tokenizer, {fix})" in message
    recipe = learn.data.recipe
    same = text_data(other, "sentiment", text_col="review", tokenizer=recipe.text_tokenizer, vocab=recipe.vocab,  # type: ignore[union-attr]
                     n_buckets=recipe.n_buckets)  # type: ignore[union-attr]  # fmt: skip
    learn.data = same  # built as the message says: taken
    assert learn.data is same
    with pytest.raises(
        ConfigError, match=r"the new data's n-gram hash table has 8,192 buckets against the Learner's 4,096"
    ):
        learn.data = text_data(other, "sentiment", text_col="review", vocab=recipe.vocab, n_buckets=8192)  # type: ignore[union-attr]
    # A language model's rows are its vocabulary too; the fix there is to fine-tune from its directory.
    texts = sentiment_frame(40)["review"].tolist()
    stream = lm_data(texts, batch_size=4, bptt=8, min_freq=1)
    lm = language_model_learner(stream, progress=False, emb_size=8, hidden_size=8, n_layers=1)
    lm.data = lm_data(texts, batch_size=2, bptt=6, min_freq=1)  # the same vocabulary read otherwise: taken
    with pytest.raises(ConfigError, match=r"lm_data\(texts, pretrained=dir\), pretrained=dir\)"):
        lm.data = lm_data(other["review"].tolist(), batch_size=4, bptt=8, min_freq=1)


def _bag_learner(folder: Path) -> Learner:
    seed_everything(0)
    data = text_data(sentiment_frame(160), "sentiment", text_col="review", seed=2)
    return text_classifier_learner(data, progress=False, device="cpu", path=folder)


def test_resume_mid_epoch_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    reference, resumed = resumed_beside_uninterrupted(_bag_learner, tmp_path, lr=0.02)
    for (key, value), expected in zip(
        resumed.model.state_dict().items(), reference.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(value, expected, msg=key)


# ------------------------------------------------------------------------------------------ pieces
def test_lazy_adamw_equals_adamw_when_every_row_has_a_gradient() -> None:
    torch.manual_seed(0)
    sparse = torch.nn.Embedding(5, 3, sparse=True)
    dense = torch.nn.Embedding(5, 3)
    dense.load_state_dict(sparse.state_dict())
    lazy = LazyAdamW(sparse.parameters(), lr=0.1, weight_decay=0.01)
    reference = torch.optim.AdamW(dense.parameters(), lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)
    ids = torch.tensor([0, 1, 2, 3, 4, 1, 1])
    for step in range(3):
        for module, optimizer in ((sparse, lazy), (dense, reference)):
            optimizer.zero_grad()
            (module(ids) ** 2 * (step + 1)).sum().backward()
            optimizer.step()
    torch.testing.assert_close(sparse.weight, dense.weight)


def test_token_dropout_keeps_offsets_consistent() -> None:
    torch.manual_seed(0)
    ids = torch.arange(20)
    offsets = torch.tensor([0, 5, 5, 12])
    kept, new_offsets = _drop_ids(ids, offsets, 0.5)
    bounds = [*new_offsets.tolist(), len(kept)]
    old_bounds = [*offsets.tolist(), 20]
    for text in range(4):
        piece = kept[bounds[text] : bounds[text + 1]].tolist()
        assert all(old_bounds[text] <= i < old_bounds[text + 1] for i in piece)
    model = NgramBag(30, 2, dim=4)
    assert model(ids, offsets).shape == (4, 2)
    with pytest.raises(ConfigError, match="norm"):
        NgramBag(30, 2, norm="max")


@pytest.mark.data
@pytest.mark.slow
def test_imdb_sample_trains_above_chance(shared_data: Path) -> None:
    path = shared_data / "imdb_sample" / "texts.csv.gz"
    if not path.is_file():
        pytest.skip(f"needs {path}")
    run = fit_texts(path, text_col="text", target="label", valid_col="is_valid", epochs=8, progress=False)
    assert run.data.task.classes == ("neg", "pos")
    assert run.metrics["accuracy"] >= 0.65
    np.testing.assert_array_less(0, len(run.data.recipe.vocab))  # type: ignore[union-attr]


def test_model_given_for_arch_says_which_name_this_function_takes() -> None:
    from trainwell.core.errors import ConfigError
    from trainwell.text import text_classifier_learner, text_data

    data = text_data(pd.DataFrame({"text": ["good", "bad"] * 20, "label": ["p", "n"] * 20}), target="label")
    with pytest.raises(ConfigError, match=r"takes the architecture as arch= \(e.g. arch='ulmfit'\)"):
        text_classifier_learner(data, model="ulmfit")


def test_a_folder_of_class_folders_is_a_test_set_for_a_model_trained_on_a_table(tmp_path: Path) -> None:
    # test= took a table only: IMDB's test/ beside a CSV of training reviews was "a directory, not a file".
    from text_samples import imdb_layout, reviews

    root = imdb_layout(tmp_path / "imdb")
    table = tmp_path / "reviews.csv"
    reviews(120).to_csv(table, index=False)
    run = fit_texts(table, text_col="review", target="sentiment", test=root / "test", progress=False)
    assert run.data.test.n_rows == 20  # type: ignore[union-attr]
    assert (
        run.learn.test_scores is not None and run.learn.test_scores["roc_auc"] >= 0.95
    )  # labels read from the folders
    with pytest.raises(DataError, match="holds train/: pass the folder of the held-out class folders"):
        text_data(table, "sentiment", text_col="review", test=root)
    unlabelled = tmp_path / "to_answer.csv"  # reviews to answer, without their label: for predict, not test=
    reviews(10).drop(columns="sentiment").to_csv(unlabelled, index=False)
    with pytest.raises(
        DataError, match=rf"the test data {unlabelled} has no target column 'sentiment' .* predict"
    ):
        text_data(table, "sentiment", text_col="review", test=unlabelled)
    with pytest.raises(ConfigError, match="labels each text with one class folder"):
        scores = reviews(120).assign(stars=1.0, votes=2.0)  # two numeric targets: one regression
        scores.to_csv(table, index=False)
        text_data(table, ["stars", "votes"], text_col="review", test=root / "test")
