"""A bad image named on the command line beside other inputs is skipped as a bad image inside a folder is: its row
kept with the reason in the ``error`` column, one warning, the rest predicted, exit 0 (it stopped the whole run,
exit 2, writing nothing). Named alone, or when no image at all can be read, it stops (exit 2) with the reason
and the fix: Pillow's "image file is truncated" was dropped ("(OSError)"), and a folder of empty files was
"none of the probed image files could be opened"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli
from PIL import Image

from image_files import make_image_folder, small_image_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_image_model(tmp_path_factory.mktemp("bad_named_image"))


def _cut_png(path: Path) -> Path:
    """A real PNG cut in half, as a download cut short leaves it."""
    pixels = np.random.default_rng(0).integers(0, 255, (12, 12, 3), dtype=np.uint8)
    whole = path.with_name("whole.png")
    Image.fromarray(pixels).save(whole)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_a_bad_file_named_beside_a_folder_gets_an_error_row(model: Path, tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "new", per_class=3, size=12)
    good = len(list(folder.rglob("*.png")))
    cut = _cut_png(tmp_path / "cut.png")
    done = run_cli("predict", model, folder, cut, "--out", "preds.csv", cwd=tmp_path)
    assert done.returncode == 0, done.explain()
    warned = [line for line in done.stderr_lines if line.startswith("warning: skipped 1 unreadable")]
    assert len(warned) == 1 and "cut.png: OSError: image file is truncated" in warned[0], done.explain()
    table = pd.read_csv(tmp_path / "preds.csv")
    assert len(table) == good + 1
    bad = table[table.path == str(cut)]
    assert len(bad) == 1 and bad.prediction.isna().all()
    assert list(bad.error) == ["OSError: image file is truncated"]
    assert table[table.path != str(cut)].prediction.notna().all()


def test_a_bad_file_named_alone_says_why_and_the_fix(model: Path, tmp_path: Path) -> None:
    cut = _cut_png(tmp_path / "cut.png")
    done = run_cli("predict", model, cut, "--out", "preds.csv", cwd=tmp_path)
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        f"error: '{cut}' could not be decoded as an image (OSError: image file is truncated); the file is cut "
        "short: copy or download it again"
    ]
    assert not (tmp_path / "preds.csv").exists()


def test_only_bad_files_named_stop_with_exit_2(model: Path, tmp_path: Path) -> None:
    cut = _cut_png(tmp_path / "cut.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    done = run_cli("predict", model, cut, empty, "--out", "preds.csv", cwd=tmp_path)
    assert done.returncode == 2, done.explain()
    assert len(done.stderr_lines) == 1 and "none of the 2 images could be decoded" in done.stderr_lines[0]
    assert not (tmp_path / "preds.csv").exists()


def test_fit_on_a_folder_of_empty_files_says_they_are_empty(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "imgs" / label / f"{index}.png").write_bytes(b"")
    done = run_cli("fit", "imgs", "--epochs", "1", "--out", "m", cwd=tmp_path)
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        "error: none of the 6 image files could be opened: every one is empty (0 bytes), e.g. 'imgs/a/0.png'; "
        "the copy or download that wrote them failed: copy or download them again"
    ]


def test_fit_on_a_folder_of_text_files_names_the_reason(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "imgs" / label / f"{index}.png").write_text("not an image")
    done = run_cli("fit", "imgs", "--epochs", "1", "--out", "m", cwd=tmp_path)
    assert done.returncode == 2, done.explain()
    assert len(done.stderr_lines) == 1
    line = done.stderr_lines[0]
    assert line.startswith(
        "error: none of the 6 image files could be opened, e.g. 'imgs/a/0.png' (UnidentifiedImageError"
    )
    assert "pass JPEG or PNG files" in line
