"""occlusion_maps: several images' maps at once, each the map occlusion_map draws of it alone, with the
occluded copies of every image sharing forward passes."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.interpret.occlusion import occlusion_map, occlusion_maps


class Quadrants(nn.Module):
    """Four classes, one per quadrant: each logit is its quadrant's brightness; it counts the images it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(8.0))
        self.passes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.passes.append(len(x))
        half = x.shape[-1] // 2
        quadrants = [x[..., :half, :half], x[..., :half, half:], x[..., half:, :half], x[..., half:, half:]]
        return self.scale * torch.stack([q.mean(dim=(1, 2, 3)) for q in quadrants], dim=1)


class Holder:
    def __init__(self) -> None:
        self.model = Quadrants()
        self.task = Task("multiclass", ("tl", "tr", "bl", "br"), ("label",))


def _images(n: int, side: int = 16) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(3, side, side, generator=generator) for _ in range(n)]


def test_each_map_is_the_one_occlusion_map_draws_of_its_image_alone() -> None:
    holder, images = Holder(), _images(5)
    targets = [None, 2, None, 0, 3]
    together = occlusion_maps(holder, images, targets=targets, patch=4, stride=2)
    for image, target, map_ in zip(images, targets, together, strict=True):
        alone = occlusion_map(holder, image, target=target, patch=4, stride=2)
        assert map_.target == alone.target and map_.label == alone.label
        assert map_.probability == pytest.approx(alone.probability, abs=1e-6)
        assert torch.allclose(map_.heat, alone.heat, atol=1e-6)
        assert torch.equal(map_.image, alone.image)
    assert [m.target for m in together][1:2] == [2]  # a target given is the one explained


def test_the_copies_of_every_image_share_forward_passes() -> None:
    holder, images = Holder(), _images(10)
    occlusion_maps(holder, images, patch=4, stride=2)  # 7 x 7 = 49 positions an image: 490 copies
    # The whole images in one pass, then the 490 copies in one more (before: 10 + 10 passes).
    assert holder.model.passes == [10, 490]
    holder.model.passes.clear()
    occlusion_maps(holder, images, patch=4, stride=2, batch_size=128)
    assert holder.model.passes == [10, 128, 128, 128, 106]
    holder.model.passes.clear()
    occlusion_map(holder, images[0], patch=4, stride=2)
    assert holder.model.passes == [1, 49]


def test_images_of_other_shapes_are_explained_each_in_passes_of_its_own() -> None:
    holder = Holder()
    small, large = _images(2, 16), _images(1, 24)
    maps = occlusion_maps(holder, [small[0], large[0], small[1]], patch=4, stride=4)
    assert [tuple(m.heat.shape) for m in maps] == [(16, 16), (24, 24), (16, 16)]
    assert sorted(holder.model.passes) == sorted([2, 1, 2 * 16, 36])
    assert math.isclose(
        maps[1].probability, occlusion_map(Holder(), large[0], patch=4).probability, abs_tol=1e-6
    )


def test_one_target_per_image() -> None:
    with pytest.raises(ConfigError, match=r"occlusion_maps: 2 images but 1 targets; give one per image"):
        occlusion_maps(Holder(), _images(2), targets=[1])
    assert occlusion_maps(Holder(), []) == []
