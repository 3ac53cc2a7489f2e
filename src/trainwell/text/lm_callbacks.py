"""The callbacks a language model trains with: hidden-state resets, AR/TAR, exact perplexity.

:func:`~trainwell.text.lm_learner.language_model_learner` switches them on; see that module for the recipe.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback, CancelValidate
from trainwell.metrics.label_baselines import (  # one class for every task's trivial baseline
    BaselineNotBeaten,
    train_longer_warning,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from trainwell.learner.learner import Learner

__all__ = [
    "ActivationRegularization",
    "BaselineNotBeaten",
    "BudgetedValidation",
    "HiddenStateReset",
    "NgramBaseline",
    "Perplexity",
    "activation_penalty",
    "baseline_warning",
]


class HiddenStateReset(Callback):
    """Clear the model's carried hidden state before every training and validation pass.

    The carried state is part of a checkpoint (:meth:`checkpoint_state`): a fit resumed in the middle of an epoch
    continues the stream from the state the interrupted run had, so it ends exactly like an uninterrupted one.
    """

    order = -18
    per_process_state = True  # in a distributed fit each process carries the state of its own rows

    def __init__(self) -> None:
        self._encoder: nn.Module | None = None
        self._resumed: list[tuple[torch.Tensor, torch.Tensor]] | None = None

    def _reset(self, learn: Learner) -> None:
        reset = getattr(learn.model, "reset", None)
        if callable(reset):
            reset()

    def before_fit(self, learn: Learner) -> None:
        self._encoder = getattr(learn.model, "encoder", None)

    def before_train(self, learn: Learner) -> None:
        resumed, self._resumed = self._resumed, None
        if resumed is not None and learn._start_batch > 0 and self._encoder is not None:
            device = next(learn.model.parameters()).device
            self._encoder.hidden = [(h.to(device), c.to(device)) for h, c in resumed]  # type: ignore[assignment]
            return
        self._reset(learn)

    def checkpoint_state(self) -> dict[str, Any] | None:
        hidden = getattr(self._encoder, "hidden", None)
        if not hidden:
            return None
        return {"hidden": [(h.detach().cpu(), c.detach().cpu()) for h, c in hidden]}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self._resumed = [(h, c) for h, c in state["hidden"]]

    def before_validate(self, learn: Learner) -> None:
        self._reset(learn)

    def after_fit(self, learn: Learner) -> None:
        self._reset(learn)


def activation_penalty(
    raw_output: torch.Tensor, dropped_output: torch.Tensor, alpha: float, beta: float
) -> torch.Tensor:
    """AR + TAR on one layer's outputs ``(B, T, C)``: ``α · mean(dropped²) + β · mean((raw_t - raw_{t-1})²)``."""
    penalty = alpha * dropped_output.float().pow(2).mean()
    if beta and raw_output.size(1) > 1:
        penalty = penalty + beta * (raw_output[:, 1:] - raw_output[:, :-1]).float().pow(2).mean()
    return penalty


class ActivationRegularization(Callback):
    """AR and TAR (Merity et al. 2017) added to ``learn.loss_grad`` in training; the reported loss is untouched.

    Reads ``learn.model.last_raw_output`` and ``last_dropped_output`` (the last LSTM layer's outputs).
    """

    order = 5

    def __init__(self, alpha: float = 2.0, beta: float = 1.0) -> None:
        if alpha < 0 or beta < 0:
            raise ConfigError(f"alpha and beta must be >= 0; got alpha={alpha}, beta={beta}")
        self.alpha, self.beta = float(alpha), float(beta)

    def after_loss(self, learn: Learner) -> None:
        if not learn.training or (self.alpha == 0 and self.beta == 0):
            return
        raw = getattr(learn.model, "last_raw_output", None)
        dropped = getattr(learn.model, "last_dropped_output", None)
        if raw is None or dropped is None:
            raise ConfigError(
                f"{type(learn.model).__name__} does not expose last_raw_output / last_dropped_output; AR/TAR "
                "needs an AWD-LSTM language model (or pass alpha=0, beta=0)"
            )
        learn.loss_grad = learn.loss_grad + activation_penalty(raw, dropped, self.alpha, self.beta)


