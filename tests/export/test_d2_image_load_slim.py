"""``trainwell.load`` of an image model imports no training code, as of a table model (tour71 #7: the predictor's
test-time augmentation came from a module that also held the training callbacks, and pulled in
``trainwell.learner``, its callbacks, ``trainwell.optim``, ``losses`` and ``metrics``: a third of a second)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainwell.core.artifact import save_artifact
from trainwell.models import create_model

TRAINING_MODULES = (
    "trainwell.learner",
    "trainwell.callbacks",
    "trainwell.optim",
    "trainwell.losses",
    "trainwell.metrics",
    "trainwell.vision.augment_batch",
)


def test_loading_an_image_model_imports_no_training_code(tmp_path: Path) -> None:
    pytest.importorskip("trainwell.vision")
    stats = {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
    config = {"arch": "simple_cnn", "arch_config": {"n_out": 2, "in_channels": 3}, **stats}
    metadata = {
        "application": "vision",
        "task": {"kind": "multiclass", "classes": ["a", "b"], "target_names": ["label"]},
        "recipe": {"size": [16, 16], "channels": 3, **stats, "resize": "crop", "extra": {}},
        "architecture": {"name": "image_classifier", "config": config},
    }
    save_artifact(tmp_path / "model", create_model("image_classifier", **config).state_dict(), metadata)
    script = (
        "import json, sys, numpy, trainwell\n"
        f"predictor = trainwell.load({str(tmp_path / 'model')!r})\n"
        "answer = predictor.predict_proba(numpy.zeros((1, 3, 16, 16), dtype=numpy.uint8))\n"
        "print(json.dumps({'rows': len(answer), 'modules': sorted(m for m in sys.modules if m.startswith('trainwell'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rows"] == 1
    loaded = [m for m in report["modules"] if m.startswith(TRAINING_MODULES)]
    assert loaded == [], f"loading an image model imported training code: {loaded}"
    assert "trainwell.vision.transform" in report["modules"]  # the TTA the predictor uses is still there
