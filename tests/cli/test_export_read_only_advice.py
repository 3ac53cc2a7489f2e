"""``trainwell export`` on a read-only model directory gives the advice that works for it: copy the directory.
Export has no ``--out`` (``model.onnx`` and its recorded check belong in the model directory, where ``serve`` and
``predict`` read them), so the other commands' "write elsewhere (--out)" was a fix that failed."""

from __future__ import annotations

import sys
from pathlib import Path

from test_cli_read_only import _in_read_only  # the real read-only mount (skips where it cannot be made)

import trainwell


def test_export_in_a_read_only_model_directory_says_to_copy_it(tmp_path: Path) -> None:
    table = tmp_path / "adult.csv"
    trainwell.datasets.adult_sample().head(300).to_csv(table, index=False)
    model = tmp_path / "model"
    trainwell.fit_table(table, "income", out=model, epochs=1, progress=False)
    (export,) = _in_read_only(model, [sys.executable, "-m", "trainwell", "export", str(model)])
    assert export.returncode == 2, export.stderr
    assert export.stderr.strip() == (
        f"error: cannot write in '{model}': read-only file system; copy the model directory to a writable "
        "place and export the copy (model.onnx is written beside the weights, where serve and predict read it)"
    )
    assert not (model / "model.onnx").exists()
