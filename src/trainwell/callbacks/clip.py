"""Gradient clipping: cap the total gradient norm before the optimizer step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from trainwell.callbacks._validate import positive_number
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


class GradientClip(Callback):
    """Rescale all gradients together so that their total norm is at most ``max_norm``.

    Runs in ``after_backward``, after :class:`GradientAccumulation` (which cancels the step on the batches
    that only accumulate, so the clip sees the full accumulated gradient once) and after
    :class:`MixedPrecision` (which unscales float16 gradients first, so ``max_norm`` is in true units).

    Args:
        max_norm: the largest allowed total norm.
        norm_type: which p-norm (``2.0`` = Euclidean; ``math.inf`` = largest absolute value).

    Attributes:
        last_norm: the total norm before clipping at the last step, a tensor left on the device (reading it
            is a synchronisation, so the callback never does).

    Example:
        >>> clip = GradientClip(max_norm=0.5)
    """

    order = 30
    one_per_fit = True  # one given to a fit replaces the learner's (a language model's 0.25) for that fit

    def __init__(self, max_norm: float = 1.0, norm_type: float = 2.0) -> None:
        self.max_norm = positive_number("GradientClip", "max_norm", max_norm)
        self.norm_type = positive_number(
            "GradientClip", "norm_type", norm_type, allow_inf=True, example="2.0"
        )
        self.last_norm: torch.Tensor | None = None

    def after_backward(self, learn: Learner) -> None:
        params = [p for p in learn.model.parameters() if p.grad is not None]
        if not params:
            return
        if any(p.grad is not None and p.grad.is_sparse for p in params):
            # A text model's bag of n-grams has sparse gradients (its rows of the words in the batch alone), which
            # torch's clip_grad_norm_ cannot take ("linalg_vector_norm ... SparseCPU"): fit --clip crashed.
            self.last_norm = _clip_with_sparse(
                [p.grad for p in params if p.grad is not None], self.max_norm, self.norm_type
            )
        else:
            self.last_norm = torch.nn.utils.clip_grad_norm_(params, self.max_norm, self.norm_type)

    def __repr__(self) -> str:
        norm = "inf" if math.isinf(self.norm_type) else self.norm_type
        return f"GradientClip(max_norm={self.max_norm}, norm_type={norm})"


def _clip_with_sparse(grads: list[torch.Tensor], max_norm: float, norm_type: float) -> torch.Tensor:
    """``clip_grad_norm_`` for gradients some of which are sparse: the total norm over every value (a sparse
    gradient's repeated rows summed first), and every gradient scaled by ``max_norm / (total + 1e-6)`` when that
    is below 1, as torch scales them."""
    norms = [torch.linalg.vector_norm(g.coalesce().values() if g.is_sparse else g, norm_type) for g in grads]
    stacked = torch.stack([norm.to(norms[0].device) for norm in norms])
    total = stacked.max() if math.isinf(norm_type) else torch.linalg.vector_norm(stacked, norm_type)
    coefficient = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for grad in grads:
        grad.mul_(coefficient.to(grad.device))
    return total
