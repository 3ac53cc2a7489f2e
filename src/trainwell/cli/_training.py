"""fit's options on how the network trains: ``--clip``, ``--precision`` and ``--patience``; and the command's
closing line on its whole time beside ``--time``'s (:class:`CommandTime`).

They are checked when the command starts (before any data is read, without importing torch) and become the
callbacks of the training fit, given to the pipeline with its checkpoint's: a fit's
:class:`~trainwell.callbacks.GradientClip` or :class:`~trainwell.callbacks.MixedPrecision` stands in for the
learner's own (a language model's clip at 0.25, an image learner's bfloat16 on a GPU).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from time import monotonic, perf_counter
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainwell.core.errors import ConfigError
from trainwell.core.precision_names import canonical_precision

if TYPE_CHECKING:
    from trainwell.learner.events import Callback

Clip = Annotated[
    float | None,
    typer.Option(
        help="Cap the gradients' total norm at this value before each step (default: none, but 0.25 for language "
        "models and 5 for taggers, which this replaces).",
    ),
]
Precision = Annotated[
    str | None,
    typer.Option(
        metavar="bf16|fp16|fp32|auto",
        help="Float type of the forward pass: bf16 (bfloat16, CPU and recent GPUs), fp16 (CUDA, with loss "
        "scaling), fp32, or auto (bf16 where supported); MixedPrecision's other spellings too (bf16-mixed, "
        "16-mixed). Default: bf16 for images on a GPU, fp32 elsewhere.",
    ),
]
Patience = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Stop when the validation loss has not improved for this many epochs (0 and 1 alike: the first "
        "epoch without improvement stops, as Python's EarlyStopping(patience=0)), and keep the best epoch's "
        "weights (the learning-rate schedule is not shortened).",
    ),
]


@dataclass(frozen=True)
class TrainingOptions:
    """fit's ``--clip``, ``--precision`` and ``--patience``, checked (``precision``: a MixedPrecision dtype)."""

    clip: float | None = None
    precision: str | None = None
    patience: int | None = None

    @property
    def given(self) -> dict[str, bool]:
        """Each option and whether it was given, for the checks that refuse options a kind of data never reads."""
        return {
            "--clip": self.clip is not None,
            "--precision": self.precision is not None,
            "--patience": self.patience is not None,
        }

    def callbacks(self) -> list[Callback]:
        """The training fit's callbacks these options ask for (torch is imported here, not at the start)."""
        from trainwell.callbacks import EarlyStopping, GradientClip, MixedPrecision, SaveBest
        from trainwell.cli._fit_callbacks import NeedsValidation

        chosen: list[Callback] = []
        if self.clip is not None:
            chosen.append(GradientClip(self.clip))
        if self.precision is not None:
            chosen.append(MixedPrecision(self.precision))
        if self.patience is not None:
            patience = self.patience
            # 0 stops as 1 does (EarlyStopping reads them alike); kept as 1, so that what trainwell.json records
            # and `trainwell info` shows ("had not improved for 1 epochs") stays true.
            stop = EarlyStopping(patience=max(patience, 1))
            chosen += [NeedsValidation(patience), stop, SaveBest("valid_loss")]
        return chosen


def training_options(clip: float | None, precision: str | None, patience: int | None) -> TrainingOptions:
    """Check fit's ``--clip``, ``--precision`` and ``--patience``; each wrong value refused in one line.

    Example:
        >>> training_options(1.0, "BF16", None)
        TrainingOptions(clip=1.0, precision='bfloat16', patience=None)
    """
    if clip is not None and not (math.isfinite(clip) and clip > 0):
        raise ConfigError(
            f"--clip must be a finite number above 0 (the largest gradient norm kept), got {clip}; pass e.g. "
            "--clip 1.0, or leave it out to train without clipping"
        )
    # MixedPrecision's own spellings (trainwell.core.precision_names, torch-free), refused in its words.
    dtype = None if precision is None else canonical_precision(precision, "--precision")
    return TrainingOptions(clip=clip, precision=dtype, patience=patience)


