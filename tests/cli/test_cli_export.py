"""`trainwell export MODEL --onnx` through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_support import run_cli

from trainwell.serve.backends import SLOWER

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
    speed = entry["speed"]
    assert f"64 rows in {speed['onnxruntime_ms']:.1f} ms (PyTorch {speed['torch_ms']:.1f} ms)" in info
    slower = speed["onnxruntime_ms"] > SLOWER * speed["torch_ms"]
    assert (
        "`trainwell serve` keeps PyTorch, measured faster" if slower else "`trainwell serve` uses it"
    ) in info


def test_export_of_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    result = run_cli("export", tmp_path, "--onnx")
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines == [
        f"error: '{tmp_path}' is not a trainwell model directory (no trainwell.json); pass the folder written by "
        "`trainwell fit --out`"
    ]
