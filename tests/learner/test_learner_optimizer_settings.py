"""The optimizer between fits: a factory's own per-group rates keep their ratios, a changed ``wd`` or ``opt_name``
is heeded (and ``fit(wd=...)``), a resume at another decay is refused, and ``summary`` says the last fit's rate."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from resume_support import resumed_beside_uninterrupted
from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Callback, Learner
from trainwell.learner.lr_find import SweptTrainedModel
from trainwell.learner.summary import summary


def _data(batch_size: int = 16) -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.3])
    return tensor_data(x, y, valid_pct=0.25, batch_size=batch_size, seed=0)


class FirstStep(Callback):
    """Each parameter group's (name, lr, weight decay) at the first step of each fit."""

    order = 100

    def __init__(self) -> None:
        self.fits: list[list[tuple[Any, float, float]]] = []

    def before_step(self, learn: Learner) -> None:
        if learn.iteration == 0:
            assert learn.opt is not None
            self.fits.append([(g.get("name"), g["lr"], g["weight_decay"]) for g in learn.opt.param_groups])


def _own_groups_learner(spy: FirstStep, **kwargs: Any) -> Learner:
    seed_everything(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

    def my_opt(groups: Any, lr: float) -> torch.optim.Optimizer:  # Lightning's configure_optimizers habit
        return torch.optim.AdamW(
            [
                {"params": model[0].parameters(), "lr": 1e-5, "weight_decay": 0.0, "name": "body"},
                {"params": model[2].parameters(), "lr": 1e-2, "weight_decay": 0.1, "name": "head"},
            ],
            lr=lr,
        )

    return Learner(model, _data(8), opt=my_opt, callbacks=[spy], progress=False, device="cpu", **kwargs)


def test_a_factorys_own_group_rates_keep_their_ratio_the_fits_rate_the_largest() -> None:
    spy = FirstStep()
    learn = _own_groups_learner(spy)
    with pytest.warns(
        UserWarning,
        match=r"^the optimizer's parameter groups set learning rates of their own \(body 1e-05 -> 3e-06, head 0\.01 "
        r"-> 0\.003\): this fit's lr 0\.003 is the largest group's and the others keep their ratios to it; pass "
        r"lr=0\.01 to train at the groups' own rates$",
    ):
        learn.fit(1, 3e-3)
    (body, head) = spy.fits[0]
    assert head == ("head", 3e-3, 0.1)
    assert body[0] == "body" and body[1] == pytest.approx(3e-6) and body[2] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per learner, and nothing to say at the groups' own rates
        learn.fit_one_cycle(
            1, 1e-2
        )  # the schedule's peak is the largest group's; the ratio holds at every step
    (body, head) = spy.fits[1]
    assert body[1] / head[1] == pytest.approx(1e-3)
    assert learn.opt is not None and [g["max_lr"] for g in learn.opt.param_groups] == pytest.approx(
        [1e-5, 1e-2]
    )


@pytest.mark.filterwarnings("ignore:the optimizer's parameter groups set learning rates of their own")
def test_a_fit_with_a_factorys_own_group_rates_resumes_exactly(tmp_path: Path) -> None:
    reference, resumed = resumed_beside_uninterrupted(
        lambda path: _own_groups_learner(FirstStep(), path=path), tmp_path, lr=3e-3
    )
    for a, b in zip(reference.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.opt is not None and [g["lr_ratio"] for g in resumed.opt.param_groups] == [1e-3, 1.0]


def test_a_group_without_a_rate_of_its_own_takes_the_fits_and_the_others_keep_theirs_to_it() -> None:
    seed_everything(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    spy = FirstStep()

    def my_opt(groups: Any, lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(
            [{"params": model[0].parameters(), "lr": lr / 10}, {"params": model[2].parameters()}], lr=lr
        )

    learn = Learner(model, _data(), opt=my_opt, callbacks=[spy], progress=False, lr=1e-3)
    with pytest.warns(UserWarning, match=r"\(group 0 0\.0001 -> 0\.02, group 1 0\.001 -> 0\.2\)"):
        learn.fit(1, 0.2)
    assert [rate for _, rate, _ in spy.fits[0]] == pytest.approx([0.02, 0.2])


def test_trainwells_own_groups_train_at_the_fits_rate_exactly() -> None:
    spy = FirstStep()
    seed_everything(0)
    learn = Learner(nn.Linear(4, 1), _data(), callbacks=[spy], progress=False)
    learn.fit(1, 3e-3)
    assert [rate for _, rate, _ in spy.fits[0]] == [3e-3, 3e-3]


def test_changing_wd_between_fits_is_heeded_and_keeps_the_optimizers_state() -> None:
    spy = FirstStep()
    seed_everything(0)
    learn = Learner(nn.Linear(4, 1), _data(), callbacks=[spy], progress=False)
    learn.fit(1)
    opt = learn.opt
    learn.wd = 0.5
    learn.fit(1)
    assert [decay for _, _, decay in spy.fits[1]] == [0.5, 0.0]  # biases never decay
    assert learn.opt is opt and len(opt.state) > 0  # Adam's moments carried over, as between any two fits
    learn.fit(1, wd=0.2)  # fastai's fit(wd=...)
    assert learn.wd == 0.2 and [decay for _, _, decay in spy.fits[2]] == [0.2, 0.0]
    learn.fit_one_cycle(1, wd=0.0)
    assert [decay for _, _, decay in spy.fits[3]] == [0.0, 0.0]
    with pytest.raises(
        ConfigError, match=r"^wd \(weight decay\) must be a number >= 0, got -1; pass e\.g\. wd=0\.01$"
    ):
        learn.fit(1, wd=-1)


def test_changing_the_optimizer_between_fits_builds_it_again() -> None:
    seed_everything(0)
    learn = Learner(nn.Linear(4, 1), _data(), progress=False)
    learn.fit(1)
    assert type(learn.opt).__name__ == "AdamW"
    learn.opt_name = "sgd"
    learn.fit(1)
    assert type(learn.opt).__name__ == "SGD"
    kept = learn.opt
    learn.fit(1)
    assert learn.opt is kept  # nothing changed: the same optimizer, its momentum kept


def test_lr_find_leaves_the_optimizer_and_what_it_was_built_with() -> None:
    seed_everything(0)
    learn = Learner(nn.Linear(4, 1), _data(), progress=False)
    learn.fit(1)
    opt = learn.opt
    with pytest.warns(SweptTrainedModel):
        learn.lr_find(num_it=8)
    assert learn.opt is opt
    learn.wd = 0.3
    learn.fit(1)
    assert learn.opt is opt and [g["weight_decay"] for g in opt.param_groups] == [0.3, 0.0]


def test_a_resume_at_another_weight_decay_is_refused_and_at_the_same_accepted(tmp_path: Path) -> None:
    def learner() -> Learner:
        seed_everything(0)
        return Learner(nn.Linear(4, 1), _data(), progress=False, path=tmp_path)

    learner().fit_one_cycle(2, 1e-2, callbacks=[Checkpoint()], wd=0.05)
    with pytest.raises(
        ConfigError, match=r"comes from a fit at weight decay \[0\.05, 0\] and this call asks for "
    ):
        learner().fit_one_cycle(2, 1e-2, resume_from="checkpoint.pt", wd=0.5)
    resumed = learner()
    resumed.fit_one_cycle(2, 1e-2, resume_from="checkpoint.pt", wd=0.05)
    assert len(resumed.history) == 2


def test_the_summary_shows_the_rate_the_last_fit_trained_at() -> None:
    seed_everything(0)
    learn = Learner(nn.Linear(4, 1), _data(), progress=False)
    assert "optimizer: adamw (lr 0.001, weight decay 0.01)" in summary(learn)
    learn.fit_one_cycle(1, 3e-3)
    assert (
        "optimizer: adamw (last fit: peak lr 0.003 (the next fit's default: 0.001), weight decay 0.01)"
        in summary(learn)
    )
    learn.fit(1, wd=0.1)
    assert "optimizer: adamw (last fit: lr 0.001, weight decay 0.1)" in summary(learn)
