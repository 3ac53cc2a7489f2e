"""The continuous cache pointer: checked against a per-token reference loop, and shown to help on a corpus
where rare words recur within a short window."""

from __future__ import annotations

import itertools
import math
import random

import pytest
import torch

from trainwell.core.errors import ConfigError
from trainwell.text.awd_lstm import AWDLSTMLanguageModel
from trainwell.text.cache import (
    cache_perplexity,
    evaluate_cache,
    positions_read,
    stream_probabilities,
    stream_rows,
)
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_stream import lm_data


def _reference(model: AWDLSTMLanguageModel, ids: torch.Tensor, window: int, theta: float) -> torch.Tensor:
    """p_cache of each next word, one token at a time, straight from the paper's formula."""
    model.eval()
    model.reset()
    with torch.no_grad():
        h = model.features(ids[:-1][None])[0]
    out = []
    for t in range(len(ids) - 1):
        keys = range(max(0, t - window), t)
        weights = torch.tensor([math.exp(theta * float(h[t] @ h[i])) for i in keys])
        hits = torch.tensor([float(ids[i + 1] == ids[t + 1]) for i in keys])
        out.append(float((weights * hits).sum() / weights.sum()) if len(weights) else 0.0)
    return torch.tensor(out)


def test_chunked_cache_matches_the_per_token_formula() -> None:
    torch.manual_seed(0)
    model = AWDLSTMLanguageModel(20, emb_size=6, hidden_size=8, n_layers=2)
    ids = torch.randint(0, 20, (40,))
    result = stream_probabilities(model, ids, window=7, thetas=(0.5, 2.0), chunk=6)
    for row, theta in enumerate((0.5, 2.0)):
        assert torch.allclose(result.p_cache[row], _reference(model, ids, 7, theta), atol=1e-5)
    model.reset()
    with torch.no_grad():
        log_probs = torch.log_softmax(model(ids[:-1][None])[0], -1)
    assert torch.allclose(result.p_model, log_probs.gather(1, ids[1:, None])[:, 0].exp(), atol=1e-5)
    assert cache_perplexity(result.p_model, result.p_cache[0], 0.0) == pytest.approx(
        math.exp(-float(result.p_model.log().mean())), rel=1e-6
    )


def _bursty_corpus(n_docs: int, seed: int) -> list[str]:
    """Documents of common words, each with its own rare name repeated a few times (the cache's use case)."""
    rng = random.Random(seed)
    common = [
        "the",
        "a",
        "of",
        "to",
        "and",
        "in",
        "said",
        "it",
        "was",
        "for",
        "on",
        "is",
        "that",
        "with",
        "by",
    ]
    docs = []
    for d in range(n_docs):
        name = f"name{seed}x{d}"
        words = [rng.choice(common) if rng.random() > 0.15 else name for _ in range(60)]
        docs.append(" ".join(words))
    return docs


def test_cache_lowers_perplexity_when_rare_words_recur() -> None:
    torch.manual_seed(0)
    train, valid, test = _bursty_corpus(30, 1), _bursty_corpus(8, 2), _bursty_corpus(8, 3)
    data = lm_data(train, valid=valid, test=test, tokenizer="whitespace", min_freq=1, batch_size=8, bptt=20)
    learn = language_model_learner(data, emb_size=16, hidden_size=32, n_layers=1, drop_mult=0.1,
                                   progress=False)  # fmt: skip
    learn.fit_one_cycle(2, 1e-2)
    report = learn.evaluate_cache(window=100, thetas=(0.3, 1.0), lambdas=(0.0, 0.1, 0.3, 0.5))
    assert report.lambda_ > 0
    assert report.test_perplexity_cache is not None and report.test_perplexity is not None
    assert report.test_perplexity_cache < 0.9 * report.test_perplexity  # names unseen in training: xxunk
    assert report.valid_perplexity_cache <= report.valid_perplexity


def test_validate_reads_rows_from_a_fresh_state_where_the_cache_reads_one_stream() -> None:
    # validate(data.test) and evaluate_cache's test perplexity without the cache differed (369.9 against 367.9 on
    # a real corpus): validate reads the stream in batch_size rows, each from a zeroed state, and leaves out the
    # (n - 1) % rows last tokens; the cache pointer reads it whole as one row. Both are exact for what they read.
    torch.manual_seed(0)
    rng = random.Random(0)
    words = [
        "the",
        "a",
        "cat",
        "dog",
        "sat",
        "ran",
        "on",
        "under",
        "mat",
        "rug",
        "and",
        "then",
        "it",
        "was",
        "big",
        "small",
        "red",
    ]
    texts = [" ".join(rng.choice(words) for _ in range(20)) for _ in range(12)]
    held = [" ".join(rng.choice(words) for _ in range(23)) for _ in range(5)]
    data = lm_data(texts, test=held, batch_size=4, bptt=8, min_freq=1, tokenizer="whitespace")
    learn = language_model_learner(data, emb_size=8, hidden_size=8, n_layers=1, progress=False)
    test = data.test
    ids, rows, length = test.ids, test.batch_size, test.row_length  # type: ignore[union-attr]
    assert (len(ids) - 1) % rows and test.n_tokens == rows * length < len(ids) - 1  # type: ignore[union-attr]
    report = evaluate_cache(learn.model, data.valid.ids, ids, thetas=(0.3,), lambdas=(0.0,))  # type: ignore[union-attr]
    in_rows = learn.validate(test)["perplexity"]
    assert in_rows != pytest.approx(report.test_perplexity, rel=1e-4)
    # One row: the cache pointer's figure.
    assert learn.validate(test.new(batch_size=1))["perplexity"] == pytest.approx(
        report.test_perplexity, rel=1e-5
    )  # type: ignore[union-attr]
    # Rows: each one scored as a stream of its own, the last tokens left out.
    alone = [
        stream_probabilities(learn.model, ids[r * length : (r + 1) * length + 1], thetas=())
        for r in range(rows)
    ]
    assert in_rows == pytest.approx(
        math.exp(-float(torch.cat([a.p_model for a in alone]).log().mean())), rel=1e-5
    )


