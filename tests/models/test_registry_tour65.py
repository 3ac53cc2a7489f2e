"""Own architectures registered on the class itself, and configs that trainwell.json cannot hold (tour 65).

``@register_model("name")`` on an ``nn.Module`` class makes an instance built directly (``MyMLP(32)``) remember
its keywords as ``create_model`` does, so a Learner exports it and ``trainwell.load`` rebuilds it. A keyword JSON
cannot hold (``act=nn.GELU``) is said when the model is built, not after its training, at export."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

import trainwell
from trainwell import ArtifactError, Learner
from trainwell.export import GenericPredictor
from trainwell.models import create_model, register_model
from trainwell.models.registry import NotExportable, models

NAME = "test_tour65_mlp"
ACT_NAME = "test_tour65_act_mlp"


def _mlp_class() -> type[nn.Module]:
    class MyMLP(nn.Module):
        def __init__(self, width: int = 8, n_in: int = 6) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

    return MyMLP


@pytest.fixture
def my_mlp() -> Iterator[type[nn.Module]]:
    """A class decorated as a user's module would, its registration removed after the test."""
    cls = register_model(NAME)(_mlp_class())
    yield cls  # type: ignore[misc]
    models._entries.pop(NAME, None)


@pytest.fixture
def act_mlp() -> Iterator[type[nn.Module]]:
    @register_model(ACT_NAME)
    class ActMLP(nn.Module):
        def __init__(self, act: type[nn.Module] = nn.ReLU, width: int = 8) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(6, width), act(), nn.Linear(width, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

    yield ActMLP
    models._entries.pop(ACT_NAME, None)


def _data() -> trainwell.DataBundle:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 6, generator=g)
    return trainwell.tensor_data(x, (x[:, 0] > 0).long())


def test_a_registered_class_built_directly_exports_and_loads_back(
    my_mlp: type[nn.Module], tmp_path: Path
) -> None:
    trainwell.seed_everything(0)
    learn = Learner(my_mlp(32, n_in=6), _data(), progress=False, device="cpu")  # positional width too
    assert learn.model_spec == {"name": NAME, "config": {"width": 32, "n_in": 6}}
    learn.fit(1)
    learn.export(tmp_path / "model")
    recorded = json.loads((tmp_path / "model" / "trainwell.json").read_text())["architecture"]
    assert (recorded["name"], recorded["config"]) == (NAME, {"width": 32, "n_in": 6})

    predictor = trainwell.load(tmp_path / "model")
    assert isinstance(predictor, GenericPredictor)
    assert predictor.model.net[0].out_features == 32
    x_new = torch.randn(5, 6)
    expected = torch.sigmoid(learn.model.eval()(x_new)).squeeze(-1).detach()
    torch.testing.assert_close(predictor.predict_proba(x_new), expected)


def test_only_the_registered_class_itself_records_its_keywords(my_mlp: type[nn.Module]) -> None:
    class Wider(my_mlp):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(width=64)

    # a subclass is another model: the registered name would rebuild its parent
    assert getattr(Wider(), "trainwell_model_spec", None) is None
    models._entries.pop(NAME)  # a registration that is gone names nothing
    assert getattr(my_mlp(width=4), "trainwell_model_spec", None) is None


def test_create_model_warns_at_once_of_a_config_json_cannot_hold(act_mlp: type[nn.Module]) -> None:
    with pytest.warns(NotExportable) as caught:
        model = create_model(ACT_NAME, act=nn.GELU, width=16)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert caught[0].filename == __file__  # the user's line, not trainwell's
    assert "\n" not in message
    assert f"create_model('{ACT_NAME}', ...)" in message
    assert "act is the class GELU, which trainwell.json cannot hold" in message
    assert "act='gelu'" in message
    # in memory it is a model as any other: it trains
    learn = Learner(model, _data(), progress=False, device="cpu")
    learn.fit(1)
    assert learn.get_preds()[0].shape == (24,)


def test_a_registered_class_built_directly_with_such_a_config_warns_too(act_mlp: type[nn.Module]) -> None:
    with pytest.warns(NotExportable, match=r"ActMLP\(\.\.\.\) \(registered as 'test_tour65_act_mlp'\)"):
        model = act_mlp(act=nn.Tanh)
    # its keywords are not recorded: the Learner's predictor in memory holds a copy of the model itself
    learn = Learner(model, _data(), progress=False, device="cpu")
    assert learn.model_spec is None
    learn.fit(1)
    assert len(learn.predict(torch.randn(3, 6))) == 3


def test_a_config_json_can_hold_warns_nothing_and_export_refuses_the_other_without_repeating(
    act_mlp: type[nn.Module], tmp_path: Path
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotExportable)
        create_model(ACT_NAME, width=4)
        act_mlp(width=4)
    with pytest.warns(NotExportable):
        learn = Learner(create_model(ACT_NAME, act=nn.GELU), _data(), progress=False, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotExportable)  # export's own rebuild says nothing twice
        with pytest.raises((ArtifactError, trainwell.ConfigError), match="act"):
            learn.export(tmp_path / "model")
    assert not (tmp_path / "model").exists()
