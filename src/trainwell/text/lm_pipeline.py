"""The whole language-model job in one call: :func:`fit_language_model` (data, learner, one-cycle, the cache
pointer's tuning, the model directory) and the :class:`LMRun` it returns."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.callbacks.budget import TimeBudget, start_budget
from trainwell.core.warn import warn
from trainwell.learner.events import Callback
from trainwell.learner.run_files import FitRun
from trainwell.text.lm_stream import LMStreamLoader

if TYPE_CHECKING:
    from trainwell.text.cache import CacheReport
    from trainwell.text.lm_learner import LanguageModelLearner

__all__ = ["LM_SIZES", "LMRun", "ShortBudget", "fit_language_model", "short_budget_settings"]

#: ``trainwell fit --task language_model --lm-size``: the AWD-LSTM's embedding, inner width and layers
#: (``language_model_learner``'s ``emb_size``, ``hidden_size``, ``n_layers``). Without it the learner's default:
#: medium on a CPU, large (the paper's) on a GPU. The sizes are written in the model directory's architecture,
#: from which ``predict``, ``generate`` and ``report`` rebuild the model.
LM_SIZES: dict[str, dict[str, int]] = {
    "small": {"emb_size": 64, "hidden_size": 128, "n_layers": 2},
    "medium": {"emb_size": 256, "hidden_size": 512, "n_layers": 2},
    "large": {"emb_size": 400, "hidden_size": 1150, "n_layers": 3},
}

#: Optimizer steps the default schedule aims for, and the bounds on epochs it may choose.
TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS = 3000, 2, 50

#: A time budget of at most this many seconds on a CPU is short: the fit takes :data:`SHORT_BUDGET_DATA`,
#: :data:`SHORT_BUDGET_LR` and :data:`SHORT_BUDGET_LEARNER` for whatever the call does not set. With the
#: long-budget defaults (64 rows x 70 tokens, peak 3e-3, the paper's dropouts, 256/512x2) a char model of Tiny
#: Shakespeare under ``--time 60s`` on a loaded 2-core machine trained 15 batches and ended at perplexity 44.9
#: per character, against the Kneser-Ney trigram's 8.2 (tour60 #8).
SHORT_BUDGET_SECONDS = 300.0
#: Under a short budget: smaller batches, so that the time holds many more optimizer steps.
SHORT_BUDGET_DATA: dict[str, int] = {"batch_size": 32, "bptt": 64}
#: Under a short budget: a higher one-cycle peak, which a few hundred steps of a small model take well.
SHORT_BUDGET_LR = 1e-2
#: Under a short budget: the small model, and a tenth of the paper's dropouts (regularising a model that sees
#: a fraction of an epoch only slows it down).
SHORT_BUDGET_LEARNER: dict[str, float] = {**LM_SIZES["small"], "drop_mult": 0.1}
#: Under a short budget, a vocabulary of more than this many tokens trains with the sampled softmax (1,024 words
#: drawn a batch; validation stays exact): PTB's full softmax over 10,000 words took 357 ms of CPU a batch of the
#: small model, and in 40 CPU-s the sampled one reached perplexity 309 against 633 (trigram 162).
SHORT_BUDGET_SAMPLED_ABOVE = 4096
#: The learner's settings that size the model: one of them given, the call chose the model's size.
_SIZE_KEYS = ("emb_size", "hidden_size", "n_layers")


@dataclass(frozen=True)
class ShortBudget:
    """What :func:`short_budget_settings` chose for a short budget on a CPU: ``data`` (``lm_data``'s batch size
    and window), ``learner`` (the model's sizes, ``drop_mult``) and the peak ``lr``, each only where the call set
    none; ``seconds``: the budget."""

    seconds: float
    data: dict[str, int]
    learner: dict[str, Any]
    lr: float | None
    #: The vocabulary's size when the sampled softmax was chosen for it (:data:`SHORT_BUDGET_SAMPLED_ABOVE`).
    sampled_from: int | None = None
    #: Tokens the sampled softmax draws a batch (``language_model_learner``'s ``n_samples``).
    samples: int = 1024

    def line(self) -> str:
        """The one line a fit says it in, naming what it chose and the options that choose otherwise.

        Example:
            >>> ShortBudget(60.0, {"batch_size": 32, "bptt": 64}, {}, 0.01).line()
            'a 1m budget on a CPU: batch 32 x bptt 64, peak lr 0.01, one thread (short-budget defaults, for many more optimizer steps; --batch-size, --lr choose otherwise)'
        """
        from trainwell.callbacks.budget import format_duration

        said, options = [], []
        shape = [
            f"{name} {self.data[key]}"
            for key, name in (("batch_size", "batch"), ("bptt", "bptt"))
            if key in self.data
        ]
        if shape:
            said.append(" x ".join(shape))
        if "batch_size" in self.data:
            options.append("--batch-size")
        if self.lr is not None:
            said.append(f"peak lr {self.lr:g}")
            options.append("--lr")
        if "emb_size" in self.learner:
            emb, hidden, layers = (int(self.learner[key]) for key in _SIZE_KEYS)
            said.append(f"the small model ({emb}/{hidden}x{layers})")
            options.append("--lm-size")
        if "drop_mult" in self.learner:
            said.append(f"dropouts x{self.learner['drop_mult']:g}")
        if self.sampled_from is not None:
            said.append(f"sampled softmax ({self.samples:,} of its {self.sampled_from:,} tokens a batch)")
        said.append("one thread")
        chosen = f"; {', '.join(options)} choose otherwise" if options else ""
        return (
            f"a {format_duration(self.seconds)} budget on a CPU: {', '.join(said)} (short-budget defaults, for many "
            f"more optimizer steps{chosen})"
        )


def short_budget_settings(
    seconds: float | None,
    *,
    on_cpu: bool,
    data_kwargs: dict[str, Any],
    learner_kwargs: dict[str, Any],
    lr: float | None,
    pretrained: object = None,
) -> ShortBudget | None:
    """The defaults a fit of ``seconds`` takes on a CPU (``on_cpu``), when that is at most
    :data:`SHORT_BUDGET_SECONDS`, for what the call did not set; ``None`` for no budget, a longer one, another
    device, or a call that set everything. A fine-tuned model (``pretrained``) keeps its size, its dropouts and
    the fine-tuning rate: only its batches are made smaller.

    Example:
        >>> chosen = short_budget_settings(60, on_cpu=True, data_kwargs={"batch_size": 16}, learner_kwargs={}, lr=None)
        >>> chosen.data, chosen.lr, chosen.learner["hidden_size"]
        ({'bptt': 64}, 0.01, 128)
        >>> short_budget_settings(600, on_cpu=True, data_kwargs={}, learner_kwargs={}, lr=None) is None
        True
    """
    if seconds is None or not on_cpu or seconds > SHORT_BUDGET_SECONDS:
        return None
    data = {key: value for key, value in SHORT_BUDGET_DATA.items() if data_kwargs.get(key) is None}
    learner: dict[str, Any] = {}
    if pretrained is None:
        if all(learner_kwargs.get(key) is None for key in _SIZE_KEYS):
            learner.update({key: SHORT_BUDGET_LEARNER[key] for key in _SIZE_KEYS})
        if learner_kwargs.get("drop_mult") is None:
            learner["drop_mult"] = SHORT_BUDGET_LEARNER["drop_mult"]
    chosen_lr = (
        SHORT_BUDGET_LR if lr is None and pretrained is None and learner_kwargs.get("lr") is None else None
    )
    if not data and not learner and chosen_lr is None:
        return None
    return ShortBudget(float(seconds), data, learner, chosen_lr)


@dataclass
class LMRun(FitRun):
    """What :func:`fit_language_model` produced, like every pipeline's run (``learn``, ``data``, ``lr``,
    ``model_dir``, ``budget``, ``metrics``), plus ``cache``: how the cache pointer's settings were chosen on the
    validation text (``None`` without validation text or ``tune_cache``).

    It returned the learner itself before; reading a learner's attribute from the run still works for now, with
    a warning (``run.learn.recipe`` instead of ``run.recipe``).
    """

    learn: LanguageModelLearner  # the same field, of the language model's learner class
    cache: CacheReport | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the run lacks: the learner's, as scripts written against the old return read.
        if name.startswith("__") or name == "learn":
            raise AttributeError(name)
        learn = self.__dict__.get("learn")
        if learn is None or not hasattr(learn, name):
            raise AttributeError(f"'LMRun' object has no attribute '{name}'")
        warn(
            f"fit_language_model now returns an LMRun, not the learner: read run.learn.{name} "
            f"(run.{name} will stop working in a later release)",
            FutureWarning,
        )
        return getattr(learn, name)


def fit_language_model(
    source: Any,
    *,
    out: str | Path | None = None,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    progress: bool = True,
    pretrained: str | Path | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    tune_cache: bool = True,
    time_budget: float | str | TimeBudget | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    **data_kwargs: Any,
) -> LMRun:
    """The whole language-model job: :func:`lm_data`, :func:`language_model_learner`, one-cycle, model directory.

    What ``trainwell fit corpus/ --task language_model`` runs. ``data_kwargs`` go to ``lm_data`` (``valid``,
    ``tokenizer``, ``batch_size``, ``bptt``...), ``learner_kwargs`` to ``language_model_learner`` (sizes,
    ``drop_mult``, ``train_softmax``...). Without ``epochs``, about 3,000 optimizer steps (2 to 50 epochs).
    With ``pretrained`` (a language-model directory) that model is fine-tuned on ``source`` (its tokenizer, its
    vocabulary extended with the new words, its weights), with discriminative rates: each layer group's rate is
    2.6 times the one below it, the embedding and decoder at ``lr``.

    With ``tune_cache`` and validation text, the cache pointer's ``theta`` and ``lambda`` are then chosen on (up
    to :data:`CACHE_TUNE_TOKENS` of) the validation text and kept in the recipe (``recipe.cache``), so judging
    the model on other text applies them; they are left out when the cache does not lower the perplexity there.
    Under ``time_budget`` training ends early enough to leave the tuning a tenth of the budget
    (:data:`CACHE_TUNE_SHARE`), and the tuning reads only as much validation text as fits in that tenth and in what
    the budget has left (``run.cache.budget_seconds`` when that cut it). The tuning's figures are in ``run.cache``
    (and ``run.learn.cache_report``).

    With ``time_budget`` (seconds, or ``"10m"``...: :class:`~trainwell.callbacks.TimeBudget`), training ends
    within that time of the call, the epochs cut and the schedule fitted to what fits; the budget is in
    ``run.budget``. Writing the model comes after it. A budget of at most :data:`SHORT_BUDGET_SECONDS` on a CPU
    takes short-budget defaults for what the call does not set (:func:`short_budget_settings`: 32 rows x 64
    tokens, peak 1e-2, the small model, a tenth of the dropouts, one thread, and the sampled softmax for a
    vocabulary of more than :data:`SHORT_BUDGET_SAMPLED_ABOVE` tokens), said in one line on standard error.
    ``callbacks`` run in the training
    fit only, e.g. a :class:`~trainwell.callbacks.Checkpoint`; ``resume_from`` names a checkpoint one wrote in
    the same call, which training continues from exactly.

    Returns:
        An :class:`LMRun`: the learner (``run.learn``), its data, the peak rate, the model directory, and
        ``run.metrics``, the final validation row (``perplexity``, ``perplexity_baseline``...).
    """
    from trainwell.core.seeding import seed_everything
    from trainwell.distributed import maybe_distribute
    from trainwell.learner.run_files import check_fit_settings, write_run
    from trainwell.text.lm_learner import language_model_learner
    from trainwell.text.lm_stream import lm_data

    check_fit_settings(epochs, lr, out)
    budget = start_budget(time_budget)
    learner_kwargs = dict(learner_kwargs or {})
    short = _short_budget(budget, data_kwargs, learner_kwargs, lr, pretrained)
    if short is not None:
        from trainwell.callbacks.threads import OneThread

        data_kwargs = {**data_kwargs, **short.data}
        learner_kwargs.update(short.learner)
        # One intra-op thread: on a loaded 2-core machine a batch of the small model took 4.9 s on torch's two
        # threads against 0.39 s on one (64 x 70 tokens; 0.64 s against 0.13 s at 32 x 64).
        learner_kwargs["callbacks"] = [*learner_kwargs.get("callbacks", ()), OneThread()]
        lr = lr if short.lr is None else short.lr
    seed_everything(seed)
    data = lm_data(source, seed=seed, pretrained=pretrained, **data_kwargs)
    if short is not None:
        short = _sampled_if_large(short, learner_kwargs, len(data.recipe.vocab))  # type: ignore[union-attr]
        learner_kwargs.update(short.learner)
        _say(short.line(), progress)
    learn = language_model_learner(data, progress=progress, pretrained=pretrained, **learner_kwargs)
    maybe_distribute(learn)
    n_batches = max(1, len(data.train))  # type: ignore[arg-type]
    n_epochs = epochs or int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(TARGET_STEPS / n_batches))))
    from trainwell.text.ulmfit import LR_DECAY

    peak = lr or learn.lr
    n_groups = len(learn.layer_groups())
    rates: float | slice = slice(peak / LR_DECAY ** (n_groups - 1), peak) if pretrained is not None else peak
    fit_callbacks = [*([budget] if budget else []), *callbacks]
    if budget is not None and tune_cache and _tunes(learn) and not _reserved_elsewhere(callbacks):
        # The cache's tuning comes out of the budget too: training ends early enough to leave it its share.
        budget.share_next_fit(1 - CACHE_TUNE_SHARE)
    if pretrained is not None:
        _say_pretrained(learn, n_groups, progress)
    learn.fit_one_cycle(n_epochs, rates, moms=(0.8, 0.7), callbacks=fit_callbacks, resume_from=resume_from)
    if tune_cache:
        from trainwell.callbacks.threads import pass_threads

        with pass_threads(learn):  # as the fit's own passes read
            _tune_cache(learn, budget)
    model_dir = write_run(learn, Path(out), None) if out is not None else None
    return LMRun(learn, data, peak, model_dir, budget=budget, cache=learn.cache_report)


def _short_budget(
    budget: TimeBudget | None,
    data_kwargs: dict[str, Any],
    learner_kwargs: dict[str, Any],
    lr: float | None,
    pretrained: str | Path | None,
) -> ShortBudget | None:
    """:func:`short_budget_settings` for this fit's budget and the learner's device."""
    if budget is None:
        return None
    from trainwell.core.device import resolve_device

    return short_budget_settings(
        budget.seconds,
        on_cpu=resolve_device(learner_kwargs.get("device")).type == "cpu",
        data_kwargs=data_kwargs,
        learner_kwargs=learner_kwargs,
        lr=lr,
        pretrained=pretrained,
    )


def _sampled_if_large(short: ShortBudget, learner_kwargs: dict[str, Any], vocab_size: int) -> ShortBudget:
    """``short`` with the sampled softmax for a vocabulary of more than :data:`SHORT_BUDGET_SAMPLED_ABOVE` tokens,
    when the call chose no softmax (nor a loss of its own)."""
    samples = int(learner_kwargs.get("n_samples") or 1024)
    if (
        vocab_size <= max(SHORT_BUDGET_SAMPLED_ABOVE, samples)
        or learner_kwargs.get("train_softmax") is not None
        or learner_kwargs.get("loss") is not None
    ):
        return short
    from dataclasses import replace

    return replace(
        short, learner={**short.learner, "train_softmax": "sampled"}, sampled_from=vocab_size, samples=samples
    )


def _say(line: str, progress: bool) -> None:
    """One line on standard error with the progress display (rank zero only)."""
    from trainwell.core.device import is_rank_zero

    if progress and is_rank_zero():
        from rich.console import Console

        Console(stderr=True).print(line, markup=False, highlight=False, soft_wrap=True)


def _say_pretrained(learn: LanguageModelLearner, n_groups: int, progress: bool) -> None:
    """Complete the learner's ``pretrained`` record with how :func:`fit_language_model` trains it, and say it in
    one line before training (on standard error, with the progress display): what came from the language model,
    what is new."""
    from trainwell.core.device import is_rank_zero
    from trainwell.core.lineage import fine_tuned_from
    from trainwell.text.ulmfit import LR_DECAY

    record = learn.pretrained_record
    if record is None:
        return
    record["training"] = (
        f"one cycle with discriminative rates, each of the {n_groups} layer groups' {LR_DECAY:g} times the one "
        "below it"
    )
    if progress and is_rank_zero():
        from rich.console import Console

        Console(stderr=True).print(
            f"fine-tuning from {fine_tuned_from(record)}", markup=False, highlight=False, soft_wrap=True
        )


#: Validation tokens the cache pointer is tuned on at the end of a fit (a read with batch size 1).
CACHE_TUNE_TOKENS = 50_000
#: Under a time budget, the share of it the cache pointer's tuning may take once training is done.
CACHE_TUNE_SHARE = 0.1
#: Tokens read first under a time budget, to time the read and size the rest to the share.
CACHE_PROBE_TOKENS = 1_000
#: Positions of each row a second, short probe reads in the rows of the longer read, to time a step of them.
CACHE_PROBE_COLUMNS = 32
#: The cache's window the tuning reads with (:func:`~trainwell.text.cache.evaluate_cache`'s default).
CACHE_WINDOW = 500


def _tune_cache(
    learn: LanguageModelLearner, budget: TimeBudget | None = None, *, clock: Callable[[], float] | None = None
) -> None:
    """Choose the cache pointer's settings on the validation text and keep them in the recipe when they help;
    under ``budget``, on as much of it as fits in :data:`CACHE_TUNE_SHARE` of the budget's time, the probes
    included (``clock``: seconds from a fixed point, ``time.perf_counter`` by default; tests pass their own)."""
    import time

    from trainwell.text.cache import evaluate_cache
    from trainwell.text.lm_recipe import CacheSettings

    valid = learn.data.valid
    learn.cache_report = None
    if not _tunes(learn):
        return
    assert isinstance(valid, LMStreamLoader)
    ids, report, allowed = valid.ids[:CACHE_TUNE_TOKENS], None, None
    if budget is not None and len(ids) > CACHE_PROBE_TOKENS:
        clock = clock or time.perf_counter
        # Its share of the budget, and never more than the budget has left once training is done.
        allowed = min(CACHE_TUNE_SHARE * budget.seconds, budget.remaining)
        started = clock()
        report = evaluate_cache(learn.model, ids[:CACHE_PROBE_TOKENS])
        ids = ids[: _tokens_that_fit(learn.model, ids, clock() - started, allowed, clock)]
    if report is None or len(ids) > CACHE_PROBE_TOKENS:
        report = evaluate_cache(learn.model, ids)
    report.tokens = len(ids)
    if allowed is not None and len(ids) < min(len(valid.ids), CACHE_TUNE_TOKENS):
        report.budget_seconds = allowed
    learn.cache_report = report
    if report.lambda_ > 0 and report.valid_perplexity_cache < report.valid_perplexity:
        learn.recipe.cache = CacheSettings(report.window, report.theta, report.lambda_)


def _tunes(learn: LanguageModelLearner) -> bool:
    """Whether :func:`_tune_cache` has validation text to tune the cache pointer on."""
    valid = learn.data.valid
    return isinstance(valid, LMStreamLoader) and len(valid.ids) >= 3


def _reserved_elsewhere(callbacks: Sequence[Callback]) -> bool:
    """Whether a callback keeps the cache's tuning out of training itself (``evaluate``'s
    :class:`~trainwell.text._lm_judging.JudgingReserve`, whose reserve holds it beside the test text's scoring)."""
    from trainwell.text._lm_judging import JudgingReserve

    return any(isinstance(callback, JudgingReserve) and callback.tune_share > 0 for callback in callbacks)


