"""Train within a time budget: the schedule is fitted to the time instead of being cut by it.

Schedules are functions of the fit's progress, ``learn.pct_train`` = batches done / batches planned. A fit that
simply stops when a clock runs out (PyTorch Lightning's ``max_time``) leaves the learning rate wherever the
schedule had got to, often near its peak, and the weights are those of a run that never annealed.
:class:`TimeBudget` re-plans the number of batches after every batch from the speed measured so far, so the
warm-up and the annealing both happen inside the budget and the fit ends at the schedule's end.

The budget is a ceiling on the fit the call asked for: it never adds batches, it only shortens the plan when
the epochs asked for would not fit. ``learn.fit_one_cycle(1000, callbacks=[TimeBudget("10m")])`` trains for
ten minutes; ``learn.fit_one_cycle(5, callbacks=[TimeBudget("10m")])`` trains five epochs, or fewer if five
take more than ten minutes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import torch

from trainwell.callbacks._validate import positive_number
from trainwell.core.duration import DURATION_EXAMPLES as DURATION_EXAMPLES
from trainwell.core.duration import format_duration as format_duration
from trainwell.core.duration import parse_duration
from trainwell.core.errors import ConfigError, Spelling
from trainwell.core.numbers import format_epochs
from trainwell.core.warn import warn
from trainwell.learner.events import Callback, CancelFit, CancelTrain, CancelValidate

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

#: Training batches timed before the plan rests on the measured speed. The first batch of a fit, which carries
#: one-off costs, is left out of it: the plan starts from the second batch's time. (It once waited for three, and
#: a fit of 7 slow batches, Tiny Shakespeare under ``--time 40s``, stayed at the warm-up's first rate for five of
#: them and then jumped to the peak.)
TIMED_BEFORE_PLANNING = 1

#: The weight of each new batch in the moving average of a batch's time the plan rests on (about the last 32
#: batches count), so a change of speed mid-fit is followed within tens of batches.
RECENT_WEIGHT = 1 / 32
#: The weight of each new batch in a second, quick average (about the last 4 batches). The plan rests on the
#: slower of the two speeds: a machine that slows down mid-fit (another job on the cores) shortens the plan within
#: a few batches, so the anneal still ends inside the budget; the slow average alone took tens of batches to see
#: it, and the time ran out mid-anneal (digits under ``--time 25s``: one epoch at 8 times the others' time ended
#: the fit at 29% of the peak learning rate).
QUICK_WEIGHT = 1 / 4

#: Seconds between two plans (every batch is planned near the end of the plan).
REPLAN_SECONDS = 0.005
#: A plan that would end this share of its batches (or less) into a new epoch ends at the epoch boundary
#: instead: a last epoch of a batch or two adds a noisy row to the history and a validation for nothing.
WHOLE_EPOCH_SLACK = 0.05
#: The most of a fit's time one validation pass may take: a pass that would take longer reads only its first
#: batches, the same ones every epoch (so that the epochs' scores stay comparable), and says so once. CoNLL-2003's
#: 3,250 validation sentences took over 2 minutes on a loaded 2-core machine: under ``--time 1m`` the first epoch
#: ran 3 minutes, and the few batches the plan had left for training scored entity F1 0. The first pass over a
#: validation set decides for every later pass the budget sees, in every fit sharing it: a pass read whole is
#: read whole again (the plan counts its measured time), so that no epoch is scored on other rows than another.
VALID_SHARE = 0.2
#: How much more than its estimate of one epoch's time a budget warned of as too short asks for
#: (:meth:`TimeBudget.barely_trained`).
ASKED_MARGIN = 1.5
#: A budget is said to be overrun when the fits took this share of it, and at least this many seconds, more.
OVERRUN_SLACK, OVERRUN_SLACK_S = 0.1, 2.0


class BudgetSpent(ConfigError):
    """A :class:`TimeBudget` was spent before its first fit could train a batch: the model would be untrained.
    A caller with a trained model in hand (``fit_table``'s boosted trees) keeps it instead.

    Attributes:
        budget: the budget's seconds (under ``evaluate --time``: one fold's share, not the whole ``--time``).
        prepared: the seconds that went to preparing the fit (reading the data, the learning-rate finder).
        least: the smallest budget, in seconds, that leaves the model some training after such a preparation:
            what the message advises, and what ``evaluate`` multiplies by its folds to advise a whole budget.
    """

    budget: float = 0.0
    prepared: float = 0.0
    least: float = 0.0


class BarelyTrained(UserWarning):
    """A :class:`TimeBudget` cut its fits to less than one epoch: the model is barely trained, and its scores are
    not what it does given time (:meth:`TimeBudget.barely_trained` words it, with the time one epoch would take).

    Attributes:
        command_line: The same words naming the command-line option (``--time``, not ``time_budget=``).
    """

    command_line: str | None = None


def duration_text(seconds: float) -> str:
    """``seconds`` rounded up to a budget worth asking for, written as ``--time`` and ``time_budget=`` read it:
    tens of seconds up to a minute, whole minutes past it (a figure to type, not a measurement, as ``evaluate
    --time``'s refusal of a language model's test text rounds it).

    Example:
        >>> duration_text(11.2), duration_text(131), duration_text(700), duration_text(3880)
        ('20s', '3m', '12m', '1h5m')
    """
    step = 10 if seconds <= 60 else 60
    rounded = max(step, math.ceil(seconds / step) * step)
    return f"{rounded}s" if rounded < 60 else format_duration(rounded).replace(" ", "")


class TimeBudget(Callback):
    """Fit within ``seconds`` of wall-clock time, with the schedule fitted to the time.

    Pass it in ``callbacks=`` of a fit. After every training batch the number of batches the fit will run
    (``learn.n_iterations``, which schedules read through ``learn.pct_train``) is re-planned from the speed so
    far: the time of a training batch, and the time each epoch spends outside training (validation and every
    callback's end-of-epoch work, checkpoints included), so that the last epoch's validation also ends inside
    the budget. When the planned batches are done the epoch's training stops, its validation runs, and the fit
    ends. See ``docs/training-loop.md`` for the rules (a slow first batch, epoch boundaries, resuming).

    One object is one budget: the same object passed to several fits (``fine_tune``'s two phases, gradual
    unfreezing's stages) is shared by them, each using what the earlier ones left. Time spent between fits
    (data loading, an export) is not counted, unless :meth:`start` was called: from then on every second counts.

    Under ``torchrun`` every process plans, and all follow the shortest plan, so they stop on the same batch.
    A checkpoint keeps the time already used: a fit resumed with a budget gets what was left. (The number of
    batches depends on the machine's speed, so a fit with a budget is only exactly repeatable when the budget
    is not reached.) The learning-rate finder's sweep is not a fit the budget plans; a one-call pipeline gives it
    a tenth of the budget, or what its training plainly leaves (:func:`sweep_time`), which it keeps to by taking
    fewer, larger steps.

    Args:
        seconds: The budget: seconds, or a duration such as ``"10m"``, ``"1h30m"``, ``"1:30:00"``.
        clock: Seconds from a fixed point, read at the loop's events (``time.perf_counter``; tests pass their
            own to make the timing exact).

    Attributes:
        used: Seconds used by the fits that have ended (after :meth:`start`, with the time before and between
            them; after a resume, with the time before the checkpoint).
        fits: One dict per fit that ended: ``planned_batches`` (what the call asked for), ``trained_batches``,
            ``batches_per_epoch``, ``seconds`` and ``shortened`` (the budget cut the plan, or left no time to
            start).
        after: Seconds of the work that came after the fits, which the budget does not bound, by what it was:
            ``"test"`` (scoring the test set) and ``"write"`` (writing the model), as the one-call pipelines
            count them (:func:`~trainwell.learner.run_files.count_after_training`), so that a command can say
            where its time beyond the budget went; ``after_ended``: when the last of it ended (``time.monotonic``).

    Example:
        >>> from trainwell.callbacks import TimeBudget
        >>> budget = TimeBudget("10m")
        >>> learn.fit_one_cycle(100, callbacks=[budget])  # doctest: +SKIP
        >>> budget.summary()  # doctest: +SKIP
        'the 10m budget trained 7.3 of the 100 epochs planned (its learning-rate schedule was shortened to end within the budget) in 9m 55s'
    """

    order = -40  # first at every event: the plan is in place before the schedules read pct_train

    def __init__(self, seconds: float | str, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.seconds = parse_duration(seconds)
        self._clock = clock
        self.used = 0.0
        #: Seconds a started budget spent before its first fit (reading the data, the learning-rate finder).
        self.prepared: float | None = None
        self.fits: list[dict[str, Any]] = []
        self.after: dict[str, float] = {}
        self.after_ended: float | None = None
        self._next_share = 1.0
        self._idle_since: float | None = None  # set by start(): from then on, time between fits counts too
        self.started_at: float | None = None  # time.monotonic() when start() was called
        self._fit_start = 0.0
        self._fit_limit = 0.0
        self._planned = self._per_epoch = 1
        self._mark: float | None = None  # when the current training batch began
        self._epoch_train_wall = 0.0
        self._sweep = False
        self._planned_at = -math.inf  # when the plan was last made, and that plan
        self._plan_now = 0
        self._group: Any = False  # False: one process; else the process group plans are agreed in
        self._epochs_timed = 0  # epochs whose time outside training is measured (kept across fits)
        self._outside = 0.0
        self._longest_outside = 0.0  # the longest time an epoch spent outside training, for the summary
        self._valid_guess = 0.0
        self._valid_cap = math.inf  # seconds a validation pass keeps to, for the first plan
        self._bounded_elsewhere = False  # a callback bounds the validation pass itself (bound_validation)
        self._valid_expected: float | None = None  # the seconds that callback foresees a pass taking
        #: ``(read, total)``: each validation pass reads only its first ``read`` batches of ``total``, the budget
        #: not holding a whole pass (:data:`VALID_SHARE`); ``None`` while the passes read every batch.
        self.valid_batches: tuple[int, int] | None = None
        self._whole_valid = 0.0  # seconds a whole validation pass would take, once a pass was capped
        # The batches of a validation set a pass read whole: every later pass over it is read whole too. A ULMFiT
        # classifier under --time 45s scored its first stage on all 600 validation texts, and the later stages,
        # each given a smaller share of the budget, on the first 256: one history, two validation sets.
        self._read_whole: set[int] = set()
        self._valid_start = 0.0
        self._valid_read = 0
        self._progress = 0.0  # the schedules' progress for the next training batch (learn.progress)
        self._cut = False  # whether this fit's plan has been below the one asked for (progress then kept)
        self._closed = False  # whether the last training batch was the plan's last (the schedule's end)
        self._reset_timing(0)

    # ------------------------------------------------------------------------------------------------ API
    @property
    def remaining(self) -> float:
        """Seconds the budget has left (during a fit: after what it has used so far)."""
        if self._running:
            pending = self._clock() - self._fit_start
        elif self._idle_since is not None:
            pending = self._clock() - self._idle_since
        else:
            pending = 0.0
        return max(0.0, self.seconds - self.used - pending)

    def clock(self) -> float:
        """The budget's clock now (``time.perf_counter``'s, or the one a test passed), for work that keeps to a
        share of the budget (a language model's validation pass: ``text.lm_callbacks.BudgetedValidation``)."""
        return self._clock()

    def bound_validation(self, seconds: float, *, expected: float | None = None) -> None:
        """Plan this fit's first epochs with a validation pass of ``seconds`` at most, for a callback that stops
        the pass there (``text.lm_callbacks.BudgetedValidation``): the guess from the validation set's length
        alone (:func:`_validation_guess`) would keep time for a whole pass. ``expected``: the seconds the callback
        foresees a pass taking, from a batch it timed, which the plan keeps (up to ``seconds``) in place of that
        guess: the guess counts a validation batch as a third of a training one, and a language model's, which
        reads the full softmax where its training samples 1,024 words, took 2.5 times one (PTB under ``--time
        60``: a pass of 12 s planned as 3.6 s, and the fit ran 9 s past its share). Once an epoch is timed, its
        measured time is used, as always."""
        self._valid_cap = positive_number(self.name, "seconds", seconds, example="12")
        self._valid_expected = (
            None if expected is None else positive_number(self.name, "expected", expected, example="3")
        )
        self._bounded_elsewhere = True

    def start(self, *, ago: float = 0.0, imports: bool = True) -> TimeBudget:
        """Count from now, the time between fits included: the fits then end within ``seconds`` of this call;
        ``ago``: from that many seconds before now (``trainwell fit --time`` counts from the command's start, the
        look at the data and the unpacking of an archive included, though it makes its budget later).

        The one-call pipelines (``fit_table(..., time_budget=)``...) start their budget as they begin, so that
        reading the data and the learning-rate finder come out of it too; writing the model comes after. A budget
        already started keeps counting from its start: a pipeline given one (the command's, or one shared with
        earlier work) does not start it again, which once left the command's own look at the data uncounted. The
        process's one-off imports for training (:func:`load_training_imports`) come before: they are not the
        fit's time. ``started_at``: when the count began, on :func:`time.monotonic`'s clock.

        ``imports=False`` leaves the imports to whoever knows whether anything will train by steps (a search of
        boosted trees alone builds no optimizer: a second of CPU a process saved), which then makes them and
        leaves their seconds out with :meth:`set_aside`."""
        if self.started_at is not None:
            return self
        if imports:
            load_training_imports()
        ago = max(0.0, ago)
        self._idle_since = self._clock() - ago
        self.started_at = (
            time.monotonic() - ago
        )  # for a command's line on where its time went (cli._training)
        return self

    def set_aside(self, seconds: float) -> None:
        """Leave ``seconds`` just spent between fits out of a started budget, as :meth:`start` leaves out the
        one-off imports it makes: those of a budget started with ``imports=False``, made later. Nothing for a
        budget not started or during a fit."""
        if self._idle_since is not None and not self._running and seconds > 0:
            self._idle_since = min(self._clock(), self._idle_since + seconds)

    def share_next_fit(self, fraction: float) -> None:
        """Let the next fit use at most ``fraction`` of what is left, keeping the rest for the fits after it
        (``fine_tune`` gives its frozen phase a quarter at most). A fit that needs less leaves the rest."""
        self._next_share = min(1.0, positive_number(self.name, "fraction", fraction, example="0.25"))

    def epochs_trained(self) -> float | None:
        """Epochs' worth of batches the fits trained (``4.25``; ``0.03`` for 40 batches of an epoch of 1,327),
        when the budget cut a fit within an epoch; ``None`` when the history's rows, one per epoch begun, already
        say it (no fit was cut, or each ended within :data:`WHOLE_EPOCH_SLACK` of an epoch's end).

        Every fit counts: gradual unfreezing's whole first stage and 7 batches of the next are ``1.01`` epochs,
        though the history holds two rows. (A fit cut a few batches into its first epoch was once said to have
        trained "1 epoch", its one row: ``0.03`` was read as the whole number 0, so as no cut at all.)"""
        if not any(fit["shortened"] for fit in self.fits):
            return None
        done = sum(fit["trained_batches"] / max(1, fit["batches_per_epoch"]) for fit in self.fits)
        rows = sum(_epochs_begun(fit) for fit in self.fits)
        return None if abs(done - rows) <= WHOLE_EPOCH_SLACK else done

    def trained(self) -> str | None:
        """What the fits trained, in words for a summary, when the history's rows would not say it (see
        :meth:`epochs_trained`): ``"0.03 epochs (40 of 1,327 batches)"``, ``"2.3 epochs (3,052 batches, 1,327 an
        epoch)"``; ``None`` when they do."""
        done = self.epochs_trained()
        if done is None:
            return None
        batches = sum(fit["trained_batches"] for fit in self.fits)
        per_epoch = self.fits[-1]["batches_per_epoch"]
        if done < 1:
            return f"{format_epochs(done)} epochs ({batches:,} of {per_epoch:,} batches)"
        return f"{format_epochs(done)} epochs ({batches:,} batches, {per_epoch:,} an epoch)"

    def barely_trained(self) -> BarelyTrained | None:
        """The warning to give when the budget cut its fits to less than one epoch (``None`` otherwise): how many
        batches were trained, and about what budget one epoch with its validation pass would take, from the
        speed measured (the time before the fits, an epoch's batches at the last batches' speed, and a whole
        validation pass). Worded for Python (``time_budget=``) and for the command line (``--time``), as
        ``trainwell evaluate --time`` says of folds that trained less than one epoch.

        ``fit --task language_model --time 10s`` on 200 KB of Tiny Shakespeare trained 2 of an epoch's 12
        batches and printed its perplexity as a trained model's."""
        if not any(fit["shortened"] for fit in self.fits):
            return None
        done = sum(fit["trained_batches"] / max(1, fit["batches_per_epoch"]) for fit in self.fits)
        if done >= 1 - WHOLE_EPOCH_SLACK:
            return None
        last = self.fits[-1]
        per_epoch = max(1, int(last["batches_per_epoch"]))
        trained = sum(int(fit["trained_batches"]) for fit in self.fits)
        batch = float(last.get("batch_seconds", 0.0))
        before = max(0.0, self.used - sum(float(fit["seconds"]) for fit in self.fits))
        validation = self._whole_valid or self._longest_outside
        budget = format_duration(self.seconds).replace(" ", "")
        share = f"{trained:,} of the {per_epoch:,} batches of one"
        if batch > 0:
            need = before + per_epoch * batch + validation
            said = f"a batch took {format_duration(batch)}"
            if before >= 0.5:
                said += f", and {format_duration(before)} went before training"
            # A margin for what else keeps to a share of the budget (a language model's cache tuning) and for a
            # machine that slows down.
            enough = duration_text(need * ASKED_MARGIN)

            def fix(say: Spelling) -> str:
                return (
                    f"one epoch and its validation would take about {format_duration(need)} here ({said}): "
                    f"pass {say('time_budget', enough)} or more"
                )
        else:

            def fix(say: Spelling) -> str:
                return f"give more time ({say('time_budget')})"

        def words(say: Spelling) -> str:
            return (
                f"{say('time_budget', budget)} trained less than one epoch ({share} epoch, "
                f"{format_epochs(done)} epochs): the scores are a barely trained model's, not what it does given "
                f"time; {fix(say)}"
            )

        warning = BarelyTrained(words(Spelling(command_line=False)))
        warning.command_line = words(Spelling(command_line=True))
        return warning

    def summary(self) -> str:
        """One sentence on what the budget did over the fits that used it."""
        if not self.fits:
            return f"the {format_duration(self.seconds)} budget has not been used"
        planned = sum(fit["planned_batches"] for fit in self.fits)
        trained = sum(fit["trained_batches"] for fit in self.fits)
        seconds = self.used
        budget = format_duration(self.seconds)
        # A started budget counts from the call's start: the fits' own time is less (the epochs' times add up to
        # it), and "645 batches in 15s" beside epochs of 0.6 s read as a wrong sum.
        since = " from the start, reading the data included" if self._idle_since is not None else ""
        if since and self.prepared is not None and self.prepared >= 1.0:
            # fit cifar10 --time 90s read for 79 s of it: said, or the 9 batches trained read as a slow model.
            since = f" from the start, {format_duration(self.prepared)} of it reading the data and preparing the fit"
        if not any(fit["shortened"] for fit in self.fits):
            ran = f"all {planned:,} batches" if trained == planned else f"{trained:,} of {planned:,} batches"
            took = format_duration(seconds)
            if took == budget:  # "the 20s budget was not reached: ... in 20s" read as a contradiction
                return (
                    f"the {budget} budget was just enough: {ran} in {seconds:.1f}s{since}{self._validated()}"
                )
            return f"the {budget} budget was not reached: {ran} in {took}{since}{self._validated()}"

        per_epoch = self.fits[-1]["batches_per_epoch"]
        if len(self.fits) == 1 and per_epoch:
            done, asked = trained / per_epoch, planned / per_epoch
            what = f"{format_epochs(done)} of the {asked:g} epochs planned"
        else:
            what = f"{trained:,} of the {planned:,} batches planned"
        said = f"the {budget} budget trained {what} {self._schedule_end()} in {format_duration(seconds)}"
        return said + since + self._overrun(seconds) + self._validated()

    def _validated(self) -> str:
        """What to add when the validation passes read only their first batches (:attr:`valid_batches`)."""
        if self.valid_batches is None:
            return ""
        read, total = self.valid_batches
        return f"; each validation pass read the first {read:,} of its {total:,} batches"

    def _schedule_end(self) -> str:
        """How the schedule ended: fitted to the budget (its last batch at the schedule's end), or cut short by a
        slowdown the plan could not foresee (a stall of seconds on a busy machine), at the learning rate it had."""
        cut = [fit for fit in self.fits if fit["shortened"] and not fit.get("annealed", True)]
        if not cut:
            return "(its learning-rate schedule was shortened to end within the budget)"
        fit = cut[-1]
        lr, peak = fit.get("end_lr"), fit.get("peak_lr")
        at = f" at lr {lr:.2g} of a {peak:.2g} peak" if lr is not None and peak else ""
        return f"(the schedule was cut{at}: the machine slowed down more than the plan could foresee)"

    def _overrun(self, seconds: float) -> str:
        """What to add when the fits ran clearly past the budget: by how much, and why when one validation pass
        (with the epoch's other end-of-epoch work) alone is more than the budget held: a fit validates at least
        once, so a budget shorter than that cannot be kept."""
        over = seconds - self.seconds
        if over <= max(OVERRUN_SLACK_S, OVERRUN_SLACK * self.seconds):
            return ""
        said = f", {format_duration(over)} over it"
        if self._longest_outside > self.seconds / 2:
            said += (
                f": one validation pass took {format_duration(self._longest_outside)}, more than the budget could hold "
                "beside training (give more time, or fewer validation rows)"
            )
        return said

    # --------------------------------------------------------------------------------------------- events
    def before_fit(self, learn: Learner) -> None:
        # The learning-rate finder's sweep (a budget in learn.callbacks sees it too) is not a fit to plan.
        self._sweep = any(type(callback).__name__ == "LRFinder" for callback in learn._active)
        if self._sweep:
            return
        self._group = cpu_group()
        self._reset_timing(learn.iteration)
        load_training_imports()  # once a process, seconds: not the fit's time (the optimizer may not exist yet)
        self._fit_start = self._clock()
        if self._idle_since is not None:  # started: the time since the last fit counts
            self.used += self._fit_start - self._idle_since
            if self.prepared is None:
                self.prepared = self.used
        self._running = True
        # Every process decides alike whether the fit starts (one skipping it would leave the others waiting).
        self._fit_limit = self._agreed_min(max(0.0, self.seconds - self.used) * self._next_share)
        self._next_share = 1.0
        self._planned = learn.planned_iterations
        self._per_epoch = max(1, learn.planned_iterations // max(1, learn.n_epochs))
        self._valid_guess = _validation_guess(learn)
        # A validation pass keeps to a share of the fit's time (one process: in a distributed fit every process
        # would have to agree on where to stop); a callback that bounds it itself says so (bound_validation).
        self._valid_cap = VALID_SHARE * self._fit_limit if self._group is False else math.inf
        self._bounded_elsewhere = False
        self._valid_expected = None
        self._progress = learn.iteration / max(1, learn.n_iterations)
        self._cut = False
        self._closed = False
        if self._fit_limit <= 0:
            # Every process is here (the limit is agreed): the longest preparation is said, so that all say the
            # same and torchrun's processes print it once (rank 0's, cli._common.guarded).
            used = -self._agreed_min(-self.used)
            if not self.fits and used > 0:  # spent before any training: a model would be untrained
                budget, took = format_duration(self.seconds), format_duration(used)
                # At least the preparation again for the training, and its validation: the smallest budget that
                # leaves a model some training (the speed of a batch is not known yet).
                least_seconds = max(2 * used, used + 10.0)
                least = duration_text(least_seconds)
                spent = BudgetSpent.worded(
                    lambda say: (
                        f"the {say.either('time budget', '--time')} of {budget} was spent before training "
                        f"began ({took} went to preparing it: reading the data, choosing the learning rate); "
                        f"pass {say('time_budget', least)} or more, or pass {say('lr')} to skip the "
                        "learning-rate finder"
                    )
                )
                # evaluate words its own advice from these: this budget is then one fold's share of --time.
                spent.budget, spent.prepared, spent.least = self.seconds, used, least_seconds
                raise spent
            raise CancelFit  # nothing left: the fit does not start

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        # A resumed fit continues the fit's clock and budget from where the checkpoint was written.
        self.used = float(state["used"])
        self._fit_limit = float(state["fit_limit"])
        self._fit_start = self._clock() - float(state["fit_elapsed"])
        # The fits before this one (fine_tune's frozen phase), for the summary; older checkpoints hold none.
        self.fits = [dict(fit) for fit in state.get("fits", self.fits)]
        # The schedules' progress at the checkpoint's batch (older checkpoints: the batches done over the plan).
        if "progress" in state:
            self._progress = float(state["progress"])
        self._cut = bool(state.get("cut", False))
        if "epochs_timed" in state:
            self._outside = float(state["outside"])
            self._epochs_timed = int(state["epochs_timed"])
        # The validation batches the epochs before the checkpoint read: a resumed fit's read the same ones.
        if state.get("valid_batches") is not None:
            read, total = state["valid_batches"]
            self.valid_batches = (int(read), int(total))
        self._read_whole.update(int(total) for total in state.get("read_whole", ()))

    def checkpoint_state(self) -> dict[str, Any] | None:
        return {
            "used": self.used,
            "fit_limit": self._fit_limit,
            "fit_elapsed": self._clock() - self._fit_start,
            "fits": [dict(fit) for fit in self.fits],
            "progress": self._progress,
            "cut": self._cut,
            # The time epochs spent outside training, so a resumed fit plans with it from its first batches
            # rather than with a guess from the validation set's length.
            "outside": self._outside,
            "epochs_timed": self._epochs_timed,
            "valid_batches": None if self.valid_batches is None else list(self.valid_batches),
            "read_whole": sorted(self._read_whole),
        }

    def before_epoch(self, learn: Learner) -> None:
        if self._sweep:
            return
        now = self._clock()
        self._close_epoch(now)
        if learn.iteration >= learn.n_iterations:
            raise CancelFit  # the planned batches ended with the last epoch's training: it has validated
        self._epoch_start = now
        self._epoch_open = True
        self._epoch_batches = 0

    def before_train(self, learn: Learner) -> None:
        self._mark = None
        self._train_start = self._clock()

    def before_validate(self, learn: Learner) -> None:
        self._valid_start = self._clock()
        self._valid_read = 0

    def after_validate(self, learn: Learner) -> None:
        if self._sweep or self.valid_batches is not None:
            return
        total = _length(learn.loader)
        if total is not None and self._valid_read >= total:
            self._read_whole.add(total)

    def before_batch(self, learn: Learner) -> None:
        if self._sweep:
            return
        if not learn.training:
            self._bound_validation(learn)
            return
        now = self._clock()
        if self._mark is not None:
            self._time_batch(learn, now - self._mark)
        self._mark = now
        # Re-planned at most every REPLAN_SECONDS (a tiny model's batch takes microseconds), and at every
        # batch near the plan's end or before the speed is known.
        if (
            now - self._planned_at >= REPLAN_SECONDS
            or learn.iteration + 2 >= learn.n_iterations
            or self._timed < TIMED_BEFORE_PLANNING
        ):
            self._plan_now = self._plan(learn, now)
            self._planned_at = now
        learn.n_iterations = self._agreed_min(self._plan_now)
        if learn.iteration >= learn.n_iterations:
            self._mark = None  # no batch runs: after_train would time one of no seconds
            # Nothing of this epoch trained yet: end the fit here, rather than validate unchanged weights again.
            raise CancelFit if self._epoch_batches == 0 else CancelTrain
        self._epoch_batches += 1
        # The schedules' progress moves on by this batch's share of what is left of the plan: iteration /
        # n_iterations while the plan holds, and no jump when it changes (a plan cut from the epochs asked for
        # to those that fit once the speed is known, or moved by a slower or faster stretch): the learning rate
        # goes on from where it was, faster or slower. The plan's last batch is the schedule's end, so a fit
        # whose plan shrank in its last batches still ends annealed. Until the plan is first cut, the progress
        # is exactly the plain one: a budget the fit does not reach changes nothing. A plan that grows back to
        # the one asked for (a machine that got faster) keeps the kept progress: the plain ratio is behind it,
        # and going back to it would raise the learning rate again mid-anneal.
        left = max(1, learn.n_iterations - learn.iteration)
        first_cut = not self._cut and learn.n_iterations < self._planned
        self._cut = self._cut or first_cut
        if not self._cut:
            learn.progress = None
            self._progress = (learn.iteration + 1) / learn.n_iterations
        else:
            if first_cut:
                # This batch is already the new plan's: its first step is taken now, not after it. A plan of a
                # few slow batches, cut as the second batch's time is known, otherwise spent another batch at
                # the warm-up's first rate.
                self._progress += (1.0 - self._progress) / (left + 1)
            learn.progress = self._progress if left > 1 else 1.0
            self._progress += (1.0 - self._progress) / left
        self._closed = left <= 1

    def _bound_validation(self, learn: Learner) -> None:
        """Before a validation batch: stop the pass when the batches it reads are fixed and read, or when this
        batch, at the pass's speed so far, would take it past :data:`VALID_SHARE` of the fit's time; that many
        batches are then every later pass's (:attr:`valid_batches`). A validation set an earlier pass read whole
        is read whole (a later fit's smaller share does not cut it): every epoch is scored on the same rows."""
        if self._bounded_elsewhere or self._valid_cap == math.inf:
            return
        total = _length(learn.loader)
        if self.valid_batches is not None:
            if self._valid_read >= self.valid_batches[0]:
                raise CancelValidate
        elif (
            self._valid_read
            and total is not None
            and self._valid_read < total
            and total not in self._read_whole
        ):
            spent = self._clock() - self._valid_start
            if spent + spent / self._valid_read > self._valid_cap:
                self.valid_batches = (self._valid_read, total)
                whole = spent * total / self._valid_read
                self._whole_valid = whole
                warn(
                    f"the {format_duration(self.seconds)} time budget holds no whole validation pass (one would "
                    f"take about {format_duration(whole)}): each epoch validates on the first "
                    f"{self._valid_read:,} of its {total:,} batches, {VALID_SHARE:.0%} of the fit's time at most "
                    "(give more time to validate on every batch)"
                )
                raise CancelValidate
        self._valid_read += 1

    def after_train(self, learn: Learner) -> None:
        if self._sweep:
            return
        if self._mark is not None:
            self._time_batch(learn, self._clock() - self._mark)
        self._mark = None
        self._epoch_train_wall += self._clock() - self._train_start

    def _close_epoch(self, now: float) -> None:
        """Count what the epoch that just ended spent outside its training phase: validation and every
        callback's end-of-epoch work (metrics, checkpoints, logs), measured up to the next epoch or the fit's
        end."""
        if self._epoch_open:
            outside = now - self._epoch_start - self._epoch_train_wall
            self._outside += outside
            self._longest_outside = max(self._longest_outside, outside)
            self._epochs_timed += 1
        self._epoch_open = False
        self._epoch_train_wall = 0.0

    def after_fit(self, learn: Learner) -> None:
        if self._sweep:
            return
        now = self._clock()
        self._close_epoch(now)
        seconds = now - self._fit_start
        self.used += seconds
        self._running = False
        if self._idle_since is not None:
            self._idle_since = now
        learn.time_budget = self  # the model directory records what the budget allowed
        self.fits.append(
            {
                "planned_batches": self._planned,
                "trained_batches": learn.iteration,
                "batches_per_epoch": self._per_epoch,
                "seconds": seconds,
                # A training batch's time as the plan last had it (the first batch's alone: none other timed).
                "batch_seconds": self._batch_seconds(),
                "epochs_begun": _rows_of_this_fit(learn),  # one history row per epoch begun
                # The fit ended because the budget's plan did (a fit stopped early by another callback, as
                # EarlyStopping does, was not), or the budget left no time to start it.
                "shortened": (learn.iteration >= learn.n_iterations < self._planned)
                or learn.iteration < min(1, self._planned),
                # Whether the last batch trained was the plan's last, so the schedule ended annealed; else the
                # learning rate it was cut at, against its peak, for the summary to say.
                "annealed": self._closed or learn.iteration == 0,
                **_end_rates(learn),
            }
        )

    # ----------------------------------------------------------------------------------------------- plan
    def _time_batch(self, learn: Learner, seconds: float) -> None:
        """Count a finished training batch's time; the fit's first batch, which carries one-off costs, only in
        the rough figure used until a few others are timed."""
        self._rough_time += seconds
        self._rough_count += 1
        if learn.iteration > self._first_iteration + 1:
            self._timed += 1
            # The speed now, not the fit's average: a machine that gets busy mid-fit (another job on the cores)
            # is planned for within some tens of batches, instead of overrunning the budget by its slowdown.
            weight = max(RECENT_WEIGHT, 1.0 / self._timed)  # the plain mean until enough batches are timed
            self._recent += (seconds - self._recent) * weight
            self._quick += (seconds - self._quick) * max(QUICK_WEIGHT, 1.0 / self._timed)

    def _batch_seconds(self) -> float:
        """A training batch's time as the plan rests on it: the slower of the two averages, or before any batch
        but the first is timed, the first's."""
        if self._timed:
            return max(self._recent, self._quick)
        return self._rough_time / self._rough_count if self._rough_count else 0.0

    def _reset_timing(self, iteration: int) -> None:
        self._running = False
        self._first_iteration = iteration
        self._timed = 0
        self._recent = 0.0  # a moving average of the recent training batches' time
        self._quick = 0.0  # the same over the last few batches (QUICK_WEIGHT)
        self._rough_time = 0.0
        self._rough_count = 0
        self._mark = None
        self._epoch_start = self._train_start = self._clock()
        self._planned_at = -math.inf
        self._plan_now = 0
        self._epoch_open = False
        self._epoch_batches = 0
        self._epoch_train_wall = 0.0

    def _plan(self, learn: Learner, now: float) -> int:
        """The batches this fit should run in all, from the time left and the speed measured so far."""
        left = self._fit_limit - (now - self._fit_start)
        done = learn.iteration
        if left <= 0:
            return done
        if self._timed < TIMED_BEFORE_PLANNING:
            # Too few batches timed to plan: the first one's one-off costs (allocation, autotuning, a compile)
            # would cut the plan short. Stop only when the next batch alone would not fit.
            rough = self._rough_time / self._rough_count if self._rough_count else 0.0
            return done if left < rough else learn.n_iterations
        per_batch = max(self._recent, self._quick)
        if self._epochs_timed:
            outside = max(0.0, self._outside / self._epochs_timed)
        else:
            guess = self._valid_guess * per_batch if self._valid_expected is None else self._valid_expected
            outside = min(guess, self._valid_cap)
        per_epoch = self._per_epoch
        epoch_now = done // per_epoch  # whose validation is still to come

        def cost(batches: int) -> float:
            validations = max(1, math.ceil((done + batches) / per_epoch) - epoch_now)
            return batches * per_batch + validations * outside

        low, high = 0, max(0, self._planned - done)  # the most batches whose cost fits in what is left
        while low < high:
            middle = (low + high + 1) // 2
            if cost(middle) <= left:
                low = middle
            else:
                high = middle - 1
        end = done + low
        boundary = end - end % per_epoch
        # A last epoch of a few batches: end with the whole epoch before it. Also when that epoch has just ended
        # (done == boundary): its validation pass, timed only now, is what shrank the plan to a few batches more,
        # which would cost a second validation for a sliver of training (GoEmotions under --time 60s: 20 batches
        # past an epoch of 542, at a learning rate near zero, and another pass over 8,682 validation texts).
        if done <= boundary < end and end - boundary < WHOLE_EPOCH_SLACK * end:
            end = boundary
        return end

    def _agreed_min(self, value: float) -> Any:
        """The smallest ``value`` of every process in a distributed fit (the shortest plan, the least time
        left), so that all decide alike and stop on the same batch; ``value`` itself in one process. The
        numbers travel on the CPU (Gloo), so a GPU fit does not wait for its device every batch."""
        if self._group is False:
            return value
        import torch.distributed as dist

        tensor = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(tensor, op=dist.ReduceOp.MIN, group=self._group)
        result = float(tensor.item())
        return int(result) if isinstance(value, int) else result

    def __repr__(self) -> str:
        return f"TimeBudget({format_duration(self.seconds)!r})"


def _end_rates(learn: Learner) -> dict[str, float]:
    """The first parameter group's learning rate at the last batch trained and its peak (``max_lr``, set by the
    schedules), where the optimizer has them."""
    groups = learn.opt.param_groups if learn.opt is not None else []
    if not groups or "max_lr" not in groups[0]:
        return {}
    return {"end_lr": float(groups[0]["lr"]), "peak_lr": float(groups[0]["max_lr"])}


def _epochs_begun(fit: dict[str, Any]) -> int:
    """The epochs a fit began (one history row each); fits recorded before it was kept: from its batches."""
    if "epochs_begun" in fit:
        return int(fit["epochs_begun"])
    return math.ceil(fit["trained_batches"] / max(1, fit["batches_per_epoch"]) - WHOLE_EPOCH_SLACK)


def _rows_of_this_fit(learn: Learner) -> int:
    """The history rows the fit that is ending wrote (a resumed one's, those before its checkpoint included)."""
    recorder = getattr(learn, "recorder", None)
    fit = getattr(recorder, "fit_count", None)
    return sum(1 for row in learn.history if row.get("fit") == fit) if fit is not None else 0


def _length(loader: Any) -> int | None:
    """The batches ``loader`` gives, when it can say."""
    try:
        return len(loader)
    except TypeError:
        return None


def _validation_guess(learn: Learner) -> float:
    """Before any epoch has been timed: a validation pass in training batches' time (a forward pass is about a
    third of a training step; a validation batch is usually no larger than a training one)."""
    valid = getattr(learn.data, "valid", None)
    try:
        return len(valid) / 3.0 if valid is not None else 0.0  # type: ignore[arg-type]
    except TypeError:
        return 0.0


def find_budget(*groups: Any) -> TimeBudget | None:
    """The first :class:`TimeBudget` among the callbacks in ``groups`` (each an iterable of callbacks)."""
    for group in groups:
        for callback in group:
            if isinstance(callback, TimeBudget):
                return callback
    return None


#: Set by :func:`budget_each_call`: the seconds each pipeline call gets, and the budgets made so far.
_EACH_CALL: ContextVar[tuple[float, list[TimeBudget]] | None] = ContextVar(
    "trainwell_budget_each_call", default=None
)


@contextmanager
def budget_each_call(seconds: float | str) -> Iterator[list[TimeBudget]]:
    """Within the block, every one-call pipeline (``fit_table``, ``fit_texts``..., and the folds of
    ``trainwell evaluate``) that is given no ``time_budget`` of its own trains within ``seconds``, each call with
    a budget of its own; yields the list of the budgets made, in order, to report what they allowed.

    Example:
        >>> with budget_each_call("2m") as budgets:  # doctest: +SKIP
        ...     evaluation = evaluate_table(frame, "income", k=5)
        >>> [budget.summary() for budget in budgets]  # doctest: +SKIP
    """
    made: list[TimeBudget] = []
    token = _EACH_CALL.set((parse_duration(seconds), made))
    try:
        yield made
    finally:
        _EACH_CALL.reset(token)


#: The most of what a budget has left that the learning-rate finder's sweep may take (it then takes fewer,
#: larger steps: :class:`~trainwell.learner.lr_find.LRFinder`).
SWEEP_SHARE = 0.1


#: How many times its batches' time at the sweep's speed a training must leave room for, validation and the
#: end-of-epoch work included, before the sweep may take what the training leaves beyond a tenth.
TRAINING_ROOM = 1.5


def sweep_time(
    budget: TimeBudget | None, training_batches: int | None = None
) -> float | Callable[[float], float] | None:
    """Seconds the learning-rate finder may take under ``budget`` (``None``: no limit): a tenth of what is left
    (:data:`SWEEP_SHARE`), or, given the ``training_batches`` the fit after it will run, what that training
    plainly leaves: a function of the seconds a batch of the sweep took, which the finder calls once a few are
    timed. (A tenth alone stopped the finder of a 25 s fit on California housing, which then trained all its
    375 batches in 9.5 s: the user lost the finder to save time that was not needed.)"""
    if budget is None:
        return None
    share = max(budget.remaining * SWEEP_SHARE, 1e-3)
    if not training_batches:
        return share

    def limit(seconds_a_batch: float) -> float:
        left = budget.remaining
        return max(left * SWEEP_SHARE, left - TRAINING_ROOM * training_batches * seconds_a_batch, 1e-3)

    return limit


@contextmanager
def outside_call_budgets() -> Iterator[float | None]:
    """Run work that is not one of the calls an enclosing :func:`budget_each_call` shares time among (a choice
    made before a fold's own fit, say): pipelines inside start no budget of their own from it and are not
    counted. Yields the seconds each call gets (``None`` outside any), to bound that work by hand."""
    each = _EACH_CALL.get()
    token = _EACH_CALL.set(None)
    try:
        yield None if each is None else each[0]
    finally:
        _EACH_CALL.reset(token)


def load_training_imports() -> None:
    """Import now what a process's first fit would import inside its budget: building the first optimizer loads
    ``torch._dynamo`` (1-4 s, 4.6 s on a busy 2-core machine, once per process). :meth:`TimeBudget.start` and
    each budgeted fit call it before reading their clock, so that ``fit --time 30s`` trains for 30 s, not 26;
    call it too before budgets that are shares of one (the folds of an evaluation): the first fold's few seconds
    went to the import, and the fold was refused as "spent before training began" while the others trained.
    After the first call it costs some 20 microseconds."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def start_budget(time_budget: float | str | TimeBudget | None, imports: bool = True) -> TimeBudget | None:
    """A pipeline's ``time_budget=`` as a started :class:`TimeBudget`: a duration, or a budget object to share
    with other work; ``None``: the budget of an enclosing :func:`budget_each_call`, else no budget.
    ``imports=False``: the work builds no optimizer (boosted trees, fitted in one step), so the training code
    is not loaded at the start (:meth:`TimeBudget.start`)."""
    if time_budget is None:
        each = _EACH_CALL.get()
        if each is None:
            return None
        seconds, made = each
        budget = TimeBudget(seconds)
        made.append(budget)
        return budget.start(imports=imports)
    budget = time_budget if isinstance(time_budget, TimeBudget) else TimeBudget(time_budget)
    return budget.start(imports=imports)


def cpu_group() -> Any:
    """``False`` outside a distributed fit; else the group to agree on plans in: the default one when it runs
    on the CPU (Gloo), a Gloo group beside NCCL's otherwise. Every process calls this at the same point."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return False
    if dist.get_backend() == "gloo":
        return None
    global _GLOO_GROUP
    if _GLOO_GROUP is None:
        _GLOO_GROUP = dist.new_group(backend="gloo")
    return _GLOO_GROUP


_GLOO_GROUP: Any = None
