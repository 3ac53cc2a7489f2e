"""A rating model that memorises its training ratings is told all three remedies, weight decay among them: the
advice had named only --epochs and --lr, where strong decoupled weight decay is what keeps a factor model of a
sparse ratings matrix from memorising it (trainwell.collab.learner)."""

from __future__ import annotations

from trainwell.cli._show import _bias_verdict
from trainwell.collab.learner import DEFAULT_WD

OVERFIT = {"rmse": 1.02, "rmse_biases": 0.94, "train_loss": 0.10, "valid_loss": 1.03}


def test_a_memorising_model_not_below_the_biases_is_told_to_raise_wd() -> None:
    (line,) = _bias_verdict(OVERFIT)
    assert "it memorises them; try fewer --epochs, a lower --lr or a stronger --wd" in line
    assert f"(weight decay: {DEFAULT_WD:g} unless given)" in line


def test_a_memorising_model_with_no_clear_difference_is_told_to_raise_wd() -> None:
    row = {"rmse": 0.9620, "rmse_biases": 0.9634, "train_loss": 0.33, "valid_loss": 0.93}
    (line,) = _bias_verdict(row, (-0.0014, -0.0126, 0.0096, 4_000))
    assert "try fewer --epochs, a lower --lr or a stronger --wd" in line


def test_a_model_that_learned_too_little_is_not_told_to_raise_wd() -> None:
    (stalled,) = _bias_verdict({**OVERFIT, "train_loss": 1.2})
    assert "--wd" not in stalled and "more --epochs" in stalled
