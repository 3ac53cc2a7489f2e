"""The image grids: what their titles say about the pictures under them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainwell.vision import image_data, vision_learner


def test_show_results_says_what_its_red_titles_mean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wrong predictions were titled in red with nothing on the picture saying what red meant.
    from matplotlib.figure import Figure

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (48, 12, 12), generator=generator, dtype=torch.uint8)
    data = image_data(images, labels=[i % 3 for i in range(48)], valid_pct=0.5, batch_size=8, seed=0)
    learn = vision_learner(data, arch="simple_cnn", progress=False)  # untrained: some answers are wrong
    titles: list[str] = []
    suptitle = Figure.suptitle
    monkeypatch.setattr(
        Figure, "suptitle", lambda self, t, **kw: (titles.append(t), suptitle(self, t, **kw))[1]
    )
    learn.show_results(tmp_path / "results.png", n=12)  # type: ignore[attr-defined]
    assert titles == ["validation: true / predicted (wrong in red)"]
