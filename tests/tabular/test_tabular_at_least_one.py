"""``predict(..., at_least_one=True)`` of a multi-label table model (tags in one delimited column): a row with no
tag over its threshold gets its likeliest tag, every other row and every probability is as without it, and the
default is unchanged; alike from ``trainwell.load``, ``learn.predict`` and ``model.onnx``. A model that is not
multi-label refuses it in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch

import trainwell
from multilabel_samples import TABLE_DELIM, at_least_one_by_hand, tagged_rows
from trainwell.core.errors import ConfigError
from trainwell.export import load


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The MLP fitted on 400 tagged rows (one epoch, about 2 s) and its model directory."""
    out = tmp_path_factory.mktemp("tags") / "model"
    torch.manual_seed(0)
    run = trainwell.fit_table(
        tagged_rows(400, 0), "tags", out=out, epochs=1, lr=1e-2, progress=False, label_delim=TABLE_DELIM
    )
    return run.learn, out


def _new_rows() -> pd.DataFrame:
    return tagged_rows(60, 1).drop(columns="tags")


def test_rows_without_a_tag_get_their_likeliest_and_the_rest_are_unchanged(tagged: tuple[Any, Path]) -> None:
    _, out = tagged
    predictor = load(out)
    assert predictor.task.kind == "multilabel" and predictor.task.label_delim == TABLE_DELIM
    rows = _new_rows()
    plain = predictor.predict(rows)
    filled = predictor.predict(rows, at_least_one=True)
    empty = plain["prediction"] == ""
    assert 0 < empty.sum() < len(rows)  # some rows have no tag over its threshold, others have one or both
    classes = list(predictor.task.classes)
    assert filled["prediction"].tolist() == at_least_one_by_hand(plain, classes, TABLE_DELIM)
    assert (filled["prediction"] != "").all()
    assert filled.loc[~empty, "prediction"].tolist() == plain.loc[~empty, "prediction"].tolist()
    pd.testing.assert_frame_equal(filled.drop(columns="prediction"), plain.drop(columns="prediction"))
    # The default decodes as before: the tags over their thresholds, none for the rows near the origin.
    limits = torch.tensor(predictor.task.decision_threshold)
    over = predictor.predict_proba(rows) >= limits
    assert plain["prediction"].tolist() == [
        TABLE_DELIM.join(label for label, on in zip(classes, row, strict=True) if on) for row in over.tolist()
    ]


def test_learn_predict_and_the_onnx_predictor_give_the_same(tagged: tuple[Any, Path]) -> None:
    learn, out = tagged
    rows = _new_rows()
    expected = load(out).predict(rows, at_least_one=True)
    pd.testing.assert_frame_equal(learn.predict(rows, at_least_one=True), expected)
    pytest.importorskip("onnxruntime")
    from trainwell.export.onnx import export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor

    export_onnx(out)
    onnx = OnnxPredictor(out, threads=1)
    assert onnx.predict(rows, at_least_one=True)["prediction"].tolist() == expected["prediction"].tolist()
    assert onnx.predict(rows)["prediction"].tolist() == learn.predict(rows)["prediction"].tolist()


def test_a_model_that_is_not_multi_label_refuses_it(tmp_path: Path) -> None:
    rows = tagged_rows(120, 2).assign(size=lambda frame: frame["x"] * 2 + frame["y"]).drop(columns="tags")
    run = trainwell.fit_table(rows, "size", out=tmp_path / "model", epochs=1, lr=1e-2, progress=False)
    refusal = "at_least_one= is for multi-label models; this regression model gives every row one answer already: drop it"
    with pytest.raises(ConfigError) as error:
        load(tmp_path / "model").predict(rows.head(3), at_least_one=True)
    assert str(error.value) == refusal
    with pytest.raises(ConfigError) as error:
        run.learn.predict(rows.head(3), at_least_one=True)
    assert str(error.value) == refusal
    # Asking for nothing is no mistake.
    assert len(run.learn.predict(rows.head(3), at_least_one=False)) == 3
