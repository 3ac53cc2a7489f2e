"""fit --class-weight balanced for a text classifier (--text): SST-2 phrases were refused with "--class-weight is not
used by a text classifier (--text): drop it" (tour60 #7); the texts' loss now weighs each class by the inverse of its
share, and several labels a text are refused in one line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from cli_support import run_cli_many


def test_a_text_classifier_takes_balanced_class_weights(tmp_path: Path) -> None:
    texts = [f"t{i:03d} w{i % 7} {'bad' if i % 10 == 0 else 'fine'} x{i:03d}" for i in range(120)]
    table = tmp_path / "t.csv"
    pd.DataFrame({"text": texts, "label": ["toxic" if i % 10 == 0 else "ok" for i in range(120)],
                  "tags": ["a;b" if i % 3 else "a" for i in range(120)]}).to_csv(table, index=False)  # fmt: skip
    weighted, labels = run_cli_many([
        ("fit", table, "--text", "text", "--target", "label", "--class-weight", "balanced", "--epochs", "1",
         "--out", tmp_path / "weighted"),
        ("fit", table, "--text", "text", "--target", "tags", "--label-delim", ";", "--class-weight", "balanced",
         "--epochs", "1", "--out", tmp_path / "labels"),
    ])  # fmt: skip
    assert weighted.returncode == 0, weighted.explain()
    assert "not used by a text classifier" not in weighted.stderr
    assert (tmp_path / "weighted" / "model.safetensors").exists()
    assert labels.returncode == 2, labels.explain()
    assert labels.stderr_lines[-1].endswith("holds several labels a row: drop --class-weight")
    assert "Traceback" not in labels.stderr
