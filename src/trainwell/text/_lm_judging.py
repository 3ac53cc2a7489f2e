"""Judging a language model within the time budget of the whole call: what the judging needs is made ready as
training begins, and the time scoring the model will take afterwards is foreseen and kept out of training.

``trainwell evaluate corpus/ --task language_model --time 60s`` trained for its 60 s, then tuned the cache,
counted the n-gram baselines and scored the test text on top (4 min 8 s in all on PTB, the test text read one
token after the other). Now :class:`JudgingReserve`, a callback of the one fit, does at its start, inside the
budget, what needs the vocabulary but not the trained model (encoding the test text, counting and scoring the
baselines), then times the model's scoring on a probe of the test text and asks the budget
(:meth:`~trainwell.callbacks.TimeBudget.share_next_fit`) to end training early enough for the cache's tuning and
that scoring to end by the call's deadline, as the folds of ``evaluate --time`` share theirs
(:class:`~trainwell.evaluate.spread.FoldShare`).

When the scoring alone is foreseen to take longer than the call has left, no share of training can save the
budget: ``evaluate ptb/ --task language_model --time 60s`` foresaw 3 min 36 s of scoring, trained for half of
what was left and ended after 5 min 36 s. Such a call is refused before training (:func:`scoring_refusal`), with
the budget that would fit and the test text's length that would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch

from trainwell.callbacks.budget import TimeBudget, format_duration
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback
from trainwell.text.cache import positions_read, stream_probabilities
from trainwell.text.lm_eval import HeldOutText, TokenScores, encode_held_out, score_ngram
from trainwell.text.lm_stream import LMStreamLoader

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["JudgingReserve", "scoring_refusal", "training_share"]

#: Positions of each row the probe reads to time the model's scoring (one batched window or so).
PROBE_COLUMNS = 32
#: The least share of what the budget has left that training keeps, however long the judging is foreseen to take:
#: a verdict against the baselines on a model barely trained misleads more than a call that ends a little late
#: (as :attr:`FoldShare.FLOOR <trainwell.evaluate.spread.FoldShare.FLOOR>` keeps for folds).
FLOOR = 0.5
#: The cache window the probe reads with (the one every tuning uses: :func:`~trainwell.text.cache.evaluate_cache`).
PROBE_WINDOW = 500


def training_share(remaining: float, call_left: float, reserve: float) -> float:
    """The share of the ``remaining`` seconds of a fit's budget that training may use so that ``reserve`` seconds of
    work after it still end within the ``call_left`` seconds the whole call has: never more than all of it, never
    less than :data:`FLOOR`.

    Example:
        >>> training_share(remaining=50.0, call_left=55.0, reserve=10.0)  # the fit ends 10 s before the deadline
        0.9
        >>> training_share(remaining=50.0, call_left=50.0, reserve=40.0)  # the judging would take most of it
        0.5
    """
    if remaining <= 0:
        return 1.0
    return min(1.0, max(FLOOR, (call_left - reserve) / remaining))


def scoring_refusal(
    *, foreseen: float, call_left: float, budget: float, tokens: int, tune_share: float = 0.0
) -> ConfigError:
    """The error refusing a call whose scoring of ``tokens`` test tokens, ``foreseen`` to take that many seconds,
    cannot end within the ``call_left`` seconds left of its ``budget``: it names a budget that would fit (the time
    already spent, twice the scoring, so that training gets as long as the scoring, and the cache's
    ``tune_share``), rounded up, and how many test tokens could be scored in half of what is left.

    Example:
        >>> str(scoring_refusal(foreseen=216.0, call_left=41.0, budget=60.0, tokens=82_429))[:60]
        'scoring the model on the test text (82,429 tokens) is forese'
    """
    spent = max(0.0, budget - call_left)
    needed = (spent + 2 * foreseen) / (1 - tune_share)
    # Whole minutes past a minute, tens of seconds below: a figure to type, not a measurement.
    needed = 60 * math.ceil(needed / 60) if needed > 60 else 10 * math.ceil(needed / 10)
    fits = tokens * max(call_left, 0.0) / 2 / foreseen
    fits = _two_figures(fits)
    left = f"the {format_duration(max(call_left, 0.0))} left of the {format_duration(budget)} budget"
    shorter = (
        f"about {fits:,} tokens score in half of those {format_duration(max(call_left, 0.0))}, leaving the other "
        "half to training"
        if fits >= 100
        else "it would need to be a few sentences long"
    )
    return ConfigError.worded(
        lambda say: (
            f"scoring the model on the test text ({tokens:,} tokens) is foreseen to take "
            f"{format_duration(foreseen)}, more than {left} ({say('time_budget')}) once the data was read and "
            f"the baselines scored: pass {say('time_budget', format_duration(needed).replace(' ', ''))} or "
            f"more, or a shorter test text with {say('test')} ({shorter})"
        )
    )


def _two_figures(value: float) -> int:
    """``value`` rounded down to two significant figures (7,843 -> 7,800)."""
    if value < 100:
        return int(value)
    scale = 10 ** (int(math.log10(value)) - 1)
    return int(value // scale * scale)


class JudgingReserve(Callback):
    """At the start of a language model's fit: encode ``test_texts`` with the fitted vocabulary, count and score the
    n-gram baselines on the training tokens, and, under ``budget``, keep from training the time the model's scoring
    (timed on a probe) and the cache's tuning will take after it, so the call ends by ``deadline``.

    Args:
        test_texts: The held-out texts.
        baselines: Count and score the unigram and Kneser-Ney trigram baselines.
        budget: The fit's budget (``None``: no reserve, only the preparation).
        deadline: When the whole call should end, on ``clock``'s scale.
        tune_share: The share of the budget the cache's tuning may take after training (with validation text).
        clock: Seconds from a fixed point (``time.monotonic``, as :class:`~trainwell.evaluate.spread.FoldShare`).

    Attributes:
        held_out: The test text, encoded (once the fit has begun).
        baseline_scores: The baselines' scores on it.
        baseline_seconds: Time encoding it and counting and scoring the baselines took.
        foreseen: Seconds the model's scoring is foreseen to take (``None``: no budget).
        reserved: Seconds kept from training for the work after it (the scoring and the cache's tuning).
        probe_seconds: Time the probe's scoring took.
    """

    order = TimeBudget.order - 1  # before the budget plans the fit, so that the plan keeps the reserve out
    runs_in_lr_find = False

    def __init__(
        self,
        test_texts: Sequence[str],
        *,
        baselines: bool = True,
        budget: TimeBudget | None = None,
        deadline: float | None = None,
        tune_share: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.test_texts = list(test_texts)
        self.baselines = baselines
        self.budget = budget
        self.deadline = deadline
        self.tune_share = tune_share
        self.clock = clock
        self.held_out: HeldOutText | None = None
        self.baseline_scores: list[TokenScores] = []
        self.baseline_seconds = 0.0
        self.foreseen: float | None = None
        self.reserved: float | None = None
        self.probe_seconds = 0.0

    def before_fit(self, learn: Learner) -> None:
        if self.held_out is not None:  # a second fit of the same call (none today): ready already
            return
        self.prepare(learn)
        if self.budget is None or self.held_out is None:
            return
        self.foreseen = self.time_scoring(learn.model, self.held_out)
        valid = getattr(learn.data, "valid", None)
        tuning = self.tune_share * self.budget.seconds if isinstance(valid, LMStreamLoader) else 0.0
        remaining = self.budget.remaining
        call_left = remaining if self.deadline is None else self.deadline - self.clock()
        if self.foreseen > call_left:  # even with no training the call would end late: say so before training
            raise scoring_refusal(
                foreseen=self.foreseen,
                call_left=call_left,
                budget=self.budget.seconds,
                tokens=self.held_out.n_tokens,
                tune_share=self.tune_share if tuning else 0.0,
            )
        share = training_share(remaining, call_left, self.foreseen + tuning)
        self.reserved = remaining * (1 - share)
        if share < 1:
            self.budget.share_next_fit(share)

    def prepare(self, learn: Learner) -> None:
        """Encode the test text and score the baselines (before the fit, or after it when no fit began)."""
        from trainwell.text.ngram import KneserNey

        started = self.clock()
        held_out = encode_held_out(learn.recipe, self.test_texts)  # type: ignore[attr-defined]
        train = learn.data.train
        if self.baselines and isinstance(train, LMStreamLoader):
            ids = train.ids.cpu().numpy()
            vocab_size = len(learn.recipe.vocab)  # type: ignore[attr-defined]
            for order, name in ((1, "unigram"), (3, "Kneser-Ney trigram")):
                self.baseline_scores.append(
                    score_ngram(KneserNey.fit(ids, vocab_size, order), held_out, name)
                )
        self.held_out = held_out
        self.baseline_seconds = self.clock() - started

    def time_scoring(self, model: torch.nn.Module, held_out: HeldOutText) -> float:
        """Seconds scoring ``held_out`` with ``model`` (and the cache) will take: a probe of :data:`PROBE_COLUMNS`
        positions of each row, read as the whole text will be (after a shorter read that pays the one-off costs),
        timed and scaled to every position it reads."""
        n = held_out.n_tokens
        rows, positions = positions_read(n, window=PROBE_WINDOW, cached=True)
        probe = min(n, rows * PROBE_COLUMNS)
        ids = torch.from_numpy(held_out.ids[: probe + 1])

        def read(part: torch.Tensor) -> None:
            stream_probabilities(model, part, window=PROBE_WINDOW, thetas=(0.1,), rows=rows, context=0)

        # Once untimed first: the first pass's one-off costs (memory, threads) made the probe foresee twice the
        # time PTB's test text then took (68 s for 33 s), and training lost the difference.
        started = self.clock()
        read(ids[: min(probe, rows * 4) + 1])
        timed = self.clock()
        read(ids)
        took = self.clock() - timed
        self.probe_seconds = self.clock() - started
        _, probed = positions_read(probe, window=PROBE_WINDOW, rows=rows, context=0)
        return took * positions / max(probed, 1)
