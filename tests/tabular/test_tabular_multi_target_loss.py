"""Several regression targets in different units train alike: the default loss divides each target's error by
its training standard deviation, so a price in dollars does not drown an area in square metres."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from trainwell.losses import MSE
from trainwell.tabular import tabular_data, tabular_learner


def test_scaled_mse_is_the_mse_of_errors_in_standard_deviations() -> None:
    output, target = torch.tensor([[1.0, 10.0], [3.0, 30.0]]), torch.tensor([[2.0, 30.0], [3.0, 10.0]])
    assert MSE()(output, target).item() == pytest.approx((1 + 400 + 0 + 400) / 4)
    assert MSE(scale=[1.0, 20.0])(output, target).item() == pytest.approx((1 + 1 + 0 + 1) / 4)


def prices_and_areas(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    price = 1e5 * (1 + 0.5 * x[:, 0] + 0.3 * np.sin(3 * x[:, 1])) + rng.normal(0, 2e4, n)
    area = 30 + 10 * np.tanh(2 * x[:, 2]) * x[:, 3] + rng.normal(0, 1, n)
    return pd.DataFrame(
        {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "price": price, "area": area}
    )


def test_the_small_unit_target_is_learned_too() -> None:
    frame = prices_and_areas()
    scores = {}
    for name, options in (("default", {}), ("plain mse", {"loss": MSE()})):
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = tabular_data(frame, ["price", "area"])
        learn = tabular_learner(data, progress=False, **options)
        learn.fit_one_cycle(6, 3e-3)
        scores[name] = learn.validate()
    assert isinstance(learn.loss_func, MSE)
    # Plain MSE in raw units: the area's error is ~1e-8 of the loss, and the model barely learns it.
    assert scores["plain mse"]["r2[area]"] < 0.5 < 0.85 < scores["default"]["r2[area]"]
    assert scores["default"]["r2[price]"] > 0.75
