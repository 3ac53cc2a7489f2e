"""trainwell evaluate on a text column: folds, the vocabulary fitted per fold, TF-IDF baselines."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from text_samples import reviews
from trainwell.core.errors import ConfigError
from trainwell.data.task import infer_task
from trainwell.text.evaluation import TextFold, evaluate_texts


@pytest.mark.slow
def test_cross_validation_of_texts_beside_tfidf() -> None:
    result = evaluate_texts(
        reviews(200), text_col="review", target="sentiment", cv=3
    )  # default epochs, as trainwell fit
    assert result.model.k == 3 and set(result.baselines) == {"majority class", "tf-idf + logistic"}
    assert result.baselines["majority class"].summary()["accuracy"].mean == pytest.approx(0.5, abs=0.02)
    assert result.baselines["tf-idf + logistic"].summary()["accuracy"].mean > 0.9
    assert result.model.summary()["accuracy"].mean > 0.8


def test_each_fold_fits_its_own_vocabulary() -> None:
    frame = reviews(60)
    frame.loc[:29, "review"] = frame.loc[:29, "review"] + " zebra zebra"  # a word only the first half knows
    task = infer_task(frame["sentiment"])
    fold = TextFold(frame, "review", "sentiment", task, ["accuracy"], epochs=1)
    first, second = np.arange(0, 30), np.arange(30, 60)
    fold(first, second, 0)
    fold(second, first, 1)
    assert "zebra" in fold.vocabularies[0] and "zebra" not in fold.vocabularies[1]


def test_texts_are_judged_by_the_metrics_asked_for() -> None:
    # evaluate --metric was for tables only: a text classifier could not be judged by log loss or balanced accuracy.
    result = evaluate_texts(
        reviews(60),
        text_col="review",
        target="sentiment",
        cv=2,
        epochs=1,
        metrics=["log_loss", "balanced_accuracy"],
    )
    assert result.model.metric_names == ["log_loss", "balanced_accuracy"]
    assert result.baselines["tf-idf + logistic"].metric_names == ["log_loss", "balanced_accuracy"]
    assert result.mean("log_loss") > 0 and result.mean("log_loss", "majority class") > 0
    with pytest.raises(
        ConfigError, match=r"^--metric 'rmse' does not score a binary evaluation; use one of: accur"
    ):
        evaluate_texts(reviews(60), text_col="review", target="sentiment", cv=2, metrics=["rmse"])


def _topics(n: int, seed: int = 0) -> pd.DataFrame:
    """Texts about sport, food or both, '|'-separated; 'rain' is a rare third label."""
    rng = np.random.default_rng(seed)
    words = {"sport": ["goal", "match", "team"], "food": ["bread", "soup", "cheese"], "rain": ["umbrella"]}
    filler = ["the", "a", "today", "we", "saw", "very", "and"]
    rows = []
    for _ in range(n):
        labels = [name for name in ("sport", "food") if rng.random() < 0.5] or ["sport"]
        if rng.random() < 0.05:
            labels.append("rain")
        tokens = [str(rng.choice(filler)) for _ in range(6)] + [
            str(rng.choice(words[name])) for name in labels
        ]
        rng.shuffle(tokens)
        rows.append((" ".join(tokens), "|".join(labels)))
    return pd.DataFrame(rows, columns=["text", "topic"])


def test_multilabel_texts_are_cross_validated_beside_per_label_tfidf() -> None:
    result = evaluate_texts(_topics(240), text_col="text", target="topic", cv=3, epochs=4, label_delim="|")
    assert result.task.kind == "multilabel" and not result.model.stratified
    assert set(result.baselines) == {"label priors", "tf-idf + logistic"}
    assert result.baselines["label priors"].summary()["roc_auc"].mean == pytest.approx(0.5, abs=0.05)
    assert result.baselines["tf-idf + logistic"].summary()["roc_auc"].mean > 0.9
    assert result.model.summary()["roc_auc"].mean > 0.9


def test_texts_from_a_frame_and_from_its_file_give_the_same_evaluation(tmp_path: Path) -> None:
    import trainwell

    frame = reviews(80, seed=2)
    path = tmp_path / "reviews.csv"
    frame.to_csv(path, index=False)
    settings = {"text_col": "review", "target": "sentiment", "cv": 2, "epochs": 1, "seed": 3}
    from_frame = trainwell.evaluate_texts(frame, **settings)
    from_file = trainwell.evaluate_texts(path, **settings)
    assert from_frame.to_dict() == from_file.to_dict() and str(from_frame) == str(from_file)
    assert from_frame.unit == "texts" and "2-fold cross-validation (binary, 80 texts)" in str(from_frame)
    assert from_frame.names == ["trainwell", "majority class", "tf-idf + logistic"]
    # the sentiment word decides the label: the linear baseline reads it, the majority class cannot
    assert (
        from_frame.mean("accuracy", "tf-idf + logistic") > from_frame.mean("accuracy", "majority class") + 0.2
    )
    # one epoch on 40 texts does not clearly beat TF-IDF: the verdict says so, and the table warns
    assert not from_frame.beats_baselines()
    shown = " ".join(str(from_frame).split())  # the line wraps at the console's width
    # Over 2 folds the t interval of a difference, its variance corrected for the folds' shared rows, spans zero.
    assert "note: trainwell does not clearly beat tf-idf + logistic on accuracy -" in shown
    assert "roc_auc -" in shown.split("tf-idf + logistic on accuracy", 1)[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"text_col": "body"},
            "text_col='body' is not a column of the table; columns are: review, sentiment",
        ),
        (
            {"target": "stars"},
            "target='stars' is not a column of the table; columns are: review, sentiment",
        ),
        ({"cv": 1}, "cv must be a whole number of folds of at least 2, got 1; pass e.g. cv=5"),
    ],
)
def test_bad_text_input_is_one_line(change: dict, message: str) -> None:
    import trainwell
    from trainwell.core.errors import UserError

    arguments = {"text_col": "review", "target": "sentiment", **change}
    with pytest.raises(UserError, match=re.escape(message)):
        trainwell.evaluate_texts(reviews(20), **arguments)


def test_a_folder_of_class_folders_is_cross_validated_without_its_test_and_unlabelled_texts(
    tmp_path: Path,
) -> None:
    # IMDB's layout: train/<label>/ (and an unlabelled train/unsup/) beside test/<label>/, as text_data reads it.
    for split, frame in (("train", reviews(60)), ("test", reviews(20, seed=1))):
        for i, (text, label) in enumerate(zip(frame["review"], frame["sentiment"], strict=True)):
            (tmp_path / split / label).mkdir(parents=True, exist_ok=True)
            (tmp_path / split / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "train" / "unsup").mkdir()
    (tmp_path / "train" / "unsup" / "0.txt").write_text("no label", encoding="utf-8")
    result = evaluate_texts(tmp_path, cv=2, epochs=1, baselines=False)
    assert result.task.kind == "binary" and list(result.task.classes) == ["neg", "pos"]
    assert sum(len(valid) for _train, valid in result.model.splits) == 60
    with pytest.raises(ConfigError, match="leave text_col= and target= out"):
        evaluate_texts(tmp_path, target="sentiment", cv=2)
    with pytest.raises(ConfigError, match="evaluate_texts needs target="):
        evaluate_texts(reviews(20), text_col="review", cv=2)


def test_folds_over_phrases_of_the_same_sentences_are_warned_of() -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    sentences = [" ".join(rng.choice(words, size=12)) for _ in range(40)]
    cuts = ((0, 12), (0, 9), (2, 7), (3, 5), (5, 4), (6, 3))
    phrases = [" ".join(s.split()[start : start + n]) for s in sentences for start, n in cuts]
    frame = pd.DataFrame({"text": phrases, "label": rng.choice(["a", "b"], size=len(phrases))})
    with pytest.warns(UserWarning, match="folds drawn at random cannot keep the pieces of one text together"):
        evaluate_texts(frame, target="label", cv=3, epochs=1, baselines=False)


#: An AWD-LSTM classifier small enough to train a fold in a second.
SMALL_AWD_LSTM = {"emb_size": 8, "hidden_size": 16, "n_layers": 1, "head_hidden": 8}


def test_the_architecture_learning_rate_and_learner_settings_reach_every_fold() -> None:
    # evaluate_texts took no architecture or learning rate: what fit_texts(arch=..., lr=...) trains could not be
    # cross-validated. Each fold's learner is what the keywords ask for, and its settings are those passed.
    frame = reviews(40)
    bag = evaluate_texts(frame, text_col="review", target="sentiment", cv=2, epochs=1, baselines=False)
    assert bag.archs == ["ngram_bag", "ngram_bag"]
    lstm = evaluate_texts(
        frame,
        text_col="review",
        target="sentiment",
        cv=2,
        epochs=1,
        lr=0.02,
        arch="awd_lstm",
        arch_config=SMALL_AWD_LSTM,
        learner_kwargs={"wd": 0.0},
        baselines=False,
    )
    assert lstm.archs == ["awd_lstm", "awd_lstm"] and lstm.lrs == [0.02, 0.02]
    fold = TextFold(
        frame,
        "review",
        "sentiment",
        infer_task(frame["sentiment"]),
        ["accuracy"],
        arch="awd_lstm",
        epochs=1,
        learner_kwargs={"arch_config": SMALL_AWD_LSTM},
    )
    fold(np.arange(0, 20), np.arange(20, 40), 0)
    assert fold.archs == ["awd_lstm"] and fold.lrs != [0.02]  # no lr: the architecture's default


def test_a_bad_architecture_or_learning_rate_stops_before_any_fold() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^unknown text architecture 'lstm'; choose one of: .*ngram_bag.* \(e.g. arch='ulmfit'\)$",
    ):
        evaluate_texts(reviews(40), text_col="review", target="sentiment", cv=2, arch="lstm")
    with pytest.raises(ConfigError, match=r"^lr \(--lr\) must be above 0 and below 10, got -1"):
        evaluate_texts(reviews(40), text_col="review", target="sentiment", cv=2, lr=-1)
