"""``learn.show_results()`` for every Learner but images' (which draw a PNG): the first validation rows as read,
beside their actual and predicted values.

The tour found it on vision learners alone: tables, text classifiers, taggers and ratings models raised
AttributeError right after fitting, where the README promised it. Each table here is checked against a reference
the Learner already gives: ``get_preds`` over the whole validation set, and the rows the data keeps as read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from ratings_support import low_rank_ratings
from tagging_samples import entity_sentences
from text_samples import reviews
from trainwell.core.errors import ConfigError
from trainwell.data.fair_order import in_fair_order


def _table(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.normal(50, 10, n).round(1)
    city = rng.choice(["Oslo", "Lagos", "Lima"], n)
    return pd.DataFrame(
        {
            "size": size,
            "city": city,
            "kind": np.where(size + (city == "Oslo") * 8 > 52, "big", "small"),
            "price": size * 3 + rng.normal(0, 1, n),
            "rent": size / 10 + rng.normal(0, 0.1, n),
        }
    )


def test_a_tables_learner_shows_its_validation_rows_as_read_beside_actual_predicted_and_probability() -> None:
    frame = _table().drop(columns=["price", "rent"])
    data = trainwell.tabular_data(frame, "kind", seed=0)
    learn = trainwell.tabular_learner(data, progress=False)
    learn.fit_one_cycle(1)

    shown = learn.show_results(5)

    kept = data.rows["valid"].head(5)
    assert list(shown.columns) == ["size", "city", "actual", "predicted", "probability"]
    # The rows keep their index in the source, so each leads back to its row; the target makes way for 'actual'.
    assert list(shown.index) == list(kept.index)
    assert shown[["size", "city"]].equals(kept[["size", "city"]])
    assert shown["actual"].tolist() == kept["kind"].tolist()
    probabilities, _ = learn.get_preds()
    expected = learn.task.decode(probabilities[:5])
    assert shown["predicted"].tolist() == expected
    of_predicted = [
        p if label == learn.task.classes[1] else 1 - p
        for p, label in zip(probabilities[:5].tolist(), expected, strict=True)
    ]
    assert np.allclose(shown["probability"], of_predicted)
    assert (shown["probability"] >= 0.5).all()


def test_a_regression_of_two_targets_shows_each_targets_actual_and_predicted_in_its_units() -> None:
    frame = _table().drop(columns=["kind"])
    data = trainwell.tabular_data(frame, ["price", "rent"], seed=0)
    learn = trainwell.tabular_learner(data, progress=False)

    shown = learn.show_results(4)

    assert list(shown.columns) == [
        "size",
        "city",
        "actual[price]",
        "predicted[price]",
        "actual[rent]",
        "predicted[rent]",
    ]
    predicted, actual = learn.get_preds()
    assert actual is not None
    assert np.allclose(shown["actual[price]"], data.rows["valid"]["price"].head(4))
    assert np.allclose(shown["predicted[price]"], predicted[:4, 0]) and np.allclose(
        shown["predicted[rent]"], predicted[:4, 1]
    )


def test_a_text_classifier_shows_its_validation_texts_as_read() -> None:
    frame = reviews(60, seed=1)
    data = trainwell.text_data(frame, "sentiment", text_col="review", seed=0)
    learn = trainwell.text_classifier_learner(data, arch="fast", progress=False)

    shown = learn.show_results(3)

    assert list(shown.columns) == ["text", "actual", "predicted", "probability"]
    assert shown["text"].tolist() == data.texts["valid"][:3]  # type: ignore[attr-defined]
    by_text = dict(zip(frame["review"], frame["sentiment"], strict=True))
    assert shown["actual"].tolist() == [by_text[text] for text in shown["text"]]
    probabilities, _ = learn.get_preds()
    assert shown["predicted"].tolist() == learn.task.decode(probabilities[:3])


def test_a_tagger_shows_each_sentences_words_with_actual_and_predicted_tags_and_counts_the_wrong_ones() -> (
    None
):
    sentences = entity_sentences(60, seed=2)
    data = trainwell.tagging_data(sentences, valid_pct=0.25, seed=0)
    learn = trainwell.tagging_learner(data, progress=False)

    shown = learn.show_results(4)

    assert list(shown.columns) == ["words", "actual", "predicted", "wrong"]
    valid_words, valid_tags = data.sentences["valid"][:4], data.tags["valid"][:4]  # type: ignore[attr-defined]
    assert shown["words"].tolist() == [" ".join(words) for words in valid_words]
    assert shown["actual"].tolist() == [" ".join(tags) for tags in valid_tags]
    decoded, _ = learn.get_preds()
    predicted = learn.task.decode(decoded[:4])
    assert shown["predicted"].tolist() == [" ".join(tags) for tags in predicted]
    assert all(
        len(tags.split()) == len(words) for tags, words in zip(shown["predicted"], valid_words, strict=True)
    )
    wrong = [
        sum(a != p for a, p in zip(want, got, strict=True))
        for want, got in zip(valid_tags, predicted, strict=True)
    ]
    assert shown["wrong"].tolist() == wrong
    assert sum(wrong) > 0  # an untrained tagger: the count is not trivially zero


def test_a_ratings_model_shows_user_item_actual_and_predicted_rating() -> None:
    frame = low_rank_ratings(0, n_ratings=600).frame
    is_valid = np.zeros(len(frame), dtype=bool)
    is_valid[::5] = True
    frame = frame.assign(is_valid=is_valid)
    data = trainwell.ratings_data(frame, user="user", item="item", valid_col="is_valid")
    learn = trainwell.collab_learner(data, progress=False)

    shown = learn.show_results(6)

    assert list(shown.columns) == ["user", "item", "actual", "predicted"]
    # The marked rows in the data's fair order (data.fair_order: ratings shuffled by the seed, 0).
    held_out = frame.iloc[in_fair_order(np.flatnonzero(is_valid), None, 0)].head(6)
    # An id training never saw is said to be one; every other is the id as read.
    seen_users, seen_items = (
        set(frame.loc[~frame["is_valid"], "user"]),
        set(frame.loc[~frame["is_valid"], "item"]),
    )
    assert shown["user"].tolist() == [str(u) if u in seen_users else "(unseen)" for u in held_out["user"]]
    assert shown["item"].tolist() == [str(i) if i in seen_items else "(unseen)" for i in held_out["item"]]
    assert np.allclose(shown["actual"], held_out["rating"])
    predicted, _ = learn.get_preds()
    assert np.allclose(shown["predicted"], predicted[:6])


def test_tensor_data_shows_a_narrow_inputs_columns_and_predicts_only_the_rows_shown() -> None:
    x = torch.randn(300, 3, generator=torch.Generator().manual_seed(0))
    data = trainwell.tensor_data(x, x[:, 0] * 2.0, valid_pct=0.5, batch_size=8)  # valid batches of 16 rows
    learn = trainwell.Learner(torch.nn.Linear(3, 1), data, progress=False)
    calls = []
    learn.model.register_forward_hook(lambda module, args, output: calls.append(len(args[0])))

    shown = learn.show_results(20)

    assert calls == [16, 16]  # the two batches that hold the 20 rows, not the 150 validation rows
    assert list(shown.columns) == ["x[0]", "x[1]", "x[2]", "actual", "predicted"]
    first = next(iter(data.valid))  # type: ignore[arg-type]
    assert np.allclose(shown[["x[0]", "x[1]", "x[2]"]].to_numpy()[:16], first[0].numpy())
    assert np.allclose(shown["actual"], shown["x[0]"] * 2.0)


def test_show_results_refuses_a_path_a_count_below_one_and_data_without_a_validation_set() -> None:
    frame = _table().drop(columns=["price", "rent"])
    learn = trainwell.tabular_learner(trainwell.tabular_data(frame, "kind", seed=0), progress=False)
    # The vision call, show_results("results.png"), on a Learner that answers with a table.
    with pytest.raises(
        ConfigError,
        match=r"^learn.show_results\('results.png'\): this Learner shows its validation rows beside",
    ):
        learn.show_results("results.png")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"n is the number of validation rows to show.*got 0$"):
        learn.show_results(0)
    unsplit = trainwell.tabular_learner(trainwell.tabular_data(frame, "kind", valid_pct=0), progress=False)
    with pytest.raises(
        ConfigError, match=r"has no validation set to show; build the data with one \(valid_pct=0.2"
    ):
        unsplit.show_results()


def test_a_multilabel_rows_labels_are_joined_and_a_language_model_is_pointed_to_generate() -> None:
    frame = _table().drop(columns=["price", "rent"])
    frame["kind"] = [
        ";".join(label for label, on in (("large", s > 50), ("north", c == "Oslo")) if on) or "none"
        for s, c in zip(frame["size"], frame["city"], strict=True)
    ]
    data = trainwell.tabular_data(frame, "kind", label_delim=";", seed=0)
    learn = trainwell.tabular_learner(data, progress=False)

    shown = learn.show_results(4)

    assert list(shown.columns) == ["size", "city", "actual", "predicted"]
    assert [set(a.split(";")) for a in shown["actual"]] == [
        set(k.split(";")) for k in data.rows["valid"]["kind"].head(4)
    ]
    probabilities, _ = learn.get_preds()
    assert shown["predicted"].tolist() == [
        ";".join(labels) for labels in learn.task.decode(probabilities[:4])
    ]

    text = pd.DataFrame({"text": [" ".join(["the cat sat on the mat and the dog ran ."] * 50)] * 10})
    language_model = trainwell.language_model_learner(
        trainwell.lm_data(text, text_col="text"), progress=False
    )
    with pytest.raises(
        ConfigError, match=r"a language model's are next tokens: call learn.generate\('a prompt'\)"
    ):
        language_model.show_results()