class Perplexity(Callback):
    """Exact validation loss per token and ``perplexity = exp(loss)`` in the history row of each epoch.

    The Recorder weights batches by rows; language-model windows differ in length (the last one is short),
    so this callback weights by tokens and overwrites ``valid_loss`` with the exact value. The figure is
    ``learn.validate()``'s: the validation stream read in ``batch_size`` rows, each from a zeroed state (a little
    above the cache pointer's one-row reading: see
    :meth:`~trainwell.text.lm_learner.LanguageModelLearner.validate`).

    Args:
        from_loss: the learner's loss is the mean cross-entropy per token in validation (the default loss of
            :func:`~trainwell.text.lm_learner.language_model_learner`), so it is read as is; otherwise (a loss of
            your own) the cross-entropy is computed from the predictions, and ``valid_loss`` is that too.
    """

    order = -19  # after the Recorder wrote the row, before the progress bar and loggers read it

    def __init__(self, from_loss: bool = True) -> None:
        self.from_loss = from_loss
        self._sum: torch.Tensor | float = 0.0
        self._tokens = 0

    def before_validate(self, learn: Learner) -> None:
        self._sum, self._tokens = 0.0, 0

    def after_loss(self, learn: Learner) -> None:
        if learn.training:
            return
        if self.from_loss:
            loss = learn.loss.detach()
        else:
            logits = learn.pred.detach()
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), learn.yb.reshape(-1))
        self._sum = self._sum + loss.double() * learn.yb.numel()
        self._tokens += learn.yb.numel()

    def combine(self, phase: str, add_up: Callable[[torch.Tensor], torch.Tensor]) -> None:
        if phase == "valid":
            totals = add_up(torch.tensor([float(self._sum), float(self._tokens)], dtype=torch.float64))
            self._sum, self._tokens = float(totals[0]), int(totals[1])

    def after_epoch(self, learn: Learner) -> None:
        if not self._tokens or not learn.history:
            return
        loss = float(self._sum) / self._tokens
        learn.history[-1]["valid_loss"] = loss
        learn.history[-1]["perplexity"] = math.exp(min(loss, 700.0))
        self._sum, self._tokens = 0.0, 0


def baseline_warning(row: dict[str, Any], *, budgeted: bool, unit: str = "word") -> BaselineNotBeaten | None:
    """The warning a fit whose last validation ``row`` has a ``perplexity`` not below its ``perplexity_baseline``
    gives, worded for Python and for the command line (``budgeted``: the fit had a time budget, so the fix is a
    longer one); ``None`` when the model beats the trigram or the row has no baseline. Every language-model fit
    warns with it, from :class:`NgramBaseline`, in Python as on the command line.

    Example:
        >>> warning = baseline_warning({"perplexity": 457.6, "perplexity_baseline": 81.6}, budgeted=False)
        >>> str(warning)[:75]
        "the model's perplexity 457.6 is not below the Kneser-Ney trigram's 81.6: it"
        >>> baseline_warning({"perplexity": 60.2, "perplexity_baseline": 81.6}, budgeted=False) is None
        True
    """
    perplexity, baseline = row.get("perplexity"), row.get("perplexity_baseline")
    if not isinstance(perplexity, float) or not isinstance(baseline, float) or perplexity < baseline:
        return None

    def words(longer: str) -> str:
        return (
            f"the model's perplexity {perplexity:.1f} is not below the Kneser-Ney trigram's {baseline:.1f}: it "
            f"has not yet learned more than {unit} counts; train longer ({longer}) or on more text"
        )

    return train_longer_warning(words, budgeted)


