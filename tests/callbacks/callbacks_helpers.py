"""Small data and learners shared by the callback tests (tiny, so each test runs in milliseconds).

A plain module, not a conftest, so that its name cannot clash with helpers of other test folders.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Learner

WEIGHTS = torch.tensor([1.0, -2.0, 0.5])


def regression_data(
    n_rows: int = 80, *, batch_size: int = 16, valid_pct: float = 0.25, seed: int = 0
) -> DataBundle:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_rows, 3, generator=generator)
    y = x @ WEIGHTS + 0.1 * torch.randn(n_rows, generator=generator)
    # NumPy targets: what users pass most often, and independent of how torch tensors convert to arrays.
    return tensor_data(x, y.numpy(), valid_pct=valid_pct, batch_size=batch_size, seed=seed)


def linear_learner(data: DataBundle | None = None, **kwargs: Any) -> Learner:
    torch.manual_seed(0)
    options: dict[str, Any] = {"progress": False, "device": "cpu", "lr": 0.05}
    options.update(kwargs)
    return Learner(nn.Linear(3, 1), data if data is not None else regression_data(), **options)


def weights_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in model.state_dict().items()}
