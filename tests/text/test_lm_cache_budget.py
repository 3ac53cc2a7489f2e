"""Under a time budget the cache pointer's tuning reads as much validation text as fits in its share of the budget:
its probe's time is scaled to the rows the longer read goes in (``positions_read``), on a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from text_samples import stories
from trainwell.callbacks.budget import TimeBudget
from trainwell.text import language_model_learner, lm_data, lm_pipeline

SIZES = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}


@pytest.fixture(scope="module")
def long_valid() -> Any:
    """An untrained small model over about 30,000 validation tokens: read in several rows by the cache's tuning."""
    data = lm_data(stories(200), valid=stories(1400, seed=1), batch_size=8, bptt=12, min_freq=1)
    return language_model_learner(data, progress=False, **SIZES)


# Step times (fake seconds) as a + b * rows, and c * rows more with the cache full: a GPU's, where a step of several
# rows costs about one row's, and a CPU's, where each row adds to it; and shares of the budget that fit part of the
# text or all of it.
@pytest.mark.parametrize(
    ("a", "b", "c", "share", "rows"),
    [
        (1e-3, 1e-5, 1e-5, 4.0, 1),
        (1e-3, 1e-5, 1e-5, 8.0, 1),
        (1e-3, 1e-5, 1e-5, 15.0, 5),  # by the probe's time per token: about 14,900 tokens, 9.3 s of 15
        (1e-3, 2e-4, 3e-4, 5.0, 1),
        (1e-3, 2e-4, 3e-4, 9.0, 1),
        (1e-3, 2e-4, 3e-4, 16.0, 2),
        (1e-3, 2e-4, 3e-4, 40.0, 5),
    ],
)
def test_the_tuning_takes_the_share_of_the_budget_it_is_given(
    long_valid: Any, monkeypatch: pytest.MonkeyPatch, a: float, b: float, c: float, share: float, rows: int
) -> None:
    # The probe's 1,000 tokens went in one row and the rest was sized by its time per token, but a longer read
    # goes in rows side by side: on a GPU the tuning read far less than its share allowed.
    import trainwell.text.cache as cache_module

    now = [0.0]
    reads: list[tuple[int, int]] = []  # (tokens, rows) of each read
    read = cache_module.stream_probabilities

    def timed_read(model: Any, ids: Any, **settings: Any) -> Any:
        rows, positions = cache_module.positions_read(
            len(ids) - 1,
            window=settings.get("window", 500),
            cached=bool(settings.get("thetas", cache_module.DEFAULT_THETAS)),
            rows=settings.get("rows"),
            context=settings.get("context"),
        )
        steps = positions // rows
        # a step's own time, and the cache's, growing with the states in it (up to its window)
        now[0] += steps * (a + b * rows) + c * rows * sum(min(step, 500) for step in range(steps)) / 500
        reads.append((len(ids), rows))
        return read(model, ids, **settings)

    monkeypatch.setattr(cache_module, "stream_probabilities", timed_read)
    n_valid = len(long_valid.data.valid.ids)
    assert cache_module.positions_read(n_valid - 1)[0] > 2  # the whole text would be read in several rows
    budget = TimeBudget(share / lm_pipeline.CACHE_TUNE_SHARE, clock=lambda: 0.0).start()
    lm_pipeline._tune_cache(long_valid, budget, clock=lambda: now[0])
    took = now[0]
    assert took <= share * 1.0001  # never more than its share
    tuned = reads[-1][0]
    assert tuned == n_valid or took >= 0.9 * share, (took, reads)  # and not much less, unless it read it all
    assert reads[-1][1] == rows and (tuned == n_valid) == (
        rows == 5
    )  # the longest read that fits, in its rows
    assert long_valid.cache_report is not None and long_valid.cache_report.valid_perplexity > 1
