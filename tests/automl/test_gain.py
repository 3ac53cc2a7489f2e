"""The reality check that decides whether a search's best trial beat the defaults by more than choosing the best
of many trials on the same validation rows gives by chance (:mod:`trainwell.automl._gain`), on synthetic
predictions: no training, no search.

A simulated search: the defaults and N trials each get every validation row right or wrong, from a row
difficulty they share (trials are alike) and noise of their own; a trial's quality shifts its chance of being
right. Each resample's accuracies come from multinomial row counts, so a whole simulated search is a few
milliseconds.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwell.automl._gain import GAIN_ALPHA, SelectionCheck, reality_check, resampled_scores
from trainwell.evaluate.intervals import bootstrap_ci
from trainwell.metrics import functional

ROWS, RESAMPLES, SEEDS = 300, 200, 60


def simulated_search(seed: int, quality: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's accuracy gain over the defaults (K,) and on each resample of the rows (B, K); ``quality``:
    each trial's shift in the chance of a right answer (0: exactly as good as the defaults)."""
    generator = np.random.default_rng(seed)
    difficulty = generator.normal(size=(ROWS, 1))
    shift = np.r_[0.0, quality]  # the defaults first
    right = (difficulty + generator.normal(size=(ROWS, len(shift))) - shift < 0.5).astype(np.float64)
    counts = generator.multinomial(ROWS, np.full(ROWS, 1 / ROWS), size=RESAMPLES)  # (B, N)
    accuracy, resampled = right.mean(axis=0), counts @ right / ROWS
    return accuracy[1:] - accuracy[0], resampled[:, 1:] - resampled[:, :1]


def naive_clear(gains: np.ndarray, resampled: np.ndarray) -> bool:
    """The rule before: the best trial's own 90% interval above 0, its choice among the others ignored."""
    return bool(np.quantile(resampled[:, gains.argmax()], 0.05) > 0)


def test_the_best_of_twenty_trials_no_better_than_the_defaults_is_not_called_clear() -> None:
    searches = [simulated_search(seed, [0.0] * 20) for seed in range(SEEDS)]
    clear = [reality_check(gains, resampled, ROWS).clear for gains, resampled in searches]
    assert sum(clear) <= 0.1 * SEEDS  # the defaults kept in at least 90% of searches (about 95% expected)
    # What the best trial's own interval said: "clear" in about a third of them, all selection noise.
    assert sum(naive_clear(*search) for search in searches) >= 0.2 * SEEDS


def test_one_trial_really_better_among_twenty_is_still_found() -> None:
    found = []
    for seed in range(SEEDS):
        gains, resampled = simulated_search(seed, [0.0] * 19 + [0.6])
        found.append(reality_check(gains, resampled, ROWS).clear and gains.argmax() == 19)
    assert sum(found) >= 0.9 * SEEDS


def test_trials_clearly_worse_than_the_defaults_do_not_hide_a_real_gain() -> None:
    # Hansen's recentring: a trial far below the defaults keeps its own mean in the chance gain, so a search's
    # poor trials (a learning rate far off) leave the p-value as the better trials alone give it.
    gains, resampled = simulated_search(2, [0.0, 0.0, 0.25] + [-1.5] * 15)
    alone = reality_check(gains[:3], resampled[:, :3], ROWS)
    check = reality_check(gains, resampled, ROWS)
    assert check.p_value == alone.p_value and check.clear and check.trials == 18
    # Recentred as if no better than the defaults (White's own rule), those trials would hide the gain.
    plain = (resampled - gains).max(axis=1)
    assert (1 + (plain >= gains.max()).sum()) / (1 + RESAMPLES) > 2 * GAIN_ALPHA


def test_the_p_value_counts_the_resamples_whose_chance_gain_reaches_the_best() -> None:
    gains = np.array([0.05, 0.01])
    resampled = np.array([[0.05, 0.01], [0.10, 0.01], [0.02, 0.07], [0.04, 0.00], [np.nan, 0.0]])
    check = reality_check(gains, resampled, rows=1000)
    # Chance gains, each trial recentred by its own gain: max(0, 0), max(0.05, 0), max(-0.03, 0.06),
    # max(-0.01, -0.01); the last resample (undefined) is left out. Two of four reach 0.05.
    assert check == SelectionCheck(p_value=3 / 5, low=check.low, trials=2, resamples=4)
    assert np.isinf(check.low) and check.low < 0  # four resamples cannot give a p-value below 0.05


@pytest.mark.parametrize("seed", range(8))
def test_the_low_bound_is_above_zero_exactly_when_the_gain_is_clear(seed: int) -> None:
    gains, resampled = simulated_search(seed, [0.0] * 4 + [0.5 * seed / 7])
    check = reality_check(gains, resampled, ROWS)
    assert (check.low > 0) == check.clear == (check.p_value < GAIN_ALPHA)
    assert check.low <= gains.max()


def test_resampled_scores_pair_every_model_on_the_rows_bootstrap_ci_draws() -> None:
    # One pair's gain over the resamples is bootstrap_ci's paired interval with the same seed: the interval
    # reported beside the check is the one reported before it.
    generator = torch.Generator().manual_seed(0)
    truth = (torch.rand(80, generator=generator) < 0.4).float()
    first, second = (truth * 0.3 + torch.rand(80, generator=generator) for _ in range(2))

    def auc(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return functional.roc_auc(preds, targets, "binary")

    observed, resampled = resampled_scores([first, second], truth, auc, 50, seed=3)
    assert observed.tolist() == [auc(first, truth), auc(second, truth)]
    # A binary AUC is resampled from one sort per model: the same numbers, to the last bit.
    assert np.array_equal(resampled_scores([first, second], truth, auc, 50, 3, binary_auc=True)[1], resampled)
    gains = resampled[:, 1] - resampled[:, 0]
    _, low, high = bootstrap_ci(
        lambda pair, targets: auc(pair[:, 1], targets) - auc(pair[:, 0], targets),
        torch.stack([first, second], dim=1), truth, n_boot=50, level=0.9, seed=3,
    )  # fmt: skip
    assert (low, high) == tuple(np.quantile(gains[~np.isnan(gains)], [0.05, 0.95]))
