"""`trainwell export MODEL --onnx` through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_support import run_cli

from trainwell.cli._show import milliseconds
from trainwell.serve.backends import onnx_measured_slower

pytestmark = pytest.mark.slow


def test_export_writes_onnx_and_reports_the_difference(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)  # the session's model stays as other tests expect it
    result = run_cli("export", copy, "--onnx", "--data", binary_csv)
    assert result.returncode == 0, result.explain()
    assert (copy / "model.onnx").is_file()
    assert "onnxruntime matches PyTorch" in result.stdout
    entry = json.loads((copy / "trainwell.json").read_text())["onnx"]
    assert entry["file"] == "model.onnx" and entry["max_abs_diff"] <= 1e-4
    # info says the export is there and how it was checked
    info = " ".join(run_cli("info", copy).stdout.replace("│", " ").split())
    assert "onnx export model.onnx (opset 17), matches PyTorch on given rows" in info
    assert f"max difference {entry['max_abs_diff']:.2e}" in info
    # and how fast each runtime ran a server's batch, which decides what serve runs
    batches = entry["speed"]["batches"]  # every size timed, which decides what serve runs
    onnx_ms, torch_ms = (
        "/".join(milliseconds(batch[key]) for batch in batches) for key in ("onnxruntime_ms", "torch_ms")
    )
    assert f"1/64/1000 rows in {onnx_ms} ms (PyTorch {torch_ms} ms) end to end" in info
    slower = onnx_measured_slower({"onnx": entry})
    assert (
        "`trainwell serve` keeps PyTorch: onnxruntime over" if slower else "`trainwell serve` uses it"
    ) in info


def test_a_fast_batch_is_timed_in_digits_that_show(model_dir: Path, tmp_path: Path) -> None:
    # A recommender's batch of 64 took 0.016 ms (PyTorch 0.037): info said "in 0.0 ms (PyTorch 0.0 ms)".
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    metadata = json.loads((copy / "trainwell.json").read_text())
    metadata["onnx"] = {
        "file": "model.onnx", "opset": 17, "max_abs_diff": 2.4e-07, "tolerance": 1e-4, "n_rows_checked": 100,
        "checked_on": "given rows", "speed": {"items": 64, "onnxruntime_ms": 0.0163, "torch_ms": 0.0370},
    }  # fmt: skip
    (copy / "trainwell.json").write_text(json.dumps(metadata))
    info = " ".join(run_cli("info", copy).stdout.replace("│", " ").split())
    assert "64 rows in 0.016 ms (PyTorch 0.037 ms)" in info
    assert milliseconds(12.345) == "12.3" and milliseconds(0.5) == "0.5"


def test_export_of_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    result = run_cli("export", tmp_path, "--onnx")
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines == [
        f"error: '{tmp_path}' is not a trainwell model directory (no trainwell.json); pass the folder written by "
        "`trainwell fit --out`"
    ]
