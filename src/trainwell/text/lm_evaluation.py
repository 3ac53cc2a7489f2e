"""A language model judged on held-out test text beside n-gram baselines, as an
:class:`~trainwell.evaluate.Evaluation`: :func:`evaluate_language_model`, what
``trainwell evaluate corpus/ --task language_model`` runs.

A language model is not cross-validated: one fit per fold would multiply its training time by k, and a corpus
usually comes with a test text of its own. The model is trained once, as ``fit_language_model`` trains it, and
it and the baselines (a unigram and an interpolated Kneser-Ney trigram, counted on the same training tokens)
are scored on every token of the test text with the same vocabulary (:mod:`trainwell.text.lm_eval`). Intervals
and the paired comparisons resample whole test texts, or passages of a short test stream
(:class:`~trainwell.evaluate.heldout.HeldOutResult`), so ``show()``, ``verdicts()``, ``beats_baselines()``,
``mean()``, ``interval()`` and ``save()`` work as for the cross-validations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import numpy as np

from trainwell.core.errors import ConfigError, DataError
from trainwell.evaluate.cv import FoldBudget
from trainwell.evaluate.evaluation import MODEL_NAME, Evaluation, TimeSpent
from trainwell.evaluate.heldout import HeldOutResult, ItemMetric
from trainwell.text.lm_eval import (
    HeldOutText,
    PerplexityRatio,
    TokenScores,
    compare,
    encode_held_out,
    score_model,
    score_ngram,
)

if TYPE_CHECKING:
    from trainwell.callbacks.budget import TimeBudget
    from trainwell.data.task import Task

__all__ = [
    "JudgingTime",
    "LMEvaluation",
    "ScoringProgress",
    "TestPerplexity",
    "evaluate_language_model",
    "score_test_texts",
]


@dataclass(frozen=True)
class TestPerplexity:
    """A fitted language model's perplexity on a test split (``trainwell fit`` on PTB's folder), beside a
    Kneser-Ney trigram counted on the same training tokens.

    Attributes:
        perplexity, low, high: The model's, and its 95% bootstrap interval over the test texts (NaN bounds for a
            single text too short to cut into passages).
        tokens: Predicted test tokens.
        trigram: The Kneser-Ney trigram's perplexity on them (NaN when the training tokens are not at hand).
        cached: With the model's tuned cache pointer (``recipe.cache``), else ``None``.
    """

    perplexity: float
    low: float
    high: float
    tokens: int
    trigram: float
    cached: float | None = None

    def line(self, where: str = "") -> str:
        """``test perplexity 141.2 [138.0, 144.5] on 82,430 tokens of ptb.test.txt (Kneser-Ney trigram
        162.3)``."""
        interval = "" if math.isnan(self.low) else f" [{self.low:.1f}, {self.high:.1f}]"
        said = f"test perplexity {self.perplexity:.1f}{interval} on {self.tokens:,} tokens{where}"
        extra = [] if math.isnan(self.trigram) else [f"Kneser-Ney trigram {self.trigram:.1f}"]
        if self.cached is not None:
            extra.append(f"with the cache pointer {self.cached:.1f}")
        return said + (f" ({'; '.join(extra)})" if extra else "")


def score_test_texts(learn: Any, texts: Sequence[str], *, progress: bool = True) -> TestPerplexity:
    """``learn``'s language model (a fitted :class:`~trainwell.text.lm_learner.LanguageModelLearner`) judged on
    the test ``texts``, read as one stream as ``trainwell report`` reads them, with its tuned cache pointer, and
    a Kneser-Ney trigram counted on its training tokens scored on the same tokens. Every test token is scored,
    whatever time budget trained the model; with ``progress``, lines on standard error say how far it got
    (:class:`ScoringProgress`).

    Raises:
        DataError: The texts hold fewer than 2 tokens.
    """
    from trainwell.callbacks.threads import pass_threads
    from trainwell.core.device import is_rank_zero
    from trainwell.text.lm_stream import LMStreamLoader
    from trainwell.text.ngram import KneserNey

    recipe = learn.recipe
    held_out = encode_held_out(recipe, list(texts))
    said = ScoringProgress(held_out.n_tokens) if progress and is_rank_zero() else None
    with pass_threads(learn):  # one thread when the fit kept to one (a short budget on a CPU)
        scores = score_model(learn.model, held_out, cache=recipe.cache, progress=said)
    if said is not None:
        said.end()
    perplexity, low, high = scores[0].perplexity_interval()
    trigram = math.nan
    train = getattr(learn.data, "train", None)
    if isinstance(train, LMStreamLoader):
        counted = KneserNey.fit(train.ids.cpu().numpy(), len(recipe.vocab), 3)
        trigram = score_ngram(counted, held_out, "Kneser-Ney trigram").perplexity
    cached = scores[1].perplexity if len(scores) > 1 else None
    return TestPerplexity(perplexity, low, high, held_out.n_tokens, trigram, cached)


class ScoringProgress:
    """Lines on standard error while a model scores a test text, which a budget does not bound (every token is
    scored): ``"scoring the test text: 20,480 of 82,430 tokens in 12s, about 36s left"`` every
    :attr:`EVERY_SECONDS`, and the time it took at the end. PTB's test text took 52 s after ``fit --time 60s``
    with nothing on the screen (tour60 #8). Called with the share of the read done
    (:func:`~trainwell.text.cache.stream_probabilities`' ``progress``).

    Example:
        >>> import io
        >>> times, out = iter([0.0, 5.0, 12.0, 30.0, 40.0]), io.StringIO()
        >>> said = ScoringProgress(82_430, clock=lambda: next(times), stream=out)
        >>> said(0.1); said(0.25); said(0.75); said.end()
        >>> print(out.getvalue(), end="")
        scoring the test text: 20,608 of 82,430 tokens in 12s, about 36s left
        scoring the test text: 61,822 of 82,430 tokens in 30s, about 10s left
        scoring the test text: 82,430 tokens in 40s
    """

    #: Seconds between two lines.
    EVERY_SECONDS = 10.0

    def __init__(
        self, tokens: int, *, clock: Callable[[], float] | None = None, stream: TextIO | None = None
    ) -> None:
        import time

        self.tokens = tokens
        self._clock = clock or time.monotonic
        self._stream = stream
        self._started = self._clock()
        self._last = self._started

    def __call__(self, done: float) -> None:
        now = self._clock()
        if now - self._last < self.EVERY_SECONDS or done <= 0 or done >= 1:
            return
        from trainwell.callbacks.budget import format_duration

        self._last = now
        took = now - self._started
        self._say(
            f"scoring the test text: {round(done * self.tokens):,} of {self.tokens:,} tokens in "
            f"{format_duration(took)}, about {format_duration(took / done * (1 - done))} left"
        )

    def end(self) -> None:
        """Say the time the whole scoring took, when it took long enough for a line before."""
        from trainwell.callbacks.budget import format_duration

        took = self._clock() - self._started
        if took >= self.EVERY_SECONDS:
            self._say(f"scoring the test text: {self.tokens:,} tokens in {format_duration(took)}")

    def _say(self, line: str) -> None:
        import sys

        print(line, file=self._stream if self._stream is not None else sys.stderr, flush=True)


#: Share of the texts held out as test text when none is given (the last ones, in the corpus's order).
TEST_PCT = 0.1


@dataclass
class JudgingTime:
    """Where the time of :func:`evaluate_language_model` went beside training, and what its budget kept for it.

    Attributes:
        scoring: Seconds scoring the model (and its cache) on the test text, after training.
        baselines: Seconds encoding the test text and counting and scoring the n-gram baselines, as training
            began (inside the budget).
        foreseen: Seconds the scoring was foreseen to take, from a timed probe (``None``: no budget).
        reserved: Seconds of the budget kept from training for the scoring and the cache's tuning (``None``: no
            budget).
        call: Seconds of the whole call, reading the data included.
        budget: The call's time budget in seconds (``None``: none).
    """

    scoring: float
    baselines: float
    foreseen: float | None
    reserved: float | None
    call: float
    budget: float | None

    def sentence(self) -> str:
        """What the judging took, in words, beside the budget."""
        from trainwell.callbacks.budget import format_duration as say

        said = f"scoring the model on the test text took {say(self.scoring)} after training"
        if self.foreseen is not None and self.reserved is not None:
            said += (
                f" ({say(self.foreseen)} foreseen; {say(self.reserved)} of the budget kept from training for it"
                " and the cache's tuning)"
            )
        said += f", the baselines {say(self.baselines)}; the call took {say(self.call)}"
        return said + (f" of its {say(self.budget)} budget" if self.budget is not None else "")

    def to_dict(self) -> dict[str, float | None]:
        return {
            "scoring_seconds": self.scoring,
            "baseline_seconds": self.baselines,
            "foreseen_scoring_seconds": self.foreseen,
            "reserved_seconds": self.reserved,
            "call_seconds": self.call,
            "budget_seconds": self.budget,
        }


@dataclass(kw_only=True)
class LMEvaluation(Evaluation):
    """What :func:`evaluate_language_model` measured on the held-out test text: an
    :class:`~trainwell.evaluate.Evaluation` of one held-out split instead of folds.

    Its metrics are ``perplexity``, ``bits_per_char`` and (the trained model only) next-word ``accuracy``; the
    model (``"trainwell"``) is the trained model's best form (with the cache pointer when it was tuned on the
    validation text and does better), the baselines are the n-gram models. ``mean("perplexity", "unigram")``,
    ``interval("perplexity")``, ``verdicts()`` and ``save(path)`` read as for a cross-validation; the intervals
    are a bootstrap over the test texts (or passages).

    Attributes:
        scores: every model's per-token scores on the same test tokens: the trained model's forms first (then
            with the cache pointer, when tuned), then each baseline's.
        n_train_texts: texts the model and the baselines were trained on (validation included).
        test_source: where the test text came from, in words.
        seconds: time to train the model.
        n_models: how many of ``scores`` are forms of the trained model.
        seed: seeds the bootstrap intervals.
        timing: what the judging took beside training (``None`` when built by hand with :meth:`judge`).
        predicts: what the model predicts one of, as the table names its accuracy: ``"word"``, ``"subword"`` or
            ``"character"`` (:func:`~trainwell.text.lm_recipe.predicted_unit`).
    """

    scores: list[TokenScores] = field(repr=False)
    n_train_texts: int
    test_source: str
    seconds: float
    n_models: int = 1
    seed: int = 0
    timing: JudgingTime | None = None
    predicts: str = "word"

    @classmethod
    def judge(
        cls,
        scores: list[TokenScores],
        task: Task,
        *,
        n_models: int,
        n_train_texts: int,
        test_source: str,
        seconds: float,
        lr: float,
        budget: TimeBudget | None = None,
        seed: int = 0,
        level: float = 0.95,
    ) -> LMEvaluation:
        """The evaluation of ``scores`` (the model's forms, then the baselines', on the same tokens)."""
        best = min(scores[:n_models], key=lambda score: score.loss)
        model = _result(best, seed)
        if budget is not None and budget.fits:
            shortened = any(fit["shortened"] for fit in budget.fits)
            model.budgets = [FoldBudget(0, budget.seconds, budget.used, shortened, budget.summary())]
        held = best.held_out
        with_cache = " (with its cache pointer)" if best is not scores[0] else ""
        return cls(
            task,
            held.n_tokens,
            model,
            {score.name: _result(score, seed) for score in scores[n_models:]},
            [lr],
            level,
            subject=f"language model{with_cache}, {held.n_tokens:,} tokens of {test_source}",
            unit="tokens",
            scores=scores,
            n_train_texts=n_train_texts,
            test_source=test_source,
            seconds=seconds,
            n_models=n_models,
            seed=seed,
        )

    @property
    def held_out(self) -> HeldOutText:
        """The test text, as every model read it."""
        return self.scores[0].held_out

    @property
    def best(self) -> TokenScores:
        """The trained model's best form (with the cache when it is tuned): ``"trainwell"`` in the table."""
        return min(self.scores[: self.n_models], key=lambda score: score.loss)

    def comparisons(self, seed: int | None = None) -> list[PerplexityRatio]:
        """The best form of the model against each baseline: the ratio of their perplexities on the same tokens,
        with a paired interval (its outcome is that of :meth:`verdicts` on perplexity)."""
        chosen = self.seed if seed is None else seed
        return [compare(self.best, other, self.level, chosen) for other in self.scores[self.n_models :]]

    def to_dict(self) -> dict[str, Any]:
        """:meth:`Evaluation.to_dict`, with the test text, the training, every form's scores and the ratios."""
        return {
            **super().to_dict(),
            "test": self.test_source,
            "test_texts": self.held_out.n_texts,
            "test_tokens": self.held_out.n_tokens,
            "train_texts": self.n_train_texts,
            "seconds": self.seconds,
            **({"timing": self.timing.to_dict()} if self.timing is not None else {}),
            "models": {score.name: score.to_dict(self.level, self.seed) for score in self.scores},
            "perplexity_ratios": [ratio.to_dict() for ratio in self.comparisons()],
        }

    def __repr__(self) -> str:
        figures = ", ".join(f"{name} {self.mean('perplexity', name):,.1f}" for name in self.names)
        return f"<LMEvaluation on {self.held_out.n_tokens:,} held-out tokens; perplexity: {figures}>"

    def _render(self, console: Any) -> None:
        render_lm(self, console)


