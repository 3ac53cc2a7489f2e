"""TimeBudget: the plan fits the time (validation included), the schedule ends annealed, budgets are shared,
resumed fits keep what was used, and durations are read as people write them.

The loop's timing is made exact with a clock the test moves: every training batch takes one second and the
validation pass (one batch) half a second.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data
from torch import nn

from clock_support import FakeClock as Clock
from clock_support import Ticks
from trainwell.callbacks import Checkpoint, TimeBudget
from trainwell.callbacks.budget import format_duration, parse_duration
from trainwell.core.errors import ConfigError
from trainwell.learner import Learner
from trainwell.learner.events import Callback


def timed_learner(tmp_path: Path | None = None, **kwargs: Any) -> Learner:
    # 60 training rows in batches of 15: 4 batches an epoch; 20 validation rows: 1 batch (0.5 s).
    data = regression_data(80, batch_size=15)
    assert len(data.train) == 4 and len(data.valid) == 1  # type: ignore[arg-type]
    return linear_learner(data, path=tmp_path or Path("."), **kwargs)


def test_the_plan_uses_the_budget_and_the_schedule_ends_annealed() -> None:
    clock = Clock()
    learn, ticks = timed_learner(), Ticks(clock)
    budget = TimeBudget(20, clock=clock)
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, ticks])
    # An epoch costs 4 s of training and 0.5 s of validation: 4 epochs (18 s), then one more batch and its
    # validation (19.5 s); an 18th batch would end at 20.5 s.
    assert learn.iteration == 17 and budget.epochs_trained() == 4.25  # 4 batches an epoch
    assert clock.now - 1000.0 == pytest.approx(19.5)
    assert len(learn.history) == 5 and learn.history[-1]["valid_loss"] == learn.history[-1]["valid_loss"]
    # The one-cycle schedule was fitted to 17 batches: warm-up to the peak, then down near the floor.
    assert max(ticks.lrs) == pytest.approx(0.1, rel=0.05)
    assert ticks.lrs[-1] < 0.1 * 0.05
    assert budget.fits[0]["shortened"] and budget.fits[0]["planned_batches"] == 400
    assert budget.used == pytest.approx(19.5)
    assert budget.summary() == (
        "the 20s budget trained 4.2 of the 100 epochs planned (its learning-rate schedule was shortened to end within the budget) in 20s"
    )


def test_a_fit_cut_early_in_its_first_epoch_says_how_little_it_trained() -> None:
    # PTB in a minute on two cores: 3 of 230 batches, then the validation pass. The one row of the history was
    # read as "1 epoch": 0.013 epochs was taken for the whole number 0, so for no cut at all.
    clock = Clock()
    data = regression_data(2_000, batch_size=15)  # 1,500 training rows: 100 batches an epoch
    learn = linear_learner(data)
    budget = TimeBudget(3.5, clock=clock)
    learn.fit_one_cycle(10, 0.1, callbacks=[budget, Ticks(clock, valid=0.0)])
    # The plan starts from the second batch's time, and keeps time for the validation pass guessed from its
    # length (34 batches): 2 batches.
    assert learn.iteration == 2 and len(learn.history) == 1
    assert budget.epochs_trained() == pytest.approx(0.02)
    assert budget.trained() == "0.02 epochs (2 of 100 batches)"
    assert budget.summary().startswith("the 3.5s budget trained 0.02 of the 10 epochs planned")


def test_several_fits_count_every_batch_not_the_rows() -> None:
    # Gradual unfreezing: a whole stage, then 2 batches of the next fit: two history rows, 1.5 epochs' worth.
    clock = Clock()
    learn, budget = timed_learner(), TimeBudget(6.6, clock=clock)
    learn.fit_one_cycle(1, 0.1, callbacks=[budget, Ticks(clock, valid=0.0)])
    assert budget.epochs_trained() is None  # one whole epoch: the history's row says it
    learn.fit_one_cycle(10, 0.1, callbacks=[budget, Ticks(clock, valid=0.0)])
    assert len(learn.history) == 2 and [fit["trained_batches"] for fit in budget.fits] == [4, 2]
    assert budget.epochs_trained() == pytest.approx(1.5)
    assert budget.trained() == "1.5 epochs (6 batches, 4 an epoch)"


class BoundsValidation(Callback):
    """Tells the budget each validation pass keeps to ``seconds`` (as a language model's BudgetedValidation does)."""

    def __init__(self, budget: TimeBudget, seconds: float) -> None:
        self.budget, self.seconds = budget, seconds

    def before_fit(self, learn: Learner) -> None:
        self.budget.bound_validation(self.seconds)


@pytest.mark.parametrize(("bound", "batches"), [(None, 12), (1.0, 14)])
def test_a_bounded_validation_leaves_the_first_plan_its_time(bound: float | None, batches: int) -> None:
    # 17 validation batches: a whole pass guessed at 5.7 training batches' time (the batches are timed at 1 s,
    # validation at 0). PTB's guess kept 57 s of a 1m budget for a pass that read a fifth of the text in 15 s, and 4
    # batches were trained. The budget's own bound on a pass, a fifth of the fit (VALID_SHARE: 3 s), keeps 3 s
    # free; bounded to 1 s by a callback (bound_validation), the plan trains 2 more here.
    clock = Clock()
    learn = linear_learner(regression_data(1_000, batch_size=15, valid_pct=0.5))
    budget = TimeBudget(15, clock=clock)
    bounded = [BoundsValidation(budget, bound)] if bound is not None else []
    learn.fit_one_cycle(10, 0.1, callbacks=[budget, Ticks(clock, valid=0.0), *bounded])
    assert learn.iteration == batches


def test_a_cut_fit_would_have_stopped_at_the_peak() -> None:
    # What the budget avoids: the same 17 batches of a 100-epoch schedule end during its warm-up.
    learn, ticks = timed_learner(), Ticks(Clock())
    learn.fit_one_cycle(100, 0.1, callbacks=[ticks, StopAfter(17)])
    assert ticks.lrs[-1] > 0.1 * 0.05 and ticks.lrs[-1] > ticks.lrs[0]


class StopAfter(Callback):
    def __init__(self, batches: int) -> None:
        self.batches = batches

    def after_batch(self, learn: Learner) -> None:
        from trainwell.learner.events import CancelFit

        if learn.training and learn.iteration >= self.batches:
            raise CancelFit


def test_a_budget_the_fit_does_not_reach_changes_nothing() -> None:
    clock = Clock()
    budgeted, plain = timed_learner(), timed_learner()
    budget = TimeBudget("1h", clock=clock)
    budgeted.fit_one_cycle(3, 0.1, callbacks=[budget, Ticks(clock)])
    plain.fit_one_cycle(3, 0.1, callbacks=[Ticks(Clock())])
    for got, expected in zip(budgeted.model.parameters(), plain.model.parameters(), strict=True):
        assert torch.equal(got, expected)
    assert budgeted.iteration == 12 and not budget.fits[0]["shortened"]
    assert budget.summary() == "the 1h budget was not reached: all 12 batches in 14s"


def test_slower_validation_leaves_room_for_the_last_one() -> None:
    clock = Clock()
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[TimeBudget(20, clock=clock), Ticks(clock, valid=3.0)])
    # 4 s + 3 s an epoch: 2 epochs (14 s), then 3 batches and the last validation end at 20 s exactly.
    assert learn.iteration == 11
    assert clock.now - 1000.0 == pytest.approx(20.0)


