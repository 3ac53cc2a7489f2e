"""timm and torchvision architectures, when those optional packages are installed.

``vision_learner(data, arch="timm:convnext_tiny")`` or ``"torchvision:resnet50"`` builds the network through
its library, sized for the data, and splits it into body and head for freezing. The artifact records only the
name and settings; weights always live in ``model.safetensors``, so loading never needs the hub. Fetching
pretrained weights reaches the internet: offline, it fails with a message saying how to use local weights.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.models.registry import register_model

INSTALL_HINT = "pip install 'trainwell[vision]' (torchvision and timm)"


def _import(package: str) -> Any:
    try:
        return __import__(package)
    except ModuleNotFoundError as error:
        raise ConfigError(
            f"architectures from {package} need the optional package '{package}', which is not installed: "
            f"{INSTALL_HINT}; or use a built-in architecture (simple_cnn, xresnet18/34/50)"
        ) from error


def _offline_hint(name: str, error: Exception) -> ConfigError:
    return ConfigError(
        f"could not fetch pretrained weights for '{name}' ({type(error).__name__}: "
        f"{str(error).splitlines()[0][:100]}); this machine may be offline. Download them elsewhere and pass the "
        "file with --pretrained weights.safetensors, or train without pretrained weights"
    )


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (or the mirror in ``HF_ENDPOINT``) answers a TCP connection within ``timeout``."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return True  # no hub client: timm fetches by URL, which fails at once when offline
    address = urlsplit(constants.ENDPOINT)
    port = address.port or (443 if address.scheme == "https" else 80)
    try:
        with socket.create_connection((address.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _hub_cache_only_when_unreachable() -> Iterator[None]:
    """Offline, the hub client retries for most of a minute before it gives up; with no route, read its cache only.

    Cached weights still load; missing ones fail at once (and :func:`_offline_hint` says what to do).
    """
    try:
        from huggingface_hub import constants
    except ImportError:
        yield
        return
    was = constants.HF_HUB_OFFLINE
    if not was and not hub_reachable():
        constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = was


def _create_timm(
    timm: Any, name: str, settings: dict[str, Any], image_size: Sequence[int] | None
) -> nn.Module:
    if image_size is not None:
        try:
            return timm.create_model(name, img_size=tuple(int(side) for side in image_size), **settings)  # type: ignore[no-any-return]
        except TypeError as error:
            if "img_size" not in str(error):
                raise
    return timm.create_model(name, **settings)  # type: ignore[no-any-return]


def _check_patches(name: str, net: nn.Module, image_size: Sequence[int] | None) -> None:
    """A transformer cuts images into patches: a side that is not a whole number of patches fails in the first batch."""
    patch = getattr(getattr(net, "patch_embed", None), "patch_size", None)
    if image_size is None or not isinstance(patch, Sequence) or len(patch) != 2:
        return
    if any(int(side) % int(step) for side, step in zip(image_size, patch, strict=True)):
        height, width = image_size
        fitting = max(patch) * max(1, round(max(height, width) / max(patch)))
        raise ConfigError(
            f"timm:{name} cuts images into {patch[0]}x{patch[1]} patches and these images are {height}x{width}: "
            f"resize them to a multiple (size={fitting}, --size {fitting}) or choose a convolutional network"
        )


class _External(nn.Module):
    """A library network with a ``layer_groups`` split: everything but the classifier, then the classifier."""

    net: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _head(self) -> nn.Module:
        raise NotImplementedError

    def head_prefixes(self) -> list[str]:
        """State-key prefixes of the classifier (``["net.fc."]`` for a ResNet): all other weights are the body."""
        head = self._head()
        return [f"{name}." for name, module in self.named_modules() if module is head and name]

    def layer_groups(self) -> list[nn.Module]:
        head = self._head()
        in_head = {id(p) for p in head.parameters()}
        body: list[nn.Module] = [
            module
            for module in self.net.children()
            if module is not head and not any(id(p) in in_head for p in module.parameters())
        ]
        # Parameters held by the network itself (a ViT's class token, position embeddings) belong to the body.
        direct = [p for p in self.net.parameters(recurse=False) if id(p) not in in_head]
        if direct:
            body.append(nn.ParameterList(direct))
        return [nn.ModuleList(body), head]


@register_model("timm_model", application="vision")
class TimmModel(_External):
    """A ``timm`` architecture: ``timm_model(model_name="resnet50", n_out=10, in_channels=3, pretrained=False)``.

    ``image_size`` reaches the architectures that are built for one input size (vision transformers: their
    position embeddings are sized, and resampled from pretrained weights, for the data's images); the others
    take any size and ignore it.
    """

    def __init__(
        self,
        model_name: str,
        n_out: int,
        in_channels: int = 3,
        pretrained: bool = False,
        image_size: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        name = model_name
        timm = _import("timm")
        settings: dict[str, Any] = {"pretrained": pretrained, "num_classes": n_out, "in_chans": in_channels}
        try:
            with _hub_cache_only_when_unreachable() if pretrained else contextlib.nullcontext():
                self.net = _create_timm(timm, name, settings, image_size)
        except RuntimeError as error:
            if "Unknown model" in str(error):
                raise ConfigError(f"timm has no architecture '{name}'; see timm.list_models()") from error
            raise _offline_hint(name, error) from error
        except OSError as error:
            raise _offline_hint(name, error) from error
        _check_patches(name, self.net, image_size)

    def _head(self) -> nn.Module:
        head = self.net.get_classifier()  # type: ignore[operator]
        return head if isinstance(head, nn.Module) else nn.Identity()


@register_model("torchvision_model", application="vision")
class TorchvisionModel(_External):
    """A ``torchvision`` classifier: ``torchvision_model(model_name="resnet18", n_out=10, pretrained=False)``."""

    def __init__(self, model_name: str, n_out: int, in_channels: int = 3, pretrained: bool = False) -> None:
        super().__init__()
        name = model_name
        _import("torchvision")
        from torchvision import models

        if in_channels != 3:
            raise ConfigError(
                f"torchvision models take 3-channel images; this data has {in_channels}. Use a built-in "
                "architecture, or a timm one (which adapts the first layer)"
            )
        try:
            net = models.get_model(name, weights="DEFAULT" if pretrained else None)
        except ValueError as error:
            raise ConfigError(
                f"torchvision has no architecture '{name}'; see torchvision.models.list_models()"
            ) from error
        except OSError as error:
            raise _offline_hint(name, error) from error
        self.net = _replace_classifier(net, n_out)

    def _head(self) -> nn.Module:
        for attribute in ("fc", "classifier", "head", "heads"):
            head = getattr(self.net, attribute, None)
            if isinstance(head, nn.Module):
                return head
        raise ConfigError(f"cannot find the classifier of {type(self.net).__name__}")


def _replace_classifier(net: nn.Module, n_out: int) -> nn.Module:
    """Swap the last linear layer of a torchvision classifier for one with ``n_out`` outputs."""
    for attribute in ("fc", "classifier", "head", "heads"):
        head = getattr(net, attribute, None)
        if isinstance(head, nn.Linear):
            setattr(net, attribute, nn.Linear(head.in_features, n_out))
            return net
        if isinstance(head, nn.Sequential):
            for index in range(len(head) - 1, -1, -1):
                layer = head[index]
                if isinstance(layer, nn.Linear):
                    head[index] = nn.Linear(layer.in_features, n_out)
                    return net
    raise ConfigError(f"cannot find the final linear layer of {type(net).__name__} to resize it")


def external_spec(
    arch: str, n_out: int, in_channels: int, pretrained: bool, image_size: Sequence[int] | None = None
) -> tuple[str, dict[str, Any]]:
    """``"timm:resnet50"`` -> (registered wrapper name, its config)."""
    library, _, name = arch.partition(":")
    if not name:
        raise ConfigError(f"arch {arch!r} names no model; write e.g. timm:resnet50 or torchvision:resnet18")
    wrapper = {"timm": "timm_model", "torchvision": "torchvision_model"}[library]
    config: dict[str, Any] = {
        "model_name": name,
        "n_out": n_out,
        "in_channels": in_channels,
        "pretrained": pretrained,
    }
    if library == "timm" and image_size is not None:
        config["image_size"] = [int(side) for side in image_size]
    return wrapper, config
