"""Every registered vision architecture passes one contract; then the specifics of each family.

The contract: built from a plain-JSON config, it maps ``(B, C, H, W)`` to ``(B, n_out)`` for grayscale and
RGB at 28, 32 and 64 px; every parameter gets a gradient; its three layer groups cover every parameter once
with the head last; a frozen Learner still trains the BatchNorms; and weights survive a safetensors round trip.
"""

from __future__ import annotations

import gzip
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.models import create_model, list_models, models
from trainwell.vision.models import (
    ResidualBlock,
    SimpleCNN,
    XResNet,
    load_pretrained_weights,
    vision_model_names,
)


# Every registered vision architecture: a factory built from ``n_out`` alone. Wrappers that need more (the
# artifact's ``image_classifier``, the timm/torchvision adapters with their ``model_name`` and optional
# packages) are tested with their own modules.
def _is_architecture(name: str) -> bool:
    entry = models.entry(name)
    parameters = inspect.signature(entry.factory).parameters.values()
    required = {
        p.name for p in parameters if p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD
    }
    return entry.metadata.get("application") == "vision" and required == {"n_out"}


VISION_MODELS = [name for name in list_models() if _is_architecture(name)]
NORM_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d)


def build(name: str, **config: object) -> Any:
    """Build through a JSON round trip of the config, as an artifact does."""
    torch.manual_seed(0)
    return create_model(name, **json.loads(json.dumps(config)))


def test_the_vision_family_is_registered() -> None:
    assert {"simple_cnn", "xresnet18", "xresnet18_small", "xresnet34", "xresnet50"} <= set(VISION_MODELS)
    assert vision_model_names() == VISION_MODELS
    assert vision_model_names("xresnet*") == ["xresnet18", "xresnet18_small", "xresnet34", "xresnet50"]


# ------------------------------------------------------------------------------------------------ contract
@pytest.mark.parametrize("name", VISION_MODELS)
def test_config_defaults_are_plain_json(name: str) -> None:
    signature = inspect.signature(models.get(name))
    defaults = {
        k: p.default for k, p in signature.parameters.items() if p.default is not inspect.Parameter.empty
    }
    assert "in_channels" in defaults and "n_out" in signature.parameters
    explicit = build(name, n_out=4, **defaults)  # every default written out and read back as JSON
    implicit = build(name, n_out=4)
    assert {k: v.shape for k, v in explicit.state_dict().items()} == {
        k: v.shape for k, v in implicit.state_dict().items()
    }


@pytest.mark.parametrize("name", VISION_MODELS)
@pytest.mark.parametrize("in_channels", [1, 3])
def test_output_shape_for_channels_and_sizes(name: str, in_channels: int) -> None:
    model = build(name, n_out=5, in_channels=in_channels)
    for size in (28, 32, 64):
        out = model(torch.randn(2, in_channels, size, size))
        assert out.shape == (2, 5), f"{name} at {size}px"
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(1, in_channels, 32, 32)).shape == (1, 5)


@pytest.mark.parametrize("name", VISION_MODELS)
def test_backward_reaches_every_parameter(name: str) -> None:
    model = build(name, n_out=3)
    nn.functional.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 0])).backward()
    for param_name, param in model.named_parameters():
        assert param.grad is not None, f"{param_name} got no gradient"
        assert torch.isfinite(param.grad).all(), param_name
    # Gradients flow into the body, not just the head (the zero-init gammas receive them first).
    assert any(p.grad.abs().sum() > 0 for p in model.body.parameters())


@pytest.mark.parametrize("name", VISION_MODELS)
def test_layer_groups_cover_each_parameter_once_head_last(name: str) -> None:
    model = build(name, n_out=3)
    groups = model.layer_groups()
    assert len(groups) == 3
    assert groups[-1] is model.head
    grouped = [id(p) for group in groups for p in group.parameters()]
    assert len(grouped) == len(set(grouped)), "a parameter is in two layer groups"
    assert set(grouped) == {id(p) for p in model.parameters()}, "layer groups miss parameters"
    assert all(sum(p.numel() for p in group.parameters()) > 0 for group in groups)


