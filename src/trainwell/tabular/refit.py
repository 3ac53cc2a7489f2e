"""``refit_full=True`` (``--refit-full``): the chosen model trained again on the training and validation rows.

The validation rows choose the architecture, the MLP's epoch and the trees' boosting rounds, and then never
train the model written: a tour's bank marketing rows (8,000 of 10,000 trained on), scikit-learn's
HistGradientBoosting reached test average precision 0.660 on the 80% and 0.681 on every row. AutoGluon's
``refit_full`` trains each chosen model again on all its rows with the epochs or iterations it validated;
fastai users fit again on ``valid_pct=0`` with the epochs they chose. :class:`RefitPlan` does it after the choice:
the MLP for the kept epoch's count at the same peak learning rate, the trees for their rounds without early
stopping, both on the same encoded rows (the preprocessing fitted on the training rows, as validated). The model
validated stays the run's ``learn`` (the validation figures are its own); the refit one is written and scored on
the test rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.core.warn import warn
from trainwell.data.loader import TensorLoader

if TYPE_CHECKING:
    from trainwell.data.bundle import DataBundle
    from trainwell.learner.learner import Learner

#: Attributes of the validated learner that say how its answers are decided (multi-label thresholds, a binary
#: decision threshold) and what ``arch="auto"`` compared, carried to the refit model with its task and metrics.
DECISION_ATTRIBUTES = ("decision_threshold", "thresholds_chosen_on", "threshold_figures", "compared")


#: Whether the caller of ``fit_table`` says the refit's line itself (:func:`refit_said_by_caller`).
_CALLER_SAYS = ContextVar("trainwell_refit_said_by_caller", default=False)


@contextlib.contextmanager
def refit_said_by_caller() -> Iterator[None]:
    """Inside, ``fit_table(refit_full=True, progress=True)`` does not say the refit's line on standard error: the
    caller says it where it shows the validation figures (``trainwell fit``, under its table)."""
    token = _CALLER_SAYS.set(True)
    try:
        yield
    finally:
        _CALLER_SAYS.reset(token)


def caller_says_refit() -> bool:
    """Whether the call runs inside :func:`refit_said_by_caller`."""
    return _CALLER_SAYS.get()


@dataclass
class Refit:
    """What ``refit_full`` trained: the model written (``learn``), the rows it trained on and the validated
    model's, and its epochs (the MLP) or boosting rounds (trees)."""

    learn: Learner
    rows: int
    validated_rows: int
    epochs: int | None = None
    rounds: int | None = None

    def line(self) -> str:
        """The one line a fit says of it, under the validation figures."""
        count = (
            f"{self.epochs} epoch{'' if self.epochs == 1 else 's'}"
            if self.epochs is not None
            else f"{self.rounds} boosting round{'' if self.rounds == 1 else 's'}"
        )
        tested = (
            "; the test figures are the refit model's" if getattr(self.learn, "test_scores", None) else ""
        )
        return (
            f"refit on all {self.rows:,} rows with {count}; its validation figures above are from the model "
            f"trained on {self.validated_rows:,} rows{tested}"
        )

    def record(self, validated: Learner) -> dict[str, Any]:
        """What the model directory keeps of the refit: its rows and count, and the validated model's rows and
        final validation row (the figures its ``history`` has none of)."""
        count = {"epochs": self.epochs} if self.epochs is not None else {"boosting_rounds": self.rounds}
        return {
            "rows": self.rows,
            **count,
            "validated_rows": self.validated_rows,
            "validated": dict(validated.final_row),
        }

    def hand_back_test_scores(self, validated: Learner) -> None:
        """The refit model's test scores, on the validated learner too: the run's results say them."""
        scores = getattr(self.learn, "test_scores", None)
        if scores:
            validated.test_scores = scores  # type: ignore[attr-defined]


