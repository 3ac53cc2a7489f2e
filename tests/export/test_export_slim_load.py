"""Loading a model for predictions imports no training code (Learner, callbacks, optimizers, plots)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from trainwell.core.artifact import save_artifact
from trainwell.data.task import infer_task
from trainwell.datasets import ADULT_TARGET, adult_sample
from trainwell.models import create_model
from trainwell.tabular.recipe import TabularRecipe

TRAINING_MODULES = (
    "trainwell.learner",
    "trainwell.callbacks",
    "trainwell.optim",
    "trainwell.tabular.pipeline",
)


def test_load_and_predict_import_no_training_code(tmp_path: Path) -> None:
    frame = adult_sample().head(300)
    recipe = TabularRecipe.fit(frame, target=ADULT_TARGET)
    task = infer_task(frame[ADULT_TARGET])
    config = {"cardinalities": recipe.cardinalities, "n_cont": recipe.n_cont, "n_out": task.n_outputs}
    model = create_model("tabular_mlp", **config)
    metadata = {
        "application": "tabular",
        "task": task.to_dict(),
        "recipe": recipe.to_dict(),
        "architecture": {"name": "tabular_mlp", "config": config},
    }
    save_artifact(tmp_path / "model", model.state_dict(), metadata)
    frame.head(5).to_csv(tmp_path / "rows.csv", index=False)
    script = (
        "import json, sys, pandas, trainwell\n"
        f"table = trainwell.load({str(tmp_path / 'model')!r}).predict(pandas.read_csv({str(tmp_path / 'rows.csv')!r}))\n"
        "print(json.dumps({'rows': len(table), 'modules': sorted(m for m in sys.modules if m.startswith('trainwell'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rows"] == 5
    loaded = [m for m in report["modules"] if m.startswith(TRAINING_MODULES)]
    assert loaded == [], f"serving imported training code: {loaded}"
    assert isinstance(pd.read_csv(tmp_path / "rows.csv"), pd.DataFrame)


def test_the_readmes_onnx_call_works_after_import_trainwell_alone() -> None:
    """The README, `trainwell info` and the generic export's own error name
    ``trainwell.export.export_onnx(dir, inputs=...)``: after ``import trainwell`` it raised AttributeError twice
    (no attribute 'export', then none 'export_onnx'). It must resolve without making ``trainwell.export``
    heavy: the ONNX code (and pandas) load on first use."""
    script = (
        "import json, sys, trainwell\n"
        "export = trainwell.export\n"
        "before = sorted(m for m in sys.modules if m.startswith(('pandas', 'trainwell.export.onnx')))\n"
        "from trainwell.export import onnx, onnx_predictor\n"
        "same = [export.export_onnx is onnx.export_onnx, export.OnnxPredictor is onnx_predictor.OnnxPredictor,\n"
        "        export.OnnxReport is onnx.OnnxReport]\n"
        "print(json.dumps({'before': before, 'same': same, 'all': export.__all__}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == []
    assert report["same"] == [True, True, True]
    assert {"export_onnx", "OnnxPredictor", "OnnxReport"} <= set(report["all"])
