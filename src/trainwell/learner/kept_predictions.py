"""The validation set's predictions of a fit's last validation pass, kept so that the report after the fit need
not score the validation set again.

Every epoch ends with a pass over the validation rows; the table of results a fit prints (each metric with a
bootstrap interval) needs those rows' predictions, and read them with :meth:`~trainwell.learner.Learner.get_preds`,
a second pass over the same rows with the same weights: on MNIST's 12,000 validation images on a CPU, 15 s of a
30 s ``fit --time``. :class:`KeepValidationPredictions` keeps the predictions the last pass made, and
:func:`validation_predictions` hands them out while the model's weights are still those that made them, else
scores the rows again (weights loaded back by ``--patience``'s best epoch, an average swapped in, another fit).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


@dataclass(frozen=True)
class KeptPredictions:
    """One whole validation pass: its activated predictions and targets (on the CPU, in the loader's order), the
    loader it read, and the model's weights it was made with (:func:`weights_state`)."""

    predictions: torch.Tensor
    targets: torch.Tensor
    loader: Any
    weights: tuple[tuple[int, int, int], ...]


def weights_state(model: torch.nn.Module) -> tuple[tuple[int, int, int], ...] | None:
    """Which tensors the model's parameters and buffers are and how often each was changed in place (an
    optimizer's step, ``load_state_dict``, a batch norm's running statistics all count): equal only while
    the model computes what it computed then. ``None`` when a tensor keeps no count (made under
    ``torch.inference_mode``): no change can be seen, so nothing is reused."""
    state = []
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        if tensor.is_inference():
            return None
        state.append((id(tensor), tensor.data_ptr(), int(tensor._version)))
    return tuple(state)


def _in_order(loader: Any) -> bool:
    """Whether ``loader`` gives every validation row in its natural order, as :meth:`Learner.get_preds` reads it:
    not shuffled, and not one process's share of a distributed job's rows."""
    return not getattr(loader, "shuffle", False) and getattr(loader, "world_size", 1) <= 1


def _row_count(loader: Any) -> int | None:
    """How many rows ``loader`` holds, when it can say."""
    if hasattr(loader, "n_rows"):
        return int(loader.n_rows)
    dataset = getattr(loader, "dataset", None)
    try:
        return len(dataset) if dataset is not None else None  # type: ignore[arg-type]
    except TypeError:
        return None


class KeepValidationPredictions(Callback):
    """Keeps each validation pass's predictions as ``learn.kept_predictions`` (:class:`KeptPredictions`), the
    last whole pass's: read them with :func:`validation_predictions`.

    The predictions are made as :meth:`~trainwell.learner.Learner.get_preds` makes them (the outputs as floats,
    activated by the task) from the outputs the pass computed for its loss and metrics, and gathered on the
    device, moved to the CPU once the pass ends. A pass cut short, shuffled or over one process's share of the
    rows keeps nothing.

    ``activate_after_fit``: keep each batch's raw outputs and inputs instead, and activate the last whole pass's
    once, as the fit ends: for an activation that costs a pass's worth of work (a tagger's best tag paths,
    decoded for the metrics already), done once rather than again at every epoch's pass. The inputs are held
    until then, so only where they are small (token ids, not images).
    """

    order = 30  # after the Recorder: it reads the same outputs
    runs_in_lr_find = False  # the sweep's weights are undone: its passes describe no model

    def __init__(self, *, activate_after_fit: bool = False) -> None:
        self.activate_after_fit = activate_after_fit
        # Activated predictions, or with activate_after_fit each batch's (outputs, inputs).
        self._predictions: list[Any] = []
        # activate_after_fit: the last whole pass's batches, targets, loader and weights, activated in after_fit.
        self._last_pass: (
            tuple[list[Any], list[torch.Tensor], Any, tuple[tuple[int, int, int], ...]] | None
        ) = None
        self._targets: list[torch.Tensor] = []
        self._rows = 0
        # The weights the pass's batches were scored with, read at each batch: a callback that swaps weights
        # when the pass ends (an average's, the best epoch's) may run before this one does.
        self._weights: tuple[tuple[int, int, int], ...] | None = None
        self._same_weights = True

    def before_fit(self, learn: Learner) -> None:
        self._last_pass = None

    def before_validate(self, learn: Learner) -> None:
        self._predictions, self._targets, self._rows = [], [], 0
        self._weights, self._same_weights = None, True

    def after_loss(self, learn: Learner) -> None:
        if learn.training:
            return
        weights = weights_state(learn.model)
        if not self._predictions:
            self._weights = weights
        self._same_weights = self._same_weights and weights is not None and weights == self._weights
        output = learn.pred.float() if isinstance(learn.pred, torch.Tensor) else learn.pred
        if self.activate_after_fit:
            self._predictions.append((output.detach(), tuple(part.detach() for part in learn.xb)))
        else:
            self._predictions.append(learn.activate(output, learn.xb).detach())
        self._targets.append(learn.yb.detach())
        self._rows += len(learn.yb)

    def after_validate(self, learn: Learner) -> None:
        from trainwell.learner._evaluate import _cat

        loader = learn.data.valid
        whole = self._rows > 0 and self._rows == _row_count(loader)
        kept = whole and self._same_weights and self._weights is not None and _in_order(loader)
        if kept and self.activate_after_fit:
            assert self._weights is not None
            self._last_pass = (self._predictions, self._targets, loader, self._weights)
        elif kept:
            assert self._weights is not None
            learn.kept_predictions = KeptPredictions(  # type: ignore[attr-defined]
                _cat([part.cpu() for part in self._predictions]),
                _cat([part.cpu() for part in self._targets]),
                loader,
                self._weights,
            )
        elif self.activate_after_fit:
            self._last_pass = None  # a later pass than the last whole one, cut short: of other weights
        self._predictions, self._targets = [], []

    def after_fit(self, learn: Learner) -> None:
        if self._last_pass is None:
            return
        from trainwell.learner._evaluate import _cat

        batches, targets, loader, weights = self._last_pass
        self._last_pass = None
        if weights_state(learn.model) != weights:
            return  # weights swapped since the pass (the best epoch's, an average): they would activate otherwise
        with torch.no_grad():
            predictions = [learn.activate(output, inputs).cpu() for output, inputs in batches]
        learn.kept_predictions = KeptPredictions(  # type: ignore[attr-defined]
            _cat(predictions), _cat([part.cpu() for part in targets]), loader, weights
        )


def kept_validation_predictions(learn: Learner) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The predictions and targets :class:`KeepValidationPredictions` kept of the validation set, while the model's
    weights and the validation set are still those they were made with; ``None`` otherwise."""
    kept: KeptPredictions | None = getattr(learn, "kept_predictions", None)
    if kept is None or kept.loader is not learn.data.valid or not _in_order(kept.loader):
        return None
    if weights_state(learn.model) != kept.weights:
        return None
    return kept.predictions, kept.targets


def validation_predictions(learn: Learner) -> tuple[torch.Tensor, torch.Tensor]:
    """The validation set's activated predictions and targets, as ``learn.get_preds()`` gives them: those the
    fit's last validation pass kept when the weights are still the same (:func:`kept_validation_predictions`),
    else a pass over the rows now."""
    kept = kept_validation_predictions(learn)
    if kept is not None:
        return kept
    predictions, targets = learn.get_preds()
    assert targets is not None  # the validation set holds its targets
    return predictions, targets


class KeepCappedValidation(Callback):
    """Under a time budget: keep the predictions of the fit's last validation pass when the budget cut it to its
    first batches (:attr:`~trainwell.callbacks.TimeBudget.valid_batches`), as ``learn.kept_predictions``, so that
    the results after the fit (each metric's interval, a tagger's entities by type, the label thresholds) are
    those of the rows the scores in the history were taken on, not a pass over the whole validation set after
    the budget: on CoNLL-2003 that pass took 2m 18s past a ``--time`` of 1m. :attr:`scored` is then ``(rows
    read, rows in all)``, for the line saying so (:func:`say_capped_scoring`).

    It keeps what :class:`KeepValidationPredictions` keeps of a whole pass, in the same form, and only where that
    callback is in the fit (so the pipeline reads its predictions): activated as each batch ends, or, where it
    activates once after the fit (a tagger's best tag paths), the raw outputs with their inputs, activated then.
    Nothing is kept of a whole pass (that callback keeps it), of a shuffled loader or of weights changed during
    the pass; weights changed after it (the best epoch's, loaded back) make the results score the rows again.
    ``trainwell fit --time`` and the one-call pipelines' ``time_budget=`` (:func:`keep_capped_validation`) both
    add it."""

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

        parts, targets, loader, weights, rows, total = self._last
        self._last = None
        if weights_state(learn.model) != weights:
            return  # weights swapped since the pass (the best epoch's): the results score the rows again
        if self._keeper.activate_after_fit:
            with torch.no_grad():
                parts = [learn.activate(output, inputs).cpu() for output, inputs in parts]
        learn.kept_predictions = KeptPredictions(_cat(parts), _cat(targets), loader, weights)  # type: ignore[attr-defined]
        self.scored = (rows, total)


def keep_capped_validation(
    time_budget: object, budget: object, callbacks: Sequence[Callback]
) -> KeepCappedValidation | None:
    """The :class:`KeepCappedValidation` a one-call pipeline adds to its fit beside its
    :class:`KeepValidationPredictions`, so that what it scores after the fit (the label thresholds, and
    :func:`validation_predictions` for the caller's results) reads the rows the capped passes read instead of
    scoring the whole validation set past the budget; ``None`` when:

    - there is no budget, or only the one an enclosing :func:`~trainwell.callbacks.budget.budget_each_call`
      gave (``time_budget`` is ``None``): a fold of an evaluation is scored on all its held-out rows;
    - ``callbacks`` hold one already (``trainwell fit --time``'s, which says the line itself)."""
    if budget is None or time_budget is None:
        return None
    if any(type(callback).__name__ == "KeepCappedValidation" for callback in callbacks):
        return None
    return KeepCappedValidation()


def say_capped_scoring(capped: KeepCappedValidation | None, unit: str) -> None:
    """Warn, in one line, that the results after a budgeted fit are scored on the validation ``unit`` (``"texts"``,
    ``"images"``...) the capped passes read, when ``capped`` kept such a pass."""
    if capped is None or capped.scored is None:
        return
    from trainwell.core.warn import warn

    read, total = capped.scored
    warn(
        f"validation results: scored on the first {read:,} of the {total:,} validation {unit}, those each "
        "pass read within time_budget (give more time to score them all)"
    )


@dataclass(frozen=True)
class PassPredictions:
    """What the validation pass just made kept of its rows, with the weights the model holds at the epoch's end,
    for a callback that loads those weights back after the fit (the best epoch's) to keep its predictions too
    (:func:`keep_for_restored_weights`) instead of the results scoring the validation rows again."""

    parts: list[Any]
    targets: list[torch.Tensor]
    loader: Any
    #: ``(rows read, rows in all)`` when the budget cut the pass to its first batches; ``None`` for a whole pass.
    scored: tuple[int, int] | None


def this_pass_predictions(learn: Learner) -> PassPredictions | None:
    """The predictions the epoch's validation pass kept (:class:`KeepValidationPredictions`'s whole pass, or
    :class:`KeepCappedValidation`'s pass cut by the budget), when they were made with exactly the weights the model
    holds now; ``None`` otherwise (no pass kept, other weights, or a keeper that activates only after the fit)."""
    weights = weights_state(learn.model)
    if weights is None:
        return None
    active = getattr(learn, "_active", learn.callbacks)
    for callback in active:
        last = getattr(callback, "_last", None) if isinstance(callback, KeepCappedValidation) else None
        if last is None or callback._keeper is None or callback._keeper.activate_after_fit:
            continue
        parts, targets, loader, made_with, rows, total = last
        if made_with == weights and loader is learn.data.valid:
            return PassPredictions(parts, targets, loader, (rows, total))
    kept: KeptPredictions | None = getattr(learn, "kept_predictions", None)
    if kept is not None and kept.weights == weights and kept.loader is learn.data.valid:
        return PassPredictions([kept.predictions], [kept.targets], kept.loader, None)
    return None


def keep_for_restored_weights(learn: Learner, held: PassPredictions) -> None:
    """Keep ``held`` (:func:`this_pass_predictions`, taken when the weights were copied) as the validation
    predictions of the weights just loaded back into the model: they are the same weights, so the same outputs,
    and the results after the fit read them instead of a pass over the validation rows again. A budget's capped
    pass says its rows (:attr:`KeepCappedValidation.scored`) as that epoch's, a whole pass says none."""
    weights = weights_state(learn.model)
    if weights is None:
        return
    from trainwell.learner._evaluate import _cat

    learn.kept_predictions = KeptPredictions(  # type: ignore[attr-defined]
        _cat(held.parts), _cat(held.targets), held.loader, weights
    )
    for callback in getattr(learn, "_active", learn.callbacks):
        if isinstance(callback, KeepCappedValidation):
            callback.scored = held.scored
