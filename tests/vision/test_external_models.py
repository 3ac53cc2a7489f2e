"""timm and torchvision architectures with the real packages: build, freeze, fine-tune, export, weights files.

Both are optional extras; their wheels here need a CUDA build of torch, so CI (CPU torch) skips this module.
``bash scripts/test-vision-extras.sh`` makes a virtual environment that has them and runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from image_files import exported_predictions_match, make_image_folder
from trainwell.core.errors import ConfigError
from trainwell.export.onnx import export_onnx
from trainwell.vision import image_data, vision_learner

NORMS = (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm, torch.nn.GroupNorm)
ARCHS = [
    pytest.param("timm:resnet18", id="timm-resnet18"),
    pytest.param("timm:test_vit", id="timm-vit"),  # class token and position embeddings sized for the images
    pytest.param("torchvision:resnet18", id="torchvision-resnet18"),
]


def _library(arch: str) -> object:
    return _optional(arch.partition(":")[0])


def _optional(package: str) -> object:
    reason = f"{package} is not installed (an optional extra); bash scripts/test-vision-extras.sh runs this with it"
    return pytest.importorskip(package, reason=reason)


@pytest.mark.parametrize("arch", ARCHS)
def test_freeze_fine_tune_export_and_predict(arch: str, tmp_path: Path) -> None:
    _library(arch)
    split_folder = tmp_path / "split"  # 32-pixel images: two 16-pixel patches a side for the transformer
    make_image_folder(split_folder / "train", per_class=30, size=32, seed=1)
    make_image_folder(split_folder / "valid", per_class=10, size=32, seed=2)
    torch.manual_seed(0)
    data = image_data(split_folder, seed=0)
    learn = vision_learner(data, arch=arch, progress=False)
    network = learn.model.net
    body, head = network.layer_groups()
    head_ids = {id(p) for p in head.parameters()}
    assert 0 < len(head_ids) < len(list(network.parameters()))
    assert {id(p) for p in body.parameters()} | head_ids == {id(p) for p in network.parameters()}
    learn.freeze()
    norms = {id(p) for m in body.modules() if isinstance(m, NORMS) for p in m.parameters(recurse=False)}
    assert all(p.requires_grad == (id(p) in norms) for p in body.parameters())  # normalisation keeps training
    assert all(p.requires_grad for p in head.parameters())
    learn.fine_tune(1, 2e-3, freeze_epochs=1)
    assert len(learn.history) == 2
    assert all(p.requires_grad for p in network.parameters())
    exported_predictions_match(learn, split_folder, tmp_path / "model")
    report = export_onnx(tmp_path / "model")  # the graph is checked against PyTorch with onnxruntime
    assert report.max_scaled_diff <= 1e-4


def _library_weights(arch: str, n_classes: int = 1000) -> dict[str, torch.Tensor]:
    """A network's weights as its own library builds and saves them (ImageNet-sized head)."""
    library, _, name = arch.partition(":")
    if library == "timm":
        import timm

        net = timm.create_model(name, num_classes=n_classes)
    else:
        from torchvision import models

        net = models.get_model(name, num_classes=n_classes)
    return {key: value.contiguous() for key, value in net.state_dict().items()}


@pytest.mark.parametrize("arch", [ARCHS[0], ARCHS[2]])
def test_weights_file_saved_by_the_library_loads_the_body(
    arch: str, image_folder: Path, tmp_path: Path
) -> None:
    _library(arch)
    weights = _library_weights(arch)
    save_file(weights, str(tmp_path / "model.safetensors"))
    learn = vision_learner(image_data(image_folder), arch=arch, pretrained=tmp_path / "model.safetensors")
    own = learn.model.net.net.state_dict()
    head_prefixes = tuple(prefix.removeprefix("net.") for prefix in learn.model.net.head_prefixes())
    body_keys = [key for key in own if not key.startswith(head_prefixes)]
    assert body_keys and all(torch.equal(own[key], weights[key]) for key in body_keys)
    head_keys = [key for key in own if key.startswith(head_prefixes)]
    n_out = learn.data.task.n_outputs  # the 1000-class head was left out, not forced in
    assert head_keys and own[head_keys[0]].shape[0] == n_out < 1000
    other = arch.replace("resnet18", "resnet34")
    save_file(_library_weights(other), str(tmp_path / "other.safetensors"))
    with pytest.raises(ConfigError, match="another architecture"):
        vision_learner(image_data(image_folder), arch=arch, pretrained=tmp_path / "other.safetensors")


def test_a_transformer_asks_for_a_size_its_patches_divide(image_folder: Path) -> None:
    _optional("timm")
    with pytest.raises(ConfigError, match=r"16x16 patches and these images are 24x24: .*--size 32"):
        vision_learner(image_data(image_folder), arch="timm:test_vit", progress=False)


def test_timm_adapts_to_grayscale_and_torchvision_says_it_cannot(tmp_path: Path) -> None:
    _optional("timm")
    gray = image_data(make_image_folder(tmp_path / "gray", mode="L"))
    assert gray.recipe.channels == 1  # type: ignore[union-attr]
    learn = vision_learner(gray, arch="timm:resnet18", progress=False)
    learn.fit_one_cycle(1, 1e-3)
    assert learn.history
    _optional("torchvision")
    with pytest.raises(ConfigError, match="3-channel images; this data has 1"):
        vision_learner(gray, arch="torchvision:resnet18", progress=False)


@pytest.mark.parametrize("arch", [ARCHS[0], ARCHS[2]])
def test_hub_weights_offline_fail_at_once_with_the_way_out(
    arch: str, image_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _library(arch)
    from trainwell.vision.external import hub_reachable

    if hub_reachable():
        pytest.skip("the hub answers on this machine: the offline path cannot be shown")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no cached torchvision weights
    huggingface = pytest.importorskip("huggingface_hub")
    monkeypatch.setattr(huggingface.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))  # nor timm ones
    with pytest.raises(ConfigError, match=r"may be offline.*--pretrained weights.safetensors"):
        vision_learner(image_data(image_folder), arch=arch, pretrained="hub", progress=False)
    with pytest.raises(ConfigError, match="has no architecture 'no_such_net'"):
        vision_learner(image_data(image_folder), arch=arch.replace("resnet18", "no_such_net"), progress=False)
