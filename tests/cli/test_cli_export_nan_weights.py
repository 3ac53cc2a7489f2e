"""``export`` refuses weights that hold NaN or infinite values for every kind of model, naming the tensor, before
it traces anything: a tagger's and a language model's had been exported and recorded as checked (a NaN row of a
tagger's casing embedding that the synthetic sentences never read; a language model's NaN outputs agreeing with
onnxruntime's, "max difference inf" within tolerance)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from cli_support import run_cli
from safetensors.torch import load_file, save_file

from tagging_samples import export_small_tagger
from text_samples import stories
from trainwell.core.errors import ArtifactError
from trainwell.export._checks import refuse_not_finite_weights
from trainwell.text.lm_learner import fit_language_model

pytest.importorskip("onnxruntime", reason="ONNX export is an optional extra: pip install 'trainwell[onnx]'")
from trainwell.export.onnx import export_onnx

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:the model's perplexity")]


def _damaged(source: Path, target: Path, name: str, value: float) -> Path:
    """A copy of the model directory ``source`` with the first value of tensor ``name`` set to ``value``."""
    shutil.copytree(source, target)
    weights = load_file(target / "model.safetensors")
    weights[name] = weights[name].clone()
    weights[name].view(-1)[0] = value
    save_file(weights, target / "model.safetensors", metadata={"format": "pt"})
    return target


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("kinds")
    lm = folder / "lm"
    fit_language_model(stories(120), out=lm, epochs=1, lr=1e-2, progress=False, batch_size=8, bptt=12, min_freq=1,
                       learner_kwargs={"emb_size": 8, "hidden_size": 12, "n_layers": 1})  # fmt: skip
    return {"tagger": export_small_tagger(folder), "lm": lm}


@pytest.mark.parametrize(
    ("kind", "tensor", "value"),
    [("tagger", "casing_embedding.weight", float("nan")), ("lm", "decoder.bias", float("inf"))],
)
def test_a_tagger_and_a_language_model_with_damaged_weights_are_refused(
    models: dict[str, Path], tmp_path: Path, kind: str, tensor: str, value: float
) -> None:
    broken = _damaged(models[kind], tmp_path / kind, tensor, value)
    before = (broken / "trainwell.json").read_bytes()
    total = load_file(broken / "model.safetensors")[tensor].numel()
    with pytest.raises(ArtifactError) as caught:
        export_onnx(broken)
    assert str(caught.value) == (
        f"model directory '{broken}': its weights hold NaN or infinite values (1 of {total:,} in {tensor}), a "
        "damaged model.safetensors or a fit that diverged; restore the model directory or fit it again; nothing "
        "was written"
    )
    assert not (broken / "model.onnx").exists()
    assert (broken / "trainwell.json").read_bytes() == before


def test_the_command_says_it_in_one_line_with_exit_2(models: dict[str, Path], tmp_path: Path) -> None:
    broken = _damaged(models["tagger"], tmp_path / "tagger", "casing_embedding.weight", float("nan"))
    result = run_cli("export", broken)
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines == [
        f"error: model directory '{broken}': its weights hold NaN or infinite values (1 of 20 in "
        "casing_embedding.weight), a damaged model.safetensors or a fit that diverged; restore the model directory "
        "or fit it again; nothing was written"
    ]
    assert not (broken / "model.onnx").exists()


def test_the_check_names_at_most_three_tensors_and_passes_finite_weights() -> None:
    model = torch.nn.Sequential(*(torch.nn.Linear(2, 2) for _ in range(5)))
    refuse_not_finite_weights(model, "fine")  # nothing raised
    with torch.no_grad():
        for layer in model:
            layer.bias[0] = float("nan")
    with pytest.raises(ArtifactError) as caught:
        refuse_not_finite_weights(model, "m")
    assert "(1 of 2 in 0.bias; 1 of 2 in 1.bias; 1 of 2 in 2.bias; and 2 more tensors)" in str(caught.value)
