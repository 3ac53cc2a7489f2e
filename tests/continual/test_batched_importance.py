"""Importance from batched per-example gradients (torch.func) is the importance of one backward pass per example
(tour62 #8: consolidating a 200k-weight MLP on 512 examples took 12 s, about 5 training epochs); a model that
torch.func cannot run is measured one example at a time, with the same result."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import trainwell.continual.consolidation as consolidation
from trainwell.continual import Consolidation, importance
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Learner


class ReadsItsInput(nn.Module):
    """A forward pass that branches on a value of its input (``.item()``), which vmap cannot trace."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) * (2.0 if x[0, 0].item() > 0 else 1.0)


def _trained(model: nn.Module) -> Learner:
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=generator)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    learn = Learner(model, tensor_data(x, y, batch_size=32, task="multiclass", seed=0), progress=False)
    learn.fit(1, 1e-2)
    return learn


def _mlp() -> nn.Module:
    # Batch norm (its running statistics, in eval mode) and dropout (off in eval mode) as a user's model has them.
    return nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))


def _assert_same(batched: dict[str, torch.Tensor], loop: dict[str, torch.Tensor]) -> None:
    assert batched.keys() == loop.keys()
    for name in loop:
        scale = float(loop[name].abs().max())
        torch.testing.assert_close(batched[name], loop[name], rtol=1e-5, atol=1e-5 * max(scale, 1e-12))


@pytest.mark.parametrize("method", ["ewc", "mas"])
def test_batched_importance_is_one_backward_per_example(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    learn = _trained(_mlp())
    loop = importance(learn, method, samples=70, batched=False)  # 70: two full batches and part of a third

    def no_loop(*args: object) -> None:
        raise AssertionError("the batched pass fell back to one backward per example")

    monkeypatch.setattr(consolidation, "_add_one_by_one", no_loop)
    monkeypatch.setattr(
        consolidation, "_BATCHED_VALUES", 400
    )  # passes of a few rows: chunks are added up too
    _assert_same(importance(learn, method, samples=70), loop)


def test_a_model_torch_func_cannot_run_is_measured_one_example_at_a_time() -> None:
    learn = _trained(ReadsItsInput())
    loop = importance(learn, "ewc", samples=50, batched=False)
    assert any(float(value.abs().sum()) > 0 for value in loop.values())
    _assert_same(importance(learn, "ewc", samples=50), loop)
    memory = Consolidation("mas", samples=50).consolidate(learn)  # the callback's path, through the fallback
    assert memory.tasks == 1 and set(memory.importance) == set(loop)
