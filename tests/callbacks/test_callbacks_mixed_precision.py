"""MixedPrecision: bfloat16 autocast on the CPU, float16 with a GradScaler, and the device rules."""

from __future__ import annotations

import contextlib
import math
import re
from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data

import trainwell.callbacks.mixed_precision as mixed_precision_module
from trainwell.callbacks import Checkpoint, GradientClip, MixedPrecision
from trainwell.core.errors import ConfigError
from trainwell.learner import Callback


class PredDtypes(Callback):
    def __init__(self) -> None:
        self.dtypes: set[torch.dtype] = set()

    def after_pred(self, learn) -> None:
        self.dtypes.add(learn.pred.dtype)


def test_bfloat16_forward_on_cpu_and_training_still_learns() -> None:
    spy = PredDtypes()
    learn = linear_learner(regression_data(96, batch_size=16), lr=0.1)
    learn.fit(6, callbacks=[MixedPrecision("bfloat16"), spy])
    assert spy.dtypes == {torch.bfloat16}
    losses = [row["valid_loss"] for row in learn.history]
    assert losses[-1] < 0.25 * losses[0]
    assert learn.model.weight.dtype == torch.float32  # weights stay in full precision
    assert learn.forward_context is contextlib.nullcontext  # removed after the fit
    # The next fit without the callback runs in float32 again.
    plain = PredDtypes()
    learn.fit(1, callbacks=[plain])
    assert plain.dtypes == {torch.float32}


def test_auto_picks_bfloat16_on_cpu_or_warns_and_stays_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = PredDtypes()
    mixed = MixedPrecision("auto")
    linear_learner().fit(1, callbacks=[mixed, spy])
    assert spy.dtypes == {torch.bfloat16} and mixed.active_dtype is torch.bfloat16

    monkeypatch.setattr(mixed_precision_module, "bf16_supported", lambda device: False)
    spy = PredDtypes()
    with pytest.warns(RuntimeWarning, match="bfloat16 is not supported on cpu; training in float32"):
        linear_learner().fit(1, callbacks=[mixed, spy])
    assert spy.dtypes == {torch.float32} and mixed.active_dtype is None


def test_float16_needs_cuda() -> None:
    learn = linear_learner()
    message = (
        "MixedPrecision dtype='float16' needs a CUDA device, but the learner is on cpu; use dtype='bfloat16'"
    )
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        learn.fit(1, callbacks=[MixedPrecision("float16")])
    assert "raised in callback MixedPrecision during event before_fit" in caught.value.__notes__[0]


def test_bfloat16_is_refused_where_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mixed_precision_module, "bf16_supported", lambda device: False)
    with pytest.raises(ConfigError, match="MixedPrecision dtype='bfloat16' is not supported on cpu"):
        linear_learner().fit(1, callbacks=[MixedPrecision("bfloat16")])


class GradNorms(Callback):
    def __init__(self, order: int, mixed: MixedPrecision) -> None:
        self.order = order  # type: ignore[misc]
        self.mixed = mixed
        self.norms: list[float] = []
        self.scales: list[float] = []

    def after_backward(self, learn) -> None:
        self.norms.append(float(torch.cat([p.grad.reshape(-1) for p in learn.model.parameters()]).norm()))
        self.scales.append(self.mixed.scaler.get_scale())


def test_float16_scales_the_loss_and_unscales_before_later_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    # The scaler logic is device-independent; let it run on the CPU (CPU autocast supports float16).
    monkeypatch.setattr(mixed_precision_module, "_float16_device_ok", lambda device: True)
    mixed = MixedPrecision("float16")
    # Before and after MixedPrecision (order 20) in after_backward.
    scaled, unscaled = GradNorms(order=15, mixed=mixed), GradNorms(order=25, mixed=mixed)
    clip = GradientClip(max_norm=1e6)
    spy = PredDtypes()
    learn = linear_learner(regression_data(96, batch_size=16), lr=0.1)
    learn.fit(6, callbacks=[mixed, scaled, unscaled, clip, spy])
    assert spy.dtypes == {torch.float16}
    checked = 0
    for big, true, scale in zip(scaled.norms, unscaled.norms, scaled.scales, strict=True):
        if math.isfinite(big):  # an overflow makes the scaler skip the step and halve the scale
            assert big == pytest.approx(true * scale, rel=1e-3)
            checked += 1
    assert checked >= len(scaled.norms) // 2
    assert float(clip.last_norm) == pytest.approx(unscaled.norms[-1], rel=1e-5)
    losses = [row["valid_loss"] for row in learn.history]
    assert losses[-1] < 0.25 * losses[0]
    assert all(p.grad is None for p in learn.model.parameters())  # zeroed by the callback's own step


