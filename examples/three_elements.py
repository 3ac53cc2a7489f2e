"""Model + loss + optimizer: three classic problems through the one Learner.

A Learner is nothing more than the three elements of training, driven by one loop:

1. linear regression: ``nn.Linear`` + mean squared error + SGD lands on the least-squares solution;
2. logistic regression: ``nn.Linear`` + (cross-entropy + L2 penalty) + SGD lands on scikit-learn's
   ``LogisticRegression`` coefficients;
3. a small MLP + the task's default loss + AdamW, on the same data.

Run it with ``python examples/three_elements.py``; it takes a few seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch import nn

from trainwell.data import random_split, tensor_data
from trainwell.learner import Learner
from trainwell.losses import create_loss

#: sklearn's inverse regularisation strength for the logistic regression.
C = 1.0


def linear_regression(seed: int = 0) -> float:
    """Fit ``y = Xw + b + noise`` with SGD; return the relative distance to ``torch.linalg.lstsq``."""
    generator = torch.Generator().manual_seed(seed)
    n_rows, n_features = 200, 4
    x = torch.randn(n_rows, n_features, generator=generator)
    y = x @ torch.tensor([1.5, -2.0, 0.5, 3.0]) + 0.7 + 0.3 * torch.randn(n_rows, generator=generator)

    # One full batch per epoch makes each epoch one step of plain gradient descent (with momentum).
    data = tensor_data(x, y, valid_pct=0, batch_size=n_rows, seed=seed)
    torch.manual_seed(seed)
    model = nn.Linear(n_features, 1)
    learn = Learner(model, data, loss=create_loss("mse"), opt="sgd", lr=0.1, wd=0, progress=False)
    learn.fit(200)

    design = torch.cat([x, torch.ones(n_rows, 1)], dim=1).double()
    exact = torch.linalg.lstsq(design, y.double().unsqueeze(1)).solution.squeeze(1)
    found = torch.cat([model.weight.detach().reshape(-1), model.bias.detach()]).double()
    return float((found - exact).norm() / exact.norm())


def l2_penalised_bce(model: nn.Linear, lam: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Mean BCE + ``lam/2 * ||w||^2`` (bias not penalised).

    scikit-learn minimises ``0.5 * ||w||^2 + C * sum(loss)``; dividing by ``C * n`` gives the same minimiser
    as ``mean(loss) + 0.5 * ||w||^2 / (C * n)``, so ``lam = 1 / (C * n)``. The Learner's ``wd`` is decoupled
    decay, a different objective, so the penalty goes into the loss and ``wd=0``.
    """

    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        bce = F.binary_cross_entropy_with_logits(output.reshape(target.shape), target.float())
        return bce + 0.5 * lam * model.weight.square().sum()

    return loss


def logistic_regression(seed: int = 0) -> dict[str, float]:
    """Fit L2-penalised logistic regression with SGD; return the largest gaps to scikit-learn's solution."""
    x, y = load_breast_cancer(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(x, y)

    data = tensor_data(x, y, valid_pct=0, batch_size=len(y), seed=seed)
    torch.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    loss = l2_penalised_bce(model, lam=1.0 / (C * len(y)))
    learn = Learner(model, data, loss=loss, opt="sgd", lr=1.0, wd=0, progress=False)
    learn.fit(1000)

    probabilities, _ = learn.get_preds(data.train)  # the task's sigmoid, rows in their original order
    return {
        "coef": float(np.abs(model.weight.detach().numpy().reshape(-1) - reference.coef_[0]).max()),
        "intercept": float(abs(model.bias.item() - reference.intercept_[0])),
        "probability": float(np.abs(probabilities.numpy() - reference.predict_proba(x)[:, 1]).max()),
    }


def mlp(seed: int = 0) -> dict[str, float]:
    """An MLP with the task's default loss (BCE) and AdamW; return its and logistic regression's accuracy."""
    x, y = load_breast_cancer(return_X_y=True)
    train_index, valid_index = random_split(len(y), valid_pct=0.2, seed=seed)
    scaler = StandardScaler().fit(x[train_index])
    x = scaler.transform(x)
    baseline = LogisticRegression(C=C, max_iter=10_000).fit(x[train_index], y[train_index])

    data = tensor_data(x, y, splits=(train_index, valid_index), batch_size=64, seed=seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(x.shape[1], 32), nn.ReLU(), nn.Linear(32, 1))
    learn = Learner(model, data, progress=False)  # loss=None: BCE from the binary task; opt="adamw"
    learn.fit_one_cycle(20, 1e-2)
    return {
        "mlp_accuracy": learn.validate()["accuracy"],
        "logistic_accuracy": float(baseline.score(x[valid_index], y[valid_index])),
    }


def main() -> dict[str, float]:
    """Run the three problems and print how close each lands to its reference."""
    results = {"linear_relative_error": linear_regression()}
    results.update({f"logistic_max_{name}_gap": gap for name, gap in logistic_regression().items()})
    results.update(mlp())
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:.3g}")
    return results


if __name__ == "__main__":
    # Tiny tensors: several threads only add synchronisation cost (and thrash on a busy machine).
    torch.set_num_threads(1)
    main()
