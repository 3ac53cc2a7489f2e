"""AdaBelief: Adam whose second moment tracks the *surprise* ``(g - m)^2`` instead of ``g^2``.

Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients" (NeurIPS),
Algorithm 2. Per parameter, at step ``t``::

    m_t = b1 * m_{t-1} + (1 - b1) * g_t
    s_t = b2 * s_{t-1} + (1 - b2) * (g_t - m_t)^2 + eps
    m_hat = m_t / (1 - b1^t);   s_hat = s_t / (1 - b2^t)
    p_t = p_{t-1} - lr * m_hat / (sqrt(s_hat) + eps)

When the gradient agrees with its running mean (a confident "belief") ``s`` is small and the step is large;
when it jumps around the step shrinks. torch has no AdaBelief, and the reference package ``adabelief-pytorch``
bundles rectification and version-dependent defaults we do not want, so we write the plain algorithm here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from trainwell.core.errors import ConfigError

__all__ = ["AdaBelief"]


def _check_hyperparameters(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    """Raise :class:`ConfigError` naming the first out-of-range hyper-parameter (torch.optim's wording)."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr >= 0.0):
        raise ConfigError(f"Invalid learning rate: {lr}; lr must be a finite number >= 0. Pass e.g. lr=1e-3.")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0.0):
        raise ConfigError(
            f"Invalid epsilon value: {eps}; eps must be a finite number >= 0. Pass e.g. eps=1e-16."
        )
    if len(betas) != 2:
        raise ConfigError(f"Invalid betas: {betas}; betas must be a pair. Pass e.g. betas=(0.9, 0.999).")
    for index, beta in enumerate(betas):
        if not (isinstance(beta, (int, float)) and 0.0 <= beta < 1.0):
            raise ConfigError(
                f"Invalid beta parameter at index {index}: {beta}; each beta must lie in [0, 1). "
                "Pass e.g. betas=(0.9, 0.999)."
            )
    if not (isinstance(weight_decay, (int, float)) and math.isfinite(weight_decay) and weight_decay >= 0.0):
        raise ConfigError(
            f"Invalid weight_decay value: {weight_decay}; weight_decay must be a finite number >= 0. "
            "Pass e.g. weight_decay=0.01."
        )


class AdaBelief(torch.optim.Optimizer):
    """AdaBelief optimizer (Zhuang et al. 2020, Algorithm 2) with decoupled weight decay by default.

    ``eps`` defaults to ``1e-16``, the value the paper uses for its image-classification experiments: it is
    added to ``s`` every step *and* to the denominator, so it must be much smaller than Adam's ``1e-8`` for the
    belief term to matter. Raise it (e.g. ``1e-8``) if training is unstable in low precision.

    Hyper-parameters are read from each param group at every step, so schedules may change ``lr`` and
    ``betas`` between steps. Bias correction uses the betas of the current step.

    Args:
        params: Parameters or param-group dicts, as for any ``torch.optim.Optimizer``.
        lr: Step size ``alpha``.
        betas: ``(b1, b2)``: decay rates of the gradient mean and of the belief ``(g - m)^2``.
        eps: Added to ``s_t`` each step and to ``sqrt(s_hat)`` in the update.
        weight_decay: Decay coefficient; per-group values override it.
        decoupled_weight_decay: ``True`` (default) shrinks weights directly, ``p *= 1 - lr * weight_decay``,
            as AdamW does; ``False`` adds ``weight_decay * p`` to the gradient (classic L2).

    Example:
        >>> model = torch.nn.Linear(3, 1)
        >>> optimizer = AdaBelief(model.parameters(), lr=1e-2, weight_decay=0.01)
        >>> model(torch.ones(2, 3)).sum().backward()
        >>> optimizer.step()
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = True,
    ) -> None:
        _check_hyperparameters(lr, tuple(betas), eps, weight_decay)  # type: ignore[arg-type]
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Update every parameter that has a gradient; return the closure's loss when one is given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._update_parameter(param, group)
        return loss

    def _update_parameter(self, param: torch.Tensor, group: dict[str, Any]) -> None:
        grad = param.grad
        assert grad is not None
        if grad.is_sparse:
            raise ConfigError(
                "AdaBelief does not support sparse gradients; use torch.optim.SparseAdam instead."
            )
        lr = float(group["lr"])
        beta1, beta2 = (float(beta) for beta in group["betas"])
        eps, weight_decay = float(group["eps"]), float(group["weight_decay"])

        state = self.state[param]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["exp_avg_belief"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_belief = state["exp_avg"], state["exp_avg_belief"]

        if weight_decay != 0.0:
            if group["decoupled_weight_decay"]:
                param.mul_(1.0 - lr * weight_decay)
            else:
                grad = grad.add(param, alpha=weight_decay)

        exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        surprise = grad - exp_avg
        exp_avg_belief.mul_(beta2).addcmul_(surprise, surprise, value=1.0 - beta2).add_(eps)

        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        denominator = (exp_avg_belief / bias_correction2).sqrt_().add_(eps)
        param.addcdiv_(exp_avg, denominator, value=-lr / bias_correction1)
