"""`trainwell evaluate --tta`: an image model's folds scored with test-time augmentation, said in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli

from image_files import make_image_folder

pytestmark = pytest.mark.slow


def test_evaluate_tta_scores_the_folds_with_tta_and_says_both_ways(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "imgs", per_class=10, size=12)
    out = tmp_path / "evaluation.json"
    result = run_cli(
        "evaluate", folder, "--cv", "2", "--epochs", "1", "--no-baselines", "--tta", "--json", out
    )
    assert result.returncode == 0, result.explain()
    assert "trainwell's figures here are with TTA (" in result.stdout, result.explain()
    tta = json.loads(out.read_text(encoding="utf-8"))["tta"]
    assert tta["images"] == 20
    assert f"accuracy {tta['plain']:.4f} plain, {tta['tta']:.4f} with TTA on 20 images" in result.stdout


def test_evaluate_tta_is_refused_for_a_table(binary_csv: Path) -> None:
    result = run_cli("evaluate", binary_csv, "--target", "y", "--tta")
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines == ["error: --tta is for images, not tables: drop it"], result.explain()
