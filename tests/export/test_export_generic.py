"""A Learner on your own ``nn.Module``: registered, exported, loaded back as a GenericPredictor whose answers are
the Learner's; the errors on the way (no model_spec, an unregistered name, inputs the model does not take) say
what to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import trainwell
from trainwell import ArtifactError, ConfigError, DataError, Learner
from trainwell.data import DataBundle, Task, TensorLoader
from trainwell.export import GenericPredictor
from trainwell.models import register_model
from trainwell.models.registry import models

NAME = "test_generic_tiny_net"
TWO_INPUTS = "test_generic_two_inputs"


class TinyNet(nn.Module):
    def __init__(self, n_in: int = 5, width: int = 8, n_out: int = 3) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, width)
        self.out = nn.Linear(width, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))


class TwoInputs(nn.Module):
    """Called as ``model(x_cont, x_cat)``, as a Learner calls it on batches ``(x_cont, x_cat, y)``."""

    def __init__(self, n_cont: int = 3, n_codes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_codes, 2)
        self.out = nn.Linear(n_cont + 2, 1)

    def forward(self, x_cont: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([x_cont, self.embed(x_cat)], dim=1))


@pytest.fixture
def registered() -> Iterator[None]:
    """The two architectures registered as a user's module would, and removed after the test (the registry
    has no public removal: an application never needs one)."""
    register_model(NAME)(TinyNet)
    register_model(TWO_INPUTS)(TwoInputs)
    yield
    for name in (NAME, TWO_INPUTS):
        models._entries.pop(name, None)


def _classifier(tmp_path: Path) -> tuple[Learner, torch.Tensor, Path]:
    trainwell.seed_everything(0)
    x = torch.randn(120, 5)
    y = np.array(["cat", "dog", "eel"])[(x[:, 0] > 0).long() + (x[:, 1] > 1).long()]
    data = trainwell.tensor_data(x, y, task="multiclass", batch_size=32)
    learn = Learner(TinyNet(width=6), data, progress=False)
    learn.fit(1)
    learn.model_spec = {"name": NAME, "config": {"width": 6}}
    return learn, x, learn.export(tmp_path / "model")


@pytest.mark.usefixtures("registered")
def test_a_classifier_loads_and_predicts_what_the_learner_did(tmp_path: Path) -> None:
    learn, _, path = _classifier(tmp_path)
    predictor = trainwell.load(path)
    assert isinstance(predictor, GenericPredictor)
    assert (predictor.application, predictor.architecture, predictor.task) == ("generic", NAME, learn.task)
    assert not predictor.model.training
    assert repr(predictor) == f"GenericPredictor(architecture={NAME!r}, task=multiclass, device=cpu)"
    expected, _ = learn.get_preds()  # the validation rows, softmax by the task
    valid_x = learn.data.valid.tensors[0]  # type: ignore[union-attr]
    probabilities = predictor.predict_proba(valid_x)
    torch.testing.assert_close(probabilities, expected)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(len(valid_x)))
    # A float64 array, read in batches smaller than the rows, gives the same numbers.
    torch.testing.assert_close(predictor.predict_proba(valid_x.double().numpy(), batch_size=7), expected)
    table = predictor.predict(valid_x)
    assert list(table.columns) == ["prediction", "probability_cat", "probability_dog", "probability_eel"]
    assert table["prediction"].tolist() == learn.task.decode(expected)
    np.testing.assert_allclose(table.iloc[:, 1:].to_numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.usefixtures("registered")
def test_a_model_of_two_inputs_takes_a_tuple_and_regression_gives_values(tmp_path: Path) -> None:
    trainwell.seed_everything(0)
    x_cont, x_cat = torch.randn(90, 3), torch.randint(0, 4, (90,))
    y = (x_cont.sum(dim=1) + x_cat.float()).unsqueeze(1)
    task = Task("regression")
    train = TensorLoader((x_cont[:60], x_cat[:60], y[:60]), 16, shuffle=True)
    valid = TensorLoader((x_cont[60:], x_cat[60:], y[60:]), 32)
    learn = Learner(TwoInputs(), DataBundle(task, train, valid), progress=False)
    learn.fit(1)
    learn.model_spec = {"name": TWO_INPUTS, "config": {}}
    predictor = trainwell.load(learn.export(tmp_path / "two"))
    values = predictor.predict_proba((x_cont[60:], x_cat[60:].numpy()))
    expected, _ = learn.get_preds()
    assert values.shape == (30,)
    torch.testing.assert_close(values, expected)
    with torch.no_grad():
        torch.testing.assert_close(values, learn.model(x_cont[60:], x_cat[60:]).squeeze(1))
    table = predictor.predict((x_cont[60:], x_cat[60:]))
    np.testing.assert_allclose(table["prediction"].to_numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.usefixtures("registered")
def test_an_unregistered_architecture_is_one_line_naming_it(tmp_path: Path) -> None:
    _, _, path = _classifier(tmp_path)
    models._entries.pop(NAME)  # a fresh process that has not imported the user's module
    with pytest.raises(ArtifactError) as caught:
        trainwell.load(path)
    message = str(caught.value)
    assert "\n" not in message
    # it names the class and both fixes (it said only "import the module that registers it")
    assert message == (
        f"model directory '{path}' holds your own architecture '{NAME}' (built by TinyNet of module {__name__}), "
        "which trainwell.json records by name, not as code, and this process has not registered: import "
        f"{__name__} (where @register_model('{NAME}') decorates TinyNet) before loading, or pass the class: "
        f"trainwell.load('{path}', model=TinyNet)"
    )


@pytest.mark.usefixtures("registered")
def test_inputs_the_model_cannot_take_are_errors_that_say_so(tmp_path: Path) -> None:
    _, x, path = _classifier(tmp_path)
    predictor = trainwell.load(path)
    with pytest.raises(DataError, match=r"same number of rows \(first dimension\), got \(4, 5\), \(3, 5\)"):
        predictor.predict_proba((x[:4], x[:3]))
    with pytest.raises(DataError, match=r"inputs are batched \(first dimension = rows\): pass x\[None\]"):
        predictor.predict_proba(np.float32(1.0))
    with pytest.raises(DataError, match="the input cannot be read as a tensor"):
        predictor.predict_proba(np.array(["a", "b"]))
    # The model's own error is kept, with a note naming what was sent.
    with pytest.raises(RuntimeError) as caught:
        predictor.predict_proba(x[:4, :3])
    notes = getattr(caught.value, "__notes__", [])
    assert any(f"predicting with '{NAME}' on inputs (4, 3) float32" in note for note in notes)


def test_export_without_model_spec_says_how_to_register_the_architecture(tmp_path: Path) -> None:
    data = trainwell.tensor_data(torch.randn(20, 5), [0, 1] * 10, task="multiclass")
    learn = Learner(TinyNet(n_out=2), data, progress=False)
    with pytest.raises(ConfigError) as caught:
        learn.export(tmp_path / "model")
    message = str(caught.value)
    assert "\n" not in message
    assert "export needs to know how to rebuild the model (TinyNet)" in message
    assert "@register_model('tiny_net') (from trainwell.models)" in message
    assert "learn.model_spec = {'name': 'tiny_net', 'config': {...its keyword arguments}}" in message
    learn.model_spec = {"name": "not_registered_net", "config": {}}
    with pytest.raises(
        ConfigError, match="names the architecture 'not_registered_net', which is not registered"
    ):
        learn.export(tmp_path / "model")
    learn.model_spec = {"name": "tabular_mlp"}
    with pytest.raises(ConfigError, match=r"learn\.model_spec must be \{'name'"):
        learn.export(tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_export_of_a_plain_sequential_says_to_register_a_function_that_builds_its_layers(
    tmp_path: Path,
) -> None:
    """``nn.Sequential(**config)`` cannot rebuild a Sequential: the hint names a builder of its layers, and
    ``learn.save`` for the weights alone."""
    data = trainwell.tensor_data(torch.randn(20, 5), [0, 1] * 10, task="multiclass")
    learn = Learner(nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2)), data, progress=False)
    with pytest.raises(ConfigError) as caught:
        learn.export(tmp_path / "model")
    message = str(caught.value)
    assert "\n" not in message
    assert "rebuild the model (Sequential)" in message
    assert (
        "@register_model('my_net') (from trainwell.models) on def my_net(width=64): return nn.Sequential("
        in message
    )
    assert "Sequential(**config)" not in message
    assert "learn.save('name') keeps the weights alone" in message
    assert not (tmp_path / "model").exists()


@pytest.mark.usefixtures("registered")
def test_onnx_export_of_your_own_model_is_checked_on_the_tensors_given(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from trainwell.export.onnx import export_onnx

    learn, _, path = _classifier(tmp_path)
    valid_x = learn.data.valid.tensors[0]  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"export_onnx\('.*', inputs=x_valid\)"):
        export_onnx(path)  # no example tensors: nothing to trace with
    report = export_onnx(path, inputs=valid_x.numpy())
    assert (report.application, report.input_names, report.n_rows_checked) == (
        "generic",
        ["input"],
        len(valid_x),
    )
    assert report.max_scaled_diff <= 1e-4 and not report.synthetic
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    three = valid_x[:3].numpy()  # the batch axis is free: another number of rows than traced
    logits = session.run(["logits"], {"input": three})[0]
    expected, _ = learn.get_preds()
    np.testing.assert_allclose(
        torch.softmax(torch.from_numpy(logits), 1).numpy(), expected[:3].numpy(), atol=1e-5
    )
    assert trainwell.export.read_metadata(path)["onnx"]["checked_on"] == "given rows"


@pytest.mark.usefixtures("registered")
def test_onnx_export_of_a_model_of_two_inputs_names_them_in_order(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from trainwell.export.onnx import export_onnx

    trainwell.seed_everything(0)
    x_cont, x_cat = torch.randn(40, 3), torch.randint(0, 4, (40,))
    data = DataBundle(
        Task("regression"), TensorLoader((x_cont, x_cat, x_cont.sum(1, keepdim=True)), 16), None
    )
    learn = Learner(TwoInputs(), data, progress=False)
    learn.model_spec = {"name": TWO_INPUTS, "config": {}}
    path = learn.export(tmp_path / "two")
    report = export_onnx(path, inputs=(x_cont, x_cat))
    assert report.input_names == ["input_0", "input_1"] and report.max_scaled_diff <= 1e-4
    with pytest.raises(DataError, match="same number of rows"):
        export_onnx(path, inputs=(x_cont, x_cat[:5]))


@pytest.mark.usefixtures("registered")
def test_create_model_records_the_spec_and_a_wrong_spec_is_refused_at_export(tmp_path: Path) -> None:
    # The spec had to be typed again by hand, and a wrong one (width 32 for 16) was exported, then refused by
    # trainwell.load ("9 weights of another shape ... restore the directory").
    trainwell.seed_everything(0)
    x = torch.randn(60, 5)
    data = trainwell.tensor_data(x, (x[:, 0] > 0).long(), task="binary", batch_size=16)
    learn = Learner(trainwell.create_model(NAME, width=4, n_out=1), data, progress=False)
    assert learn.model_spec == {"name": NAME, "config": {"width": 4, "n_out": 1}}
    learn.fit(1)
    assert isinstance(trainwell.load(learn.export(tmp_path / "model")), GenericPredictor)
    learn.model_spec = {"name": NAME, "config": {"width": 32, "n_out": 1}}
    with pytest.raises(
        ConfigError,
        match=r"builds another model than the one trained: 3 weight\(s\) differ, e\.g\. 'hidden\.weight' "
        r"\(\(4, 5\) in the model, \(32, 5\) as the spec builds it\)",
    ):
        learn.export(tmp_path / "wrong")
    assert not (tmp_path / "wrong").exists()
    learn.model_spec = {"name": NAME, "config": {"depth": 3}}
    with pytest.raises(ConfigError, match=r"config does not build 'test_generic_tiny_net' \(TypeError: "):
        learn.export(tmp_path / "wrong")
