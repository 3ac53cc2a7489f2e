"""`trainwell predict` given a file of a model directory (its model.onnx, its trainwell.json) instead of the
directory."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli, run_cli_many

from trainwell.export.onnx import export_onnx

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's model with its model.onnx written (the session's model stays without one)."""
    copy = tmp_path_factory.mktemp("exported") / "model"
    shutil.copytree(model_dir, copy)
    export_onnx(copy)
    return copy


def test_the_onnx_file_and_the_metadata_file_predict_as_the_directory(
    exported: Path, binary_csv: Path
) -> None:
    directory, graph, metadata = run_cli_many(
        [
            ("predict", exported, binary_csv),
            ("predict", exported / "model.onnx", binary_csv),
            ("predict", exported / "trainwell.json", binary_csv),
        ]
    )
    for result in (directory, graph, metadata):
        assert result.returncode == 0, result.explain()
    by_torch = pd.read_csv(io.StringIO(directory.stdout))
    by_onnx = pd.read_csv(io.StringIO(graph.stdout))
    assert list(by_onnx.columns) == list(by_torch.columns) and len(by_onnx) == len(by_torch) == 400
    assert (by_onnx["prediction"] == by_torch["prediction"]).mean() > 0.99  # a tie at 0.5 may round apart
    np.testing.assert_allclose(by_onnx["probability_yes"], by_torch["probability_yes"], atol=1e-4)
    assert metadata.stdout == directory.stdout


def test_the_onnx_file_is_run_by_onnxruntime(exported: Path, binary_csv: Path, tmp_path: Path) -> None:
    # Without the export's parity record the graph is refused, as a server refuses it: the file is what runs.
    copy = tmp_path / "model"
    shutil.copytree(exported, copy)
    metadata = json.loads((copy / "trainwell.json").read_text())
    del metadata["onnx"]
    (copy / "trainwell.json").write_text(json.dumps(metadata))
    result = run_cli("predict", copy / "model.onnx", binary_csv)
    assert result.returncode == 2, result.explain()
    assert "model.onnx has no passing parity check" in result.stderr


def test_an_onnx_file_outside_a_model_directory_is_refused(
    exported: Path, binary_csv: Path, tmp_path: Path
) -> None:
    loose = tmp_path / "model.onnx"
    shutil.copy(exported / "model.onnx", loose)
    shutil.copy(exported / "model.onnx", exported / "other.onnx")
    try:
        outside, inside = run_cli_many(
            [("predict", loose, binary_csv), ("predict", exported / "other.onnx", binary_csv)]
        )
    finally:
        (exported / "other.onnx").unlink()
    assert outside.returncode == 2 and len(outside.stderr_lines) == 1, outside.explain()
    assert (
        f"'{loose}' is not part of a trainwell model directory (no trainwell.json beside it" in outside.stderr
    )
    assert inside.returncode == 2 and len(inside.stderr_lines) == 1, inside.explain()
    assert f"is not the graph of its model directory '{exported}' (that is model.onnx" in inside.stderr


def test_a_dataset_folder_names_its_test_split_to_predict(model_dir: Path, tmp_path: Path) -> None:
    """fit titanic/ trains on train.csv and leaves test.csv for predict; predict titanic/ had suggested the
    training file, the rows the model was fitted on."""
    from cli_support import binary_table

    folder = tmp_path / "kaggle"
    folder.mkdir()
    binary_table().to_csv(folder / "train.csv", index=False)
    binary_table().drop(columns="y").to_csv(folder / "test.csv", index=False)
    refused = run_cli("predict", model_dir, folder)
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        f"error: '{folder}' is a dataset folder; predict reads one table: pass the rows to predict, e.g. "
        f"'{folder / 'test.csv'}' (its test split; fit trained on train.csv)"
    ]
