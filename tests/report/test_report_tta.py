"""The report measures test-time augmentation: the images scored plain and with TTA, and whether to use --tta.

Before, `predict --tta` lowered MNIST's accuracy from 0.710 to 0.595 and nothing measured or said it."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from image_files import shape_image
from process_support import run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.core.warn import Note
from trainwell.data.task import Task
from trainwell.export import load
from trainwell.metrics import functional
from trainwell.report import build_report
from trainwell.vision.tta_effect import TTAEffect, measure_tta, tta_effect


def _folder(root: Path, per_class: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for label in ("horizontal", "vertical", "square"):
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            shape_image(label, rng, 16, "L").save(root / label / f"{index:03d}.png")
    return root


def _fit(root: Path, out: Path, augmentation: str) -> Path:
    from trainwell.vision import fit_images

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_images(root, out=out, epochs=1, arch="simple_cnn", augmentation=augmentation, progress=False)
    return out


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tta")
    train = _folder(base / "train", 20, 0)
    return {
        "digits": _fit(train, base / "digits", "digits"),
        "none": _fit(train, base / "none", "none"),
        "judged": _folder(base / "judged", 8, 1),
    }


def _report(model: Path, judged: Path, out: Path, **kwargs: object) -> tuple[str, list[str]]:
    """The page and its TTA notes. One top-loss image (top_k=1), for time: its occlusion maps took most of a
    report's time, and no test here reads the top losses (test_report_images.py does)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = build_report(model, judged, out, top_k=1, **kwargs).read_text(encoding="utf-8")  # type: ignore[arg-type]
    return page, [str(w.message) for w in caught if issubclass(w.category, Note) and "TTA" in str(w.message)]


def test_the_report_scores_the_images_plain_and_with_tta(models: dict[str, Path], tmp_path: Path) -> None:
    page, notes = _report(models["digits"], models["judged"], tmp_path / "r.html")
    assert "<h2>Test-time augmentation</h2>" in page
    # The figures, computed here the long way: each image predicted plain, then with predict(tta=True).
    predictor = load(models["digits"])
    paths = sorted(models["judged"].rglob("*.png"))
    labels = [path.parent.name for path in paths]
    targets = predictor.task.encode(labels)
    plain = functional.accuracy(predictor.predict_proba(paths), targets, "multiclass")
    tta = functional.accuracy(predictor.predict_proba(paths, tta=True), targets, "multiclass")
    verdict = re.escape(f"accuracy {plain:.4f} plain, {tta:.4f} with TTA on 24 images")
    assert len(notes) == 1 and re.search(verdict, notes[0]), (notes, plain, tta)
    assert notes[0].startswith("TTA ") and ("use --tta" in notes[0] or "without --tta" in notes[0])
    assert "4 views augmented as in training" in page
    # The Python side says the same.
    effect = measure_tta(predictor, paths, labels)
    assert (round(effect.plain, 4), round(effect.tta, 4)) == (round(plain, 4), round(tta, 4))
    assert effect.verdict() == notes[0]


def test_no_tta_leaves_it_out_and_a_model_without_augmentation_says_why(
    models: dict[str, Path], tmp_path: Path
) -> None:
    page, notes = _report(models["digits"], models["judged"], tmp_path / "a.html", tta=False)
    assert "Test-time augmentation" not in page and notes == []
    page, notes = _report(models["none"], models["judged"], tmp_path / "b.html")
    assert "Test-time augmentation" not in page and notes == []
    page, notes = _report(models["none"], models["judged"], tmp_path / "c.html", tta=True)
    assert "Not measured: the model trained without augmentation" in page and notes == []


def test_many_images_on_the_cpu_are_measured_only_when_asked(
    models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trainwell.vision.tta_effect.TTA_AUTO_IMAGES", 10)
    page, notes = _report(models["digits"], models["judged"], tmp_path / "a.html")
    assert "Not measured: on the CPU, test-time augmentation predicts each of the 24 images 5 times" in page
    assert "pass --tta (Python: tta=True)" in page and notes == []
    page, notes = _report(models["digits"], models["judged"], tmp_path / "b.html", tta=True)
    assert len(notes) == 1 and "with TTA on 24 images" in notes[0]


def test_the_command_line_prints_the_verdict_and_refuses_tta_elsewhere(
    models: dict[str, Path], tmp_path: Path
) -> None:
    done = run_trainwell(
        "report",
        models["digits"],
        "--data",
        models["judged"],
        "--out",
        tmp_path / "r.html",
        "--tta",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(
        r"note: TTA (helps|hurts|makes no difference|makes no clear difference) here \(accuracy ", done.stderr
    ), done.stderr
    without = run_trainwell("report", models["digits"], "--tta", "--out", tmp_path / "w.html")
    assert without.returncode == 2 and "--tta read" in without.stderr, without.stderr
    table = tmp_path / "table.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=60), "y": rng.integers(0, 2, 60)}).to_csv(table, index=False)
    from trainwell.tabular import fit_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_table(table, "y", out=tmp_path / "tm", arch="gbdt", progress=False)
    with pytest.raises(
        ConfigError, match=r"--tta \(tta=True\): test-time augmentation .* this is a table model"
    ):
        build_report(tmp_path / "tm", table, tmp_path / "t.html", tta=True)


def test_the_verdict_says_helps_hurts_or_no_difference() -> None:
    task = Task("multiclass", ("a", "b"), ("y",))
    targets = torch.tensor([0] * 30 + [1] * 30)
    right = torch.nn.functional.one_hot(targets, 2).float()
    wrong = 1 - right
    hurt = torch.cat([right[:20], wrong[20:]])  # TTA gets 20 of 60 right, plain all 60
    said = tta_effect(task, right, hurt, targets).verdict()
    assert said == (
        "TTA hurts here (accuracy 1.0000 plain, 0.3333 with TTA on 60 images; it fixes 0 and breaks 40): "
        "don't use --tta"
    )
    assert tta_effect(task, hurt, right, targets).verdict().startswith("TTA helps here (")
    assert "use --tta (predict, serve)" in tta_effect(task, hurt, right, targets).verdict()
    same = tta_effect(task, right, right, targets).verdict()
    assert same.startswith("TTA makes no difference here") and "without --tta" in same
    few = TTAEffect("accuracy", 0.5, 0.55, 60, fixed=4, broken=1).verdict()
    assert "too few changed answers to be sure (under 10)" in few
    regression = tta_effect(
        Task("regression", (), ("y",)), torch.zeros(4, 1), torch.ones(4, 1), torch.ones(4, 1)
    )
    assert regression.metric == "rmse" and regression.helps is True
