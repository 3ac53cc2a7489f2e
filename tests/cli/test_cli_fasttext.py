"""The command line on a file in fastText's format: fit, evaluate, predict, report and export read it as the
columns text and label, with no options to name them."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from cli_support import EPOCHS, run_cli, run_cli_many

from text_samples import reviews


def _fasttext(frame: pd.DataFrame, path: Path) -> Path:
    path.write_text(
        "".join(
            f"__label__{label} {text}\n"
            for text, label in zip(frame["review"], frame["sentiment"], strict=True)
        )
    )
    return path


def test_fit_evaluate_predict_and_report_read_a_fasttext_file(tmp_path: Path) -> None:
    # `trainwell fit train.ft.txt` said "--target is required ... name its columns with --names col1".
    frame = reviews(240)
    train = _fasttext(frame.iloc[:200], tmp_path / "train.ft.txt")
    test = _fasttext(frame.iloc[200:], tmp_path / "test.ft.txt")
    model = tmp_path / "m"
    fitted = run_cli("fit", train, "--test", test, "--out", model, *EPOCHS)
    assert fitted.returncode == 0, fitted.explain()
    assert (
        f"{train}: fastText's format, a text a line after its __label__ labels: read as --text text --target label"
        in fitted.stdout
    )
    assert "test set (40 texts): accuracy" in fitted.stdout
    predicted, labelled, evaluated, reported, exported, named = run_cli_many(
        [
            ("predict", model, test),
            ("predict", model, test, "--keep", "label"),
            ("evaluate", train, "--cv", "2", "--epochs", "1"),
            ("report", model, "--data", test),
            ("export", model, "--data", test),
            ("fit", train, "--text", "review", "--out", tmp_path / "x"),
        ]
    )
    assert predicted.returncode == 0, predicted.explain()
    table = pd.read_csv(io.StringIO(predicted.stdout))
    assert list(table.columns) == ["line", "prediction", "probability_pos"] and len(table) == 40
    assert labelled.returncode == 0, labelled.explain()
    kept = pd.read_csv(io.StringIO(labelled.stdout))  # the file's own labels beside the predicted ones
    assert list(kept.columns) == ["line", "label", "prediction", "probability_pos"]
    assert kept["label"].tolist() == frame["sentiment"].iloc[200:].tolist()
    assert evaluated.returncode == 0 and "2-fold cross-validation (binary, 200 texts)" in evaluated.stdout, (
        evaluated.explain()
    )
    assert reported.returncode == 0 and (model / "report.html").is_file(), reported.explain()
    assert exported.returncode == 0 and "onnxruntime matches PyTorch on 40 texts" in exported.stdout, (
        exported.explain()
    )
    assert (
        named.returncode == 2
        and "read as the columns text and label: drop --text and --target" in named.stderr
    )
