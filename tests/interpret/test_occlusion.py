"""Occlusion maps find the pixels a model really looks at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    image = torch.zeros(3, 32, 32)
    image[:, :10, :10] = 1  # bright where the model looks, on black: covered with the image's own mean
    result = occlusion_map(Holder(), image, patch=8, stride=4)
    assert result.target == 1 and result.label == "bright" and result.probability > 0.99
    inside = result.heat[:8, :8].mean()
    outside = result.heat[16:, 16:].abs().max()
    assert inside > 0.2 and outside == 0


def test_uint8_images_binary_tasks_and_plain_models() -> None:
    image = torch.zeros((1, 24, 24), dtype=torch.uint8)
    image[:, :8, :8] = 255
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
    written = plot_occlusion(maps, tmp_path / "occlusion.png")
    assert written == tmp_path / "occlusion.png" and written.png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(tmp_path / "occlusion.png") as picture:
        assert picture.size[1] > picture.size[0] * 0.8


def test_each_map_says_in_words_what_covering_its_deepest_colour_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each map is scaled to its own strongest patch: without the figure, a patch moving p by 0.001 looked
    # as decisive as one moving it by 0.9, and blue (evidence against) was not explained. Its caption was
    # "'bright': full colour, p moves 0.5": a tour asked what "full colour" meant.
    import matplotlib.pyplot as plt

    result = occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4)
    strongest = float(result.heat.abs().max())
    drawn: list[object] = []
    monkeypatch.setattr(plt, "close", drawn.append)
    plot_occlusion([result], tmp_path / "occlusion.png")
    axes = drawn[0].axes  # type: ignore[attr-defined]
    assert axes[0].get_title() == f"p('bright') = {result.probability:.2f}"
    title = axes[1].get_title().replace("\n", " ")
    assert title == f"covering the deepest colour moves p('bright') by {strongest:.2g}"
    # One line above the map says what red and blue mean; the detail (what covered the image) is the caption
    # under it: five lines of it above a single map took a quarter of the figure.
    headline = drawn[0].get_suptitle()  # type: ignore[attr-defined]
    assert headline == "Occlusion map: red = evidence for the label, blue = against"
    caption = drawn[0]._supxlabel.get_text().replace("\n", " ")  # type: ignore[attr-defined]
    assert caption.startswith(
        "Occlusion maps: red where covering the image lowers p, the probability of the label"
    )
    assert "blue where it raises it" in caption and "own mean colour" in caption


@pytest.mark.parametrize("n_maps", [1, 2, 7])
def test_the_legend_and_titles_fit_inside_the_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n_maps: int
) -> None:
    # On one map (a figure 4.4 inches wide) the legend was one line cut off at both ends:
    # "d where the image speaks for the label named (covering it low".
    import matplotlib.pyplot as plt

    maps = [occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4) for _ in range(n_maps)]
    drawn: list[object] = []
    monkeypatch.setattr(plt, "close", drawn.append)
    plot_occlusion(maps, tmp_path / "occlusion.png")
    figure: Any = drawn[0]
    renderer = figure.canvas.get_renderer()
    frame = figure.bbox
    texts = [figure._suptitle, figure._supxlabel, *(axis.title for axis in figure.axes if axis.get_title())]
    for text in texts:
        box = text.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y1 <= frame.y1, text.get_text()
        assert box.y0 >= frame.y0, text.get_text()
    # No title runs into the images of the row above it: boxes of titles and images do not overlap.
    images = [axis.get_window_extent(renderer) for axis in figure.axes if axis.images]
    for axis in figure.axes:
        if axis.get_title():
            box = axis.title.get_window_extent(renderer)
            assert not any(box.overlaps(image) for image in images), axis.get_title()


class Faint(TopLeftDetector):
    """The detector with a fortieth of its steepness: covering the corner moves p by another amount."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.5))


def _heat_limits(figure: Any) -> list[float]:
    return [axis.images[-1].norm.vmax for axis in figure.axes if len(axis.images) == 2]


