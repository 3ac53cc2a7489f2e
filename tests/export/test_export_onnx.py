"""ONNX export: the file runs in onnxruntime and matches PyTorch; failures write nothing; the command reports.

Three small models (binary, multiclass, regression) are trained once for the module with one epoch each; every
test that writes into a model directory works on its own copy.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

import trainwell
from trainwell.cli.export_cmd import export
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.export import load, read_metadata
from trainwell.export import onnx as onnx_export
from trainwell.export.onnx import OnnxDependencyError, OnnxPredictor, export_onnx

N_ROWS = 300


def make_table(kind: str, seed: int = 0, n_rows: int = N_ROWS) -> pd.DataFrame:
    """Two numbers (one with missing values), a colour (with missing values) and a target of ``kind``."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n_rows), rng.uniform(0, 10, size=n_rows)
    color = rng.choice(["red", "green", "blue"], size=n_rows).astype(object)
    score = 1.5 * x1 + 2.0 * (color == "red") - 0.4 * (x2 - 5)
    targets = {
        "binary": np.where(score > 0.5, "yes", "no"),
        "multiclass": np.digitize(score, [-1.0, 0.5, 2.0]).astype(str),
        # Large values: the check must scale the difference (float32 has ~1e-3 resolution at 5e4).
        "regression": 50_000.0 + 2_000.0 * score + rng.normal(size=n_rows),
    }
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": targets[kind]})
    frame.loc[rng.random(n_rows) < 0.07, "x2"] = np.nan
    frame.loc[rng.random(n_rows) < 0.05, "color"] = None
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dirs = {}
    for kind in ("binary", "multiclass", "regression"):
        out = tmp_path_factory.mktemp("models") / kind
        trainwell.fit_table(make_table(kind), "y", out=out, epochs=1, lr=1e-2, progress=False)
        dirs[kind] = out
    return dirs


@pytest.fixture
def binary_dir(trained: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained["binary"], tmp_path / "model"))


def valid_rows(n_rows: int = 200) -> pd.DataFrame:
    return make_table("binary", seed=7, n_rows=n_rows)