def test_rows_cut_the_stream_into_contiguous_spans_each_warmed_up_on_its_context() -> None:
    for n, rows, context in ((20, 3, 2), (82_430, 32, 500), (1_000, 7, 0), (10, 5, 100), (101, 4, 25)):
        spans = stream_rows(n, rows, context)
        assert len(spans) <= rows and spans[0][:2] == (0, 0) and spans[-1][2] == n
        for (_, _, end), (_, start, _) in itertools.pairwise(spans):
            assert start == end  # the scored spans follow one another: every position once, in order
        assert all(start - first == min(context, start) and end > start for first, start, end in spans)
        reads = [end - first for first, _, end in spans]
        assert max(reads) - min(reads[:-1] or reads) == 0  # every row but the last reads as many positions
    assert stream_rows(10, 5, 100) == [(0, 0, 10)]  # too short for a second row
    # PTB's test text with the cache: 16 rows, each warmed up on the window (500) and 200 tokens more.
    assert positions_read(90_786, window=500) == (16, 16 * stream_rows(90_786, 16, 700)[0][2])
    assert positions_read(90_786, window=500, cached=False) == (32, 32 * stream_rows(90_786, 32, 200)[0][2])
    assert positions_read(1_000, window=500) == (1, 1_000)  # a short stream: one row, read exactly


def test_rows_warmed_up_on_the_whole_text_before_them_read_exactly_the_single_stream() -> None:
    # With a context as long as the stream, each row's state and cache are the single read's: the cut, the
    # per-row caches and the order the scores come back in are checked exactly (a context shorter than the
    # stream differs only by what an LSTM forgets: see test_lm_eval's trained model).
    torch.manual_seed(0)
    model = AWDLSTMLanguageModel(20, emb_size=6, hidden_size=8, n_layers=2)
    ids = torch.randint(0, 20, (90,))
    one = stream_probabilities(model, ids, window=7, thetas=(0.5, 2.0), chunk=6, rows=1)
    cut = stream_probabilities(model, ids, window=7, thetas=(0.5, 2.0), chunk=6, rows=4, context=89)
    assert torch.allclose(cut.p_model, one.p_model, atol=1e-6)
    assert torch.allclose(cut.p_cache, one.p_cache, atol=1e-6)
    assert torch.equal(cut.rank, one.rank) and torch.equal(cut.has_cache, one.has_cache)
    assert torch.allclose(one.p_cache[1], _reference(model, ids, 7, 2.0), atol=1e-5)
    # Without a context each row starts from a zeroed state and an empty cache: not the single read.
    cold = stream_probabilities(model, ids, window=7, thetas=(0.5, 2.0), chunk=6, rows=4, context=0)
    assert not torch.allclose(cold.p_cache, one.p_cache, atol=1e-3)
    starts = [start for _, start, _ in stream_rows(89, 4, 0)]
    assert torch.equal(cold.has_cache.logical_not().nonzero()[:, 0], torch.tensor(starts))  # empty caches
    # The same settings give the same numbers, run after run.
    again = stream_probabilities(model, ids, window=7, thetas=(0.5, 2.0), chunk=6, rows=4, context=89)
    assert torch.equal(again.p_model, cut.p_model) and torch.equal(again.p_cache, cut.p_cache)


def test_cache_arguments_are_checked() -> None:
    model = AWDLSTMLanguageModel(20, emb_size=4, hidden_size=4, n_layers=1)
    with pytest.raises(ConfigError, match="window must be a whole number >= 1"):
        stream_probabilities(model, torch.arange(10), window=0)
    with pytest.raises(ConfigError, match=r"lambdas must be numbers in \[0, 1\)"):
        evaluate_cache(model, torch.arange(10), lambdas=(1.0,))
    with pytest.raises(ConfigError, match="rows must be a whole number >= 1; got 0"):
        stream_probabilities(model, torch.arange(10), rows=0)
    with pytest.raises(ConfigError, match="context must be a whole number >= 0; got -1"):
        stream_probabilities(model, torch.arange(10), context=-1)
