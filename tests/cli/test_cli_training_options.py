"""fit --clip, --precision and --patience: the callbacks they give the training fit, what trainwell.json records,
and the one-line refusals (a model fitted in closed form, no validation rows, a value out of range)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from cli_support import binary_table, run_cli, run_cli_many

from text_samples import stories


def training_of(model_dir: Path) -> dict:
    return json.loads((model_dir / "trainwell.json").read_text())["training"]


def test_the_network_options_shape_the_fit_and_are_recorded(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    binary_table().to_csv(table, index=False)
    reviews = tmp_path / "reviews.csv"
    pd.DataFrame(
        {"review": ["a good film", "a bad film", "great", "awful"] * 15, "label": ["pos", "neg"] * 30}
    ).to_csv(reviews, index=False)
    corpus = tmp_path / "corpus.csv"
    pd.DataFrame({"text": stories(60)}).to_csv(corpus, index=False)
    fit = ("fit", table, "--target", "y", "--arch", "mlp")
    runs = run_cli_many(
        [
            # A learning rate far too high for 8 epochs: the validation loss stops improving before the end.
            (
                *fit,
                "--epochs",
                "8",
                "--lr",
                "0.3",
                "--clip",
                "0.5",
                "--patience",
                "1",
                "--out",
                tmp_path / "p",
            ),
            # The learning rate given: the sweep (and its plot) is no part of what this fit is read for.
            (
                *fit,
                "--epochs",
                "1",
                "--lr",
                "1e-2",
                "--precision",
                "BF16",
                "--out",
                tmp_path / "b",
            ),
            # A language model clips at 0.25 unless told otherwise: --clip replaces that clip.
            (
                "fit",
                corpus,
                "--task",
                "language_model",
                "--text",
                "text",
                "--epochs",
                "1",
                "--clip",
                "2",
                "--out",
                tmp_path / "lm",
            ),
            (*fit, "--epochs", "2", "--patience", "2", "--valid-pct", "0", "--out", tmp_path / "none"),
            (
                "fit",
                table,
                "--target",
                "y",
                "--arch",
                "gbdt",
                "--clip",
                "1",
                "--patience",
                "3",
                "--out",
                tmp_path / "trees",
            ),
            (*fit, "--precision", "fp8", "--out", tmp_path / "x"),
            (*fit, "--clip", "0", "--out", tmp_path / "x"),
            (*fit, "--patience", "-1", "--out", tmp_path / "x"),
            # The bag of n-grams has sparse gradients, which torch's clip_grad_norm_ refused with a traceback.
            (
                "fit",
                reviews,
                "--text",
                "review",
                "--target",
                "label",
                "--epochs",
                "1",
                "--clip",
                "0.5",
                "--out",
                tmp_path / "texts",
            ),
        ]
    )
    patient, brief, language, no_rows, trees, fp8, no_clip, no_patience, texts = runs
    for done in (patient, brief, language, texts):
        assert done.returncode == 0, done.explain()
    kept = training_of(tmp_path / "p")
    assert kept["gradient_clip"] == 0.5 and kept["precision"] == "float32"
    stop = kept["early_stopping"]
    assert stop["monitor"] == "valid_loss" and stop["patience"] == 1
    losses = [row["valid_loss"] for row in kept["history"]]
    # The kept weights are the best epoch's: the fit stopped one epoch after it, or ran to the end.
    best = losses.index(min(losses)) + 1
    assert kept["final"]["valid_loss"] == min(losses)
    assert stop["stopped_after_epoch"] in (None, best + 1) and len(losses) == (
        stop["stopped_after_epoch"] or 8
    )
    assert kept.get("weights_from_epoch", len(losses)) == best
    assert training_of(tmp_path / "b")["precision"] == "bfloat16" and "gradient_clip" not in training_of(
        tmp_path / "b"
    )
    assert training_of(tmp_path / "lm")["gradient_clip"] == 2.0
    assert training_of(tmp_path / "texts")["gradient_clip"] == 0.5
    shown = run_cli("info", tmp_path / "p")
    assert "adamw, weight decay 0.01, gradients clipped at 0.5, float32 forward" in shown.stdout, (
        shown.explain()
    )
    if stop["stopped_after_epoch"] is not None:
        assert (
            f"after epoch {stop['stopped_after_epoch']}: valid_loss had not improved for 1 epoch"
            in shown.stdout
        )
    assert no_rows.returncode == 2 and no_rows.stderr_lines == [
        "error: --patience 2 stops on the validation loss, and this fit holds no rows out (--valid-pct 0): hold "
        "some out (e.g. --valid-pct 0.2) or drop --patience"
    ]
    assert trees.returncode == 2 and trees.stderr_lines == [
        "error: --clip, --patience steer the training of a network, and boosted trees (--arch gbdt) fit in closed "
        "form, without gradients nor epochs: drop them, or choose a network's --arch"
    ]
    assert (
        fp8.returncode == 2 and "--precision 'fp8' is not known; use bf16, fp16, fp32 or auto" in fp8.stderr
    )
    assert no_clip.returncode == 2 and "--clip must be a finite number above 0" in no_clip.stderr
    assert no_patience.returncode == 2 and "--patience" in no_patience.stderr
    for refused in ("none", "trees", "x"):
        assert not (tmp_path / refused).exists()
