"""MixUp and CutMix in a real fit: training batches and losses are mixed, validation is untouched."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from trainwell.core.errors import ConfigError, DataError
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner
from trainwell.vision.mix import CutMix, MixUp, cutmix_batch, cutmix_box, mixup_batch


def tiny_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)
    )


def image_learner(*callbacks: Callback, seed: int = 0) -> Learner:
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(48, 3, 8, 8, generator=generator)
    labels = torch.randint(0, 3, (48,), generator=generator).numpy()
    data = tensor_data(images, labels, valid_pct=0.25, batch_size=12, seed=seed)
    torch.manual_seed(seed)
    return Learner(tiny_cnn(), data, callbacks=callbacks, progress=False, lr=1e-2)


class Spy(Callback):
    """Runs right after the mixing callback (order 6); checks what the loop sees against an unmixed loss."""

    order = 6

    def __init__(self, mix: MixUp | CutMix) -> None:
        self.mix = mix
        self.train_batches = 0
        self.valid_batches = 0
        self.largest_gap = 0.0

    def before_batch(self, learn: Learner) -> None:
        original = learn.batch[0]
        if not learn.training:
            assert learn.xb[0] is original
            return
        assert self.mix.perm is not None
        if isinstance(self.mix, MixUp):
            expected = self.mix.lam * original + (1 - self.mix.lam) * original[self.mix.perm]
            assert torch.allclose(learn.xb[0], expected, atol=1e-6)
        else:
            from_other = learn.xb[0] == original[self.mix.perm]
            from_self = learn.xb[0] == original
            assert bool((from_other | from_self).all())
            moved = self.mix.perm != torch.arange(len(original))  # random images match only themselves
            kept = from_self.all(1).float().mean(dim=(1, 2))[moved]  # share of each image's pixels kept
            assert torch.allclose(kept, torch.full_like(kept, self.mix.lam))

    def after_loss(self, learn: Learner) -> None:
        unmixed = F.cross_entropy(learn.pred, learn.yb)
        if not learn.training:
            self.valid_batches += 1
            assert torch.equal(learn.loss, unmixed)
            return
        self.train_batches += 1
        perm, lam = self.mix.perm, self.mix.lam
        assert perm is not None
        expected = lam * unmixed + (1 - lam) * F.cross_entropy(learn.pred, learn.yb[perm])
        assert torch.allclose(learn.loss, expected, atol=1e-6)
        assert learn.loss_grad is learn.loss and learn.loss.requires_grad
        self.largest_gap = max(self.largest_gap, float((learn.loss - unmixed).detach().abs()))


@pytest.mark.parametrize("mix", [MixUp(alpha=0.4), CutMix(alpha=1.0)], ids=["mixup", "cutmix"])
def test_a_fit_trains_on_mixed_batches_and_validates_on_plain_ones(mix: MixUp | CutMix) -> None:
    spy = Spy(mix)
    learn = image_learner(mix, spy)
    learn.fit(2)
    assert spy.train_batches == 6 and spy.valid_batches == 2
    assert spy.largest_gap > 1e-4  # the mixed loss really differs from the unmixed one
    # The recorded validation loss equals a plain evaluation of the final model: nothing mixed leaks in.
    assert learn.history[-1]["valid_loss"] == pytest.approx(learn.validate()["loss"], rel=1e-5)
    assert all(torch.isfinite(p).all() for p in learn.model.parameters())


def test_mixing_is_reproducible_from_the_seed() -> None:
    runs = []
    for _ in range(2):
        learn = image_learner(MixUp(alpha=0.4), seed=1)
        learn.fit(1)
        runs.append(learn.history[-1]["train_loss"])
    assert runs[0] == runs[1]
    plain = image_learner(seed=1)
    plain.fit(1)
    assert plain.history[-1]["train_loss"] != runs[0]


def test_pure_functions() -> None:
    x = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 4, 4).contiguous()
    perm = torch.tensor([1, 0, 3, 2])
    assert torch.allclose(mixup_batch(x, 0.25, perm)[:, 0, 0, 0], torch.tensor([0.75, 0.25, 2.75, 2.25]))
    mixed, kept = cutmix_batch(x, perm, (0, 2, 0, 4))  # top half replaced
    assert kept == 0.5
    assert torch.equal(mixed[:, :, :2], x[perm][:, :, :2]) and torch.equal(mixed[:, :, 2:], x[:, :, 2:])
    torch.manual_seed(0)
    for lam in (0.0, 0.3, 0.9, 1.0):
        top, bottom, left, right = cutmix_box(10, 10, lam)
        assert 0 <= top <= bottom <= 10 and 0 <= left <= right <= 10
        assert (bottom - top) * (right - left) <= round(10 * (1 - lam) ** 0.5) ** 2


def test_bad_alpha_and_non_image_inputs_are_user_errors() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("MixUp alpha must be a number > 0, got 0; pass e.g. alpha=0.4")
    ):
        MixUp(alpha=0)
    with pytest.raises(ConfigError, match=re.escape("CutMix alpha must be a number > 0, got -1")):
        CutMix(alpha=-1)
    data = tensor_data(torch.rand(16, 5), torch.arange(16) % 2, valid_pct=0.25, batch_size=8)
    learn = Learner(nn.Linear(5, 2), data, callbacks=[CutMix()], progress=False)
    with pytest.raises(
        DataError, match=re.escape("CutMix needs image batches (B, C, H, W), got shape (8, 5)")
    ):
        learn.fit(1)