def refuse_for_closed_form(options: TrainingOptions, closed_form: str | None) -> None:
    """A model fitted in closed form (boosted trees, EASE) has no gradients, steps nor epochs to stop."""
    given = [name for name, was in options.given.items() if was]
    if closed_form is not None and given:
        one = len(given) == 1
        raise ConfigError(
            f"{', '.join(given)} {'steers' if one else 'steer'} the training of a network, and {closed_form} "
            f"fit in closed form, without gradients nor epochs: drop {'it' if one else 'them'}, or choose a "
            "network's --arch"
        )


class CommandTime:
    """The whole of a ``fit --time`` command's time, beside the budget that bounded its training.

    ``--time`` bounds the training, counted from the command's start (:meth:`budget_of`): the command's own look
    at the data (an archive unpacked, a folder of splits joined), reading it and choosing the learning rate are
    included; the scoring of the test set (less the estimate :class:`ReserveForTestSet` keeps out of the training)
    and the writing of the model come after it. A tour's ``fit mnist
    --time 60s`` took 1m 34s, and the budget's line, of the training alone, read as a 50% overrun: :meth:`line`
    says where the rest went. Made as the command starts (the clock is :func:`time.monotonic`); :meth:`callback`
    goes into the fit's callbacks to find the budget the pipeline made.
    """

    def __init__(self) -> None:
        # From the process's start when the console command runs (the interpreter's start and the CLI's imports
        # are the command's time too: "starting up" in the closing line); from now inside another Python process.
        from trainwell.cli import _early

        self.started = _early.process_started if _early.process_started is not None else monotonic()
        self.keeper: Any = None  # the BudgetKeeper that :meth:`callback` made (the training stack's import)
        # Where --time's clock starts: the command's own start (after the CLI's imports), on a clock of real
        # seconds that tests which scale the command's clock leave alone; less the time set aside (setting_up).
        self.begun = perf_counter()
        self.set_aside = 0.0
        self.test_reserve: ReserveForTestSet | None = (
            None  # --time with a test set: what was kept for its scoring
        )

    @contextmanager
    def setting_up(self) -> Iterator[None]:
        """Set aside the time spent inside: the one-off imports of the training stack and the trackers' set-up
        (MLflow's import and store), which are not the training's; said as starting up in the closing line."""
        began = perf_counter()
        try:
            yield
        finally:
            self.set_aside += perf_counter() - began

    def budget_of(self, seconds: float, *, imports: bool = True) -> Any:
        """A :class:`~trainwell.callbacks.TimeBudget` of ``seconds``, started as if at the command's start (the
        time :meth:`setting_up` set aside left out), for the pipeline to train under: a pipeline given a started
        budget keeps counting from its start. Before, the budget counted from the pipeline's own start, and what
        the command read before it (a Parquet of images written out as files, a folder of splits joined, an
        archive unpacked) came on top of ``--time``. ``imports=False``: a model fitted in closed form (``--arch
        gbdt``, ``ease``) builds no optimizer, and the training code's one-off imports (``torch._dynamo``, a
        second of CPU) are not made for it."""
        from trainwell.callbacks.budget import TimeBudget, load_training_imports

        if imports:
            load_training_imports()  # before reading the clock: the imports are not the training's time
        ago = perf_counter() - self.begun - self.set_aside
        budget = TimeBudget(seconds).start(ago=ago, imports=False)
        self.test_reserve = ReserveForTestSet(budget)
        return budget

    @property
    def budget(self) -> Any:
        """The budget the command's training kept to (``None``: none seen yet)."""
        return None if self.keeper is None else self.keeper.budget

    @property
    def learn(self) -> Any:
        """The learner trained under :attr:`budget`."""
        return None if self.keeper is None else self.keeper.learn

    @property
    def in_one_step(self) -> bool:
        """The model was fitted in one step (boosted trees, EASE): its budget saw no fit, and still bounded it."""
        return self.keeper is not None and self.keeper.one_step

    def callback(self) -> Callback:
        """A callback that keeps the fit's budget once it ends (every fit of the command: the last one counts),
        and the budget a pipeline counted a model fitted in one step on, which it hands over
        (:func:`trainwell.learner.one_step.hand_over`)."""
        from trainwell.learner.one_step import BudgetKeeper

        if self.keeper is None:
            self.keeper = BudgetKeeper()
        return self.keeper

    def keep_trees(self, run: Any) -> None:
        """Keep the budget of a run whose model was fitted in one step, which no budgeted fit timed, where the
        pipeline did not hand it over to :meth:`callback`'s keeper: the pipeline counted the step's time on it
        (``budget.used``, from the call's start) and the scoring and writing after (``budget.after``). A budget
        kept from a fit (the MLP's, the trees kept after it) stays."""
        budget = getattr(run, "budget", None)
        if budget is not None and getattr(run.learn.model, "closed_form", False):
            self.callback()
            self.keeper.keep_one_step(budget, run.learn)

    def line(self, test_count: str = "") -> str | None:
        """``"the command took 1m 34s: 1m training (--time), 31s scoring the test set (10,000 images), 3s
        writing the model"`` when the command ran clearly past its budget (as the budget judges its own overrun:
        by a tenth and 2 s); ``None`` otherwise, or without a budget. ``test_count``: `` (10,000 images)``."""
        from trainwell.callbacks.budget import OVERRUN_SLACK, OVERRUN_SLACK_S, format_duration

        budget = self.budget
        if budget is None or not (budget.fits or self.in_one_step):
            return None
        total = monotonic() - self.started
        if total - budget.seconds <= max(OVERRUN_SLACK_S, OVERRUN_SLACK * budget.seconds):
            return None
        after = dict(budget.after)
        parts = [f"{format_duration(budget.used)} training (--time)"]
        named = {  # in the order they run; a pipeline may time other work under a name of its own
            "test": f"scoring the test set{test_count}",
            "cache": "tuning the cache pointer",
            "write": "writing the model",
        }
        for what in sorted(after, key=lambda key: list(named).index(key) if key in named else len(named)):
            parts.append(f"{format_duration(after[what])} {named.get(what, what)}")
        # What came after the writing (the results' tables, their confidence intervals); before the budget's
        # clock, starting up (the interpreter, the imports of the training stack); and the rest: between the
        # training and the writing, what is not timed on its own (the validation results, the curves' plots,
        # choosing thresholds, a language model's cache tuning).
        reporting = total - (budget.after_ended - self.started) if budget.after_ended is not None else 0.0
        started_at = getattr(budget, "started_at", None)
        starting = max(0.0, started_at - self.started) if started_at is not None else 0.0
        rest = total - starting - budget.used - sum(after.values()) - reporting
        if reporting >= 0.5:
            parts.append(f"{format_duration(reporting)} reporting the results")
        if started_at is None:
            if rest >= 0.5:
                parts.append(f"{format_duration(rest)} starting up and the rest")
        else:
            if starting >= 0.5:
                parts.append(
                    f"{format_duration(starting)} before --time's clock (starting up: the interpreter, the "
                    "imports of the training stack)"
                )
            if rest >= 0.5:
                parts.append(
                    f"{format_duration(rest)} after the training (validation results, plots, thresholds)"
                )
        return f"the command took {format_duration(total)}: {', '.join(parts)}"


