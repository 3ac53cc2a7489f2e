"""Callbacks: one module per concern, all hooked on the events of the one training loop."""

# The Learner's module imports some callbacks, and every callback imports trainwell.learner.events (which loads
# the Learner first): loading the learner package here first makes ``import trainwell.callbacks`` work on its own.
import trainwell.learner  # noqa: F401  # isort: skip
from trainwell.callbacks.accumulate import GradientAccumulation
from trainwell.callbacks.average import WeightAverage
from trainwell.callbacks.budget import TimeBudget
from trainwell.callbacks.checkpoint import Checkpoint, CheckpointSpaceError
from trainwell.callbacks.clip import GradientClip
from trainwell.callbacks.closed_form import ClosedForm
from trainwell.callbacks.csv_logger import CSVLogger
from trainwell.callbacks.mixed_precision import MixedPrecision
from trainwell.callbacks.mlflow_logger import MLflowLogger
from trainwell.callbacks.nan_guard import NanGuard
from trainwell.callbacks.progress import ProgressBar
from trainwell.callbacks.recorder import Recorder
from trainwell.callbacks.schedule import ParamScheduler
from trainwell.callbacks.tensorboard import TensorBoardLogger
from trainwell.callbacks.tracker import EarlyStopping, SaveBest, TrackerCallback

# The base class and the loop's control exceptions, where a callback's author looks for them (as
# lightning.pytorch.callbacks.Callback); trainwell.Callback is the same class.
from trainwell.learner.events import (
    Callback,
    CancelBatch,
    CancelEpoch,
    CancelFit,
    CancelStep,
    CancelTrain,
    CancelValidate,
)

__all__ = [
    "CSVLogger",
    "Callback",
    "CancelBatch",
    "CancelEpoch",
    "CancelFit",
    "CancelStep",
    "CancelTrain",
    "CancelValidate",
    "Checkpoint",
    "CheckpointSpaceError",
    "ClosedForm",
    "EarlyStopping",
    "GradientAccumulation",
    "GradientClip",
    "MLflowLogger",
    "MixedPrecision",
    "NanGuard",
    "ParamScheduler",
    "ProgressBar",
    "Recorder",
    "SaveBest",
    "TensorBoardLogger",
    "TimeBudget",
    "TrackerCallback",
    "WeightAverage",
]
