"""split_param_groups and discriminative_lrs."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.optim import create_optimizer, discriminative_lrs, split_param_groups


class Scaled(nn.Module):
    """A custom module with a 1-D parameter that is neither a bias nor in a norm layer."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(8))
        self.proj = nn.Linear(8, 8, bias=False)


def make_layer_groups() -> tuple[list[nn.Module], dict[str, set[int]]]:
    torch.manual_seed(0)
    embedding = nn.Embedding(10, 4)
    body = nn.Sequential(embedding, nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.LayerNorm(8))
    middle = nn.Sequential(Scaled(), nn.GroupNorm(2, 8), nn.InstanceNorm1d(8, affine=True))
    activations_only = nn.Sequential(nn.ReLU())
    head = nn.Linear(8, 3)
    tied = nn.Linear(4, 10, bias=False)
    tied.weight = embedding.weight  # shared with the body: must appear once, in layer group 0
    head_group = nn.ModuleList([head, tied])
    body[1].bias.requires_grad_(False)  # frozen params stay in the optimizer
    expected = {
        "group0_decay": {id(embedding.weight), id(body[1].weight)},
        "group0_no_decay": {id(body[1].bias), *map(id, body[2].parameters()), *map(id, body[4].parameters())},
        "group1_decay": {id(middle[0].proj.weight)},
        "group1_no_decay": {
            id(middle[0].scale),
            *map(id, middle[1].parameters()),
            *map(id, middle[2].parameters()),
        },
        "group3_decay": {id(head.weight)},
        "group3_no_decay": {id(head.bias)},
    }
    return [body, middle, activations_only, head_group], expected


def test_split_assigns_decay_by_kind_and_covers_each_param_once() -> None:
    layer_groups, expected = make_layer_groups()
    groups = split_param_groups(layer_groups, weight_decay=0.05)

    assert [g["name"] for g in groups] == list(expected)
    for group in groups:
        assert {id(p) for p in group["params"]} == expected[group["name"]]
        assert group["layer_group"] == int(group["name"][5])
        assert group["weight_decay"] == (0.0 if group["name"].endswith("no_decay") else 0.05)
    all_ids = [id(p) for group in groups for p in group["params"]]
    model_ids = {id(p) for module in layer_groups for p in module.parameters()}
    assert len(all_ids) == len(set(all_ids)) == len(model_ids)
    assert set(all_ids) == model_ids


def test_single_module_is_one_layer_group() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
    groups = split_param_groups(model, 0.01)
    assert [(g["name"], g["layer_group"], len(g["params"])) for g in groups] == [
        ("group0_decay", 0, 2),
        ("group0_no_decay", 0, 4),
    ]


def test_weight_decay_only_shrinks_the_decay_group() -> None:
    """With zero gradients, AdamW's only change is p *= 1 - lr * wd, so no-decay params must not move."""
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for name in ("adamw", "adabelief"):
        optimizer = create_optimizer(name, split_param_groups(model, 0.5), lr=0.1)
        for p in model.parameters():
            p.grad = torch.zeros_like(p)
        optimizer.step()
    after = dict(model.named_parameters())
    torch.testing.assert_close(after["0.weight"].detach(), before["0.weight"] * (1 - 0.1 * 0.5) ** 2)
    for name in ("0.bias", "1.weight", "1.bias"):
        assert torch.equal(after[name].detach(), before[name])


def test_split_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="weight_decay must be a finite number >= 0, got -1"):
        split_param_groups(nn.Linear(2, 2), -1)
    with pytest.raises(ConfigError, match=r"layer_groups\[1\] must be an nn.Module, got str"):
        split_param_groups([nn.Linear(2, 2), "head"], 0.1)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="layer_groups hold no parameters"):
        split_param_groups([nn.ReLU()], 0.1)
    with pytest.raises(ConfigError, match="layer_groups is empty"):
        split_param_groups([], 0.1)


def test_discriminative_lrs_number_and_sequence() -> None:
    assert discriminative_lrs(0.01, 3) == [0.01, 0.01, 0.01]
    assert discriminative_lrs([1e-4, 1e-3], 2) == [1e-4, 1e-3]
    with pytest.raises(ConfigError, match="lr has 2 values but the model has 3 layer groups"):
        discriminative_lrs([1e-4, 1e-3], 3)
    with pytest.raises(ConfigError, match=r"lr must be a finite number > 0, got -0\.1"):
        discriminative_lrs(-0.1, 2)


def test_discriminative_lrs_geometric_slice() -> None:
    values = discriminative_lrs(slice(1e-5, 1e-1), 5)
    assert values[0] == 1e-5 and values[-1] == 1e-1
    assert values == pytest.approx([1e-5, 1e-4, 1e-3, 1e-2, 1e-1], rel=1e-12)
    ratios = [b / a for a, b in itertools.pairwise(values)]
    assert ratios == pytest.approx([10.0] * 4, rel=1e-12)
    assert discriminative_lrs(slice(1e-5, 1e-3), 1) == [1e-3]
    # Three groups from 1e-6 to 4e-6: the middle is the geometric mean, 2e-6.
    assert discriminative_lrs(slice(1e-6, 4e-6), 3)[1] == pytest.approx(math.sqrt(1e-6 * 4e-6), rel=1e-12)


def test_discriminative_lrs_open_slice() -> None:
    assert discriminative_lrs(slice(None, 1e-3), 3) == pytest.approx([1e-4, 1e-4, 1e-3], rel=1e-15)
    assert discriminative_lrs(slice(None, 1e-3), 1) == [1e-3]
    with pytest.raises(ConfigError, match="lr slice must be slice"):
        discriminative_lrs(slice(1e-5, None), 2)
    with pytest.raises(ConfigError, match="n_groups must be an integer >= 1, got 0"):
        discriminative_lrs(0.1, 0)