def test_fits_share_one_budget_and_a_share_keeps_time_for_later() -> None:
    clock = Clock()
    budget = TimeBudget(40, clock=clock)
    first, second = timed_learner(), timed_learner()
    budget.share_next_fit(0.25)
    first.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    assert clock.now - 1000.0 <= 10.0  # a quarter of 40 s
    used = budget.used
    second.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    assert used + (budget.used - used) <= 40.0 and budget.used > 35.0
    assert len(budget.fits) == 2 and budget.summary().startswith("the 40s budget trained ")
    assert "of the 800 batches planned" in budget.summary()


def test_a_spent_budget_starts_no_fit() -> None:
    clock = Clock()
    budget = TimeBudget(4.5, clock=clock)  # exactly one epoch and its validation
    first, second = timed_learner(), timed_learner()
    first.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    assert first.iteration == 4 and budget.remaining == 0.0
    second.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    assert second.iteration == 0 and second.history == []


def test_a_little_time_left_trains_a_batch_and_validates() -> None:
    clock = Clock()
    budget = TimeBudget(1.6, clock=clock)
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    assert learn.iteration == 1 and len(learn.history) == 1 and budget.used == pytest.approx(1.5)


class TwoGroups(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body, self.head = nn.Linear(3, 4), nn.Linear(4, 1)

    def layer_groups(self) -> list[nn.Module]:
        return [self.body, self.head]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.body(x)))


