"""A torch.compile'd model's weights: learn.save, learn.load, checkpoints, SaveBest and export all use the original
module's keys, so each reads the others' files whether the model was compiled or not.

Tour 61 #2: save wrote '_orig_mod.'-prefixed keys while export stripped them, so a plain model refused a compiled
one's save ("holds the weights of another model") and a compiled learner refused its own export.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from trainwell.callbacks import Checkpoint, SaveBest
from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.models import create_model, models, register_model


def compiled_weights_net(width: int = 4) -> nn.Module:
    return nn.Sequential(nn.Linear(3, width), nn.ReLU(), nn.Linear(width, 1))


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """The architecture registered for these tests alone: registered at import, it joined the architecture
    contract's parameters wherever this module was collected first (the registry has no public removal)."""
    register_model("compiled_weights_net")(compiled_weights_net)
    yield
    models._entries.pop("compiled_weights_net", None)


def _data():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(48, 3, generator=generator)
    return tensor_data(x, x @ torch.tensor([1.0, -2.0, 0.5]), valid_pct=0.25, batch_size=16, seed=0)


def _learner(tmp_path: Path, compiled: bool) -> Learner:
    torch.manual_seed(0)
    model = create_model("compiled_weights_net")
    # eager: dynamo traces the model (the wrapper and its keys are torch.compile's), no C++ compiler needed
    chosen = torch.compile(model, backend="eager") if compiled else model
    return Learner(chosen, _data(), progress=False, device="cpu", path=tmp_path, lr=0.05)


def _weights(learn: Learner) -> dict[str, torch.Tensor]:
    model = getattr(learn.model, "_orig_mod", learn.model)
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def test_a_compiled_model_saves_the_plain_keys_and_each_side_loads_the_other(tmp_path: Path) -> None:
    compiled = _learner(tmp_path, compiled=True)
    with torch.no_grad():
        for param in compiled.model.parameters():
            param.add_(1.0)
    written = compiled.save("cw")
    assert sorted(load_file(str(written))) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    plain = _learner(tmp_path, compiled=False).load("cw")
    assert all(torch.equal(plain.model.state_dict()[k], v) for k, v in _weights(compiled).items())
    plain.save("plain")
    again = _learner(tmp_path, compiled=True).load("plain")
    assert all(torch.equal(_weights(again)[k], v) for k, v in _weights(compiled).items())
    # a compiled learner reads its own export's weights
    compiled.export(tmp_path / "model")
    exported = _learner(tmp_path, compiled=True).load(tmp_path / "model")
    assert all(torch.equal(_weights(exported)[k], v) for k, v in _weights(compiled).items())


def test_a_file_written_from_the_wrapper_still_loads(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    compiled = _learner(tmp_path, compiled=True)
    save_file(
        {k: v.contiguous() for k, v in compiled.model.state_dict().items()}, str(tmp_path / "old.safetensors")
    )
    assert all(key.startswith("_orig_mod.") for key in load_file(str(tmp_path / "old.safetensors")))
    _learner(tmp_path, compiled=False).load("old")


def test_a_compiled_part_left_is_named_in_the_refusal(tmp_path: Path) -> None:
    plain = _learner(tmp_path, compiled=False)
    plain.model[0] = torch.compile(
        plain.model[0], backend="eager"
    )  # one layer compiled: keys '0._orig_mod.weight'
    plain.save("part")
    with pytest.raises(ConfigError, match=r"torch\.compile'd part"):
        _learner(tmp_path, compiled=False).load("part")


def test_checkpoints_and_save_best_pass_between_compiled_and_plain(tmp_path: Path) -> None:
    straight = _learner(tmp_path, compiled=False)
    straight.fit(3)
    compiled = _learner(tmp_path, compiled=True)
    best = SaveBest(path="best.safetensors")
    compiled.fit(3, callbacks=[Checkpoint("ck.pt", every_epoch=True), best])
    assert all(not key.startswith("_orig_mod.") for key in load_file(str(tmp_path / "best.safetensors")))
    checkpoint = torch.load(tmp_path / "ck.pt", weights_only=True)
    assert all(not key.startswith("_orig_mod.") for key in checkpoint["model"])
    _learner(tmp_path, compiled=False).load("best")
    # resumed on the plain model from the compiled fit's last checkpoint: nothing left to run, its weights
    resumed = _learner(tmp_path, compiled=False)
    resumed.fit(3, resume_from="ck.pt")
    assert all(torch.equal(_weights(resumed)[k], v) for k, v in _weights(compiled).items())
