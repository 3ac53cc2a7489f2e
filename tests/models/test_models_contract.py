"""Every registered architecture passes the same contract: built from a JSON config, it runs forward and
backward, its layer groups cover every parameter exactly once, and its weights survive an artifact round trip."""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pytest
import torch

import trainwell.tabular  # noqa: F401  (registers the tabular architectures)
from trainwell.collab.ease import EASEModel
from trainwell.core.artifact import read_artifact, save_artifact
from trainwell.models import create_model, list_models, models

# A small config per application; a new architecture must add its example here to be tested.
EXAMPLE_INPUTS = {
    "tabular": lambda: (
        {"cardinalities": [4, 3, 3], "n_cont": 5, "n_out": 2},
        (torch.randint(0, 3, (8, 3)), torch.randn(8, 5)),
    ),
    "vision": lambda: ({"n_out": 2, "in_channels": 3}, (torch.rand(8, 3, 32, 32),)),
    "collab": lambda: (
        {"n_users": 6, "n_items": 5, "n_out": 1, "y_range": [0.5, 5.5]},
        (torch.stack([torch.randint(1, 6, (8,)), torch.randint(1, 5, (8,))], dim=1), torch.zeros(8, 0)),
    ),
}
# Architectures whose config differs from their application's example.
EXAMPLE_BY_NAME = {
    "image_classifier": lambda: (
        {
            "arch": "simple_cnn",
            "arch_config": {"n_out": 2, "in_channels": 3},
            "mean": [0.5, 0.5, 0.5],
            "std": [0.25, 0.25, 0.25],
        },
        (torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8),),
    ),
}
EXAMPLE_BY_NAME["ngram_bag"] = lambda: (
    {"n_embeddings": 100, "n_out": 2},
    (torch.randint(0, 100, (40,)), torch.arange(0, 40, 5)),
)
EXAMPLE_BY_NAME["awd_lstm_lm"] = lambda: (
    {"vocab_size": 50, "emb_size": 8, "hidden_size": 16, "n_layers": 2},
    (torch.randint(0, 50, (8, 5)),),
)
EXAMPLE_BY_NAME["awd_lstm"] = lambda: (
    {"n_embeddings": 50, "n_out": 2, "emb_size": 8, "hidden_size": 16, "n_layers": 2},
    (torch.randint(2, 50, (8, 6)),),
)
EXAMPLE_INPUTS["tagging"] = lambda: (
    {
        "n_words": 30,
        "n_chars": 20,
        "n_out": 5,
        "classes": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
        "word_dim": 8,
        "char_dim": 4,
        "char_filters": 4,
        "casing_dim": 2,
        "hidden": 8,
    },
    (
        torch.tensor(
            [[5, 6, 7, 8, 9, 10]] * 6 + [[5, 6, 7, 1, 1, 1]] * 2
        ),  # two shorter sentences (pad id 1)
        torch.randint(1, 9, (8, 6)),
        torch.randint(2, 20, (8, 6, 4)),
    ),
)
EXAMPLE_BY_NAME["ease"] = lambda: (
    {"n_users": 6, "n_items": 5, "n_interactions": 12, "lam": 2.0, "n_out": 1},
    (torch.stack([torch.randint(0, 6, (8,)), torch.randint(0, 5, (8,))], dim=1), torch.zeros(8, 0)),
)


@functools.cache
def _fitted_trees() -> tuple[torch.nn.Module, dict]:
    """Boosted trees on 200 rows of two categorical and three continuous inputs (the tabular example's)."""
    from trainwell.data import tensor_data
    from trainwell.data.bundle import DataBundle
    from trainwell.data.loader import TensorLoader
    from trainwell.tabular.gbdt import fit_trees

    generator = torch.Generator().manual_seed(0)
    x_cat = torch.stack(
        [torch.randint(0, 5, (200,), generator=generator), torch.randint(0, 3, (200,), generator=generator)],
        1,
    )
    x_cont = torch.randn(200, 3, generator=generator)
    y = (x_cont[:, 0] + (x_cat[:, 0] == 2) > 0).float().unsqueeze(1)
    task = tensor_data(x_cont, y.squeeze(1).long().numpy()).task
    hints = {"cardinalities": [5, 3], "n_cont": 3, "n_out": 1}
    data = DataBundle(task, TensorLoader((x_cat, x_cont, y), 50), None, model_hints=hints)
    return fit_trees(data, {"max_iter": 5, "early_stopping": False})


EXAMPLE_BY_NAME["gbdt"] = lambda: (_fitted_trees()[1], (torch.randint(0, 5, (8, 2)), torch.randn(8, 3)))
# Models fitted in closed form (``closed_form = True``): their state comes from this fit, not from gradients.
CLOSED_FORM_FIT = {
    "ease": lambda config: EASEModel.fit(
        np.repeat(np.arange(1, 6), 3)[:12], np.tile(np.arange(1, 5), 3), 6, 5, lam=2.0
    ),
    "gbdt": lambda config: _fitted_trees()[0],
}
# Output shape when it is not (batch, n_out).
EXPECTED_SHAPE = {"awd_lstm_lm": (8, 5, 50), "bilstm_crf": (8, 6, 5)}
# Models whose training loss involves parameters the forward pass does not use (a CRF's transitions).
TRAINING_LOSS = {
    "bilstm_crf": lambda model, output: model.loss(output, torch.randint(0, 5, output.shape[:2]))
}
# Wrappers of optional packages: tested when the package is installed.
OPTIONAL = {"timm_model": "timm", "torchvision_model": "torchvision"}


