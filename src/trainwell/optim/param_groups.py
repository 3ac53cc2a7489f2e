"""Param groups: split layer groups into decay / no-decay halves, and spread learning rates across them.

Weight decay pulls weights towards zero to limit their scale; biases and the affine parameters of
normalisation layers set offsets and scales that decay would only distort, so they get ``weight_decay=0``.
Layer groups (body first, head last) let fine-tuning give early layers smaller learning rates
("discriminative learning rates", Howard & Ruder 2018).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from trainwell.core.errors import ConfigError

__all__ = ["NORM_LAYERS", "discriminative_lrs", "split_param_groups"]


def _norm_layer_types() -> tuple[type[nn.Module], ...]:
    # Listed by public name (not via torch's private base classes); getattr skips ones an older torch lacks.
    names = (
        "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
        "SyncBatchNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
        "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LayerNorm", "GroupNorm", "LocalResponseNorm", "RMSNorm",
    )  # fmt: skip
    return tuple(getattr(nn, name) for name in names if hasattr(nn, name))


#: Module types whose parameters never decay.
NORM_LAYERS: tuple[type[nn.Module], ...] = _norm_layer_types()


def _skips_decay(module: nn.Module, name: str, param: torch.Tensor) -> bool:
    # Embedding tables are 2-D, so they decay like any weight matrix.
    return isinstance(module, NORM_LAYERS) or param.ndim <= 1 or name.endswith("bias")


def _as_module_list(layer_groups: Sequence[nn.Module] | nn.Module) -> list[nn.Module]:
    # nn.Sequential is both a Module and a Sequence: a single module means one layer group.
    groups = [layer_groups] if isinstance(layer_groups, nn.Module) else list(layer_groups)
    if not groups:
        raise ConfigError("layer_groups is empty; pass a model or a list of modules (body first, head last).")
    for index, group in enumerate(groups):
        if not isinstance(group, nn.Module):
            raise ConfigError(
                f"layer_groups[{index}] must be an nn.Module, got {type(group).__name__}; "
                "pass a model or a list of modules."
            )
    return groups


def split_param_groups(
    layer_groups: Sequence[nn.Module] | nn.Module, weight_decay: float
) -> list[dict[str, Any]]:
    """Build torch param-group dicts: for each layer group, one that decays and one that does not.

    Biases, 0-/1-D parameters and every parameter of a normalisation layer (:data:`NORM_LAYERS`) go to the
    no-decay group; everything else, embeddings included, decays. Frozen parameters (``requires_grad=False``)
    are kept so that unfreezing later needs no new optimizer. A parameter shared by several layer groups is
    placed once, in the first. Empty groups are left out.

    Args:
        layer_groups: One module, or a sequence of modules ordered body first, head last.
        weight_decay: Decay for the decaying groups (the others get ``0.0``).

    Returns:
        Dicts with keys ``params``, ``weight_decay``, ``layer_group`` (index) and ``name``
        (``"group{i}_decay"`` or ``"group{i}_no_decay"``), in layer-group order.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
        >>> [(g["name"], len(g["params"])) for g in split_param_groups(model, 0.01)]
        [('group0_decay', 2), ('group0_no_decay', 4)]
    """
    if not (isinstance(weight_decay, (int, float)) and math.isfinite(weight_decay) and weight_decay >= 0):
        raise ConfigError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}; pass e.g. 0.01.")
    seen: set[int] = set()
    param_groups: list[dict[str, Any]] = []
    for index, group in enumerate(_as_module_list(layer_groups)):
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for module in group.modules():
            for name, param in module.named_parameters(recurse=False):
                if id(param) in seen:
                    continue
                seen.add(id(param))
                (no_decay if _skips_decay(module, name, param) else decay).append(param)
        for suffix, params, group_decay in (
            ("decay", decay, float(weight_decay)),
            ("no_decay", no_decay, 0.0),
        ):
            if params:
                param_groups.append(
                    {
                        "params": params,
                        "weight_decay": group_decay,
                        "layer_group": index,
                        "name": f"group{index}_{suffix}",
                    }
                )
    if not param_groups:
        raise ConfigError("layer_groups hold no parameters; pass the modules of the model you want to train.")
    return param_groups


def _check_positive(value: object, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigError(f"{what} must be a finite number > 0, got {value!r}; pass e.g. 1e-3.")
    return float(value)


def discriminative_lrs(lr: float | slice | Sequence[float], n_groups: int) -> list[float]:
    """Learning rate per layer group, body first.

    Args:
        lr: A number (same for every group); ``slice(lo, hi)`` (geometric spacing from ``lo`` for the first
            group to ``hi`` for the last); ``slice(None, hi)`` (``hi / 10`` for all but the last, ``hi`` for
            the last); or one value per group.
        n_groups: Number of layer groups (>= 1).

    Returns:
        ``n_groups`` floats.

    Example:
        >>> discriminative_lrs(slice(1e-4, 1e-2), 3)
        [0.0001, 0.001, 0.01]
    """
    if isinstance(n_groups, bool) or not isinstance(n_groups, int) or n_groups < 1:
        raise ConfigError(f"n_groups must be an integer >= 1, got {n_groups!r}.")
    if isinstance(lr, slice):
        if lr.step is not None or lr.stop is None:
            raise ConfigError(
                f"lr slice must be slice(lo, hi) or slice(None, hi), got {lr!r}; pass e.g. slice(1e-5, 1e-3)."
            )
        high = _check_positive(lr.stop, "lr slice stop")
        if lr.start is None:
            return [high / 10] * (n_groups - 1) + [high]
        low = _check_positive(lr.start, "lr slice start")
        if n_groups == 1:
            return [high]
        values = [low * (high / low) ** (i / (n_groups - 1)) for i in range(n_groups)]
        values[-1] = high  # exact end despite rounding in the power
        return values
    if isinstance(lr, Sequence) and not isinstance(lr, str):
        if len(lr) != n_groups:
            raise ConfigError(
                f"lr has {len(lr)} values but the model has {n_groups} layer groups; "
                f"pass {n_groups} values, a single number or a slice."
            )
        return [_check_positive(value, f"lr[{index}]") for index, value in enumerate(lr)]
    return [_check_positive(lr, "lr")] * n_groups
