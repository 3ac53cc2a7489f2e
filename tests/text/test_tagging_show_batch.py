"""Tagged data's ``show_batch`` and repr: the tour's ``tagging_data("conll2003/").show_batch()`` was refused with
words about tables and tensor_data, and the repr counted tokens (``train=203621 tokens``) where the evaluation
and cross-validation of a tagger count sentences."""

from __future__ import annotations

import pytest

import trainwell
from tagging_samples import entity_sentences
from trainwell.core.errors import ConfigError


def test_show_batch_gives_each_sentences_words_and_tags_as_read() -> None:
    sentences = entity_sentences(40, seed=1)
    data = trainwell.tagging_data(sentences, valid_pct=0.25, seed=0)

    shown = data.show_batch(3)

    assert list(shown.columns) == ["words", "tags", "length"]
    train_words, train_tags = data.sentences["train"][:3], data.tags["train"][:3]
    assert shown["words"].tolist() == [" ".join(words) for words in train_words]
    assert shown["tags"].tolist() == [" ".join(tags) for tags in train_tags]
    assert shown["length"].tolist() == [len(words) for words in train_words]
    # The training split is the sentences given, in their order, less those drawn for validation.
    assert all((words, tags) in sentences for words, tags in zip(train_words, train_tags, strict=True))
    valid = data.show_batch(2, split="valid")
    assert valid["words"].tolist() == [" ".join(words) for words in data.sentences["valid"][:2]]


def test_show_batch_of_tagged_data_names_its_splits_and_refuses_a_path() -> None:
    data = trainwell.tagging_data(entity_sentences(20, seed=1), valid_pct=0.25, seed=0)
    with pytest.raises(
        ConfigError,
        match=r"^show_batch: this tagged data has no 'test' split of sentences \(it has: train, valid\)",
    ):
        data.show_batch(split="test")
    with pytest.raises(
        ConfigError, match=r"^show_batch\('batch.png'\): this data shows its sentences as read"
    ):
        data.show_batch("batch.png")  # type: ignore[arg-type]


def test_a_tagged_bundle_counts_sentences_as_its_evaluation_does() -> None:
    sentences = entity_sentences(40, seed=1)
    data = trainwell.tagging_data(sentences, valid_pct=0.25, seed=0)
    assert (
        repr(data) == "DataBundle(task=tagging, train=30 sentences, valid=10 sentences, application='text')"
    )
    assert data.train.n_tokens > 30 * 3  # type: ignore[attr-defined]  # the words are still counted where asked