@pytest.mark.parametrize("scale", ["shared", "each"])
def test_maps_side_by_side_share_one_colour_scale_unless_asked_for_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scale: str
) -> None:
    # A change of 0.11 and one of 0.25 were both drawn full red in maps placed side by side, each on its own
    # scale with its own bar: by default they now share one scale and one colour bar, and the caption says so.
    import matplotlib.pyplot as plt

    image = torch.full((3, 16, 16), 0.3)
    image[:, :8, :8] = 0.7  # p('bright') about 0.98 for the detector, 0.52 for the faint one
    strong = occlusion_map(Holder(), image, patch=4)
    faint_holder = Holder()
    faint_holder.model = Faint()
    faint = occlusion_map(faint_holder, image, patch=4)
    strengths = [float(strong.heat.abs().max()), float(faint.heat.abs().max())]
    assert max(strengths) > 2 * min(strengths) and strong.label == faint.label == "bright"
    largest = max(strengths)
    drawn: list[Any] = []
    monkeypatch.setattr(plt, "close", drawn.append)
    if scale == "shared":  # the default
        plot_occlusion([strong, faint, strong], tmp_path / "occlusion.png")
    else:
        plot_occlusion([strong, faint, strong], tmp_path / "occlusion.png", scale="each")
    figure = drawn[0]
    bars = [axis for axis in figure.axes if axis.get_ylabel().startswith("fall of")]
    caption = figure._supxlabel.get_text().replace("\n", " ")
    if scale == "shared":
        assert _heat_limits(figure) == pytest.approx([largest] * 3)
        (bar,) = bars
        assert bar.get_ylabel() == "fall of p('bright') when covered"
        assert f"All 3 maps share one colour scale (the bar: -{largest:.2g} to +{largest:.2g})" in caption
    else:
        assert _heat_limits(figure) == pytest.approx([strengths[0], strengths[1], strengths[0]])
        assert len(bars) == 3
        assert "Each map has its own colour scale" in caption and "do not compare" in caption


def test_an_unknown_scale_is_refused() -> None:
    result = occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4)
    with pytest.raises(ConfigError, match="scale must be 'shared' or 'each', got 'own'"):
        plot_occlusion([result], scale="own")


def test_a_map_prints_as_one_line() -> None:
    # print(map) wrote some forty lines of tensors (image= and heat=).
    result = occlusion_map(Holder(), torch.ones(3, 16, 12), patch=4)
    assert (
        repr(result)
        == f"OcclusionMap(label='bright', probability={result.probability:.2f}, target=1, size=16x12)"
    )
    assert str(result) == repr(result)


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


def test_many_maps_are_laid_out_two_pairs_a_row(tmp_path: Path) -> None:
    # Ten maps were one column of pairs: a strip 2,300 pixels high using a third of the page's width. Three pairs
    # a row, scaled to a report's width, drew the titles 6 pixels high: two a row, each with its colour bar.
    maps = [occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4) for _ in range(7)]
    plot_occlusion(maps, tmp_path / "occlusion.png", titles=[f"image {i}" for i in range(7)])
    with Image.open(tmp_path / "occlusion.png") as picture:
        width, height = picture.size
    # 4 rows of up to 2 pairs, and the legend above them once.
    assert width > 2 * 450 and height < 4 * 260 + 80


# ------------------------------------------------------------------------------ a model loaded from disk
NARROW = {"channels": (8, 16), "convs_per_stage": 1}


