"""``trainwell export``'s command line as a deployment tour met it (tour71 #9, #10, #11): a blank text in --data is
left out with a warning, as predict and serve take it; --no-onnx is not offered; a refused --tolerance names it;
``trainwell.load`` of a ``model.onnx`` names the ways to use it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import trainwell
from text_samples import reviews
from trainwell.cli.export_cmd import export
from trainwell.core.errors import ArtifactError
from trainwell.text import text_classifier_learner, text_data

pytest.importorskip("onnxruntime", reason="the ONNX tests need the onnx extra")


def cli() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)  # a group, so "export" is a sub-command as on the real command line
    app.command("export")(export)
    return app


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained text classifier's directory: what is checked here needs no training (a fit took 4-6 s)."""
    out = tmp_path_factory.mktemp("text") / "model"
    data = text_data(reviews(60, 0, positive_every=3, filler=None), text_col="review", target="sentiment")
    text_classifier_learner(data, progress=False).export(out)
    return out


def test_a_blank_text_in_data_is_left_out_of_the_check_with_a_warning(
    text_model: Path, tmp_path: Path
) -> None:
    # It refused the file ("fill or drop those rows") where predict leaves the row unanswered and serve notes it.
    data = tmp_path / "new.csv"
    pd.DataFrame({"review": ["a fine film", "dull and long", "", "the best of the year"]}).to_csv(
        data, index=False
    )
    result = CliRunner().invoke(cli(), ["export", str(text_model), "--data", str(data)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"warning: {data}: 1 row with an empty text (data row 3) left out of the check" in said
    assert "onnxruntime matches PyTorch on 3 texts from" in said
    # The export's speed line is the model call alone, and this version says so without sending it round to
    # re-export (a text export never times end to end).
    from trainwell.serve.backends import auto_choice_words

    words = auto_choice_words(text_model, "onnx") or ""
    assert "the model call alone at export" in words and "re-export" not in words
    blank = tmp_path / "blank.csv"
    pd.DataFrame({"review": ["", " "]}).to_csv(blank, index=False)
    refused = CliRunner().invoke(cli(), ["export", str(text_model), "--data", str(blank)])
    assert refused.exit_code == 2 and f"{blank}: every text is empty (" in refused.output


def test_load_of_a_model_onnx_names_the_onnx_predictor(text_model: Path) -> None:
    graph = text_model / "model.onnx"
    if not graph.is_file():
        from trainwell.export.onnx import export_onnx

        export_onnx(text_model)
    with pytest.raises(ArtifactError) as error:
        trainwell.load(graph)
    said = str(error.value)
    assert f"trainwell.export.OnnxPredictor('{text_model}')" in said
    assert f"trainwell.load('{text_model}')" in said and f"trainwell predict {graph}" in said


def test_no_onnx_is_not_offered_and_a_refused_tolerance_is_named() -> None:
    from trainwell.export.onnx import _refused_fix

    helped = CliRunner().invoke(cli(), ["export", "--help"])
    assert "--onnx" in helped.output and "--no-onnx" not in helped.output
    # --tolerance 0 refused a float32 rounding of 1.8e-07 with "Try another --opset, or report ... a bug".
    fix = _refused_fix(1.79e-7)
    assert "pass --tolerance 1e-06" in fix and "another --opset" in fix
    assert _refused_fix(0.3).startswith("Try another --opset")  # far off: not a tolerance to widen
