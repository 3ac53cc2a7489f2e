"""TTA is recommended only when it beats the plain answers beyond noise, for every kind of task. A tour's
multi-label report said "TTA helps here (accuracy 0.8122 plain, 0.8133 with TTA on 150 images): use --tta" for
one label decision in 900, and multi-label and regression models never had the "too few changed" caution."""

from __future__ import annotations

import torch

from trainwell.data.task import Task
from trainwell.vision.tta_effect import tta_effect

LABELS = Task("multilabel", ("a", "b", "c", "d", "e", "f"), ("y",))
CLASSES = Task("multiclass", ("a", "b"), ("y",))
NUMBERS = Task("regression", (), ("y",))


def _tags(n: int = 150) -> torch.Tensor:
    return (torch.rand(n, 6, generator=torch.Generator().manual_seed(0)) > 0.5).float()


def test_one_label_decision_in_900_is_no_reason_to_use_tta() -> None:
    truth = _tags()
    tta = truth * 0.8 + 0.1  # every decision right
    plain = tta.clone()
    plain[0, 0] = 1 - plain[0, 0]  # one wrong: 899 of 900
    effect = tta_effect(LABELS, plain, tta, truth)
    assert effect.helps is None and (effect.label_fixed, effect.label_broken) == (1, 0)
    said = effect.verdict()
    assert said.startswith(
        "TTA makes no clear difference here (accuracy 0.9989 plain, 1.0000 with TTA on 150"
    )
    assert "it fixes 1 and breaks 0 label decisions, too few changed answers to be sure (under 10)" in said
    assert "use --tta" not in said and "predict without --tta" in said


def test_many_label_decisions_fixed_on_many_images_do_recommend_it() -> None:
    truth = _tags()
    tta = truth * 0.8 + 0.1
    plain = tta.clone()
    plain[:40, 0] = 1 - plain[:40, 0]  # 40 images each with one label wrong that TTA gets right
    effect = tta_effect(LABELS, plain, tta, truth)
    assert effect.helps is True and effect.verdict().endswith("use --tta (predict, serve)")
    assert "it fixes 40 and breaks 0 label decisions" in effect.verdict()


def test_as_many_fixed_as_broken_is_within_noise() -> None:
    targets = torch.tensor([0, 1] * 50)
    right = torch.nn.functional.one_hot(targets, 2).float()
    plain, tta = right.clone(), right.clone()
    plain[:14] = 1 - plain[:14]  # TTA fixes 14
    tta[14:24] = 1 - tta[14:24]  # and breaks 10: accuracy 0.86 -> 0.90
    effect = tta_effect(CLASSES, plain, tta, targets)
    assert (effect.fixed, effect.broken) == (14, 10) and effect.helps is None
    said = effect.verdict()
    assert said.startswith("TTA makes no clear difference here (accuracy 0.8600 plain, 0.9000 with TTA")
    assert "a difference within noise (paired test p = 0.541)" in said


def test_a_regression_verdict_is_a_paired_test_over_images() -> None:
    generator = torch.Generator().manual_seed(0)
    truth = torch.randn(100, 1, generator=generator)
    noise_a = torch.randn(100, 1, generator=generator) * 0.5
    noise_b = noise_a.roll(1) * 1.05  # the same errors on other images, 5% larger
    noisy = tta_effect(NUMBERS, truth + noise_a, truth + noise_b, truth)
    assert noisy.plain != noisy.tta and noisy.helps is None
    assert "TTA makes no clear difference here (rmse " in noisy.verdict()
    assert "a difference within noise (paired test p = " in noisy.verdict()
    halved = tta_effect(NUMBERS, truth + noise_a, truth + noise_a / 2, truth)
    assert halved.helps is True and halved.verdict().endswith("use --tta (predict, serve)")
