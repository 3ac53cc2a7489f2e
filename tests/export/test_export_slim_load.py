"""Loading a model for predictions imports no training code (Learner, callbacks, optimizers, plots)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What one fresh interpreter (no test's imports, no fork server's preloads) saw, the checks of both tests
    below in turn: each costs the start of a Python that imports torch, seconds on a busy machine, paid once.

    First ``import trainwell`` alone and ``trainwell.export``'s names (nothing of pandas or the ONNX code
    loaded yet), then a load and predict of a model directory (which trainwell modules that loaded), then the
    ONNX modules, imported last so that they never count as what predicting loaded."""
    tmp_path = tmp_path_factory.mktemp("slim")
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
        "import json, sys, trainwell\n"
        "export = trainwell.export\n"
        "before = sorted(m for m in sys.modules if m.startswith(('pandas', 'trainwell.export.onnx')))\n"
        "import pandas\n"
        f"table = trainwell.load({str(tmp_path / 'model')!r}).predict(pandas.read_csv({str(tmp_path / 'rows.csv')!r}))\n"
        "modules = sorted(m for m in sys.modules if m.startswith('trainwell'))\n"
        "from trainwell.export import onnx, onnx_predictor\n"
        "same = [export.export_onnx is onnx.export_onnx, export.OnnxPredictor is onnx_predictor.OnnxPredictor,\n"
        "        export.OnnxReport is onnx.OnnxReport]\n"
        "print(json.dumps({'rows': len(table), 'modules': modules, 'before': before, 'same': same,\n"
        "                  'all': export.__all__}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_load_and_predict_import_no_training_code(fresh: dict[str, Any]) -> None:
    assert fresh["rows"] == 5
    loaded = [m for m in fresh["modules"] if m.startswith(TRAINING_MODULES)]
    assert loaded == [], f"serving imported training code: {loaded}"


def test_the_readmes_onnx_call_works_after_import_trainwell_alone(fresh: dict[str, Any]) -> None:
    """The README, `trainwell info` and the generic export's own error name
    ``trainwell.export.export_onnx(dir, inputs=...)``: after ``import trainwell`` it raised AttributeError twice
    (no attribute 'export', then none 'export_onnx'). It must resolve without making ``trainwell.export``
    heavy: the ONNX code (and pandas) load on first use."""
    assert fresh["before"] == []
    assert fresh["same"] == [True, True, True]
    assert {"export_onnx", "OnnxPredictor", "OnnxReport"} <= set(fresh["all"])
