"""EarlyStopping and the one-cycle warm-up: ``--patience 1 --epochs 12`` stopped after epoch 2 while the learning
rate was still rising toward its peak (a tour); the epochs of the rise no longer count against patience."""

from __future__ import annotations

import pytest
from callbacks_helpers import linear_learner

from trainwell.callbacks import EarlyStopping
from trainwell.callbacks.schedule import ParamScheduler
from trainwell.learner import Callback
from trainwell.optim.schedules import flat_cos, one_cycle_lr

#: The tour's validation losses: best after epoch 1, worse while the rate climbs, better after its peak.
LOSSES = [0.4189, 0.43, 0.45, 0.41, 0.40, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.48]


class Scripted(Callback):
    """Replaces each new history row's valid_loss with a scripted value (after the Recorder)."""

    order = 0

    def after_epoch(self, learn) -> None:
        learn.history[-1]["valid_loss"] = LOSSES[learn.epoch]


def test_the_warm_up_does_not_count_against_patience(capsys: pytest.CaptureFixture[str]) -> None:
    learn = linear_learner(progress=True)
    stop = EarlyStopping(patience=1)
    learn.fit_one_cycle(12, 0.01, callbacks=[Scripted(), stop])  # the rate peaks at the end of epoch 3
    said = capsys.readouterr().err
    # Epochs 2 and 3 were worse while the rate rose: not counted; epoch 4 improved, 5 too, 6 did not: stop.
    assert len(learn.history) == 6 and stop.stopped_epoch_shown == 6 and stop.best_epoch_shown == 5
    assert (
        "EarlyStopping: valid_loss has not improved on 0.4 (epoch 5) for 1 epoch: stopping after epoch 6"
        in said
    )


def test_a_stop_right_after_the_warm_up_says_the_epochs_it_did_not_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    global LOSSES
    kept = LOSSES
    LOSSES = [0.4189, 0.43, 0.45, 0.46, 0.47, 0.48, 0.49, 0.5]
    try:
        learn = linear_learner(progress=True)
        learn.fit_one_cycle(
            8, 0.01, callbacks=[Scripted(), EarlyStopping(patience=1)]
        )  # peak: end of epoch 2
    finally:
        LOSSES = kept
    said = capsys.readouterr().err
    assert len(learn.history) == 3, said  # it had stopped after epoch 2, during the rise
    assert (
        "EarlyStopping: valid_loss has not improved on 0.4189 (epoch 1) for 1 epoch after the learning rate's "
        "warm-up (the 1 epoch before its peak not counted): stopping after epoch 3"
    ) in said


def test_a_constant_rate_counts_every_epoch() -> None:
    learn = linear_learner()
    stop = EarlyStopping(patience=1)
    learn.fit(12, callbacks=[Scripted(), stop])
    assert len(learn.history) == 2 and stop.stopped_epoch_shown == 2


def test_where_the_rate_peaks() -> None:
    from trainwell.callbacks.tracker import lr_peak

    assert lr_peak([ParamScheduler(lr=one_cycle_lr())]) == 0.25
    assert lr_peak([ParamScheduler(lr=one_cycle_lr(pct_start=0.3))]) == pytest.approx(0.3, abs=2e-4)
    assert lr_peak([ParamScheduler(lr=flat_cos())]) == 0.0
    assert lr_peak([]) == 0.0
