"""GradientAccumulation: n micro-batches of b rows step like one batch of n*b rows."""

from __future__ import annotations

import re

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data, weights_of

from trainwell.callbacks import GradientAccumulation
from trainwell.core.errors import ConfigError
from trainwell.learner import Callback


def plain_sgd(groups, lr):
    return torch.optim.SGD(groups, lr=lr)  # no momentum, no decay: the step is exactly -lr * gradient


class StepCounter(Callback):
    def __init__(self) -> None:
        self.steps: list[tuple[int, int]] = []

    def after_step(self, learn) -> None:
        self.steps.append((learn.epoch, learn.batch_index))


def test_two_batches_of_16_equal_one_batch_of_32() -> None:
    # 64 rows, no validation: batches of 16 pair up exactly into the batches of 32 of the same shuffled order.
    small = linear_learner(regression_data(64, batch_size=16, valid_pct=0), opt=plain_sgd, lr=0.1, wd=0.0)
    large = linear_learner(regression_data(64, batch_size=32, valid_pct=0), opt=plain_sgd, lr=0.1, wd=0.0)
    torch.testing.assert_close(weights_of(small.model), weights_of(large.model), rtol=0, atol=0)
    small.fit(3, callbacks=[GradientAccumulation(2)])
    large.fit(3)
    torch.testing.assert_close(weights_of(small.model), weights_of(large.model), rtol=0, atol=1e-6)
    # Without accumulation the small-batch run takes twice as many steps and ends elsewhere.
    unaccumulated = linear_learner(
        regression_data(64, batch_size=16, valid_pct=0), opt=plain_sgd, lr=0.1, wd=0.0
    )
    unaccumulated.fit(3)
    assert not torch.allclose(unaccumulated.model.weight, large.model.weight, atol=1e-4)


def test_a_last_short_group_steps_at_full_size() -> None:
    # 80 rows: 5 batches of 16 accumulated by 2 step as the batches of 32, 32 and 16 do; the last group holds
    # one batch, whose gradient is not halved (it was, so each epoch ended with half a step).
    small = linear_learner(regression_data(80, batch_size=16, valid_pct=0), opt=plain_sgd, lr=0.1, wd=0.0)
    large = linear_learner(regression_data(80, batch_size=32, valid_pct=0), opt=plain_sgd, lr=0.1, wd=0.0)
    small.fit(3, callbacks=[GradientAccumulation(2)])
    large.fit(3)
    torch.testing.assert_close(weights_of(small.model), weights_of(large.model), rtol=0, atol=1e-6)


def test_steps_every_n_batches_and_on_the_last_batch_of_each_epoch() -> None:
    counter = StepCounter()
    learn = linear_learner(regression_data(80, batch_size=12, valid_pct=0.25))  # 60 rows: 5 batches an epoch
    learn.fit(2, callbacks=[GradientAccumulation(2), counter])
    assert counter.steps == [(0, 1), (0, 3), (0, 4), (1, 1), (1, 3), (1, 4)]
    # The schedule and the history still count every batch.
    assert learn.iteration == 10 and len(learn.recorder.lrs) == 10


def test_logged_loss_is_not_divided() -> None:
    plain = linear_learner(regression_data(64, batch_size=16, valid_pct=0), opt=plain_sgd, lr=1e-9)
    accumulated = linear_learner(regression_data(64, batch_size=16, valid_pct=0), opt=plain_sgd, lr=1e-9)
    plain.fit(1)
    accumulated.fit(1, callbacks=[GradientAccumulation(4)])
    assert accumulated.history[0]["train_loss"] == pytest.approx(plain.history[0]["train_loss"], rel=1e-6)


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "2"])
def test_n_batches_must_be_a_positive_whole_number(value: object) -> None:
    message = (
        f"GradientAccumulation n_batches must be a whole number >= 1, got {value!r}; pass e.g. n_batches=2"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        GradientAccumulation(value)  # type: ignore[arg-type]
