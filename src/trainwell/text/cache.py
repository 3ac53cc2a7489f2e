"""The continuous cache pointer (Grave, Joulin and Usunier 2016): a free memory of the recent past at evaluation.

A word that occurred lately is likely to occur again (names, topics). The cache keeps the last ``window``
hidden states ``h_i`` of the model's last layer, each with the word that followed it, ``x_{i+1}``, and turns
the similarity of the current state to them into a distribution over the words they predicted::

    p_cache(w | h_t) ∝ Σ_{i in window, x_{i+1} = w} exp(θ · h_t · h_i)
    p(w | h_t) = (1 - λ) p_model(w | h_t) + λ p_cache(w | h_t)

Nothing is trained: ``θ`` (how peaked the match is) and ``λ`` (how much to trust the cache) are picked on
validation text from a small grid, then applied to test text.

Evaluation reads the stream as one history: every token but the first is predicted, from the text before it
and with the ``window`` states before it in the cache. Read as one row (batch size 1) that is exact, and slow: 82k
tokens of PTB's test text took minutes on a CPU, one token after the other. So a long stream is cut into up to
:data:`MAX_ROWS` contiguous rows read side by side, each carrying its own hidden state and its own cache, and each
warmed up on the ``context`` tokens before its first scored one (``window`` more with the cache): the cache of
every token holds the same states as in the single read, and each state differs from it only by what the text
more than ``context`` tokens back left in it (see :func:`stream_probabilities`; ``rows=1`` reads one row).
Without the cache the perplexity is then that of ``learn.validate(loader.new(batch_size=1))`` (exactly in one
row), a little lower than ``learn.validate(loader)`` at the loader's batch size, whose rows start from a zeroed
state and are not warmed up (see :meth:`~trainwell.text.lm_learner.LanguageModelLearner.validate`).

It is vectorised per window of ``chunk`` tokens over all rows: each row's states are scored against the
``window`` states before them and themselves in one batched matrix product ``(rows, T, window + T)``, masked so
each position sees only the ``window`` states before it, and every ``θ`` of the grid reuses those scores. Only
the probability of the word that really came next is needed for perplexity, so no vocabulary-sized cache
distribution is ever built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError, DataError

__all__ = [
    "CacheReport",
    "StreamProbabilities",
    "cache_mixture",
    "cache_perplexity",
    "evaluate_cache",
    "positions_read",
    "stream_probabilities",
    "stream_rows",
]

DEFAULT_THETAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
DEFAULT_LAMBDAS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


@dataclass
class StreamProbabilities:
    """Per-token probabilities of the true next word over a stream.

    Attributes:
        p_model: ``(N,)`` the model's probability of each next word.
        p_cache: ``(len(thetas), N)`` the cache's probability of it, one row per ``θ``.
        has_cache: ``(N,)`` whether the cache held anything (false for the first token only).
        thetas: The ``θ`` of each row of ``p_cache`` (none: the cache was not scored).
        rank: ``(N,)`` how many words the model found more likely than the true one (0: its first guess).
        p_top: ``(N,)`` the model's probability of its first guess.
    """

    p_model: torch.Tensor
    p_cache: torch.Tensor
    has_cache: torch.Tensor
    thetas: tuple[float, ...]
    rank: torch.Tensor
    p_top: torch.Tensor


@dataclass
class CacheReport:
    """Perplexities with and without the cache, and the chosen settings."""

    window: int
    theta: float
    lambda_: float
    valid_perplexity: float
    valid_perplexity_cache: float
    test_perplexity: float | None = None
    test_perplexity_cache: float | None = None
    #: Validation tokens read (a fit's tuning may read fewer than the validation text holds).
    tokens: int | None = None
    #: Seconds of a time budget the tuning was held to, when that is why it read fewer tokens (``None``: it was
    #: not cut by a budget).
    budget_seconds: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "window": self.window,
            "theta": self.theta,
            "lambda": self.lambda_,
            "valid_perplexity": self.valid_perplexity,
            "valid_perplexity_cache": self.valid_perplexity_cache,
            "test_perplexity": self.test_perplexity,
            "test_perplexity_cache": self.test_perplexity_cache,
        }


def _check(window: int, thetas: Sequence[float], chunk: int, *, allow_none: bool = False) -> None:
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ConfigError(f"window must be a whole number >= 1; got {window!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ConfigError(f"chunk must be a whole number >= 1; got {chunk!r}")
    if (not thetas and not allow_none) or any(not (isinstance(t, (int, float)) and t > 0) for t in thetas):
        raise ConfigError(f"thetas must be positive numbers; got {list(thetas)!r}")


#: Rows the held-out stream is cut into at most, read side by side as a language model's batches are.
MAX_ROWS = 32
#: Tokens each row reads before its first scored token, without the cache (with it: ``window`` more, so that the
#: states in its cache are warmed up too), so that its hidden state carries the text before it as the single
#: stream's does.
CONTEXT = 200
#: A row scores at least this many times its context: the warm-up adds at most an eighth to the reading (on a CPU
#: the decoder's softmax over the vocabulary, as costly per token in a batch as alone, is most of the time).
ROW_CONTEXTS = 8
#: Positions of each row read in one step at least (unless ``chunk`` is smaller).
MIN_STEP = 32


def stream_rows(n: int, rows: int, context: int) -> list[tuple[int, int, int]]:
    """How ``n`` predicted positions are cut into at most ``rows`` rows, each warmed up on the ``context``
    positions before it: ``(first read, first scored, end)`` of each row, the scored spans one after the other.

    Every row reads as many positions (the last one fewer): the first row, which has no text before it, scores
    ``context`` more than the others. Fewer rows come back when the stream is too short to give each one a
    position of its own.

    Example:
        >>> stream_rows(20, 3, 2)
        [(0, 0, 8), (6, 8, 14), (12, 14, 20)]
    """
    length = -(-(n + (rows - 1) * context) // rows)  # ceil: positions each row reads, its context included
    spans: list[tuple[int, int, int]] = []
    start = 0
    while start < n:
        first = max(0, start - context)
        end = min(n, first + length)  # > start: length > context whenever n > context
        spans.append((first, start, end))
        start = end
    return spans


def _plan(n: int, window: int, scored_cache: bool, rows: int | None, context: int | None) -> tuple[int, int]:
    """``(rows, context)`` of a read of ``n`` predicted positions: by default as many rows as the stream holds,
    each at least :data:`ROW_CONTEXTS` times its context, up to :data:`MAX_ROWS`; the context :data:`CONTEXT`, and the
    cache's window more, so each row's cache holds the states before it, warmed up, as the single stream's does."""
    if context is None:
        context = CONTEXT + window if scored_cache else CONTEXT
    if rows is None:
        rows = max(1, min(MAX_ROWS, n // (ROW_CONTEXTS * max(context, 1))))
    return rows, context


def positions_read(
    n: int, *, window: int = 500, cached: bool = True, rows: int | None = None, context: int | None = None
) -> tuple[int, int]:
    """``(rows, positions)`` :func:`stream_probabilities` reads for a stream of ``n`` predicted tokens with these
    settings: the rows side by side, and every row's positions, its context and the last row's padding included
    (what its time grows with, to foresee it from a timed probe)."""
    rows, context = _plan(n, window, cached, rows, context)
    spans = stream_rows(n, rows, context)
    return len(spans), len(spans) * max(end - first for first, _, end in spans)


@torch.no_grad()
def stream_probabilities(
    model: nn.Module,
    ids: torch.Tensor,
    *,
    window: int = 500,
    thetas: Sequence[float] = DEFAULT_THETAS,
    chunk: int = 256,
    rows: int | None = None,
    context: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> StreamProbabilities:
    """Run ``model`` over the 1-d stream ``ids`` and score the cache for every ``θ`` (``thetas=()``: the model
    alone); ``progress``, when given, is called after each step with the share of the read done (0 to 1).

    The stream is cut into ``rows`` contiguous rows read side by side (a batch of ``rows``), each carrying its
    hidden state and its own cache from one window of ``chunk // rows`` tokens (:data:`MIN_STEP` at least) to the next, as one row of a
    language model's batches does. A row starts ``context`` tokens before its first scored token, from a zeroed
    state: it reads them only to carry the text before it into its state and its cache. Each scored token's state
    then differs from the single stream's (``rows=1``, exact) only by what the text more than ``context`` tokens
    back left in it, which an LSTM has mostly forgotten (the perplexities agree to 1e-5, relative, in the tests).
    With the cache scored the default context is ``window`` more, so every token's cache holds the same ``window``
    states before it as in the single stream, each warmed up on :data:`CONTEXT` tokens at least (with a context
    of just ``window`` the states a row reads first, from a zeroed state, would sit in its first tokens' caches). Default ``rows``: as many as the stream holds, each
    scoring at least :data:`ROW_CONTEXTS` times its context, up to :data:`MAX_ROWS` (a short stream is read in one
    row: exactly). The result depends only on the stream and these settings: it is the same from run to run.

    ``model`` must have ``features(ids (B, T)) -> (B, T, E)`` (the last layer's output, carrying each row's state
    to the next call), ``decoder`` (features -> logits) and ``reset()``, as
    :class:`~trainwell.text.awd_lstm.AWDLSTMLanguageModel` has.
    """
    _check(window, thetas, chunk, allow_none=True)
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 1):
        raise ConfigError(f"rows must be a whole number >= 1; got {rows!r}")
    if context is not None and (isinstance(context, bool) or not isinstance(context, int) or context < 0):
        raise ConfigError(f"context must be a whole number >= 0; got {context!r}")
    ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
    if len(ids) < 2:
        raise DataError(f"the stream has {len(ids)} tokens; the cache needs at least 2")
    n = len(ids) - 1
    rows, context = _plan(n, window, bool(thetas), rows, context)
    spans = stream_rows(n, rows, context)
    was_training = model.training
    model.eval()
    model.reset()  # type: ignore[operator]
    device = next(model.parameters()).device
    ids = ids.to(device)
    # Row r reads positions first_r + j; pad positions past a row's end (the last row only) repeat the stream's
    # last one, and are read after every real position of the row, so they change nothing that is scored.
    firsts = torch.tensor([first for first, _, _ in spans], device=device)
    length = max(end - first for first, _, end in spans)
    column = torch.arange(length, device=device)
    positions = firsts[:, None] + column[None, :]  # (R, L)
    scored = (positions >= torch.tensor([start for _, start, _ in spans], device=device)[:, None]) & (
        positions < torch.tensor([end for _, _, end in spans], device=device)[:, None]
    )
    positions = positions.clamp_max(n - 1)
    inputs, targets = ids[positions], ids[positions + 1]  # (R, L)
    theta_column = torch.tensor(list(thetas), dtype=torch.float32, device=device)[:, None, None, None]
    history_h = torch.empty(len(spans), 0, 0, device=device)
    history_y = torch.empty(len(spans), 0, dtype=torch.long, device=device)
    p_model_parts, p_cache_parts, rank_parts, top_parts = [], [], [], []
    # chunk // rows positions of each row a step, but not so few that the per-call cost of the recurrent layers
    # outweighs the batch (8 positions of 32 rows cost as much per token as 32 of 32 rows took six times over).
    step = max(min(chunk, MIN_STEP), chunk // len(spans))
    for offset in range(0, length, step):
        x, y = inputs[:, offset : offset + step], targets[:, offset : offset + step]  # (R, T)
        h = model.features(x).float()  # type: ignore[operator]  # (R, T, E)
        log_probs = F.log_softmax(model.decoder(h).float(), dim=-1)  # type: ignore[operator]  # (R, T, V)
        true_log_prob = log_probs.gather(2, y[..., None])  # (R, T, 1)
        p_model_parts.append(true_log_prob[..., 0].exp())
        rank_parts.append((log_probs > true_log_prob).sum(2))
        top_parts.append(log_probs.max(2).values.exp())
        if thetas:
            keys = torch.cat([history_h, h], 1) if history_h.numel() else h  # (R, M + T, E)
            key_y = torch.cat([history_y, y], 1)  # the word that followed each key state
            t_len, m_len = h.size(1), history_y.size(1)
            key_pos = torch.arange(-m_len, t_len, device=device)
            query_pos = torch.arange(t_len, device=device)
            visible = (key_pos[None, :] < query_pos[:, None]) & (
                key_pos[None, :] >= query_pos[:, None] - window
            )
            scores = h @ keys.transpose(1, 2)  # (R, T, M + T)
            logits = (theta_column * scores[None]).masked_fill(~visible, float("-inf"))  # (θ, R, T, M + T)
            weights = torch.softmax(logits, dim=-1).nan_to_num(0.0)  # a row with nothing visible -> zeros
            match = (key_y[:, None, :] == y[:, :, None]).float()  # (R, T, M + T)
            p_cache_parts.append((weights * match[None]).sum(-1))  # (θ, R, T)
            history_h, history_y = keys[:, -window:], key_y[:, -window:]
        if progress is not None:
            progress(min(1.0, (offset + step) / length))
    model.reset()  # type: ignore[operator]
    model.train(was_training)
    # A row's cache holds what the row read before: nothing at its first position (the stream's first token, or a
    # row's first with no context).
    has_cache = (column > 0).expand_as(scored)[scored].cpu()
    # Row-major order of the scored positions is the stream's order: the rows' spans follow one another.
    return StreamProbabilities(
        p_model=torch.cat(p_model_parts, 1)[scored].cpu(),
        p_cache=torch.cat(p_cache_parts, 2)[:, scored].cpu() if p_cache_parts else torch.zeros(0, n),
        has_cache=has_cache,
        thetas=tuple(float(t) for t in thetas),
        rank=torch.cat(rank_parts, 1)[scored].cpu(),
        p_top=torch.cat(top_parts, 1)[scored].cpu(),
    )


def cache_mixture(
    p_model: torch.Tensor, p_cache: torch.Tensor, lambda_: float, has_cache: torch.Tensor | None = None
) -> torch.Tensor:
    """Each token's probability under ``(1 - λ) p_model + λ p_cache`` (float64; the model alone where the cache
    is empty)."""
    mixed = (1 - lambda_) * p_model.double() + lambda_ * p_cache.double()
    return mixed if has_cache is None else torch.where(has_cache, mixed, p_model.double())


def cache_perplexity(
    p_model: torch.Tensor, p_cache: torch.Tensor, lambda_: float, has_cache: torch.Tensor | None = None
) -> float:
    """Perplexity of the mixture ``(1 - λ) p_model + λ p_cache`` (the model alone where the cache is empty)."""
    mixed = cache_mixture(p_model, p_cache, lambda_, has_cache)
    return math.exp(-float(mixed.clamp_min(1e-30).log().mean()))


def evaluate_cache(
    model: nn.Module,
    valid_ids: torch.Tensor,
    test_ids: torch.Tensor | None = None,
    *,
    window: int = 500,
    thetas: Sequence[float] = DEFAULT_THETAS,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    chunk: int = 256,
    rows: int | None = None,
    context: int | None = None,
) -> CacheReport:
    """Tune ``θ`` and ``λ`` on ``valid_ids``; report perplexities with and without the cache (and on test).

    Each stream is read as one history, every token after the first predicted (in ``rows`` rows warmed up on
    ``context`` tokens each: :func:`stream_probabilities`): the perplexities without the cache are
    ``learn.validate(loader.new(batch_size=1))``'s, not those of a loader read in several rows from zeroed
    states (see the module docstring).

    Example:
        >>> report = evaluate_cache(model, valid_ids, test_ids, window=500)       # doctest: +SKIP
        >>> report.test_perplexity, report.test_perplexity_cache                  # doctest: +SKIP
    """
    if not lambdas or any(not 0 <= lam < 1 for lam in lambdas):
        raise ConfigError(f"lambdas must be numbers in [0, 1); got {list(lambdas)!r}")
    valid = stream_probabilities(
        model, valid_ids, window=window, thetas=thetas, chunk=chunk, rows=rows, context=context
    )
    base = cache_perplexity(valid.p_model, valid.p_model, 0.0)
    best = (base, valid.thetas[0], 0.0)
    for row, theta in enumerate(valid.thetas):
        for lam in lambdas:
            ppl = cache_perplexity(valid.p_model, valid.p_cache[row], lam, valid.has_cache)
            if ppl < best[0]:
                best = (ppl, theta, float(lam))
    report = CacheReport(window, best[1], best[2], base, best[0])
    if test_ids is not None:
        test = stream_probabilities(
            model, test_ids, window=window, thetas=(best[1],), chunk=chunk, rows=rows, context=context
        )
        report.test_perplexity = cache_perplexity(test.p_model, test.p_model, 0.0)
        report.test_perplexity_cache = cache_perplexity(
            test.p_model, test.p_cache[0], best[2], test.has_cache
        )
    return report
