"""A tagger exported to ONNX tags exactly like its PyTorch model: the scores through onnxruntime on sentences
grouped by length, the best path in numpy; and it serves on the onnx backend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tagging_samples import entity_sentences, pos_sentences
from trainwell.export import load
from trainwell.text import tagging_data, tagging_learner

pytest.importorskip("onnxruntime", reason="ONNX export is an optional extra: pip install 'trainwell[onnx]'")

from trainwell.export.onnx import export_onnx
from trainwell.text.tagging.onnx import OnnxTaggerPredictor

SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}


def _tagger(tmp_path: Path, pairs, crf: bool = True) -> Path:
    data = tagging_data(pairs, valid_pct=0.2, batch_size=16)
    learn = tagging_learner(data, arch_config={**SMALL, "crf": crf}, progress=False, lr=2e-2)
    learn.fit_one_cycle(3)
    return learn.export(tmp_path / ("crf" if crf else "softmax"))


@pytest.mark.parametrize("crf", [True, False])
def test_onnx_tagger_gives_the_pytorch_tags(tmp_path: Path, crf: bool) -> None:
    model_dir = _tagger(tmp_path, entity_sentences(150, seed=1), crf)
    report = export_onnx(model_dir)
    assert report.max_scaled_diff < 1e-4 and report.n_rows_checked == 192
    import onnxruntime as ort

    card = ort.InferenceSession(str(report.path)).get_modelmeta().custom_metadata_map
    assert card["task"] == "tagging" and json.loads(card["classes"]) == list(load(model_dir).task.classes)
    assert "words, casing" in card["inputs"] and "CRF" in card["output"]
    # The decoding rules travel in the file: what the ONNX predictor reads from the weights, to 6 decimals.
    onnx_tagger = OnnxTaggerPredictor(model_dir)
    for key, expected in (
        ("transitions", onnx_tagger.follow),
        ("start", onnx_tagger.start),
        ("end", onnx_tagger.end),
    ):
        assert np.allclose(json.loads(card[key]), expected.numpy(), atol=1e-5), key
    assert ("a CRF tagger" in card["decode"]) is crf
    sentences = [words for words, _ in entity_sentences(60, seed=8)] + [["Zyx"], ["a"] * 45]
    torch_tags = load(model_dir).tag_words(sentences)
    onnx_predictor = OnnxTaggerPredictor(model_dir)
    assert onnx_predictor.tag_words(sentences) == torch_tags
    text = "Mary works for Siemens in New York."
    on_onnx, on_torch = onnx_predictor.tag([text])[0].to_dict(), load(model_dir).tag([text])[0].to_dict()
    assert on_onnx["tags"] == on_torch["tags"] and on_onnx["words"] == on_torch["words"]
    assert on_onnx["confidences"] == pytest.approx(on_torch["confidences"], abs=1e-5)


def test_part_of_speech_tagger_exports_too(tmp_path: Path) -> None:
    model_dir = _tagger(tmp_path, pos_sentences(120, seed=2))
    export_onnx(model_dir)
    sentences = [words for words, _ in pos_sentences(30, seed=5)]
    assert OnnxTaggerPredictor(model_dir).tag_words(sentences) == load(model_dir).tag_words(sentences)
