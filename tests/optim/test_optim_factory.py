"""Optimizer registry, create_optimizer, momentum helpers and the package's exported names."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import trainwell.optim
from trainwell.core.errors import ConfigError
from trainwell.optim import (
    AdaBelief,
    create_optimizer,
    list_optimizers,
    momentum_key,
    optimizers,
    set_momentum,
    split_param_groups,
)


def test_exported_names() -> None:
    assert sorted(trainwell.optim.__all__) == sorted(
        [
            "NORM_LAYERS", "AdaBelief", "OptimizerFactory", "Schedule", "combine", "constant", "cosine",
            "create_optimizer", "discriminative_lrs", "exponential", "flat_cos", "linear", "list_optimizers",
            "momentum_key", "one_cycle_lr", "one_cycle_momentum", "optimizers", "set_momentum",
            "slanted_triangular", "split_param_groups", "warmup_linear",
        ]
    )  # fmt: skip
    for name in trainwell.optim.__all__:
        assert hasattr(trainwell.optim, name)


def test_registered_names_and_defaults() -> None:
    assert list_optimizers() == ["adabelief", "adam", "adamw", "sgd"]
    assert list_optimizers("adam*") == ["adam", "adamw"]
    params = [nn.Parameter(torch.zeros(2))]
    sgd = create_optimizer("sgd", params, lr=0.1)
    assert type(sgd) is torch.optim.SGD
    assert (sgd.defaults["momentum"], sgd.defaults["nesterov"], sgd.defaults["weight_decay"]) == (
        0.9,
        False,
        0.0,
    )
    adamw = create_optimizer("adamw", params, lr=0.1)
    assert type(adamw) is torch.optim.AdamW
    assert (adamw.defaults["betas"], adamw.defaults["eps"], adamw.defaults["weight_decay"]) == (
        (0.9, 0.99),
        1e-8,
        0.0,
    )
    adam = create_optimizer("adam", params, lr=0.1, betas=(0.8, 0.9))
    assert type(adam) is torch.optim.Adam and adam.defaults["betas"] == (0.8, 0.9)
    adabelief = create_optimizer("adabelief", params, lr=0.1)
    assert type(adabelief) is AdaBelief and adabelief.defaults["eps"] == 1e-16


@pytest.mark.parametrize("name", list_optimizers())
def test_every_registered_optimizer_fits_a_quadratic_with_groups(name: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1))
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    groups = split_param_groups(model, weight_decay=1e-4)
    optimizer = create_optimizer(name, groups, lr=0.05)
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.05]
    assert [g["weight_decay"] for g in optimizer.param_groups] == [1e-4, 0.0]
    start = nn.functional.mse_loss(model(x), y).item()
    for _ in range(300):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < 1e-2 * start


def test_group_lr_wins_and_caller_groups_are_not_mutated() -> None:
    first, second = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))
    groups = [{"params": [first], "lr": 1e-4, "name": "body"}, {"params": second, "name": "head"}]
    optimizer = create_optimizer("adamw", groups, lr=1e-2)
    assert [(g["name"], g["lr"]) for g in optimizer.param_groups] == [("body", 1e-4), ("head", 1e-2)]
    assert optimizer.param_groups[1]["params"] == [second]
    assert "lr" not in groups[1]


def test_callable_and_class_factories() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    rmsprop = create_optimizer(torch.optim.RMSprop, params, lr=0.01, alpha=0.9)
    assert type(rmsprop) is torch.optim.RMSprop and rmsprop.defaults["alpha"] == 0.9

    def my_sgd(groups: list[dict], lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(groups, lr=lr, momentum=0.5)

    assert create_optimizer(my_sgd, params, lr=0.2).param_groups[0]["momentum"] == 0.5


def test_bad_names_options_and_lr_are_reported() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(ConfigError, match="unknown optimizer 'lamb'; known: adabelief, adam, adamw, sgd"):
        create_optimizer("lamb", params, lr=0.1)
    # A Learner given a misspelt name built and failed at its first fit, with no suggestion.
    from trainwell.data import tensor_data
    from trainwell.learner import Learner

    data = tensor_data(torch.randn(20, 3), torch.arange(20) % 2)
    with pytest.raises(ConfigError, match=r"unknown optimizer 'adamm' \(did you mean 'adam'\?\); known: "):
        Learner(nn.Linear(3, 1), data, opt="adamm")
    with pytest.raises(ConfigError, match="unknown option 'momentum' for optimizer 'adamw'; accepted: betas"):
        create_optimizer("adamw", params, lr=0.1, momentum=0.9)
    with pytest.raises(ConfigError, match="lr must be a finite number > 0, got 0"):
        create_optimizer("sgd", params, lr=0)
    with pytest.raises(ConfigError, match="param_groups is empty"):
        create_optimizer("sgd", [], lr=0.1)
    assert optimizers.entry("sgd").metadata["decoupled_weight_decay"] is False
    assert optimizers.entry("adabelief").metadata["decoupled_weight_decay"] is True


def test_momentum_key_and_set_momentum() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    sgd = create_optimizer("sgd", params, lr=0.1)
    assert momentum_key(sgd) == "momentum"
    set_momentum(sgd.param_groups[0], 0.85)
    assert sgd.param_groups[0]["momentum"] == 0.85
    assert momentum_key(create_optimizer("sgd", params, lr=0.1, momentum=0.0)) is None
    assert momentum_key(torch.optim.Adagrad(params)) is None

    for name in ("adam", "adamw", "adabelief"):
        optimizer = create_optimizer(name, params, lr=0.1)
        assert momentum_key(optimizer) == "betas"
        set_momentum(optimizer.param_groups[0], 0.85)
        assert optimizer.param_groups[0]["betas"] == (0.85, optimizer.defaults["betas"][1])
    with pytest.raises(ConfigError, match="param group has neither 'betas' nor 'momentum'"):
        set_momentum({"params": [], "lr": 0.1}, 0.9)


def test_scheduled_momentum_is_used_by_sgd() -> None:
    """A momentum changed between steps must reach torch's update: compare with a hand computation."""
    p = nn.Parameter(torch.tensor([0.0]))
    optimizer = create_optimizer("sgd", [p], lr=1.0)
    p.grad = torch.tensor([1.0])
    optimizer.step()  # buffer = 1, p = -1
    set_momentum(optimizer.param_groups[0], 0.5)
    optimizer.step()  # buffer = 0.5 * 1 + 1 = 1.5, p = -2.5
    assert p.item() == pytest.approx(-2.5)