@pytest.mark.parametrize("name", list_models())
def test_architecture_contract(name: str, tmp_path) -> None:
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name], reason=f"{name} wraps the optional package {OPTIONAL[name]}")
        pytest.skip(f"{name} needs a model name; covered by the vision tests")
    application = models.entry(name).metadata.get("application")
    assert name in EXAMPLE_BY_NAME or application in EXAMPLE_INPUTS, (
        f"{name}: add an example input for application {application!r}"
    )
    config, inputs = (EXAMPLE_BY_NAME.get(name) or EXAMPLE_INPUTS[application])()
    config = json.loads(json.dumps(config))  # the config must be plain JSON
    torch.manual_seed(0)
    model = create_model(name, **config)
    closed_form = getattr(model, "closed_form", False)
    if closed_form:
        fitted = CLOSED_FORM_FIT[name](config)
        model.load_state_dict(fitted.state_dict())  # the config rebuilds exactly the fitted model's shapes
    output = model(*inputs)
    if name in EXPECTED_SHAPE:
        assert tuple(output.shape) == EXPECTED_SHAPE[name]
    else:
        n_out = config["n_out"] if "n_out" in config else config["arch_config"]["n_out"]
        assert output.shape == (8, n_out)
    if closed_form:  # nothing for an optimizer to move
        assert not any(p.requires_grad for p in model.parameters())
    else:
        loss = TRAINING_LOSS[name](model, output) if name in TRAINING_LOSS else output.sum()
        loss.backward()
        assert all(p.grad is not None for p in model.parameters() if p.requires_grad)

    groups = model.layer_groups()
    grouped = [id(p) for group in groups for p in group.parameters()]
    assert len(grouped) == len(set(grouped)), "a parameter appears in two layer groups"
    assert set(grouped) == {id(p) for p in model.parameters()}, "layer groups miss parameters"

    save_artifact(tmp_path / "m", model.state_dict(), {"architecture": {"name": name, "config": config}})
    metadata, state = read_artifact(tmp_path / "m")
    rebuilt = create_model(metadata["architecture"]["name"], **metadata["architecture"]["config"])
    rebuilt.load_state_dict(state)
    model.eval()
    rebuilt.eval()
    for stateful in (model, rebuilt):  # recurrent models carry hidden state between calls
        reset = getattr(stateful, "reset", None)
        if callable(reset):
            reset()
    with torch.no_grad():
        assert torch.equal(model(*inputs), rebuilt(*inputs))


def test_tabular_mlp_regression_output_scale() -> None:
    model = create_model(
        "tabular_mlp", cardinalities=[3], n_cont=1, n_out=1, target_mean=[100.0], target_std=[5.0]
    )
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    model.eval()
    out = model(torch.zeros(4, 1, dtype=torch.long), torch.zeros(4, 1))
    assert torch.allclose(out, torch.full((4, 1), 100.0))


def test_unknown_architecture_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown architecture 'nope'; known: .*tabular_mlp"):
        create_model("nope")


# Architectures exported through another module than the model itself, each tested by its application's
# export (a tagger's scoring part, since packed sequences do not trace; a language model's stepping graph).
EXPORTED_OTHERWISE = {
    "bilstm_crf": "tests/text/test_tagging_onnx.py",
    "awd_lstm_lm": "tests/text/test_lm_onnx.py",
}
# Architectures that declare more than they strictly need, and why (the opset below works too).
DECLARED_WITH_MARGIN = {
    "gbdt": "12 since the walk compared with LessOrEqual; it compares with Greater now, which opset 11 has"
}


@pytest.mark.parametrize("name", list_models())
def test_architecture_exports_to_onnx_from_the_opset_it_declares(name: str, tmp_path) -> None:
    """An export at the model's ``min_opset`` (9 unless declared) loads and runs in onnxruntime and one at the
    opset below fails: so ``trainwell export --opset`` below it is refused in one line, never a traceback."""
    ort = pytest.importorskip("onnxruntime", reason="ONNX export is an optional extra")
    if name in OPTIONAL:
        pytest.skip(f"{name} needs a model name; covered by the vision tests")
    if name in EXPORTED_OTHERWISE:
        pytest.skip(f"{name} is exported through another module: {EXPORTED_OTHERWISE[name]}")
    config, inputs = (
        EXAMPLE_BY_NAME.get(name) or EXAMPLE_INPUTS[models.entry(name).metadata["application"]]
    )()
    torch.manual_seed(0)
    model = create_model(name, **config)
    if getattr(model, "closed_form", False):
        model.load_state_dict(CLOSED_FORM_FIT[name](config).state_dict())
    traceable = getattr(model, "onnx_module", None)
    exported = (traceable() if callable(traceable) else model).eval()
    needed = getattr(model, "min_opset", 9)
    names = [f"input{index}" for index in range(len(inputs))]

    with torch.no_grad():
        expected = exported(*inputs).numpy()

    def export(opset: int) -> np.ndarray:
        path = tmp_path / f"opset{opset}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(exported, inputs, str(path), dynamo=False, opset_version=opset, input_names=names,
                              output_names=["out"], dynamic_axes={n: {0: f"{n}_rows"} for n in names})  # fmt: skip
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        wanted = {item.name for item in session.get_inputs()}  # an input never read is left out
        feed = {n: x.numpy() for n, x in zip(names, inputs, strict=True) if n in wanted}
        return session.run(None, feed)[0]

    assert np.allclose(export(needed), expected, atol=1e-5, equal_nan=True)
    if (
        needed > 9 and name not in DECLARED_WITH_MARGIN
    ):  # below it the exporter refuses, onnxruntime rejects the graph, or the answers differ
        try:
            below = export(needed - 1)
        except Exception:
            return
        assert not np.allclose(below, expected, atol=1e-5, equal_nan=True), (
            f"{name} exports at opset {needed - 1}"
        )
