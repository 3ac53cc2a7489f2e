"""The continuous cache pointer (Grave, Joulin and Usunier 2016): a free memory of the recent past at evaluation.

A word that occurred lately is likely to occur again (names, topics). The cache keeps the last ``window``
hidden states ``h_i`` of the model's last layer, each with the word that followed it, ``x_{i+1}``, and turns
the similarity of the current state to them into a distribution over the words they predicted::

    p_cache(w | h_t) ∝ Σ_{i in window, x_{i+1} = w} exp(θ · h_t · h_i)
    p(w | h_t) = (1 - λ) p_model(w | h_t) + λ p_cache(w | h_t)

Nothing is trained: ``θ`` (how peaked the match is) and ``λ`` (how much to trust the cache) are picked on
validation text from a small grid, then applied to test text.

Evaluation reads the stream with batch size 1 (the cache needs one continuous history): every token but the
first is predicted, from one hidden state carried from the start. Its perplexity without the cache is therefore
that of ``learn.validate(loader.new(batch_size=1))``, and a little lower than ``learn.validate(loader)`` at the
loader's batch size, which starts each of its rows from a zeroed state (see
:meth:`~trainwell.text.lm_learner.LanguageModelLearner.validate`). It is vectorised per
chunk of ``chunk`` tokens: the chunk's states are scored against the window before it and themselves in one
matrix product ``(T, window + T)``, masked so each position sees only the ``window`` states before it, and every
``θ`` of the grid reuses those scores. Only the probability of the word that really came next is needed for
perplexity, so no vocabulary-sized cache distribution is ever built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    "stream_probabilities",
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


@torch.no_grad()
def stream_probabilities(
    model: nn.Module,
    ids: torch.Tensor,
    *,
    window: int = 500,
    thetas: Sequence[float] = DEFAULT_THETAS,
    chunk: int = 256,
) -> StreamProbabilities:
    """Run ``model`` over the 1-d stream ``ids`` (batch size 1) and score the cache for every ``θ`` (``thetas=()``:
    the model alone).

    ``model`` must have ``features(ids (1, T)) -> (1, T, E)`` (the last layer's output), ``decoder`` (features
    -> logits) and ``reset()``, as :class:`~trainwell.text.awd_lstm.AWDLSTMLanguageModel` has.
    """
    _check(window, thetas, chunk, allow_none=True)
    ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
    if len(ids) < 2:
        raise DataError(f"the stream has {len(ids)} tokens; the cache needs at least 2")
    was_training = model.training
    model.eval()
    model.reset()  # type: ignore[operator]
    device = next(model.parameters()).device
    ids = ids.to(device)
    theta_column = torch.tensor(list(thetas), dtype=torch.float32, device=device)[:, None, None]
    history_h = torch.empty(0, 0, device=device)
    history_y = torch.empty(0, dtype=torch.long, device=device)
    p_model_parts, p_cache_parts, rank_parts, top_parts = [], [], [], []
    n = len(ids) - 1
    for offset in range(0, n, chunk):
        x = ids[offset : min(offset + chunk, n)][None]  # (1, T)
        y = ids[offset + 1 : offset + 1 + x.size(1)]  # (T,)
        h = model.features(x)[0].float()  # type: ignore[operator]  # (T, E)
        log_probs = F.log_softmax(model.decoder(h).float(), dim=-1)  # type: ignore[operator]
        true_log_prob = log_probs.gather(1, y[:, None])  # (T, 1)
        p_model_parts.append(true_log_prob[:, 0].exp())
        rank_parts.append((log_probs > true_log_prob).sum(1))
        top_parts.append(log_probs.max(1).values.exp())
        if not thetas:
            continue
        keys = torch.cat([history_h, h]) if history_h.numel() else h  # (M + T, E)
        key_y = torch.cat([history_y, y])  # the word that followed each key state
        t_len, m_len = h.size(0), history_y.numel()
        key_pos = torch.arange(-m_len, t_len, device=device)
        query_pos = torch.arange(t_len, device=device)
        visible = (key_pos[None, :] < query_pos[:, None]) & (key_pos[None, :] >= query_pos[:, None] - window)
        scores = h @ keys.t()  # (T, M + T)
        logits = (theta_column * scores[None]).masked_fill(~visible[None], float("-inf"))  # (θ, T, M + T)
        weights = torch.softmax(logits, dim=-1).nan_to_num(0.0)  # a row with nothing visible -> zeros
        match = (key_y[None, :] == y[:, None]).float()  # (T, M + T)
        p_cache_parts.append((weights * match[None]).sum(-1))  # (θ, T)
        history_h, history_y = keys[-window:], key_y[-window:]
    model.reset()  # type: ignore[operator]
    model.train(was_training)
    has_cache = torch.ones(n, dtype=torch.bool)
    has_cache[0] = False
    return StreamProbabilities(
        p_model=torch.cat(p_model_parts).cpu(),
        p_cache=torch.cat(p_cache_parts, dim=1).cpu() if p_cache_parts else torch.zeros(0, n),
        has_cache=has_cache,
        thetas=tuple(float(t) for t in thetas),
        rank=torch.cat(rank_parts).cpu(),
        p_top=torch.cat(top_parts).cpu(),
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
) -> CacheReport:
    """Tune ``θ`` and ``λ`` on ``valid_ids``; report perplexities with and without the cache (and on test).

    Each stream is read as one row from one hidden state, every token after the first predicted: the
    perplexities without the cache are ``learn.validate(loader.new(batch_size=1))``'s, not those of a loader read
    in several rows (each row starts from a zeroed state; see the module docstring).

    Example:
        >>> report = evaluate_cache(model, valid_ids, test_ids, window=500)       # doctest: +SKIP
        >>> report.test_perplexity, report.test_perplexity_cache                  # doctest: +SKIP
    """
    if not lambdas or any(not 0 <= lam < 1 for lam in lambdas):
        raise ConfigError(f"lambdas must be numbers in [0, 1); got {list(lambdas)!r}")
    valid = stream_probabilities(model, valid_ids, window=window, thetas=thetas, chunk=chunk)
    base = cache_perplexity(valid.p_model, valid.p_model, 0.0)
    best = (base, valid.thetas[0], 0.0)
    for row, theta in enumerate(valid.thetas):
        for lam in lambdas:
            ppl = cache_perplexity(valid.p_model, valid.p_cache[row], lam, valid.has_cache)
            if ppl < best[0]:
                best = (ppl, theta, float(lam))
    report = CacheReport(window, best[1], best[2], base, best[0])
    if test_ids is not None:
        test = stream_probabilities(model, test_ids, window=window, thetas=(best[1],), chunk=chunk)
        report.test_perplexity = cache_perplexity(test.p_model, test.p_model, 0.0)
        report.test_perplexity_cache = cache_perplexity(
            test.p_model, test.p_cache[0], best[2], test.has_cache
        )
    return report
