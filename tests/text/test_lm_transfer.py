"""ULMFiT's second step: a language model fine-tuned on a new corpus with its vocabulary extended."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch
from classify_tables import topic_frame, write_csv
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.core.artifact import read_artifact
from trainwell.core.errors import ConfigError
from trainwell.text import (
    SPECIAL_TOKENS,
    Vocab,
    language_model_learner,
    lm_data,
    text_classifier_learner,
    text_data,
)
from trainwell.text.lm_learner import fit_language_model
from trainwell.text.ulmfit import lm_vocab


def _target_texts() -> list[str]:
    return topic_frame(200, seed=1)["text"].tolist()  # sport / music / food words the model never saw


def test_extend_keeps_every_id_and_appends_frequent_new_tokens() -> None:
    base = Vocab.build([["the", "cat", "the"]], min_freq=1)
    bigger = base.extend(Counter({"dog": 5, "cat": 9, "emu": 1, "owl": 7}), min_freq=2)
    real = [token for token in base.itos if not token.startswith("xxfake")]
    assert bigger.itos[: len(real)] == real
    assert bigger.itos[len(real) : len(real) + 2] == ["owl", "dog"]  # most frequent first, cat already known
    assert "emu" not in bigger and len(bigger) % 8 == 0
    capped = base.extend(Counter({f"w{i}": 10 + i for i in range(40)}), min_freq=1, max_size=24)
    assert len(capped) == 24 and capped.itos[len(real)] == "w39"
    assert "x" in base.extend(Counter({"x": 3}), max_size=None)
    with pytest.raises(ConfigError, match="min_freq"):
        base.extend(Counter(), min_freq=0)


def test_fine_tuning_data_keeps_the_tokenizer_and_extends_the_vocabulary(lm_dir: Path) -> None:
    old = lm_vocab(lm_dir)
    data = lm_data(_target_texts(), pretrained=lm_dir, batch_size=8, bptt=12, min_freq=2)
    new = data.recipe.vocab.itos  # type: ignore[union-attr]
    real = [token for token in old if not token.startswith("xxfake")]
    assert new[: len(real)] == real
    assert {"match", "song", "recipe"} <= set(new) - set(old)
    assert tuple(new[: len(SPECIAL_TOKENS)]) == SPECIAL_TOKENS


def test_known_words_keep_their_rows_and_new_words_start_at_the_mean(lm_dir: Path) -> None:
    _metadata, state = read_artifact(lm_dir)
    old = lm_vocab(lm_dir)
    data = lm_data(_target_texts(), pretrained=lm_dir, batch_size=8, bptt=12, min_freq=2)
    learn = language_model_learner(data, pretrained=lm_dir, progress=False)
    new = data.recipe.vocab  # type: ignore[union-attr]
    weight = learn.model.encoder.embedding.weight.detach()
    old_weight = state["encoder.embedding.weight"]
    for token in ("the", "movie", "great"):
        assert torch.equal(weight[new.index(token)], old_weight[old.index(token)])
    assert torch.allclose(weight[new.index("match")], old_weight.mean(0))
    assert learn.model_spec["config"]["hidden_size"] == 24  # the fixture model's (tests/text/conftest.py)
    for key, value in state.items():  # the LSTM weights are the old model's
        if "rnns" in key:
            assert torch.equal(learn.model.state_dict()[key], value), key


def test_fine_tuning_lowers_the_perplexity_on_the_new_corpus(lm_dir: Path) -> None:
    torch.manual_seed(0)
    data = lm_data(_target_texts(), pretrained=lm_dir, batch_size=8, bptt=12, min_freq=2)
    learn = language_model_learner(data, pretrained=lm_dir, progress=False)
    before = learn.validate()["perplexity"]
    learn.fit_one_cycle(2, slice(1e-2 / 2.6**2, 1e-2))
    assert learn.validate()["perplexity"] < 0.85 * before  # 34.4 -> 27.2 when written


def test_the_classifier_starts_from_the_fine_tuned_model(lm_dir: Path, tmp_path: Path) -> None:
    tuned = fit_language_model(_target_texts(), out=tmp_path / "tuned", pretrained=lm_dir, epochs=1, progress=False,
                               batch_size=8, bptt=12, min_freq=2).learn  # fmt: skip
    assert len(tuned.layer_groups()) == 3
    frame = topic_frame(120, seed=2)
    data = text_data(
        frame,
        "topic",
        text_col="text",
        vocab=lm_vocab(tmp_path / "tuned"),
        batch_format="padded",
        batch_size=16,
    )
    learn = text_classifier_learner(data, "ulmfit", pretrained=tmp_path / "tuned", progress=False)
    _metadata, state = read_artifact(tmp_path / "tuned")
    assert torch.equal(learn.model.encoder.embedding.weight, state["encoder.embedding.weight"])


def test_sizes_that_differ_from_the_model_and_non_language_models_are_clear_errors(
    lm_dir: Path, tmp_path: Path
) -> None:
    data = lm_data(_target_texts(), pretrained=lm_dir, batch_size=8, bptt=12, min_freq=2)
    with pytest.raises(ConfigError, match="hidden_size=32 differs from the language model's 24"):
        language_model_learner(data, pretrained=lm_dir, hidden_size=32, progress=False)
    frame = topic_frame(60, seed=0)
    classifier = text_classifier_learner(text_data(frame, "topic", text_col="text"), progress=False)
    classifier.fit_one_cycle(1, 1e-2)
    classifier.export(tmp_path / "clf")
    with pytest.raises(ConfigError) as info:
        lm_data(_target_texts(), pretrained=tmp_path / "clf")
    # It said "(its recipe kind is None)": a field of trainwell.json, not what the directory holds.
    assert str(info.value).startswith(
        f"'{tmp_path / 'clf'}' holds a multiclass text classifier, not a language model;"
    )
    with pytest.raises(ConfigError, match="holds a multiclass text classifier, not a language model"):
        language_model_learner(data, pretrained=tmp_path / "clf")


def test_cli_fine_tunes_a_language_model(lm_dir: Path, tmp_path: Path) -> None:
    corpus = write_csv(topic_frame(200, seed=1), tmp_path / "corpus.csv")
    out = tmp_path / "tuned"
    result = CliRunner().invoke(app, ["fit", str(corpus), "--task", "language_model", "--text", "text",
                                      "--pretrained", str(lm_dir), "--out", str(out), "--epochs", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "validation perplexity" in result.output
    assert "match" in lm_vocab(out) and lm_vocab(out)[: len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)
