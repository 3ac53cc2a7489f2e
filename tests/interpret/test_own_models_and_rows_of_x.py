"""Interpretation of models and data of one's own: top losses named by the row of ``x`` (tensor_data), an
occlusion map of a Learner on image tensors, and decision boundaries of a model fitted outside trainwell.

A tour's user trained a CNN on ``tensor_data`` of MNIST images (N, 1, 28, 28): ``occlusion_map(learn, img)``
refused "a generic" learner though ``occlusion_map(learn.model, img)`` worked; the top row of ``top_losses()``
was ``row 151``, its place in the random validation share, not in ``x``; and ``fit_boundaries`` drew the
built-in models only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.interpret import ClassificationInterpretation, RegressionInterpretation, occlusion_map
from trainwell.interpret.boundary import Points2D, fit_boundaries, named_models, plot_boundaries
from trainwell.learner import Learner


# ------------------------------------------------------------------------------ top losses: rows of x
def test_a_tensor_learners_top_losses_name_the_row_of_x() -> None:
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(400, 2, generator=generator)
    y = (x[:, 0] + 0.7 * torch.randn(400, generator=generator) > 0).long().numpy() + 3  # classes 3 and 4
    data = tensor_data(x, y, task="multiclass", valid_pct=0.3, seed=5)
    learn = Learner(nn.Linear(2, 2), data, progress=False, device="cpu", lr=0.05)
    learn.fit(2)
    top = ClassificationInterpretation.from_learner(learn).top_losses(5)
    assert top.index.name == "row" and not set(top.index) <= set(range(len(data.valid_index)))
    for row in top.itertuples():
        assert row.actual == y[row.Index]  # the label of x's row of that number
        with torch.no_grad():
            output = learn.model(x[row.Index][None])
        loss = F.cross_entropy(output, torch.tensor([int(y[row.Index]) - 3]))
        assert row.loss == pytest.approx(float(loss), rel=1e-5)
    # a loader of one's own names its rows by position in it, as before
    own = ClassificationInterpretation.from_learner(learn, loader=data.valid.new(shuffle=False)).top_losses(5)
    assert list(own.index) == [int(np.flatnonzero(data.valid_index == label)[0]) for label in top.index]


def test_a_tensor_regressions_top_losses_name_the_row_of_x(tmp_path: Path) -> None:
    seed_everything(0)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(300, 3, generator=generator)
    y = (x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3 * torch.randn(300, generator=generator)).numpy()
    y[17] += 25.0  # a row no model predicts
    data = tensor_data(x, y, task="regression", splits=(np.arange(18, 300), np.arange(0, 18)))
    learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu", lr=0.05)
    learn.fit(3)
    interp = RegressionInterpretation.from_learner(learn)
    top = interp.top_losses(3)
    assert top.index[0] == 17 and top["actual"].iloc[0] == pytest.approx(float(y[17]), rel=1e-5)
    assert interp.plot_top_losses(tmp_path / "top.png").stat().st_size > 0


# ----------------------------------------------------------------------- occlusion: image tensors of one's own
class TopLeftDetector(nn.Module):
    """Class 1 when the top-left 8x8 corner is bright; it ignores every other pixel."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logit = self.scale * (x[:, :, :8, :8].mean(dim=(1, 2, 3)) - 0.5)
        return torch.stack([-logit, logit], dim=1)


def image_learner(images: torch.Tensor) -> Learner:
    labels = (images[:, :, :8, :8].mean(dim=(1, 2, 3)) > 0.5).long().numpy()
    return Learner(
        TopLeftDetector(), tensor_data(images, labels, classes=[0, 1], task="multiclass"), progress=False
    )


def test_a_learner_on_image_tensors_is_explained_as_its_model_is() -> None:
    images = torch.zeros(20, 1, 32, 32)
    images[::2, :, :10, :10] = 1.0
    learn = image_learner(images)
    through_learner = occlusion_map(learn, images[0], patch=8, stride=4)
    through_model = occlusion_map(learn.model, images[0], patch=8, stride=4)
    assert torch.allclose(through_learner.heat, through_model.heat, atol=1e-6)
    assert through_learner.label == "1" and through_learner.heat[:8, :8].mean() > 0.2
    assert through_learner.heat[16:, 16:].abs().max() == 0
    with pytest.raises(
        ConfigError, match=re.escape("reads images of shape (1, 32, 32) (C, H, W), as its data")
    ):
        occlusion_map(learn, torch.zeros(1, 28, 28))


def test_a_learner_on_flat_tensors_is_still_refused_in_one_line() -> None:
    data = tensor_data(torch.randn(30, 4), np.arange(30) % 2)
    learn = Learner(nn.Linear(4, 1), data, progress=False)
    with pytest.raises(ConfigError) as refused:
        occlusion_map(learn, torch.zeros(1, 2, 2))
    assert str(refused.value) == (
        "occlusion_map explains an image model's predictions; this learner is a generic one, whose batches are not "
        "one image tensor (B, C, H, W) of floats beside the target (for a table's columns: "
        "trainwell.report.permutation_importance)"
    )


