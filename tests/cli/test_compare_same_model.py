"""``trainwell compare`` of a model with itself (the same directory twice, a copy of it, or one predicting every
example alike) says so in one warning line: the paired test had filled a table of +0.0000 [+0.0000, +0.0000] and
"no clear difference" without a word, which reads as a finding (tour F13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_support import run_cli_many

pytestmark = pytest.mark.slow

AFTER = (
    ": every difference below is 0 by construction and says nothing of either model; compare it with another model "
    "fitted on the same target (other settings, another seed)"
)


def test_a_model_compared_with_itself_or_its_copy_is_said_in_one_warning(
    model_dir: Path, binary_csv: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    # the same weights, but a trainwell.json that differs: only its predictions tell the two apart
    edited = tmp_path / "edited"
    shutil.copytree(model_dir, edited)
    metadata = json.loads((edited / "trainwell.json").read_text())
    metadata["training"]["note"] = "copied by hand"
    (edited / "trainwell.json").write_text(json.dumps(metadata))
    # another model: no warning (the same weights with another decision threshold decide otherwise)
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    metadata["task"]["threshold"] = 0.3
    (other / "trainwell.json").write_text(json.dumps(metadata))
    same, copied, alike, different = run_cli_many(
        [
            ("compare", model_dir, f"{model_dir}/", "--data", binary_csv),
            ("compare", model_dir, copy, "--data", binary_csv),
            ("compare", model_dir, edited, "--data", binary_csv),
            ("compare", model_dir, other, "--data", binary_csv),
        ]
    )
    warned = []
    for result in (same, copied, alike, different):
        assert result.returncode == 0, result.explain()
        assert "B - A, 95% paired bootstrap interval" in result.stdout
        warned.append([line for line in result.stderr_lines if "by construction" in line])
    assert warned[0] == [f"warning: A and B are the same model directory '{model_dir}'{AFTER}"]
    assert warned[1] == [
        f"warning: A '{model_dir}' and B '{copy}' hold the same weights and settings (a copy of one model){AFTER}"
    ]
    assert warned[2] == [
        f"warning: A '{model_dir}' and B '{edited}' predict all 400 rows of {binary_csv} exactly alike{AFTER}"
    ]
    assert warned[3] == []