def test_fine_tune_keeps_most_of_the_budget_for_the_unfrozen_phase() -> None:
    clock = Clock()
    torch.manual_seed(0)
    learn = Learner(TwoGroups(), regression_data(80, batch_size=15), progress=False, device="cpu", lr=0.01)
    budget = TimeBudget(40, clock=clock)
    learn.fine_tune(100, freeze_epochs=5, callbacks=[budget, Ticks(clock)])
    frozen, unfrozen = budget.fits
    assert frozen["seconds"] <= 10.0 and frozen["shortened"]
    assert unfrozen["seconds"] > 25.0 and budget.used <= 40.0


class Interrupt(Callback):
    def __init__(self, after: int) -> None:
        self.after = after

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.iteration == self.after:
            raise KeyboardInterrupt


def test_a_resumed_fit_gets_what_the_budget_had_left(tmp_path: Path) -> None:
    clock = Clock()
    learn = timed_learner(tmp_path)
    with pytest.raises(
        KeyboardInterrupt
    ):  # after 2 epochs and 2 batches; the checkpoint is at 2 epochs (9 s)
        learn.fit_one_cycle(
            100,
            0.1,
            callbacks=[TimeBudget(20, clock=clock), Ticks(clock), Checkpoint(), Interrupt(10)],
        )
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["n_iterations"] < state["planned_iterations"] == 400

    clock.now += 3600.0  # time between the runs does not count
    resumed, budget = timed_learner(tmp_path), TimeBudget(20, clock=clock)
    start = clock.now
    resumed.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)], resume_from=tmp_path / "checkpoint.pt")
    assert resumed.iteration == 17  # as the uninterrupted fit
    assert clock.now - start == pytest.approx(10.5)  # 9 s were used before the checkpoint
    assert budget.used == pytest.approx(19.5)


def test_under_a_real_clock_the_fit_ends_inside_the_budget() -> None:
    class Sleep(Callback):
        def after_batch(self, learn: Learner) -> None:
            time.sleep(0.01 if learn.training else 0.002)

    learn = timed_learner()
    budget = TimeBudget(0.6)
    start = time.perf_counter()
    learn.fit_one_cycle(1000, 0.1, callbacks=[budget, Sleep()])
    elapsed = time.perf_counter() - start
    assert budget.fits[0]["shortened"] and learn.iteration >= 10
    assert elapsed < 0.6 + 0.5  # the plan keeps inside the budget; the margin is for a loaded machine
    assert learn.history and learn.history[-1]["epoch"] == len(learn.history)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (45, 45.0),
        (1.5, 1.5),
        ("90", 90.0),
        ("90s", 90.0),
        ("10m", 600.0),
        ("1.5h", 5400.0),
        ("1h30m", 5400.0),
        ("1h 30m 10s", 5410.0),
        ("2D", 172800.0),
        ("1:30:00", 5400.0),
        ("10:00", 600.0),
        (" 12M ", 720.0),
    ],
)
def test_durations_are_read_as_people_write_them(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "-5", 0, "0m", True, None, "1:70:00x", "m"])
def test_what_is_not_a_duration_is_a_config_error(text: Any) -> None:
    with pytest.raises(
        ConfigError, match=r"is not a duration longer than zero; write e\.g\. 90s, 10m, 1h30m"
    ):
        TimeBudget(text)


