"""Occlusion maps find the pixels a model really looks at."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.interpret import occlusion_map, plot_occlusion


class TopLeftDetector(nn.Module):
    """Class 1 when the top-left 8x8 corner is bright; it ignores every other pixel."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x
        corner = x[:, :, :8, :8].mean(dim=(1, 2, 3))
        logit = self.scale * (corner - 0.5)
        return torch.stack([-logit, logit], dim=1)


class Holder:
    def __init__(self) -> None:
        self.model = TopLeftDetector()
        self.task = Task("multiclass", ("dark", "bright"), ("label",))


def test_the_heat_is_where_the_model_looks() -> None:
    image = torch.ones(3, 32, 32)
    result = occlusion_map(Holder(), image, patch=8, stride=4)
    assert result.target == 1 and result.label == "bright" and result.probability > 0.99
    inside = result.heat[:8, :8].mean()
    outside = result.heat[16:, 16:].abs().max()
    assert inside > 0.2 and outside == 0


def test_uint8_images_binary_tasks_and_plain_models() -> None:
    image = torch.full((1, 24, 24), 255, dtype=torch.uint8)
    plain = occlusion_map(TopLeftDetector(), image, patch=6)
    assert plain.heat.shape == (24, 24) and plain.target == 1

    class Binary(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return TopLeftDetector()(x)[:, 1:]

    holder = Holder()
    holder.model = Binary()  # type: ignore[assignment]
    holder.task = Task("binary", ("dark", "bright"), ("label",))
    binary = occlusion_map(holder, image, patch=6)
    assert binary.target == 1 and binary.heat[:6, :6].mean() > 0


def test_plot_writes_a_png(tmp_path: Path) -> None:
    maps = [occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4) for _ in range(2)]
    data = plot_occlusion(maps, tmp_path / "occlusion.png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(tmp_path / "occlusion.png") as picture:
        assert picture.size[1] > picture.size[0] * 0.8


def test_each_map_says_the_change_its_full_colour_stands_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each map is scaled to its own strongest patch: without the figure, a patch moving p by 0.001 looked
    # as decisive as one moving it by 0.9, and blue (evidence against) was not explained.
    import matplotlib.pyplot as plt

    result = occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4)
    strongest = float(result.heat.abs().max())
    drawn: list[object] = []
    monkeypatch.setattr(plt, "close", drawn.append)
    plot_occlusion([result], tmp_path / "occlusion.png")
    title = drawn[0].axes[1].get_title().replace("\n", " ")  # type: ignore[attr-defined]
    assert f"red: for '{result.label}', blue: against; full colour: p moves {strongest:.2g}" == title


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="one image"):
        occlusion_map(Holder(), torch.ones(2, 3, 8, 8))
    with pytest.raises(ConfigError, match="must fit"):
        occlusion_map(Holder(), torch.ones(3, 8, 8), patch=20)


def test_a_learner_of_another_application_is_refused_in_one_line() -> None:
    from types import SimpleNamespace

    from trainwell.core.errors import ConfigError

    table_learner = SimpleNamespace(
        model=TopLeftDetector(), task=Holder().task, data=SimpleNamespace(application="tabular")
    )
    with pytest.raises(
        ConfigError, match="occlusion_map explains an image model's predictions; this learner is a tabular"
    ):
        occlusion_map(table_learner, torch.ones(3, 32, 32))


def test_many_maps_are_laid_out_three_pairs_a_row(tmp_path: Path) -> None:
    # Ten maps were one column of pairs: a strip 2,300 pixels high using a third of the page's width.
    maps = [occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4) for _ in range(7)]
    plot_occlusion(maps, tmp_path / "occlusion.png", titles=[f"image {i}" for i in range(7)])
    with Image.open(tmp_path / "occlusion.png") as picture:
        width, height = picture.size
    assert width > height  # 3 rows of up to 3 pairs
    assert width > 3 * 200 and height < 3 * 260