@pytest.fixture(scope="module")
def digits(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A narrow CNN fitted for one epoch on 30 real MNIST PNGs (digits 0, 1, 2), exported; and its folder."""
    import tarfile

    from trainwell.vision import image_data, vision_learner

    root = tmp_path_factory.mktemp("digits")
    with tarfile.open(shared_data / "mnist_png_sample" / "mnist_png_sample.tgz") as archive:
        members = [
            member
            for digit in "012"
            for member in sorted(
                (m for m in archive.getmembers() if m.name.startswith(f"mnist_png_sample/train/{digit}/")),
                key=lambda m: m.name,
            )[:10]
        ]
        archive.extractall(root, members=members, filter="data")
    folder = root / "mnist_png_sample" / "train"
    learn = vision_learner(image_data(folder, seed=0), "simple_cnn", arch_config=NARROW, progress=False)
    learn.fit_one_cycle(1)
    learn.export(root / "model")
    return root / "model", folder


@pytest.mark.data
def test_a_loaded_model_explains_a_file_as_predict_reads_it(digits: tuple[Path, Path]) -> None:
    """A deployer holds ``trainwell.load(dir)`` and image files: a path is decoded as ``predict`` decodes it
    (it failed: 'PosixPath' object has no attribute 'ndim'), and an array of another channel count is fitted
    as predict fits it (it was torch's "expected input to have 1 channels, but got 3")."""
    import numpy as np

    import trainwell

    model_dir, folder = digits
    predictor = trainwell.load(model_dir)
    path = sorted((folder / "1").glob("*.png"))[0]
    from_file = occlusion_map(predictor, path)
    expected = predictor.predict([path])
    assert from_file.label == expected["prediction"][0]
    assert from_file.probability == pytest.approx(
        float(expected[f"probability_{from_file.label}"][0]), abs=1e-5
    )
    pixels = np.array(Image.open(path))  # (28, 28) uint8, writable
    as_tensor = occlusion_map(predictor, torch.from_numpy(pixels)[None])
    torch.testing.assert_close(as_tensor.heat, from_file.heat)
    colour = np.repeat(pixels[None], 3, axis=0)  # (3, 28, 28): what a colour copy of the digit holds
    assert occlusion_map(predictor, torch.from_numpy(colour)).heat.shape == (28, 28)


@pytest.mark.data
def test_a_learner_given_an_image_of_other_channels_says_what_it_takes(digits: tuple[Path, Path]) -> None:
    from trainwell.vision import image_data, vision_learner

    _, folder = digits
    learn = vision_learner(image_data(folder, seed=0), "simple_cnn", arch_config=NARROW, progress=False)
    with pytest.raises(
        ConfigError,
        match=r"occlusion_map: this model takes images of 1 channel, 28x28 \(C, H, W\); got shape \(3, 28, 28\)"
        r": pass the image as the model takes it, or the model loaded with trainwell\.load\(dir\), which fits "
        r"any image \(a path, an array\) as predict does",
    ):
        occlusion_map(learn, torch.ones(3, 28, 28))
    with pytest.raises(
        ConfigError, match=r"takes images of 1 channel, 28x28 \(C, H, W\); got shape \(1, 64, 64\)"
    ):
        occlusion_map(learn, torch.ones(1, 64, 64))  # it ran, on an image predict would have resized first


@pytest.mark.data
def test_a_learner_explains_a_file_as_its_predict_reads_it(digits: tuple[Path, Path]) -> None:
    # occlusion_map(learn, "cat.jpg") was refused ("takes the image as a tensor") where learn.predict reads files.
    from trainwell.vision import image_data, vision_learner

    _, folder = digits
    learn = vision_learner(image_data(folder, seed=0), "simple_cnn", arch_config=NARROW, progress=False)
    path = sorted((folder / "2").glob("*.png"))[0]
    explained = occlusion_map(learn, path)
    expected = learn.predict([path])
    assert explained.label == expected["prediction"][0] and explained.heat.shape == (28, 28)
    assert explained.probability == pytest.approx(
        float(expected[f"probability_{explained.label}"][0]), abs=1e-5
    )


@pytest.mark.data
def test_a_loaded_table_model_is_refused_in_one_line(shared_data: Path, tmp_path: Path) -> None:
    """A TabularPredictor reached the model with an image: forward() missing 'x_cont', a TypeError."""
    import pandas as pd

    import trainwell

    table = pd.read_csv(shared_data / "titanic" / "train.csv.gz")[["Pclass", "Sex", "Age", "Survived"]]
    trainwell.fit_table(
        table, "Survived", out=tmp_path / "model", arch="mlp", epochs=1, lr=1e-2, progress=False
    )
    with pytest.raises(
        ConfigError, match="occlusion_map explains an image model's predictions; this model is a tabular one"
    ):
        occlusion_map(trainwell.load(tmp_path / "model"), torch.ones(1, 28, 28))


class Brightness(nn.Module):
    """Class 1 for a bright image: it reacts to light added anywhere, a mark on a digit's black background too."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logit = 40 * (x.mean(dim=(1, 2, 3)) - 0.15)
        return torch.stack([-logit, logit], dim=1)


def _digit() -> torch.Tensor:
    """A white stroke on black (MNIST's layout), 28x28."""
    image = torch.zeros(1, 28, 28)
    image[:, 6:22, 12:16] = 1.0
    return image


def test_patches_take_each_channels_mean_so_a_dark_background_gets_no_bright_mark() -> None:
    seen: list[torch.Tensor] = []

    class Recording(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x.clone())
            return TopLeftDetector()(x)

    image = torch.zeros(3, 16, 16)
    image[0], image[1, :8], image[2] = 0.9, 0.5, 0.1  # per channel: means 0.9, 0.25, 0.1
    result = occlusion_map(Recording(), image, patch=4, stride=4)
    assert result.fill == "mean"
    corner = seen[1][0, :, :4, :4]  # the first occluded copy: its top-left patch
    assert torch.allclose(corner, torch.tensor([0.9, 0.25, 0.1])[:, None, None].expand(3, 4, 4))
    mean_map = occlusion_map(Brightness(), _digit(), target=1, patch=4)
    grey_map = occlusion_map(Brightness(), _digit(), target=1, patch=4, fill=0.5)
    # Mid-grey on black is a bright mark the model reacts to in the empty corner; the image's mean, dark, is
    # six times fainter (0.5 against 64/784).
    grey_corner, mean_corner = grey_map.heat[:4, :4].abs().max(), mean_map.heat[:4, :4].abs().max()
    assert grey_corner > 5 * mean_corner > 0


def test_the_legend_says_what_covered_the_image() -> None:
    from trainwell.interpret.occlusion import _legend

    assert "the image's own mean colour (per channel)" in _legend(False, {"mean"})
    assert "grey 0.5 (0 black, 1 white)" in _legend(True, {0.5})


@pytest.mark.parametrize("fill", ["median", 1.5, -0.1, True])
def test_a_fill_neither_mean_nor_a_value_from_0_to_1_is_refused(fill: Any) -> None:
    with pytest.raises(ConfigError, match="fill must be 'mean'"):
        occlusion_map(Holder(), torch.ones(3, 16, 16), patch=4, fill=fill)