def test_durations_are_shown_as_people_read_them() -> None:
    assert [format_duration(s) for s in (4.25, 45, 60, 592, 3600, 5400, 5412)] == [
        "4.2s",
        "45s",
        "1m",
        "9m 52s",
        "1h",
        "1h 30m",
        "1h 30m",
    ]


def test_a_share_must_be_a_positive_number() -> None:
    with pytest.raises(ConfigError, match="TimeBudget fraction must be a number > 0"):
        TimeBudget(10).share_next_fit(0)


def test_a_started_budget_counts_the_time_before_and_between_fits() -> None:
    clock = Clock()
    budget = TimeBudget(20, clock=clock).start()
    clock.now += 5.5  # reading the data, the learning-rate finder
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    # 14.5 s were left: three epochs (13.5 s); a 13th batch and its validation would end at 20.5 s.
    assert learn.iteration == 12 and budget.used == pytest.approx(19.0)
    # 19 s from the start, not the fit's 13.5 s: the summary says where it counts from, and how much of it went
    # before the fit (fit cifar10 --time 90s read for 79 s of it, and its 9 batches read as a slow model).
    assert budget.summary().endswith(
        "in 19s from the start, 5.5s of it reading the data and preparing the fit"
    )
    clock.now += 2.0
    assert budget.remaining == pytest.approx(0.0, abs=1e-9)


def test_a_plan_a_batch_into_a_new_epoch_ends_with_the_whole_epoch_before() -> None:
    clock = Clock()
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[TimeBudget(96, clock=clock), Ticks(clock)])
    # 21 epochs take 94.5 s; an 85th batch and its validation would just fit (96 s), for 1% more training.
    assert learn.iteration == 84 and len(learn.history) == 21


def test_a_plan_cut_to_a_few_batches_past_the_epoch_just_validated_ends_there() -> None:
    clock = Clock()
    data = regression_data(800, batch_size=15)  # 40 training batches an epoch, 7 validation batches
    learn = linear_learner(data)
    learn.fit_one_cycle(100, 0.1, callbacks=[TimeBudget(56, clock=clock), Ticks(clock, valid=1.0)])
    # The first validation (7 s) is timed as the second epoch begins: 9 s are left, room for 2 batches and
    # another validation. Two batches are 5% of the fit: it ends with the epoch it validated, as it would
    # have had the plan been cut before that epoch's end.
    assert learn.iteration == 40 and len(learn.history) == 1


def test_the_progress_bar_shows_the_epochs_the_budget_plans() -> None:
    from trainwell.callbacks.progress import _description

    class Shown(Callback):
        order = 60

        def __init__(self) -> None:
            self.seen: list[str] = []

        def after_batch(self, learn: Learner) -> None:
            if learn.training:
                self.seen.append(_description(learn, "train"))

    clock, shown = Clock(), Shown()
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[TimeBudget(20, clock=clock), Ticks(clock), shown])
    # Before any batch is timed the plan is the call's; then the 17 batches of 5 epochs.
    assert shown.seen[0] == "epoch 1/100 train" and shown.seen[-1] == "epoch 5/5 train"


def test_a_fit_stopped_by_another_callback_is_not_said_to_be_cut_by_the_budget() -> None:
    clock = Clock()
    budget = TimeBudget("1h", clock=clock)
    learn = timed_learner()
    learn.fit_one_cycle(3, 0.1, callbacks=[budget, Ticks(clock), StopAfter(5)])
    assert learn.iteration == 5 and not budget.fits[0]["shortened"]
    assert budget.summary() == "the 1h budget was not reached: 5 of 12 batches in 4.5s"


