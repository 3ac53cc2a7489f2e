"""Tests for trainwell.tabular.predictor: raw rows in, the training preprocessing, decoded predictions out."""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.export import read_artifact
from trainwell.learner.learner import Learner
from trainwell.tabular import predictor as predictor_module
from trainwell.tabular.data import tabular_data
from trainwell.tabular.learner import tabular_learner
from trainwell.tabular.predictor import TabularPredictor

N_ROWS, N_TRAIN = 200, 160
SPLITS = (range(N_TRAIN), range(N_TRAIN, N_ROWS))


def make_table(n_rows: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "area": rng.normal(50, 10, n_rows),
            "rooms": rng.integers(1, 6, n_rows),
            "city": rng.choice(["paris", "rome", "oslo"], n_rows).astype(object),
        }
    )
    frame.loc[rng.choice(n_rows, n_rows // 10, replace=False), "area"] = np.nan
    frame["price"] = 3.0 * frame["area"].fillna(50) + 10 * frame["rooms"] + rng.normal(0, 5, n_rows)
    frame["half"] = frame["price"] / 2
    frame["expensive"] = np.where(frame["price"] > frame["price"].median(), "yes", "no")
    frame["tags"] = np.where(
        frame["city"] == "paris", "capital;north", np.where(frame["rooms"] > 3, "big", "")
    )
    return frame


def trained(frame: pd.DataFrame, target: str | Sequence[str], path: Path, **data_kwargs: object) -> Learner:
    """A small model trained for one epoch and exported to ``path``."""
    targets = [target] if isinstance(target, str) else list(target)
    inputs = frame[[*(c for c in ("area", "rooms", "city") if c not in targets), *targets]]
    data = tabular_data(inputs, target, splits=SPLITS, seed=0, **data_kwargs)  # type: ignore[arg-type]
    learn = tabular_learner(data, layers=(32, 16), progress=False)
    learn.fit(1, 1e-2)
    learn.export(path)
    return learn


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_table()


@pytest.fixture(scope="module")
def binary(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple[Learner, TabularPredictor]:
    path = tmp_path_factory.mktemp("binary") / "model"
    learn = trained(frame, "expensive", path)
    return learn, trainwell.load(path)


def test_binary_predictions_equal_the_learners_on_validation_rows(
    binary: tuple[Learner, TabularPredictor], frame: pd.DataFrame
) -> None:
    learn, predictor = binary
    expected, _ = learn.get_preds()
    table = predictor.predict(frame.iloc[N_TRAIN:])
    assert list(table.columns) == ["prediction", "probability_yes"]
    np.testing.assert_allclose(table["probability_yes"].to_numpy(), expected.numpy(), rtol=0, atol=1e-6)
    assert table["prediction"].tolist() == np.where(expected.numpy() >= 0.5, "yes", "no").tolist()
    assert list(table.index) == list(frame.index[N_TRAIN:])
    assert predictor.input_names == ["rooms", "city", "area"]


def test_list_of_dicts_and_extra_columns_give_the_same_result(
    binary: tuple[Learner, TabularPredictor], frame: pd.DataFrame
) -> None:
    _, predictor = binary
    rows = frame.iloc[:20]
    expected = predictor.predict_proba(rows[["area", "rooms", "city"]])
    from_dicts = predictor.predict_proba(rows.drop(columns=["expensive"]).to_dict("records"))
    assert torch.allclose(from_dicts, expected, atol=1e-7)
    assert torch.allclose(predictor.predict_proba(rows.assign(unrelated="x")), expected, atol=1e-7)


def test_unseen_categories_are_read_as_missing(
    binary: tuple[Learner, TabularPredictor], frame: pd.DataFrame
) -> None:
    _, predictor = binary
    rows = frame.iloc[:10]
    unseen = predictor.predict_proba(rows.assign(city="atlantis", rooms=99))
    missing = predictor.predict_proba(rows.assign(city=None, rooms=None))
    assert torch.allclose(unseen, missing, atol=1e-7)
    assert not torch.allclose(unseen, predictor.predict_proba(rows), atol=1e-4)


def test_missing_columns_fail_unless_allowed(
    binary: tuple[Learner, TabularPredictor], frame: pd.DataFrame
) -> None:
    _, predictor = binary
    rows = frame.iloc[:10].drop(columns=["city"])
    with pytest.raises(
        DataError, match=r"input column missing from the input rows: city;.*allow_missing_columns"
    ):
        predictor.predict(rows)
    allowed = predictor.predict_proba(rows, allow_missing_columns=True)
    assert torch.allclose(allowed, predictor.predict_proba(rows.assign(city=None)), atol=1e-7)


def test_rows_are_predicted_in_chunks_with_the_same_result(
    binary: tuple[Learner, TabularPredictor], frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, predictor = binary
    whole = predictor.predict_proba(frame)
    monkeypatch.setattr(predictor_module, "BATCH_ROWS", 7)
    chunked = predictor.predict_proba(frame)
    assert chunked.shape == (N_ROWS,)
    assert torch.allclose(chunked, whole, atol=1e-6)


@pytest.mark.parametrize("rows", [pd.DataFrame(columns=["area", "rooms", "city"]), [], "area,rooms", [1, 2]])
def test_bad_rows_are_refused(binary: tuple[Learner, TabularPredictor], rows: object) -> None:
    _, predictor = binary
    with pytest.raises(
        DataError,
        match=r"^the table \(a DataFrame of the columns area, rooms, city\) has no rows; pass at least one row$|"
        r"^the list of rows is empty; pass at least one row$|rows must be a DataFrame, a list of dicts, one row as a "
        r"dict or a Series, or the path of a table file; got|rows 'area,rooms' is no file; pass the path of a table",
    ):
        predictor.predict(rows)  # type: ignore[arg-type]


def test_a_table_file_is_read_as_trainwell_predict_reads_it(
    binary: tuple[Learner, TabularPredictor], frame: pd.DataFrame, tmp_path: Path
) -> None:
    """``trainwell.load(model).predict("new.csv")`` was refused (a str is not rows) where the command line reads the
    file: a path (str or Path) of a table file is read with read_table."""
    _, predictor = binary
    frame.head(20).to_csv(tmp_path / "new.csv", index=False)
    expected = predictor.predict(frame.head(20))
    for path in (tmp_path / "new.csv", str(tmp_path / "new.csv")):
        pd.testing.assert_frame_equal(predictor.predict(path), expected)


def test_multiclass_has_one_probability_column_per_class(frame: pd.DataFrame, tmp_path: Path) -> None:
    learn = trained(frame, "rooms", tmp_path / "m")
    table = trainwell.load(tmp_path / "m").predict(frame.iloc[N_TRAIN:])
    assert list(table.columns) == ["prediction", *(f"probability_{k}" for k in range(1, 6))]
    expected, _ = learn.get_preds()
    np.testing.assert_allclose(table.iloc[:, 1:].to_numpy(), expected.numpy(), rtol=0, atol=1e-6)
    assert table["prediction"].tolist() == (expected.argmax(dim=1) + 1).tolist()


def test_regression_predicts_values_in_target_units(frame: pd.DataFrame, tmp_path: Path) -> None:
    learn = trained(frame, "price", tmp_path / "single")
    table = trainwell.load(tmp_path / "single").predict(frame.iloc[N_TRAIN:])
    assert list(table.columns) == ["prediction"]
    expected, _ = learn.get_preds()
    np.testing.assert_allclose(table["prediction"].to_numpy(), expected.numpy(), rtol=1e-6, atol=1e-4)
    # The output scaling puts even a barely trained model in the target's range (prices around 200).
    assert 100 < table["prediction"].mean() < 300

    trained(frame, ["price", "half"], tmp_path / "double")
    both = trainwell.load(tmp_path / "double").predict(frame.iloc[N_TRAIN:])
    assert list(both.columns) == ["price_predicted", "half_predicted"]


def test_multilabel_joins_the_predicted_labels(frame: pd.DataFrame, tmp_path: Path) -> None:
    learn = trained(frame, "tags", tmp_path / "m", label_delim=";")
    table = trainwell.load(tmp_path / "m").predict(frame.iloc[N_TRAIN:])
    classes = list(learn.task.classes)
    assert classes == ["big", "capital", "north"]
    assert list(table.columns) == ["prediction", *(f"probability_{label}" for label in classes)]
    probabilities = table.iloc[:, 1:].to_numpy()
    expected = [";".join(c for c, p in zip(classes, row, strict=True) if p >= 0.5) for row in probabilities]
    assert table["prediction"].fillna("").tolist() == expected


def test_a_damaged_artifact_is_refused(binary: tuple[Learner, TabularPredictor], tmp_path: Path) -> None:
    learn, _ = binary
    learn.export(tmp_path / "model")
    metadata, state = read_artifact(tmp_path / "model")
    broken = {key: value for key, value in metadata.items() if key != "recipe"}
    with pytest.raises(ArtifactError, match=r"trainwell\.json has no valid 'recipe' entry \(it is missing\)"):
        TabularPredictor.from_artifact(broken, state)
    wrong = {key: value for key, value in state.items() if not key.startswith("head.")}
    with pytest.raises(
        ArtifactError, match=r"model\.safetensors does not match the architecture in trainwell\.json"
    ):
        TabularPredictor.from_artifact(metadata, wrong)


# ------------------------------------------------------------------------------------------ Titanic
@pytest.fixture(scope="module")
def titanic(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """The real Titanic training table and an MLP fitted on it for one epoch (under a second)."""
    table = pd.read_csv(shared_data / "titanic" / "train.csv.gz")
    path = tmp_path_factory.mktemp("titanic") / "model"
    with pytest.warns(UserWarning):  # PassengerId is left out, Name read as words
        trainwell.fit_table(table, "Survived", out=path, arch="mlp", epochs=1, lr=1e-2, progress=False)
    return table, path


@pytest.fixture(scope="module")
def titanic_onnx(titanic: tuple[pd.DataFrame, Path], tmp_path_factory: pytest.TempPathFactory) -> object:
    """The Titanic model exported to ONNX, run by onnxruntime alone."""
    from trainwell.export.onnx import OnnxPredictor, export_onnx

    table, path = titanic
    copy = tmp_path_factory.mktemp("titanic-onnx") / "model"
    shutil.copytree(path, copy)
    export_onnx(copy, inputs=table.head(50))
    return OnnxPredictor(copy)


@pytest.mark.data
@pytest.mark.parametrize("source", ["torch", "onnx"])
@pytest.mark.parametrize("fare", [1e300, np.finfo(np.float64).max, -1e300])
def test_a_number_beyond_the_models_arithmetic_is_refused_naming_it(
    titanic: tuple[pd.DataFrame, Path], titanic_onnx: object, source: str, fare: float
) -> None:
    """A fare of 1e300 (or a sentinel such as the largest float) overflowed the model's 32-bit inputs: the
    predictor answered probability NaN with the label 0, and `trainwell predict` wrote that row as 0."""
    table, path = titanic
    rows = table.head(3).assign(Fare=[10.0, fare, 10.0])
    predictor = titanic_onnx if source == "onnx" else trainwell.load(path)
    message = (
        r"continuous column 'Fare' holds -?1(\.\d+)?e\+30\d \(data row 2\), which is [\d.]+e\+\d+ training "
        r"standard deviations from the training mean \(32\.\d+\); the model's 32-bit numbers cannot hold it: "
        r"check the value, or leave it empty to mark it missing"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "overflow encountered in cast" is not the answer either
        with pytest.raises(DataError, match=message):
            predictor.predict(rows)  # type: ignore[attr-defined]


@pytest.mark.data
def test_an_output_that_is_not_a_number_is_refused_naming_the_row(titanic: tuple[pd.DataFrame, Path]) -> None:
    """A fare that fits the model's numbers but not its arithmetic (1e40: the periodic embedding overflows)
    gave probability NaN and label 0; every predictor's table is now refused, naming the row."""
    table, path = titanic
    rows = table.head(4).assign(Fare=[10.0, 10.0, 10.0, 1e40])
    with pytest.raises(
        DataError,
        match=r"the model's output is not a finite number for data row 4 \(1 of 4 rows\): an input is far "
        r"outside the training data; check the values of that row",
    ):
        trainwell.load(path).predict(rows)


@pytest.mark.data
def test_weights_holding_nan_are_blamed_not_the_rows(
    titanic: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    # A NaN written over one tensor of model.safetensors: "an input is far outside the training data; check the
    # values of those rows", for every row of any table.
    from safetensors.torch import load_file, save_file

    table, path = titanic
    broken = tmp_path / "broken"
    shutil.copytree(path, broken)
    weights = load_file(broken / "model.safetensors")
    name = next(key for key, value in weights.items() if value.is_floating_point() and value.numel() > 1)
    weights[name] = torch.full_like(weights[name], float("nan"))
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(
        DataError, match=r"not a finite number for any of the 5 rows: it answers NaN whatever it"
    ):
        trainwell.load(broken).predict(table.head(5))


@pytest.mark.data
def test_one_row_as_a_dict_or_a_series(titanic: tuple[pd.DataFrame, Path]) -> None:
    """One row as a dict (what a JSON object decodes to) or as a Series (``table.iloc[0]``) is predicted
    like the same row in a list; it was refused ("rows must be a DataFrame or a list of dicts, got dict")."""
    table, path = titanic
    predictor = trainwell.load(path)
    row = table.iloc[1]
    expected = predictor.predict([row.to_dict()])
    pd.testing.assert_frame_equal(predictor.predict(row.to_dict()), expected)
    pd.testing.assert_frame_equal(predictor.predict(row), expected.set_axis([1]))
    with pytest.raises(DataError, match=r"a dict of lists is columns: pass pd\.DataFrame\(rows\)"):
        predictor.predict({"Age": [22.0, 38.0], "Sex": ["male", "female"]})


@pytest.mark.data
def test_weights_of_another_model_are_refused_naming_the_directory_and_the_weights(
    titanic: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    """model.safetensors copied from a retrain of another width (a deploy that replaced one file of two) was
    refused with torch's first line only: "(Error(s) in loading state_dict for TabularMLP:)", no word of
    which weights, nor of which directory."""
    table, path = titanic
    data = tabular_data(table, "Survived", seed=0, ignore=["PassengerId"])
    narrow = tabular_learner(data, layers=(32, 16), progress=False)
    narrow.export(tmp_path / "narrow")
    mixed = tmp_path / "mixed"
    shutil.copytree(path, mixed)
    shutil.copy(tmp_path / "narrow" / "model.safetensors", mixed / "model.safetensors")
    with pytest.raises(ArtifactError) as refused:
        trainwell.load(mixed)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(
        f"model directory '{mixed}': model.safetensors does not match the architecture in trainwell.json "
        "(tabular_mlp): "
    )
    assert "11 weights of another shape (body.0.0.weight is (32, " in message
    assert "in the file, (256, " in message
    assert message.endswith(
        "the weights come from another model: restore the directory's two files together, or re-export the model"
    )


@pytest.mark.data
@pytest.mark.parametrize(
    ("damage", "entry"),
    [
        ({"task": None}, "task"),
        ({"recipe": {"cat_names": 3}}, "recipe"),
        ({"architecture": None}, "architecture"),
    ],
)
def test_a_damaged_entry_of_trainwell_json_is_named_with_the_directory(
    titanic: tuple[pd.DataFrame, Path], tmp_path: Path, damage: dict[str, object], entry: str
) -> None:
    """A null task was "trainwell.json is missing or has a malformed entry: 'NoneType' object is not
    subscriptable": which entry, of which directory?"""
    import json

    _, path = titanic
    copy = tmp_path / "model"
    shutil.copytree(path, copy)
    metadata = json.loads((copy / "trainwell.json").read_text())
    (copy / "trainwell.json").write_text(json.dumps({**metadata, **damage}))
    with pytest.raises(ArtifactError) as refused:
        trainwell.load(copy)
    message = str(refused.value)
    assert message.startswith(f"model directory '{copy}': ")
    if entry == "recipe":  # the recipe's own check names its keys
        assert "tabular recipe has missing keys ['categories', 'cont_names'," in message
    else:
        assert re.fullmatch(
            rf"model directory '{re.escape(str(copy))}': trainwell\.json has no valid '{entry}' entry "
            r"\(TypeError: 'NoneType' object is not subscriptable\); the file is damaged or not from trainwell: "
            r"restore it or re-export the model",
            message,
        ), message


@pytest.mark.data
def test_trainwell_predict_on_a_number_beyond_the_model_is_one_line_and_exit_2(
    titanic: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    """The command wrote the row as prediction 0 with an empty probability, exit code 0, after numpy's
    "overflow encountered in cast" warning."""
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    table, path = titanic
    table.head(3).assign(Fare=[7.25, 1e300, 8.05]).to_csv(tmp_path / "rows.csv", index=False)
    result = CliRunner().invoke(
        app, ["predict", str(path), str(tmp_path / "rows.csv")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: continuous column 'Fare' holds 1e+300 (data row 2), which is ")
    assert (
        result.stderr.count("\n") == 1
        and "Traceback" not in result.stderr
        and "overflow" not in result.stderr
    )


@pytest.mark.data
def test_a_model_onnx_of_another_model_is_refused_when_loaded_not_at_each_request(
    titanic: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    """A model.onnx copied from another model's directory (a retrain without Fare, synced over) loaded fine,
    `trainwell serve` said "serving with the onnx backend", and then every prediction failed inside
    onnxruntime ("Got invalid dimensions for input: x_cont ... Got: 2 Expected: 1"): a 500 per request."""
    from trainwell.export import OnnxPredictor, export_onnx
    from trainwell.serve import create_app

    table, path = titanic
    other = tmp_path / "without-fare"
    with pytest.warns(UserWarning):
        trainwell.fit_table(
            table.drop(columns=["Fare"]), "Survived", out=other, arch="mlp", epochs=1, lr=1e-2, progress=False
        )
    export_onnx(other, inputs=table.head(50))
    mixed = tmp_path / "mixed"
    shutil.copytree(path, mixed)
    export_onnx(mixed, inputs=table.head(50))  # its own, checked: the onnx entry of trainwell.json is written
    shutil.copy(other / "model.onnx", mixed / "model.onnx")
    inputs = trainwell.load(other).recipe.n_cont, trainwell.load(path).recipe.n_cont  # Fare and Name's words
    assert inputs[0] == inputs[1] - 1
    message = (
        rf"^{re.escape(str(mixed / 'model.onnx'))} does not fit this model directory: its input x_cont has "
        rf"{inputs[0]} columns, the recipe in trainwell\.json gives {inputs[1]}; the file comes from another model: "
        r"re-export it with "
        rf"`trainwell export {re.escape(str(mixed))} --onnx`$"
    )
    with pytest.raises(ArtifactError, match=message):
        OnnxPredictor(mixed)
    # The server knows the file is not the one the export checked (its digest): auto serves with PyTorch, and
    # onnx refuses to start.
    assert create_app(mixed).state.backend == "torch"
    with pytest.raises(
        ConfigError,
        match=r"model\.onnx changed since `trainwell export` checked it against the weights, so model\.onnx may",
    ):
        create_app(mixed, backend="onnx")
