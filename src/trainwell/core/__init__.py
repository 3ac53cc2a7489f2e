"""Foundation pieces every other layer may import: errors, registries, seeding and devices."""

from trainwell.core.device import default_device, is_rank_zero, resolve_device
from trainwell.core.errors import (
    ArtifactError,
    ConfigError,
    DataError,
    TrainingDiverged,
    TrainwellError,
    UserError,
)
from trainwell.core.registry import Registry
from trainwell.core.seeding import get_rng_states, seed_everything, set_rng_states

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
