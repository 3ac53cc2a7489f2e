"""Image architectures: a small fast CNN for tiny images and the xresnet family, registered by name.

Every model takes a normalised float batch ``(B, C, H, W)`` and returns logits ``(B, n_out)``. Each one is a
``body`` (convolutions, ending in a feature map) followed by a ``head`` (pooling, normalisation, dropout and
one linear layer), and ``layer_groups()`` splits it into ``[early body, late body, head]``: ``freeze()`` then
trains only the head, and a learning-rate slice gives the early layers the smallest rate, the way transfer
learning works best. Constructor arguments are plain JSON values so an artifact can rebuild the model from
``trainwell.json``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.warn import warn
from trainwell.models.registry import list_models, models, register_model

__all__ = [
    "AdaptiveConcatPool2d",
    "ConvBlock",
    "PretrainedLoad",
    "ResidualBlock",
    "SimpleCNN",
    "XResNet",
    "adapt_input_conv",
    "load_pretrained_weights",
    "vision_head",
    "vision_model_names",
    "xresnet18",
    "xresnet18_small",
    "xresnet34",
    "xresnet50",
]


# ------------------------------------------------------------------------------------------ building blocks
class ConvBlock(nn.Sequential):
    """Conv (no bias: the BN that follows has one) -> BatchNorm -> optional ReLU."""

    def __init__(
        self, n_in: int, n_out: int, kernel_size: int = 3, stride: int = 1, activation: bool = True
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(n_in, n_out, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(n_out),
        ]
        if activation:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class AdaptiveConcatPool2d(nn.Module):
    """Average and max pooling side by side: ``(B, C, H, W) -> (B, 2C, 1, 1)``.

    The average says how much of a pattern there is, the maximum whether it occurs at all; keeping both gives
    the head more to work with than either alone at no cost in parameters of the body.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1
        )


def vision_head(n_features: int, n_out: int, dropout: float = 0.25) -> nn.Sequential:
    """Concat pooling -> flatten -> BatchNorm -> dropout -> linear: the head put on every body.

    Args:
        n_features: channels of the body's last feature map.
        n_out: outputs (classes).
        dropout: dropout before the linear layer.
    """
    if not 0.0 <= dropout < 1.0:
        raise ConfigError(f"head_dropout must be in [0, 1), got {dropout!r}; pass e.g. 0.25.")
    return nn.Sequential(
        AdaptiveConcatPool2d(),
        nn.Flatten(),
        nn.BatchNorm1d(2 * n_features),
        nn.Dropout(dropout),
        nn.Linear(2 * n_features, n_out),
    )


