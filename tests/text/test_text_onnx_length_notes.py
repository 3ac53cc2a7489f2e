"""The ONNX predictor of a text model says what the PyTorch one says of texts far longer than any it trained on."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import trainwell
from trainwell.core.warn import Note


def _notes(predict: object, texts: list[str]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predict(texts)  # type: ignore[operator]
    return [str(item.message) for item in caught if issubclass(item.category, Note)]


def test_onnx_and_pytorch_say_the_same_of_a_text_far_longer_than_training(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX check needs the onnx extra")
    from trainwell.export.onnx import export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor

    good, bad = "a fine warm lovely film", "a dull cold awful film"
    frame = pd.DataFrame({"text": [good, bad] * 40, "label": ["pos", "neg"] * 40})
    trainwell.fit_texts(frame, text_col="text", target="label", out=tmp_path / "m", epochs=2, progress=False)
    export_onnx(tmp_path / "m")
    long = " ".join([good] * 200)  # 1,000 words against training texts of 5
    said = _notes(trainwell.load(tmp_path / "m").predict, [long])
    assert said and "more than twice the" in said[0], said
    # It answered without a word through the ONNX graph (a server run with --backend onnx).
    assert _notes(OnnxPredictor(tmp_path / "m").predict, [long]) == said
    assert _notes(OnnxPredictor(tmp_path / "m").predict, [good]) == []