# ------------------------------------------------------------------------ boundaries: models of one's own
def two_blobs(n: int = 200) -> Points2D:
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return Points2D.from_arrays(x, np.where(y == 1, "b", "a"), ("u", "v"))


def by_first_feature(points: np.ndarray) -> np.ndarray:
    """Class ``b`` where the first feature is positive: probabilities ``(m, 2)``."""
    p = 1 / (1 + np.exp(-4 * points[:, 0]))
    return np.stack([1 - p, p], axis=1)


def test_a_function_of_ones_own_is_drawn_and_scored_beside_the_built_in_models(tmp_path: Path) -> None:
    points = two_blobs()
    result = fit_boundaries(points, ["logistic", ("by u", by_first_feature)], grid_size=20)
    assert [panel.name for panel in result.panels] == ["logistic", "by u"]
    expected = (
        by_first_feature(points.x[result.valid_index]).argmax(1) == points.codes[result.valid_index]
    ).mean()
    assert result.accuracies()["by u"] == pytest.approx(expected)
    grid = np.stack(np.meshgrid(result.grid_x, result.grid_y), axis=-1).reshape(-1, 2)
    np.testing.assert_allclose(result.panels[1].probs.reshape(-1, 2), by_first_feature(grid))
    written = plot_boundaries(result, tmp_path / "boundaries.png")
    with Image.open(written) as picture:
        assert picture.size[0] > 200


def test_a_dict_an_estimator_a_learner_and_a_named_function_are_models_of_ones_own() -> None:
    from sklearn.linear_model import LogisticRegression

    points = two_blobs()
    seed_everything(0)
    learn = Learner(
        nn.Linear(2, 1), tensor_data(points.x, [points.classes[c] for c in points.codes]), progress=False
    )
    learn.fit(3, 0.1)
    estimator = LogisticRegression().fit(points.x, points.codes)
    result = fit_boundaries(
        points,
        {"sk": estimator, "learner": learn, "logistic": "logistic", "first": by_first_feature},
        grid_size=20,
    )
    assert list(result.accuracies()) == ["sk", "learner", "logistic", "first"]
    assert min(result.accuracies().values()) > 0.85
    assert named_models([by_first_feature])[0][0] == "by_first_feature"  # a named function names itself


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (
            [("wide", lambda p: np.ones((len(p), 3)) / 3)],
            "model 'wide' gave probabilities of shape (50, 3) for 50 points; it must give one column per class "
            "(2: a, b, in that order)",
        ),
        (
            [("nan", lambda p: np.full((len(p), 2), np.nan))],
            "model 'nan' gave probabilities that are not finite numbers",
        ),
        ([("x", by_first_feature), ("x", by_first_feature)], "two models are named 'x'"),
        ([lambda p: p], "takes built-in names (logistic, qda"),
        (["logistic", "lstm"], "unknown model(s) lstm"),
        ({"lr": "logistic"}, "a built-in model is drawn under its own name: pass 'logistic' alone"),
    ],
)
def test_models_of_ones_own_are_checked_in_one_line(models: object, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        fit_boundaries(two_blobs(), models, grid_size=20)  # type: ignore[arg-type]


def test_an_estimator_not_fitted_yet_is_fitted_on_the_training_share_only() -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.utils.validation import check_is_fitted

    points = two_blobs()
    unfitted = KNeighborsClassifier(n_neighbors=1)
    on_every_point = KNeighborsClassifier(n_neighbors=1).fit(points.x, points.codes)
    result = fit_boundaries(points, {"here": unfitted, "everywhere": on_every_point}, grid_size=20)
    # a 1-NN that saw the held-out points scores them perfectly; fitted on the training share it does not
    assert result.accuracies()["everywhere"] == 1.0 and result.accuracies()["here"] < 1.0
    with pytest.raises(NotFittedError):
        check_is_fitted(unfitted)  # the estimator given is left as it was: a copy was fitted


def test_a_learner_on_torch_data_loaders_of_images_is_explained_too() -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from trainwell.data.bundle import DataBundle
    from trainwell.data.task import Task

    images = torch.zeros(16, 1, 32, 32)
    images[::2, :, :10, :10] = 1.0
    labels = (images[:, :, :8, :8].mean(dim=(1, 2, 3)) > 0.5).long()
    loader = DataLoader(TensorDataset(images, labels), batch_size=4)
    data = DataBundle(Task("multiclass", (0, 1)), loader, loader)
    learn = Learner(TopLeftDetector(), data, progress=False)
    result = occlusion_map(learn, images[0], patch=8, stride=4)
    assert result.heat[:8, :8].mean() > 0.2
    flat = DataLoader(TensorDataset(images.reshape(16, -1), labels), batch_size=4)
    with pytest.raises(ConfigError, match="whose batches are not one image tensor"):
        occlusion_map(
            Learner(nn.Linear(1024, 2), DataBundle(data.task, flat, flat), progress=False), images[0]
        )
