"""Continual learning: importance measured as each paper defines it, and two tasks in sequence where plain
training forgets the first one and EWC or MAS keep it.

In the opposite tasks, the two share their inputs' distribution except for one feature saying which task a row
is from, and task B's answer is the opposite of task A's: a network can learn both (through that feature), but
trained on B alone it simply flips its answer, and A is lost. In the permuted tasks (a user's report), four
classes are told apart by where their inputs cluster, and task B shuffles the input features: B is learned
through new weights, and fine-tuning on it loses some of A.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from trainwell.continual import Consolidation, importance
from trainwell.continual.consolidation import _divided_by_mean
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Learner


def opposite_task(seed: int, second: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.zeros((1500, 11), dtype=np.float32)
    x[:, :10] = rng.normal(size=(1500, 10))
    x[:, 10] = 3.0 if second else 0.0  # which task the row is from
    w = np.random.default_rng(99).normal(size=10)
    return x, ((x[:, :10] @ w > 0) != second).astype(int)


def two_tasks(memory: Consolidation | None) -> tuple[float, float, float]:
    """Accuracy on A after A, on A after B, and on B after B."""
    seed_everything(0)
    task_a, task_b = (
        tensor_data(*opposite_task(seed, second), batch_size=64) for seed, second in ((0, False), (1, True))
    )
    model = nn.Sequential(nn.Linear(11, 64), nn.ReLU(), nn.Linear(64, 1))
    learn = Learner(model, task_a, progress=False, wd=0.0)
    learn.fit_one_cycle(5, 3e-3)
    before = learn.validate()["accuracy"]
    if memory is not None:
        memory.consolidate(learn)
    learn.data = task_b
    learn.fit_one_cycle(15, 1e-2, callbacks=[memory] if memory is not None else [])
    return before, learn.validate(task_a.valid)["accuracy"], learn.validate()["accuracy"]


def permuted_tasks(memory: Consolidation | None) -> tuple[float, float]:
    """Accuracy on A and on B after training on A, then B."""
    generator = torch.Generator().manual_seed(0)
    centers = torch.randn(4, 20, generator=generator) * 1.5

    def task(order: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, 4, (800,), generator=generator)
        return (centers[y] + torch.randn(800, 20, generator=generator))[:, order], y

    task_a = tensor_data(*task(torch.arange(20)), batch_size=64, task="multiclass", seed=0)
    task_b = tensor_data(
        *task(torch.randperm(20, generator=generator)), batch_size=64, task="multiclass", seed=0
    )
    seed_everything(0)
    learn = Learner(nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 4)), task_a, progress=False)
    learn.fit_one_cycle(5, 1e-2)
    if memory is not None:
        memory.consolidate(learn)
    learn.data = task_b
    learn.fit_one_cycle(5, 1e-2, callbacks=[memory] if memory is not None else [])
    return learn.validate(task_a.valid)["accuracy"], learn.validate()["accuracy"]


def test_plain_training_on_the_second_task_forgets_the_first() -> None:
    before, after, second = two_tasks(None)
    assert before > 0.9 and second > 0.95
    assert after < 0.3  # the network flipped its answer
    after, second = permuted_tasks(None)
    assert second > 0.95 and after < 0.9


@pytest.mark.parametrize("method", ["ewc", "mas"])
def test_consolidation_keeps_the_first_task_and_learns_the_second(method: str) -> None:
    memory = Consolidation(method, strength=3.0)  # more than the default: these tasks conflict outright
    before, after, second = two_tasks(memory)
    assert memory.tasks == 1
    assert after > 0.85 and after > before - 0.1
    assert second > 0.8


@pytest.mark.parametrize("method", ["ewc", "mas"])
def test_the_default_strength_forgets_less_and_still_learns_the_new_task(method: str) -> None:
    # The default used to freeze MAS (B at 0.38 and 0.44, chance) and to hold little with EWC (A 0.86, 0.37).
    after, second = permuted_tasks(Consolidation(method))
    plain_after, _ = permuted_tasks(None)
    assert second > 0.9
    assert after > plain_after + 0.08 and after > 0.95
    _, after, second = two_tasks(Consolidation(method))
    assert second > 0.9
    assert after > 0.5  # fine-tuning keeps 2% of it


def test_one_strength_holds_both_methods_alike() -> None:
    """Normalised, both importances average 1 over the weights, whatever their raw scales."""
    learn, _, _ = linear_learner()
    for method in ("ewc", "mas"):
        measured = Consolidation(method).consolidate(learn).importance
        assert float(torch.cat([value.flatten() for value in measured.values()]).mean()) == pytest.approx(1.0)
        raw = Consolidation(method, normalize=False).consolidate(learn).importance
        ratio = {name: value / measured[name] for name, value in raw.items()}
        scale = float(ratio["bias"])
        torch.testing.assert_close(ratio["weight"], torch.full_like(ratio["weight"], scale))


def test_each_task_is_normalised_before_it_is_added() -> None:
    measured = {"weight": torch.tensor([1.0, 3.0]), "bias": torch.tensor([0.0])}
    normalised = _divided_by_mean(measured)
    torch.testing.assert_close(normalised["weight"], torch.tensor([0.75, 2.25]))
    assert _divided_by_mean({"weight": torch.zeros(3)})["weight"].sum() == 0  # nothing mattered: no penalty


def linear_learner() -> tuple[Learner, torch.Tensor, torch.Tensor]:
    seed_everything(0)
    x = torch.randn(40, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3 * torch.randn(40)
    learn = Learner(
        nn.Linear(3, 1), tensor_data(x, y, task="regression", valid_pct=0, batch_size=16), progress=False
    )
    return learn, x, y


def test_ewc_importance_is_the_mean_squared_example_gradient() -> None:
    learn, x, y = linear_learner()
    with torch.no_grad():
        residual = learn.model(x).reshape(-1) - y  # loss per example: residual^2, gradient 2 * residual * x
    measured = importance(learn, "ewc")
    expected = (4 * residual[:, None] ** 2 * x**2).mean(0)
    torch.testing.assert_close(measured["weight"].reshape(-1), expected, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(measured["bias"], (4 * residual**2).mean().reshape(1), rtol=1e-4, atol=1e-6)


def test_mas_importance_is_the_mean_absolute_gradient_of_the_output_norm() -> None:
    learn, x, _ = linear_learner()
    with torch.no_grad():
        output = learn.model(x).reshape(-1)  # ||f(x)||^2 = output^2, gradient 2 * output * x
    measured = importance(learn, "mas")
    expected = (2 * output[:, None] * x).abs().mean(0)
    torch.testing.assert_close(measured["weight"].reshape(-1), expected, rtol=1e-4, atol=1e-6)


def test_importance_adds_up_over_tasks_and_survives_a_checkpoint() -> None:
    learn, _, _ = linear_learner()
    memory = Consolidation("mas", strength=2.0).consolidate(learn)
    once = {k: v.clone() for k, v in memory.importance.items()}
    memory.consolidate(learn)
    assert memory.tasks == 2
    for name, value in once.items():
        torch.testing.assert_close(memory.importance[name], 2 * value)
    restored = Consolidation("mas", strength=2.0)
    restored.load_checkpoint_state(memory.checkpoint_state())
    with torch.no_grad():
        learn.model.weight.add_(0.5)
    with torch.no_grad():
        assert float(restored.penalty(learn.model)) == pytest.approx(float(memory.penalty(learn.model)))
        assert float(memory.penalty(learn.model)) > 0


def test_a_checkpoint_of_raw_importance_is_not_resumed_as_normalised() -> None:
    learn, _, _ = linear_learner()
    state = Consolidation("ewc", normalize=False).consolidate(learn).checkpoint_state()
    del state["normalize"]  # as written before importance was normalised
    with pytest.raises(ConfigError, match=r"holds raw .* normalize=True: build it with .*normalize=False\)"):
        Consolidation("ewc").load_checkpoint_state(state)
    old = Consolidation("ewc", strength=1000.0, normalize=False)
    old.load_checkpoint_state(state)
    assert old.tasks == 1 and not old.normalize
    with pytest.raises(ConfigError, match="holds normalised importance, but this one has normalize=False"):
        old.load_checkpoint_state(Consolidation("ewc").consolidate(learn).checkpoint_state())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "l2"}, "method must be one of ewc, mas"),
        ({"strength": -1.0}, "strength"),
        ({"strength": "1"}, "strength must be a number >= 0, got '1'"),
        ({"samples": 0}, "samples"),
        ({"normalize": "yes"}, "normalize must be True or False, got 'yes'"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Consolidation(**kwargs)  # type: ignore[arg-type]


def test_mas_reads_unlabelled_inputs_and_ewc_asks_for_labels() -> None:
    """MAS needs no labels (the docs' promise): batches of inputs alone give the importance labelled ones do."""
    learn, x, y = linear_learner()
    labelled = importance(learn, "mas", [(x[:20], y[:20]), (x[20:], y[20:])])
    for unlabelled in ([x[:20], x[20:]], [(x[:20],), (x[20:],)]):
        measured = importance(learn, "mas", unlabelled)
        for name, value in labelled.items():
            torch.testing.assert_close(measured[name], value)
    memory = Consolidation("mas").consolidate(
        learn, torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x))
    )
    assert memory.tasks == 1
    with pytest.raises(ConfigError, match=r"EWC .* need targets.*Consolidation\('mas'\)"):
        importance(learn, "ewc", [(x[:20],)])


def test_a_bundle_is_read_through_its_training_rows() -> None:
    learn, _, _ = linear_learner()
    torch.testing.assert_close(importance(learn, "ewc", learn.data), importance(learn, "ewc"))


def test_consolidating_one_model_and_training_another_is_refused() -> None:
    learn, x, y = linear_learner()
    memory = Consolidation("ewc").consolidate(learn)
    other = Learner(
        nn.Linear(3, 2), tensor_data(x, torch.stack([y, y], 1), task="regression"), progress=False
    )
    with pytest.raises(
        ConfigError, match=r"consolidated on another model \('weight' is \(1, 3\) there and \(2, 3\)"
    ):
        other.fit_one_cycle(1, callbacks=[memory])
    renamed = Learner(nn.Sequential(nn.Linear(3, 1)), tensor_data(x, y, task="regression"), progress=False)
    with pytest.raises(ConfigError, match="none of its weights"):
        renamed.fit_one_cycle(1, callbacks=[memory])
