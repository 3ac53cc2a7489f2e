"""A hand-edited or damaged model directory is said in one line with exit 2, by predict and by info (tour T47,
findings 2, 8, 9)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli_many

pytestmark = pytest.mark.slow


def _edited(model_dir: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    shutil.copytree(model_dir, target)
    metadata = json.loads((target / "trainwell.json").read_text())
    edit(metadata)
    (target / "trainwell.json").write_text(json.dumps(metadata))
    return target


def test_out_of_range_entries_are_one_line_naming_the_entry(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    layers = _edited(
        model_dir, tmp_path / "layers", lambda m: m["architecture"]["config"].update(layers=[-5])
    )
    threshold = _edited(model_dir, tmp_path / "threshold", lambda m: m["task"].update(threshold=7))
    name = next(iter(json.loads((model_dir / "trainwell.json").read_text())["recipe"]["stds"]))
    std = _edited(model_dir, tmp_path / "std", lambda m: m["recipe"]["stds"].update({name: 0}))
    results = run_cli_many(
        [
            ("predict", layers, binary_csv),
            ("export", layers, "--onnx"),
            ("predict", threshold, binary_csv),
            ("predict", std, binary_csv),
        ]
    )
    for result in results:
        assert result.returncode == 2, result.explain()
        assert len(result.stderr_lines) == 1, result.explain()
    assert (
        "trainwell.json has no valid 'architecture' entry (RuntimeError: Trying to create tensor with negative "
        "dimension -5" in results[0].stderr
    )
    assert "no valid 'architecture' entry (RuntimeError" in results[1].stderr
    assert (
        "no valid 'task' entry (ValueError: threshold 7 is not strictly between 0 and 1)" in results[2].stderr
    )
    assert f"no valid 'recipe' entry (ValueError: std of '{name}' is 0; " in results[3].stderr


def test_info_says_a_truncated_weights_file(model_dir: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated"
    shutil.copytree(model_dir, truncated)
    weights = truncated / "model.safetensors"
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 2])
    healthy, damaged = run_cli_many([("info", model_dir), ("info", truncated)])
    assert healthy.returncode == 0, healthy.explain()
    assert damaged.returncode == 2, damaged.explain()
    assert "trainwell model" in damaged.stdout  # what trainwell.json says is shown first
    assert damaged.stderr_lines == [
        f"error: {weights} is corrupted or not a safetensors file (it holds {len(whole) // 2:,} bytes where its tensors "
        f"need {len(whole):,}: it is truncated), so the model cannot be loaded: "
        "restore it from where it was copied, or re-export the model"
    ]


def test_predict_on_an_unchecked_model_onnx_offers_the_directory_not_a_backend_option(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    from trainwell.core.errors import ConfigError
    from trainwell.serve.backends import resolve_backend

    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    (model / "model.onnx").write_bytes(b"\x7f" * 300)  # a leftover graph: no parity check recorded
    (result,) = run_cli_many([("predict", model / "model.onnx", binary_csv)])
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines[-1].endswith(
        f"or pass the model directory '{model}' instead of its model.onnx"
    )
    assert "--backend" not in result.stderr
    with pytest.raises(ConfigError, match=r"or pass --backend torch$"):  # serve's words: it has --backend
        resolve_backend(model, "onnx")
