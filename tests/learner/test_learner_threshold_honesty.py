"""A multi-label model's thresholds are chosen on the validation rows; ``learn.validate()`` on those very rows
scores at them, which flatters the model: it warns in one line and names the honest, cross-fitted figures.
New rows are scored in silence."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from trainwell.tabular.pipeline import TableRun, fit_table


def _three_labels(n_rows: int, seed: int) -> pd.DataFrame:
    """Three 0/1 labels the inputs predict in part only, so thresholds chosen on a sample fit its noise."""
    rng = np.random.default_rng(seed)
    x, z, w = rng.normal(size=(3, n_rows))
    colour = rng.choice(["red", "green", "blue"], n_rows)
    return pd.DataFrame(
        {
            "x": x,
            "z": z,
            "w": w,
            "colour": colour,
            "hot": (x + rng.normal(size=n_rows) > 0.3).astype(int),
            "busy": (z + (colour == "red") + rng.normal(size=n_rows) > 1.0).astype(int),
            "late": (w - x + rng.normal(size=n_rows) > 0.8).astype(int),
        }
    )


@pytest.fixture(scope="module")
def run() -> TableRun:
    return fit_table(_three_labels(1200, 0), ["hot", "busy", "late"], epochs=2, seed=0, progress=False)


def test_validate_on_the_rows_the_thresholds_were_chosen_on_warns_once_naming_the_honest_figures(run) -> None:
    learn = run.learn
    summary = run.thresholds
    assert summary is not None
    with pytest.warns(UserWarning) as caught:
        scores = learn.validate()
    messages = [str(item.message) for item in caught if "label thresholds" in str(item.message)]
    assert len(messages) == 1 and "\n" not in messages[0]
    message = messages[0]
    assert f"f1 {scores['f1']:.4f}" in message and "flatter the model" in message
    assert f"f1_tuned {learn.history[-1]['f1_tuned']:.4f}" in message
    assert f"f1 {learn.history[-1]['f1']:.4f}" in message.split("at 0.5:")[1]  # the figure at 0.5
    assert "learn.validate(new_rows)" in message
    # What it scores is unchanged: F1 at the tuned thresholds on the rows they were chosen on.
    assert scores["f1"] == pytest.approx(summary.in_sample_f1, abs=1e-6)
    with pytest.warns(UserWarning, match="label thresholds were chosen on"):
        learn.validate(learn.data.valid)  # the same rows, named


def test_validate_on_new_rows_is_honest_and_silent(run) -> None:
    learn = run.learn
    new = _three_labels(600, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = learn.validate(new)
    # Scored at the tuned thresholds, as the model decides: macro F1 as scikit-learn computes it.
    truth = new[["hot", "busy", "late"]].to_numpy()
    probabilities, targets = learn.get_preds(new)
    assert targets is not None and targets.numpy().tolist() == truth.tolist()
    thresholds = np.array(learn.task.label_thresholds)
    assert scores["f1"] == pytest.approx(
        f1_score(truth, probabilities.numpy() >= thresholds, average="macro", zero_division=0), abs=1e-6
    )


def test_a_single_label_model_never_warns() -> None:
    frame = _three_labels(400, 2).drop(columns=["busy", "late"])
    learn = fit_table(frame, "hot", epochs=1, seed=0, progress=False).learn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.validate()
