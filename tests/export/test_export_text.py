"""ONNX export of a text classifier (the bag-of-n-grams model), checked against PyTorch, and its ONNX predictor."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import trainwell
from text_samples import reviews
from trainwell.core.errors import ConfigError, DataError
from trainwell.export.onnx import OnnxPredictor, export_onnx
from trainwell.text import fit_texts, text_classifier_learner, text_data

pytest.importorskip("onnxruntime", reason="the ONNX tests need the onnx extra")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("text") / "model"
    fit_texts(
        reviews(200, 0, positive_every=3, filler=None),
        text_col="review",
        target="sentiment",
        out=out,
        epochs=3,
        progress=False,
    )
    return out


def test_export_matches_pytorch_on_synthesised_and_given_texts(model_dir: Path) -> None:
    synthetic = export_onnx(model_dir)
    assert synthetic.max_abs_diff <= 1e-4 and synthetic.unit == "texts" and synthetic.synthetic
    assert synthetic.input_names == ["ids", "offsets"]
    import onnxruntime as ort

    card = ort.InferenceSession(str(synthetic.path)).get_modelmeta().custom_metadata_map
    assert "offsets: int64 (batch)" in card["inputs"] and "EmbeddingBag" in card["inputs"]
    given = export_onnx(model_dir, inputs=reviews(50, 1, positive_every=3, filler=None))
    assert given.max_abs_diff <= 1e-4 and given.n_rows_checked == 50
    metadata = trainwell.export.read_metadata(model_dir)
    assert metadata["onnx"]["checked_on"] == "given texts" and metadata["onnx"]["n_texts_checked"] == 50


def test_export_checks_on_a_text_file_read_as_predict_reads_it(model_dir: Path, tmp_path: Path) -> None:
    # predict reads a .txt as one text a line; export --data read it as a CSV, its first text a header:
    # "text column 'review' not found in the input table; columns are: <the first review>".
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    texts = reviews(20, 3, positive_every=3, filler=None)["review"].tolist()
    lines = tmp_path / "texts.txt"
    lines.write_text("\n".join(texts[:10]) + "\n\n" + "\n".join(texts[10:]) + "\n", encoding="utf-8")
    copy = Path(shutil.copytree(model_dir, tmp_path / "model", ignore=shutil.ignore_patterns("model.onnx")))
    result = CliRunner().invoke(app, ["export", str(copy), "--data", str(lines)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert f"onnxruntime matches PyTorch on 20 texts from {lines}" in result.output
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["export", str(copy), "--data", str(empty)], env={"COLUMNS": "250"})
    assert refused.exit_code == 2 and f"{empty} holds no text to check the export on" in refused.output


def test_the_bag_needs_opset_13_for_its_length_norm(model_dir: Path, tmp_path: Path) -> None:
    # Weighting each id by its text's length is a repeat_interleave, which the exporter writes from opset 13.
    copy = Path(shutil.copytree(model_dir, tmp_path / "model", ignore=shutil.ignore_patterns("model.onnx")))
    with pytest.raises(ConfigError) as info:
        export_onnx(copy, opset=12)
    assert str(info.value) == (
        f"--opset 12 is too low for model directory '{copy}': its architecture, ngram_bag (NgramBag), needs ONNX "
        "opset 13 or later; pass --opset 13 or higher, or leave --opset out (default 17)"
    )
    assert not (copy / "model.onnx").exists()
    assert export_onnx(copy, opset=13).max_abs_diff <= 1e-4


def test_onnx_predictor_equals_the_torch_predictor(model_dir: Path) -> None:
    export_onnx(model_dir)
    rows = reviews(70, 2, positive_every=3, filler=None)
    onnx = OnnxPredictor(model_dir).predict(rows)
    torch_table = trainwell.load(model_dir).predict(rows)
    assert list(onnx["prediction"]) == list(torch_table["prediction"])
    assert np.allclose(onnx["probability_pos"], torch_table["probability_pos"], atol=1e-5)
    assert list(OnnxPredictor(model_dir).predict(["a great film", "awful"])["prediction"]) == list(
        trainwell.load(model_dir).predict(["a great film", "awful"])["prediction"]
    )
    with pytest.raises(DataError, match="empty"):
        OnnxPredictor(model_dir).predict(["fine", "   "])
    with pytest.raises(DataError, match="text column 'review' not found"):
        OnnxPredictor(model_dir).predict(rows.rename(columns={"review": "body"}))


def test_the_ulmfit_classifier_exports_too(tmp_path: Path) -> None:
    data = text_data(
        reviews(60, 3, positive_every=3, filler=None),
        "sentiment",
        text_col="review",
        batch_format="padded",
        min_freq=1,
    )
    learn = text_classifier_learner(
        data, "awd_lstm", arch_config={"emb_size": 8, "hidden_size": 8, "n_layers": 2}, progress=False
    )
    learn.fit(1, 1e-2)
    learn.export(tmp_path / "lstm")
    # Opsets 10 and 11 write a graph onnxruntime rejects (it cannot sum the head's integer token counts).
    with pytest.raises(
        ConfigError, match=r"^--opset 11 is too low .* awd_lstm \(AWDLSTMClassifier\), needs ONNX opset 12"
    ):
        export_onnx(tmp_path / "lstm", opset=11)
    assert export_onnx(tmp_path / "lstm", opset=12).opset == 12
    report = export_onnx(tmp_path / "lstm", inputs=reviews(40, 4, positive_every=3, filler=None))
    assert report.max_abs_diff <= 1e-4 and report.input_names == ["tokens"]
    rows = reviews(30, 5, positive_every=3, filler=None)
    onnx = OnnxPredictor(tmp_path / "lstm").predict(rows)
    torch_table = trainwell.load(tmp_path / "lstm").predict(rows)
    assert np.allclose(onnx["probability_pos"], torch_table["probability_pos"], atol=1e-4)
