"""Registry, seeding and device selection."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from trainwell.core import (
    ConfigError,
    Registry,
    get_rng_states,
    resolve_device,
    seed_everything,
    set_rng_states,
)
from trainwell.core.errors import UserError


def test_registry_register_get_and_list() -> None:
    things: Registry[object] = Registry("widget")

    @things.register("round", shape="circle")
    def make_round() -> str:
        return "o"

    things.add("square", lambda: "[]")
    assert things.get("round")() == "o"
    assert things.entry("round").metadata == {"shape": "circle"}
    assert things.names() == ["round", "square"]
    assert things.names("sq*") == ["square"]
    assert "round" in things and len(things) == 2
    with pytest.raises(ConfigError, match=r"unknown widget 'hexagon'; known: round, square"):
        things.get("hexagon")
    with pytest.raises(ValueError, match=r"'round' is already registered \(by test_core.*make_round\)"):
        things.add("round", lambda: "O")

    # The same definition run again (a notebook cell re-run) replaces the first instead of clashing with it
    @things.register("round", shape="circle")
    def make_round() -> str:  # noqa: F811
        return "O"

    assert things.get("round")() == "O"


def test_user_errors_are_value_errors() -> None:
    # Callers that catch ValueError keep working; the CLI catches UserError.
    assert issubclass(ConfigError, UserError) and issubclass(ConfigError, ValueError)


def test_seed_everything_makes_all_generators_repeat() -> None:
    seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_rng_states_round_trip_through_a_weights_only_load(tmp_path) -> None:
    seed_everything(3)
    states = get_rng_states()
    torch.save(states, tmp_path / "rng.pt")
    expected = (random.random(), np.random.rand(), torch.rand(2))
    restored = torch.load(tmp_path / "rng.pt", weights_only=True)
    set_rng_states(restored)
    got = (random.random(), np.random.rand(), torch.rand(2))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None).type in ("cpu", "cuda", "mps")
    with pytest.raises(ConfigError, match="is not a device name"):
        resolve_device("gpu-please")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda")


@pytest.mark.parametrize("seed", [-1, 2**32, True, 1.5, "7"])
def test_a_seed_no_generator_takes_is_a_clear_error(seed: object) -> None:
    from trainwell.core.seeding import seed_everything

    with pytest.raises(ConfigError, match="seed must be a whole number from 0 to 4294967295"):
        seed_everything(seed)  # type: ignore[arg-type]