def _tokens_that_fit(
    model: Any, ids: Any, probe_seconds: float, allowed: float, clock: Callable[[], float]
) -> int:
    """How many of ``ids`` the tuning can read in the ``allowed`` seconds, ``probe_seconds`` of them spent on the
    probe (:data:`CACHE_PROBE_TOKENS`, read in one row).

    A longer read goes in rows side by side (:func:`~trainwell.text.cache.positions_read`), so its time grows
    with its steps (positions per row) times a step's time, which grows with the rows. Sized by the probe's time
    per token, a 50,000-token read (8 rows of 6,950 positions) was foreseen to take 50,000 steps' time, about 7
    times its own where a step of 8 rows costs what a step of one does (a GPU), and the tuning read that much
    less than its share allowed; the probe's own time was not counted either. So a step's time is taken as
    affine in the rows, from the probe's (one row) and, when the whole read would go in more rows, from two
    short reads in those rows: a step costs a part of its own and a part that grows with the states in the
    cache (up to its window), so a read of :data:`CACHE_PROBE_COLUMNS` positions a row and one of a window more
    give both parts, and a step of the long read, its cache full, costs their sum. (One short read alone, its
    cache nearly empty, foresaw three quarters of the time a read in 7 rows took on a CPU.) The longest read
    that fits what is left of ``allowed`` is then found.
    """
    from trainwell.text.cache import DEFAULT_THETAS, positions_read, stream_probabilities

    started = clock()
    n_probe = CACHE_PROBE_TOKENS - 1  # tokens predicted: every one after the first
    _, probe_steps = positions_read(n_probe)
    one_row = probe_seconds / max(probe_steps, 1)
    widest, _ = positions_read(len(ids) - 1)
    per_row = 0.0  # each further row's share of a step
    if widest > 1 and len(ids) > widest * (CACHE_WINDOW + CACHE_PROBE_COLUMNS):
        took = []
        for columns in (CACHE_PROBE_COLUMNS, CACHE_WINDOW + CACHE_PROBE_COLUMNS):
            timed = clock()
            short = ids[: widest * columns + 1]
            stream_probabilities(
                model, short, window=CACHE_WINDOW, thetas=DEFAULT_THETAS, rows=widest, context=0
            )
            took.append(clock() - timed)
        # took[i] = columns_i * own + filled_i * cached, filled_i: the cache's states summed over the steps / window
        (short_columns, long_columns) = (CACHE_PROBE_COLUMNS, CACHE_WINDOW + CACHE_PROBE_COLUMNS)
        short_filled, long_filled = _cache_filled(short_columns), _cache_filled(long_columns)
        determinant = short_columns * long_filled - long_columns * short_filled
        own = (took[0] * long_filled - took[1] * short_filled) / determinant
        cached = (short_columns * took[1] - long_columns * took[0]) / determinant
        full_step = max(own + cached, took[1] / long_columns)  # never below the longer read's mean step
        # The probe's row filled its cache over its first window: a step of a long row costs the rest as well.
        one_row += (
            (probe_steps - _cache_filled(probe_steps)) * max(cached, 0.0) / widest / max(probe_steps, 1)
        )
        per_row = max(0.0, (full_step - one_row) / (widest - 1))
    left = allowed - probe_seconds - (clock() - started)

    def foreseen(n: int) -> float:
        rows, positions = positions_read(n - 1)
        return positions / rows * (one_row + per_row * (rows - 1))

    if foreseen(len(ids)) <= left:
        return len(ids)
    # The longest read that fits: a read's time grows with its length but drops where it takes another row, so
    # this finds one that fits with the next longer one not fitting, near the longest.
    low, high = CACHE_PROBE_TOKENS, len(ids)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if foreseen(middle) <= left else (low, middle)
    return low


def _cache_filled(columns: int) -> float:
    """The cache's states a row's steps score against, summed over a read of ``columns`` positions from an empty
    cache and counted in full windows (each position scores against the states before it, at most a window)."""
    return sum(min(position, CACHE_WINDOW) for position in range(columns)) / CACHE_WINDOW
