"""Callbacks of ``trainwell fit`` itself (imported when the fit starts, with torch): --patience's check that the
fit holds rows out, the hold on --out taken as training begins, and under --time the predictions of a validation
pass the budget cut short, kept for the results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


class NeedsValidation(Callback):
    """Refuse, in the command's words, a ``--patience`` fit without validation rows: the
    :class:`~trainwell.callbacks.EarlyStopping` and :class:`~trainwell.callbacks.SaveBest` it adds would each
    name their Python ``monitor=``."""

    order = -10  # before the trackers' own check
    runs_in_lr_find = False

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def before_fit(self, learn: Learner) -> None:
        if learn.data.valid is None:
            raise ConfigError(
                f"--patience {self.patience} stops on the validation loss, and this fit holds no rows out "
                "(--valid-pct 0): hold some out (e.g. --valid-pct 0.2) or drop --patience"
            )


class HoldOutDir(Callback):
    """Hold ``--out`` for this process from the start of training (:func:`trainwell.core.out_lock.hold_out_dir`):
    the options and the data are checked by then, so a fit refused for them never waits on nor blocks another,
    and the first checkpoint is written after it."""

    order = -20
    runs_in_lr_find = False

    def __init__(self, out: Path) -> None:
        self.out = out

    def before_fit(self, learn: Learner) -> None:
        from trainwell.core.out_lock import hold_out_dir

        hold_out_dir(self.out)
