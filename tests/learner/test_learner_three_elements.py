"""Any model + any loss + any optimizer through the same Learner, checked against exact references.

Linear regression must land on ``torch.linalg.lstsq``; L2-penalised logistic regression on scikit-learn's
``LogisticRegression``; an MLP with the task's default loss must match a hand-written loop step for step.
"""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch import nn

from trainwell.data import random_split, tensor_data
from trainwell.learner import Learner
from trainwell.losses import BCEWithLogits, create_loss

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "three_elements.py"


def regression_problem(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(200, 4, generator=generator)
    y = x @ torch.tensor([1.5, -2.0, 0.5, 3.0]) + 0.7 + 0.3 * torch.randn(200, generator=generator)
    return x, y


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(x), y


@pytest.mark.parametrize(
    ("opt", "lr", "epochs", "schedule"), [("sgd", 0.1, 300, "fit"), ("adamw", 0.1, 300, "fit_one_cycle")]
)
def test_linear_regression_reaches_least_squares(opt: str, lr: float, epochs: int, schedule: str) -> None:
    x, y = regression_problem()
    data = tensor_data(x, y, valid_pct=0, batch_size=len(x))  # full batch: each epoch is one GD step
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    learn = Learner(model, data, loss=create_loss("mse"), opt=opt, lr=lr, wd=0, progress=False)
    getattr(learn, schedule)(epochs, lr)

    design = torch.cat([x, torch.ones(len(x), 1)], dim=1).double()
    exact = torch.linalg.lstsq(design, y.double().unsqueeze(1)).solution.squeeze(1)
    found = torch.cat([model.weight.detach().reshape(-1), model.bias.detach()]).double()
    assert float((found - exact).norm() / exact.norm()) < 1e-3
    # The recorded training loss is the least-squares residual (MSE of the exact solution).
    exact_mse = float(((design @ exact - y.double()) ** 2).mean())
    assert learn.history[-1]["train_loss"] == pytest.approx(exact_mse, rel=1e-3)


def l2_penalised_bce(model: nn.Linear, lam: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    # sklearn minimises 0.5*||w||^2 + C*sum(loss); divided by C*n: mean(loss) + 0.5*||w||^2/(C*n).
    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        bce = F.binary_cross_entropy_with_logits(output.reshape(target.shape), target.float())
        return bce + 0.5 * lam * model.weight.square().sum()

    return loss


def test_logistic_regression_matches_sklearn_l2_penalty() -> None:
    x, y = breast_cancer()
    c = 1.0
    reference = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x, y)
    data = tensor_data(x, y, valid_pct=0, batch_size=len(y))
    torch.manual_seed(0)
    model = nn.Linear(x.shape[1], 1)
    learn = Learner(
        model, data, loss=l2_penalised_bce(model, 1.0 / (c * len(y))), opt="sgd", lr=1.0, wd=0, progress=False
    )
    learn.fit(1000)

    np.testing.assert_allclose(model.weight.detach().numpy()[0], reference.coef_[0], atol=1e-4, rtol=1e-4)
    assert model.bias.item() == pytest.approx(reference.intercept_[0], abs=1e-4)
    probabilities, targets = learn.get_preds(data.train)
    np.testing.assert_allclose(probabilities.numpy(), reference.predict_proba(x)[:, 1], atol=1e-4)
    np.testing.assert_array_equal(targets.numpy(), y)
    # The penalty is not negligible at this tolerance: a weaker one gives visibly different coefficients.
    weaker = LogisticRegression(C=2 * c, tol=1e-10, max_iter=10_000).fit(x, y)
    assert np.abs(weaker.coef_[0] - reference.coef_[0]).max() > 1e-2


def mlp(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1))


def mlp_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_breast_cancer(return_X_y=True)
    train_index, valid_index = random_split(len(y), valid_pct=0.2, seed=0)
    x = StandardScaler().fit(x[train_index]).transform(x)
    return x.astype(np.float32), y, train_index, valid_index


def hand_written_loop(
    model: nn.Sequential,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    lr: float,
    wd: float,
    batch_size: int,
    seed: int,
) -> list[float]:
    """What ``Learner.fit`` promises: AdamW, decay on weights only, epoch e shuffled by randperm(seed + e)."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    opt = torch.optim.AdamW(
        [{"params": weights, "weight_decay": wd}, {"params": biases, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.99),
        eps=1e-8,
    )
    epoch_losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed + epoch))
        total = 0.0
        for start in range(0, len(x), batch_size):
            rows = order[start : start + batch_size]
            loss = F.binary_cross_entropy_with_logits(model(x[rows]).reshape(-1), y[rows])
            loss.backward()
            opt.step()
            opt.zero_grad()
            total += loss.item() * len(rows)
        epoch_losses.append(total / len(x))
    return epoch_losses


def test_mlp_with_default_loss_matches_hand_written_loop() -> None:
    x, y, train_index, valid_index = mlp_data()
    data = tensor_data(x, y, splits=(train_index, valid_index), batch_size=64, seed=3)
    model = mlp()
    reference_model = copy.deepcopy(model)
    learn = Learner(model, data, lr=3e-3, wd=0.1, device="cpu", progress=False)
    assert isinstance(learn.loss_func, BCEWithLogits)  # the binary task's default
    learn.fit(3)

    x_train, y_train = torch.from_numpy(x[train_index]), torch.from_numpy(y[train_index]).float()
    losses = hand_written_loop(
        reference_model, x_train, y_train, epochs=3, lr=3e-3, wd=0.1, batch_size=64, seed=3
    )
    for trained, reference in zip(model.parameters(), reference_model.parameters(), strict=True):
        torch.testing.assert_close(trained, reference)
    assert [row["train_loss"] for row in learn.history] == pytest.approx(losses, rel=1e-5)
    with torch.no_grad():
        valid_logits = reference_model(torch.from_numpy(x[valid_index])).reshape(-1)
    valid_loss = F.binary_cross_entropy_with_logits(valid_logits, torch.from_numpy(y[valid_index]).float())
    assert learn.validate()["loss"] == pytest.approx(float(valid_loss), rel=1e-5)


def test_mlp_generalises_as_well_as_logistic_regression() -> None:
    x, y, train_index, valid_index = mlp_data()
    data = tensor_data(x, y, splits=(train_index, valid_index), batch_size=64)
    learn = Learner(mlp(), data, progress=False)
    learn.fit_one_cycle(15, 1e-2)
    baseline = LogisticRegression(max_iter=10_000).fit(x[train_index], y[train_index])
    expected = baseline.score(x[valid_index], y[valid_index])
    assert learn.validate()["accuracy"] >= expected - 0.03
    probabilities, _ = learn.get_preds()
    accuracy = float(((probabilities.numpy() >= 0.5) == y[valid_index]).mean())
    assert accuracy == pytest.approx(learn.validate()["accuracy"])


def test_three_elements_example_reaches_its_references() -> None:
    results = runpy.run_path(str(EXAMPLE), run_name="three_elements")["main"]()
    assert results["linear_relative_error"] < 1e-3
    assert results["logistic_max_coef_gap"] < 1e-3
    assert results["logistic_max_probability_gap"] < 1e-3
    assert results["mlp_accuracy"] >= results["logistic_accuracy"] - 0.03
