"""fit --patience 0 means what Python's EarlyStopping(patience=0) does (Keras' and Lightning's 0): the first
epoch without improvement stops the fit, as --patience 1. The option refused 0 (its least value was 1)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import binary_table, run_cli_many


def test_patience_0_stops_where_patience_1_does(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    binary_table().to_csv(table, index=False)
    # A learning rate far too high for 8 epochs: the validation loss stops improving before the end.
    fit = ("fit", table, "--target", "y", "--arch", "mlp", "--epochs", "8", "--lr", "0.3", "--seed", "0")
    zero, one, negative = run_cli_many(
        [
            (*fit, "--patience", "0", "--out", tmp_path / "zero"),
            (*fit, "--patience", "1", "--out", tmp_path / "one"),
            (*fit, "--patience", "-1", "--out", tmp_path / "negative"),
        ]
    )
    assert zero.returncode == 0, zero.explain()
    assert one.returncode == 0, one.explain()
    kept = {
        name: json.loads((tmp_path / name / "trainwell.json").read_text())["training"]
        for name in ("zero", "one")
    }
    assert kept["zero"]["early_stopping"] == kept["one"]["early_stopping"]
    assert kept["zero"]["early_stopping"]["patience"] == 1
    losses = {name: [row["valid_loss"] for row in kept[name]["history"]] for name in kept}
    assert losses["zero"] == losses["one"]
    stopped = kept["zero"]["early_stopping"]["stopped_after_epoch"]
    if stopped is not None:  # one epoch past the best one
        assert stopped == losses["zero"].index(min(losses["zero"])) + 2 == len(losses["zero"])
    assert negative.returncode == 2 and "--patience" in negative.stderr
    assert not (tmp_path / "negative").exists()
