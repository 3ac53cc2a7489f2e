"""Image folders made on the fly for the vision tests: easy classes of real PNG/JPEG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def shape_image(label: str, rng: np.random.Generator, size: int = 24, mode: str = "RGB") -> Image.Image:
    """A noisy image whose class is visible: a bar that is horizontal, vertical or a filled square."""
    pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    start = int(rng.integers(2, size // 2))
    if label == "horizontal":
        pixels[start : start + 4, 2:-2] = (230, 40, 40)
    elif label == "vertical":
        pixels[2:-2, start : start + 4] = (40, 230, 40)
    else:
        pixels[start : start + 8, start : start + 8] = (40, 40, 230)
    return Image.fromarray(pixels, "RGB").convert(mode)


def make_image_folder(
    root: Path,
    classes: tuple[str, ...] = ("horizontal", "vertical"),
    per_class: int = 30,
    *,
    size: int = 24,
    mode: str = "RGB",
    suffix: str = ".png",
    seed: int = 0,
) -> Path:
    rng = np.random.default_rng(seed)
    for label in classes:
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            shape_image(label, rng, size, mode).save(folder / f"{index:03d}{suffix}")
    return root


#: The colours of :func:`square_on_noise_folder`'s classes.
SQUARE_COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220), "green": (30, 220, 30)}


def square_on_noise_folder(
    root: Path, per_class: int, seed: int, classes: tuple[str, ...] = ("red", "blue")
) -> Path:
    """A folder of 20-pixel PNGs, a subfolder a class of :data:`SQUARE_COLOURS`, told apart by the colour of an
    8-pixel square placed at random on dark noise."""
    rng = np.random.default_rng(seed)
    for label in classes:
        (root / label).mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 80, (20, 20, 3), dtype=np.uint8)
            top, left = rng.integers(0, 12, 2)
            pixels[top : top + 8, left : left + 8] = SQUARE_COLOURS[label]
            Image.fromarray(pixels).save(root / label / f"{index}.png")
    return root


def small_image_model(root: Path) -> Path:
    """A small CNN fitted one epoch on 6 images a class of 12 pixels (``root/imgs``) and written to
    ``root/model``: the model folder, for tests of what loads and predicts it (not of how well it does)."""
    from trainwell.vision.pipeline import fit_images

    fit_images(
        make_image_folder(root / "imgs", per_class=6, size=12), out=root / "model", epochs=1, progress=False
    )
    return root / "model"


def exported_predictions_match(learn: Any, folder: Path, model_dir: Path) -> tuple[Any, Any]:
    """Export ``learn`` to ``model_dir``, load it, and check its predictions on ``folder/valid`` equal the learner's.

    Returns the predictor and its table, in the files' sorted order. The valid loader holds the same files in
    a fair order (``learn.data.paths["valid"]``), put back in the sorted order to compare.
    """
    import torch

    import trainwell

    learn.export(model_dir)
    predictor = trainwell.load(model_dir)
    files = sorted((folder / "valid").rglob("*.png"))
    table = predictor.predict(files)
    expected, _ = learn.get_preds(learn.data.valid)
    held = learn.data.paths["valid"]
    expected = expected[sorted(range(len(held)), key=lambda index: held[index])]
    assert torch.allclose(
        torch.tensor(table["probability_vertical"].to_numpy()), expected.reshape(-1), atol=1e-5
    )
    return predictor, table