@pytest.mark.parametrize("name", VISION_MODELS)
def test_frozen_learner_trains_head_and_batchnorm_only(name: str) -> None:
    model = build(name, n_out=2)
    data = tensor_data(torch.randn(8, 3, 32, 32), np.array([0, 1] * 4), valid_pct=0.25, batch_size=4)
    learn = Learner(model, data, progress=False)
    learn.freeze()
    for module_name, module in model.body.named_modules():
        for param in module.parameters(recurse=False):
            assert param.requires_grad == isinstance(module, NORM_LAYERS), module_name
    assert all(p.requires_grad for p in model.head.parameters())
    opt = learn.create_opt()
    assert {group["layer_group"] for group in opt.param_groups} == {0, 1, 2}
    learn.unfreeze()
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("name", VISION_MODELS)
def test_safetensors_round_trip_gives_identical_outputs(name: str, tmp_path: Path) -> None:
    config = {"n_out": 3, "in_channels": 1}
    model = build(name, **config)
    model(torch.randn(4, 1, 32, 32) * 2 + 1)  # move the BN running statistics away from their init
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    rebuilt = build(name, **config)
    rebuilt.load_state_dict(load_file(tmp_path / "model.safetensors"))
    model.eval()
    rebuilt.eval()
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), rebuilt(x))


# -------------------------------------------------------------------------------------------------- xresnet
@pytest.mark.parametrize("name", vision_model_names("xresnet*"))
def test_fresh_residual_block_equals_its_shortcut(name: str) -> None:
    model = build(name, n_out=2)
    blocks: list[Any] = [m for m in model.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == {"xresnet18": 8, "xresnet18_small": 8, "xresnet34": 16, "xresnet50": 16}[name]
    for block in blocks:
        assert torch.equal(block.last_norm().weight, torch.zeros_like(block.last_norm().weight))
        n_in = block.branch[0][0].in_channels
        x = torch.rand(2, n_in, 8, 8)
        expected = torch.relu(block.shortcut(x))
        assert torch.allclose(block(x), expected)


def test_xresnet_architecture_details() -> None:
    model = build("xresnet50", n_out=2)
    assert isinstance(model, XResNet)
    stem: Any = model.body[0]
    convs = [m for m in stem.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.kernel_size, c.stride) for c in convs] == [
        ((3, 3), (2, 2)),
        ((3, 3), (1, 1)),
        ((3, 3), (1, 1)),
    ]
    assert isinstance(stem[-1], nn.MaxPool2d)
    assert model.n_features == 2048
    # ResNet-D: the downsampling shortcut average-pools, then a 1x1 conv; ResNet-B: the 3x3 carries the stride.
    stage2: Any = model.body[2]
    first_of_stage2 = stage2[0]
    assert isinstance(first_of_stage2.shortcut[0], nn.AvgPool2d)
    assert first_of_stage2.shortcut[1][0].kernel_size == (1, 1)
    assert first_of_stage2.shortcut[1][0].stride == (1, 1)
    assert [c.stride for c in first_of_stage2.branch.modules() if isinstance(c, nn.Conv2d)] == [
        (1, 1),
        (2, 2),
        (1, 1),
    ]
    head_types = [type(m) for m in model.head]
    assert head_types[1:] == [nn.Flatten, nn.BatchNorm1d, nn.Dropout, nn.Linear]
    assert model.head[-1].in_features == 4096  # average + max pooled


def test_small_input_keeps_resolution_in_the_stem() -> None:
    big = build("xresnet18", n_out=2)
    small = build("xresnet18", n_out=2, small_input=True)
    x = torch.randn(2, 3, 32, 32)
    assert big.body(x).shape[-2:] == (1, 1)
    assert small.body(x).shape[-2:] == (4, 4)
    assert not any(isinstance(m, nn.MaxPool2d) for m in small.body[0])