def _check_common(n_out: int, in_channels: int) -> None:
    for name, value in (("n_out", n_out), ("in_channels", in_channels)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")


def _init_weights(module: nn.Module) -> None:
    """Kaiming-normal convolutions (right for ReLU), unit-gamma BN; linear layers keep torch's default."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)


class _BodyHeadModel(nn.Module):
    """A ``body`` of stages followed by a ``head``; ``layer_groups`` splits the body in two halves."""

    body: nn.Sequential
    head: nn.Sequential
    # Index in ``body`` where the second (late) layer group starts.
    split_at: int

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))  # (B, C, H, W) -> (B, C', h, w) -> (B, n_out)

    def layer_groups(self) -> list[nn.Module]:
        """``[stem + early stages, later stages, head]`` for freezing and discriminative learning rates."""
        stages = list(self.body.children())
        return [nn.Sequential(*stages[: self.split_at]), nn.Sequential(*stages[self.split_at :]), self.head]


# ---------------------------------------------------------------------------------------------- simple CNN
@register_model("simple_cnn", application="vision")
class SimpleCNN(_BodyHeadModel):
    """A small, fast CNN for tiny images (28x28 digits, 32x32 photos).

    Stages of 3x3 conv-BN-ReLU blocks with a 2x2 max-pool between stages, then the concat-pool head. The
    defaults, widths ``(24, 48, 96)`` with ``(1, 2, 2)`` convolutions, put one convolution at full resolution
    and two after each pooling: on a CPU, BatchNorm and ReLU on full-resolution maps cost as much as the
    convolutions (they are memory-bound), so depth is spent where maps are small. That trains on 60k 28x28
    images in about 15 s an epoch on two cores (channels-last) and reaches 99.5% on MNIST in a few minutes.

    Args:
        n_out: outputs (classes).
        in_channels: image channels (1 for grayscale, 3 for RGB).
        channels: width of each stage; the image is halved between stages.
        convs_per_stage: 3x3 convolutions in each stage: one number for all, or one per stage; ``None`` is
            one in the first stage and two in each later one.
        head_dropout: dropout before the final linear layer.
    """

    def __init__(
        self,
        n_out: int,
        in_channels: int = 3,
        channels: Sequence[int] = (24, 48, 96),
        convs_per_stage: int | Sequence[int] | None = None,
        head_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        _check_common(n_out, in_channels)
        widths = list(channels)
        if len(widths) < 2 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
            raise ConfigError(f"channels must list at least 2 positive integers, got {channels!r}")
        if convs_per_stage is None:  # one at full resolution, two after each pooling
            depths = [1] + [2] * (len(widths) - 1)
        elif isinstance(convs_per_stage, int):
            depths = [convs_per_stage] * len(widths)
        else:
            depths = list(convs_per_stage)
        if len(depths) != len(widths) or any(
            isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in depths
        ):
            raise ConfigError(
                f"convs_per_stage must be a positive integer or one per stage ({len(widths)}), got {convs_per_stage!r}"
            )
        stages: list[nn.Module] = []
        width_in = in_channels
        for index, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            # Pool before every stage but the first: the first stage sees the full-resolution image.
            layers: list[nn.Module] = [nn.MaxPool2d(2, ceil_mode=True)] if index else []
            for _ in range(depth):
                layers.append(ConvBlock(width_in, width))
                width_in = width
            stages.append(nn.Sequential(*layers))
        self.body = nn.Sequential(*stages)
        self.n_features = widths[-1]
        self.head = vision_head(self.n_features, n_out, head_dropout)
        self.split_at = (len(widths) + 1) // 2
        _init_weights(self)


# ------------------------------------------------------------------------------------------------ xresnet
class _Shortcut(nn.Sequential):
    """ResNet-D shortcut: average-pool to downsample (no information skipped), then a 1x1 conv if widths differ.

    A strided 1x1 conv, as in the original ResNet, reads only one pixel in four; pooling first keeps them all.
    """

    def __init__(self, n_in: int, n_out: int, stride: int) -> None:
        layers: list[nn.Module] = []
        if stride != 1:
            layers.append(nn.AvgPool2d(stride, ceil_mode=True))
        if n_in != n_out:
            layers.append(ConvBlock(n_in, n_out, kernel_size=1, activation=False))
        super().__init__(*layers)  # empty = identity


class ResidualBlock(nn.Module):
    """``relu(branch(x) + shortcut(x))`` with a basic (two 3x3) or bottleneck (1x1, 3x3, 1x1) branch.

    The last BatchNorm of the branch starts with gamma = 0, so a fresh block is its shortcut (then ReLU):
    a deep network starts as a shallow one and trains stably at high learning rates (Goyal et al. 2017).
    """

    def __init__(self, n_in: int, width: int, stride: int, bottleneck: bool) -> None:
        super().__init__()
        if bottleneck:
            n_out = width * 4
            branch = [
                ConvBlock(n_in, width, kernel_size=1),
                ConvBlock(width, width, stride=stride),  # stride on the 3x3, not the 1x1 (ResNet-B)
                ConvBlock(width, n_out, kernel_size=1, activation=False),
            ]
        else:
            n_out = width
            branch = [ConvBlock(n_in, width, stride=stride), ConvBlock(width, width, activation=False)]
        self.branch = nn.Sequential(*branch)
        self.shortcut = _Shortcut(n_in, n_out, stride)
        self.activation = nn.ReLU(inplace=True)
        self.n_out = n_out

    def last_norm(self) -> nn.BatchNorm2d:
        """The BatchNorm whose gamma starts at zero."""
        last_conv_block = self.branch[-1]
        assert isinstance(last_conv_block, ConvBlock)
        norm = last_conv_block[1]
        assert isinstance(norm, nn.BatchNorm2d)
        return norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.branch(x) + self.shortcut(x))


class XResNet(_BodyHeadModel):
    """ResNet with the "bag of tricks" changes (He et al. 2019, "Bag of Tricks for Image Classification").

    - stem of three 3x3 convolutions instead of one 7x7 (same receptive field, cheaper, better);
    - ResNet-B: a bottleneck downsamples in its 3x3 conv; ResNet-D: shortcuts average-pool before the 1x1 conv;
    - zero-initialised gamma of the last BN of every residual branch; Kaiming initialisation elsewhere.

    Args:
        layers: residual blocks in each of the four stages.
        bottleneck: bottleneck blocks (xresnet50 and deeper) instead of basic ones.
        n_out: outputs (classes).
        in_channels: image channels.
        small_input: for small images (about 64 px or less, e.g. 32x32 CIFAR): the stem keeps full resolution
            (stride 1) and skips the max-pool, so 32 px images end on a 4x4 feature map, not 1x1.
        head_dropout: dropout before the final linear layer.
        width: multiplier on every width (0.5 halves the channels: about four times faster on CPU).
    """

    def __init__(
        self,
        layers: Sequence[int],
        bottleneck: bool,
        n_out: int,
        in_channels: int = 3,
        small_input: bool = False,
        head_dropout: float = 0.25,
        width: float = 1.0,
    ) -> None:
        super().__init__()
        _check_common(n_out, in_channels)
        if not isinstance(width, (int, float)) or isinstance(width, bool) or not 0 < width <= 8:
            raise ConfigError(f"width must be a number in (0, 8], got {width!r}; 1.0 is the standard size.")

        def scaled(channels: int) -> int:
            return max(8, round(channels * width))

        stem_widths = [in_channels, scaled(32), scaled(32), scaled(64)]
        stem: list[nn.Module] = [
            ConvBlock(stem_widths[i], stem_widths[i + 1], stride=2 if i == 0 and not small_input else 1)
            for i in range(3)
        ]
        if not small_input:
            stem.append(nn.MaxPool2d(3, stride=2, padding=1))
        stages: list[nn.Module] = [nn.Sequential(*stem)]
        n_in = stem_widths[-1]
        for index, n_blocks in enumerate(layers):
            blocks = []
            for block_index in range(n_blocks):
                stride = 2 if index > 0 and block_index == 0 else 1
                block = ResidualBlock(n_in, scaled(64 * 2**index), stride, bottleneck)
                blocks.append(block)
                n_in = block.n_out
            stages.append(nn.Sequential(*blocks))
        self.body = nn.Sequential(*stages)  # stem, stage1..stage4
        self.n_features = n_in
        self.head = vision_head(n_in, n_out, head_dropout)
        self.split_at = 3  # [stem, stage1, stage2] | [stage3, stage4] | head
        _init_weights(self)
        for module in self.modules():
            if isinstance(module, ResidualBlock):
                nn.init.zeros_(module.last_norm().weight)


def _xresnet_variant(
    name: str,
    layers: Sequence[int],
    bottleneck: bool,
    doc: str,
    *,
    small_input: bool = False,
    width: float = 1.0,
) -> Callable[..., XResNet]:
    """Register ``name``, the :class:`XResNet` of these ``layers`` and kind of block; return its factory.

    Every variant takes the same arguments (only two defaults differ): the registry reads them from the
    factory's signature (:func:`vision_model_names`, the contract tests) and an artifact's config passes them.
    """

    def factory(
        n_out: int,
        in_channels: int = 3,
        small_input: bool = small_input,
        head_dropout: float = 0.25,
        width: float = width,
    ) -> XResNet:
        return XResNet(layers, bottleneck, n_out, in_channels, small_input, head_dropout, width)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc
    register_model(name, application="vision")(factory)
    return factory


xresnet18 = _xresnet_variant(
    "xresnet18",
    (2, 2, 2, 2),
    False,
    "xresnet18: four stages of two basic blocks, widths 64-512 (11M parameters at ``width=1``).",
)
xresnet18_small = _xresnet_variant(
    "xresnet18_small",
    (2, 2, 2, 2),
    False,
    "xresnet18 at half width with the small-image stem: the CPU-friendly choice for 32 px images.",
    small_input=True,
    width=0.5,
)
xresnet34 = _xresnet_variant(
    "xresnet34", (3, 4, 6, 3), False, "xresnet34: basic blocks ``(3, 4, 6, 3)``, widths 64-512."
)
xresnet50 = _xresnet_variant(
    "xresnet50", (3, 4, 6, 3), True, "xresnet50: bottleneck blocks ``(3, 4, 6, 3)``, output widths 256-2048."
)


def vision_model_names(pattern: str = "*") -> list[str]:
    """Registered image architectures matching ``pattern`` (``"xresnet*"``): the names a user picks as ``arch``.

    An architecture is a vision factory built from ``n_out`` alone (everything else has a default). Wrappers
    registered for the vision application are left out: ``image_classifier`` (it holds one of these plus the
    normalisation) and the timm/torchvision adapters (they need a ``model_name`` and an optional package).
    """
    names = []
    for name in list_models(pattern):
        entry = models.entry(name)
        parameters = inspect.signature(entry.factory).parameters.values()
        required = {
            p.name for p in parameters if p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD
        }
        if entry.metadata.get("application") == "vision" and required == {"n_out"}:
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------- pretrained weights
@dataclass(frozen=True)
class PretrainedLoad:
    """What :func:`load_pretrained_weights` did: tensors loaded, and whether the head came along."""

    n_loaded: int
    head_loaded: bool
    skipped: tuple[str, ...]


# BatchNorm's step counter only matters with momentum=None; weights converted from elsewhere often lack it.
_OPTIONAL_SUFFIXES = ("num_batches_tracked",)


def _weight_parts(model: nn.Module) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """Which state keys belong to the body and which to the head.

    The built-in architectures have ``body`` and ``head`` submodules; a library network (timm, torchvision) names
    its classifier's key prefixes through ``head_prefixes()`` and everything else is body.
    """
    head_prefixes = getattr(model, "head_prefixes", None)
    if callable(head_prefixes):
        prefixes = tuple(head_prefixes())
        return (lambda key: not key.startswith(prefixes)), (lambda key: key.startswith(prefixes))
    if isinstance(getattr(model, "body", None), nn.Module) and isinstance(
        getattr(model, "head", None), nn.Module
    ):
        return (lambda key: key.startswith("body.")), (lambda key: key.startswith("head."))
    raise ConfigError(
        f"load_pretrained_weights needs a model with 'body' and 'head' submodules, got {type(model).__name__}"
    )


def adapt_input_conv(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """A first convolution's kernel ``(out, C, kh, kw)`` made to read ``in_channels`` input channels instead of C.

    To one channel, the kernels are summed over C: a grayscale image repeated as C identical channels gives the
    same output. To more channels, the C kernels are tiled (repeated, cut at ``in_channels``) and scaled by
    ``C / in_channels`` so the output keeps its size (1 -> 3: each kernel repeated and divided by 3). The rule
    timm applies to its ``in_chans`` (``adapt_input_conv``), written for any C.

    >>> adapt_input_conv(torch.ones(4, 3, 3, 3), 1).shape, float(adapt_input_conv(torch.ones(4, 1, 3, 3), 3)[0, 0, 0, 0])
    (torch.Size([4, 1, 3, 3]), 0.3333333432674408)
    """
    if weight.dim() != 4 or in_channels < 1:
        raise ConfigError(
            f"adapt_input_conv needs a convolution kernel (out, in, kh, kw) and at least 1 input channel; got shape "
            f"{tuple(weight.shape)} and {in_channels}"
        )
    source = weight.shape[1]
    as_float = weight.float()
    if in_channels == 1:
        adapted = as_float.sum(dim=1, keepdim=True)
    else:
        repeats = math.ceil(in_channels / source)
        adapted = as_float.repeat(1, repeats, 1, 1)[:, :in_channels] * (source / in_channels)
    return adapted.to(weight.dtype)


def _stem_key(own: Mapping[str, torch.Tensor], in_body: Callable[[str], bool]) -> str | None:
    """The first convolution's kernel: the first 4-dimensional body tensor (the stem of every architecture
    here, of timm's and torchvision's)."""
    return next((key for key, value in own.items() if in_body(key) and value.dim() == 4), None)


def _adapt_stem(
    own: Mapping[str, torch.Tensor], state_dict: Mapping[str, torch.Tensor], stem: str | None
) -> tuple[Mapping[str, torch.Tensor], str]:
    """The weights with their first convolution adapted to the model's input channels when only those differ
    (grayscale MNIST weights for colour photos, RGB weights for scans; said in a warning), and the sentence a
    refusal adds when they differ but the first layer's width follows them too (a whitening layer)."""
    if stem is None or stem not in state_dict or state_dict[stem].dim() != 4:
        return state_dict, ""
    value, expected = state_dict[stem], own[stem].shape
    if value.shape[1] == expected[1]:
        return state_dict, ""
    read = f"the pretrained weights read {_channel_words(int(value.shape[1]))} images and these are "
    read += _channel_words(int(expected[1]))
    if (value.shape[0], *value.shape[2:]) != (expected[0], *expected[2:]):
        return state_dict, f" {read[0].upper()}{read[1:]}, and this first layer cannot be adapted to that."
    how = "summed over the channels" if expected[1] == 1 else "repeated and scaled"
    warn(f"{read}: their first convolution ({stem!r}) was adapted ({how})", UserWarning)
    return {**state_dict, stem: adapt_input_conv(value, int(expected[1]))}, ""