class NgramBaseline(Callback):
    """Adds ``perplexity_baseline`` to each epoch's row: the validation perplexity of an interpolated Kneser-Ney
    trigram (:class:`~trainwell.text.ngram.KneserNey`) counted on the same training tokens, over the same
    validation tokens. A neural language model that does not beat it has not earned its training: at the end of a
    fit that ends not below it, a :class:`BaselineNotBeaten` warning says so (:func:`baseline_warning`), from
    Python as from the command line (``lm.fit_one_cycle(1, 3e-3)`` showed 457.6 against 81.6 in its columns only).

    Counted once per learner (seconds for a million tokens); the same in every process of a distributed fit.

    Attributes:
        value: The baseline's perplexity, or ``None`` before the first fit (or without validation text).
    """

    order = (
        -18
    )  # after Perplexity (-19) wrote the row's perplexity, before the progress bar and loggers read it

    def __init__(self, order: int = 3) -> None:
        self.ngram_order = order
        self.value: float | None = None
        self._log_probs: Any = None
        self._layout = (0, 0)

    def before_fit(self, learn: Learner) -> None:
        from trainwell.text.lm_stream import LMStreamLoader
        from trainwell.text.ngram import KneserNey

        train, valid = learn.data.train, learn.data.valid
        if (
            self.value is not None
            or not isinstance(valid, LMStreamLoader)
            or not isinstance(train, LMStreamLoader)
        ):
            return
        vocab_size = int(learn.data.model_hints["vocab_size"])
        model = KneserNey.fit(train.ids.cpu().numpy(), vocab_size, self.ngram_order)
        self._log_probs = model.log_probs(valid.ids.cpu().numpy())
        self._layout = (valid.batch_size * valid.world_size, valid.row_length)
        self.value = math.exp(-float(self._log_probs.mean()))

    def after_epoch(self, learn: Learner) -> None:
        if self.value is not None and learn.history and "perplexity" in learn.history[-1]:
            learn.history[-1]["perplexity_baseline"] = self.value

    def after_fit(self, learn: Learner) -> None:
        from trainwell.callbacks.budget import find_budget
        from trainwell.core.device import is_rank_zero
        from trainwell.core.warn import warn

        active = getattr(learn, "_active", ())
        if self.value is None or not learn.history or not is_rank_zero():
            return
        if any(type(callback).__name__ == "LRFinder" for callback in active):  # a sweep's rows judge no model
            return
        recipe = getattr(learn.data, "recipe", None)  # a character model counts characters, not words
        from trainwell.text.lm_recipe import predicted_unit

        unit = predicted_unit(getattr(recipe, "tokenizer_name", None))
        warning = baseline_warning(learn.history[-1], budgeted=find_budget(active) is not None, unit=unit)
        if warning is not None:
            warn(warning)

    def perplexity_over(self, columns: int) -> float | None:
        """The baseline's perplexity over the first ``columns`` tokens of every row the validation stream is read
        in (a pass cut short: :class:`BudgetedValidation`); ``None`` before it was counted."""
        if self._log_probs is None:
            return None
        rows, length = self._layout
        read = self._log_probs[: rows * length].reshape(rows, length)[:, :columns]
        return math.exp(-float(read.mean()))


#: Under a time budget, the most of it one validation pass of a language model may take. PTB's 73,760 validation
#: tokens took 2m 8s to read on a loaded 2-core machine, more than twice a 1m budget, which then trained 3 batches.
VALID_SHARE = 0.2


