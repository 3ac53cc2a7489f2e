"""Multi-label tables get a decision threshold per label, chosen on the validation rows, as texts do: stored in
the model, used by predict and by the served API, and named in /metadata."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import torch
from serve_support import start_server

import trainwell
from trainwell.export import load
from trainwell.metrics import functional as F
from trainwell.serve import create_app
from trainwell.tabular.pipeline import TableRun


def flags(n: int, seed: int) -> pd.DataFrame:
    """Two common labels and a rarer one that needs both inputs."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    frame["hot"] = (frame["x"] > 0).astype(int)
    frame["busy"] = (frame["y"] > 0).astype(int)
    frame["rare"] = ((frame["x"] > 1.0) & (frame["y"] > 0.3)).astype(int)
    return frame


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableRun, Path]:
    out = tmp_path_factory.mktemp("flags") / "model"
    torch.manual_seed(0)
    run = trainwell.fit_table(
        flags(1500, 0), ["hot", "busy", "rare"], out=out, epochs=2, lr=3e-3, progress=False
    )
    return run, out


def test_thresholds_are_chosen_stored_and_used(fitted: tuple[TableRun, Path]) -> None:
    run, out = fitted
    assert run.thresholds is not None and set(run.thresholds.thresholds) == {"hot", "busy", "rare"}
    predictor = load(out)
    thresholds = predictor.task.label_thresholds
    assert len(thresholds) == 3 and thresholds == run.learn.task.label_thresholds
    assert max(abs(value - 0.5) for value in thresholds) > 0.05  # a short fit is not calibrated at 0.5
    test = flags(2000, 1)
    probabilities = predictor.predict_proba(test)
    targets = torch.tensor(test[["hot", "busy", "rare"]].to_numpy(), dtype=torch.float32)
    # On new rows, the thresholds chosen on the validation rows beat 0.5 by a clear margin.
    tuned, at_half = (
        F.f1(probabilities, targets, "multilabel", thresholds),
        F.f1(probabilities, targets, "multilabel"),
    )
    assert tuned > at_half + 0.01
    answers = predictor.predict(test.head(200))
    limits = torch.tensor(thresholds)
    expected = [
        [label for label, on in zip(predictor.task.classes, row, strict=True) if on]
        for row in (probabilities[:200] >= limits).tolist()
    ]
    assert answers["prediction"].tolist() == [";".join(labels) for labels in expected]
    # The history keeps F1 at 0.5 (as in every epoch) and adds the cross-fitted F1 at the thresholds.
    assert {"f1", "f1_tuned"} <= set(run.learn.history[-1])


def test_the_served_api_decides_with_them(fitted: tuple[TableRun, Path]) -> None:
    _, out = fitted
    predictor = load(out)
    server = start_server(create_app(out))
    try:
        meta = httpx.get(f"{server.url}/metadata", timeout=60).json()["task"]
        assert meta["label_thresholds"] == pytest.approx(
            dict(zip(predictor.task.classes, predictor.task.label_thresholds, strict=True))
        )
        rows = flags(50, 2)[["x", "y"]].to_dict(orient="records")
        answers = httpx.post(f"{server.url}/predict", json={"rows": rows}, timeout=60).json()["predictions"]
        expected = predictor.predict(rows)["prediction"].tolist()
        assert [";".join(answer["prediction"]) for answer in answers] == expected
    finally:
        server.stop()


def test_tune_thresholds_false_keeps_one_half(tmp_path: Path) -> None:
    run = trainwell.fit_table(
        flags(400, 3), ["hot", "busy", "rare"], epochs=1, lr=3e-3, progress=False, tune_thresholds=False
    )
    assert run.thresholds is None and run.learn.task.label_thresholds == ()
