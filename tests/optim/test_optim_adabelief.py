"""AdaBelief against a line-by-line transcription of Algorithm 2 in Zhuang et al. 2020."""

from __future__ import annotations

import copy
import io
import itertools
import math

import pytest
import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.optim import AdaBelief


def make_mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(32, 4, generator=generator, dtype=torch.float64)
    y = torch.randn(32, 1, generator=generator, dtype=torch.float64)
    return x, y


def mlp_loss(params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    w1, b1, w2, b2 = params
    prediction = torch.tanh(x @ w1.T + b1) @ w2.T + b2
    return ((prediction - y) ** 2).mean()


# Hyper-parameters per group; group 0 = first Linear, group 1 = second Linear.
GROUPS = [
    {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-16, "weight_decay": 0.1},
    {"lr": 3e-3, "betas": (0.8, 0.99), "eps": 1e-12, "weight_decay": 0.0},
]
GROUP_OF_PARAM = [0, 0, 1, 1]
# step -> {group index: new hyper-parameters}, applied before that step, as a scheduler would.
CHANGES = {25: {0: {"lr": 2e-3, "betas": (0.7, 0.995)}, 1: {"lr": 1e-2, "betas": (0.95, 0.9)}}}


def paper_algorithm_2(
    initial: list[torch.Tensor], n_steps: int, decoupled: bool, changes: dict | None = None
) -> list[torch.Tensor]:
    """Algorithm 2, one parameter tensor at a time, with plain tensors and no optimizer machinery."""
    x, y = make_data()
    groups = copy.deepcopy(GROUPS)
    theta = [p.detach().clone() for p in initial]
    m = [torch.zeros_like(p) for p in theta]
    s = [torch.zeros_like(p) for p in theta]
    for t in range(1, n_steps + 1):
        for index, update in (changes or {}).get(t, {}).items():
            groups[index].update(update)
        leaves = [p.clone().requires_grad_(True) for p in theta]
        grads = torch.autograd.grad(mlp_loss(leaves, x, y), leaves)
        for i, g in enumerate(grads):
            hp = groups[GROUP_OF_PARAM[i]]
            lr, (beta1, beta2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["weight_decay"]
            if decoupled:
                theta[i] = theta[i] * (1 - lr * wd)
            else:
                g = g + wd * theta[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            s[i] = beta2 * s[i] + (1 - beta2) * (g - m[i]) ** 2 + eps
            m_hat = m[i] / (1 - beta1**t)
            s_hat = s[i] / (1 - beta2**t)
            theta[i] = theta[i] - lr * m_hat / (torch.sqrt(s_hat) + eps)
    return theta


def make_optimizer(model: nn.Sequential, decoupled: bool) -> AdaBelief:
    groups = [
        {"params": list(model[0].parameters()), **GROUPS[0]},
        {"params": list(model[2].parameters()), **GROUPS[1]},
    ]
    return AdaBelief(groups, decoupled_weight_decay=decoupled)


def run_optimizer(
    model: nn.Sequential, optimizer: AdaBelief, steps: range, changes: dict | None = None
) -> list[torch.Tensor]:
    x, y = make_data()
    for t in steps:
        for index, update in (changes or {}).get(t, {}).items():
            optimizer.param_groups[index].update(update)
        optimizer.zero_grad()
        mlp_loss(list(model.parameters()), x, y).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


def assert_params_close(actual: list[torch.Tensor], expected: list[torch.Tensor]) -> None:
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("decoupled", [True, False])
@pytest.mark.parametrize("changes", [None, CHANGES], ids=["fixed", "lr_betas_changed"])
def test_matches_paper_algorithm_for_50_steps(decoupled: bool, changes: dict | None) -> None:
    model = make_mlp()
    initial = [p.detach().clone() for p in model.parameters()]
    expected = paper_algorithm_2(initial, 50, decoupled, changes)
    actual = run_optimizer(model, make_optimizer(model, decoupled), range(1, 51), changes)
    assert_params_close(actual, expected)
    # The run must have moved the weights, or the comparison above proves nothing.
    assert max((a - i).abs().max().item() for a, i in zip(actual, initial, strict=True)) > 1e-2


def test_state_dict_round_trip_continues_identically() -> None:
    model = make_mlp()
    optimizer = make_optimizer(model, decoupled=True)
    run_optimizer(model, optimizer, range(1, 21))
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    uninterrupted = run_optimizer(model, optimizer, range(21, 41))

    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    resumed_model = make_mlp()
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer = AdaBelief(
        [{"params": list(resumed_model[0].parameters())}, {"params": list(resumed_model[2].parameters())}]
    )
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert resumed_optimizer.param_groups[1]["betas"] == (0.8, 0.99)
    resumed = run_optimizer(resumed_model, resumed_optimizer, range(21, 41))
    for a, b in zip(resumed, uninterrupted, strict=True):
        assert torch.equal(a, b)


def test_minimises_least_squares() -> None:
    generator = torch.Generator().manual_seed(2)
    a = torch.randn(40, 5, generator=generator, dtype=torch.float64)
    b = torch.randn(40, generator=generator, dtype=torch.float64)
    optimum = torch.linalg.lstsq(a, b.unsqueeze(1)).solution.squeeze(1)
    best_loss = ((a @ optimum - b) ** 2).mean().item()

    x = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    optimizer = AdaBelief([x], lr=0.05)
    start_loss = ((a @ x - b) ** 2).mean().item()
    for _ in range(400):
        optimizer.zero_grad()
        loss = ((a @ x - b) ** 2).mean()
        loss.backward()
        optimizer.step()
    final_loss = ((a @ x - b) ** 2).mean().item()
    assert final_loss - best_loss < 1e-3 * (start_loss - best_loss)
    torch.testing.assert_close(x.detach(), optimum, atol=1e-2, rtol=0)


def test_constant_gradient_steps_grow_unlike_adam() -> None:
    """With g constant, (g - m_t)^2 -> 0, so AdaBelief's steps grow while Adam's stay at lr."""
    lr, beta1, beta2, eps, n_steps = 1e-3, 0.9, 0.999, 1e-16, 200
    gradient = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64)

    def last_steps(optimizer_class: type[torch.optim.Optimizer], **kwargs: float) -> list[torch.Tensor]:
        p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        optimizer = optimizer_class([p], lr=lr, betas=(beta1, beta2), **kwargs)
        steps = []
        for _ in range(n_steps):
            before = p.detach().clone()
            p.grad = gradient.clone()
            optimizer.step()
            steps.append((p.detach() - before).abs())
        return steps

    belief_steps = last_steps(AdaBelief, eps=eps)
    adam_steps = last_steps(torch.optim.Adam, eps=1e-8)

    # Step 1 by hand: m_hat = g, s_hat = (0.9 g)^2 + eps/(1 - beta2), so |step| = lr / 0.9.
    torch.testing.assert_close(belief_steps[0], torch.full((3,), lr / 0.9, dtype=torch.float64))
    torch.testing.assert_close(adam_steps[-1], torch.full((3,), lr, dtype=torch.float64), rtol=1e-6, atol=0)
    # Scalar recursion of Algorithm 2 for the last step (the same for every coordinate up to eps).
    m = s = 0.0
    g = 1.0
    for _ in range(n_steps):
        m = beta1 * m + (1 - beta1) * g
        s = beta2 * s + (1 - beta2) * (g - m) ** 2
    expected_last = lr * (m / (1 - beta1**n_steps)) / math.sqrt(s / (1 - beta2**n_steps))
    torch.testing.assert_close(
        belief_steps[-1], torch.full((3,), expected_last, dtype=torch.float64), rtol=1e-6, atol=0
    )
    assert expected_last > 5 * lr
    assert all((later > earlier).all() for earlier, later in itertools.pairwise(belief_steps))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"betas": (1.5, 0.999)}, "Invalid beta parameter at index 0: 1.5"),
        ({"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ],
)
def test_invalid_hyperparameters_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        AdaBelief([nn.Parameter(torch.zeros(2))], **kwargs)
    assert isinstance(error.value, ValueError)


def test_defaults_and_skipping_params_without_grad() -> None:
    used, unused = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    optimizer = AdaBelief([used, unused])
    assert optimizer.defaults == {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-16,
        "weight_decay": 0.0,
        "decoupled_weight_decay": True,
    }
    used.grad = torch.ones(2)
    optimizer.step()
    assert torch.equal(unused.detach(), torch.ones(2))
    assert unused not in optimizer.state
    assert optimizer.state[used]["step"] == 1
    assert not torch.equal(used.detach(), torch.ones(2))


def test_closure_loss_is_returned() -> None:
    p = nn.Parameter(torch.tensor([1.0]))
    optimizer = AdaBelief([p], lr=0.1)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == pytest.approx(1.0)
    assert p.item() < 1.0
