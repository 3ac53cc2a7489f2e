"""The Learner: a model, a loss and an optimizer, driven by the one training loop.

The loop below is the only one in trainwell. Every optional behaviour (progress, schedules, clipping,
mixed precision, checkpoints...) is a callback hooked on the events of :mod:`trainwell.learner.events`.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from trainwell.callbacks.budget import find_budget
from trainwell.callbacks.nan_guard import NanGuard
from trainwell.callbacks.progress import ProgressBar
from trainwell.callbacks.recorder import RECORDER_REMOVED, Recorder
from trainwell.callbacks.schedule import ParamScheduler
from trainwell.core.device import resolve_device
from trainwell.core.errors import ConfigError, add_note
from trainwell.core.reprs import shapes_of
from trainwell.core.seeding import get_rng_states, set_rng_states
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle
from trainwell.learner import _checkpoint
from trainwell.learner._checkpoint import read_checkpoint
from trainwell.learner.events import (
    Callback,
    CancelBatch,
    CancelEpoch,
    CancelFit,
    CancelStep,
    CancelTrain,
    CancelValidate,
    Event,
)
from trainwell.losses import loss_for_task
from trainwell.metrics import Metric, get_metric
from trainwell.metrics.function import RESERVED_NAMES, MetricLike
from trainwell.optim import (
    create_optimizer,
    discriminative_lrs,
    one_cycle_lr,
    one_cycle_momentum,
    split_param_groups,
)

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.learner.lr_find import LRFindResult

LossLike = nn.Module | Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class _ValidationSet:
    """The default ``loader`` of :meth:`Learner.validate` and :meth:`Learner.get_preds`: the bundle's
    validation set. A marker rather than ``None``, so that an absent set passed on purpose (``data.test``) is
    refused instead of quietly replaced by the validation rows."""

    def __repr__(self) -> str:
        return "<the validation set>"


VALIDATION_SET: Any = _ValidationSet()


class ValidationScores(dict[str, float]):
    """What :meth:`Learner.validate` returns: a plain ``{"loss": ..., metric: value}`` dict (iterated, compared
    and saved as one), whose loss is also readable as ``"valid_loss"``, the name ``learn.history``, fit's epoch
    table and ``EarlyStopping(monitor=)`` give it (``scores["valid_loss"]``, ``scores.get("valid_loss")``), and
    is printed under that name: ``{'valid_loss': 0.68, 'accuracy': 0.57}``."""

    def __repr__(self) -> str:
        if "loss" not in self.keys() or "valid_loss" in self.keys():
            return super().__repr__()
        return repr({("valid_loss" if key == "loss" else key): value for key, value in self.items()})

    def __missing__(self, key: str) -> float:
        if key == "valid_loss" and "loss" in self:
            return self["loss"]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (key == "valid_loss" and super().__contains__("loss"))

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key == "valid_loss" and not super().__contains__(key):
            key = "loss"
        return super().get(key, default)


class Learner:
    """Train ``model`` on ``data`` with ``loss`` and an optimizer.

    Args:
        model: any ``nn.Module`` called as ``model(*inputs)`` on each batch ``(*inputs, target)``.
        data: a :class:`DataBundle`; its task supplies the default loss and metrics.
        loss: a loss module or function ``loss(output, target)``; ``None`` uses the task's default.
        opt: optimizer name (``"adamw"``, ``"adabelief"``, ``"sgd"``...) or a factory
            ``f(param_groups, lr=...)``; groups a factory gives their own ``"lr"`` keep their ratios, the fit's
            rate being the largest group's (see :meth:`set_lrs`).
        metrics: metric names, functions ``fn(preds, targets) -> float`` (called on the whole validation
            set's activated predictions, named by ``__name__``; see :mod:`trainwell.metrics.function`) or
            :class:`Metric` objects; ``None`` uses the task's defaults, ``[]`` computes none.
        callbacks: extra callbacks kept for every fit (one alone is taken as a list of one, as ``fit``'s).
        lr: default learning rate (``fit_one_cycle`` uses it as the peak), for fits given none; an optimizer set by
            hand or a factory's own rates come first (see :meth:`fit`).
        wd: weight decay, never applied to biases or normalisation layers; decoupled from the gradient (AdamW's
            way) with ``"adamw"`` (the default) and ``"adabelief"``, an L2 term in the gradient with ``"sgd"`` and
            ``"adam"`` and with an optimizer class of your own (``trainwell.optim`` lists each one's). Change it
            between fits with ``learn.wd = ...`` or ``fit(..., wd=...)``; a changed ``learn.opt_name`` builds the
            optimizer again at the next fit.
        device: ``"cpu"``, ``"cuda"``, ... or ``None`` for the best available.
        path: folder where callbacks, :meth:`save` and :meth:`save_checkpoint` write files given by a relative
            name, and where ``resume_from=`` looks for one first. Not :meth:`export`'s: a model directory is
            named from the working directory, as ``trainwell.load`` and the command line read it.
        progress: show a live progress bar and a line per epoch.

    Example:
        >>> import torch
        >>> from trainwell.data import tensor_data
        >>> data = tensor_data(torch.randn(64, 3), torch.randn(64), valid_pct=0.25)
        >>> learn = Learner(torch.nn.Linear(3, 1), data, progress=False)
        >>> learn.fit(1, lr=0.01)
        >>> sorted(learn.history[-1])[:3]
        ['epoch', 'fit', 'lr']
    """

    def __init__(
        self,
        model: nn.Module,
        data: DataBundle,
        loss: LossLike | None = None,
        opt: str | Callable[..., torch.optim.Optimizer] = "adamw",
        metrics: Sequence[MetricLike] | None = None,
        callbacks: Iterable[Callback] = (),
        *,
        lr: float = 1e-3,
        wd: float = 0.01,
        device: str | torch.device | None = None,
        path: str | Path = ".",
        progress: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise ConfigError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(data, DataBundle):
            raise ConfigError(
                f"data must be a DataBundle (see tabular_data or tensor_data), got {type(data).__name__}"
            )
        if lr <= 0:
            raise ConfigError(f"lr must be positive, got {lr}")
        if wd < 0:
            raise ConfigError(f"wd (weight decay) must be >= 0, got {wd}")
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.data = data
        self.task = data.task
        self.loss_func: LossLike = loss if loss is not None else loss_for_task(self.task)
        if loss is not None and type(self).compute_loss is Learner.compute_loss:
            _refuse_loss_signature(loss)
        if (
            isinstance(loss, torch.nn.BCELoss)
            and self.task.kind in ("binary", "multilabel")
            and type(self).activate is Learner.activate
        ):
            raise ConfigError(
                "nn.BCELoss takes probabilities, but a binary or multi-label model's outputs are read as logits "
                "(the metrics, predictions and the exported model apply the sigmoid, which on probabilities "
                "answers the positive class for every row): end the model without nn.Sigmoid and pass "
                "nn.BCEWithLogitsLoss() (numerically safer too), or loss=None for the task's default"
            )
        if isinstance(opt, str):
            from trainwell.optim.factory import optimizers

            optimizers.entry(opt)  # a misspelt name is said now, not at the first fit
        self.opt_name = opt
        self.opt: torch.optim.Optimizer | None = None
        self.metrics: list[Metric] = _build_metrics(self.task, metrics)
        self.lr = lr
        self.wd = wd
        self.path = Path(path)
        self.recorder = Recorder()
        self.callbacks: list[Callback] = [self.recorder]
        if progress:
            self.callbacks.append(ProgressBar())
        self.callbacks.extend(_callback_list(callbacks))
        if not any(isinstance(cb, NanGuard) for cb in self.callbacks):
            self.callbacks.append(NanGuard(action="stop"))  # a diverging run stops with a clear message
        _warn_unaugmented_images(data, self.callbacks)
        # {"name": registered architecture, "config": {...}}: what create_model built the model from, if it did
        spec = getattr(model, "trainwell_model_spec", None)
        self.model_spec: dict[str, Any] | None = dict(spec) if isinstance(spec, dict) else None
        #: Whether the model starts from pretrained weights: ``False`` where an application's learner built it from
        #: scratch (``fine_tune``'s frozen phase then only delays training, and says so), ``None`` when unknown.
        self.pretrained: bool | None = None
        self.forward_context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
        #: What training batches are run through: the model itself, or a wrapper a callback sets for the fit
        #: (``DistributedDataParallel``), so that ``learn.model`` and its state dict stay plain. Validation
        #: batches always run through ``learn.model``.
        self.forward_model: nn.Module | None = None
        #: The :class:`~trainwell.callbacks.TimeBudget` the last fits kept to, if any (set by it; the model
        #: directory records what it allowed).
        self.time_budget: Any = None
        self.test_scores: dict[str, float] | None = None  # a pipeline's scores on its test set, exported
        self.compared: dict[str, dict[str, Any]] | None = (
            None  # the rival models' final rows (fit_table auto)
        )
        #: The phase of a schedule of several fits that the fits now belong to (``"frozen"``, ``"unfrozen"``
        #: of :meth:`fine_tune`), ``""`` outside one; set with :meth:`in_phase`. Checkpoints record it.
        self.fit_phase = ""
        #: A hyper-parameter search's summary when this is its best trial's model (``trainwell tune``), exported.
        self.tuning: dict[str, Any] | None = None
        #: The loader of the rows a multi-label model's thresholds were chosen on, and the honest figures of that
        #: choice (set by :func:`~trainwell.learner.label_thresholds.tune_label_thresholds`): :meth:`validate` on
        #: those very rows warns that its threshold metrics flatter the model, and names these.
        self.thresholds_chosen_on: Iterable[Any] | None = None
        self.threshold_figures: dict[str, float] = {}
        #: The optimizer as built and what it was built with (``opt``, ``wd``): a fit builds it again when they
        #: changed. The last fit's peak learning rates and weight decay, as :meth:`summary` shows them.
        self._opt_made: tuple[torch.optim.Optimizer, Any, float] | None = None
        # The largest of the optimizer's own group rates, where it has its own: a factory's that set rates other than
        # the lr it was given, or one set by hand (_hand_set_opt); a fit given no lr trains at them.
        self._own_top_lr: float | None = None
        self._hand_set_opt: torch.optim.Optimizer | None = None
        self._told_own_rates = False
        self._told_loss_parameters = False
        self._last_fit: dict[str, Any] | None = None
        #: The fits begun on this learner (``fit``, ``fit_one_cycle``, ``fine_tune``'s each; not an ``lr_find``
        #: sweep), recorded or not: whether its model was fitted, which ``learn.opt`` does not say of a model
        #: fitted in closed form (boosted trees build no optimizer).
        self.fits = 0
        self._reset_state()

    # ----------------------------------------------------------------------------------------------- state
    def _reset_state(self) -> None:
        self.weights_row: int | None = None  # set by a callback that loads an earlier epoch's weights
        self.epoch = 0
        self.n_epochs = 0
        self.iteration = 0
        self.n_iterations = 1
        self.planned_iterations = 1
        self.batch_index = 0
        #: The fit's progress when a callback changes ``n_iterations`` mid-fit (:class:`TimeBudget`): advanced
        #: each batch by its share of what is left, so the schedules stay continuous when the plan changes;
        #: ``None``: ``iteration / n_iterations``.
        self.progress: float | None = None
        self.training = False
        self.batch: tuple[torch.Tensor, ...] = ()
        self.xb: tuple[torch.Tensor, ...] = ()
        self.yb: torch.Tensor = torch.empty(0)
        self.pred: torch.Tensor = torch.empty(0)
        self.loss: torch.Tensor = torch.empty(0)
        self.loss_grad: torch.Tensor = torch.empty(0)
        self.loader: Iterable[Any] | None = None
        self._start_batch = 0
        self._pending_callback_states: dict[str, Any] = {}
        # the callback and event that raised the last Cancel exception, and whether a training batch was running
        self._cancel_origin: tuple[str, str, bool] = ("", "", False)
        self._epoch_rng: dict[str, Any] | None = None  # random state at the start of the training epoch
        self._loss_checked = False  # whether this fit's first training loss was checked for broadcasting
        self._loss_checked_grad = False  # whether it was checked to hold the model's graph
        #: The name of the callback that ended the fit for good (:class:`~trainwell.callbacks.EarlyStopping`
        #: sets it before its ``CancelFit``), ``None`` while the fit runs on. Checkpoints record it, and a resume
        #: of the same call then trains no more; a callback of your own that stops a fit on its own rule sets it
        #: too (a bare ``CancelFit`` reads as an interruption, which a resume continues). Set from the checkpoint
        #: when a resumed fit had stopped.
        self.stopped_by: str | None = None

    @property
    def pct_train(self) -> float:
        """Progress through the current fit, from 0 to 1 (what schedules are functions of): batches done over
        batches planned, or :attr:`progress` where a callback that re-plans the fit keeps it. The plan's last
        training batch reads 1 either way, so a one-cycle fit takes its last step annealed, at
        ``lr / div_final``, as PyTorch's ``OneCycleLR`` does (read as ``(n - 1) / n``, a fit of 4 batches took
        its last step at a quarter of the peak, one of 12 at 3%)."""
        if self.progress is not None:
            return min(1.0, self.progress)
        if self.training and self.iteration + 1 >= self.n_iterations:
            return 1.0
        return min(1.0, self.iteration / max(1, self.n_iterations))

    @property
    def history(self) -> list[dict[str, float]]:
        """One row per finished epoch: losses, metrics (with several regression targets, each target's too:
        ``"rmse[price]"``), learning rate and time.

        Each row's ``epoch`` counts from 1 over every fit, as the screen, ``curves.png``, ``history.csv``, the
        report and ``/metadata`` count it (``fit(3)`` then ``fit(2)``: epochs 1 to 5, told apart by ``fit``);
        :meth:`history_table` gives the rows as a table. (Before, each fit's rows counted from 0: a checkpoint
        of then is renumbered as it is read.)
        """
        return self.recorder.history

    def history_table(self) -> pd.DataFrame:
        """The history as a table, one row per finished epoch, with ``epoch`` counted from 1 over every fit as
        the screen and ``history.csv`` count it (as :attr:`history` does).

        Example:
            >>> learn.fit(3); learn.fit(2)                      # doctest: +SKIP
            >>> learn.history_table()["epoch"].tolist()       # doctest: +SKIP
            [1, 2, 3, 4, 5]
        """
        import pandas as pd

        from trainwell.learner.run_files import epochs_from_one

        return pd.DataFrame(epochs_from_one(self.history))

    @property
    def final_row(self) -> dict[str, Any]:
        """The history row that describes the model's weights now: the last epoch's, or the row of the epoch
        whose weights a callback loaded back at the end of the fit (:class:`~trainwell.callbacks.SaveBest`).
        What the model directory, the fit's summary and ``run.metrics`` report. ``{}`` before any epoch.

        A model fitted in closed form (boosted trees, EASE) took no training batches: its row leaves out the
        training loss and learning rate it has no value for (``history`` keeps them as NaN, so that every run's
        ``history.csv`` has the same columns), as ``run.metrics`` does; any other row is the history's own."""
        history = self.recorder.history
        row = getattr(self, "weights_row", None)
        if row is not None and 0 <= row < len(history):
            chosen = history[row]
        else:
            chosen = history[-1] if history else {}
        if getattr(self.model, "closed_form", False):
            from trainwell.learner.run_files import meaningful_row

            return meaningful_row(chosen, self.model)
        return chosen

    # ------------------------------------------------------------------------------------- callbacks
    def add_callbacks(self, *callbacks: Callback | Sequence[Callback]) -> Learner:
        """Add callbacks to every later fit: ``learn.add_callbacks(a, b)``, or a list of them
        (``learn.add_callbacks([a, b])``, as fastai's ``add_cbs`` takes it: the list had been kept as one
        callback, and the next fit failed on it). What is not a :class:`Callback` object is refused here, in one
        line, ``learn.callbacks`` left as it was."""
        flat = [
            each for given in callbacks for each in (given if isinstance(given, (list, tuple)) else [given])
        ]
        for callback in flat:
            _check_callback(callback, "add_callbacks got")
        for callback in flat:
            if isinstance(callback, Recorder):
                callback.removed = False  # back: it records again
        self.callbacks.extend(flat)  # type: ignore[arg-type]  # each one checked above
        return self

    def remove_callback(self, kind: type[Callback] | Callback) -> None:
        """Remove the callbacks of class ``kind`` (``learn.remove_callback(NanGuard)``), or the one callback object
        given (``learn.remove_callback(learn.recorder)``)."""
        if isinstance(kind, Callback):
            kept = [cb for cb in self.callbacks if cb is not kind]
        elif not (isinstance(kind, type) and issubclass(kind, Callback)):
            raise ConfigError(
                f"remove_callback takes a Callback class or one of learn.callbacks, got {kind!r}: pass e.g. "
                "learn.remove_callback(ProgressBar)"
            )
        else:
            kept = [cb for cb in self.callbacks if not isinstance(cb, kind)]
        if any(cb is self.recorder for cb in self.callbacks) and not any(cb is self.recorder for cb in kept):
            # learn.history, the curves and the report read its rows: they had stayed empty without a word
            self.recorder.removed = True
            warn(RECORDER_REMOVED)
        self.callbacks = kept

    def get_callback(self, kind: type[Callback]) -> Callback | None:
        return next((cb for cb in self.callbacks if isinstance(cb, kind)), None)

    def _build_handlers(self, callbacks: Sequence[Callback]) -> None:
        for callback in callbacks:
            _check_callback(callback)
            callback.check_handlers()
        ordered = sorted(callbacks, key=lambda cb: cb.order)  # stable: equal orders keep insertion order
        self._active = ordered
        self._handlers: dict[Event, list[tuple[Callback, Callable[[Learner], None]]]] = {
            event: [
                (cb, getattr(cb, event.value)) for cb in ordered if callable(getattr(cb, event.value, None))
            ]
            for event in Event
        }

    def _call(self, event: Event) -> None:
        cancel: Exception | None = None  # one raised in an event every callback sees, raised once they have
        for callback, handler in self._handlers[event]:
            try:
                handler(self)
            except _CANCELS as raised:
                if cancel is None:
                    self._cancel_origin = (callback.name, event.value, self.training)
                    cancel = raised
                if event not in _SEEN_BY_EVERY_CALLBACK:
                    raise
            except Exception as error:
                error.add_note(f"raised in callback {callback.name} during event {event.value}")
                raise
        if cancel is not None:
            raise cancel

    def show_training_loop(self, callbacks: Iterable[Callback] = ()) -> None:
        """Print which callbacks run at each event, in order (``callbacks``: those a fit would be given too).
        Printed once and returned as ``None``, as :meth:`summary` is: a returned text showed twice in a notebook."""
        self._build_handlers(_with_fit_callbacks(self.callbacks, _callback_list(callbacks)))
        lines = []
        for event in Event:
            names = [cb.name for cb, _ in self._handlers[event]]
            lines.append(f"{event.value:<16} {', '.join(names) if names else '-'}")
        print("\n".join(lines))

    def summary(self) -> None:
        """Print the model as this learner trains it: each layer group's layers with their output shape on a
        batch of the data (``B`` rows), parameters and whether they train (``freeze`` shows), the totals, the
        data's splits, the loss, the optimizer and the metrics (as Keras' ``model.summary()``: printed once, in a
        script or a notebook; :func:`trainwell.learner.summary.summary` returns the text)."""
        from trainwell.learner.summary import summary

        print(summary(self))

    # ------------------------------------------------------------------------------------- optimizer
    def layer_groups(self) -> list[nn.Module]:
        """Groups of layers that share a learning rate: the model's own split when it defines one.

        Raises:
            ConfigError: The model's ``layer_groups()`` leaves out a trainable parameter, which the optimizer
                would then never update.
        """
        split = getattr(self.model, "layer_groups", None)
        groups = list(split()) if callable(split) else [self.model]
        if not groups:
            return [self.model]
        if callable(split):
            _check_groups_cover(self.model, groups)
        return groups

    def create_opt(self) -> torch.optim.Optimizer:
        """Build the optimizer from ``opt`` (:attr:`opt_name`), the layer groups and :attr:`wd`, and keep it as
        :attr:`opt`. A fit builds it when there is none, and again when ``opt_name`` changed since (a changed
        ``wd`` is set on the groups in place, keeping the optimizer's state); ``learn.opt = None`` forces it."""
        groups = split_param_groups(self.layer_groups(), self.wd)
        if callable(self.opt_name) and not isinstance(self.opt_name, str):
            self.opt = self.opt_name(groups, lr=self.lr)
        else:
            self.opt = create_optimizer(self.opt_name, groups, lr=self.lr)
        top = _keep_own_lr_ratios(self.opt)
        # A factory that set rates of its own (per group, or one it chose over the lr it was given)
        own = any(group["lr_ratio"] != 1.0 for group in self.opt.param_groups) or not math.isclose(
            top, self.lr, rel_tol=1e-9
        )
        self._own_top_lr = top if own else None
        self._opt_made = (self.opt, self.opt_name, self.wd)
        return self.opt

    def _adopt_hand_set_opt(self, opt: torch.optim.Optimizer) -> None:
        """Read the learning rates of an optimizer set by hand (``learn.opt = SGD(params, lr=0.1)``) as its own,
        as a factory's: kept in each group (``"own_lr"``, the rate it was given, which fits then overwrite), so
        that a fit without ``lr`` trains at them and one with ``lr`` scales them (their ratios kept) and says so."""
        if self._hand_set_opt is not opt:
            self._hand_set_opt, self._told_own_rates = opt, False
        for group in opt.param_groups:
            group.setdefault("own_lr", float(group["lr"]))
        rates = [float(group["own_lr"]) for group in opt.param_groups]
        top = max(rates)
        for group, rate in zip(opt.param_groups, rates, strict=True):
            group["lr_ratio"] = rate / top if top > 0 and rate > 0 else 1.0
        self._own_top_lr = top if top > 0 else None

    def _default_lr(self) -> float:
        """The learning rate of a fit given none: the optimizer's own (one set by hand, or a factory's that chose
        its own rates), else :attr:`lr`."""
        self._current_opt()
        return self.lr if self._own_top_lr is None else self._own_top_lr

    def _say_own_rates_scaled(self) -> None:
        """Say once per learner that the groups' own learning rates (an optimizer factory's) were scaled to this
        fit's rate rather than used as they are: a Lightning user's 1e-5 and 1e-2 trained at the Learner's 1e-3
        and 1e-6 in silence."""
        top, opt = self._own_top_lr, self.opt
        if top is None or opt is None or self._told_own_rates:
            return
        peak = max(float(group["max_lr"]) for group in opt.param_groups)
        if math.isclose(peak, top, rel_tol=1e-9):
            return
        self._told_own_rates = True
        if all(group["lr_ratio"] == 1.0 for group in opt.param_groups):
            whose = "learn.opt, set by hand," if opt is self._hand_set_opt else "the opt factory's optimizer"
            warn(
                f"{whose} has a learning rate of its own, {top:g}, and this fit's lr={peak:g} replaces it (a "
                f"rate given to fit wins, as in fastai); call fit without lr, or with lr={top:g}, to train at "
                f"{top:g}",
                UserWarning,
            )
            return
        named = [
            f"{group.get('name', f'group {index}')} {group['lr_ratio'] * top:.3g} -> {group['max_lr']:.3g}"
            for index, group in enumerate(opt.param_groups)
        ]
        warn(
            f"the optimizer's parameter groups set learning rates of their own ({', '.join(named[:4])}"
            f"{', ...' if len(named) > 4 else ''}): this fit's lr {peak:g} is the largest group's and the others "
            f"keep their ratios to it; pass lr={top:g} to train at the groups' own rates",
            UserWarning,
        )

    def _say_loss_parameters_untrained(self) -> None:
        """Warn once per learner when the loss is a module with trainable parameters that no optimizer group
        holds (a learnable temperature, a loss's own weights): they never moved, and their gradients piled up,
        as nothing zeroes them. Warned rather than added to the optimizer: checkpoints, ``save`` and ``export``
        keep the model's weights and the optimizer's state, not the loss's, so a resumed or loaded model would
        lose what the loss learnt; in the model, they travel with it."""
        if self._told_loss_parameters or not isinstance(self.loss_func, nn.Module) or self.opt is None:
            return
        held = {id(param) for group in self.opt.param_groups for param in group["params"]}
        named = [
            name
            for name, param in self.loss_func.named_parameters()
            if param.requires_grad and id(param) not in held
        ]
        if not named:
            return
        self._told_loss_parameters = True
        count = len(named)
        warn(
            f"the loss ({_name(self.loss_func)}) has {count} trainable parameter{'s' if count > 1 else ''} "
            f"({', '.join(named[:4])}{', ...' if count > 4 else ''}) that no optimizer updates, so "
            f"{'they never move and their gradients pile' if count > 1 else 'it never moves and its gradient piles'}"
            " up; put them in the model (its forward returning what the loss needs), or pass them in an optimizer group "
            "(opt=a factory adding {'params': loss.parameters()}), or set requires_grad=False",
            UserWarning,
        )

    def _current_opt(self) -> torch.optim.Optimizer:
        """The optimizer a fit trains with: :attr:`opt`, built when missing or when :attr:`opt_name` changed since
        it was built; a :attr:`wd` changed since is set in place on the groups that decay, so that Adam's moments
        carry over as between any two fits. Both were read once, at the first fit, and changes went unheeded."""
        made = self._opt_made
        if self.opt is None or made is None or made[0] is not self.opt:
            if self.opt is None:
                return self.create_opt()
            self._adopt_hand_set_opt(self.opt)  # used as it is, its learning rates read as its own
            return self.opt
        _, name, wd = made
        if not _same_opt(name, self.opt_name):
            return self.create_opt()
        if wd != self.wd:
            if not all("layer_group" in group for group in self.opt.param_groups):
                return self.create_opt()  # groups of the factory's own: it decides their decay again
            for group in self.opt.param_groups:
                if str(group.get("name", "")).endswith("_decay") and not str(group["name"]).endswith(
                    "_no_decay"
                ):
                    group["weight_decay"] = float(self.wd)
                    if "initial_weight_decay" in group:  # what a ParamScheduler(weight_decay=...) multiplies
                        group["initial_weight_decay"] = float(self.wd)
            self._opt_made = (self.opt, name, self.wd)
        return self.opt

    def set_lrs(self, lr: float | slice | Sequence[float]) -> None:
        """Set each parameter group's peak learning rate (``max_lr``); a slice or a list spreads it over the layer
        groups (body first, head last).

        Parameter groups that an optimizer factory of your own gave their own ``"lr"`` (Lightning's
        ``configure_optimizers`` habit: ``AdamW([{"params": body, "lr": 1e-5}, {"params": head, "lr": 1e-2}])``)
        keep their ratios: ``lr`` (and so a one-cycle schedule's peak) is the largest group's rate, and each other
        group's is scaled with it, body ``3e-6`` and head ``3e-3`` for ``lr=3e-3``; pass ``lr=1e-2`` to train at
        the factory's own rates. A group that sets none takes ``lr`` itself. For rates spread over layer groups,
        ``layer_groups()`` with a slice or a list does it without a factory."""
        opt = self._current_opt()
        n_layer_groups = 1 + max(group.get("layer_group", 0) for group in opt.param_groups)
        lrs = discriminative_lrs(lr, n_layer_groups)
        if isinstance(lr, slice) and n_layer_groups == 1 and lr.start != lr.stop:
            warn(
                f"the learning rates {_shown_slice(lr)} spread over layer groups, but {type(self.model).__name__} "
                f"is one layer group, so it all trains at {lrs[0]:g}: give the model a layer_groups() method "
                "returning its modules body first, head last, or pass one rate",
                UserWarning,
            )
        for group in opt.param_groups:
            group["max_lr"] = lrs[group.get("layer_group", 0)] * group.get("lr_ratio", 1.0)
            group["lr"] = group["max_lr"]

    def freeze_to(self, n: int) -> None:
        """Train only layer groups ``n`` and later; normalisation layers always keep training.

        ``n`` counts as a list index does, as in fastai: ``freeze_to(-2)`` trains the last two groups,
        ``freeze_to(0)`` (or ``-len``) all of them.

        Raises:
            ConfigError: ``n`` is not a whole number, or not a group's index (``freeze_to(3)`` with 3 groups would
                freeze every one, and a fit would have nothing to train).
        """
        groups = self.layer_groups()
        if isinstance(n, bool) or not isinstance(n, int):
            raise ConfigError(f"freeze_to takes a layer group's index, a whole number, got {n!r}")
        if not -len(groups) <= n < len(groups):
            raise ConfigError(
                f"freeze_to({n}): {type(self.model).__name__} has {len(groups)} layer group"
                f"{'s' if len(groups) != 1 else ''}, so n must be from {-len(groups)} to {len(groups) - 1} "
                "(the first group to train; negative counts from the end: freeze_to(-1) trains the last alone); "
                "unfreeze() trains them all"
            )
        n = n % len(groups)
        for index, group in enumerate(groups):
            for module in group.modules():
                trainable = index >= n or isinstance(module, _NORM_LAYERS)
                for param in module.parameters(recurse=False):
                    param.requires_grad_(trainable)

    def freeze(self) -> None:
        """Train only the last layer group (the head).

        Raises:
            ConfigError: The model is one layer group (it defines no ``layer_groups()``), so there is no body to
                freeze apart from its head.
        """
        groups = self.layer_groups()
        if len(groups) < 2:
            raise ConfigError(
                f"cannot freeze {type(self.model).__name__}: it is one layer group, so nothing would be frozen; "
                "give the model a layer_groups() method returning its modules body first, head last "
                "(e.g. [self.body, self.head]), or train it whole with fit_one_cycle"
            )
        self.freeze_to(len(groups) - 1)

    def unfreeze(self) -> None:
        self.freeze_to(0)

    # ------------------------------------------------------------------------------------------ fitting
    def fit(
        self,
        n_epochs: int,
        lr: float | slice | Sequence[float] | None = None,
        *,
        callbacks: Iterable[Callback] = (),
        resume_from: str | Path | None = None,
        wd: float | None = None,
    ) -> None:
        """Train for ``n_epochs`` at a constant learning rate (``lr`` or the Learner's default).

        ``lr=None`` trains at the optimizer's own rate where it has one: an optimizer set by hand
        (``learn.opt = torch.optim.SGD(params, lr=0.1)``), or an ``opt=`` factory that set rates other than the
        ``lr`` it was given; otherwise at :attr:`lr`. A rate given to ``fit`` wins over the optimizer's own, as in
        fastai (their ratios between groups kept), and a warning says so once when they differ.

        ``resume_from`` names a checkpoint written by :class:`~trainwell.callbacks.Checkpoint` during the same
        call: training continues from the batch after it, with the same result as an uninterrupted run. A
        relative name is looked for under :attr:`path`, where ``Checkpoint`` writes, then in the working
        directory. A checkpoint of a fit that ended, having run all its epochs or been stopped by a callback
        (:class:`~trainwell.callbacks.EarlyStopping`; :attr:`stopped_by` names it), resumes as a no-op: nothing
        trains, and the learner holds the fit's final weights and history, so a job's script can run the same
        call again after it finished.

        ``wd`` sets the weight decay from this fit on (it is :attr:`wd`'s new value; fastai's ``fit(wd=...)``).
        Setting ``learn.wd`` or ``learn.opt_name`` between fits works as well: a fit builds the optimizer again
        when ``opt_name`` changed, and sets a changed ``wd`` on it in place.
        """
        if int(n_epochs) != n_epochs or n_epochs < 1:
            raise ConfigError(f"n_epochs must be a positive whole number, got {n_epochs}")
        if wd is not None:
            if isinstance(wd, bool) or not isinstance(wd, int | float) or not wd >= 0:
                raise ConfigError(f"wd (weight decay) must be a number >= 0, got {wd!r}; pass e.g. wd=0.01")
            self.wd = float(wd)
        resume_from = None if resume_from is None else _checkpoint.resolve(self.path, resume_from)
        closed_form = bool(getattr(self.model, "closed_form", False))
        if closed_form and (n_epochs > 1 or lr is not None):
            warn(
                f"{type(self.model).__name__} was fitted in closed form when the learner was built (no gradient "
                f"steps): a fit only validates it, so {n_epochs} epoch{'s' if n_epochs > 1 else ''} give the same "
                "scores as one and a learning rate changes nothing; to fit it otherwise, build the learner again "
                "with other settings",
                UserWarning,
            )
        if not closed_form:
            self.set_lrs(self._default_lr() if lr is None else lr)
            self._say_own_rates_scaled()
            self._say_loss_parameters_untrained()
        # A model fitted in closed form takes no gradient step, so its fit builds no optimizer: learn.opt stays
        # None (the first optimizer's add_param_group imports torch._dynamo, a second of CPU a process, which a
        # search of boosted trees paid for every trial's fit); a step asked for all the same builds it then.
        run_callbacks = _callback_list(callbacks)
        opt = None if closed_form else self.opt
        self.fits += 1
        self._last_fit = {
            "lrs": [] if opt is None else [float(group["max_lr"]) for group in opt.param_groups],
            "scheduled": any(isinstance(cb, ParamScheduler) for cb in [*self.callbacks, *run_callbacks]),
            "wd": float(self.wd),
        }
        self._fit(int(n_epochs), run_callbacks, resume_from)

    def fit_one_cycle(
        self,
        n_epochs: int,
        lr_max: float | slice | Sequence[float] | None = None,
        *,
        div: float = 25.0,
        div_final: float = 1e5,
        pct_start: float = 0.25,
        moms: tuple[float, float] = (0.95, 0.85),
        anneal: str = "cos",
        callbacks: Iterable[Callback] = (),
        resume_from: str | Path | None = None,
        wd: float | None = None,
    ) -> None:
        """Train with the one-cycle policy (Smith 2018): warm up to ``lr_max``, then anneal; momentum inverse.

        The learning rate's phases are half cosines, or straight lines with ``anneal="linear"``. ``wd`` and
        ``resume_from`` are :meth:`fit`'s.
        """
        schedule = ParamScheduler(
            lr=one_cycle_lr(div=div, div_final=div_final, pct_start=pct_start, anneal=anneal),
            momentum=one_cycle_momentum(high=moms[0], low=moms[1], pct_start=pct_start),
        )
        schedule.made_by = "fit_one_cycle"
        self.fit(
            n_epochs, lr_max, callbacks=[schedule, *_callback_list(callbacks)], resume_from=resume_from, wd=wd
        )

    def fine_tune(
        self,
        epochs: int,
        base_lr: float | None = None,
        *,
        freeze_epochs: int = 1,
        lr_mult: float = 100.0,
        callbacks: Iterable[Callback] = (),
        resume_from: str | Path | None = None,
        wd: float | None = None,
    ) -> None:
        """Transfer learning: train the head with the body frozen, then everything with discriminative LRs.

        The two fits are the phases ``"frozen"`` and ``"unfrozen"``: a checkpoint written in either
        (:class:`~trainwell.callbacks.Checkpoint` in ``callbacks``) resumes the same call at its phase, the
        frozen one skipped when the checkpoint comes from the unfrozen one. ``wd`` and ``resume_from`` are
        :meth:`fit`'s.
        """
        if getattr(self.model, "closed_form", False):
            raise ConfigError(
                f"{type(self.model).__name__} is fitted in closed form when the learner is built: there is nothing "
                "to fine-tune (no layers to freeze, no gradient steps); build the learner on the new data instead"
            )
        base_lr = base_lr or self._default_lr()
        callbacks = _callback_list(callbacks)
        if self.pretrained is False and freeze_epochs > 0 and resume_from is None:
            warn(
                "fine_tune trains the head alone first, the body frozen, so as to keep what pretrained weights know; "
                "this model starts from random weights (no pretrained=), so the frozen epochs only delay training: "
                "fit_one_cycle trains it all from the start (or pass freeze_epochs=0)",
                UserWarning,
            )
        phases = ["frozen", "unfrozen"] if freeze_epochs > 0 else ["unfrozen"]
        resume_from = None if resume_from is None else _checkpoint.resolve(self.path, resume_from)
        start = 0 if resume_from is None else read_checkpoint(resume_from).phase_index(phases, "fine_tune")
        if phases[start] == "frozen":
            self.freeze()
            budget = find_budget(callbacks, self.callbacks)
            if budget is not None:
                budget.share_next_fit(FROZEN_SHARE)  # the unfrozen phase, where the gains are, keeps the rest
            with self.in_phase("frozen"):
                self.fit_one_cycle(
                    freeze_epochs,
                    base_lr * 2,
                    pct_start=0.99,
                    callbacks=callbacks,
                    resume_from=resume_from,
                    wd=wd,
                )
            resume_from = None
        self.unfreeze()
        # A model of one layer group has no body to train slower: its one rate is the slice's top, said plainly.
        spread = slice(base_lr / lr_mult, base_lr) if len(self.layer_groups()) > 1 else base_lr
        with self.in_phase("unfrozen"):
            self.fit_one_cycle(epochs, spread, callbacks=callbacks, resume_from=resume_from, wd=wd)

    @contextlib.contextmanager
    def in_phase(self, name: str) -> Iterator[None]:
        """Name the fits run inside the block as one phase of a schedule of several fits (``fine_tune``'s
        ``"frozen"`` and ``"unfrozen"``). Checkpoints record the phase and a resume must be in the same one, so
        that a schedule can skip the phases done before its checkpoint (:attr:`fit_phase`)."""
        previous, self.fit_phase = self.fit_phase, name
        try:
            yield
        finally:
            self.fit_phase = previous

    def lr_find(
        self,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_it: int = 100,
        *,
        time_limit: float | Callable[[float], float] | None = None,
    ) -> LRFindResult:
        """Sweep the learning rate; see :func:`trainwell.learner.lr_find.lr_find`."""
        from trainwell.learner.lr_find import lr_find

        if getattr(self.model, "closed_form", False):
            raise ConfigError(
                f"lr_find sweeps the learning rate of gradient training; {type(self.model).__name__} is fitted in "
                "closed form when the learner is built and has no learning rate to find"
            )

        return lr_find(self, start_lr=start_lr, end_lr=end_lr, num_it=num_it, time_limit=time_limit)

    def _fit(self, n_epochs: int, run_callbacks: list[Callback], resume_from: str | Path | None) -> None:
        if not getattr(self.model, "closed_form", False) and not any(
            param.requires_grad for param in self.model.parameters()
        ):
            raise ConfigError(
                f"every parameter of {type(self.model).__name__} is frozen (requires_grad=False), so a fit "
                "would have nothing to train: learn.unfreeze() trains it all, learn.freeze_to(-n) the last n "
                "layer groups"
            )
        self._reset_state()
        self.time_budget = None  # a budget of this fit sets it again when the fit ends
        self.n_epochs = n_epochs
        train_loader = self._on_device(self.data.train)
        valid_loader = self._on_device(self.data.valid) if self.data.valid is not None else None
        self.n_iterations = n_epochs * len(train_loader)  # type: ignore[arg-type]
        self.planned_iterations = self.n_iterations  # what the call asked for; a TimeBudget may plan fewer
        self.forward_context = contextlib.nullcontext
        self._build_handlers(_with_fit_callbacks(self.callbacks, run_callbacks))
        self._asked = _checkpoint.describe_call(self)  # kept in checkpoints: a resume must be the same call
        if resume_from is not None:
            _checkpoint.restore(self, resume_from)
        try:
            self._with_events(
                Event.before_fit,
                Event.after_fit,
                CancelFit,
                lambda: self._run_epochs(train_loader, valid_loader),
            )
        except _CANCELS as stray:  # raised in an event that has nothing of its kind to cancel
            raiser, event, training = self._cancel_origin
            kind = type(stray).__name__
            raise ConfigError(
                f"{kind} raised in callback {raiser} during event {event} cancels nothing there: it works only "
                f"{_CANCEL_EVENTS[kind]}{_misplaced_because(kind, event, training)} (see docs/training-loop.md, "
                "'Steering the loop')"
            ) from stray
        finally:
            for callback in self._active:
                callback.teardown(self)
            self.training = False
            if self.opt is not None:
                self.opt.zero_grad(set_to_none=True)

    def _run_epochs(self, train_loader: Iterable[Any], valid_loader: Iterable[Any] | None) -> None:
        if self._pending_callback_states:  # a resumed fit: callbacks continue from the checkpoint
            _checkpoint.load_callback_states(self)
        if self.stopped_by:
            # A checkpoint of a fit that a callback stopped (EarlyStopping): resumed, it stops there as well, as
            # one of a fit that ran all its epochs does, rather than train the epochs after the stop.
            return
        for epoch in range(self.epoch, self.n_epochs):
            self.epoch = epoch
            self._with_events(
                Event.before_epoch,
                Event.after_epoch,
                CancelEpoch,
                lambda: self._run_epoch(train_loader, valid_loader),
            )
            self._start_batch = 0

    def _run_epoch(self, train_loader: Iterable[Any], valid_loader: Iterable[Any] | None) -> None:
        try:
            self._with_events(
                Event.before_train,
                Event.after_train,
                CancelTrain,
                lambda: self._run_phase(train_loader, True),
            )
            if valid_loader is not None:
                self._with_events(
                    Event.before_validate,
                    Event.after_validate,
                    CancelValidate,
                    lambda: self._run_phase(valid_loader, False),
                )
        finally:
            # after_epoch sees a finished epoch however it ended (no validation set, CancelEpoch), so a
            # checkpoint written there resumes at the next epoch rather than replaying this one.
            self.training = False

    def _with_events(
        self, before: Event, after: Event, cancel: type[Exception], body: Callable[[], None]
    ) -> None:
        try:
            self._call(before)
            body()
        except cancel:
            if cancel is not CancelValidate:
                # The training is cut mid-group: gradients a CancelStep kept (GradientAccumulation's group so far),
                # or those of a batch cancelled after its backward, belong to no step now. Left on the parameters,
                # the next epoch's first step (or a later fit's) would add them in.
                self._drop_gradients()
        self._call(after)

    def _drop_gradients(self) -> None:
        """Set the gradients pending for the next optimizer step to ``None``."""
        if self.opt is not None:
            self.opt.zero_grad(set_to_none=True)

    def _run_phase(self, loader: Iterable[Any], training: bool) -> None:
        self.training = training
        self.loader = loader
        self.model.train(training)
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self.epoch)
        start = self._start_batch if training else 0
        batches = self._training_batches(loader, start) if training else _batches_from(loader, 0)
        with torch.set_grad_enabled(training):
            for self.batch_index, batch in enumerate(batches, start=start):
                self._one_batch(batch)

    def _training_batches(self, loader: Iterable[Any], start: int) -> Iterator[Any]:
        """The training batches from ``start`` on, in the order an uninterrupted epoch would give them.

        A loader that cannot start mid-epoch itself (a torch DataLoader: no ``iter_from``) draws its shuffle from
        the global random state when iterated, so the state at the start of the epoch is kept (checkpoints
        save it) and a resumed epoch draws its order from it, skips the batches already run, and then goes on
        from the checkpoint's own random state."""
        if callable(getattr(loader, "iter_from", None)):
            return _batches_from(loader, start)
        if start == 0:
            self._epoch_rng = get_rng_states()
            return iter(loader)
        if self._epoch_rng is None:
            warn(
                "this checkpoint holds no random state of its epoch's start (written by an older trainwell), so "
                "the resumed epoch's shuffle may differ from the interrupted run's",
            )
            return _batches_from(loader, start)
        now = get_rng_states()
        set_rng_states(self._epoch_rng)
        batches = _batches_from(loader, start)
        set_rng_states(now)
        return batches

    def _one_batch(self, batch: Sequence[torch.Tensor]) -> None:
        self.batch = tuple(batch)
        self.xb, self.yb = self.batch[:-1], self.batch[-1]
        # No loss until this batch computes one: a batch cancelled before its loss must not pass on the last one.
        self.loss = self.loss_grad = _NO_LOSS
        try:
            self._call(Event.before_batch)
            if not isinstance(self.xb, tuple):
                self.xb = _inputs_tuple(self.xb)
            with self.forward_context():
                # Validation runs the plain model: a wrapper's collectives (DDP's buffer broadcast) would hang
                # when processes hold different numbers of validation batches.
                wrapped = self.forward_model if self.training else None
                try:
                    self.pred = (wrapped or self.model)(*self.xb)
                except RuntimeError as error:
                    if wrapped is not None and "find_unused_parameters" in str(error):
                        raise ConfigError(
                            "the model has trained parameters its forward pass did not use, which a distributed "
                            "fit must be told of: distribute(learn, find_unused_parameters=True), or freeze them"
                        ) from error
                    _explain_raw_pixels(self, error)
                    _explain_input_dtype(self, error)
                    _note_forward_error(self, error)
                    raise
                except _CANCELS:
                    raise
                except Exception as error:
                    _note_forward_error(self, error)
                    raise
                self._call(Event.after_pred)
                if self.training and not self._loss_checked:
                    _refuse_wider_output(self)
                try:
                    if self.training and not self._loss_checked:
                        self.loss = _first_loss(self)
                        self._loss_checked = True
                    else:
                        self.loss = self.compute_loss(self.pred, self.yb)
                except (ValueError, RuntimeError, AttributeError, TypeError, IndexError) as error:
                    _explain_output_mismatch(self, error)
                    if isinstance(error, TypeError):
                        _note_loss_call(self, error)
                    raise
            _check_loss_tensor(self)
            _check_one_number(self)
            self.loss_grad = self.loss
            self._call(Event.after_loss)
            # What is logged, detached: float(learn.loss) in a later event gave torch's requires_grad warning on
            # every batch. loss_grad, what backward() is called on, keeps the graph.
            self.loss = self.loss.detach()
            if self.training:
                self._backward_and_step()
        except CancelBatch:
            pass
        if self.training:
            self.iteration += (
                1  # batches passed (a cancelled one too): what after_batch, schedules and checkpoints see
            )
        self._call(Event.after_batch)

    def compute_loss(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss of one batch; override to add terms (regularisers) without touching the loop. torch's own
        element-wise losses (``nn.MSELoss()``, ``nn.BCEWithLogitsLoss()``...) take one output a row, ``(N, 1)``,
        against targets ``(N,)`` as fastai's and Keras' do: the output's last axis is dropped (and a binary
        loss reads class numbers as floats), where torch would broadcast or refuse."""
        return self.loss_func(*_flat_for(self.loss_func, pred, target))

    def batch_weight(self, target: torch.Tensor) -> int:
        """How much a batch's mean loss counts in an epoch's mean: its rows; a tagger counts its words."""
        return len(target)

    def activate(self, output: torch.Tensor, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Raw outputs of a batch -> what metrics and ``get_preds`` receive: the task's activation
        (probabilities); an application may decode instead (a tagger's best tag path, read with the inputs'
        padding)."""
        if not isinstance(output, torch.Tensor):
            raise ConfigError(
                f"the model returned a {type(output).__name__}, but metrics and predictions read one tensor of "
                "outputs: return a tensor from forward, subclass Learner and override activate(output, inputs) "
                "to pick the predictions out, or pass metrics=[]"
            )
        return self.task.activate(output)

    def _backward_and_step(self) -> None:
        # A closed-form model's fit builds no optimizer; a training batch run all the same needs one
        if self.opt is None:
            self.set_lrs(self._default_lr())
        assert self.opt is not None
        self._call(Event.before_backward)
        self.loss_grad.backward()
        stepped = False
        try:  # CancelStep may come from after_backward (gradient accumulation) as well as before_step
            self._call(Event.after_backward)
            self._call(Event.before_step)
            self.opt.step()
            stepped = True
            self._call(Event.after_step)
            self.opt.zero_grad(set_to_none=True)
        except CancelStep:
            # In after_step the step has been taken: keeping its gradients would add them into the next step
            # too (applied twice). Nothing is left to cancel there; the fit says so (a ConfigError, in _fit).
            if stepped:
                raise
        except _CANCELS:
            # The batch's gradient is in .grad by now: dropped with the batch, or the next step would add it in
            # (a callback skipping a batch whose gradient spiked saw it come back one step later). Under
            # GradientAccumulation the gradients the group gathered so far are one sum and go with it. So for
            # every cancel that leaves the batch (CancelTrain, CancelEpoch and CancelFit too): the next epoch's
            # first step, or a later fit's, would otherwise apply this half-done batch's gradient.
            self._drop_gradients()
            raise

    def _on_device(self, loader: Iterable[Any]) -> Iterable[Any]:
        mover = getattr(loader, "to", None)
        return mover(self.device) if callable(mover) else _DeviceLoader(loader, self.device)

    # ------------------------------------------------------------------------------------ evaluation
    def validate(self, loader: Any = VALIDATION_SET) -> dict[str, float]:
        """Loss and metrics on ``loader`` (default: the validation set), without training.

        ``loader`` is a loader of ``(inputs..., target)`` batches (``data.valid``, ``data.test``), or, for the
        Learner of a table, a text classifier or images, new labelled examples as :meth:`loader_for` reads them: a
        DataFrame or a table file's path (a table's rows; a text classifier's texts and labels), a folder of class
        folders (images), preprocessed with the Learner's own recipe (never fitted again) and scored in the order
        given. Rows without their target are left out of the scores, with a warning that counts them, as a test
        set's are (:func:`~trainwell.data.io.labelled_rows`).

        ``loader=None`` is refused rather than read as the default: it is what ``learn.validate(data.test)``
        passes when the data was built without a test set, and the validation rows would answer in its place.

        A multi-label model whose thresholds were chosen on the validation rows (``fit_table`` and the other
        one-call pipelines choose them) scores its ``f1``, ``accuracy`` and ``error_rate`` on those very rows at
        them, which flatters it: ``validate()`` on them warns, and names the cross-fitted figures of the fit
        (``f1_tuned`` in ``learn.history[-1]``) to read instead; new rows give an honest figure, with no warning.

        Returns ``{"loss": ..., metric name: value}``, whose loss also reads as ``"valid_loss"``
        (``learn.validate()["valid_loss"]``), the name ``learn.history`` and ``EarlyStopping(monitor=)`` use; it
        is listed once, as ``"loss"``, and printed as ``valid_loss`` (:class:`ValidationScores`). A regression
        model of several targets also gets each target's value in its own units, ``"rmse[price]"``,
        ``"r2[area]"``..., after the headlines, which pool the targets (r2 averaged over targets, rmse and mae in
        each target's standard deviations, averaged): see :mod:`trainwell.metrics.targets`. ``learn.history``
        rows hold the same metric keys, the loss as ``valid_loss`` beside ``train_loss`` (``validate`` may be
        given any loader, so its loss is ``loss``).

        Example:
            >>> learn.validate()  # doctest: +SKIP
            {'valid_loss': 0.12, 'rmse': 0.31, 'rmse[price]': 40210.5, 'rmse[area]': 6.2, 'mae': ..., 'r2': ...}
            >>> learn.validate(new_rows_df)  # doctest: +SKIP
            {'valid_loss': 0.35, 'accuracy': 0.84, ...}
        """
        from trainwell.learner._evaluate import evaluate
        from trainwell.learner.label_thresholds import warn_in_sample_thresholds

        chosen = self._chosen_loader(loader, "learn.validate")
        results = ValidationScores(evaluate(self, chosen))
        if chosen is not None and chosen is self.thresholds_chosen_on:
            warn_in_sample_thresholds(self, results)
        return results

    def tta(self, *args: Any, **kwargs: Any) -> Any:
        """Test-time augmentation: for image learners only. This Learner has no images to view, so it refuses in
        one line (a :class:`ConfigError`) naming where TTA lives, rather than failing with an AttributeError."""
        raise ConfigError(
            f"learn.tta() is for image learners: this {type(self).__name__} has no images to view; use "
            "trainwell.vision.vision_learner(...).tta(), or trainwell.load(image_model_dir).predict(images, tta=True)"
        )

    def get_preds(
        self,
        loader: Any = VALIDATION_SET,
        *,
        activate: bool = True,
        with_targets: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Predictions over ``loader`` (default: validation) in order, activated by the task unless told not to.

        ``loader`` is a loader, or new examples as :meth:`validate` takes them, for which the targets are
        optional: rows without the target column(s) give ``(predictions, None)``. Where the column is there but
        some rows lack their target, those rows are left out with a warning that counts them (their predictions
        and targets stay side by side); ``with_targets=False`` predicts every row.

        ``loader=None`` is refused, as by :meth:`validate`: ``learn.get_preds(data.test)`` without a test set
        would otherwise give the validation rows' predictions."""
        from trainwell.learner._evaluate import predictions

        targets = "optional" if with_targets else "none"
        chosen = self._chosen_loader(loader, "learn.get_preds", targets=targets)
        with_targets = with_targets and getattr(chosen, "targets_known", True)
        return predictions(self, chosen, activate, with_targets)

    def show_results(self, n: int = 8) -> pd.DataFrame:
        """The first ``n`` validation rows as read, beside their actual and predicted values (and, for a classifier,
        the probability of the class predicted): a table's columns, a text classifier's texts, a tagger's
        sentences (words, actual and predicted tags, and how many are wrong), a ratings model's user and item. Only
        the batches that hold those rows are predicted. Images draw a PNG grid instead
        (:meth:`~trainwell.vision.VisionLearner.show_results`).

        Raises:
            ConfigError: ``n`` is a path (only images draw a PNG: save the table with ``.to_csv``), the data has no
                validation set, or the Learner is a language model (``learn.generate`` shows what it writes).

        Example:
            >>> learn.show_results(3)  # doctest: +SKIP
               age  workclass  ...  actual predicted  probability
            12  39  State-gov  ...   <=50K     <=50K        0.93
        """
        from trainwell.learner.show_results import show_results

        return show_results(self, n)

    def loader_for(self, examples: Any, *, with_targets: bool = True) -> Iterable[Any]:
        """A loader of new examples, read as the training data was, in the order given and never shuffled: what
        :meth:`validate` and :meth:`get_preds` build when given examples rather than a loader (fastai's
        ``dls.test_dl``), to pass to them, to :meth:`~trainwell.vision.VisionLearner.tta` or to an interpretation.

        ``examples``: for a table's Learner, a DataFrame or a table file's path (CSV, TSV, Parquet, JSON) holding
        the input columns; for a text classifier's, a DataFrame or a table file holding the text column(s); for
        images, a folder of class folders, a list of image paths (without targets) or a CSV / DataFrame of paths
        and labels in the training CSV's columns. The preprocessing is the Learner's recipe as fitted on the
        training data (category codes, scaling, vocabulary, image size): nothing is fitted again.
        ``with_targets``: the examples hold their targets (rows without one are left out, with a warning);
        ``False`` reads the inputs alone, every row.

        Raises:
            ConfigError: ``examples`` is something else, or the Learner is of another kind (a loader is needed).
            DataError: The examples lack an input column, or ``with_targets`` and their target.
        """
        return self._examples_loader(examples, "learn.loader_for", "required" if with_targets else "none")

    def _chosen_loader(self, loader: Any, method: str, *, targets: str = "required") -> Iterable[Any] | None:
        """``loader`` as ``method`` reads it: the validation set for the default, a loader as given, new examples
        read by :meth:`_examples_loader` (``targets``: ``"required"``, ``"optional"`` or ``"none"``)."""
        if loader is VALIDATION_SET:
            return self.data.valid
        if loader is None:
            raise ConfigError(
                f"{method}(None): there is no data to read; a DataBundle's test is None when it was built "
                f"without one (pass test= to tabular_data, ratings_data...), and {method}() reads the validation set"
            )
        if _is_examples(loader):
            return self._examples_loader(loader, method, targets)
        _check_is_loader(loader, method)
        if targets == "required" and getattr(loader, "targets_known", True) is False:
            raise ConfigError(
                f"{method} needs the examples' targets, and this loader was read without them "
                "(learn.loader_for(examples, with_targets=False)): read labelled examples with with_targets=True"
            )
        return cast("Iterable[Any]", loader)

    def _examples_loader(self, examples: Any, method: str, targets: str) -> Iterable[Any]:
        """New examples (a DataFrame, a file or folder, a list of paths) as a loader of the application's: each
        application's learner module has a ``new_examples_loader`` (found by name, a layer above)."""
        module = _READS_EXAMPLES.get(self.data.application)
        if module is None:
            raise ConfigError(
                f"{method} reads a table's rows, texts or images only for the Learner of a table, a text "
                f"classifier or images; this one's data is {self.data.application!r}: pass a loader of "
                "(inputs..., target) batches (data.valid, data.test, tensor_data(x, y, valid_pct=0).train)"
            )
        loader, known = importlib.import_module(module).new_examples_loader(
            self, examples, method=method, targets=targets
        )
        # Whether its targets are the examples' or stand-ins, which get_preds gives as None and scores refuse.
        loader.targets_known = known
        return cast("Iterable[Any]", loader)

    @property
    def data(self) -> DataBundle:
        """The DataBundle trained on. Another one may be set (the next task of continual learning, more rows)
        when its task has the same kind and classes: the loss, the metrics and the model's outputs were made
        for the Learner's task; an application may ask more (:meth:`check_new_data`: a text model's vocabulary)."""
        return self._data

    @data.setter
    def data(self, data: DataBundle) -> None:
        if not isinstance(data, DataBundle):
            raise ConfigError(
                f"learn.data must be a DataBundle (see tabular_data or tensor_data), got {type(data).__name__}"
            )
        task = getattr(self, "task", None)
        if task is not None and (data.task.kind, data.task.classes) != (task.kind, task.classes):
            if data.task.kind == task.kind and task.classes and data.task.classes:
                raise ConfigError(
                    _other_classes_advice(task, data.task, str(getattr(data, "application", "generic")))
                )
            raise ConfigError(
                f"learn.data: the new data's task ({_describe_task(data.task)}) is not the Learner's "
                f"({_describe_task(task)}), whose loss, metrics and outputs were made for it; build a Learner for "
                "it on the same model instead, Learner(learn.model, new_data, ...), replacing the model's head if "
                "the number of outputs differs"
            )
        if task is not None:
            self.check_new_data(data)
        self._data = data

    def check_new_data(self, data: DataBundle) -> None:
        """Refuse a DataBundle set in place of :attr:`data` (whose task is the Learner's) that the model cannot
        read as it read the first: applications override it (a text model's vocabulary gives its embedding's
        rows their words). Raises :class:`ConfigError`; takes anything here."""

    # --------------------------------------------------------------------------------------- saving
    def save_checkpoint(self, path: str | Path, settings: Mapping[str, Any] | None = None) -> Path:
        """Write everything needed to resume exactly: weights, optimizer, position, RNG states, history, with
        ``settings`` (plain values describing the run) kept beside them (:func:`read_checkpoint` reads them).

        In a distributed fit every process must call it (each hands rank 0 its own RNG states and partial sums;
        rank 0 writes the file), as the :class:`~trainwell.callbacks.Checkpoint` callback does.

        A relative ``path`` is under :attr:`path`, as :meth:`save` and ``Checkpoint`` write theirs, so that
        ``resume_from=`` finds it by the same name (one that already starts with :attr:`path`, such as
        ``learn.path / "ck.pt"``, is taken as it is). Returns the file written."""
        return _checkpoint.save(self, _checkpoint.under(self.path, path), settings)

    def save(self, path: str | Path) -> Path:
        """Write the model's weights to a ``.safetensors`` file (the suffix added when missing; a relative path
        is under :attr:`path`), to come back to with :meth:`load`: fastai's ``learn.save``, without pickle. The
        weights alone: :meth:`save_checkpoint` keeps the optimizer and the schedule to resume a fit, and
        :meth:`export` a model directory to predict with."""
        from safetensors.torch import save

        from trainwell.core.atomic import write_bytes_atomic

        target = _weights_path(self.path, path)
        # a torch.compile'd model's own module: its keys, as export writes them
        model = _checkpoint.plain_model(self.model)
        state = {key: value.detach().to("cpu").contiguous() for key, value in model.state_dict().items()}
        return write_bytes_atomic(target, save(state, metadata={"model": type(model).__name__}))

    def load(self, path: str | Path) -> Learner:
        """Put back weights :meth:`save` wrote (or a model directory's, or any ``.safetensors`` of this model's
        layers); every layer must match by name and shape, or nothing is loaded. Returns the learner.

        A ``torch.compile``'d model saves and loads its original module's weights, as :meth:`export` does, so
        files pass between the compiled model and the plain one either way."""
        from safetensors.torch import load_file

        source = Path(path)
        if source.is_dir() and (source / "model.safetensors").is_file():
            source = source / "model.safetensors"
        else:
            source = _weights_path(self.path, path)
            if not source.is_file():
                # a file named otherwise ('weights.pt'): read as safetensors if it is one, refused below if not
                given = Path(path)
                source = next(
                    (f for f in dict.fromkeys([self.path / given, given]) if f.is_file()),
                    source,
                )
        if not source.is_file():
            given = Path(path)
            near = [
                f.with_name(f.name + suffix)
                for f in dict.fromkeys([self.path / given, given])
                for suffix in (".pt", ".pth", ".bin")
                if not given.suffix and f.with_name(f.name + suffix).is_file()
            ]
            beside = f" ('{near[0]}' exists: pass its whole name)" if near else ""
            raise ConfigError(
                f"no weights at '{source}'{beside}; pass the file learn.save wrote, or a model directory"
            )
        model = _checkpoint.plain_model(self.model)
        try:
            loaded = load_file(str(source))
        except Exception as error:  # safetensors' SafetensorError, an OSError: not a safetensors file
            raise ConfigError(
                f"'{source}' exists but is not a safetensors file (what learn.save writes and learn.load reads; "
                "a torch.save'd state dict is a pickle): load a state dict with "
                f"learn.model.load_state_dict(torch.load('{source}', weights_only=True)), then learn.save(name) "
                "writes it as safetensors"
            ) from error
        # files saved from a compiled model's wrapper ('_orig_mod.' keys) too
        state = _checkpoint.plain_keys(loaded)
        own = model.state_dict()
        missing = [key for key in own if key not in state]
        unexpected = [key for key in state if key not in own]
        reshaped = [key for key in own if key in state and state[key].shape != own[key].shape]
        if missing or unexpected or reshaped:
            said = "; ".join(
                f"{what} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                for what, keys in (
                    ("missing", missing),
                    ("not in this model", unexpected),
                    ("shaped otherwise", reshaped),
                )
                if keys
            )
            hint = _checkpoint.compile_hint(missing, unexpected)
            raise ConfigError(
                f"'{source}' holds the weights of another model ({said}){hint}; load weights saved from this "
                "architecture and data (the same classes, vocabulary, columns)"
            )
        model.load_state_dict({key: state[key].to(own[key].device) for key in own})
        return self

    def predict(self, inputs: Any, **options: Any) -> Any:
        """Decoded predictions for new raw inputs, as the exported model gives them: ``learn.predict(rows)``
        is ``trainwell.load(learn.export(dir)).predict(rows)`` without the files.

        ``inputs`` are what the application's predictor reads: a DataFrame of rows (tables), images (paths,
        bytes, Pillow images, arrays), texts, ``(user, item)`` pairs, or tensors for a model on your own
        architecture; the recipe (category codes, normalisation, vocabulary) is applied as at training, and the
        answer is a table: ``prediction`` and ``probability_<class>`` columns (a binary task's positive class
        alone, every class otherwise), or the values.
        ``options`` go to the predictor's ``predict`` (``tta=True`` for images; ``at_least_one=True`` for a
        multi-label model: a row with no label over its threshold gets its likeliest label). Each call copies
        the weights: for many calls, take ``learn.predictor()`` once.

        A model of your own on tensors (``tensor_data``) predicts in memory as it is; only :meth:`export` (and
        ``trainwell.load``) need it registered to rebuild it by name.

        Raises:
            ConfigError: The model of an application's data (a table's, images', texts') cannot be rebuilt by name
                (no ``learn.model_spec``: see :meth:`export`), or ``at_least_one=True`` for a model that is not
                multi-label.
        """
        from trainwell.data.at_least_one import refuse_at_least_one

        # Said before the weights are copied, and for every predictor alike (each predictor's own predict refuses
        # it too, saying what its model answers instead).
        refuse_at_least_one(
            self.task,
            bool(options.get("at_least_one")),
            application=str(getattr(self.data, "application", None) or "generic"),
        )
        return self.predictor().predict(inputs, **options)

    def predictor(self) -> Any:
        """The predictor ``trainwell.load`` would return for :meth:`export`'s directory, built in memory from
        this Learner (a copy of its weights, in eval mode: training on changes nothing in it); for a model of your
        own on tensors that is not registered, a copy of the model itself."""
        from trainwell.learner._export import learner_predictor

        return learner_predictor(self)

    def export(self, path: str | Path = "model", *, extra_files: dict[str, bytes] | None = None) -> Path:
        """Write a safe artifact: ``model.safetensors`` + ``trainwell.json`` (see :mod:`trainwell.export`), in
        ``model/`` by default, as ``trainwell fit`` writes it.

        A relative ``path`` is from the working directory, not under :attr:`path` (where :meth:`save`,
        :meth:`save_checkpoint` and ``Checkpoint`` write files a fit reads back): a model directory is what
        ``trainwell.load(path)``, ``trainwell predict PATH`` and ``serve`` are given, and they read it from the
        working directory too. For one beside the checkpoints, pass ``learn.path / "model"``."""
        from trainwell.learner._export import export_learner

        return export_learner(self, path, extra_files=extra_files)

    def __repr__(self) -> str:
        return (
            f"Learner(model={type(self.model).__name__}, task={self.task.kind}, "
            f"loss={type(self.loss_func).__name__}, opt={self.opt_name!r}, device={self.device})"
        )


#: The most of a :class:`~trainwell.callbacks.TimeBudget`'s remaining time that ``fine_tune``'s frozen phase
#: may use; it takes less when its epochs are done sooner.
FROZEN_SHARE = 0.25

_NORM_LAYERS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def _other_classes_advice(task: Any, new: Any, application: str) -> str:
    """What to do when new data has the Learner's kind of task but other classes: a Learner built on the new
    data alone codes its classes from 0 again (digits 5..9 as 0..4) onto the outputs the old classes trained,
    overwriting them in silence, so both bundles must share one task that holds every class."""
    merged = list(task.classes) + [label for label in new.classes if label not in task.classes]
    with contextlib.suppress(TypeError):
        merged = sorted(merged)
    shown = ", ".join(map(repr, merged[:12])) + (", ..." if len(merged) > 12 else "")
    said = (
        f"learn.data: the new data's classes ({_describe_task(new)}) are not the Learner's "
        f"({_describe_task(task)}), whose outputs were made for these; a Learner built on the new data alone would "
        "code its classes from 0 again onto the outputs the old ones trained, overwriting them: "
    )
    if application not in ("generic", "vision"):  # a table's or a text's data infers its task from its rows
        return (
            said
            + "train on data that holds every class (the old rows with the new), with a model of that many outputs"
        )
    if application == "generic":
        return said + (
            f"build the first data with every class, tensor_data(x, y, classes=({shown})), and a model of "
            f"{len(merged)} outputs, then the new data like it, learn.data = tensor_data(x_new, y_new, like=learn.data)"
        )
    return said + (
        f"build both bundles on one task that holds every class, task = trainwell.Task({task.kind!r}, "
        f"classes=({shown})), passed as image_data(..., task=task) for the first data and the new one, with a model "
        f"of {len(merged)} outputs, then set learn.data"
    )


def _shown_slice(lr: slice) -> str:
    return f"slice({'None' if lr.start is None else format(lr.start, 'g')}, {format(lr.stop, 'g')})"


def _describe_task(task: Any) -> str:
    shown = ", ".join(map(str, task.classes[:6])) + (", ..." if len(task.classes) > 6 else "")
    return f"{task.kind} of {shown}" if task.classes else task.kind


#: Metrics every Learner built with the task's default metrics scores besides them, inside :func:`scoring_also`.
_ALSO_SCORED: ContextVar[tuple[str, ...]] = ContextVar("trainwell_also_scored", default=())


@contextlib.contextmanager
def scoring_also(names: Sequence[str]) -> Iterator[None]:
    """Inside, a Learner given no ``metrics=`` scores ``names`` besides its task's own: a search judged by a
    metric the task does not report by default (``tune --metric log_loss``) reads it in every trial's row,
    whichever application builds the trial's learner."""
    token = _ALSO_SCORED.set(tuple(names))
    try:
        yield
    finally:
        _ALSO_SCORED.reset(token)


def _build_metrics(task: Any, metrics: Sequence[MetricLike] | None) -> list[Metric]:
    """The Learner's metric objects: the task's defaults for ``None`` (with any :func:`scoring_also` adds), none
    for an empty list."""
    if isinstance(metrics, str | Metric) or callable(metrics):
        shown = getattr(metrics, "__name__", None) or repr(metrics)
        raise ConfigError(f"metrics must be a list, e.g. metrics=[{shown}], got one {type(metrics).__name__}")
    if metrics is None:
        chosen = [*task.metric_names, *(name for name in _ALSO_SCORED.get() if name not in task.metric_names)]
    else:
        chosen = list(metrics)
        for metric in chosen:
            if callable(metric) and not isinstance(metric, str | Metric | type):
                _refuse_metric_signature(metric)  # said now, not after a whole training epoch
    built = [
        m
        if isinstance(m, Metric)
        else get_metric(m, task.kind, threshold=task.decision_threshold, classes=task.classes)
        for m in chosen
    ]
    names = [metric.name for metric in built]
    clash = next((name for name in names if names.count(name) > 1 or name in RESERVED_NAMES), None)
    if clash is not None:
        raise ConfigError(
            f"two metrics, or a metric and a history column, are both named {clash!r} (metrics: "
            f"{', '.join(names)}); each needs a name of its own: trainwell.metrics.metric_function(fn, name=...)"
        )
    return built


def _batches_from(loader: Iterable[Any], start: int) -> Iterator[Any]:
    iter_from = getattr(loader, "iter_from", None)
    if callable(iter_from):
        return iter_from(start)
    iterator = iter(loader)
    for _ in range(start):
        next(iterator, None)
    return iterator


class _DeviceLoader:
    """Wraps any iterable of batches (e.g. a torch DataLoader) and moves each batch to the device."""

    def __init__(self, loader: Iterable[Any], device: torch.device) -> None:
        self.loader = loader
        self.device = device

    def __len__(self) -> int:
        try:
            return len(self.loader)  # type: ignore[arg-type]
        except TypeError as error:
            raise ConfigError(
                f"the data ({_loader_name(self.loader)}) has no length, and the schedule needs the number of "
                "batches in an epoch: give the dataset a __len__, or wrap a stream in a map-style Dataset"
            ) from error

    def set_epoch(self, epoch: int) -> None:
        for target in (self.loader, getattr(self.loader, "sampler", None)):
            setter = getattr(target, "set_epoch", None)
            if callable(setter):
                setter(epoch)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        non_blocking = self.device.type == "cuda"
        for batch in self.loader:
            if not isinstance(batch, (tuple, list)) or not all(isinstance(t, torch.Tensor) for t in batch):
                raise ConfigError(_batch_problem(batch, self.loader))
            yield tuple(t.to(self.device, non_blocking=non_blocking) for t in batch)


def _with_fit_callbacks(own: Iterable[Callback], given: Iterable[Callback]) -> list[Callback]:
    """The callbacks of one fit: the learner's ``own``, then those ``given`` to the fit, where a given callback of
    a kind that runs once a fit (``one_per_fit``: a :class:`~trainwell.callbacks.GradientClip`, a
    :class:`~trainwell.callbacks.MixedPrecision`) stands in for the learner's own of that kind."""
    given = list(given)  # each one is checked to be a Callback after, in _build_handlers
    replaced = {type(callback) for callback in given if getattr(callback, "one_per_fit", False)}
    return [*(callback for callback in own if type(callback) not in replaced), *given]


#: Where each application's learner module is, which reads new examples into a loader (``new_examples_loader``).
_READS_EXAMPLES = {
    "tabular": "trainwell.tabular.learner",
    "text": "trainwell.text.learner",
    "vision": "trainwell.vision.learner",
}


def _is_examples(thing: Any) -> bool:
    """Raw examples rather than a loader: a DataFrame, a file or folder's path, or a list of paths."""
    if isinstance(thing, (str, os.PathLike)) or type(thing).__name__ == "DataFrame":
        return True
    return (
        isinstance(thing, (list, tuple))
        and len(thing) > 0
        and all(isinstance(item, (str, os.PathLike)) for item in thing)
    )


def _check_is_loader(loader: Any, method: str) -> None:
    """Refuse in one line what is no loader of batches, before a batch is read (a DataBundle, an array...)."""
    if isinstance(loader, DataBundle):
        found = "a DataBundle, which holds several loaders: pass one, data.valid or data.test"
    elif isinstance(loader, torch.Tensor) or (hasattr(loader, "shape") and hasattr(loader, "dtype")):
        found = (
            f"a {type(loader).__name__} (tensor_data(x, y, valid_pct=0).train makes a loader of inputs and targets; "
            "learn.predict(x) predicts without targets)"
        )
    elif (
        isinstance(loader, (tuple, list))
        and loader
        and all(isinstance(part, torch.Tensor) for part in loader)
    ):
        found = (
            f"a {type(loader).__name__} of {len(loader)} tensors, which reads as one batch per tensor: wrap one "
            "batch in a list, [(x, y)], or make a loader of them, trainwell.TensorLoader((x, y), batch_size=64)"
        )
    elif (
        isinstance(loader, (Mapping, bytes))
        or type(loader).__name__ == "Series"
        or not hasattr(loader, "__iter__")
    ):
        found = f"an object of type {type(loader).__name__}"
    else:
        return
    raise ConfigError(
        f"{method} takes a loader of (inputs..., target) batches (data.valid, data.test) or, for the Learner of a "
        f"table, a text classifier or images, new examples (a DataFrame or a table file; a folder or a list of "
        f"image paths); got {found}"
    )


def _loader_name(loader: Any) -> str:
    dataset = getattr(loader, "dataset", None)
    return type(loader).__name__ + (f" over a {type(dataset).__name__}" if dataset is not None else "")


def _batch_problem(batch: Any, loader: Any) -> str:
    """One line on a batch the loop cannot read: it reads ``(inputs..., target)``, a tuple of tensors."""
    if isinstance(batch, dict):
        found = f"a dict (keys {', '.join(map(repr, list(batch)[:6]))})"
    elif isinstance(batch, (tuple, list)):
        kinds = ", ".join(type(t).__name__ for t in batch[:6])
        found = f"a {type(batch).__name__} of {kinds}"
    else:
        found = f"a {type(batch).__name__}"
    return (
        f"a batch of {_loader_name(loader)} is {found}; the Learner reads each batch as a tuple of tensors, "
        "(inputs..., target): return tuples of tensors from the dataset (or a collate_fn that builds them)"
    )


_CANCELS = (CancelBatch, CancelStep, CancelTrain, CancelValidate, CancelEpoch, CancelFit)
#: Events every callback sees even when one of them cancels: a Cancel raised there (CancelFit in after_epoch, by a
#: callback that stops the fit on its own rule) takes effect once the others have run, so the finished epoch is
#: printed, logged, checkpointed and weighed for the best model whichever callback ends the fit, whatever its
#: order. The first Cancel raised is the one raised.
_SEEN_BY_EVERY_CALLBACK = frozenset({Event.after_epoch})
#: Where each Cancel exception is caught: raised anywhere else, it would end the fit with nothing cancelled.
_CANCEL_EVENTS = {
    "CancelBatch": "in a batch's events from before_batch to after_step (not after_batch)",
    "CancelStep": "in after_backward or before_step",
    "CancelTrain": "during the training phase, from before_train to the last training batch's after_batch",
    "CancelValidate": "during validation, from before_validate to the last validation batch's after_batch",
    "CancelEpoch": "during an epoch, from before_epoch to after_validate",
    "CancelFit": "before after_fit, from before_fit to after_epoch",
}


def _inputs_tuple(xb: Any) -> tuple[Any, ...]:
    """``learn.xb`` that a callback set to something other than a tuple of inputs: a list is taken as one, anything
    else refused (the loop calls ``model(*learn.xb)``, which spread a tensor of 32 rows into 32 arguments:
    "forward() takes 2 positional arguments but 33 were given")."""
    if isinstance(xb, list):
        return tuple(xb)
    raise ConfigError(
        f"learn.xb must be a tuple of inputs (got a {type(xb).__name__}): write learn.xb = (x,)"
    )


def _misplaced_because(kind: str, event: str, training: bool) -> str:
    """Why a ``CancelStep`` raised in ``event`` cancels nothing, said for that event (the reason for after_step
    alone was given for every one: "by after_step the optimizer has stepped" for a raise in after_loss)."""
    if kind != "CancelStep":
        return ""
    if event == Event.after_step.value:
        return ": by after_step the optimizer has stepped"
    if event in _BATCH_EVENTS and not training:
        return ": validation takes no optimizer step (CancelBatch skips a validation batch)"
    if event == Event.after_batch.value:
        return ": by after_batch the batch's step is done"
    if event in _BATCH_EVENTS:
        return (
            f": in {event} the batch has no gradient yet, so its step is still to come (CancelBatch skips the "
            "whole batch)"
        )
    return f": {event} is outside a batch's step, so there is no step to cancel"


_BATCH_EVENTS = {
    event.value
    for event in (
        Event.before_batch,
        Event.after_pred,
        Event.after_loss,
        Event.before_backward,
        Event.after_backward,
        Event.before_step,
        Event.after_step,
        Event.after_batch,
    )
}

#: ``learn.loss`` of a batch that has computed none yet (cancelled in ``before_batch``, say): empty, so callbacks
#: that record losses pass it by.
_NO_LOSS = torch.empty(0)


def _check_groups_cover(model: nn.Module, groups: Sequence[nn.Module]) -> None:
    """Refuse a ``layer_groups()`` that leaves out trainable parameters: the optimizer is built from the groups,
    so those would silently keep their initial values."""
    grouped = {id(param) for group in groups for param in group.parameters()}
    missing = [
        name for name, param in model.named_parameters() if param.requires_grad and id(param) not in grouped
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ConfigError(
            f"{type(model).__name__}.layer_groups() leaves out trainable parameters {shown}: the optimizer would "
            "never update them; add the modules holding them to a group (or set requires_grad=False on them)"
        )


#: The start of the warning torch's regression losses (``mse_loss``, ``l1_loss``, ``huber_loss``...) give when
#: they broadcast an output and a target of different shapes, e.g. ``(N, 1)`` against ``(N,)`` into ``(N, N)``.
_BROADCAST_WARNING = "Using a target size"
#: What torch's ``binary_cross_entropy_with_logits`` and ``binary_cross_entropy`` raise for an output and a
#: target of different shapes.
_SHAPE_ERRORS = ("must be the same as input size", "that is different to the input size")


#: torch's losses that compare an output with a target element by element, so need them in one shape.
_ELEMENTWISE_LOSSES: tuple[type, ...] = (
    torch.nn.MSELoss,
    torch.nn.L1Loss,
    torch.nn.SmoothL1Loss,
    torch.nn.HuberLoss,
    torch.nn.BCEWithLogitsLoss,
)


def _flat_for(loss: Any, pred: Any, target: Any) -> tuple[Any, Any]:
    """``(pred, target)`` as ``loss`` takes them: for one of torch's element-wise losses, an output of one column
    a row, ``(N, 1)``, against targets ``(N,)`` loses its last axis (torch would compare every output with every
    target, or refuse), and a binary loss's class numbers (``0``/``1`` as integers) become floats; else as given."""
    if not isinstance(loss, _ELEMENTWISE_LOSSES):
        return pred, target
    if (
        isinstance(pred, torch.Tensor)
        and isinstance(target, torch.Tensor)
        and pred.dim() == target.dim() + 1
        and pred.shape[-1] == 1
        and pred.shape[:-1] == target.shape
    ):
        pred = pred.squeeze(-1)
    if (
        isinstance(loss, torch.nn.BCEWithLogitsLoss)
        and isinstance(target, torch.Tensor)
        and isinstance(pred, torch.Tensor)
        and not target.is_floating_point()
    ):
        target = target.to(pred.dtype)
    return pred, target


def _first_loss(learn: Learner) -> torch.Tensor:
    """The loss of a fit's first training batch, refusing one that broadcast the output against the target.

    A loss of the user's own such as ``nn.MSELoss()`` given outputs ``(N, 1)`` and targets ``(N,)`` compares
    every output with every target, ``(N, N)``, and only warns: the model trains towards the mean and reports a
    plausible loss. The task's default losses match the shapes themselves. Checked once per fit, so the other
    batches pay nothing.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_BROADCAST_WARNING, category=UserWarning)
        try:
            return learn.compute_loss(learn.pred, learn.yb)
        except UserWarning as warning:
            pred, target = learn.pred, learn.yb
            raise ConfigError(
                f"the loss ({_name(learn.loss_func)}) broadcast the model's output of shape {tuple(pred.shape)} "
                f"against the target of shape {tuple(target.shape)}, so it compared outputs with other rows' "
                "targets; return outputs shaped like the target from forward (e.g. .squeeze(-1)), or pass "
                "loss=None for the task's default loss, which matches the shapes"
            ) from warning
        except ValueError as error:
            if not any(text in str(error) for text in _SHAPE_ERRORS):
                raise
            pred, target = learn.pred, learn.yb
            raise ConfigError(
                f"the loss ({_name(learn.loss_func)}) needs the model's output and the target in one shape, got "
                f"{tuple(pred.shape)} and {tuple(target.shape)}; return outputs shaped like the target from forward "
                "(e.g. .squeeze(-1)), or pass loss=None for the task's default loss, which matches the shapes"
            ) from error


def _refuse_wider_output(learn: Learner) -> None:
    """Refuse a multiclass model with more outputs than the task has classes (10 logits on digits 0..4, read as 5
    classes): cross-entropy accepts it in silence and trains the extra outputs towards never, and ``get_preds``,
    the metrics and the exported model then give 10 probability columns for 5 classes. A Learner of an
    application that decodes outputs itself (its own :meth:`Learner.activate`) is left to it."""
    pred, task = learn.pred, learn.task
    if task.kind != "multiclass" or not isinstance(pred, torch.Tensor) or pred.dim() != 2:
        return
    if type(learn).activate is not Learner.activate:
        return
    width, expected = pred.shape[-1], task.n_outputs
    if width <= expected:
        return
    shown = ", ".join(map(repr, task.classes[:6])) + (", ..." if len(task.classes) > 6 else "")
    raise ConfigError(
        f"the model's output has {width} columns but the multiclass task has {expected} classes ({shown}), so "
        f"{width - expected} outputs would stand for no class and get_preds would give {width} probability "
        f"columns: give the model {expected} outputs, or, if the data holds only some of the classes the model "
        f"is for, build it with all {width}: tensor_data(x, y, classes=...)"
    )


def _check_one_number(learn: Learner) -> None:
    """Refuse a batch's loss that is not one number (a loss with ``reduction='none'``): ``backward()`` failed on it
    with torch's "grad can be implicitly created only for scalar outputs", and the logs read it as one."""
    loss = learn.loss
    if isinstance(loss, torch.Tensor) and loss.numel() != 1:
        raise ConfigError(
            f"the loss ({_name(learn.loss_func)}) gave a tensor of shape {tuple(loss.shape)} for a batch, not one "
            "number, which backward() and the logs need: keep the loss's default reduction='mean', or reduce it "
            "in an override of Learner.compute_loss (e.g. loss.mean(), or a weighted mean over the rows)"
        )


#: How a loss of one's own is fixed when it gives no tensor, or one without the model's graph.
_LOSS_FIX = (
    "return a tensor computed from pred with torch operations, keeping its graph (e.g. "
    "return ((pred - target) ** 2).mean(), not float(...) or .item()), or pass loss=None for the task's default loss"
)


def _check_loss_tensor(learn: Learner) -> None:
    """Refuse, naming the loss, a loss that gave no tensor (``return 0.5``: NanGuard's ``'float' object has no
    attribute 'detach'`` followed) or, on a fit's first training batch, a tensor cut from the model's output
    (``torch.tensor(loss.item())``: torch's "element 0 of tensors does not require grad" at ``backward()``)."""
    loss = learn.loss
    if not isinstance(loss, torch.Tensor):
        raise ConfigError(
            f"the loss ({_name(learn.loss_func)}) returned a {type(loss).__name__}, not a tensor, so there is "
            f"nothing to call backward() on: {_LOSS_FIX}"
        )
    if (
        learn.training
        and not learn._loss_checked_grad
        and torch.is_grad_enabled()
        and not getattr(learn.model, "closed_form", False)
    ):
        learn._loss_checked_grad = True
        if not loss.requires_grad:
            raise ConfigError(
                f"the loss ({_name(learn.loss_func)}) returned a tensor that does not come from the model's "
                "output (no gradient: it was made with .item(), .detach(), torch.tensor(...) or NumPy), so "
                f"backward() cannot train the model: {_LOSS_FIX}"
            )


def _note_loss_call(learn: Learner, error: TypeError) -> None:
    """Say how trainwell called the loss when it raised a ``TypeError`` (``my_loss() takes 1 positional
    argument but 2 were given``)."""
    add_note(
        error,
        f"trainwell: raised by the loss ({_name(learn.loss_func)}), called as loss(pred, target) with pred "
        f"{shapes_of([learn.pred])} (the model's output) and target {shapes_of([learn.yb])}; a loss takes those two "
        "and returns one tensor computed from pred",
    )


def _note_forward_error(learn: Learner, error: Exception) -> None:
    """Say which model failed on which batch, once (a note on the error as it passes)."""
    model = type(learn.model).__name__
    phase = "training" if learn.training else "validation"
    add_note(
        error,
        f"trainwell: raised in {model}.forward during fit, on {phase} batch {learn.batch_index} of epoch "
        f"{learn.epoch + 1} with inputs {shapes_of(learn.xb)} (target {shapes_of([learn.yb])}); the model is called "
        "as model(*inputs), the batch's tensors but the last",
    )


def _signature_refused(function: Any, n_args: int) -> str | None:
    """``function``'s signature when inspect can tell it cannot be called with ``n_args`` positional arguments,
    ``None`` otherwise (it can, or inspect cannot tell: a builtin, an object of an odd kind)."""
    # a module is called through its forward, unless its class defines __call__ itself (TaggingLoss)
    own_call = isinstance(function, nn.Module) and type(function).__call__ is not nn.Module.__call__
    target = function.forward if isinstance(function, nn.Module) and not own_call else function
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*([None] * n_args))
    except TypeError:
        empty = inspect.Parameter.empty
        plain = [parameter.replace(annotation=empty) for parameter in signature.parameters.values()]
        return str(signature.replace(parameters=plain, return_annotation=empty))  # "(pred)", not its types
    return None


def _refuse_loss_signature(loss: Any) -> None:
    shown = _signature_refused(loss, 2)
    if shown is not None:
        name = _name(loss)
        raise ConfigError(
            f"the loss {name}{shown} cannot be called as loss(pred, target), which is how a fit calls it (pred: "
            f"the model's output, target: the batch's last tensor); define it as def {name}(pred, target) "
            "returning one tensor computed from pred"
        )


def _refuse_metric_signature(metric: Any) -> None:
    from trainwell.metrics.function import MetricFunction

    function = metric.function if isinstance(metric, MetricFunction) else metric
    shown = _signature_refused(function, 2)
    if shown is not None:
        name = _name(function)
        raise ConfigError(
            f"the metric function {name}{shown} cannot be called as fn(preds, targets), which is how it is "
            "scored (once per validation pass, on the whole set's predictions and targets); define it as "
            f"def {name}(preds, targets) -> float"
        )


def _callback_list(callbacks: Any) -> list[Callback]:
    """``callbacks`` as a list: one callback object given alone (``callbacks=GradientClip(1.0)``) is a list of
    one, as fastai's ``cbs=`` takes it (it raised ``'GradientClip' object is not iterable``)."""
    if isinstance(callbacks, Callback) or (isinstance(callbacks, type) and issubclass(callbacks, Callback)):
        return [callbacks]  # type: ignore[list-item]  # a class is refused in one line by _check_callback
    try:
        return list(callbacks)
    except TypeError:
        _check_callback(callbacks)  # a Keras or Lightning callback, a function: refused naming what it is
        raise


def _explain_output_mismatch(learn: Learner, error: Exception) -> None:
    """Raise a one-line error when the loss failed because the model's output does not have the task's width
    (a two-logit model on a target read as binary, say); return otherwise, leaving ``error`` to propagate."""
    pred, task = learn.pred, learn.task
    if not isinstance(pred, torch.Tensor):
        raise ConfigError(
            f"the model returned a {type(pred).__name__}, not a tensor, and the loss ({_name(learn.loss_func)}) "
            "failed on it; return one tensor of outputs from forward, or pass a loss that reads what it returns"
        ) from error
    expected = task.n_outputs
    if task.kind == "language_model" or pred.dim() < 2 or pred.shape[-1] == expected or expected < 1:
        return
    if task.kind == "binary":
        hint = (
            f"the target has two values ({', '.join(map(str, task.classes))}), read as one binary output; "
            "give the model 1 output, or read the target as classes with task='multiclass'"
        )
    else:
        hint = f"give the model {expected} output{'s' if expected > 1 else ''}"
    raise ConfigError(
        f"the model's output has {pred.shape[-1]} columns but the {task.kind} task needs {expected} "
        f"(shape {tuple(pred.shape)}): {hint}"
    ) from error


def _explain_input_dtype(learn: Learner, error: RuntimeError) -> None:
    """Raise a one-line error when the model failed on floating inputs of another dtype than its weights: a
    loader of your own over NumPy arrays gives float64 ("mat1 and mat2 must have the same dtype, but got Double
    and Float"), which :func:`~trainwell.data.tensor_data` casts and a torch ``DataLoader`` does not. Returns
    otherwise, leaving ``error`` to propagate."""
    said = str(error)
    if "dtype" not in said and "type" not in said:
        return
    weights = next((p.dtype for p in learn.model.parameters() if p.is_floating_point()), None)
    given = next(
        (
            x.dtype
            for x in learn.xb
            if isinstance(x, torch.Tensor) and x.is_floating_point() and x.dtype != weights
        ),
        None,
    )
    if weights is None or given is None:
        return
    raise ConfigError(
        f"the model's weights are {str(weights).removeprefix('torch.')} but the batch's inputs are "
        f"{str(given).removeprefix('torch.')} (NumPy's default float is float64): cast them where your loader "
        "reads them (torch.as_tensor(x, dtype=torch.float32), x.astype('float32')), or build the data with "
        "tensor_data, which casts"
    ) from error


#: What torch says when a layer of floats is given ``uint8`` inputs ("Input type (unsigned char) and bias type
#: (float) should be the same", "mat1 and mat2 must have the same dtype, but got Byte and Float", "... not
#: implemented for 'Byte'").
_BYTE_INPUT_WORDS = ("unsigned char", "Byte", "uint8")


def _explain_raw_pixels(learn: Learner, error: RuntimeError) -> None:
    """Raise a one-line error when a model failed on the raw ``uint8`` pixels of image data (a bundle whose
    ``application`` is ``"vision"``): such batches are made to be read by ``vision_learner``'s models, which
    scale and normalise them, with its callback augmenting the training ones. A plain Learner on a network of
    one's own gave it the bytes and PyTorch's dtype error. Returns otherwise, leaving ``error`` to propagate.
    (The bundle's marker, not an import of the vision application, which sits a layer above.)"""
    if getattr(learn.data, "application", None) != "vision":
        return
    if not any(isinstance(x, torch.Tensor) and x.dtype == torch.uint8 for x in learn.xb):
        return
    if not any(word in str(error) for word in _BYTE_INPUT_WORDS):
        return
    raise ConfigError(
        f"{type(learn.model).__name__} failed on image data's raw pixels (uint8, 0..255): a plain Learner gives "
        "them to the model as they are; build the learner with trainwell.vision.vision_learner(data, arch=...), "
        "which scales, normalises and augments them (register your network with "
        "@register_model(name, application='vision'), taking n_out and in_channels, and pass arch=name), or "
        "make forward read uint8 pixels"
    ) from error


def _warn_unaugmented_images(data: DataBundle, callbacks: Sequence[Callback]) -> None:
    """Warn when image data with an augmentation is given to a Learner without the callback that applies it
    (``AugmentBatch``, which ``vision_learner`` installs): the fit would train on the images as read, without a
    word. Known by the bundle's ``application`` marker and the callback's class name: the learner sits a layer
    below the vision application and does not import it."""
    if getattr(data, "application", None) != "vision" or getattr(data, "augmentation", None) is None:
        return
    if any(kind.__name__ == "AugmentBatch" for callback in callbacks for kind in type(callback).__mro__):
        return
    warn(
        "this image data's augmentation is applied by vision_learner's AugmentBatch callback, and this Learner "
        "has none, so it trains on the images as read (uint8 pixels, not augmented); build it with "
        "trainwell.vision.vision_learner(data, arch=...), or pass augmentation=None to image_data to train "
        "without augmentation",
        UserWarning,
    )


def _name(thing: object) -> str:
    return getattr(thing, "__name__", None) or type(thing).__name__


def _check_callback(callback: object, said: str = "callbacks holds") -> None:
    """Refuse, in one line, what is not a :class:`Callback` object: the class itself (``callbacks=[Recorder]``),
    or an object of another kind (a Keras or Lightning callback, a function); ``said``: where it was given."""
    if isinstance(callback, Callback):
        return
    if isinstance(callback, type) and issubclass(callback, Callback):
        raise ConfigError(
            f"{said} the class {callback.__name__}, not an object of it: pass {callback.__name__}()"
        )
    kind = callback.__name__ if isinstance(callback, type) else type(callback).__name__
    raise ConfigError(
        f"{said} {'the class ' if isinstance(callback, type) else 'a '}{kind}, which is not a trainwell "
        "Callback: subclass trainwell.callbacks.Callback and define its events (before_fit, after_batch, "
        "after_epoch...; see learn.show_training_loop())"
    )


def _keep_own_lr_ratios(opt: torch.optim.Optimizer) -> float:
    """Record each parameter group's learning rate as the optimizer was built, as a fraction of the largest's
    (``"lr_ratio"``): 1 everywhere for the optimizers trainwell builds, the factory's own ratios for groups that
    set their own ``"lr"``. :meth:`Learner.set_lrs` scales them, so that those ratios outlive every fit (they
    were overwritten by the fit's rate, a 1000x ratio gone without a word). Kept in the groups, and so in
    checkpoints; an optimizer set by hand has none, and each group takes the fit's rate. Returns the largest
    rate."""
    groups = opt.param_groups
    rates = [float(group["lr"]) for group in groups]
    top = max(rates)
    for group, rate in zip(groups, rates, strict=True):
        group["lr_ratio"] = rate / top if top > 0 and rate > 0 else 1.0
    return top


def _same_opt(made_with: Any, now: Any) -> bool:
    """Whether ``opt`` (a name or a factory) is still the one the optimizer was built with."""
    if isinstance(made_with, str) or isinstance(now, str):
        return isinstance(made_with, str) and isinstance(now, str) and made_with.lower() == now.lower()
    return made_with is now


def _weights_path(base: Path, path: str | Path) -> Path:
    """Where :meth:`Learner.save` writes ``path``: under ``base`` when relative, ``.safetensors`` added."""
    target = Path(path)
    if target.suffix != ".safetensors":
        target = target.with_name(target.name + ".safetensors")
    return target if target.is_absolute() else base / target
