"""The learning rate of an optimizer set by hand, or of an opt factory that chose its own: a fit given no lr
trains at it, a fit given one replaces it and says so once.

Tour 61 #3: learn.opt = SGD(lr=0.1) and opt=lambda g, lr: SGD(g, lr=0.1) both trained at learn.lr (1e-3) without
a word, and a hand-set optimizer's groups of different rates were all flattened to one.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from torch import nn

from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner


class Rates(Callback):
    """Each group's lr at every step of each fit."""

    order = 100

    def __init__(self) -> None:
        self.steps: list[list[float]] = []

    def before_step(self, learn: Learner) -> None:
        assert learn.opt is not None
        self.steps.append([float(group["lr"]) for group in learn.opt.param_groups])


def _learner(spy: Rates, **kwargs: Any) -> Learner:
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=generator)
    data = tensor_data(x, x.sum(1), valid_pct=0.25, batch_size=8, seed=0)
    model = kwargs.pop("model", None) or nn.Linear(3, 1)
    return Learner(model, data, callbacks=[spy], progress=False, device="cpu", **kwargs)


def test_a_hand_set_optimizer_trains_at_its_own_rate_when_fit_gets_none() -> None:
    spy = Rates()
    learn = _learner(spy)
    learn.opt = torch.optim.SGD(learn.model.parameters(), lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit(1)
    assert spy.steps and all(rates == [0.1] for rates in spy.steps)
    spy.steps.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit_one_cycle(1)  # the peak is the optimizer's own rate, not what the last schedule left
    assert max(rates[0] for rates in spy.steps) == pytest.approx(0.1, rel=0.05)
    spy.steps.clear()
    with pytest.warns(
        UserWarning,
        match=r"^learn\.opt, set by hand, has a learning rate of its own, 0\.1, and this fit's lr=0\.01 replaces "
        r"it \(a rate given to fit wins, as in fastai\); call fit without lr, or with lr=0\.1, to train at 0\.1$",
    ):
        learn.fit(1, 0.01)
    assert all(rates == [pytest.approx(0.01)] for rates in spy.steps)


def test_a_factory_that_chose_its_own_rate_trains_at_it_when_fit_gets_none() -> None:
    spy = Rates()
    learn = _learner(spy, opt=lambda groups, lr: torch.optim.SGD(groups, lr=0.1, momentum=0.9))
    learn.fit(1)
    assert spy.steps and all(rate == pytest.approx(0.1) for rates in spy.steps for rate in rates)
    with pytest.warns(
        UserWarning, match=r"^the opt factory's optimizer has a learning rate of its own, 0\.1"
    ):
        learn.fit(1, 0.02)


def test_a_hand_set_optimizers_groups_keep_their_own_rates() -> None:
    spy = Rates()
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    learn = _learner(spy, model=model)
    learn.opt = torch.optim.SGD(
        [{"params": model[0].parameters(), "lr": 0.001}, {"params": model[2].parameters(), "lr": 0.1}], lr=0.1
    )
    learn.fit(1)
    assert spy.steps[0] == pytest.approx([0.001, 0.1])  # both had trained at learn.lr, 1e-3


def test_trainwells_own_optimizer_trains_at_learn_lr() -> None:
    spy = Rates()
    learn = _learner(spy, lr=0.003)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit(1)
        learn.fit(1, 0.01)
    assert spy.steps[0] == [0.003, 0.003] and spy.steps[-1] == [0.01, 0.01]
