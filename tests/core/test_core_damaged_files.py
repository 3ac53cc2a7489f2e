"""Damaged files of a model directory, said in one line naming what is wrong (tour T47, findings 2, 8, 9, 21)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from trainwell.core.artifact import metadata_entry, read_metadata
from trainwell.core.errors import ArtifactError
from trainwell.core.model_dir import weights_file_problem
from trainwell.data.task import Task
from trainwell.export._checks import checked_recipe, checked_task


def test_a_json_error_ending_in_at_is_not_said_at_at(tmp_path: Path) -> None:
    (tmp_path / "trainwell.json").write_text('{"format_version": 1, "task": "unterminated')
    with pytest.raises(ArtifactError) as caught:
        read_metadata(tmp_path)
    assert "(Unterminated string starting at line 1, column 31)" in str(caught.value)
    assert "at at" not in str(caught.value)


def test_any_error_of_a_builder_given_errors_becomes_one_line_naming_the_entry() -> None:
    def build(entry: dict[str, object]) -> None:
        raise RuntimeError("Trying to create tensor with negative dimension -5: [-5, 36]\nsecond line")

    with pytest.raises(ArtifactError) as caught:
        metadata_entry({"architecture": {}}, "architecture", build, errors=(Exception,))
    assert str(caught.value).startswith(
        "trainwell.json has no valid 'architecture' entry (RuntimeError: Trying to create tensor with negative "
        "dimension -5: [-5, 36]); the file is damaged"
    )
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
    with pytest.raises(RuntimeError):  # by default only the errors of a malformed entry are its
        metadata_entry({"architecture": {}}, "architecture", build)


def test_weights_file_problem_reads_the_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_file({"weight": torch.ones(10, 10)}, path)
    assert weights_file_problem(path) is None
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert "is truncated" in (weights_file_problem(path) or "")
    path.write_bytes(whole + b"\0" * 4)
    assert "bytes were added" in (weights_file_problem(path) or "")
    path.write_bytes(b"")
    assert "too few for a safetensors header" in (weights_file_problem(path) or "")
    path.write_bytes(len(b"{not json").to_bytes(8, "little") + b"{not json")
    assert "header does not parse" in (weights_file_problem(path) or "")
    path.write_bytes((10**9).to_bytes(8, "little") + b"{}")
    assert "header claims 1,000,000,000 bytes" in (weights_file_problem(path) or "")


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    for threshold in (7.0, 0.0, 1.0, float("nan")):
        with pytest.raises(ValueError, match="is not strictly between 0 and 1"):
            checked_task(Task(kind="binary", classes=("no", "yes"), threshold=threshold))
    task = Task(kind="binary", classes=("no", "yes"), threshold=0.3)
    assert checked_task(task) is task


class _Recipe:
    def __init__(self, stds: object = None, std: object = None) -> None:
        self.stds, self.std = stds, std


def test_a_standard_deviation_of_zero_or_not_finite_is_refused() -> None:
    with pytest.raises(
        ValueError, match="std of 'age' is 0; a standard deviation must be finite and above 0"
    ):
        checked_recipe(_Recipe(stds={"income": 2.0, "age": 0.0}))
    with pytest.raises(ValueError, match="std of channel 1 is inf"):
        checked_recipe(_Recipe(std=[0.2, float("inf"), 0.3]))
    with pytest.raises(ValueError, match="std of 'age' is -1"):
        checked_recipe(_Recipe(stds={"age": -1.0}))
    fine = _Recipe(stds={"age": 17.6}, std=[0.2, 0.2, 0.2])
    assert checked_recipe(fine) is fine


def test_a_real_recipe_and_task_pass(tmp_path: Path) -> None:
    metadata = json.loads(json.dumps({"task": {"kind": "binary", "classes": ["a", "b"], "threshold": 0.5}}))
    assert (
        metadata_entry(metadata, "task", lambda entry: checked_task(Task.from_dict(entry))).threshold == 0.5
    )
