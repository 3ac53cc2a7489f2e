"""The callbacks package: its public names, and that it imports on its own (no import cycle)."""

from __future__ import annotations

import subprocess
import sys

import trainwell.callbacks


def test_exported_names() -> None:
    assert sorted(trainwell.callbacks.__all__) == [
        "CSVLogger", "Callback", "CancelBatch", "CancelEpoch", "CancelFit", "CancelStep", "CancelTrain",
        "CancelValidate", "Checkpoint", "CheckpointSpaceError", "ClosedForm", "EarlyStopping",
        "GradientAccumulation", "GradientClip", "MLflowLogger",
        "MixedPrecision", "NanGuard", "ParamScheduler", "ProgressBar", "Recorder", "SaveBest", "TensorBoardLogger",
        "TimeBudget", "TrackerCallback",
        "WeightAverage",
    ]  # fmt: skip
    for name in trainwell.callbacks.__all__:
        assert getattr(trainwell.callbacks, name).__doc__
    assert trainwell.callbacks.Callback is trainwell.Callback  # where a callback's author looks for it, too


def test_callbacks_import_first_in_a_fresh_interpreter() -> None:
    code = "from trainwell.callbacks import GradientClip; from trainwell.learner import Learner; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
