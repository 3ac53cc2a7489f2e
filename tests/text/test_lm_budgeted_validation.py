"""Under a time budget a language model's validation pass keeps to a share of it (PTB's took 2m 8s of a 1m
budget, which then trained 3 batches), reads the same tokens every epoch, and the trigram is scored on them too."""

from __future__ import annotations

import math

import pytest
import torch

from clock_support import FakeClock
from text_samples import stories
from trainwell.callbacks import TimeBudget
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.text.lm_callbacks import VALID_SHARE
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_stream import lm_data
from trainwell.text.ngram import KneserNey


class Ticks(Callback):
    """A training batch takes 0.05 s of the budget's clock, a validation batch 1 s."""

    order = 100

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.valid_batches: list[int] = []

    def before_validate(self, learn: Learner) -> None:
        self.valid_batches.append(0)

    def after_loss(self, learn: Learner) -> None:  # every batch read, the one that ends the pass too
        self.clock.now += 0.05 if learn.training else 1.0
        if not learn.training:
            self.valid_batches[-1] += 1


def _learner() -> Learner:
    torch.manual_seed(0)
    data = lm_data(stories(300), batch_size=4, bptt=8, min_freq=1, seed=0)
    return language_model_learner(data, emb_size=8, hidden_size=8, n_layers=1, progress=False)


def test_a_budgeted_validation_reads_its_share_and_the_same_tokens_each_epoch() -> None:
    learn = _learner()
    valid = learn.data.valid
    clock = FakeClock()
    ticks = Ticks(clock)
    budget = TimeBudget(50, clock=clock)  # a fifth: 10 s, 10 of the validation's windows
    assert len(valid) > 12 and 2 * 0.05 * len(learn.data.train) < 20  # type: ignore[arg-type]
    learn.fit_one_cycle(2, 1e-2, callbacks=[budget, ticks])
    limit = VALID_SHARE * budget.seconds
    assert len(ticks.valid_batches) == 2 and ticks.valid_batches[0] == ticks.valid_batches[1]
    read = ticks.valid_batches[0]
    assert read == math.floor(limit) + 1 < len(valid)  # type: ignore[arg-type]  # the window past the share ends it
    rows, length = valid.batch_size, valid.row_length  # type: ignore[union-attr]
    columns = min(length, read * valid.bptt)  # type: ignore[union-attr]
    for row in learn.history:
        assert row["valid_tokens"] == rows * columns and row["valid_tokens_total"] == rows * length
    # The trigram on the same tokens: the first `columns` targets of every row of the stream.
    vocab_size = int(learn.data.model_hints["vocab_size"])
    trigram = KneserNey.fit(learn.data.train.ids.numpy(), vocab_size)  # type: ignore[union-attr]
    log_probs = trigram.log_probs(valid.ids.numpy())  # type: ignore[union-attr]
    expected = math.exp(-log_probs[: rows * length].reshape(rows, length)[:, :columns].mean())
    assert learn.history[-1]["perplexity_baseline"] == pytest.approx(expected)
    assert expected != pytest.approx(trigram.perplexity(valid.ids.numpy()))  # type: ignore[union-attr]


def test_without_a_budget_every_token_is_read() -> None:
    learn = _learner()
    learn.fit_one_cycle(1, 1e-2)
    assert "valid_tokens" not in learn.history[-1]
    tokens = learn.validate()
    assert learn.history[-1]["perplexity"] == pytest.approx(tokens["perplexity"], rel=1e-5)