class RefitPlan:
    """Whether to refit (``asked``), and how: :meth:`refit` after the architecture is chosen."""

    def __init__(self, asked: bool, seed: int) -> None:
        if not isinstance(asked, bool):
            raise ConfigError(f"refit_full must be True or False, got {asked!r}")
        self.asked = asked
        self.seed = seed
        #: The learners' keywords (``learner_kwargs``, with ``class_weight``): the refit model is built as they were.
        self.learner_kwargs: dict[str, Any] = {}

    def check(self) -> None:
        """Refuse what refitting cannot do, before anything trains: under torchrun each process would refit."""
        from trainwell.distributed.spread import trains_together

        if self.asked and trains_together():
            raise ConfigError.worded(
                lambda say: (
                    f"{say('refit_full', True)} trains the chosen model again in one process; under "
                    f"torchrun fit without {say('refit_full')}, or fit again without torchrun"
                )
            )

    def refit(self, learn: Learner, lr: float | None, budget: Any = None) -> Refit | None:
        """The chosen model trained again on every row of ``learn.data``; ``None`` when not asked, or with no
        validation rows to add (said in a warning). Its seconds are counted after ``budget``'s training (a
        :class:`~trainwell.callbacks.TimeBudget`: the command's closing line names them)."""
        if not self.asked:
            return None
        data = learn.data
        if data.valid is None:
            warn(
                "refit_full: there are no validation rows to add, so the model already trained on every row; "
                "nothing was refitted",
                UserWarning,
            )
            return None
        from trainwell.tabular.learner import tabular_learner

        started = monotonic()
        every_row = all_rows(data)
        kwargs = dict(self.learner_kwargs)
        seed_everything(self.seed)
        if getattr(learn.model, "closed_form", False):
            settings = dict(getattr(learn.model, "settings", {}))
            # The rounds kept (those chosen on the validation rows, or on an inner tenth without them), fixed
            rounds = int(settings.pop("n_iter", settings.get("max_iter", 100)))
            settings.pop("stopped_on", None)
            settings.update(early_stopping=False, max_iter=rounds)
            refitted = tabular_learner(
                every_row, arch="gbdt", metrics=learn.metrics, progress=False, gbdt_settings=settings,
                seed=self.seed, **kwargs,
            )  # fmt: skip
            refitted.fit(1)
            epochs = None
        else:
            # The epochs the kept weights trained: their row's epoch counts from 1.
            epochs = int(learn.final_row.get("epoch", len(learn.history)))
            refitted = tabular_learner(every_row, metrics=learn.metrics, progress=False, **kwargs)
            refitted.fit_one_cycle(epochs, lr)
            rounds = None
        _carry_decisions(learn, refitted)
        trained: Any = every_row.train
        validated: Any = data.train
        refit = Refit(refitted, len(trained.tensors[0]), len(validated.tensors[0]), epochs, rounds)
        refitted.refit_record = refit.record(learn)  # type: ignore[attr-defined]  # for trainwell.json
        if budget is not None:
            from trainwell.learner.one_step import count_after

            count_after(budget, "refitting on every row", started)
        return refit


def all_rows(data: DataBundle) -> DataBundle:
    """``data`` with its validation rows joined to its training rows (encoded as they were: the same recipe) and
    no validation rows; its test rows kept."""
    train: Any = data.train
    valid: Any = data.valid  # TensorLoaders, as tabular_data makes them
    tensors = [torch.cat([a, b]) for a, b in zip(train.tensors, valid.tensors, strict=True)]
    n_rows, batch_size = len(tensors[0]), int(train.batch_size)
    loader = TensorLoader(
        tensors,
        batch_size,
        shuffle=True,
        drop_last=n_rows > batch_size,
        seed=int(train.seed),
    )
    for kept in ("rows_sketch", "input_ranges", "class_shares", "header_names"):
        if hasattr(train, kept):
            setattr(loader, kept, getattr(train, kept))
    changes: dict[str, Any] = {"train": loader, "valid": None}
    indexed = getattr(data, "train_index", None)
    if indexed is not None:
        changes["train_index"] = np.concatenate([indexed, getattr(data, "valid_index", None)])
        changes["valid_index"] = np.zeros(0, dtype=np.asarray(indexed).dtype)
    return dataclasses.replace(data, **changes)  # type: ignore[type-var]


def _carry_decisions(validated: Learner, refitted: Learner) -> None:
    """The refit model decides as the validated one was set to: its task (thresholds), metrics, decision."""
    refitted.task = validated.task
    refitted.metrics = validated.metrics
    for name in DECISION_ATTRIBUTES:
        if hasattr(validated, name):
            setattr(refitted, name, getattr(validated, name))
