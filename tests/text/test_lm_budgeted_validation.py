"""Under a time budget a language model's validation pass keeps to a share of it (PTB's took 2m 8s of a 1m
budget, which then trained 3 batches), reads the same tokens every epoch, and the trigram is scored on them too."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

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
    # the pass stops before the window that would take it past the share
    assert read == math.floor(limit) < len(valid)  # type: ignore[arg-type]
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


class Forwards:
    """A forward hook moving the budget's clock by the model's own calls: ``train`` seconds a training batch,
    ``valid(epoch)`` seconds an evaluation-mode one (a validation window, and the one the budget times as the fit
    begins); it counts each epoch's validation windows."""

    def __init__(self, learn: Learner, clock: FakeClock, train: float, valid: Callable[[int], float]) -> None:
        self.learn, self.clock, self.train, self.valid = learn, clock, train, valid
        self.windows: dict[int, int] = {}
        self.in_validation = False
        learn.model.register_forward_hook(self)

    def __call__(self, model: Any, inputs: Any, output: Any) -> None:
        if model.training:
            self.clock.now += self.train
            return
        self.clock.now += self.valid(self.learn.epoch)
        if getattr(self.learn, "in_validation", False):
            self.windows[self.learn.epoch] = self.windows.get(self.learn.epoch, 0) + 1


class InValidation(Callback):
    """``learn.in_validation``: whether the loop is in a validation pass (not the budget's timing before it)."""

    def before_fit(self, learn: Learner) -> None:
        learn.in_validation = False  # type: ignore[attr-defined]

    def before_validate(self, learn: Learner) -> None:
        learn.in_validation = True  # type: ignore[attr-defined]

    def after_validate(self, learn: Learner) -> None:
        learn.in_validation = False  # type: ignore[attr-defined]


def test_the_plan_keeps_the_time_a_validation_window_takes_and_the_fit_ends_within_the_budget() -> None:
    # PTB under --time 60: a validation window (the full softmax) took 2.5 training batches (a sampled softmax);
    # the plan guessed a pass at a third of a training batch a window, kept 3.6 s for a pass of 12 s, and the fit
    # ended past the budget. Here a window takes 4 training batches: 20 of them, 40 s, against a plan's 3.3 s.
    learn = _learner()
    clock = FakeClock()
    forwards = Forwards(learn, clock, train=0.5, valid=lambda epoch: 2.0)
    budget = TimeBudget(60, clock=clock)  # one epoch of training alone would take 89 s
    learn.fit_one_cycle(3, 1e-2, callbacks=[budget, InValidation()])
    assert budget.used <= budget.seconds, budget.summary()
    read = forwards.windows[0]
    assert read * 2.0 <= VALID_SHARE * budget.seconds and read >= 5  # the share, and no window past it
    assert learn.iteration >= 90  # the rest went to training: 60 s less the pass and the window timed first
    assert learn.history[-1]["valid_tokens"] < learn.history[-1]["valid_tokens_total"]


def test_a_first_pass_read_whole_is_read_whole_in_every_later_epoch() -> None:
    # Its first pass read every window inside the share; the machine then slowed down 25 times: the later pass,
    # which a fifth of the budget no longer held, read every window too (it read 5 of 20 before), so that the two
    # epochs' perplexities are of the same tokens.
    learn = _learner()
    clock = FakeClock()
    forwards = Forwards(learn, clock, train=0.05, valid=lambda epoch: 0.2 if epoch == 0 else 5.0)
    budget = TimeBudget(100, clock=clock)
    learn.fit_one_cycle(2, 1e-2, callbacks=[budget, InValidation()])
    total = len(learn.data.valid)  # type: ignore[arg-type]
    assert forwards.windows == {0: total, 1: total}
    assert len(learn.history) == 2 and not any("valid_tokens" in row for row in learn.history)