def session_for(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def test_binary_export_matches_pytorch_on_validation_rows(binary_dir: Path) -> None:
    before = json.loads((binary_dir / "trainwell.json").read_text(encoding="utf-8"))
    rows = valid_rows()
    report = export_onnx(binary_dir, inputs=rows)

    assert report.path == binary_dir / "model.onnx" and report.path.is_file()
    assert report.path.stat().st_mode & 0o044 == 0o044  # readable by the account that serves it (was 0600)
    assert (report.input_names, report.output_names) == (["x_cat", "x_cont"], ["logits"])
    assert report.n_rows_checked == len(rows) and not report.synthetic and report.opset == 17
    # Reference: run the file ourselves and compare with the PyTorch predictor's probabilities.
    predictor = load(binary_dir)
    x_cat, x_cont = predictor.recipe.transform(rows)
    logits = session_for(report.path).run(None, {"x_cat": x_cat.numpy(), "x_cont": x_cont.numpy()})[0]
    reference = predictor.predict_proba(rows).numpy()
    own_diff = float(np.abs(torch.sigmoid(torch.from_numpy(logits)).numpy().reshape(-1) - reference).max())
    assert report.max_abs_diff <= 1e-4
    assert report.max_abs_diff == pytest.approx(own_diff, abs=1e-6)
    # The metadata gained exactly the "onnx" entry; everything else is as it was.
    after = json.loads((binary_dir / "trainwell.json").read_text(encoding="utf-8"))
    entry = after.pop("onnx")
    assert after == before
    assert entry["file"] == "model.onnx" and entry["opset"] == 17
    assert entry["inputs"] == ["x_cat", "x_cont"] and entry["max_abs_diff"] == report.max_abs_diff
    assert entry["n_rows_checked"] == len(rows) and entry["checked_on"] == "given rows"
    assert read_metadata(binary_dir)["onnx"] == entry
    assert [p.name for p in binary_dir.iterdir() if p.name.startswith(".")] == []


def test_the_file_says_how_to_decode_its_outputs_without_trainwell_json(binary_dir: Path) -> None:
    export_onnx(binary_dir)
    card = session_for(binary_dir / "model.onnx").get_modelmeta().custom_metadata_map
    assert card["trainwell_version"] == trainwell.__version__
    assert (card["application"], card["task"]) == ("tabular", "binary")
    assert json.loads(card["classes"]) == ["no", "yes"] and json.loads(card["targets"]) == ["y"]
    assert float(card["threshold"]) == 0.5
    assert "sigmoid" in card["output"] and "'yes'" in card["output"]
    assert "x_cat" in card["inputs"] and "'preprocessing'" in card["inputs"]  # the encoding, step by step
    # A program holding only the file and the encoded rows answers as trainwell does.
    rows = valid_rows(50)
    x_cat, x_cont = load(binary_dir).recipe.transform(rows)
    logits = session_for(binary_dir / "model.onnx").run(
        None, {"x_cat": x_cat.numpy(), "x_cont": x_cont.numpy()}
    )
    positive = 1 / (1 + np.exp(-logits[0].reshape(-1))) >= float(card["threshold"])
    classes = json.loads(card["classes"])
    answers = [classes[int(flag)] for flag in positive]
    assert answers == list(load(binary_dir).predict(rows)["prediction"])


def test_batch_axis_is_dynamic(binary_dir: Path) -> None:
    export_onnx(binary_dir, opset=13)
    predictor = load(binary_dir)
    session = session_for(binary_dir / "model.onnx")
    for n_rows in (1, 1000):
        rows = valid_rows(n_rows)
        x_cat, x_cont = predictor.recipe.transform(rows)
        logits = session.run(None, {"x_cat": x_cat.numpy(), "x_cont": x_cont.numpy()})[0]
        with torch.no_grad():
            expected = predictor.model(x_cat, x_cont).numpy()
        assert logits.shape == expected.shape == (n_rows, 1)
        np.testing.assert_allclose(logits, expected, atol=1e-4)


@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_other_tasks_export_on_synthetic_rows(trained: dict[str, Path], tmp_path: Path, kind: str) -> None:
    model_dir = Path(shutil.copytree(trained[kind], tmp_path / kind))
    report = export_onnx(model_dir)
    assert report.synthetic and report.n_rows_checked == onnx_export.SYNTHETIC_ROWS
    assert report.max_scaled_diff <= 1e-4
    rows = make_table(kind, seed=3, n_rows=100)
    expected = load(model_dir).predict(rows)
    actual = OnnxPredictor(model_dir, threads=1).predict(rows)
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, atol=1e-5, rtol=1e-6)
    card = session_for(model_dir / "model.onnx").get_modelmeta().custom_metadata_map
    assert card["task"] == kind and json.loads(card["targets"]) == ["y"]
    if kind == "multiclass":
        assert json.loads(card["classes"]) == ["0", "1", "2", "3"] and "softmax" in card["output"]
        assert "threshold" not in card
        assert list(actual.columns) == ["prediction", *[f"probability_{c}" for c in ["0", "1", "2", "3"]]]
        assert (actual["prediction"] == expected["prediction"]).all()
    else:
        assert "classes" not in card and "target's own units" in card["output"]
        assert list(actual.columns) == ["prediction"]
        assert actual["prediction"].abs().min() > 1_000  # the regression outputs really are large


def renamed_output(path: Path, name: str) -> None:
    """Rename the one output of the graph in ``path`` (as a file written by another version would name it)."""
    import onnx

    model = onnx.load(str(path))
    old = model.graph.output[0].name
    for node in model.graph.node:
        node.output[:] = [name if output == old else output for output in node.output]
    model.graph.output[0].name = name
    onnx.save(model, str(path))


