"""A paired comparison of two models on the same rows: the verdicts follow the evidence and the metric's
direction, the interval is paired (the same rows for both models), and McNemar's test matches the binomial."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from trainwell.core.errors import ConfigError
from trainwell.evaluate.intervals import bootstrap_ci
from trainwell.evaluate.paired import compare_predictions, mcnemar, metric_fn, paired_metric
from trainwell.metrics import functional

N = 600


def binary_rows(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets, a weak model's and a strong model's probabilities of them."""
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(N, generator=generator) < 0.4).float()
    signal = targets * 2 - 1
    weak = torch.sigmoid(0.3 * signal + torch.randn(N, generator=generator))
    strong = torch.sigmoid(2.5 * signal + torch.randn(N, generator=generator))
    return targets, weak, strong


def test_a_clearly_better_b_is_called_better_and_swapping_the_models_turns_the_verdict() -> None:
    targets, weak, strong = binary_rows()
    metrics = ["accuracy", "roc_auc", "f1", "log_loss", "error_rate"]
    found = compare_predictions("binary", weak, strong, targets, metrics, n_boot=300)
    for row in found.metrics:
        assert row.verdict == "B is better", row
        assert row.outcome == "beats"
        # B - A is positive where higher is better and negative where lower is (log_loss, error_rate).
        assert (row.difference.mean > 0) == row.higher_is_better
        assert row.difference.low <= row.difference.mean <= row.difference.high
        assert row.difference.low > 0 or row.difference.high < 0  # the interval excludes 0
    swapped = compare_predictions("binary", strong, weak, targets, metrics, n_boot=300)
    assert [row.verdict for row in swapped.metrics] == ["A is better"] * len(metrics)
    assert found.mcnemar is not None and found.mcnemar.b_only > found.mcnemar.a_only
    assert found.mcnemar.p_exact < 0.001


def test_identical_models_show_no_difference_whatever_the_metric() -> None:
    targets, weak, _ = binary_rows()
    found = compare_predictions("binary", weak, weak.clone(), targets, ["accuracy", "roc_auc", "log_loss"])
    for row in found.metrics:
        assert row.verdict == "no clear difference: the interval holds 0"
        assert row.difference.mean == 0 and row.difference.low == 0 and row.difference.high == 0
        assert row.a.mean == row.b.mean
    assert found.mcnemar is not None
    assert (found.mcnemar.a_only, found.mcnemar.b_only, found.mcnemar.p_exact) == (0, 0, 1.0)


def test_two_models_of_equal_skill_get_an_interval_that_holds_zero() -> None:
    generator = torch.Generator().manual_seed(3)
    targets = (torch.rand(N, generator=generator) < 0.5).float()
    signal = targets * 2 - 1
    # Each model errs on its own random rows with the same skill: the difference is noise.
    first = torch.sigmoid(signal + 1.5 * torch.randn(N, generator=generator))
    second = torch.sigmoid(signal + 1.5 * torch.randn(N, generator=generator))
    row = paired_metric("accuracy", "binary", first, second, targets, n_boot=500)
    assert row.difference.low < 0 < row.difference.high
    assert row.verdict == "no clear difference: the interval holds 0"


def test_regression_errors_lower_is_better() -> None:
    generator = torch.Generator().manual_seed(1)
    targets = torch.randn(N, generator=generator) * 10
    close = targets + torch.randn(N, generator=generator)
    far = targets + 4 * torch.randn(N, generator=generator)
    found = compare_predictions("regression", far, close, targets, ["rmse", "mae", "r2"], n_boot=300)
    by_name = {row.metric: row for row in found.metrics}
    assert by_name["rmse"].difference.mean < 0 and not by_name["rmse"].higher_is_better
    assert by_name["r2"].difference.mean > 0 and by_name["r2"].higher_is_better
    assert all(row.verdict == "B is better" for row in found.metrics)
    assert found.mcnemar is None  # no decisions to count
    assert by_name["rmse"].a.mean == pytest.approx(functional.rmse(far, targets))
    assert by_name["rmse"].b.mean == pytest.approx(functional.rmse(close, targets))


def test_multiclass_gets_mcnemar_on_argmax_decisions() -> None:
    targets = torch.tensor([0, 1, 2] * 40)
    right = torch.nn.functional.one_hot(targets, 3).float() * 0.6 + 0.1
    wrong_half = right.clone()
    wrong_half[::2] = right[::2].roll(1, dims=1)  # 60 rows now argmax another class
    found = compare_predictions("multiclass", right, wrong_half, targets, ["accuracy", "roc_auc"], n_boot=200)
    assert found.mcnemar is not None
    assert (found.mcnemar.a_only, found.mcnemar.b_only) == (60, 0)
    assert [row.verdict for row in found.metrics] == ["A is better", "A is better"]
    assert found.metrics[0].difference.mean == pytest.approx(-0.5)


def test_multilabel_decides_each_label_at_its_threshold_and_has_no_mcnemar() -> None:
    generator = torch.Generator().manual_seed(5)
    targets = (torch.rand(N, 3, generator=generator) < 0.3).float()
    sharp = targets * 0.8 + 0.1
    blurred = (targets * 0.2 + 0.4 + 0.3 * torch.rand(N, 3, generator=generator)).clamp(0, 1)
    found = compare_predictions(
        "multilabel", blurred, sharp, targets, ["accuracy", "f1"], thresholds=((0.5,) * 3, (0.5,) * 3)
    )
    assert found.mcnemar is None
    assert [row.verdict for row in found.metrics] == ["B is better", "B is better"]
    assert found.metrics[0].b.mean == 1.0


