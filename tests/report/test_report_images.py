"""The HTML report on an image classifier: metrics, confusion, and the worst images with occlusion maps."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from report_browser import dump_dom

from trainwell.core.errors import DataError
from trainwell.report import build_report
from trainwell.vision import image_data, vision_learner

HEADINGS = ("Training curves", "Validation metrics", "Confusion matrix", "Calibration", "Top losses")


def _folder(root: Path, per_class: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for label, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220)), ("green", (30, 220, 30))):
        (root / label).mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 80, (20, 20, 3), dtype=np.uint8)
            top, left = rng.integers(0, 12, 2)
            pixels[top : top + 8, left : left + 8] = colour
            Image.fromarray(pixels).save(root / label / f"{index}.png")
    return root


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("images")
    torch.manual_seed(0)
    learn = vision_learner(image_data(_folder(base / "train", 20, 0)), progress=False)
    learn.fit_one_cycle(1, 3e-3)
    learn.export(base / "model")
    (base / "model" / "curves.png").write_bytes(learn.show_results(base / "r.png").read_bytes())  # type: ignore[attr-defined]
    return build_report(base / "model", _folder(base / "valid", 6, 1), base / "report.html")


def test_report_has_the_sections_and_occlusion_maps(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text
    assert "occlusion map" in text and "Permutation feature importance" not in text
    sources = re.findall(r'<img [^>]*src="([^"]*)"', text)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in text and "https://" not in text and "<script" not in text.lower()


def test_unknown_class_folder_is_a_clear_error(report_html: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "odd", 2, 3)
    (folder / "green").rename(folder / "purple")
    with pytest.raises(DataError, match="does not know: \\['purple'\\]"):
        build_report(report_html.parent / "model", folder, tmp_path / "r.html")


def test_image_report_renders_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    dom = dump_dom(report_html, tmp_path / "profile")
    for heading in HEADINGS:
        assert heading in dom