def test_a_regression_graph_answers_predictions_and_one_answering_logits_still_reads(
    trained: dict[str, Path], tmp_path: Path
) -> None:
    # A regression's outputs are values, not logits: the graph, trainwell.json and the file's card say so.
    model_dir = Path(shutil.copytree(trained["regression"], tmp_path / "regression"))
    report = export_onnx(model_dir)
    assert report.output_names == ["predictions"]
    assert read_metadata(model_dir)["onnx"]["outputs"] == ["predictions"]
    session = session_for(model_dir / "model.onnx")
    assert [item.name for item in session.get_outputs()] == ["predictions"]
    card = session.get_modelmeta().custom_metadata_map
    assert card["output"].startswith("predictions (batch, 1): the value in the target's own units")
    rows = make_table("regression", seed=4, n_rows=60)
    expected = load(model_dir).predict(rows)
    pd.testing.assert_frame_equal(
        OnnxPredictor(model_dir, threads=1).predict(rows), expected, check_exact=False, atol=1e-5, rtol=1e-6
    )
    # A file exported before, whose output is named logits, is read as it was.
    renamed_output(model_dir / "model.onnx", "logits")
    assert [item.name for item in session_for(model_dir / "model.onnx").get_outputs()] == ["logits"]
    pd.testing.assert_frame_equal(
        OnnxPredictor(model_dir, threads=1).predict(rows), expected, check_exact=False, atol=1e-5, rtol=1e-6
    )
    # Any other name is no trainwell graph: refused, naming the one expected.
    renamed_output(model_dir / "model.onnx", "scores")
    with pytest.raises(ArtifactError, match=r"outputs \['scores'\].*the output 'predictions'"):
        OnnxPredictor(model_dir, threads=1)


def test_a_classifier_graph_answering_predictions_is_refused(binary_dir: Path) -> None:
    # Classifiers keep their logits; a 'predictions' output would be a regression's values, not scores.
    export_onnx(binary_dir)
    renamed_output(binary_dir / "model.onnx", "predictions")
    with pytest.raises(ArtifactError, match=r"outputs \['predictions'\].*the output 'logits'"):
        OnnxPredictor(binary_dir, threads=1)


def test_onnx_predictor_matches_torch_predictor(binary_dir: Path) -> None:
    export_onnx(binary_dir, inputs=valid_rows())
    rows = valid_rows(300)
    rows.loc[:4, "color"] = "purple"  # unseen category
    rows.loc[5:9, "x1"] = np.nan  # missing in a column that had none in training
    expected = load(binary_dir).predict(rows)
    predictor = OnnxPredictor(binary_dir, threads=1)
    actual = predictor.predict(rows)
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, atol=1e-5, rtol=0)
    assert (actual["prediction"] == expected["prediction"]).all()
    assert predictor.input_names == ["color", "x1", "x2"]
    records = rows.head(3).to_dict(orient="records")
    np.testing.assert_allclose(
        predictor.predict_proba(records), actual["probability_yes"].head(3).to_numpy(), atol=1e-7
    )


def test_onnx_predictor_needs_only_the_onnx_file_and_metadata(binary_dir: Path) -> None:
    export_onnx(binary_dir)
    expected = load(binary_dir).predict(valid_rows(50))
    (binary_dir / "model.safetensors").unlink()
    actual = OnnxPredictor(binary_dir, threads=1).predict(valid_rows(50))
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, atol=1e-5, rtol=0)


def test_an_input_the_model_never_reads_is_left_out_of_the_graph(tmp_path: Path) -> None:
    # Only a categorical column: x_cont has no columns, so the exporter drops it from the graph.
    table = make_table("binary", n_rows=150)[["color", "y"]]
    model_dir = tmp_path / "colours"
    trainwell.fit_table(table, "y", out=model_dir, epochs=1, lr=1e-2, progress=False)
    report = export_onnx(model_dir, inputs=table)
    assert report.input_names == ["x_cat"] and report.max_abs_diff <= 1e-4
    expected = load(model_dir).predict(table)
    actual = OnnxPredictor(model_dir, threads=1).predict(table)
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, atol=1e-5, rtol=0)


def test_empty_or_incomplete_check_rows_are_refused(binary_dir: Path) -> None:
    with pytest.raises(DataError, match=r"^inputs \(a DataFrame of the columns x1, x2, .*\) has no rows"):
        export_onnx(binary_dir, inputs=valid_rows().iloc[:0])
    with pytest.raises(DataError, match="input column missing from the rows to check the export on: x1"):
        export_onnx(binary_dir, inputs=valid_rows().drop(columns=["x1"]))
    assert not (binary_dir / "model.onnx").exists()


