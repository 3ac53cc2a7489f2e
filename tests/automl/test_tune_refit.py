"""A resumed study (``storage=``) that keeps an earlier run's trial trains its settings again with the schedule it
trained (a trial ``--time`` cut: the batches it trained), inside the run's ``--time``, and writes the best model
this run trained instead when the refit is clearly worse than its stored score or the time left cannot hold it
(:mod:`trainwell.automl._refit`). A tour's resumed search wrote a 14-epoch refit of a trial cut at about 6
epochs: 0.853 where 0.889 was stored, below every other trial, and took 3 minutes of a 90 s --time.

The timing is exact with a clock the test moves: a training batch takes one second, validation half a second
(four training batches an epoch, one of validation). Trials' scores are the real fits' on a small regression.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from torch import nn

from clock_support import BATCHES_PER_EPOCH, Ticks, ticked_regression, ticked_space
from clock_support import FakeClock as Clock
from trainwell.automl._refit import REFIT_MARGIN, TrainedBatches
from trainwell.automl._storage import resolve_storage
from trainwell.automl.search import SearchSettings, run_search
from trainwell.callbacks import TimeBudget
from trainwell.learner import Callback, Learner


class PruneAfter(optuna.pruners.BasePruner):
    """Optuna's own pruner interface: every trial numbered from ``first`` on is pruned at its first report."""

    def __init__(self, first: int) -> None:
        self.first = first

    def prune(self, study: optuna.study.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.number >= self.first


def _run(
    db: Path, clock: Clock, seconds: float | None, n_trials: int, pruner: Any = None
) -> tuple[Any, list]:
    """One run of the stored study in ``db``, under ``seconds`` of ``clock`` (``None``: no budget)."""
    trained: list[Learner] = []
    budget = None if seconds is None else TimeBudget(seconds, clock=clock).start()
    settings = SearchSettings(n_trials, budget, out=None, seed=0, pruner=pruner or optuna.pruners.NopPruner(),
                              keep="best", study=resolve_storage(db, "s"))  # fmt: skip
    return run_search(ticked_regression(), ticked_space(clock, trained), "rmse", settings), trained


@pytest.fixture
def cut_study(tmp_path: Path) -> tuple[Path, Any]:
    """A study whose one trial, the defaults' (5 epochs, 22.5 s), a 12 s --time cut to what was left."""
    db, clock = tmp_path / "tune.db", Clock()
    first, _ = _run(db, clock, 12, n_trials=1)
    assert first.trials[0]["cut_by_time"] and first.trials[0]["epochs_trained"] < 5
    return db, first


def _as_best(db: Path, predictions: str = "kept") -> None:
    """Make trial 0's stored score the best any refit could reach (rmse 0: a lucky fit on another machine), and
    its stored validation predictions the targets themselves (``"targets"``) or as they were (``"kept"``)."""
    with sqlite3.connect(db) as connection:
        connection.execute(
            "update trial_values set value = 0.0 where trial_id = (select trial_id from trials where number = 0)"
        )
        if predictions == "targets":
            [(targets,)] = connection.execute(
                "select value_json from study_user_attributes where key = 'valid_targets'"
            )
            [(kept,)] = connection.execute(
                "select value_json from trial_user_attributes where key = 'valid_predictions' and trial_id = "
                "(select trial_id from trials where number = 0)"
            )
            packed, truth = json.loads(kept), json.loads(targets)
            values = np.frombuffer(base64.b64decode(truth["data"]), dtype=truth["dtype"]).astype(
                packed["dtype"]
            )
            packed["data"] = base64.b64encode(values.reshape(packed["shape"]).tobytes()).decode()
            connection.execute(
                "update trial_user_attributes set value_json = ? where key = 'valid_predictions' and trial_id = "
                "(select trial_id from trials where number = 0)",
                (json.dumps(packed),),
            )


def test_a_cut_trial_is_trained_again_for_the_batches_it_trained_inside_the_time(
    cut_study: tuple[Path, Any],
) -> None:
    db, first = cut_study
    stored = first.trials[0]
    clock = Clock()
    # Every trial of this run is pruned at its first report (an epoch, 4.5 s): the best is trial 0, cut at ~2
    # epochs. Its refit needs its 10 s again: the search keeps 1.2 times that, and stops in time for it.
    second, trained = _run(db, clock, 40, n_trials=10, pruner=PruneAfter(1))
    assert second.best_trial == 0 and second.kept_trial == 0 and second.kept == "best"
    refit = second.refitted
    assert refit is not None and refit["trial"] == 0 and refit["kept_trial"] == 0
    # The batches the cut trial trained, its schedule planned over them (not the 5 epochs its settings ask).
    batches = round(stored["epochs_trained"] * BATCHES_PER_EPOCH)
    assert refit["epochs_trained"] == pytest.approx(stored["epochs_trained"])
    assert second.run.learn is trained[-1] and trained[-1].iteration == batches
    # On the schedule's progress as the budget fitted it, batch by batch: the same fit, the score as stored.
    assert "clearly_worse" not in refit and refit["refit_value"] == pytest.approx(stored["value"], abs=1e-9)
    assert "as stored" in refit["said"]
    assert f"the {stored['epochs_trained']:.1f} epochs --time cut it to" in refit["said"]
    # The whole run, the refit included, kept to its 40 s; before, the refit ran after the time was spent.
    assert clock.now - 1000.0 <= 40.0 and refit["seconds"] > 0
    assert len(second.trials) > 2  # the reservation still left time for trials of this run
    # The records say which trials an earlier run trained, and the epochs a cut trial trained.
    assert [t["earlier_run"] for t in second.trials] == [True] + [False] * (len(second.trials) - 1)
    assert second.trials[0]["epochs_trained"] == stored["epochs_trained"]


def test_no_time_for_the_refit_keeps_the_best_model_this_run_trained(cut_study: tuple[Path, Any]) -> None:
    db, _ = cut_study
    _as_best(db)
    clock = Clock()
    # 10 s: less than trial 0 took (about 10 s, 12 s with the margin) once this run's trial has run.
    second, trained = _run(db, clock, 10, n_trials=3)
    assert second.best_trial == 0 and second.kept == "fallback"
    refit = second.refitted
    assert refit["refit_value"] is None and refit["kept_trial"] == second.kept_trial == 1
    assert second.run.learn is trained[0] and len(trained) == 1  # nothing trained again
    assert "was not trained again: it took" in refit["said"] and "the best this run trained" in refit["said"]
    assert clock.now - 1000.0 <= 10.0
    assert second.kept_reason == refit["said"]
    from trainwell.cli._show import tuning_summary

    said = tuning_summary(second.summary())  # trainwell info's search row
    assert (
        "trial 0 (an earlier run's) could not be trained again as it scored: this is trial 1's model" in said
    )


def test_a_refit_clearly_worse_than_its_stored_score_gives_way(cut_study: tuple[Path, Any]) -> None:
    db, _ = cut_study
    _as_best(db, predictions="targets")  # no refit reaches a perfect score: clearly worse, over the rows
    second, trained = _run(db, Clock(), None, n_trials=1)
    refit = second.refitted
    assert refit is not None and refit["refit_value"] > 0.05 and "90% interval" in refit["clearly_worse"]
    this_run = second.trials[1]["value"]
    # The better of the refit and this run's trial is written, on the same validation rows.
    if this_run <= refit["refit_value"]:
        assert second.kept_trial == 1 and second.kept == "fallback" and second.run.learn is trained[0]
        assert "clearly below the 0.0000 stored" in refit["said"] and "trial 1's instead" in refit["said"]
    else:
        assert (
            second.kept_trial == 0 and second.run.learn is trained[1] and "above every model" in refit["said"]
        )


def test_trained_batches_plans_the_schedule_over_them() -> None:
    clock, data = Clock(), ticked_regression()
    learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu")
    rates: list[float] = []

    class Rates(Callback):
        def after_batch(self, learn: Learner) -> None:
            if learn.training:
                rates.append(learn.opt.param_groups[0]["lr"])

    learn.fit_one_cycle(3, 0.05, callbacks=[TrainedBatches(9), Ticks(clock), Rates()])
    # 9 batches: two whole epochs and one of the third, which validates.
    assert learn.iteration == 9 and len(learn.history) == 3 and len(rates) == 9
    assert clock.now - 1000.0 == 9 * 1.0 + 3 * 0.5
    capped, rates[:] = list(rates), []
    Learner(nn.Linear(3, 1), data, progress=False, device="cpu").fit_one_cycle(3, 0.05, callbacks=[Rates()])
    # The one-cycle schedule planned over the 9 batches, as the budget planned the cut trial's: its warm-up
    # peaks within the first quarter and its 9th batch is far down the anneal, where 12 batches' is midway.
    assert len(rates) == 12 and capped[:2] != rates[:2]
    assert capped.index(max(capped)) == 2 and capped[-1] < rates[8] / 5


def test_the_margin_kept_for_a_refit() -> None:
    assert 1.0 < REFIT_MARGIN < 1.5


def test_a_long_schedule_is_kept_at_evenly_spaced_batches_and_read_between_them() -> None:
    from trainwell.automl._refit import CURVE_POINTS, ProgressRecord, _read

    record = ProgressRecord()
    record.progress = [i / (3 * CURVE_POINTS) for i in range(3 * CURVE_POINTS + 1)]  # a plain ramp, 0 to 1
    curve = record.curve()
    assert len(curve) == CURVE_POINTS and curve[0] == 0.0 and curve[-1] == 1.0
    # Between the kept points a straight line: a ramp is read back as it was (to the kept batches' rounding).
    assert [
        _read(curve, batch, 3 * CURVE_POINTS + 1) for batch in (0, 7, 1234, 3 * CURVE_POINTS)
    ] == pytest.approx([0.0, 7 / (3 * CURVE_POINTS), 1234 / (3 * CURVE_POINTS), 1.0], abs=1e-5)
    short = ProgressRecord()
    short.progress = [0.0, 0.1234567891234, 0.5]
    assert short.curve() == short.progress  # every batch, exact: a 6-decimal rounding changed a Titanic fit
