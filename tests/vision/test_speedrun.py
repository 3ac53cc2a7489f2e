"""The speedrun recipe: patch whitening, fast-learning batch-norm biases, the whitened CNN and fit_images(recipe=)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.nn import functional as F
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.core.errors import ConfigError, DataError
from trainwell.models import create_model
from trainwell.vision.pipeline import fit_images
from trainwell.vision.speedrun import (
    SPEEDRUN,
    ScaledBiasNorm,
    WhitenedCNN,
    patch_whitening,
    speedrun_batch_size,
)


def _correlated_images(n: int = 64, size: int = 12) -> torch.Tensor:
    """Smooth colour images: neighbouring pixels and channels are strongly correlated, as in photos."""
    base = F.avg_pool2d(torch.randn(n, 1, size + 3, size + 3), 4, stride=1)  # (n, 1, size, size)
    return torch.cat([base, 0.8 * base + 0.2 * torch.randn_like(base), -base], dim=1) + 0.05 * torch.randn(
        n, 3, size, size
    )


def test_whitening_filters_decorrelate_the_patches() -> None:
    images = _correlated_images()
    filters = patch_whitening(images, kernel=2, eps=1e-6)
    assert filters.shape == (24, 3, 2, 2)
    assert torch.equal(filters[12:], -filters[:12])
    out = F.conv2d(images, filters[:12])  # (n, 12, h, w): one channel per eigenvector
    flat = out.permute(0, 2, 3, 1).reshape(-1, 12)
    covariance = flat.T @ flat / flat.size(0)
    assert torch.allclose(covariance, torch.eye(12), atol=0.05)
    before = images.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12)
    assert (before.T @ before / before.size(0) - torch.eye(12)).abs().max() > 0.5  # the input was far from it
    with pytest.raises(DataError, match="patch whitening needs a batch of images"):
        patch_whitening(torch.rand(3, 8, 8))


def test_batch_norm_biases_learn_64_times_faster() -> None:
    norm, plain = ScaledBiasNorm(4), torch.nn.BatchNorm2d(4, affine=True)
    x = torch.randn(8, 4, 5, 5)
    target = torch.randn(8, 4, 5, 5)
    for module in (norm, plain):
        F.mse_loss(module(x), target).backward()
    effective_before = (norm.raw_bias * norm.multiplier).detach().clone()
    with torch.no_grad():
        norm.raw_bias -= 0.01 * norm.raw_bias.grad  # one plain SGD step on each
    moved = norm.raw_bias * norm.multiplier - effective_before
    assert plain.bias.grad is not None
    assert torch.allclose(moved, -0.01 * 64 * plain.bias.grad, atol=1e-6)
    assert torch.allclose(norm.running_mean, 0.4 * x.mean(dim=(0, 2, 3)), atol=1e-6)  # momentum 0.4


def test_batch_norm_scale_of_ones_is_not_saved_and_moves_with_the_model() -> None:
    """The fixed scale (there for CUDA's batch-norm backward) keeps artifacts' keys as they were."""
    norm = ScaledBiasNorm(4)
    assert set(norm.state_dict()) == {"raw_bias", "running_mean", "running_var", "num_batches_tracked"}
    norm = norm.to(torch.float64)
    assert norm.unit_scale.dtype == torch.float64 and torch.equal(
        norm.unit_scale, torch.ones(4, dtype=torch.float64)
    )
    x = torch.randn(8, 4, 5, 5, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    norm(x).sum().backward()
    assert norm.raw_bias.grad is not None and norm.raw_bias.grad.shape == (4,)


def test_whitened_cnn_starts_from_identity_filters_and_scales_its_logits() -> None:
    model = create_model("whitened_cnn", n_out=10, in_channels=3)
    assert isinstance(model, WhitenedCNN)
    first = model.body[2][0].weight.detach()  # the first group's first conv: (64, 24, 3, 3)
    assert torch.equal(first[:24, :, 1, 1], torch.eye(24)) and float(first[:24].abs().sum()) == 24.0
    assert "body.0.weight" in model.state_dict() and "body.0.weight" not in dict(model.named_parameters())
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    params = {id(p) for group in model.layer_groups() for p in group.parameters()}
    assert params == {id(p) for p in model.parameters()}
    with pytest.raises(ConfigError, match="widths must list positive integers"):
        WhitenedCNN(10, widths=(64, 0))


def test_the_speedrun_recipe_whitens_from_the_data_and_learns(split_folder: Path) -> None:
    run = fit_images(split_folder, recipe="speedrun", epochs=6, progress=False, batch_size=16,
                     learner_kwargs={"arch_config": {"widths": [16, 32, 32]}})  # fmt: skip
    net = run.learn.model.net
    assert isinstance(net, WhitenedCNN)
    data_filters = net.whiten.weight.detach()
    images = run.data.train.tensors[0]  # type: ignore[attr-defined]
    expected = patch_whitening(run.learn.model.normalise(images).contiguous())
    assert torch.allclose(
        data_filters.abs(), expected.abs(), rtol=1e-3, atol=1e-3
    )  # all 60 images (signs may flip)
    opt = run.learn.opt
    assert opt is not None and opt.param_groups[0]["nesterov"] and opt.param_groups[0]["momentum"] == 0.85
    assert run.learn.history[-1]["accuracy"] >= 0.9
    with pytest.raises(ConfigError, match="unknown recipe 'fastest'"):
        fit_images(split_folder, recipe="fastest")


def test_the_batch_shrinks_on_small_sets_with_the_learning_rate() -> None:
    assert speedrun_batch_size(50_000) == 1024  # CIFAR-10: the recipe as published
    assert speedrun_batch_size(16_384) == 1024 and speedrun_batch_size(16_383) == 512
    assert speedrun_batch_size(1_200) == 64  # 18 steps an epoch instead of one
    assert speedrun_batch_size(60) == speedrun_batch_size(0) == 32


def test_a_small_set_gets_a_smaller_batch_unless_one_was_chosen(split_folder: Path) -> None:
    small = {"epochs": 1, "progress": False, "learner_kwargs": {"arch_config": {"widths": [8, 8, 8]}}}
    run = fit_images(split_folder, recipe="speedrun", **small)  # type: ignore[arg-type]
    assert run.data.train.batch_size == 32 and len(run.data.train) == 1  # type: ignore[attr-defined, arg-type]
    assert run.lr == pytest.approx(SPEEDRUN["lr"] * 32 / 1024)
    chosen = fit_images(split_folder, recipe="speedrun", batch_size=16, lr=0.5, **small)  # type: ignore[arg-type]
    assert chosen.data.train.batch_size == 16 and chosen.lr == 0.5  # type: ignore[attr-defined]


def test_command_line_speedrun_and_its_misuse(split_folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["fit", str(split_folder), "--recipe", "speedrun", "--epochs", "1",
                                 "--batch-size", "16", "--out", str(tmp_path / "m")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"whitened_cnn"' in (tmp_path / "m" / "trainwell.json").read_text()
    table = tmp_path / "t.csv"
    table.write_text("a,y\n1,0\n2,1\n3,0\n4,1\n")
    misuse = runner.invoke(app, ["fit", str(table), "--target", "y", "--recipe", "speedrun"])
    assert misuse.exit_code == 2 and "--recipe speedrun is for images" in misuse.output
