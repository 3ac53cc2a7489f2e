"""Sampling a language model's continuation token by token, and its text as it grows.

:func:`sample_ids` yields each sampled id as soon as the model gives it (:func:`generate_ids` collects them);
:func:`stream_text` turns the growing ids into pieces of readable text, so that ``trainwell generate`` writes the
words as they come. It printed nothing until the last word: ``--n-words 100000`` of a PTB model ran for 45
minutes in silence (tour60 #9). Written here rather than with a streamer library: the pieces must join into
exactly the text :func:`~trainwell.text.lm_predictor.generate_text` returns, through this recipe's own decoding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

import torch
from torch import nn

from trainwell.core.errors import ConfigError, DataError

__all__ = ["check_sampling", "generate_ids", "nucleus", "sample_ids", "stable_end", "stream_text"]

_PROMPT_CHUNK = 256  # prompt tokens fed per forward call
#: Seconds of sampling before the first piece of text: the pace measured there foretells the whole run's time.
PACE_SECONDS = 1.0
#: Seconds between two pieces of streamed text (each decodes the text so far once).
STREAM_INTERVAL = 0.2


def check_sampling(n_words: int, temperature: float, top_k: int | None, top_p: float | None = None) -> None:
    """Refuse sampling settings out of range, naming the setting and what it takes."""
    if isinstance(n_words, bool) or not isinstance(n_words, int) or n_words < 1:
        raise ConfigError(f"n_words must be a whole number >= 1; got {n_words!r}")
    if not (isinstance(temperature, (int, float)) and temperature >= 0):
        raise ConfigError(
            f"temperature must be a number >= 0 (0 = always the likeliest word); got {temperature!r}"
        )
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ConfigError(
            f"top_k must be a whole number >= 1, or None to sample from every word; got {top_k!r}"
        )
    if top_p is not None and not (
        isinstance(top_p, (int, float)) and not isinstance(top_p, bool) and 0 < top_p <= 1
    ):
        raise ConfigError(
            f"top_p must be a number in (0, 1], e.g. 0.9 (sample among the likeliest words that hold 90% of the "
            f"probability), or None for all; got {top_p!r}"
        )


def sample_ids(
    model: nn.Module,
    prompt_ids: list[int],
    n_words: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    banned: list[int] | None = None,
    marks: list[int] | None = None,
) -> Iterator[int]:
    """Each of ``n_words`` ids sampled after ``prompt_ids`` from a stateful language model (``ids (1, T)`` ->
    logits), yielded as soon as it is drawn; the settings are checked at the call, before any is drawn.

    The prompt is fed once (in chunks, carrying the hidden state), then each sampled id is fed back alone.
    ``temperature`` 0 takes the likeliest id; ``top_k`` samples among the ``k`` likeliest only; ``top_p``
    among the likeliest ids whose probabilities (after the temperature) add up to ``top_p`` (nucleus sampling,
    Holtzman et al. 2019: the shortlist is long where the model is unsure, short where it is sure). ``marks``
    (case tokens such as ``xxmaj``) mark the word after them: one never follows another, nor ends the text.
    The model's state and training mode are restored when the ids run out or the caller stops reading.
    """
    check_sampling(n_words, temperature, top_k, top_p)
    if not prompt_ids:
        raise DataError("the prompt encodes to no tokens; pass some text")
    return _sampled(model, prompt_ids, n_words, temperature, top_k, top_p, seed, banned or [], marks or [])


def _sampled(
    model: nn.Module,
    prompt_ids: list[int],
    n_words: int,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    seed: int | None,
    banned: list[int],
    marks: list[int],
) -> Iterator[int]:
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    was_training = model.training
    reset = getattr(model, "reset", None)
    try:
        with torch.no_grad():
            model.eval()
            if callable(reset):
                reset()
            device = next(model.parameters()).device
            ids = torch.tensor(prompt_ids, dtype=torch.long, device=device)[None]
            for start in range(0, ids.size(1), _PROMPT_CHUNK):
                logits = model(ids[:, start : start + _PROMPT_CHUNK])
            previous = prompt_ids[-1]
            for step in range(n_words):
                last = logits[0, -1].float().cpu()
                if banned:
                    last[banned] = float("-inf")
                if marks and (previous in marks or step == n_words - 1):
                    last[marks] = float("-inf")
                if temperature == 0:
                    next_id = int(last.argmax())
                else:
                    if top_k is not None and top_k < last.numel():
                        threshold = torch.topk(last, top_k).values[-1]
                        last = last.masked_fill(last < threshold, float("-inf"))
                    probs = torch.softmax(last / temperature, dim=-1)
                    if top_p is not None and top_p < 1:
                        probs = nucleus(probs, top_p)
                    next_id = int(torch.multinomial(probs, 1, generator=generator))
                previous = next_id
                if step < n_words - 1:  # the last id needs no forward pass after it
                    logits = model(torch.tensor([[next_id]], device=device))
                yield next_id
    finally:
        if callable(reset):
            reset()
        model.train(was_training)


def generate_ids(
    model: nn.Module,
    prompt_ids: list[int],
    n_words: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    banned: list[int] | None = None,
    marks: list[int] | None = None,
) -> list[int]:
    """The ``n_words`` ids :func:`sample_ids` draws after ``prompt_ids``, all at once."""
    return list(
        sample_ids(
            model,
            prompt_ids,
            n_words,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
            banned=banned,
            marks=marks,
        )
    )


def nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """``probs`` (1-d) kept on the fewest likeliest ids whose probabilities add up to ``top_p`` (the likeliest
    always), renormalised; the rest 0.

    Example:
        >>> nucleus(torch.tensor([0.1, 0.6, 0.3]), 0.8).tolist()
        [0.0, 0.6666666865348816, 0.3333333432674408]
    """
    ordered, order = torch.sort(probs, descending=True)
    before = torch.cumsum(ordered, 0) - ordered  # the mass of the likelier ids
    keep = torch.zeros_like(probs, dtype=torch.bool)
    keep[order] = before < top_p
    kept = probs * keep
    return kept / kept.sum()


def stable_end(ids: list[int], start: int, is_plain: Callable[[int], bool]) -> int:
    """How many of ``ids`` decode to text that more ids can only extend: up to a point after two plain tokens
    (``is_plain``: not a case mark, repetition or end token, each of which changes the words after it:
    ``xxmaj`` capitalises the next word, ``xxrep 4 !`` needs its count and symbol), never before ``start`` (the
    prompt's end).

    Example:
        >>> plain = lambda token_id: token_id != 9  # 9: a mark such as xxmaj
        >>> stable_end([1, 2, 3, 9], 1, plain), stable_end([1, 2, 9, 3], 1, plain), stable_end([1, 9], 1, plain)
        (3, 2, 1)
    """
    end = len(ids)
    while end > start and not (is_plain(ids[end - 1]) and (end < 2 or is_plain(ids[end - 2]))):
        end -= 1
    return max(end, start)


def stream_text(
    new_ids: Iterable[int],
    prompt_ids: list[int],
    n_words: int,
    text_of: Callable[[list[int]], str],
    is_plain: Callable[[int], bool],
    *,
    on_pace: Callable[[int, float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    interval: float | None = None,
) -> Iterator[str]:
    """Pieces of the text of ``prompt_ids`` continued by ``new_ids`` (``n_words`` of them), each yielded as the
    ids arrive (every ``interval`` seconds, :data:`STREAM_INTERVAL` by default; the first after
    :data:`PACE_SECONDS`), joining into exactly
    ``text_of(prompt_ids + all new ids)``. ``text_of`` reads a whole list of ids as text; each piece is the
    growth of the text of the ids up to :func:`stable_end`, which later ids only extend. ``on_pace(ids drawn,
    seconds)`` hears the pace once, before the first piece (to say how long the whole will take).

    Example:
        >>> words = ["the", "cat", "sat", "on", "a", "mat"]
        >>> text_of = lambda ids: " ".join(words[i] for i in ids)
        >>> ticks = iter(range(100))
        >>> clock = lambda: next(ticks)  # a second a tick: the first piece after a second, the rest at the end
        >>> list(stream_text([2, 3, 4, 5], [0, 1], 4, text_of, lambda i: True, clock=clock, interval=10))
        ['the cat sat', ' on a mat']
    """
    every = STREAM_INTERVAL if interval is None else interval
    ids = list(prompt_ids)
    started = clock()
    printed = ""
    flushed: float | None = None  # when the last piece was yielded; None: the pace is not said yet
    step = 0
    for step, next_id in enumerate(new_ids, start=1):
        ids.append(next_id)
        now = clock()
        last = step >= n_words
        if flushed is None:
            if not last and now - started < PACE_SECONDS:
                continue
            if on_pace is not None:
                on_pace(step, now - started)
        elif not last and now - flushed < every:
            continue
        flushed = now
        text = text_of(ids if last else ids[: stable_end(ids, len(prompt_ids), is_plain)])
        if text.startswith(printed) and len(text) > len(printed):
            yield text[len(printed) :]
            printed = text
        elif last and not text.startswith(printed):  # never met: the decoding of fewer ids was no prefix
            yield "\n" + text
    if step < n_words:  # the ids ran out early: what came is said
        text = text_of(ids)
        if text.startswith(printed) and len(text) > len(printed):
            yield text[len(printed) :]
