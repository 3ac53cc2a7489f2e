"""A model directory that is not a model yet, or a model replaced by one of another kind, is said so (tour T47,
findings 16 and 17)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch

from trainwell.core.artifact import save_artifact
from trainwell.core.errors import ArtifactError
from trainwell.core.model_dir import FIT_CHECKPOINT_FILE, check_model_directory, model_directory_of


def test_a_folder_holding_only_a_fits_checkpoint_says_how_to_finish_it(tmp_path: Path) -> None:
    folder = tmp_path / "unfinished"
    folder.mkdir()
    torch.save({"epoch": 2, "next_batch": 0, "n_epochs": 5}, folder / FIT_CHECKPOINT_FILE)  # a readable one
    expected = (
        "'unfinished' holds the checkpoint of a fit that did not finish (after epoch 2 of 5), not a model yet (no "
        "trainwell.json); "
        "continue it with the same `trainwell fit` arguments and --resume (its model is written there when it "
        f"ends), or delete '{folder / FIT_CHECKPOINT_FILE}' to start afresh"
    )
    with pytest.raises(ArtifactError) as caught:
        check_model_directory(folder, "unfinished")
    assert str(caught.value) == expected
    with pytest.raises(ArtifactError, match="holds the checkpoint of a fit that did not finish"):
        model_directory_of(folder, "unfinished")
    (folder / FIT_CHECKPOINT_FILE).unlink()
    with pytest.raises(ArtifactError, match="is not a trainwell model directory"):
        check_model_directory(folder, "unfinished")


def _save(directory: Path, application: str, kind: str) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_artifact(directory, {"w": torch.zeros(2)}, {"application": application, "task": {"kind": kind}})
    return [str(warning.message) for warning in caught]


def test_a_model_replaced_by_one_of_another_kind_is_named(tmp_path: Path) -> None:
    model = tmp_path / "model"
    assert _save(model, "vision", "multiclass") == []
    assert _save(model, "vision", "multiclass") == []  # the same kind fitted again: the usual reuse of --out
    created = json.loads((model / "trainwell.json").read_text())["created"]
    assert _save(model, "tabular", "binary") == [
        f"replaced the vision multiclass model fitted {created} in '{model}' with a tabular binary model"
    ]
    assert json.loads((model / "trainwell.json").read_text())["application"] == "tabular"
    assert any("replaced the tabular binary model" in line for line in _save(model, "tabular", "regression"))
