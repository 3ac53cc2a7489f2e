"""Callbacks of ``trainwell fit`` itself (imported when the fit starts, with torch): --patience's check that the
fit holds rows out, the hold on --out taken as training begins, and under --time the predictions of a validation
pass the budget cut short, kept for the results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

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


class KeepCappedValidation(Callback):
    """Under ``fit --time``: keep the predictions of the fit's last validation pass when the budget cut it to its
    first batches (:attr:`~trainwell.callbacks.TimeBudget.valid_batches`), as ``learn.kept_predictions``, so that
    the results after the fit (each metric's interval, a tagger's entities by type, the label thresholds) are
    those of the rows the scores in the history were taken on, not a pass over the whole validation set after
    the budget: on CoNLL-2003 that pass took 2m 18s past a ``--time`` of 1m. :attr:`scored` is then ``(rows
    read, rows in all)``, for the line saying so.

    It keeps what :class:`~trainwell.learner.kept_predictions.KeepValidationPredictions` keeps of a whole pass, in
    the same form, and only where that callback is in the fit (so the pipeline reads its predictions): activated
    as each batch ends, or, where it activates once after the fit (a tagger's best tag paths), the raw outputs
    with their inputs, activated then. Nothing is kept of a whole pass (that callback keeps it), of a shuffled
    loader or of weights changed during the pass; weights changed after it (``--patience``'s best epoch) make
    the results score the rows again, as before."""

    order = 31  # after KeepValidationPredictions (30), which keeps nothing of a pass cut short
    runs_in_lr_find = False  # the sweep's weights are undone: its passes describe no model

    def __init__(self) -> None:
        #: ``(rows read, rows in all)`` of the pass whose predictions the results read; ``None`` when none was cut.
        self.scored: tuple[int, int] | None = None
        self._keeper: Any = None
        self._parts: list[Any] = []
        self._targets: list[torch.Tensor] = []
        self._rows = 0
        self._weights: Any = None
        self._same = True
        self._last: tuple[list[Any], list[torch.Tensor], Any, Any, int, int] | None = None
        self._budget: Any = None
        self._whole_seen = (
            False  # a whole pass was read: the next ones are kept only once the budget cuts them
        )
        self._keeping = False  # this pass's predictions are being kept

    def before_fit(self, learn: Learner) -> None:
        from trainwell.callbacks.budget import find_budget
        from trainwell.learner.kept_predictions import KeepValidationPredictions

        active = getattr(learn, "_active", learn.callbacks)
        self._keeper = next((cb for cb in active if isinstance(cb, KeepValidationPredictions)), None)
        self._budget = find_budget(active)
        self._last, self.scored, self._whole_seen = None, None, False

    def before_validate(self, learn: Learner) -> None:
        self._parts, self._targets, self._rows, self._weights, self._same = [], [], 0, None, True
        # A pass the budget cuts, or may cut as it runs (until one is read whole, every pass may be).
        cut = self._budget is not None and (self._budget.valid_batches is not None or not self._whole_seen)
        self._keeping = self._keeper is not None and cut

    def after_loss(self, learn: Learner) -> None:
        if learn.training or not self._keeping:
            return
        from trainwell.learner.kept_predictions import weights_state

        weights = weights_state(learn.model)
        if not self._parts:
            self._weights = weights
        self._same = self._same and weights is not None and weights == self._weights
        output = learn.pred.float() if isinstance(learn.pred, torch.Tensor) else learn.pred
        if self._keeper.activate_after_fit:  # token ids: small; the decoding is done once, after the fit
            self._parts.append((output.detach(), tuple(part.detach() for part in learn.xb)))
        else:
            self._parts.append(learn.activate(output, learn.xb).detach().cpu())
        self._targets.append(learn.yb.detach().cpu())
        self._rows += len(learn.yb)

    def after_validate(self, learn: Learner) -> None:
        if not self._keeping:
            return
        from trainwell.learner.kept_predictions import _in_order, _row_count

        loader = learn.data.valid
        total = _row_count(loader)
        cut = total is not None and 0 < self._rows < total
        self._whole_seen = self._whole_seen or (total is not None and self._rows >= total)
        if cut and _in_order(loader) and self._same and self._weights is not None:
            assert total is not None
            self._last = (self._parts, self._targets, loader, self._weights, self._rows, total)
        else:
            self._last = None  # a whole pass (kept by KeepValidationPredictions), or one that cannot be kept
        self._parts, self._targets = [], []

    def after_fit(self, learn: Learner) -> None:
        if self._last is None or self._keeper is None:
            return
        from trainwell.learner._evaluate import _cat
        from trainwell.learner.kept_predictions import KeptPredictions, weights_state

        parts, targets, loader, weights, rows, total = self._last
        self._last = None
        if weights_state(learn.model) != weights:
            return  # weights swapped since the pass (the best epoch's): the results score the rows again
        if self._keeper.activate_after_fit:
            with torch.no_grad():
                parts = [learn.activate(output, inputs).cpu() for output, inputs in parts]
        learn.kept_predictions = KeptPredictions(_cat(parts), _cat(targets), loader, weights)  # type: ignore[attr-defined]
        self.scored = (rows, total)