def test_each_pipeline_call_in_a_block_gets_a_budget_of_its_own() -> None:
    from trainwell.callbacks.budget import budget_each_call, start_budget

    assert start_budget(None) is None
    with budget_each_call("2m") as budgets:
        first, second = start_budget(None), start_budget(None)
        own = start_budget(30)  # a call's own budget wins and is not one of the block's
    assert first is not None and second is not None and own is not None
    assert budgets == [first, second] and first is not second
    assert (first.seconds, own.seconds) == (120.0, 30.0) and start_budget(None) is None


def test_a_budget_spent_before_any_training_is_a_config_error() -> None:
    clock = Clock()
    budget = TimeBudget(5, clock=clock).start()
    clock.now += 7.0  # reading the data took longer than the whole budget
    with pytest.raises(
        ConfigError, match=r"time budget of 5\.0s was spent before training began \(7\.0s went"
    ):
        timed_learner().fit_one_cycle(10, 0.1, callbacks=[budget, Ticks(clock)])


class SlowFirstBatch(Callback):
    """The first training batch of each fit takes ``extra`` seconds more (allocation, autotuning, a compile)."""

    order = 99

    def __init__(self, clock: Clock, extra: float) -> None:
        self.clock, self.extra, self.seen = clock, extra, False

    def before_fit(self, learn: Learner) -> None:
        self.seen = False

    def after_batch(self, learn: Learner) -> None:
        if learn.training and not self.seen:
            self.clock.now += self.extra
            self.seen = True


def test_a_slow_first_batch_does_not_cut_the_fit_short() -> None:
    clock = Clock()
    learn = timed_learner()
    budget = TimeBudget(60, clock=clock)
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock, valid=3.0), SlowFirstBatch(clock, 20.0)])
    # A 21 s first batch, then 1 s batches and 3 s validations: the fit goes on and uses the budget.
    assert learn.iteration > 20 and 55.0 <= budget.used <= 60.0


class SlowEpochEnd(Callback):
    """A checkpoint or a costly metric at the end of every epoch, after the budget's own after_epoch."""

    order = 85

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def after_epoch(self, learn: Learner) -> None:
        self.clock.now += self.seconds


def test_the_end_of_epoch_work_of_every_callback_counts() -> None:
    clock = Clock()
    learn = timed_learner()
    budget = TimeBudget(30, clock=clock)
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock), SlowEpochEnd(clock, 3.0)])
    # 4 s of training, 0.5 s of validation and 3 s of checkpointing an epoch: 4 epochs (30 s) fit exactly.
    assert budget.used <= 30.0 and learn.iteration == 16


def test_a_plan_that_ends_as_an_epoch_begins_does_not_validate_again() -> None:
    clock = Clock()
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[TimeBudget(12, clock=clock), Ticks(clock, valid=6.0)])
    # 4 s + 6 s a first epoch; the 2 s left cannot hold a batch and a validation, so the fit ends there.
    assert learn.iteration == 4 and len(learn.history) == 1


def test_an_early_stop_is_not_put_down_to_the_budget() -> None:
    from trainwell.callbacks import EarlyStopping

    clock = Clock()
    learn = timed_learner()
    budget = TimeBudget(30, clock=clock)
    stop = EarlyStopping(monitor="train_loss", patience=1, min_delta=100.0)  # no epoch improves by 100
    # it stops after epoch 3: epoch 2 ended (at 0.24 of the cut plan) before the rate's peak, and is not counted
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock), stop])
    assert learn.iteration == 12 and not budget.fits[0]["shortened"]  # the plan had been cut, but not reached
    assert budget.summary().startswith("the 30s budget was not reached: 12 of 400 batches")


def test_the_learning_rate_finder_is_not_budgeted() -> None:
    budget = TimeBudget(3600)
    learn = timed_learner(callbacks=[budget])
    learn.lr_find(num_it=10)
    assert budget.fits == [] and budget.used == 0.0


