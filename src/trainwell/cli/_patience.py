"""fit --patience's check that the fit holds rows out (imported when the fit starts, with torch)."""

from __future__ import annotations

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
