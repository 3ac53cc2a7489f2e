"""An interpretation takes the run a one-call pipeline returns as its learner:
``RegressionInterpretation.from_learner(trainwell.fit_table(...))`` stopped on "'TableRun' object has no
attribute 'task'" (one had to pass ``run.learn``). Anything else is refused in one line saying what to pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from text_samples import reviews
from trainwell.core.errors import ConfigError
from trainwell.interpret import (
    ClassificationInterpretation,
    MultiLabelInterpretation,
    RegressionInterpretation,
    occlusion_map,
)


def _table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "y": rng.normal(size=n), "shop": rng.choice(["a", "b"], n)}
    )
    frame["price"] = 1000 * frame["x"] + 50 * rng.normal(size=n)
    frame["hot"] = (frame["x"] > 0).astype(int)
    frame["busy"] = (frame["y"] > 0.3).astype(int)
    return frame


def test_a_table_run_is_interpreted_as_its_learner() -> None:
    frame = _table()
    regression = trainwell.fit_table(frame, "price", ignore=["hot", "busy"], epochs=1, progress=False)
    from_run = RegressionInterpretation.from_learner(regression)
    from_learner = RegressionInterpretation.from_learner(regression.learn)
    np.testing.assert_array_equal(from_run.predicted, from_learner.predicted)
    assert len(from_run.predicted) > 0

    binary = trainwell.fit_table(frame, "hot", ignore=["price", "busy"], epochs=1, progress=False)
    interpreted = ClassificationInterpretation.from_learner(binary)
    np.testing.assert_array_equal(
        interpreted.confusion_matrix(),
        ClassificationInterpretation.from_learner(binary.learn).confusion_matrix(),
    )
    assert interpreted.confusion_matrix().sum() == interpreted.n_rows > 0

    trees = trainwell.fit_table(frame, "hot", ignore=["price", "busy"], arch="gbdt", progress=False)
    assert ClassificationInterpretation.from_learner(trees).n_rows == interpreted.n_rows

    labels = trainwell.fit_table(frame, ["hot", "busy"], ignore=["price"], epochs=1, progress=False)
    assert (
        MultiLabelInterpretation.from_learner(labels).n_rows
        == MultiLabelInterpretation.from_learner(labels.learn).n_rows
    )


def test_text_image_and_ratings_runs_are_taken_too() -> None:
    from ratings_support import low_rank_ratings

    texts = trainwell.fit_texts(
        reviews(120, 0), text_col="review", target="sentiment", epochs=1, progress=False
    )
    assert ClassificationInterpretation.from_learner(texts).n_rows > 0

    images = np.random.default_rng(0).integers(0, 255, (40, 12, 12), dtype=np.uint8)
    pictures = trainwell.fit_images(images, [0, 1] * 20, epochs=1, progress=False, augmentation="none")
    assert ClassificationInterpretation.from_learner(pictures).n_rows > 0
    image = torch.from_numpy(images[0])[None]  # (1, 12, 12) uint8, as the run was trained on
    heat = occlusion_map(pictures, image, patch=4).heat
    assert heat.shape == (12, 12)
    assert torch.equal(heat, occlusion_map(pictures.learn, image, patch=4).heat)

    ratings = trainwell.fit_ratings(
        low_rank_ratings(n_ratings=300).frame, target="rating", epochs=1, progress=False
    )
    assert RegressionInterpretation.from_learner(ratings).n_rows > 0


def test_what_is_not_a_learner_is_refused_in_one_line(tmp_path: Path) -> None:
    frame = _table()
    run = trainwell.fit_table(
        frame, "price", ignore=["hot", "busy"], epochs=1, progress=False, out=tmp_path / "m"
    )
    loaded = trainwell.load(tmp_path / "m")
    with pytest.raises(
        ConfigError, match=r"RegressionInterpretation.from_learner takes a Learner, got Tabular"
    ):
        RegressionInterpretation.from_learner(loaded)
    with pytest.raises(ConfigError, match="a loaded model keeps no data to run over"):
        RegressionInterpretation.from_learner(loaded)
    with pytest.raises(
        ConfigError,
        match=r"ClassificationInterpretation.from_learner takes a Learner, got str: pass the learner",
    ):
        ClassificationInterpretation.from_learner("model/")
    assert run.learn is not None


def test_counts_in_the_confusion_and_calibration_plots_have_thousands_separators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Adult's test split: the confusion matrix wrote 11699 in a cell and 10500 on its colour bar, the
    # calibration diagram 8863 beside a point, where the report's tables write 12,435.
    from trainwell.data.task import Task
    from trainwell.interpret import _plots

    drawn: list = []  # type: ignore[type-arg]
    save = _plots._save
    monkeypatch.setattr(_plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    rng = np.random.default_rng(0)
    actual = (rng.random(16000) < 0.25).astype(int)
    predicted = np.where(rng.random(16000) < 0.9, actual, 1 - actual)
    confidence = rng.uniform(0.5, 1.0, 16000)
    interp = ClassificationInterpretation(
        Task("binary", ("<=50K", ">50K"), ("class",)), rng.random(16000), actual, predicted, confidence
    )
    interp.plot_confusion_matrix(tmp_path / "cm.png")
    interp.plot_calibration(tmp_path / "cal.png")
    cells = [text.get_text() for text in drawn[0].axes[0].texts]
    counts = np.bincount(actual * 2 + predicted, minlength=4)
    assert cells == [f"{count:,}" for count in counts] and "," in cells[0], cells
    ticks = [label.get_text() for label in drawn[0].axes[1].get_yticklabels()]
    assert any("," in tick for tick in ticks), ticks
    annotations = [text.get_text() for text in drawn[1].axes[0].texts]
    assert annotations and all(text.replace(",", "").isdigit() for text in annotations)
    assert any("," in text for text in annotations), annotations
