"""evaluate_images(tta=True): each fold's model scored with test-time augmentation, both ways said in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from trainwell.core.errors import ConfigError
from trainwell.vision.evaluation import ImageEvaluation, evaluate_images


def _folder(root: Path, per_class: int = 12) -> Path:
    rng = np.random.default_rng(0)
    for label, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (root / label).mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 120, (16, 16, 3), dtype=np.uint8)
            pixels[4:12, 4:12] = colour
            Image.fromarray(pixels).save(root / label / f"{index}.png")
    return root


def _accuracy(probabilities: torch.Tensor, targets: torch.Tensor) -> float:
    """Binary accuracy at 0.5, by hand (the reference the folds' figures are checked against)."""
    return float(((probabilities.reshape(-1) >= 0.5) == (targets.reshape(-1) > 0.5)).float().mean())


def test_each_fold_is_scored_with_tta_and_the_line_gives_both_ways(tmp_path: Path) -> None:
    result = evaluate_images(_folder(tmp_path / "imgs"), cv=2, epochs=1, seed=0, baselines=False, tta=True)
    assert isinstance(result, ImageEvaluation) and result.tta is not None
    plain = result.tta.plain
    # The table's figures are the TTA answers': each fold's accuracy is that of its kept (TTA) predictions.
    folds = result.model.summary()["accuracy"]
    by_hand = [_accuracy(preds, targets) for _, preds, targets in result.predictions]
    assert folds.mean == pytest.approx(np.mean(by_hand))
    pooled = torch.cat([preds for _, preds, _ in result.predictions])
    targets = torch.cat([encoded for _, _, encoded in result.predictions])
    assert result.tta.tta == pytest.approx(_accuracy(pooled, targets))
    assert result.tta.n_images == 24 and 0 <= plain <= 1
    assert result.tta.fixed is not None and result.tta.broken is not None
    # The plain answers are the fold's own validation pass, not the TTA ones again: augmented views move them.
    plain_scored = evaluate_images(_folder(tmp_path / "again"), cv=2, epochs=1, seed=0, baselines=False)
    assert plain_scored.tta is None and "TTA" not in str(plain_scored)
    assert "tta" not in plain_scored.to_dict()
    assert plain == pytest.approx(
        _accuracy(
            torch.cat([preds for _, preds, _ in plain_scored.predictions]),
            torch.cat([encoded for _, _, encoded in plain_scored.predictions]),
        )
    )
    assert not torch.allclose(pooled, torch.cat([preds for _, preds, _ in plain_scored.predictions]))
    text = str(result)
    assert "trainwell's figures here are with TTA (each image's probabilities blend its plain view" in text
    assert f"accuracy {plain:.4f} plain, {result.tta.tta:.4f} with TTA on 24 images" in text
    record = result.to_dict()["tta"]
    assert record["plain"] == plain and record["images"] == 24 and "with TTA" in record["verdict"]


def test_tta_is_refused_for_points_before_any_fold_trains(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for index in range(8):
        Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(tmp_path / f"{index}.png")
        rows.append(f"{index}.png,{rng.random():.3f},{rng.random():.3f}")
    (tmp_path / "points.csv").write_text("path,x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        ConfigError, match=r"tta \(--tta\): .* predicts x, y in each image.*: evaluate without it"
    ):
        evaluate_images(tmp_path / "points.csv", path_col="path", label_col="x,y", cv=2, epochs=1, tta=True)