#: At most this share of the time a fit had to train is kept for scoring the test set after it (a test set whose
#: scoring would take longer leaves the training the rest, and the command goes past --time by the difference).
TEST_RESERVE_SHARE = 0.5
#: A row's forward pass takes about this share of its training step (the budget's own guess of a validation pass
#: before one is timed): the estimate of the test set's scoring until a validation pass has been timed.
FORWARD_SHARE = 1 / 3
#: Training batches timed before the first estimate (the first one's one-off costs are not counted): early, so
#: that the budget's plan, and the learning-rate schedule fitted to it, are made with the time kept out.
TIMED_BATCHES = 1


class ReserveForTestSet:
    """``fit --time`` with a test set (``--test``, a folder's ``test/``): time kept out of the training's budget
    for scoring the test set after it, which the budget does not bound. Measured in the fit (:meth:`callback`):
    the seconds a row of the last validation pass took (its reading included), or before one is timed a third of
    a training row's, times the test set's rows; at most :data:`TEST_RESERVE_SHARE` of the fit's time. The
    budget's limit of the fit is lowered by it as the estimate changes, through its checkpoint state (its one
    public handle on the limit of a running fit).

    Before, ``fit mnist --time 30s`` (10,000 test images) took 1m 4s, 21 s of it scoring the test set.
    """

    def __init__(self, budget: Any) -> None:
        self.budget = budget
        self.seconds = 0.0  # kept out of the fit's limit so far
        self.rows = 0  # the test set's
        self.estimate = 0.0  # what scoring them was estimated to take
        self.capped = False  # the estimate was above TEST_RESERVE_SHARE of the fit's time

    def callback(self) -> Callback:
        """The fit's callback that measures the speeds and keeps the time (torch is imported here)."""
        from trainwell.learner.events import Callback

        reserve = self

        class ReserveTestScoring(Callback):
            order = -39  # after the TimeBudget's before_fit (-40), which sets the fit's limit
            runs_in_lr_find = False

            def before_fit(self, learn: Any) -> None:
                # Each fit's limit is made afresh from what the budget has left (fine_tune's second phase): the
                # time is kept out of the last one's, which the test set's scoring follows.
                reserve.rows = _rows(getattr(getattr(learn, "data", None), "test", None))
                reserve.seconds = 0.0
                self.limit: float | None = None  # the fit's limit before anything was kept
                self.last: float | None = None
                self.train_seconds, self.train_rows, self.timed, self.pending = 0.0, 0, 0, 0
                self.valid_per_row: float | None = None

            def before_batch(self, learn: Any) -> None:
                if not reserve.rows or not learn.training:
                    return
                now = perf_counter()
                if self.last is not None:  # the last batch's step and this one's reading
                    self.timed += 1
                    if self.timed > 1:  # the first one's one-off costs left out
                        self.train_seconds += now - self.last
                        self.train_rows += self.pending
                    if self.timed == TIMED_BATCHES + 1 and self.valid_per_row is None and self.train_rows:
                        reserve.keep(FORWARD_SHARE * self.train_seconds / self.train_rows, self)
                self.last, self.pending = now, _batch_rows(learn)

            def before_validate(self, learn: Any) -> None:
                self.last = None  # the validation pass is not a training batch's time
                self.valid_start, self.valid_rows = perf_counter(), 0

            def after_batch(self, learn: Any) -> None:
                if reserve.rows and not learn.training:
                    self.valid_rows += _batch_rows(learn)

            def after_validate(self, learn: Any) -> None:
                if reserve.rows and self.valid_rows:
                    self.valid_per_row = (perf_counter() - self.valid_start) / self.valid_rows
                    if learn.iteration < learn.n_iterations:  # not after the last pass: the training is over
                        reserve.keep(self.valid_per_row, self)

            def before_epoch(self, learn: Any) -> None:
                self.last = None

            def checkpoint_state(self) -> dict[str, Any] | None:
                # The budget's limit in a checkpoint is already lowered: a resumed fit keeps nothing again.
                return {"seconds": reserve.seconds, "estimate": reserve.estimate, "capped": reserve.capped,
                        "limit": self.limit}  # fmt: skip

            def load_checkpoint_state(self, state: dict[str, Any]) -> None:
                reserve.seconds, reserve.estimate = float(state["seconds"]), float(state["estimate"])
                reserve.capped, self.limit = bool(state["capped"]), state["limit"]

        return ReserveTestScoring()

    def keep(self, per_row: float, fit: Any) -> None:
        """Keep the test set's scoring at ``per_row`` seconds a row out of the fit's limit (``fit``: the
        callback, holding the limit as the fit began)."""
        state = self.budget.checkpoint_state()
        if state is None:
            return
        if fit.limit is None:
            fit.limit = float(state["fit_limit"]) + self.seconds
        self.estimate = self.rows * per_row
        # Half of the fit's time at most, and of what it has left now: the plan shrinks, it is not cut off.
        left = max(0.0, float(state["fit_limit"]) - float(state["fit_elapsed"])) + self.seconds
        wanted = min(self.estimate, TEST_RESERVE_SHARE * fit.limit, TEST_RESERVE_SHARE * left)
        self.capped = wanted < self.estimate
        state["fit_limit"] = float(state["fit_limit"]) - (wanted - self.seconds)
        self.budget.load_checkpoint_state(state)
        self.seconds = wanted

    def line(self, unit: str = "rows") -> str | None:
        """``"--time: 12s of it was kept for scoring the test set after the training (10,000 images, about
        1.2 ms each)"``; ``None`` when nothing was kept."""
        from trainwell.callbacks.budget import format_duration

        if self.seconds < 0.5:
            return None
        kept = f"--time: {format_duration(self.seconds)} of it was kept for scoring the test set after the training"
        each = self.estimate / self.rows * 1000
        if self.capped:
            return (
                f"{kept}, at most {TEST_RESERVE_SHARE:.0%} of the fit's time: scoring its {self.rows:,} {unit} "
                f"would take about {format_duration(self.estimate)} ({each:.2g} ms each), the rest after --time"
            )
        return f"{kept} ({self.rows:,} {unit}, about {each:.2g} ms each)"


