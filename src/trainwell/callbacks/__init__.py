"""Callbacks: one module per concern, all hooked on the events of the one training loop."""

from trainwell.callbacks.progress import ProgressBar
from trainwell.callbacks.recorder import Recorder
from trainwell.callbacks.schedule import ParamScheduler

__all__ = ["ParamScheduler", "ProgressBar", "Recorder"]
