"""Optimizers, param groups and schedules.

``AdaBelief`` plus torch's SGD/Adam/AdamW by name (:func:`create_optimizer`), decay/no-decay param groups per
layer group (:func:`split_param_groups`), discriminative learning rates, and schedules as pure functions of
training progress.
"""

from __future__ import annotations

from trainwell.optim.adabelief import AdaBelief
from trainwell.optim.factory import (
    OptimizerFactory,
    create_optimizer,
    list_optimizers,
    momentum_key,
    optimizers,
    set_momentum,
)
from trainwell.optim.param_groups import NORM_LAYERS, discriminative_lrs, split_param_groups
from trainwell.optim.schedules import (
    Schedule,
    combine,
    constant,
    cosine,
    exponential,
    flat_cos,
    linear,
    one_cycle_lr,
    one_cycle_momentum,
    slanted_triangular,
    warmup_linear,
)

__all__ = [
    "NORM_LAYERS",
    "AdaBelief",
    "OptimizerFactory",
    "Schedule",
    "combine",
    "constant",
    "cosine",
    "create_optimizer",
    "discriminative_lrs",
    "exponential",
    "flat_cos",
    "linear",
    "list_optimizers",
    "momentum_key",
    "one_cycle_lr",
    "one_cycle_momentum",
    "optimizers",
    "set_momentum",
    "slanted_triangular",
    "split_param_groups",
    "warmup_linear",
]
