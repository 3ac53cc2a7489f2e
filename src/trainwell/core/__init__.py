"""Foundation pieces every other layer may import: errors, registries, seeding and devices.

The errors load at once (they need nothing); the rest on first use (PEP 562), so a module that only needs the
errors (an image-decoding worker process, say) does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.core.errors import (
    ArtifactError,
    ConfigError,
    DataError,
    TrainingDiverged,
    TrainwellError,
    UserError,
)
from trainwell.core.lazy import lazy_attributes

_EXPORTS: dict[str, str] = {
    "Registry": "trainwell.core.registry",
    "default_device": "trainwell.core.device",
    "get_rng_states": "trainwell.core.seeding",
    "is_rank_zero": "trainwell.core.device",
    "resolve_device": "trainwell.core.device",
    "seed_everything": "trainwell.core.seeding",
    "set_rng_states": "trainwell.core.seeding",
}

__all__ = [
    "ArtifactError",
    "ConfigError",
    "DataError",
    "Registry",
    "TrainingDiverged",
    "TrainwellError",
    "UserError",
    "default_device",
    "get_rng_states",
    "is_rank_zero",
    "resolve_device",
    "seed_everything",
    "set_rng_states",
]

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)

if TYPE_CHECKING:
    from trainwell.core.device import default_device, is_rank_zero, resolve_device
    from trainwell.core.registry import Registry
    from trainwell.core.seeding import get_rng_states, seed_everything, set_rng_states