def test_width_and_dropout_knobs() -> None:
    narrow = build("xresnet18", n_out=2, width=0.5, head_dropout=0.0)
    full = build("xresnet18", n_out=2)
    assert narrow.n_features == 256 and full.n_features == 512
    assert sum(p.numel() for p in narrow.parameters()) < sum(p.numel() for p in full.parameters()) / 3
    assert full.head[3].p == 0.25 and narrow.head[3].p == 0.0


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("xresnet18", {"n_out": 0}, "n_out must be a positive integer, got 0"),
        ("xresnet18", {"n_out": 2, "in_channels": 2.5}, "in_channels must be a positive integer"),
        ("xresnet18", {"n_out": 2, "width": 0}, "width must be a number in"),
        ("xresnet34", {"n_out": 2, "head_dropout": 1.0}, r"head_dropout must be in \[0, 1\)"),
        ("simple_cnn", {"n_out": 2, "channels": [32]}, "channels must list at least 2"),
        ("simple_cnn", {"n_out": 2, "convs_per_stage": [1, 2]}, "one per stage"),
    ],
)
def test_bad_config_is_a_clear_config_error(name: str, config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_model(name, **config)


# ----------------------------------------------------------------------------------------------- simple CNN
def test_simple_cnn_layout() -> None:
    model = build("simple_cnn", n_out=10, in_channels=1, channels=[8, 16, 32], convs_per_stage=[1, 2, 2])
    assert isinstance(model, SimpleCNN)
    convs_per_stage = [sum(isinstance(m, nn.Conv2d) for m in stage.modules()) for stage in model.body]
    assert convs_per_stage == [1, 2, 2]
    assert model.body(torch.randn(2, 1, 28, 28)).shape == (2, 32, 7, 7)
    first, second, head = (list(group.children()) for group in model.layer_groups())
    assert len(first) == 2 and len(second) == 1 and head == list(model.head.children())
    default = build("simple_cnn", n_out=10, in_channels=1, channels=[8, 16, 32, 64])
    convs_per_stage = [sum(isinstance(m, nn.Conv2d) for m in stage.modules()) for stage in default.body]
    assert convs_per_stage == [1, 2, 2, 2]  # one conv at full resolution, two after each pooling
    assert default.body(torch.randn(2, 1, 28, 28)).shape == (2, 64, 4, 4)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    n_dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


@pytest.mark.slow
def test_simple_cnn_learns_mnist_digits(shared_data: Path) -> None:
    mnist = shared_data / "mnist"
    images = _read_idx(mnist / "train-images-idx3-ubyte.gz")[:2000]
    labels = _read_idx(mnist / "train-labels-idx1-ubyte.gz")[:2000]
    x = torch.from_numpy(images.copy()).float().div(255).sub(0.1307).div(0.3081)[:, None]  # (N, 1, 28, 28)
    data = tensor_data(x, labels.astype(np.int64), task="multiclass", valid_pct=0.25, batch_size=64)
    torch.manual_seed(0)
    model = create_model("simple_cnn", n_out=10, in_channels=1)
    learn = Learner(model, data, metrics=["accuracy"], progress=False)
    learn.fit_one_cycle(2, lr_max=3e-3)
    assert learn.history[-1]["accuracy"] > 0.9  # chance is 0.1; 1500 digits, 2 epochs


# -------------------------------------------------------------------------------------- pretrained weights
def test_load_pretrained_weights_takes_the_body_and_a_fresh_head() -> None:
    pretrained = build("xresnet18_small", n_out=10, in_channels=1)
    pretrained(torch.randn(4, 1, 32, 32))  # non-default BN statistics
    torch.manual_seed(1)
    target: Any = create_model("xresnet18_small", n_out=3, in_channels=1)
    head_before = {k: v.clone() for k, v in target.head.state_dict().items()}
    result = load_pretrained_weights(target, pretrained.state_dict())
    assert not result.head_loaded
    assert result.n_loaded == len(pretrained.body.state_dict())
    assert all(key.startswith("head.") for key in result.skipped)
    for key, value in pretrained.body.state_dict().items():
        assert torch.equal(target.body.state_dict()[key], value), key
    for key, value in target.head.state_dict().items():
        assert torch.equal(head_before[key], value), key


def test_load_pretrained_weights_keeps_a_matching_head() -> None:
    pretrained = build("simple_cnn", n_out=4)
    torch.manual_seed(1)
    target = create_model("simple_cnn", n_out=4)
    result = load_pretrained_weights(target, pretrained.state_dict())
    assert result.head_loaded and result.skipped == ()
    pretrained.eval()
    target.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(pretrained(x), target(x))


def test_load_pretrained_weights_rejects_another_body() -> None:
    rgb = build("xresnet18", n_out=2).state_dict()
    wider = dict(rgb, **{"body.1.0.branch.0.0.weight": torch.randn(64, 32, 3, 3)})  # not the stem: refused
    with pytest.raises(
        ConfigError,
        match=r"'body\.1\.0\.branch\.0\.0\.weight' has shape \(64, 32, 3, 3\).*\(64, 64, 3, 3\)\. Start from "
        r"weights trained on images like these with the same --arch",
    ):
        load_pretrained_weights(build("xresnet18", n_out=2), wider)
    whitened = build("whitened_cnn", n_out=2).state_dict()  # its first layer's width follows the channels
    with pytest.raises(
        ConfigError,
        match=r"The pretrained weights read colour images and these are grayscale, and this first layer cannot",
    ):
        load_pretrained_weights(build("whitened_cnn", n_out=2, in_channels=1), whitened)
    deeper = build("xresnet34", n_out=2).state_dict()
    with pytest.raises(ConfigError, match=r"hold body tensor 'body\.1\.2\..*' that the model lacks"):
        load_pretrained_weights(build("xresnet18", n_out=2), deeper)
    with pytest.raises(ConfigError, match=r"lack body tensor 'body\.1\.2\."):
        load_pretrained_weights(build("xresnet34", n_out=2), rgb)
    with pytest.raises(ConfigError, match="needs a model with 'body' and 'head'"):
        load_pretrained_weights(nn.Linear(2, 2), {})


def test_adapt_input_conv_keeps_the_output_of_images_whose_channels_agree() -> None:
    from trainwell.vision.models import adapt_input_conv

    torch.manual_seed(0)
    rgb, gray = torch.randn(8, 3, 3, 3), torch.randn(8, 1, 3, 3)
    image = torch.rand(2, 1, 10, 10)
    # RGB -> 1: a gray image read as three equal channels by the RGB kernels gives the same output.
    conv = nn.functional.conv2d
    assert torch.allclose(
        conv(image, adapt_input_conv(rgb, 1)), conv(image.expand(-1, 3, -1, -1), rgb), atol=1e-5
    )
    # 1 -> 3: the kernel repeated over three equal channels and divided by 3 gives the grayscale output.
    assert torch.allclose(adapt_input_conv(gray, 3), gray.repeat(1, 3, 1, 1) / 3)
    assert torch.allclose(
        conv(image.expand(-1, 3, -1, -1), adapt_input_conv(gray, 3)), conv(image, gray), atol=1e-5
    )
    # Other counts tile the kernels and rescale: 3 -> 4 as timm's adapt_input_conv does.
    assert torch.allclose(adapt_input_conv(rgb, 4), torch.cat([rgb, rgb[:, :1]], 1) * 0.75)
    assert adapt_input_conv(rgb.half(), 2).dtype == torch.float16


@pytest.mark.parametrize(("trained", "target"), [(1, 3), (3, 1)])
def test_load_pretrained_weights_adapts_the_stem_to_other_channels(trained: int, target: int) -> None:
    from trainwell.vision.models import adapt_input_conv

    source = build("xresnet18_small", n_out=10, in_channels=trained).state_dict()
    model = build("xresnet18_small", n_out=2, in_channels=target)
    with pytest.warns(
        UserWarning, match=r"first convolution \('body\.0\.0\.0\.weight'\) was adapted"
    ) as caught:
        result = load_pretrained_weights(model, source)
    kinds = {1: "grayscale", 3: "colour"}
    assert f"weights read {kinds[trained]} images and these are {kinds[target]}" in str(caught[0].message)
    assert torch.equal(
        model.state_dict()["body.0.0.0.weight"], adapt_input_conv(source["body.0.0.0.weight"], target)
    )
    assert torch.equal(model.state_dict()["body.1.0.branch.0.0.weight"], source["body.1.0.branch.0.0.weight"])
    assert result.n_loaded == len(model.body.state_dict()) and not result.head_loaded


def test_load_pretrained_weights_lenient_body_skips_mismatches() -> None:
    source = build("xresnet18", n_out=2).state_dict()
    del source["body.4.1.branch.1.1.weight"]
    source = {k: v for k, v in source.items() if not k.endswith("num_batches_tracked")}  # optional buffers
    source["body.1.0.branch.0.0.weight"] = torch.randn(64, 32, 3, 3)
    target = build("xresnet18", n_out=2)
    result = load_pretrained_weights(target, source, strict_body=False)
    assert "body.1.0.branch.0.0.weight" in result.skipped and "body.4.1.branch.1.1.weight" in result.skipped
    assert result.head_loaded
    assert torch.equal(
        target.state_dict()["body.4.0.branch.0.0.weight"], source["body.4.0.branch.0.0.weight"]
    )