def _result(score: TokenScores, seed: int) -> HeldOutResult:
    """A model's :class:`HeldOutResult`: perplexity and bits per character from its loss per token, and its
    next-word accuracy when its ranks are known (not for the n-grams)."""
    held = score.held_out
    items = {
        "perplexity": ItemMetric(score.nll, exp=True),
        # bits per character = total loss in bits / characters = mean loss * tokens / (ln 2 * characters)
        "bits_per_char": ItemMetric(score.nll, scale=held.n_tokens / (math.log(2) * max(held.n_chars, 1))),
    }
    if score.rank is not None:
        items["accuracy"] = ItemMetric((score.rank == 0).astype(np.float64))
    return HeldOutResult.of(items, held.groups, f"test {held.grouped_by}", seed=seed)


def render_lm(evaluation: LMEvaluation, console: Any) -> None:
    """The models' perplexities on the test text with intervals, then a sentence per baseline; in a terminal too
    narrow for the table, each interval on its own line under its perplexity and the long headers on two lines
    (before, rich folded every cell there: ``Kneser-Ney`` over ``trigram``, an interval after its comma)."""
    from rich.text import Text

    from trainwell.core.fitting_tables import print_fitting

    print_fitting(console, _lm_table(evaluation), lambda: _lm_table(evaluation, stacked=True))
    best = evaluation.best.name
    console.print(
        f"trained on {evaluation.n_train_texts:,} text{'' if evaluation.n_train_texts == 1 else 's'} in "
        f"{evaluation.seconds:.0f} s; every model reads the test "
        "text with the same vocabulary, so the perplexities compare"
        + (f"; {MODEL_NAME} is {best} in the verdicts" if best != MODEL_NAME else ""),
        soft_wrap=True,
    )
    for budget in evaluation.budgets:  # the one fit's
        console.print(f"time budget: {budget.summary}", soft_wrap=True, markup=False)
    if evaluation.timing is not None:
        console.print(f"judging: {evaluation.timing.sentence()}", soft_wrap=True, markup=False)
    for ratio in evaluation.comparisons():
        line = Text(ratio.sentence())
        if ratio.outcome != "beats":
            line = Text.assemble(("warning:", "yellow"), " ", ratio.sentence())
        console.print(line, soft_wrap=True)


