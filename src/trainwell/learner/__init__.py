"""The Learner and its one training loop."""

from trainwell.learner._checkpoint import CheckpointInfo, read_checkpoint
from trainwell.learner.events import (
    Callback,
    CancelBatch,
    CancelEpoch,
    CancelFit,
    CancelStep,
    CancelTrain,
    CancelValidate,
    Event,
)
from trainwell.learner.learner import Learner
from trainwell.learner.lr_find import LRFindResult

__all__ = [
    "Callback",
    "CancelBatch",
    "CancelEpoch",
    "CancelFit",
    "CancelStep",
    "CancelTrain",
    "CancelValidate",
    "CheckpointInfo",
    "Event",
    "LRFindResult",
    "Learner",
    "read_checkpoint",
]
