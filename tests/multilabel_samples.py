"""Small multi-label data for the ``at_least_one`` tests of the predictors and the server: a table whose label
column holds delimited tags, and PNGs with a red bar, a green bar, both or neither; each has examples with no
label at all, so a trained model leaves some new rows empty. Also the rule ``at_least_one`` follows, written out
on a predictions table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

#: The tags of the table: 'hot' when x > 0.3, 'busy' when y > 0.3, joined by '|'; none near the origin.
TABLE_DELIM = "|"
#: The labels of the images (a row of ``IMAGE_CHOICES`` each, in turn), joined by ';' in the CSV.
IMAGE_CHOICES: tuple[tuple[str, ...], ...] = ((), ("red",), ("green",), ("red", "green"))
IMAGE_DELIM = ";"


def tagged_rows(n: int, seed: int) -> pd.DataFrame:
    """``x``, ``y`` and ``tags`` ('hot|busy', 'hot', 'busy' or '' for none)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    frame["tags"] = [
        TABLE_DELIM.join(tag for tag, on in (("hot", x > 0.3), ("busy", y > 0.3)) if on)
        for x, y in zip(frame["x"], frame["y"], strict=True)
    ]
    return frame


def tagged_image(labels: tuple[str, ...], rng: np.random.Generator, size: int = 16) -> Image.Image:
    """Noise, with a red horizontal bar for 'red' and a green vertical one for 'green'."""
    pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    start = int(rng.integers(2, size // 2))
    if "red" in labels:
        pixels[start : start + 3, 2:-2] = (230, 40, 40)
    if "green" in labels:
        pixels[2:-2, start : start + 3] = (40, 230, 40)
    return Image.fromarray(pixels, "RGB")


def write_tagged_images(folder: Path, n: int, seed: int) -> list[Path]:
    """``n`` PNGs in ``folder`` (labels in turn from :data:`IMAGE_CHOICES`), and ``labels.csv`` beside them
    (``path``, ``labels``); returns the images' paths."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows = [], []
    for index in range(n):
        labels = IMAGE_CHOICES[index % len(IMAGE_CHOICES)]
        path = folder / f"{index:03d}.png"
        tagged_image(labels, rng).save(path)
        paths.append(path)
        rows.append((path.name, IMAGE_DELIM.join(labels)))
    pd.DataFrame(rows, columns=["path", "labels"]).to_csv(folder / "labels.csv", index=False)
    return paths


def fit_tagged_images(root: Path) -> tuple[object, Path]:
    """A small CNN trained on 48 such images (about 4 s on one thread): the learner and its model directory."""
    from trainwell.vision import image_data, vision_learner

    write_tagged_images(root / "train", 48, seed=0)
    data = image_data(
        root / "train" / "labels.csv",
        path_col="path",
        label_col="labels",
        label_delim=IMAGE_DELIM,
        seed=0,
    )
    torch.manual_seed(0)
    learn = vision_learner(data, progress=False)
    learn.fit_one_cycle(4, 1e-2)
    out = root / "model"
    learn.export(out)
    return learn, out


def at_least_one_by_hand(table: pd.DataFrame, classes: list[str], delim: str) -> list[str]:
    """The rule, from a predictions table (``prediction`` and ``probability_<class>``): an empty prediction
    becomes the class of highest probability (the first on a tie), any other stays as it is."""
    probabilities = table[[f"probability_{label}" for label in classes]].to_numpy()
    return [
        str(predicted) if predicted else classes[int(np.argmax(row))]
        for predicted, row in zip(table["prediction"].fillna(""), probabilities, strict=True)
    ]
