"""Weight averaging: an exponential or uniform average of the weights over training, or Lookahead.

An average of the weights visited late in training generalises better than the last iterate: Polyak averaging,
the averaged SGD that AWD-LSTM's perplexities rely on (Merity et al. 2017), stochastic weight averaging
(Izmailov et al. 2018), the EMA of most image-model recipes, and the Lookahead of the CIFAR-10 speed records
(Zhang et al. 2019; airbench), where the network itself is pulled back to the average every few steps.

Validation measures the average (so ``history``, :class:`~trainwell.callbacks.SaveBest` and early stopping
see the weights that will be kept), and the model holds the average when the fit ends. A checkpoint holds both
the average and the weights being trained, so a resumed fit continues exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from trainwell.callbacks._validate import choice, flag, positive_int
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["WeightAverage"]


class WeightAverage(Callback):
    """Keep an average of the weights during training; validate with it and end the fit with it.

    Args:
        kind: ``"ema"``: an exponential moving average, ``avg += (1 - d) * (w - avg)``;
            ``"uniform"``: the plain mean of the weights from ``start`` on (averaged SGD, SWA).
        decay: the EMA's ``d`` per update (0 < d < 1). Early updates use less (see ``warmup``) so the average
            does not drag the random initial weights along.
        every: update the average every this many optimizer steps.
        start: fraction of the fit's steps after which averaging begins (``"uniform"``; the EMA starts at 0).
        warmup: how the EMA's decay grows: ``"count"``: ``min(d, (1 + n) / (10 + n))`` after ``n`` updates;
            ``"cubic"``: ``d * progress**3`` over the fit (the speed records' schedule, for ``reset``).
        reset: Lookahead: after each update the network continues from the average (the "slow weights").
        keep: leave the average in the model when the fit ends (else the trained weights are put back).
        validate: measure the average at validation (else the trained weights; several averages can then be
            kept side by side and compared afterwards with :meth:`apply_to`).

    Floating-point buffers (batch-norm statistics) are averaged like the weights; others are copied.

    Example:
        >>> learn.fit_one_cycle(10, 3e-3, callbacks=[WeightAverage("ema", decay=0.999)])  # doctest: +SKIP
        >>> learn.fit_one_cycle(10, 3e-3, callbacks=[WeightAverage("uniform", start=0.5)])  # doctest: +SKIP
    """

    order = 20  # after the optimizer step's own callbacks; swaps weights before any validation callback reads

    def __init__(
        self,
        kind: str = "ema",
        decay: float = 0.999,
        every: int = 1,
        start: float = 0.0,
        warmup: str = "count",
        reset: bool = False,
        keep: bool = True,
        validate: bool = True,
    ) -> None:
        self.kind = choice("WeightAverage", "kind", kind, ("ema", "uniform"))
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay < 1:
            raise ConfigError(f"WeightAverage decay must be between 0 and 1 (exclusive), got {decay!r}")
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not 0 <= start < 1:
            raise ConfigError(f"WeightAverage start is a fraction of the fit in [0, 1), got {start!r}")
        self.decay = float(decay)
        self.every = positive_int("WeightAverage", "every", every, example=5)
        self.start = float(start)
        self.warmup = choice("WeightAverage", "warmup", warmup, ("count", "cubic"))
        self.reset = flag("WeightAverage", "reset", reset)
        self.keep = flag("WeightAverage", "keep", keep)
        self.validate = flag("WeightAverage", "validate", validate)
        self.average: dict[str, torch.Tensor] | None = None
        self.n_averaged = 0
        self._live: dict[str, torch.Tensor] | None = (
            None  # the trained weights while the average is swapped in
        )

    # ------------------------------------------------------------------------------------------ events
    def before_fit(self, learn: Learner) -> None:
        self.average, self.n_averaged, self._live = None, 0, None
        self._learn_model = learn.model

    def after_step(self, learn: Learner) -> None:
        step = learn.iteration + 1  # optimizer steps taken, this one included
        if step % self.every or learn.iteration < self.start * learn.n_iterations:
            return
        state = _averaged_entries(learn.model)
        if self.average is None:
            self.average = {key: value.detach().clone() for key, value in state.items()}
            self.n_averaged = 1
            return
        weight = self._new_weight(learn)
        self.n_averaged += 1
        with torch.no_grad():
            for key, value in state.items():
                average = self.average[key]
                if average.is_floating_point():
                    average.lerp_(value.detach(), weight)
                else:
                    average.copy_(value)
                if self.reset:
                    value.copy_(average)

    def before_validate(self, learn: Learner) -> None:
        if self.validate:
            self._swap_in(learn)

    def before_train(self, learn: Learner) -> None:
        self._swap_out(learn)

    def after_fit(self, learn: Learner) -> None:
        if self.keep:
            self._swap_in(learn)
            self._live = None  # the average stays
        else:
            self._swap_out(learn)

    def teardown(self, learn: Learner) -> None:
        self._swap_out(learn)  # a fit that failed mid-validation gets its trained weights back

    def apply_to(self, model: torch.nn.Module) -> None:
        """Copy the average into ``model`` (the one trained, or a copy of it)."""
        if self.average is None:
            raise ConfigError("WeightAverage has no average yet: it is built during a fit (after `start`)")
        _load_into(model, self.average)

    # ------------------------------------------------------------------------------------- checkpoints
    def checkpoint_state(self) -> dict[str, Any] | None:
        if self.average is None:
            return None
        state: dict[str, Any] = {"n_averaged": self.n_averaged, "average": _on_cpu(self.average)}
        if self._live is not None:
            state["live"] = _on_cpu(self._live)
        return state

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.n_averaged = int(state["n_averaged"])
        entries = _averaged_entries(self._learn_model) if self._learn_model is not None else {}
        self.average = {
            key: value.to(entries[key].device if key in entries else value.device, copy=True)
            for key, value in state["average"].items()
        }
        self._live = None
        live = state.get("live")
        if live is not None and self._learn_model is not None:
            # The checkpoint's model weights are the average (it was written after validation): train on.
            _load_into(self._learn_model, live)

    # ----------------------------------------------------------------------------------------- helpers
    _learn_model: torch.nn.Module | None = None

    def _new_weight(self, learn: Learner) -> float:
        """The share of the current weights in this update (``1 - decay``, or ``1 / n`` for a plain mean)."""
        if self.kind == "uniform":
            return 1.0 / (self.n_averaged + 1)
        if self.warmup == "cubic":
            progress = (learn.iteration + 1) / max(learn.n_iterations, 1)
            return 1.0 - self.decay * progress**3
        return 1.0 - min(self.decay, (1 + self.n_averaged) / (10 + self.n_averaged))

    def _swap_in(self, learn: Learner) -> None:
        self._learn_model = learn.model
        if self.average is None or self._live is not None:
            return
        state = _averaged_entries(learn.model)
        self._live = {key: value.detach().clone() for key, value in state.items()}
        _load_into(learn.model, self.average)

    def _swap_out(self, learn: Learner) -> None:
        self._learn_model = learn.model
        if self._live is None:
            return
        _load_into(learn.model, self._live)
        self._live = None

    def __repr__(self) -> str:
        return (
            f"WeightAverage(kind={self.kind!r}, decay={self.decay}, every={self.every}, reset={self.reset})"
        )


def _averaged_entries(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers by name, without duplicates (tied weights appear once)."""
    entries: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for key, value in [*model.named_parameters(), *model.named_buffers()]:
        if id(value) not in seen:
            seen.add(id(value))
            entries[key] = value
    return entries


def _on_cpu(values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU copies, so a checkpoint written on a GPU loads anywhere."""
    return {key: value.detach().to("cpu", copy=True) for key, value in values.items()}


@torch.no_grad()
def _load_into(model: torch.nn.Module, values: dict[str, torch.Tensor]) -> None:
    entries = _averaged_entries(model)
    for key, value in values.items():
        entries[key].copy_(value)