class BudgetedValidation(Callback):
    """Under a :class:`~trainwell.callbacks.TimeBudget`, read no more of the validation text in one pass than
    :data:`VALID_SHARE` of the budget allows, and the same windows in every pass: the first pass decides, for every
    later pass under that budget (the fits sharing it, and a fit resumed from a checkpoint). A first pass that
    would go past the share stops before the window that would take it there, and every later pass reads that
    many windows (the first tokens of every row the stream is read in); a first pass read whole is read whole
    again (the budget then plans with its measured time), never cut by a later pass's share on a slower machine:
    the epochs' perplexities are scored on the same tokens, as every other model's epochs are on the same
    validation rows under ``--time``. The row then says how much was read, ``valid_tokens`` of
    ``valid_tokens_total``, and its ``perplexity_baseline`` is the trigram's over the same tokens.

    Before the first pass, the budget's plan keeps the time one validation window takes (timed on the first,
    once, as the fit begins) times the windows a pass will read, up to the share: a guess from training batches
    (a third of one each) was 7 times too short for PTB, whose validation reads the full softmax where training
    samples 1,024 words, and ``--time 60`` overran by 3 s, leaving nothing for the cache's tuning. Without a
    budget, or in a distributed fit, nothing changes.
    """

    order = 0  # after the writers of the row it amends (NgramBaseline, -18), before the progress bar reads it

    def __init__(self) -> None:
        self._budget: Any = None
        self._decided_for: Any = None  # the budget whose first pass decided the windows, kept across its fits
        #: ``(windows, total)``: every pass over a validation stream of ``total`` windows reads the first
        #: ``windows`` (``windows == total``: whole), fixed by the first pass; ``None`` until it ended.
        self._windows: tuple[int, int] | None = None
        self._read = self._columns = self._tokens = 0
        self._start = 0.0

    def before_fit(self, learn: Learner) -> None:
        from trainwell.callbacks.budget import cpu_group, find_budget
        from trainwell.text.lm_stream import LMStreamLoader

        self._budget = None
        active = getattr(learn, "_active", ())
        if any(type(callback).__name__ == "LRFinder" for callback in active) or cpu_group() is not False:
            return
        if isinstance(learn.data.valid, LMStreamLoader):
            self._budget = find_budget(active)
        if self._budget is None:
            return
        if self._budget is not self._decided_for:  # another budget: its own first pass decides
            self._decided_for, self._windows = self._budget, None
        total = len(learn.data.valid)  # type: ignore[arg-type]
        fixed = self._windows[0] if self._windows is not None and self._windows[1] == total else None
        window = self._window_seconds(learn)
        # The plan keeps time for what this fit's passes will read: the share at most, or the windows fixed.
        expected = window * (fixed or total) if window > 0 else None
        share = VALID_SHARE * self._budget.seconds
        most = share if fixed is None else max(share, expected or 0.0)  # passes fixed whole: the whole pass
        self._budget.bound_validation(most, expected=expected if expected is None else max(expected, 1e-3))

    def _window_seconds(self, learn: Learner) -> float:
        """The budget's seconds one validation window takes: the first, read once as a pass reads it (the model in
        evaluation mode, from a zeroed state, its loss computed); 0 when the stream has none. The model's state and
        mode are as they were after it."""
        loader: Any = learn._on_device(learn.data.valid)  # type: ignore[arg-type]
        batch = next(iter(loader), None)
        if batch is None:
            return 0.0
        *inputs, target = batch
        model = learn.model
        was_training = model.training
        reset = getattr(model, "reset", None)
        started = self._budget.clock()
        try:
            with torch.no_grad(), learn.forward_context():
                model.eval()
                if callable(reset):
                    reset()
                learn.compute_loss(model(*inputs), target)
        finally:
            model.train(was_training)
            if callable(reset):
                reset()
        return float(self._budget.clock() - started)

    def before_validate(self, learn: Learner) -> None:
        self._read = self._columns = self._tokens = 0
        if self._budget is not None:
            self._start = self._budget.clock()

    def before_batch(self, learn: Learner) -> None:
        """Before a validation window: stop the pass when the windows every pass reads are read, or, in the
        first pass, when this window at the pass's pace so far would take it past the share."""
        if learn.training or self._budget is None:
            return
        total = len(learn.data.valid)  # type: ignore[arg-type]
        if self._windows is not None and self._windows[1] == total:
            if self._read >= self._windows[0]:
                raise CancelValidate
            return
        if self._read:
            spent = self._budget.clock() - self._start
            if spent + spent / self._read > VALID_SHARE * self._budget.seconds:
                self._windows = (self._read, total)
                raise CancelValidate

    def after_batch(self, learn: Learner) -> None:
        if learn.training or self._budget is None:
            return
        self._read += 1
        self._columns += int(learn.yb.shape[1])
        self._tokens += int(learn.yb.numel())

    def after_validate(self, learn: Learner) -> None:
        if self._budget is not None and self._windows is None and self._read:
            total = len(learn.data.valid)  # type: ignore[arg-type]
            if self._read >= total:  # read whole: every later pass is read whole too
                self._windows = (total, total)

    def checkpoint_state(self) -> dict[str, Any] | None:
        return None if self._windows is None else {"windows": list(self._windows)}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        # The windows the passes before the checkpoint read: the resumed fit's passes read the same ones. The budget
        # is the resumed fit's (the checkpoint's continued), so the decision is kept for it.
        read, total = state["windows"]
        self._windows = (int(read), int(total))
        self._decided_for = self._budget

    def after_epoch(self, learn: Learner) -> None:
        if self._budget is None or not learn.history or self._windows is None or not self._read:
            return
        valid: Any = learn.data.valid
        if self._read >= len(valid):
            return  # read whole: the row's figures are the whole text's
        row = learn.history[-1]
        row.update(valid_tokens=self._tokens, valid_tokens_total=valid.row_length * valid.batch_size)
        for callback in getattr(learn, "_active", ()):
            if isinstance(callback, NgramBaseline) and "perplexity_baseline" in row:
                baseline = callback.perplexity_over(self._columns)  # the trigram on the same tokens
                if baseline is not None:
                    row["perplexity_baseline"] = baseline