def test_the_interval_is_paired_the_same_rows_score_both_models() -> None:
    # B = A with a few rows fixed: the models agree almost everywhere, so their difference is far surer than
    # either model's own accuracy; resampling each model's rows apart would see no difference at all.
    targets, weak, _ = binary_rows()
    decided_wrong = torch.nonzero((weak >= 0.5).float() != targets).reshape(-1)
    fixed = weak.clone()
    fixed[decided_wrong[:25]] = targets[decided_wrong[:25]] * 0.8 + 0.1
    row = paired_metric("accuracy", "binary", weak, fixed, targets, n_boot=1000)
    assert row.difference.mean == pytest.approx(25 / N)
    assert row.verdict == "B is better"
    own_width = row.a.high - row.a.low
    assert row.difference.high - row.difference.low < own_width / 2
    assert row.a.high > row.b.low  # their own intervals overlap: only the pairing sees the gain


def test_the_interval_matches_a_bootstrap_of_the_difference_scored_resample_by_resample() -> None:
    targets, weak, strong = binary_rows(seed=4)
    row = paired_metric("roc_auc", "binary", weak, strong, targets, n_boot=200, seed=7)
    pair = torch.stack([weak, strong], dim=1)
    point, low, high = bootstrap_ci(
        lambda p, t: functional.roc_auc(p[:, 1], t, "binary") - functional.roc_auc(p[:, 0], t, "binary"),
        pair,
        targets,
        n_boot=200,
        seed=7,
    )  # the generic path: one metric call per resample
    assert row.difference.mean == pytest.approx(point)
    assert (row.difference.low, row.difference.high) == pytest.approx((low, high))
    assert row.a.mean == pytest.approx(functional.roc_auc(weak, targets, "binary"))


def test_the_same_seed_gives_the_same_interval_and_another_seed_another() -> None:
    targets, weak, strong = binary_rows()
    first = paired_metric("accuracy", "binary", weak, strong, targets, n_boot=200, seed=1)
    again = paired_metric("accuracy", "binary", weak, strong, targets, n_boot=200, seed=1)
    other = paired_metric("accuracy", "binary", weak, strong, targets, n_boot=200, seed=2)
    assert first == again
    assert first.difference.mean == other.difference.mean
    assert (first.difference.low, first.difference.high) != (other.difference.low, other.difference.high)


def test_each_model_decides_at_its_own_threshold() -> None:
    targets = torch.tensor([1.0, 1.0, 0.0, 0.0])
    preds = torch.tensor([0.7, 0.6, 0.4, 0.3])
    found = compare_predictions(
        "binary", preds, preds, targets, ["accuracy"], thresholds=(0.5, 0.65), n_boot=50
    )
    assert (found.metrics[0].a.mean, found.metrics[0].b.mean) == (1.0, 0.75)
    assert found.mcnemar is not None and (found.mcnemar.a_only, found.mcnemar.b_only) == (1, 0)
    assert metric_fn("accuracy", "binary", 0.65)(preds, targets) == 0.75


@pytest.mark.parametrize(("a_only", "b_only"), [(5, 1), (0, 7), (12, 30), (40, 41)])
def test_mcnemar_is_the_exact_binomial_test_of_the_discordant_rows(a_only: int, b_only: int) -> None:
    both = 20
    correct_a = np.array([True] * (a_only + both) + [False] * b_only + [False] * 9)
    correct_b = np.array([False] * a_only + [True] * both + [True] * b_only + [False] * 9)
    found = mcnemar(correct_a, correct_b)
    assert (found.a_only, found.b_only) == (a_only, b_only)
    n, k = a_only + b_only, min(a_only, b_only)
    assert found.p_exact == pytest.approx(stats.binomtest(k, n, 0.5).pvalue)
    # mid-p: the observed split's own probability counted half, on both tails.
    tail = sum(math.comb(n, i) for i in range(k)) / 2**n
    assert found.p_mid == pytest.approx(min(1.0, 2 * tail + math.comb(n, k) / 2**n))
    assert found.p_mid <= found.p_exact


def test_mismatched_predictions_and_no_resamples_are_refused() -> None:
    targets, weak, _ = binary_rows()
    with pytest.raises(ConfigError, match="same shape"):
        paired_metric("accuracy", "binary", weak, weak[:-1], targets)
    with pytest.raises(ConfigError, match="at least 1"):
        compare_predictions("binary", weak, weak, targets, ["accuracy"], n_boot=0)
    with pytest.raises(ConfigError, match="same rows"):
        mcnemar([True, False], [True])


def test_mcnemar_sentence_names_the_examples_and_counts_one_in_the_singular() -> None:
    # compare says texts or images for those models; "1 texts" read as a slip.
    one = mcnemar([True, False, False], [False, True, True])
    assert one.sentence(unit="texts").startswith(
        "A alone is right on 1 text, B alone on 2: McNemar exact p = "
    )
    assert mcnemar([True] * 3, [True] * 3).sentence(unit="images") == (
        "A and B are right and wrong on exactly the same images: McNemar's test has nothing to weigh"
    )
    assert (
        mcnemar([True, True], [False, False])
        .sentence()
        .startswith("A alone is right on 2 rows, B alone on 0")
    )