def _channel_words(count: int) -> str:
    return {1: "grayscale", 3: "colour"}.get(count, f"{count}-channel")


def load_pretrained_weights(
    model: nn.Module, state_dict: Mapping[str, torch.Tensor], *, strict_body: bool = True
) -> PretrainedLoad:
    """Load pretrained weights into ``model``: the body always, the head only when its shapes match.

    Fine-tuning usually changes the number of classes, so the pretrained head cannot be reused; the body is
    what carries the knowledge. With ``strict_body`` every body tensor must be present with the same shape and
    the weights must hold no unknown body tensors: a mismatch means another architecture or config, and
    silently training from a half-loaded body would waste the whole run.

    Args:
        model: a model with ``body`` and ``head`` submodules (every vision architecture here).
        state_dict: tensors by name, e.g. from ``safetensors.torch.load_file`` or another model's
            ``state_dict()``.
        strict_body: raise on a missing, unexpected or differently shaped body tensor (else skip it).

    Returns:
        a :class:`PretrainedLoad` with the count of tensors loaded and whether the head was.

    Raises:
        ConfigError: a body tensor is missing, unexpected or has another shape (with ``strict_body``), or the
            model has no ``body``/``head``.
    """
    in_body, in_head = _weight_parts(model)
    own = model.state_dict()
    merged = dict(own)
    skipped: list[str] = []
    n_loaded = 0
    body_keys = [key for key in own if in_body(key)]
    state_dict, channels = _adapt_stem(own, state_dict, _stem_key(own, in_body))
    for key in body_keys:
        if key not in state_dict:
            if key.endswith(_OPTIONAL_SUFFIXES):
                continue
            if strict_body:
                raise ConfigError(
                    f"pretrained weights lack body tensor {key!r}; they come from another architecture: build "
                    f"the model with the name and config the weights were trained with."
                )
            skipped.append(key)
            continue
        value = state_dict[key]
        if tuple(value.shape) != tuple(own[key].shape):
            if strict_body:
                raise ConfigError(
                    f"pretrained body tensor {key!r} has shape {tuple(value.shape)} but the model expects "
                    f"{tuple(own[key].shape)}.{channels} Start from weights trained on images like these with the "
                    f"same --arch (in Python: build the model with the config the weights were trained with)."
                )
            skipped.append(key)
            continue
        merged[key] = value
        n_loaded += 1
    if strict_body:
        unexpected = [key for key in state_dict if in_body(key) and key not in own]
        if unexpected:
            raise ConfigError(
                f"pretrained weights hold body tensor {unexpected[0]!r} that the model lacks; they come from "
                f"another architecture: build the model with the name and config they were trained with."
            )
    head_keys = [key for key in own if in_head(key)]
    head_loaded = all(
        tuple(state_dict[key].shape) == tuple(own[key].shape)
        if key in state_dict
        else key.endswith(_OPTIONAL_SUFFIXES)
        for key in head_keys
    )
    if head_loaded:
        present = [key for key in head_keys if key in state_dict]
        merged.update((key, state_dict[key]) for key in present)
        n_loaded += len(present)
    else:
        skipped.extend(head_keys)
    model.load_state_dict(merged)
    return PretrainedLoad(n_loaded, head_loaded, tuple(skipped))
