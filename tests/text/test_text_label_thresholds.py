"""Per-label decision thresholds at the end of a multi-label text fit: chosen, stored, loaded, used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.metrics import functional as F
from trainwell.text import fit_texts, text_data
from trainwell.text.data import MULTILABEL_NGRAMS
from trainwell.text.fitting import SMALL_CORPUS_NGRAMS
from trainwell.text.pipeline import MULTILABEL_MIN_EPOCHS, default_epochs

FILLER = [f"word{i}" for i in range(40)]


def tagged_frame(n_rows: int, seed: int) -> pd.DataFrame:
    """Texts with a common label ("loud", when "alpha" is written) and a rare, noisy one: "zeta" appears in
    15% of texts and only 40% of those are "rare", so a calibrated model never scores "rare" above one half."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_rows):
        words, labels = list(rng.choice(FILLER, 6)), []
        if rng.random() < 0.4:
            words.append("alpha")
            labels.append("loud")
        if rng.random() < 0.15:
            words.append("zeta")
            if rng.random() < 0.4:
                labels.append("rare")
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "tags": ";".join(labels)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("thresholds") / "model"
    run = fit_texts(
        tagged_frame(1500, seed=0),
        text_col="text",
        target="tags",
        label_delim=";",
        test=tagged_frame(1500, seed=1),
        out=out,
        epochs=8,
        progress=False,
    )
    return run, out


def test_a_rare_label_gets_a_low_threshold_and_test_f1_rises(tuned: tuple[object, Path]) -> None:
    run, _ = tuned
    task = run.data.task  # type: ignore[attr-defined]
    thresholds = dict(zip(task.classes, task.label_thresholds, strict=True))
    assert thresholds["rare"] < 0.45
    learn = run.learn  # type: ignore[attr-defined]
    assert learn.task is task
    probabilities, targets = learn.get_preds(run.data.test)  # type: ignore[attr-defined]
    rare = list(task.classes).index("rare")
    assert float(probabilities[:, rare].max()) < 0.5  # at 0.5 the rare label is never predicted
    at_half = F.f1(probabilities, targets, "multilabel", 0.5)
    scores = learn.validate(run.data.test)  # type: ignore[attr-defined]
    assert scores["f1"] == pytest.approx(F.f1(probabilities, targets, "multilabel", task.label_thresholds))
    assert scores["f1"] > at_half + 0.1
    # The scores the model directory keeps for its test set are those at the thresholds, named as the history
    # names them (the history's f1 is at 0.5): f1_tuned, with no f1 beside it to be read as the final f1's peer.
    kept = learn.test_scores
    assert kept["f1_tuned"] == pytest.approx(scores["f1"]) and "f1" not in kept and "roc_auc" in kept
    stored = json.loads((tuned[1] / "trainwell.json").read_text())["training"]["test"]
    assert stored["f1_tuned"] == pytest.approx(scores["f1"])


def test_the_history_reports_the_cross_fitted_f1_and_keeps_the_one_at_half(
    tuned: tuple[object, Path],
) -> None:
    run, _ = tuned
    row = run.learn.history[-1]  # type: ignore[attr-defined]
    summary = run.thresholds  # type: ignore[attr-defined]
    assert row["f1_tuned"] == summary.cross_fitted["f1"]
    assert row["f1"] == pytest.approx(summary.at_half["f1"]) and row["f1"] < row["f1_tuned"]
    assert summary.in_sample_f1 >= row["f1_tuned"]  # measured where they were chosen: optimistic
    assert "optimistic" in summary.note() and f"{summary.n_rows} validation rows" in summary.note()


def test_the_model_directory_stores_and_predicts_with_the_thresholds(tuned: tuple[object, Path]) -> None:
    run, out = tuned
    task = run.data.task  # type: ignore[attr-defined]
    stored = json.loads((out / "trainwell.json").read_text())["task"]
    assert stored["label_thresholds"] == pytest.approx(list(task.label_thresholds))
    predictor = trainwell.load(out)
    assert predictor.task.label_thresholds == task.label_thresholds
    texts = tagged_frame(200, seed=4)["text"].tolist()
    probabilities = predictor.predict_proba(texts)
    rare = list(task.classes).index("rare")
    between = (probabilities[:, rare] >= task.label_thresholds[rare]) & (probabilities[:, rare] < 0.5)
    assert int(between.sum()) >= 5  # texts with "zeta": under a half, yet over the rare label's threshold
    predicted = predictor.predict(texts)["prediction"].tolist()
    expected = [
        ";".join(c for c, p, t in zip(task.classes, row, task.label_thresholds, strict=True) if p >= t)
        for row in probabilities.tolist()
    ]
    assert predicted == expected
    assert all("rare" in predicted[i].split(";") for i in torch.nonzero(between).flatten().tolist())


def test_thresholds_are_kept_at_half_when_asked() -> None:
    torch.manual_seed(0)
    run = fit_texts(
        tagged_frame(300, seed=2), text_col="text", target="tags", label_delim=";", epochs=2,
        progress=False, tune_thresholds=False,
    )  # fmt: skip
    assert run.data.task.label_thresholds == () and run.thresholds is None
    assert "f1_tuned" not in run.learn.history[-1]


def test_multilabel_defaults_use_tokens_alone_and_more_epochs() -> None:
    frame = tagged_frame(200, seed=3)
    assert text_data(frame, "tags", text_col="text", label_delim=";").recipe.ngrams == MULTILABEL_NGRAMS == 1
    frame["loud"] = frame["tags"].str.contains("loud")
    assert (
        text_data(frame, "loud", text_col="text").recipe.ngrams == SMALL_CORPUS_NGRAMS == 2
    )  # 200 texts: few tokens
    assert default_epochs(1000, "multilabel") == MULTILABEL_MIN_EPOCHS
    assert default_epochs(1000) == 3