def test_a_checkpoint_of_a_shortened_plan_needs_a_budget_to_resume(tmp_path: Path) -> None:
    clock = Clock()
    learn = timed_learner(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit_one_cycle(
            100, 0.1, callbacks=[TimeBudget(20, clock=clock), Ticks(clock), Checkpoint(), Interrupt(10)]
        )
    with pytest.raises(
        ConfigError, match="whose time budget planned 17 of its 400 batches; resume with a time"
    ):
        timed_learner(tmp_path).fit_one_cycle(100, 0.1, resume_from=tmp_path / "checkpoint.pt")


def test_gradients_accumulated_when_the_plan_ends_are_applied() -> None:
    from trainwell.callbacks import GradientAccumulation

    clock = Clock()
    learn = timed_learner()
    steps: list[int] = []

    class Steps(Callback):
        def after_step(self, learn: Learner) -> None:
            steps.append(learn.iteration)

    learn.fit_one_cycle(
        100, 0.1, callbacks=[TimeBudget(20, clock=clock), Ticks(clock), GradientAccumulation(3), Steps()]
    )
    assert learn.iteration == 17 and steps[-1] == 16  # the 17th batch, the last, stepped (17 = 4 x 4 + 1)


def test_a_budget_a_validation_pass_alone_overruns_says_so() -> None:
    # One validation pass takes 20 s, four times the budget: the fit validates once all the same, and the
    # summary says by how much it ran over and why, not just "trained 1.0 of the epochs".
    clock = Clock()
    budget = TimeBudget(5, clock=clock)
    learn = timed_learner()
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock, valid=20.0)])
    assert len(learn.history) == 1
    assert budget.summary() == (
        "the 5.0s budget trained 1.0 of the 100 epochs planned (its learning-rate schedule was shortened to end within the budget) in 24s, 19s over it: "
        "one validation pass took 20s, more than the budget could hold beside training (give more time, or fewer "
        "validation rows)"
    )


def test_a_budget_kept_within_its_slack_adds_nothing() -> None:
    clock = Clock()
    budget = TimeBudget(20, clock=clock)
    timed_learner().fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock, valid=3.0)])
    assert budget.summary().endswith(
        "(its learning-rate schedule was shortened to end within the budget) in 20s"
    )


class SlowerAfter(Callback):
    """Training batches take ``seconds`` more from batch ``after`` on (a machine that got busy)."""

    order = 100

    def __init__(self, clock: Clock, after: int, seconds: float) -> None:
        self.clock, self.after, self.seconds = clock, after, seconds

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.iteration > self.after:
            self.clock.now += self.seconds


def test_a_plan_that_changes_mid_fit_moves_the_schedule_on_without_a_jump() -> None:
    clock = Clock()
    learn, ticks = timed_learner(), Ticks(clock)
    budget = TimeBudget(40, clock=clock)
    # The plan is the 400 batches asked for until the speed is known, then about 35; from batch 10 on every
    # batch takes 3 s instead of 1 and the plan shrinks again.
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, ticks, SlowerAfter(clock, 10, 2.0)])
    assert budget.fits[0]["shortened"] and clock.now - 1000.0 <= 40
    steps = [abs(b - a) for a, b in zip(ticks.lrs[:-2], ticks.lrs[1:-1], strict=True)]
    # Each batch moves the rate by a fraction of the peak, as a schedule planned for this many batches does;
    # re-planning alone had jumped it by 40% of the peak at once. The plan's last batch is the schedule's end:
    # the fit ends annealed however late its plan shrank.
    assert max(steps) < 0.25 * 0.1
    assert max(ticks.lrs) == pytest.approx(0.1, rel=0.1) and ticks.lrs[-1] < 0.1 * 1e-3