def test_numpy_activation_matches_task_activation() -> None:
    logits = np.array([[-200.0, 0.0, 3.0], [1.0, 50.0, -4.0]], dtype=np.float32)
    for kind, classes in [("multiclass", ("a", "b", "c")), ("multilabel", ("a", "b", "c"))]:
        task = trainwell.Task(kind, classes)
        expected = task.activate(torch.from_numpy(logits)).numpy()
        np.testing.assert_allclose(onnx_export.activate(task, logits), expected, atol=1e-7)
    binary = trainwell.Task("binary", ("no", "yes"))
    column = logits[:, :1]
    np.testing.assert_allclose(onnx_export.activate(binary, column), [0.0, 1 / (1 + np.exp(-1))], atol=1e-7)


def test_a_difference_above_tolerance_writes_nothing(
    binary_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (binary_dir / "trainwell.json").read_bytes()
    run_onnx = onnx_export.run_onnx
    monkeypatch.setattr(onnx_export, "run_onnx", lambda *args: run_onnx(*args) + np.float32(0.05))
    with pytest.raises(
        ArtifactError, match=r"refused: onnxruntime differs from PyTorch by up to 0\.0\d+"
    ) as info:
        export_onnx(binary_dir, inputs=valid_rows())
    assert "on 200 rows, above the tolerance 0.0001; nothing was written" in str(info.value)
    assert not (binary_dir / "model.onnx").exists()
    assert [p.name for p in binary_dir.iterdir() if p.name.startswith(".")] == []
    assert (binary_dir / "trainwell.json").read_bytes() == before


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"tolerance": -1.0}, "--tolerance must be a finite number >= 0, got -1.0"),
        ({"opset": 5}, "--opset must be an integer from 9 to 20, got 5"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_written(
    binary_dir: Path, settings: dict[str, float], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        export_onnx(binary_dir, **settings)
    assert not (binary_dir / "model.onnx").exists()


def test_unusable_directories_and_files(binary_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"model directory '.*nowhere' does not exist"):
        export_onnx(tmp_path / "nowhere")
    with pytest.raises(ArtifactError, match=r"has no model.onnx; write it first with `trainwell export"):
        OnnxPredictor(binary_dir)
    (binary_dir / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(ArtifactError, match="cannot be loaded by onnxruntime"):
        OnnxPredictor(binary_dir)


def test_missing_onnxruntime_names_the_install_command(
    binary_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(
        OnnxDependencyError, match=r"need the package 'onnxruntime'.*trainwell\[onnx\]"
    ) as info:
        export_onnx(binary_dir)
    assert isinstance(info.value, ModuleNotFoundError) and info.value.name == "onnxruntime"
    assert not (binary_dir / "model.onnx").exists()


def cli() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)  # a group, so "export" is a sub-command as on the real command line
    app.command("export")(export)
    return app


def test_cli_reports_the_largest_difference(binary_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "valid.csv"
    valid_rows().to_csv(data, index=False)
    result = CliRunner().invoke(cli(), ["export", str(binary_dir), "--data", str(data), "--opset", "15"])
    assert result.exit_code == 0, result.output
    entry = read_metadata(binary_dir)["onnx"]
    assert entry["opset"] == 15 and entry["n_rows_checked"] == 200
    assert f"max difference {entry['max_abs_diff']:.2e}" in result.output
    assert "onnxruntime matches PyTorch on 200 rows from" in result.output
    assert "model.onnx" in result.output and (binary_dir / "model.onnx").is_file()


def test_cli_errors_are_one_line_with_exit_code_2(binary_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli(), ["export", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert re.search(r"error: model directory '.*nowhere' does not exist", missing.output)
    data = tmp_path / "partial.csv"
    valid_rows().drop(columns=["x2"]).to_csv(data, index=False)
    partial = runner.invoke(cli(), ["export", str(binary_dir), "--data", str(data)])
    assert partial.exit_code == 2 and "input column 'x2' missing from" in partial.output
    nothing = runner.invoke(cli(), ["export", str(binary_dir), "--no-onnx"])
    assert (
        nothing.exit_code == 2 and "No such option: --no-onnx" in nothing.output
    )  # not offered: it could only fail
    assert not (binary_dir / "model.onnx").exists()


def test_export_function_prints_the_report(binary_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export(binary_dir)
    printed = " ".join(capsys.readouterr().out.split())
    difference = read_metadata(binary_dir)["onnx"]["max_abs_diff"]
    assert "512 rows synthesised from the recipe" in printed
    assert f"max difference {difference:.2e} (tolerance 1e-04)" in printed


def test_a_model_is_refused_below_the_opset_it_declares(
    binary_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.tabular.models import TabularMLP

    before = (binary_dir / "trainwell.json").read_bytes()
    monkeypatch.setattr(TabularMLP, "min_opset", 13, raising=False)
    with pytest.raises(ConfigError) as info:
        export_onnx(binary_dir, opset=12)
    assert str(info.value) == (
        f"--opset 12 is too low for model directory '{binary_dir}': its architecture, tabular_mlp (TabularMLP), "
        "needs ONNX opset 13 or later; pass --opset 13 or higher, or leave --opset out (default 17)"
    )
    assert not (binary_dir / "model.onnx").exists()
    assert (binary_dir / "trainwell.json").read_bytes() == before
    assert export_onnx(binary_dir, opset=13).opset == 13


def test_the_mlp_needs_opset_12_for_numbers_and_9_without(binary_dir: Path, tmp_path: Path) -> None:
    # The periodic embedding of numbers is an einsum, which ONNX has from opset 12: refused in one line below.
    result = CliRunner().invoke(cli(), ["export", str(binary_dir), "--opset", "11"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        f"error: --opset 11 is too low for model directory '{binary_dir}': its architecture, tabular_mlp "
        "(TabularMLP), needs ONNX opset 12 or later; pass --opset 12 or higher, or leave --opset out (default 17)"
    )
    assert not (binary_dir / "model.onnx").exists()
    assert export_onnx(binary_dir, opset=12).opset == 12
    categories_only = tmp_path / "categories"  # lr given: no learning-rate sweep, which is not tested here
    trainwell.fit_table(make_table("binary").drop(columns=["x1", "x2"]), "y", out=categories_only, epochs=1,
                        lr=1e-2, progress=False)  # fmt: skip
    assert export_onnx(categories_only, opset=9).max_scaled_diff <= 1e-4


def test_an_operator_only_a_later_opset_has_is_one_line_naming_that_opset(
    binary_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model that declares too little: the exporter's own refusal still reaches the user as one line.
    from trainwell.tabular.models import TabularMLP

    monkeypatch.setattr(TabularMLP, "min_opset", 9)
    with pytest.raises(ConfigError) as info:
        export_onnx(binary_dir, opset=11)
    assert str(info.value) == (
        "--opset 11 is too low for TabularMLP: its operator aten::einsum needs ONNX opset 12 or later; pass "
        "--opset 12 or higher, or leave --opset out (default 17)"
    )
    assert not (binary_dir / "model.onnx").exists()
    assert [p.name for p in binary_dir.iterdir() if p.name.startswith(".")] == []


def test_trees_below_opset_12_are_refused_in_one_line(tmp_path: Path) -> None:
    model_dir = tmp_path / "trees"
    trainwell.fit_table(make_table("binary"), "y", out=model_dir, arch="gbdt", progress=False)
    result = CliRunner().invoke(cli(), ["export", str(model_dir), "--opset", "11"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        f"error: --opset 11 is too low for model directory '{model_dir}': its architecture, gbdt "
        "(GradientBoostedTrees), needs ONNX opset 12 or later; pass --opset 12 or higher, or leave --opset out "
        "(default 17)"
    )
    assert not (model_dir / "model.onnx").exists()
    assert export_onnx(model_dir, opset=12).opset == 12  # and the default, 17, is above it
