"""``trainwell predict --keep TARGET --label-only`` is refused before the model is loaded: the refusal (both
would write a column named after the training target) had come only after every row was predicted (tour F10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import run_cli_many

pytestmark = pytest.mark.slow


def test_keeping_the_target_with_label_only_is_refused_before_loading_the_model(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    # Weights that cannot be read: a refusal said after loading would name them instead.
    damaged = tmp_path / "damaged"
    shutil.copytree(model_dir, damaged)
    (damaged / "model.safetensors").write_bytes(b"not weights")
    out = tmp_path / "submission.csv"
    refused, fine = run_cli_many(
        [
            ("predict", damaged, binary_csv, "--keep", "x1, y", "--label-only", "--out", out),
            ("predict", model_dir, binary_csv, "--keep", "x1", "--label-only"),
        ]
    )
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        "error: --label-only writes the predictions as column 'y', the training target, and --keep copies a "
        "column of that name too: keep another column"
    ]
    assert not out.exists()
    assert fine.returncode == 0, fine.explain()
    assert fine.stdout.splitlines()[0] == "x1,y"