def test_a_resumed_fit_goes_on_with_the_schedule_where_it_was(tmp_path: Path) -> None:
    clock = Clock()
    straight, ticks = timed_learner(tmp_path / "straight"), Ticks(clock)
    straight.fit_one_cycle(100, 0.1, callbacks=[TimeBudget(20, clock=clock), ticks])

    clock = Clock()
    first, before = timed_learner(tmp_path), Ticks(clock)
    with pytest.raises(KeyboardInterrupt):  # the checkpoint is the second epoch's end (batch 8)
        first.fit_one_cycle(
            100, 0.1, callbacks=[TimeBudget(20, clock=clock), before, Checkpoint(), Interrupt(10)]
        )
    resumed, after = timed_learner(tmp_path), Ticks(clock)
    resumed.fit_one_cycle(
        100, 0.1, callbacks=[TimeBudget(20, clock=clock), after], resume_from=tmp_path / "checkpoint.pt"
    )
    assert before.lrs[:8] + after.lrs == pytest.approx(ticks.lrs)  # the progress was in the checkpoint


class FasterAfter(Callback):
    """Training batches take ``seconds`` more until batch ``until`` (a machine busy at first)."""

    order = 100

    def __init__(self, clock: Clock, until: int, seconds: float) -> None:
        self.clock, self.until, self.seconds = clock, until, seconds

    def after_batch(self, learn: Learner) -> None:
        if learn.training and learn.iteration <= self.until:
            self.clock.now += self.seconds


def test_the_plan_follows_the_speed_now_not_the_fits_average() -> None:
    # 100 batches at 2 s, then 1 s: planned on the average of every batch so far, the fit kept expecting slower
    # batches than came, ran its schedule ahead of itself and spent 36 of its 264 batches near the floor; the
    # recent batches' speed plans for what is coming.
    clock = Clock()
    learn, ticks = timed_learner(), Ticks(clock)
    learn.fit_one_cycle(
        100, 0.1, callbacks=[TimeBudget(400, clock=clock), ticks, FasterAfter(clock, 100, 1.0)]
    )
    assert clock.now - 1000.0 <= 400 and len(ticks.lrs) == 264
    assert sum(lr < 0.1 * 0.01 for lr in ticks.lrs) <= 22


def test_a_plan_that_grows_back_to_the_one_asked_for_does_not_raise_the_rate_again() -> None:
    # A machine busy at first (5 s batches) cut the plan of 20 batches to what fitted; then it got fast (0.2 s) and
    # the whole plan fitted again. The progress went back to batches done over the 20 planned, behind where the
    # cut plan had taken it: the learning rate climbed again mid-anneal (0.0016, 0.0011, 0.0015, 0.0020 by epoch).
    clock = Clock()
    learn, ticks = timed_learner(), Ticks(clock, train=0.2, valid=0.1)
    budget = TimeBudget(40, clock=clock)
    learn.fit_one_cycle(5, 0.1, callbacks=[budget, ticks, FasterAfter(clock, 6, 4.8)])
    assert learn.iteration == 20 and clock.now - 1000.0 <= 40  # the whole plan, within the budget
    peak = ticks.lrs.index(max(ticks.lrs))
    after = ticks.lrs[peak:]
    assert all(b <= a for a, b in itertools.pairwise(after)), ticks.lrs  # down from the peak, never up again
    assert ticks.lrs[-1] < 0.1 * 1e-3  # and annealed at the end
    assert budget.summary().startswith("the 40s budget was not reached: all 20 batches in ")


def test_a_budget_the_whole_plan_just_fits_says_so_rather_than_not_reached() -> None:
    # "the 20s budget was not reached: all 1,500 batches in 20s" read as a contradiction.
    clock = Clock()
    learn = timed_learner()
    budget = TimeBudget(18.2, clock=clock)
    learn.fit_one_cycle(4, 0.1, callbacks=[budget, Ticks(clock)])  # 4 epochs of 4.5 s: 18 s
    assert learn.iteration == 16
    assert budget.summary() == "the 18s budget was just enough: all 16 batches in 18.0s"
