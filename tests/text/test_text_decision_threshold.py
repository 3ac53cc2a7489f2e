"""fit_texts(decision_threshold=) chooses a binary text model's threshold on its validation rows and keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from classify_tables import sentiment_frame

from trainwell.core.errors import ConfigError
from trainwell.text.pipeline import fit_texts


def test_fit_texts_keeps_a_chosen_or_given_threshold(tmp_path: Path) -> None:
    frame = sentiment_frame(120)
    fit_texts(
        frame,
        text_col="review",
        target="sentiment",
        epochs=1,
        decision_threshold=0.3,
        out=tmp_path / "m",
        progress=False,
    )
    task = json.loads((tmp_path / "m" / "trainwell.json").read_text(encoding="utf-8"))["task"]
    assert task["threshold"] == pytest.approx(0.3)
    run = fit_texts(
        frame,
        text_col="review",
        target="sentiment",
        epochs=1,
        decision_threshold="f1",
        out=tmp_path / "c",
        progress=False,
    )
    chosen = json.loads((tmp_path / "c" / "trainwell.json").read_text(encoding="utf-8"))["task"]["threshold"]
    assert 0.0 < chosen < 1.0 and run.learn.data.task.threshold == pytest.approx(chosen)


def test_fit_texts_refuses_a_threshold_metric_it_does_not_know() -> None:
    with pytest.raises(ConfigError, match="decision"):
        fit_texts(sentiment_frame(40), text_col="review", target="sentiment", decision_threshold="auc")
