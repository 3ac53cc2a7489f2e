"""Fixtures of the vision tests: folders of real image files."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_files import make_image_folder


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / "shapes")


@pytest.fixture
def split_folder(tmp_path: Path) -> Path:
    root = tmp_path / "split"
    make_image_folder(root / "train", per_class=30, seed=1)
    make_image_folder(root / "valid", per_class=10, seed=2)
    return root
