"""The rating fit's verdict against user + item biases alone respects the noise: "beyond each user's and item's
average" only
when the paired bootstrap interval of the RMSE gap on the same validation ratings lies below 0 (tour T48 saw
it said of a 0.0014 gap inside the RMSE's own interval of ±0.02); and it claims ratings, not lists: a model whose
ratings beat the biases may still rank worse than popularity (tour T57 on MovieLens), which the report judges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ratings_support import low_rank_ratings
from trainwell.cli._show import _bias_gap, _bias_verdict
from trainwell.collab.pipeline import fit_ratings

ROW = {"rmse": 0.9620, "rmse_biases": 0.9634, "train_loss": 0.80, "valid_loss": 0.93}


def test_a_gap_whose_interval_holds_zero_is_no_clear_difference() -> None:
    (line,) = _bias_verdict(ROW, (-0.0014, -0.0061, 0.0032, 4_000))
    assert "the model predicts ratings beyond" not in line
    assert line.startswith("rmse 0.9620 against 0.9634 for user + item biases alone: no clear difference")
    assert "[-0.0061, +0.0032], paired over the same 4,000 ratings, holds 0" in line
    assert "try more --epochs" in line
    (memorised,) = _bias_verdict({**ROW, "train_loss": 0.33}, (-0.0014, -0.0126, 0.0096, 4_000))
    assert "train loss 0.3300 against 0.9300): try fewer --epochs" in memorised


def test_a_gap_wholly_below_zero_is_taste_beyond_the_averages() -> None:
    (line,) = _bias_verdict(ROW, (-0.0400, -0.0520, -0.0290, 4_000))
    assert line.startswith("rmse 0.9620 is below the 0.9634 of user + item biases alone (the gap -0.0400")
    assert "the model predicts ratings beyond each user's and item's average" in line
    assert "judges its top-10 lists against the most popular items" in line


def test_without_the_pairing_nothing_is_claimed_beyond_the_two_figures() -> None:
    (line,) = _bias_verdict(ROW)
    assert "the model predicts ratings beyond" not in line and "below the 0.9634" in line


def test_the_gap_is_the_models_rmse_minus_the_biases_on_the_same_validation_rows() -> None:
    run = fit_ratings(low_rank_ratings(0).frame, epochs=4, lr=0.03, progress=False)
    learn = run.learn
    gap = _bias_gap(learn)
    assert gap is not None
    difference, low, high, count = gap
    row = learn.final_row
    assert difference == pytest.approx(row["rmse"] - row["rmse_biases"], abs=1e-4)
    assert low <= difference <= high and not math.isnan(low)
    assert count == len(learn.data.valid.tensors[-1])  # every validation rating, paired
    assert np.isfinite([low, high]).all()
