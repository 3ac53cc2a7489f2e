"""Optimizers by name: ``create_optimizer("adamw", param_groups, lr=1e-3)``.

Registered optimizers and their defaults (anything can be overridden by keyword):

============  ====================================================  =============================
name          defaults                                              weight decay
============  ====================================================  =============================
``sgd``       ``torch.optim.SGD``, momentum 0.9, nesterov off       coupled L2 (torch's behaviour)
``adam``      ``torch.optim.Adam``, betas (0.9, 0.99), eps 1e-8     coupled L2 (torch's behaviour)
``adamw``     ``torch.optim.AdamW``, betas (0.9, 0.99), eps 1e-8    decoupled
``adabelief`` :class:`AdaBelief`, betas (0.9, 0.999), eps 1e-16     decoupled
============  ====================================================  =============================

``beta2 = 0.99`` (rather than torch's 0.999) lets Adam's second moment follow the fast changes of a one-cycle
schedule in short runs; AdaBelief keeps the paper's values. ``weight_decay`` defaults to ``0.0`` everywhere, so
decay only comes from an explicit ``weight_decay=`` or from the groups of :func:`split_param_groups`; each
group's own ``weight_decay`` is honoured by all four. For ``sgd`` and ``adam`` that decay is torch's L2 term
added to the gradient (``g += wd * p``), not AdamW-style shrinking: use ``adamw`` or ``adabelief`` for
decoupled decay.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.core.registry import Registry
from trainwell.optim.adabelief import AdaBelief

__all__ = [
    "OptimizerFactory",
    "create_optimizer",
    "list_optimizers",
    "momentum_key",
    "optimizers",
    "set_momentum",
]

#: ``factory(param_groups, lr=..., **kwargs) -> Optimizer``; a ``torch.optim.Optimizer`` class qualifies.
OptimizerFactory = Callable[..., torch.optim.Optimizer]

optimizers: Registry[OptimizerFactory] = Registry("optimizer")


def _with_defaults(
    optimizer_class: Callable[..., torch.optim.Optimizer], **defaults: Any
) -> OptimizerFactory:
    def factory(params: Any, lr: float, **kwargs: Any) -> torch.optim.Optimizer:
        return optimizer_class(params, lr=lr, **{**defaults, **kwargs})

    class_name = getattr(optimizer_class, "__qualname__", "optimizer")
    factory.__name__ = class_name
    factory.__doc__ = f"``{class_name}`` with defaults {defaults}."
    return factory


def _register(
    name: str, optimizer_class: type[torch.optim.Optimizer], decoupled: bool, **defaults: Any
) -> None:
    optimizers.add(
        name,
        _with_defaults(optimizer_class, weight_decay=0.0, **defaults),
        optimizer_class=optimizer_class,
        decoupled_weight_decay=decoupled,
    )


_register("sgd", torch.optim.SGD, decoupled=False, momentum=0.9, nesterov=False)
_register("adam", torch.optim.Adam, decoupled=False, betas=(0.9, 0.99), eps=1e-8)
_register("adamw", torch.optim.AdamW, decoupled=True, betas=(0.9, 0.99), eps=1e-8)
_register("adabelief", AdaBelief, decoupled=True, betas=(0.9, 0.999), eps=1e-16)


def list_optimizers(pattern: str = "*") -> list[str]:
    """Names of the registered optimizers matching a shell-style ``pattern``, sorted."""
    return optimizers.names(pattern)


def _accepted_options(optimizer_class: type[torch.optim.Optimizer]) -> list[str]:
    parameters = inspect.signature(optimizer_class.__init__).parameters
    return [name for name in parameters if name not in ("self", "params", "lr")]


def _param_list(params: torch.Tensor | Iterable[torch.Tensor]) -> list[torch.Tensor]:
    # torch accepts a lone tensor as a group's params; list() would split it into rows.
    return [params] if isinstance(params, torch.Tensor) else list(params)


def _copy_groups(
    param_groups: Iterable[dict[str, Any]] | Iterable[torch.Tensor], lr: float
) -> list[dict[str, Any]]:
    # Copies, so that the caller's dicts are not mutated and can build a second optimizer.
    items: list[Any] = list(param_groups)
    if not items:
        raise ConfigError("param_groups is empty; pass split_param_groups(model, wd) or model.parameters().")
    groups: list[dict[str, Any]]
    if all(isinstance(item, dict) for item in items):
        groups = [{**group, "params": _param_list(group["params"])} for group in items]
    elif all(isinstance(item, torch.Tensor) for item in items):
        groups = [{"params": items}]
    else:
        raise ConfigError(
            "param_groups must be all dicts or all tensors; pass split_param_groups(model, wd)."
        )
    for group in groups:
        group.setdefault("lr", lr)
    return groups


def create_optimizer(
    name: str | OptimizerFactory,
    param_groups: Iterable[dict[str, Any]] | Iterable[torch.Tensor],
    lr: float,
    **kwargs: Any,
) -> torch.optim.Optimizer:
    """Build an optimizer by registered name, or from any factory / ``torch.optim.Optimizer`` class.

    Args:
        name: A name from :func:`list_optimizers`, or a callable ``factory(groups, lr=..., **kwargs)``.
        param_groups: Param-group dicts (see :func:`split_param_groups`) or plain parameters.
        lr: Learning rate given to every group that does not set its own ``"lr"``.
        **kwargs: Optimizer options (``momentum``, ``betas``, ``weight_decay``...), overriding the defaults.

    Returns:
        The optimizer; every param group has an ``"lr"`` entry.

    Example:
        >>> model = torch.nn.Linear(3, 1)
        >>> optimizer = create_optimizer("sgd", model.parameters(), lr=0.1)
        >>> optimizer.param_groups[0]["momentum"], optimizer.param_groups[0]["lr"]
        (0.9, 0.1)
    """
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ConfigError(f"lr must be a finite number > 0, got {lr!r}; pass e.g. lr=1e-3.")
    groups = _copy_groups(param_groups, float(lr))
    if isinstance(name, str):
        entry = optimizers.entry(name)
        accepted = _accepted_options(entry.metadata["optimizer_class"])
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise ConfigError(
                f"unknown option {unknown[0]!r} for optimizer {name!r}; accepted: {', '.join(accepted)}."
            )
        factory = entry.factory
    elif callable(name):
        factory = name
    else:
        raise ConfigError(
            f"optimizer must be a name or a callable, got {type(name).__name__}; known: {', '.join(list_optimizers())}."
        )
    return factory(groups, lr=float(lr), **kwargs)


def momentum_key(optimizer: torch.optim.Optimizer) -> str | None:
    """Which group entry a momentum schedule should drive.

    Returns:
        ``"betas"`` (Adam family: index 0 is the momentum), ``"momentum"`` (SGD, RMSprop) when at least one
        group uses momentum, or ``None`` when there is nothing to schedule, so that a schedule never switches
        on momentum the user turned off.
    """
    groups = optimizer.param_groups
    if groups and all("betas" in group for group in groups):
        return "betas"
    if groups and all("momentum" in group for group in groups) and any(group["momentum"] for group in groups):
        return "momentum"
    return None


def set_momentum(group: dict[str, Any], value: float) -> None:
    """Set a param group's momentum: ``betas[0]`` for the Adam family, ``momentum`` for SGD."""
    if "betas" in group:
        group["betas"] = (float(value), *tuple(group["betas"])[1:])
    elif "momentum" in group:
        group["momentum"] = float(value)
    else:
        keys = ", ".join(sorted(key for key in group if key != "params"))
        raise ConfigError(
            f"param group has neither 'betas' nor 'momentum' (keys: {keys}); cannot set momentum."
        )