def _rows(loader: Any) -> int:
    """The examples ``loader`` holds (0: none, or it cannot say)."""
    if loader is None:
        return 0
    try:
        return int(loader.n_rows) if hasattr(loader, "n_rows") else len(loader.dataset)
    except (AttributeError, TypeError):
        return 0


def _batch_rows(learn: Any) -> int:
    """The examples in ``learn``'s batch (its targets' first dimension)."""
    try:
        return len(learn.yb)
    except TypeError:
        return 0


#: The steps after the training, by the function a Ctrl-C's traceback passes through: what they are, in words.
AFTER_TRAINING_STEPS = {
    "choose_label_thresholds": "thresholds",
    "score_test_set": "test",
    "write_run": "write",
    "report_fit": "report",
}


class TrainedModel:
    """What ``fit`` needs to write its model itself when Ctrl-C stops a step after the training: the learner
    whose fit ended (a callback's ``after_fit``; a refit's training, begun, forgets it until it ends too), the
    sweep of its learning rate, and the learner's decisions as the training left them (the thresholds at their
    defaults), to put back when the choice of thresholds was cut short.

    Before, Ctrl-C in the choice of thresholds, the scoring of the test set or the writing left only the fit's
    checkpoint (a network's: ``--resume`` finished it) or, for boosted trees, nothing at all.
    """

    def __init__(self) -> None:
        self.learn: Any = None
        self.sweep: Any = None
        self.decisions: dict[str, Any] = {}
        self.one_step = False  # a table's boosted trees (:meth:`keep_trees`): no checkpoint, no fit seen
        self.extra_files: dict[str, bytes] = {}  # written beside the model: the beaten MLP's files

    def callback(self) -> Callback:
        """The fit's callback that keeps :attr:`learn` once a training has ended (torch is imported here)."""
        from trainwell.learner.events import Callback

        keeper = self

        class KeepTrainedModel(Callback):
            order = 1000  # after the best epoch's weights are loaded back
            runs_in_lr_find = False

            def before_fit(self, learn: Any) -> None:
                keeper.learn = None  # a training begun (a refit on every row) is not trained until it ends

            def after_fit(self, learn: Any) -> None:
                keeper.keep(learn)

        return KeepTrainedModel()

    def keep(self, learn: Any) -> None:
        """Keep ``learn``, trained, its decisions as they are now, and its fit's learning-rate sweep."""
        self.learn, self.one_step, self.extra_files = learn, False, {}
        active = getattr(learn, "_active", ())
        self.sweep = next((cb for cb in active if type(cb).__name__ == "KeptSweep"), None)
        data = getattr(learn, "data", None)
        self.decisions = {
            "task": learn.task,
            "data_task": getattr(data, "task", None),
            "metrics": list(learn.metrics),
            **{name: getattr(learn, name, _MISSING) for name in _DECISION_ATTRIBUTES},
        }

    def put_back_decisions(self) -> None:
        """Undo a choice of thresholds cut short: the task, the metrics and the notes as the training left them
        (boosted trees, whose fit was not seen: the default threshold, 0.5, which their fit leaves)."""
        learn, kept = self.learn, self.decisions
        if self.one_step:
            if learn.task.kind == "binary" and learn.task.threshold != DEFAULT_THRESHOLD:
                from trainwell.learner.decision_threshold import set_decision_threshold

                set_decision_threshold(learn, DEFAULT_THRESHOLD)
            for name in _DECISION_ATTRIBUTES:
                vars(learn).pop(name, None)
            return
        learn.task = kept["task"]
        if getattr(learn, "data", None) is not None and kept["data_task"] is not None:
            learn.data.task = kept["data_task"]
        learn.metrics = kept["metrics"]
        for name in _DECISION_ATTRIBUTES:
            if kept[name] is _MISSING:
                if name in vars(learn):
                    delattr(learn, name)
            else:
                setattr(learn, name, kept[name])

    def interrupted_step(self, error: BaseException) -> str | None:
        """The step after the training that ``error`` (Ctrl-C) stopped, a value of :data:`AFTER_TRAINING_STEPS`,
        when it was working on :attr:`learn`, or on a table's boosted trees (:meth:`keep_trees`: ``--arch
        gbdt``, or the trees ``--arch auto`` kept in the MLP's place); ``None`` otherwise (a refit on every row,
        another model fitted in closed form). ``"report"``: the model was written, the results' table was being
        shown."""
        frame_step = None
        traceback = error.__traceback__
        while traceback is not None:
            frame = traceback.tb_frame
            step = AFTER_TRAINING_STEPS.get(frame.f_code.co_name)
            if step is not None and frame_step is None:
                if step == "report":
                    return step
                working_on = frame.f_locals.get("learn")
                if working_on is None:
                    return None
                if working_on is not self.learn:
                    if not _table_trees(working_on):
                        return None  # a refit's step, or another model's
                    self.keep_trees(working_on, error)
                frame_step = step
            traceback = traceback.tb_next
        return frame_step

    def keep_trees(self, learn: Any, error: BaseException) -> None:
        """Keep a table's boosted trees, which no fit's callback saw (they are fitted in one step, without the
        command's callbacks), found in the step ``error`` stopped; their decisions as the fit left them are the
        defaults (:meth:`put_back_decisions`), and the files of the MLP they beat, when the step had them
        (``mlp_history.csv``, ``mlp_curves.png``), are written beside them.

        Before, Ctrl-C in the choice of the trees' threshold, the scoring of the test set or the writing wrote
        nothing: boosted trees keep no checkpoint."""
        self.learn, self.sweep, self.decisions, self.one_step = learn, None, {}, True
        traceback = error.__traceback__
        while traceback is not None:
            found = traceback.tb_frame.f_locals
            name = traceback.tb_frame.f_code.co_name
            beaten = found.get("extra_files") if name == "score_and_write" else found.get("beaten")
            if name in ("score_and_write", "fit_table") and isinstance(beaten, dict):
                self.extra_files = beaten
            traceback = traceback.tb_next


def _table_trees(learn: Any) -> bool:
    """Whether ``learn`` holds a table's boosted trees as fitted on the training rows (not refitted on every row:
    a refit is not written in place of the model it refits, as an MLP's is not)."""
    model = getattr(learn, "model", None)
    return (
        getattr(model, "closed_form", False)
        and getattr(getattr(learn, "data", None), "application", None) == "tabular"
        and not hasattr(learn, "refit_record")
    )


#: The decision threshold a binary model's fit leaves (:class:`~trainwell.data.task.Task`'s default).
DEFAULT_THRESHOLD = 0.5
_MISSING = object()
_DECISION_ATTRIBUTES = ("decision_threshold", "thresholds_chosen_on", "threshold_figures", "test_scores")
