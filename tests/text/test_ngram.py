"""The Kneser-Ney baseline of language models: a distribution that sums to one, hand-checked counts, and the
figure a fit reports beside its own perplexity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_stream import lm_data
from trainwell.text.ngram import KneserNey


def random_stream(n: int = 6000, vocab: int = 40, seed: int = 0) -> np.ndarray:
    ids = np.random.default_rng(seed).integers(0, vocab, n)
    ids[::4] = 3  # some structure for the higher orders
    return ids


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_context_gets_a_distribution_that_sums_to_one(order: int) -> None:
    model = KneserNey.fit(random_stream(), 40, order)
    for context in ([3, 7, 1], [39, 39, 39], [0, 3, 5], [11]):
        # Every word after the same context: the probabilities of the last position.
        stream = np.array([[*context, word] for word in range(40)])
        total = sum(math.exp(model.log_probs(row)[-1]) for row in stream)
        assert total == pytest.approx(1.0, abs=1e-9), context


def test_counts_discounts_and_backoff_by_hand() -> None:
    # Trigrams: (1 2 3) x2, (2 3 1) x2, (3 1 2) x2, (1 2 4) x1: n1 = 1, n2 = 3, so D3 = 1 / 7. The bigram and
    # unigram levels count distinct left neighbours (each 1 here), so D2 = D1 = 1, clipped to 0.95.
    model = KneserNey.fit(np.array([1, 2, 3, 1, 2, 3, 1, 2, 4]), vocab_size=5)
    assert [round(o.discount, 4) for o in model.orders] == [0.95, 0.95, round(1 / 7, 4)]
    unigram = 0.05 / 4 + 0.95 * 4 / 4 * (1 / 5)  # continuation count of "3": 1 of 4, 4 types
    bigram = (1 - 0.95) / 2 + 0.95 * 2 / 2 * unigram  # after "2": "3" and "4", once each
    trigram = (2 - 1 / 7) / 3 + (1 / 7) * 2 / 3 * bigram  # after "1 2": "3" twice, "4" once
    assert math.exp(model.log_probs(np.array([1, 2, 3]))[-1]) == pytest.approx(trigram)
    # An unseen history backs off whole: "3" after "4 4" is the bigram estimate after "4" (never seen): unigram.
    assert math.exp(model.log_probs(np.array([4, 4, 3]))[-1]) == pytest.approx(unigram)


def test_a_predictable_stream_scores_near_one_and_noise_near_the_vocabulary() -> None:
    cycle = np.tile(np.arange(10), 300)
    assert KneserNey.fit(cycle, 10).perplexity(cycle) < 1.1
    noise = np.random.default_rng(1).integers(0, 50, 20000)
    held_out = np.random.default_rng(2).integers(0, 50, 5000)
    assert 45 < KneserNey.fit(noise, 50).perplexity(held_out) < 60  # nothing to learn: about uniform (50)


def test_bad_orders_are_refused() -> None:
    with pytest.raises(ConfigError, match="order must be a whole number >= 1"):
        KneserNey.fit(random_stream(), 40, 0)
    with pytest.raises(ConfigError, match="does not fit 64-bit keys"):
        KneserNey.fit(random_stream(), 60_000, 4)
    with pytest.raises(ConfigError, match="2 tokens are too few for an order-3 model"):
        KneserNey.fit(np.array([1, 2]), 5)


def test_a_language_model_fit_reports_the_trigram_beside_its_perplexity() -> None:
    torch.manual_seed(0)
    texts = [" ".join(np.random.default_rng(i).choice(["a", "b", "c", "d", "e"], 30)) for i in range(60)]
    data = lm_data(texts, batch_size=4, bptt=8, min_freq=1, seed=0)
    learn = language_model_learner(data, emb_size=8, hidden_size=8, n_layers=1, progress=False)
    learn.fit_one_cycle(2, 1e-2)
    vocab_size = data.model_hints["vocab_size"]
    expected = KneserNey.fit(data.train.ids.numpy(), vocab_size).perplexity(data.valid.ids.numpy())
    assert [row["perplexity_baseline"] for row in learn.history] == [expected, expected]


def test_the_command_line_warns_when_the_model_does_not_beat_the_trigram(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat .\n" * 300, encoding="utf-8")  # a trigram predicts it all
    result = CliRunner().invoke(
        app, ["fit", str(corpus), "--task", "language_model", "--epochs", "1", "--out", str(tmp_path / "lm")]
    )
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "(a Kneser-Ney trigram on the same text: 1." in printed
    assert "warning: the model's perplexity" in printed and "is not below the Kneser-Ney trigram's" in printed
    assert "perplexity_baseline" in printed  # the metrics table says what it is