def _lm_table(evaluation: LMEvaluation, stacked: bool = False) -> Any:
    """:func:`render_lm`'s table: a row per model, its perplexity's interval in a column of its own, or
    ``stacked`` on its own line under the perplexity (a narrow terminal's form, whose headers take two lines)."""
    from rich.table import Table
    from rich.text import Text

    held = evaluation.held_out
    level = round(evaluation.level * 100)
    table = Table(
        title=f"language model on held-out text ({held.n_tokens:,} tokens of {evaluation.test_source})",
        caption=f"\\[low, high]: {level}% bootstrap interval over the test {held.grouped_by}",
    )
    accuracy_header = f"next-{evaluation.predicts}{chr(10) if stacked else ' '}accuracy"
    columns = (
        (("model", "left"), (f"perplexity\n[{level}% CI]", "right"))
        if stacked
        else (("model", "left"), ("perplexity", "right"), (f"{level}% CI", "right"))
    )
    for name, justify in (
        *columns,
        ("bits per\nchar" if stacked else "bits per char", "right"),
        (accuracy_header, "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for score in evaluation.scores:
        perplexity, low, high = score.perplexity_interval(evaluation.level, evaluation.seed)
        accuracy = score.accuracy(1)
        figures = (f"{perplexity:,.1f}", f"[{low:,.1f}, {high:,.1f}]")
        table.add_row(
            Text(score.name),
            *(("\n".join(figures),) if stacked else figures),
            f"{score.bits_per_char:.3f}",
            "" if accuracy != accuracy else f"{accuracy:.3f}",  # nan: the n-grams and the cache mixture
        )
    return table


def evaluate_language_model(
    source: Any,
    *,
    test: Any = None,
    test_pct: float = TEST_PCT,
    text_col: str | None = None,
    epochs: int | None = None,
    seed: int = 0,
    baselines: bool = True,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    progress: bool = True,
    time_budget: float | str | None = None,
    names: Sequence[str] | None = None,
    **fit_kwargs: Any,
) -> LMEvaluation:
    """Train a language model as ``trainwell fit --task language_model`` does, then judge it on test text it
    never saw, beside n-gram baselines counted on the same training tokens (a unigram and an interpolated
    Kneser-Ney trigram), every model on the same tokens with the same vocabulary.

    Args:
        source: The corpus (see :func:`~trainwell.text.corpus.read_corpus`).
        test: Test text in the same forms; without it, the test file of a folder laid out as PTB is (its train
            file trained on, its valid file the validation text: :func:`~trainwell.text.corpus.corpus_splits`),
            else the last ``test_pct`` of the corpus's texts (in their order, so a text's neighbours do not leak
            into training as a random split would let them).
        text_col: A table's column of texts.
        names: The column names of a table without a header row, in order (``test`` is read with them too).
        epochs: Passes over the training text (default: chosen from its size, as ``fit_language_model`` does).
        seed: Seeds the model and the bootstrap intervals.
        baselines: Also score the n-gram baselines.
        time_budget: The whole call's time (seconds, or ``"10m"``...): training is fitted to what is left of it
            once the data is read and the baselines scored, less the time the model's scoring (timed on a probe of
            the test text) and the cache's tuning will take after it, never less than half of what was left
            (:class:`~trainwell.text._lm_judging.JudgingReserve`). ``timing`` says what each part took.
        fit_kwargs: Passed to :func:`~trainwell.text.lm_pipeline.fit_language_model` (``tokenizer``, ``bptt``,
            ``pretrained`` to fine-tune a language model instead of training one from scratch...). Models with
            different vocabularies compare by bits per character, not perplexity.

    Returns:
        An :class:`LMEvaluation`, an :class:`~trainwell.evaluate.Evaluation`: print it for the table
        ``trainwell evaluate --task language_model`` prints.

    Raises:
        DataError: Too few texts to hold some out; pass ``test``.
        ConfigError: Under ``time_budget``, scoring the test text alone is foreseen to take longer than the call
            has left once the data is read: refused before training, naming a budget that fits and a test text's
            length that would (:func:`~trainwell.text._lm_judging.scoring_refusal`).

    Example:
        >>> result = evaluate_language_model("corpus/", test="test.txt")     # doctest: +SKIP
        >>> result.mean("perplexity"), result.mean("perplexity", "Kneser-Ney trigram")  # doctest: +SKIP
        >>> result.beats_baselines()                                         # doctest: +SKIP
    """
    import time

    from trainwell.callbacks.budget import TimeBudget
    from trainwell.callbacks.threads import pass_threads
    from trainwell.evaluate.evaluation import check_settings
    from trainwell.text._lm_judging import JudgingReserve
    from trainwell.text.corpus import corpus_splits
    from trainwell.text.lm_pipeline import CACHE_TUNE_SHARE, fit_language_model
    from trainwell.text.lm_stream import read_corpus

    called = time.perf_counter()
    seconds = check_settings(epochs=epochs, time_budget=time_budget)
    if not 0 < test_pct < 1:
        raise ConfigError(f"test_pct must be between 0 and 1 (exclusive), got {test_pct}")
    splits = corpus_splits(source)
    if (
        splits is not None
    ):  # PTB's layout: train on its train file, validate on its valid file, judge on its test
        source, test = splits["train"], splits.get("test") if test is None else test
        if "valid" in splits:
            fit_kwargs.setdefault("valid", splits["valid"])
    reading: dict[str, Any] = {
        "text_col": text_col,
        "encoding_errors": encoding_errors,
        "encoding": encoding,
        "names": names,
    }
    texts = read_corpus(source, **reading)
    if test is not None:
        train_texts = texts
        documents = any("\n" in text for text in texts)  # read as the corpus's texts are (see LMRecipe)
        test_texts = read_corpus(test, **reading, whole_files=documents)
        test_source = str(test) if isinstance(test, str | Path) else "the test texts"
    else:
        n_test = round(len(texts) * test_pct)
        if n_test < 1 or len(texts) - n_test < 2:
            raise DataError.worded(
                lambda say: (
                    f"the corpus holds {len(texts)} text{'' if len(texts) == 1 else 's'}: too few to hold "
                    f"out {test_pct:.0%} as test text; pass the test text with {say('test', 'test.txt')}"
                )
            )
        train_texts, test_texts = texts[:-n_test], texts[-n_test:]
        corpus = str(source) if isinstance(source, str | Path) else "the corpus"  # not a list's every text
        held = "the last text" if n_test == 1 else f"the last {n_test:,} texts"
        test_source = f"{held} of {len(texts):,} in {corpus}"
    budget = None if seconds is None else TimeBudget(seconds)
    judging = JudgingReserve(
        test_texts,
        baselines=baselines,
        budget=budget,
        deadline=getattr(seconds, "deadline", None),  # the call's, set as its settings were checked
        tune_share=CACHE_TUNE_SHARE if fit_kwargs.get("tune_cache", True) else 0.0,
    )
    callbacks = [*fit_kwargs.pop("callbacks", ()), judging]
    started = time.perf_counter()
    run = fit_language_model(
        train_texts,
        epochs=epochs,
        seed=seed,
        progress=progress,
        encoding_errors=encoding_errors,
        time_budget=budget,
        callbacks=callbacks,
        **fit_kwargs,
    )
    trained = time.perf_counter()
    learn = run.learn
    if judging.held_out is None:  # no fit began (resumed at its end): ready it now
        judging.prepare(learn)
    # The fit's time, less the judging's preparation and probe done at its start.
    seconds_trained = time.perf_counter() - started - judging.baseline_seconds - judging.probe_seconds
    assert judging.held_out is not None
    scoring_started = time.perf_counter()
    with pass_threads(learn):  # on the threads its probe was timed on, inside the fit
        scores = score_model(learn.model, judging.held_out, name=MODEL_NAME, cache=learn.recipe.cache)
    scoring = time.perf_counter() - scoring_started
    n_models = len(scores)
    scores += judging.baseline_scores
    evaluation = LMEvaluation.judge(
        scores,
        learn.task,
        n_models=n_models,
        n_train_texts=len(train_texts),
        test_source=test_source,
        seconds=seconds_trained,
        lr=float(run.lr),
        budget=run.budget,
        seed=seed,
    )
    budgeted = None if seconds is None else getattr(seconds, "total", float(seconds))
    ended = time.perf_counter()
    evaluation.predicts = learn.recipe.unit  # a character model's accuracy is of the next character
    evaluation.timing = JudgingTime(
        scoring, judging.baseline_seconds, judging.foreseen, judging.reserved, ended - called, budgeted
    )
    if budgeted is not None:  # as a cross-validation's time_spent says it, for evaluate --time's line on time
        evaluation.spent = _time_spent(budgeted, judging.baseline_seconds, (called, started, trained, ended))
    return evaluation


def _time_spent(budget: float, baselines: float, marks: tuple[float, float, float, float]) -> TimeSpent:
    """Where a budgeted call's time went, as :class:`~trainwell.evaluate.evaluation.TimeSpent` says it of a
    cross-validation's: ``marks`` are when the call began, its training began and ended, and it ended
    (``time.perf_counter``). The one fit is the folds' part (its whole share: the budget), less the baselines
    counted and scored as it began; what follows it (scoring the model on the test text) is the part after."""
    import time

    called, started, trained, ended = marks
    return TimeSpent(
        budget,
        budget,
        reading=started - called,
        baselines=baselines,
        training=trained - started - baselines,
        after=ended - trained,
        ended=time.monotonic() - (time.perf_counter() - ended),
    )
