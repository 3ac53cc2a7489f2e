"""Images too small for whitened_cnn are refused before training, naming the size that fits."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from image_files import make_image_folder
from process_support import run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.models import create_model
from trainwell.vision import image_data, vision_learner
from trainwell.vision.speedrun import smallest_side


@pytest.mark.parametrize(("widths", "kernel"), [((64, 256, 256), 2), ((8, 8), 2), ((8, 8, 8, 8), 3)])
def test_the_smallest_side_is_the_smallest_the_network_reads(widths: tuple[int, ...], kernel: int) -> None:
    net = create_model("whitened_cnn", n_out=2, widths=list(widths), whitening_kernel=kernel).eval()
    side = smallest_side(widths, kernel)
    with torch.no_grad():
        assert net(torch.zeros(1, 3, side, side)).shape == (1, 2)
        with pytest.raises(RuntimeError, match="too small"):
            net(torch.zeros(1, 3, side - 1, side - 1))


def test_images_too_small_are_one_line_before_training(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "images", per_class=6, seed=0)
    data = image_data(tmp_path / "images", size=8, valid_pct=0.3)
    with pytest.raises(ConfigError, match=r"8x8 pixels are too small for whitened_cnn.*size=9 or more"):
        vision_learner(data, "whitened_cnn")
    assert vision_learner(image_data(tmp_path / "images", size=9, valid_pct=0.3), "whitened_cnn") is not None
    # The command line said it on the first batch, in torch's words, with a traceback and exit 1.
    result = run_trainwell(
        "lr-find", tmp_path / "images", "--arch", "whitened_cnn", "--size", "8", cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: images of 8x8 pixels are too small for whitened_cnn: its whitening and pooling shrink a side "
        "below one pixel; pass size=9 or more (--size 9), or arch='simple_cnn'"
    ]
