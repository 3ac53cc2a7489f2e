"""Mixed precision: run forward and loss under ``torch.autocast`` (bfloat16, or float16 with loss scaling)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.device import bf16_supported
from trainwell.core.errors import ConfigError
from trainwell.core.precision_names import (  # noqa: F401  # ALIASES and DTYPES read here as before
    ALIASES,
    DTYPES,
    canonical_precision,
)
from trainwell.core.warn import warn
from trainwell.learner.events import Callback, CancelStep

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

_TORCH_DTYPES = {torch.bfloat16: "bfloat16", torch.float16: "float16", torch.float32: "float32"}


def canonical_dtype(dtype: object) -> str:
    """``dtype`` as one of :data:`DTYPES`: an alias (:data:`ALIASES`, any case) or a torch dtype is read as the
    name it stands for; anything else is a :class:`ConfigError` listing what is accepted. The spellings are
    :mod:`trainwell.core.precision_names`', the very ones the command line's ``--precision`` accepts."""
    if isinstance(dtype, torch.dtype) and dtype in _TORCH_DTYPES:
        return _TORCH_DTYPES[dtype]
    return canonical_precision(dtype, "MixedPrecision dtype")


def _float16_device_ok(device: torch.device) -> bool:
    # float16 autocast needs a loss scaler to keep small gradients from vanishing; we only support the CUDA one.
    return device.type == "cuda"


class MixedPrecision(Callback):
    """Compute the forward pass and the loss in a 16-bit float type; weights and the optimizer stay float32.

    * ``"bfloat16"``: same exponent range as float32, so no loss scaling; on the CPU and on CUDA GPUs that
      support it (Ampere and later).
    * ``"float16"``: CUDA only, with a :class:`torch.amp.GradScaler`: ``loss_grad`` is scaled up before
      backward, gradients are unscaled in ``after_backward`` (so later callbacks such as
      :class:`GradientClip` see true values) and ``before_step`` runs ``scaler.step`` (which skips steps
      with infinite gradients) and ``scaler.update`` itself, then cancels the loop's own step. Callbacks
      with an ``after_step`` event therefore do not run in float16 mode. A batch cancelled once its
      gradients are unscaled (``CancelBatch`` or ``CancelStep`` from a callback's ``before_step`` of
      ``order`` < 20, or its ``after_backward`` of ``order`` > 20) leaves the scaler ready for the next
      batch, its scale and growth count unchanged: ``CancelBatch``'s gradients go with the batch, and those
      ``CancelStep`` keeps are scaled back up, so that the next batch adds its scaled gradients to like and
      the next unscaling divides the whole sum. The scaler's state (its scale and growth count) is part of a
      checkpoint, so a resumed float16 fit skips the same steps as an uninterrupted one and ends exactly
      like it.
    * ``"auto"``: bfloat16 where supported, otherwise full precision with a warning.
    * ``"float32"``: full precision. Passed to a fit, it stands in for the learner's own mixed precision (an image
      learner's bfloat16 on a GPU) for that fit, as any ``MixedPrecision`` given to a fit does.

    The autocast context is installed in ``before_fit`` and removed in ``after_fit`` (and in ``teardown``
    when a fit ends by an error).

    Validation batches run under it too, and their outputs are cast to float32 before the loss and the metrics
    (``learn.pred`` from ``order`` 20 on), so that activations, metrics and sums are not taken in 16 bits. The
    outputs themselves carry the 16-bit forward pass's rounding, so the history's validation figures can differ
    from those of :meth:`~trainwell.learner.Learner.validate`, which runs in float32, by that rounding (0.2% of a
    regression's loss with targets near 100, in bfloat16).

    Args:
        dtype: ``"bfloat16"``, ``"float16"``, ``"float32"`` or ``"auto"``; also spelled as the command line's
            ``--precision`` does (``"bf16"``, ``"fp16"``, ``"fp32"``), as Lightning's ``precision=`` does
            (``"bf16-mixed"``, ``"16-mixed"``), or as a torch dtype (``torch.bfloat16``).
        init_scale: float16 only: the loss scale to start from.
        growth_interval: float16 only: steps without an overflow before the scale doubles.

    Attributes:
        active_dtype: the dtype used in the current fit, or ``None`` when running in full precision.
        scaler: the float16 loss scaler, or ``None``.

    Example:
        >>> MixedPrecision("bf16")
        MixedPrecision(dtype='bfloat16')
    """

    order = 20
    one_per_fit = True  # two autocasts and two loss scalers would fight: a fit's replaces the learner's

    def __init__(
        self,
        dtype: str | torch.dtype = "bfloat16",
        *,
        init_scale: float = 2.0**16,
        growth_interval: int = 2000,
    ) -> None:
        self.dtype = canonical_dtype(dtype)
        if not (isinstance(init_scale, (int, float)) and init_scale > 0):
            raise ConfigError(f"MixedPrecision init_scale must be a number > 0; got {init_scale!r}")
        if isinstance(growth_interval, bool) or not isinstance(growth_interval, int) or growth_interval < 1:
            raise ConfigError(
                f"MixedPrecision growth_interval must be a whole number >= 1; got {growth_interval!r}"
            )
        self.init_scale, self.growth_interval = float(init_scale), growth_interval
        self.active_dtype: torch.dtype | None = None
        self.scaler: torch.amp.GradScaler | None = None
        self._unscaled = False  # this batch's gradients are unscaled and the scaler has not stepped yet

    def _choose(self, device: torch.device) -> torch.dtype | None:
        if self.dtype == "float32":
            return None
        if self.dtype == "float16":
            if not _float16_device_ok(device):
                raise ConfigError(
                    f"MixedPrecision dtype='float16' needs a CUDA device, but the learner is on {device}; "
                    "use dtype='bfloat16' (or 'auto')"
                )
            return torch.float16
        if bf16_supported(device):
            return torch.bfloat16
        if self.dtype == "bfloat16":
            raise ConfigError(
                f"MixedPrecision dtype='bfloat16' is not supported on {device}; "
                "use dtype='float16' on an older CUDA GPU or dtype='auto'"
            )
        warn(
            f"MixedPrecision('auto'): bfloat16 is not supported on {device}; training in float32",
            RuntimeWarning,
        )
        return None

    def before_fit(self, learn: Learner) -> None:
        self.active_dtype = self._choose(learn.device)
        self.scaler = None
        self._unscaled = False
        if self.active_dtype is None:
            return
        device_type, dtype = learn.device.type, self.active_dtype
        learn.forward_context = lambda: torch.autocast(device_type, dtype=dtype)
        if dtype is torch.float16:
            self.scaler = torch.amp.GradScaler(
                device_type, init_scale=self.init_scale, growth_interval=self.growth_interval
            )

    def after_pred(self, learn: Learner) -> None:
        # Validation scores float32 outputs, as Keras' mixed policy keeps them: the task's activation, a metric and
        # a loss of your own ran on the 16-bit outputs in 16 bits (sums rounded to 3 significant digits) where no
        # float32 target promoted them. The forward pass itself stays in 16 bits (see the class docstring).
        if self.active_dtype is None or learn.training:
            return
        pred = learn.pred
        if isinstance(pred, torch.Tensor) and pred.dtype in (torch.bfloat16, torch.float16):
            learn.pred = pred.float()

    def checkpoint_state(self) -> dict[str, Any] | None:
        if self.scaler is None:
            return None
        return {"scaler": self.scaler.state_dict()}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])

    def before_backward(self, learn: Learner) -> None:
        if self.scaler is not None:
            learn.loss_grad = self.scaler.scale(learn.loss_grad)

    def after_backward(self, learn: Learner) -> None:
        if self.scaler is not None:
            assert learn.opt is not None
            self.scaler.unscale_(learn.opt)
            self._unscaled = True

    def before_step(self, learn: Learner) -> None:
        if self.scaler is None:
            return
        assert learn.opt is not None
        self.scaler.step(learn.opt)
        self.scaler.update()
        self._unscaled = False
        learn.opt.zero_grad(set_to_none=True)
        raise CancelStep

    def after_batch(self, learn: Learner) -> None:
        self._settle_cancelled(learn)

    def before_batch(self, learn: Learner) -> None:
        self._settle_cancelled(
            learn
        )  # a batch left by CancelEpoch, CancelTrain...: no after_batch of its own

    def _settle_cancelled(self, learn: Learner) -> None:
        """After a batch cancelled between the unscaling and the scaler's step: the scaler still records this
        optimizer's gradients as unscaled, and the next ``unscale_`` would raise "unscale_() has already been
        called on this optimizer since the last update()". Runs in ``after_batch`` (before a ``Checkpoint``
        writes, order 85) so that a checkpoint holds the gradients as a resumed fit expects them."""
        if not self._unscaled or self.scaler is None:
            return
        self._unscaled = False
        scale = self.scaler.get_scale()
        # Gradients a CancelStep kept: scaled back, as the next backward adds scaled ones (exact when the scale
        # is a power of 2, as the default init_scale and its doublings and halvings are). CancelBatch has
        # dropped them. An overflow in them stays infinite, so the next unscaling finds it and skips that step.
        for parameter in learn.model.parameters():
            if parameter.grad is not None:
                parameter.grad.mul_(scale)
        # The scaler's per-optimizer record cleared, its scale (set to itself) and growth count kept: the
        # cancelled batch neither grows nor backs off the scale, as a batch cancelled before its backward.
        self.scaler.update(new_scale=scale)

    def after_fit(self, learn: Learner) -> None:
        learn.forward_context = contextlib.nullcontext

    def teardown(self, learn: Learner) -> None:
        learn.forward_context = contextlib.nullcontext

    def __repr__(self) -> str:
        return f"MixedPrecision(dtype={self.dtype!r})"