@pytest.mark.parametrize("refused", ["fp8", "bf16-true", None])
def test_dtype_must_be_known(refused: object) -> None:
    with pytest.raises(
        ConfigError,
        match=re.escape(
            f"MixedPrecision dtype {refused!r} is not known; use bf16, fp16, fp32 or auto (every spelling, in any "
            "case: bfloat16 (bf16, bf16-mixed), float16 (fp16, 16, 16-mixed), float32 (fp32, 32, 32-true), auto)"
        ),
    ):
        MixedPrecision(refused)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spelled", "dtype"),
    [
        ("bf16", "bfloat16"),  # the command line's --precision
        ("BF16", "bfloat16"),
        ("fp16", "float16"),
        ("fp32", "float32"),
        ("bf16-mixed", "bfloat16"),  # Lightning's precision=
        ("16-mixed", "float16"),
        ("32-true", "float32"),
        (torch.bfloat16, "bfloat16"),
        ("auto", "auto"),
    ],
)
def test_the_command_lines_and_lightnings_spellings_are_accepted(spelled: object, dtype: str) -> None:
    # A tour: MixedPrecision("bf16") was refused, though --precision bf16 is how the README spells it.
    assert MixedPrecision(spelled).dtype == dtype  # type: ignore[arg-type]


def test_a_resumed_float16_fit_skips_the_same_steps_and_ends_exactly_alike(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A huge starting scale overflows for several steps, each skipped and halving the scale. The checkpoint
    # keeps the scale reached: a scaler started afresh on resume would skip steps the uninterrupted fit took.
    monkeypatch.setattr(mixed_precision_module, "_float16_device_ok", lambda device: True)

    class Interrupt(Callback):
        order = 100  # after Checkpoint

        def after_epoch(self, learn) -> None:
            if learn.epoch == 1:
                raise KeyboardInterrupt

    def mixed() -> MixedPrecision:
        return MixedPrecision("float16", init_scale=2.0**40, growth_interval=3)

    reference = linear_learner(regression_data(96, batch_size=16), lr=0.1)
    reference_mixed = mixed()
    reference.fit(4, callbacks=[reference_mixed])
    learn = linear_learner(regression_data(96, batch_size=16), lr=0.1, path=tmp_path)
    interrupted = mixed()
    with pytest.raises(KeyboardInterrupt):
        learn.fit(4, callbacks=[interrupted, Checkpoint(), Interrupt()])
    assert interrupted.scaler is not None and interrupted.scaler.get_scale() < 2.0**40
    resumed = linear_learner(regression_data(96, batch_size=16), lr=0.1, path=tmp_path)
    resumed_mixed = mixed()
    resumed.fit(4, callbacks=[resumed_mixed], resume_from=tmp_path / "checkpoint.pt")
    assert resumed_mixed.scaler.get_scale() == reference_mixed.scaler.get_scale()
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]


def test_scaler_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="init_scale must be a number > 0; got 0"):
        MixedPrecision("float16", init_scale=0)
    with pytest.raises(ConfigError, match=re.escape("growth_interval must be a whole number >= 1; got 1.5")):
        MixedPrecision("float16", growth_interval=1.5)


def test_a_fits_float32_stands_in_for_the_learners_bfloat16() -> None:
    """An image learner on a GPU holds MixedPrecision('bfloat16'); fit --precision fp32 gives the fit
    MixedPrecision('float32'), which must run that fit in full precision, not beside the learner's autocast."""
    learn = linear_learner(regression_data(32, batch_size=16), callbacks=[MixedPrecision("bfloat16")])
    spy = PredDtypes()
    learn.fit(1, callbacks=[MixedPrecision("float32"), spy])
    assert spy.dtypes == {torch.float32}
    again = PredDtypes()
    learn.fit(1, callbacks=[again])  # the learner's own is back
    assert again.dtypes == {torch.bfloat16}
