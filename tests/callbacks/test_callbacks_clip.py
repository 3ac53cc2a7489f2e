"""GradientClip: the total gradient norm after clipping is at most max_norm, and the direction is kept."""

from __future__ import annotations

import math
import re

import pytest
import torch
from callbacks_helpers import linear_learner
from torch import nn

from trainwell.callbacks import GradientClip
from trainwell.core.errors import ConfigError
from trainwell.learner import Callback


class GradSpy(Callback):
    """Copies the gradients at after_backward, at a chosen position relative to GradientClip (order 30)."""

    def __init__(self, order: int) -> None:
        self.order = order  # type: ignore[misc]
        self.grads: list[list[torch.Tensor]] = []

    def after_backward(self, learn) -> None:
        self.grads.append([p.grad.detach().clone() for p in learn.model.parameters()])


def _norm(grads: list[torch.Tensor], norm_type: float) -> float:
    if math.isinf(norm_type):
        return max(float(g.abs().max()) for g in grads)
    return float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads]), norm_type))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clipped_norm_is_at_most_max_norm_and_direction_is_kept(norm_type: float) -> None:
    max_norm = 0.05  # far below the gradients of this regression, so every step is clipped
    before, after = GradSpy(order=25), GradSpy(order=35)
    learn = linear_learner(callbacks=[before, GradientClip(max_norm, norm_type), after])
    learn.fit(1)
    assert len(after.grads) == 4
    for raw, clipped in zip(before.grads, after.grads, strict=True):
        raw_norm = _norm(raw, norm_type)
        assert raw_norm > max_norm
        assert _norm(clipped, norm_type) <= max_norm * (1 + 1e-5)
        scale = max_norm / (raw_norm + 1e-6)  # torch's clip coefficient
        for g_raw, g_clipped in zip(raw, clipped, strict=True):
            torch.testing.assert_close(g_clipped, g_raw * scale, rtol=1e-5, atol=1e-7)


def test_small_gradients_are_untouched_and_last_norm_is_recorded() -> None:
    before, after = GradSpy(order=25), GradSpy(order=35)
    clip = GradientClip(max_norm=1e6)
    linear_learner(callbacks=[before, clip, after]).fit(1)
    for raw, clipped in zip(before.grads, after.grads, strict=True):
        for g_raw, g_clipped in zip(raw, clipped, strict=True):
            torch.testing.assert_close(g_clipped, g_raw)
    assert clip.last_norm is not None
    assert float(clip.last_norm) == pytest.approx(_norm(before.grads[-1], 2.0), rel=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_norm": 0}, "GradientClip max_norm must be a number > 0, got 0; pass e.g. max_norm=1.0"),
        ({"max_norm": float("nan")}, "GradientClip max_norm must be a number > 0, got nan"),
        ({"norm_type": -2}, "GradientClip norm_type must be a number > 0, got -2; pass e.g. norm_type=2.0"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        GradientClip(**kwargs)


def test_a_fits_clip_stands_in_for_the_learners_own() -> None:
    """A language model's learner clips at 0.25; ``fit(callbacks=[GradientClip(1e6)])`` (fit --clip) must clip at
    1e6 alone for that fit, not at both (the tighter winning), and the learner's own is back for the next fit."""
    own, given = GradientClip(max_norm=0.01), GradientClip(max_norm=1e6)
    before, after = GradSpy(order=25), GradSpy(order=35)
    learn = linear_learner(callbacks=[own, before, after])
    learn.fit(1, callbacks=[given])
    assert [cb for cb in learn._active if isinstance(cb, GradientClip)] == [given]
    assert own.last_norm is None and given.last_norm is not None
    for raw, clipped in zip(before.grads, after.grads, strict=True):
        for g_raw, g_clipped in zip(raw, clipped, strict=True):
            torch.testing.assert_close(g_clipped, g_raw)  # 0.01 would have cut these
    learn.fit(1)
    assert own.last_norm is not None


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_sparse_gradients_are_clipped_as_their_dense_twins_are(norm_type: float) -> None:
    # A text model's bag of n-grams has sparse gradients: fit --clip crashed on them ("linalg_vector_norm ...
    # SparseCPU") with a traceback of 150 lines.
    from types import SimpleNamespace

    torch.manual_seed(0)
    sparse = nn.EmbeddingBag(20, 4, mode="sum", sparse=True)
    dense = nn.EmbeddingBag(20, 4, mode="sum", sparse=False)
    dense.load_state_dict(sparse.state_dict())
    head_a, head_b = nn.Linear(4, 1), nn.Linear(4, 1)
    head_b.load_state_dict(head_a.state_dict())
    words, offsets = torch.tensor([1, 2, 2, 5, 7, 1]), torch.tensor([0, 3])
    for bag, head in ((sparse, head_a), (dense, head_b)):
        (head(bag(words, offsets)) ** 2).sum().mul(50).backward()
    clip = GradientClip(max_norm=0.1, norm_type=norm_type)
    clip.after_backward(SimpleNamespace(model=nn.ModuleList([sparse, head_a])))  # type: ignore[arg-type]
    expected = torch.nn.utils.clip_grad_norm_([*dense.parameters(), *head_b.parameters()], 0.1, norm_type)
    assert clip.last_norm is not None and float(clip.last_norm) == pytest.approx(float(expected), rel=1e-5)
    torch.testing.assert_close(sparse.weight.grad.to_dense(), dense.weight.grad)
    torch.testing.assert_close(head_a.weight.grad, head_b.weight.grad)
