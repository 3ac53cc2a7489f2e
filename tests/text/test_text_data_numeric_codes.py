"""A text column of codes (product codes, ZIP codes, ids) is read as the text written (tour54 F4: `trainwell fit
numtext.csv --text text` refused "holds 864 (int64), not text ... convert the column to text first", which has
no command-line meaning: a CSV cell is text). Leading zeros are kept: ``00123`` and ``123`` are two codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.core.errors import DataError
from trainwell.text import fit_texts, text_data
from trainwell.text.table import read_text_table

CODES = {"00123": "zero", "123": "plain", "00864": "zero", "864": "plain", "0042": "zero", "42": "plain"}


def _codes_csv(path: Path, rows: int = 300) -> Path:
    rng = np.random.default_rng(0)
    codes = rng.choice(list(CODES), rows)
    pd.DataFrame({"text": codes, "label": [CODES[code] for code in codes]}).to_csv(path, index=False)
    assert pd.read_csv(path)["text"].dtype.kind == "i"  # what pandas alone makes of the column
    return path


def test_a_csv_column_of_codes_is_read_as_written_with_its_leading_zeros(tmp_path: Path) -> None:
    table = _codes_csv(tmp_path / "codes.csv")
    frame = read_text_table(table, "codes.csv", as_written=["text"])
    assert frame["text"].tolist()[:300] == pd.read_csv(table, dtype=str)["text"].tolist()
    assert read_text_table(table, "codes.csv")["text"].dtype.kind == "i"  # the column not named: as before
    tsv = tmp_path / "codes.tsv"
    pd.read_csv(table, dtype=str).to_csv(tsv, sep="\t", index=False)
    assert set(read_text_table(tsv, "codes.tsv", as_written=["text"])["text"]) == set(CODES)
    data = text_data(str(table), "label", text_col="text", seed=0)
    assert data.texts is not None and set(data.texts["train"]) == set(CODES)


def test_codes_train_and_predict_from_python(tmp_path: Path) -> None:
    table = _codes_csv(tmp_path / "codes.csv")
    torch.manual_seed(0)
    run = fit_texts(str(table), "label", text_col="text", epochs=6, lr=0.05, progress=False)
    assert run.learn.history[-1]["accuracy"] == 1.0  # only with 00123 told from 123
    new = tmp_path / "new.csv"
    new.write_text("text\n00123\n123\n0042\n42\n")
    probabilities, _ = run.learn.get_preds(str(new))
    answers = [run.learn.task.classes[int(p > 0.5)] for p in probabilities.reshape(-1).tolist()]
    assert answers == ["zero", "plain", "zero", "plain"]


def test_a_dataframe_column_of_numbers_is_read_as_their_text_with_one_warning() -> None:
    frame = pd.DataFrame({"code": [864, 123, 42, 7] * 10, "label": ["a", "b"] * 20})
    with pytest.warns(UserWarning, match=r"text column 'code' in .* holds numbers, not strings") as said:
        data = text_data(frame, "label", text_col="code", seed=0)
    assert len([w for w in said if "holds numbers" in str(w.message)]) == 1
    assert "pass codes such as 00123 as strings" in str(said[0].message)
    assert data.texts is not None and set(data.texts["train"]) <= {"864", "123", "42", "7"}
    gaps = pd.DataFrame({"code": [864.0, np.nan, 42.0, 7.5] * 10, "label": ["a", "b"] * 20})
    with pytest.warns(UserWarning, match="holds numbers"):
        data = text_data(gaps, "label", text_col="code", seed=0, drop_empty=True)
    assert data.texts is not None and set(data.texts["train"]) <= {"864", "42", "7.5"}
    flags = pd.DataFrame({"code": [True, False] * 20, "label": ["a", "b"] * 20})
    with pytest.raises(DataError, match=r"holds True \(bool\), not text.*astype\(str\)"):
        text_data(flags, "label", text_col="code", seed=0)


def test_the_command_line_fits_a_column_of_codes(tmp_path: Path) -> None:
    table = _codes_csv(tmp_path / "numtext.csv")
    fitted = CliRunner().invoke(
        app,
        [
            "fit",
            str(table),
            "--text",
            "text",
            "--target",
            "label",
            "--epochs",
            "6",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert fitted.exit_code == 0, fitted.output
    assert "not text" not in fitted.output and "holds numbers" not in fitted.output
    import trainwell

    predicted = trainwell.load(tmp_path / "m").predict(pd.DataFrame({"text": ["00864", "864"]}))
    assert predicted["prediction"].tolist() == ["zero", "plain"]
    # predict, report and evaluate read the file's codes as written too (predict said "every text is empty").
    new = tmp_path / "new.csv"
    new.write_text("text,label\n00123,zero\n123,plain\n00864,zero\n864,plain\n0042,zero\n42,plain\n")
    out = tmp_path / "pred.csv"
    predicted_cli = CliRunner().invoke(app, ["predict", str(tmp_path / "m"), str(new), "--out", str(out)])
    assert predicted_cli.exit_code == 0, predicted_cli.output
    written = pd.read_csv(out, dtype=str)
    assert written["prediction"].tolist() == ["zero", "plain"] * 3
    reported = CliRunner().invoke(
        app, ["report", str(tmp_path / "m"), "--data", str(new), "--no-word-effects"]
    )
    assert reported.exit_code == 0, reported.output
    page = (tmp_path / "m" / "report.html").read_text()
    assert "accuracy" in page and "1.0000" in page
    from trainwell.text.evaluation import evaluate_texts

    evaluation = evaluate_texts(str(table), "label", text_col="text", cv=2, epochs=6)
    assert min(evaluation.model.values("accuracy")) == 1.0  # only with 00123 told from 123 in every fold
