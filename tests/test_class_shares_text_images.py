"""Text and image classifiers keep their training rows' class shares, as table models do: the explanations of
the fit and of a report on other rows compare with the training rows' commoner class, not the judged rows' own
(which peeks at their answers)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console

from trainwell.data.class_shares import class_shares
from trainwell.data.task import Task


def _quiet(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _fit_lines(learn: object) -> str:
    from trainwell.cli._show import show_metrics

    console = Console(record=True, width=400)
    show_metrics(learn, console)
    return console.export_text()


def test_the_shared_helper_counts_binary_and_multiclass_codes() -> None:
    binary = Task("binary", ("no", "yes"), ("y",))
    assert class_shares(binary, torch.tensor([[0.0], [1.0], [0.0], [0.0]])) == [0.75, 0.25]
    several = Task("multiclass", ("a", "b", "c"), ("y",))
    assert class_shares(several, np.array([2, 2, 0, 1, 2])) == [0.2, 0.2, 0.6]
    assert class_shares(Task("regression", (), ("y",)), torch.zeros(3, 1)) is None


def _texts(n: int, share_good: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    good = np.arange(n) < round(share_good * n)
    rng.shuffle(good)
    words = {True: ["fine", "great", "good", "nice"], False: ["bad", "awful", "poor", "dull"]}
    texts = [" ".join(rng.choice(words[bool(g)] + words[not g][:1], 6)) for g in good]
    return pd.DataFrame({"text": texts, "label": np.where(good, "good", "bad")})


def test_a_text_model_names_the_training_majority(tmp_path: Path) -> None:
    from trainwell.report.build import build_report
    from trainwell.text import fit_texts

    train, valid = _texts(200, 0.8, 0), _texts(60, 0.2, 1)  # 80% 'good' trains it; 20% 'good' judges it
    frame = pd.concat([train.assign(is_valid=False), valid.assign(is_valid=True)], ignore_index=True)
    out = tmp_path / "texts"
    run = _quiet(fit_texts, frame, "label", out=out, epochs=1, valid_col="is_valid", progress=False)
    shares = json.loads((out / "trainwell.json").read_text(encoding="utf-8"))["training"]["class_shares"]
    assert shares == pytest.approx([0.2, 0.8])  # classes ('bad', 'good')
    said = _fit_lines(run.learn)
    assert "always answering 'good', the training texts' commoner class, would score 20%" in said, said
    assert "of these texts" not in said
    csv = tmp_path / "judged.csv"
    _texts(100, 0.3, 2).to_csv(csv, index=False)
    page = _quiet(build_report, out, csv, tmp_path / "report.html").read_text(encoding="utf-8")
    assert (
        "always answering &#x27;good&#x27;, the training texts&#x27; commoner class, would score 30%" in page
    )


def _image_split(root: Path, counts: dict[str, int], seed: int) -> None:
    from image_files import shape_image

    rng = np.random.default_rng(seed)
    for label, count in counts.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            shape_image(label, rng, 16, "L").save(root / label / f"{index:03d}.png")


def test_an_image_model_names_the_training_majority(tmp_path: Path) -> None:
    from trainwell.report.build import build_report
    from trainwell.vision import fit_images

    root = tmp_path / "shapes"
    _image_split(root / "train", {"horizontal": 48, "vertical": 12}, 0)  # 80% 'horizontal' trains it
    _image_split(root / "valid", {"horizontal": 5, "vertical": 20}, 1)  # 20% 'horizontal' judges it
    out = tmp_path / "images"
    run = _quiet(fit_images, root, out=out, epochs=1, arch="simple_cnn", progress=False)
    shares = json.loads((out / "trainwell.json").read_text(encoding="utf-8"))["training"]["class_shares"]
    assert shares == pytest.approx([0.8, 0.2])
    said = _fit_lines(run.learn)
    assert "always answering 'horizontal', the training images' commoner class, would score 20%" in said, said
    judged = tmp_path / "judged"
    _image_split(judged, {"horizontal": 3, "vertical": 7}, 2)
    # top_k=1: the top losses (their occlusion maps, most of an image report's time) are not read here
    page = _quiet(build_report, out, judged, tmp_path / "report.html", top_k=1).read_text(encoding="utf-8")
    assert (
        "always answering &#x27;horizontal&#x27;, the training images&#x27; commoner class, would score 30%"
        in page
    )
