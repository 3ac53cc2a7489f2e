"""What a language model's fit says after training: the cache pointer's uncached perplexity told apart from
the fit's validation perplexity a line above (tour T48 saw 317.3, then "293.4 -> 168.5" with no word why)."""

from __future__ import annotations

import pytest

from text_samples import stories
from trainwell.cli.fit_cmd import cache_line
from trainwell.text.lm_learner import fit_language_model


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> object:
    out = tmp_path_factory.mktemp("lm_lines") / "model"
    return fit_language_model(stories(200), valid=stories(40, seed=7), out=out, epochs=1, lr=1e-2, progress=False,
                              batch_size=8, bptt=12, min_freq=1,
                              learner_kwargs={"emb_size": 16, "hidden_size": 24, "n_layers": 1})  # fmt: skip


def test_the_cache_tuning_records_how_many_validation_tokens_it_read(run: object) -> None:
    cache, learn = run.cache, run.learn  # type: ignore[attr-defined]
    assert cache is not None and cache.tokens == len(learn.data.valid.ids)


def test_the_cache_line_says_why_its_uncached_figure_differs_from_the_fits(run: object) -> None:
    cache, learn = run.cache, run.learn  # type: ignore[attr-defined]
    line = cache_line(cache, learn.data.valid, 317.3)
    assert line.startswith(f"cache pointer: on {cache.tokens:,} validation tokens read as one stream")
    assert "the 317.3 above reads it in 8 rows side by side, each starting with no text before it" in line
    assert (
        f"perplexity {cache.valid_perplexity:.1f} without the cache -> {cache.valid_perplexity_cache:.1f}"
        in line
    )
    assert "with it" in line and "chosen there: an optimistic figure" in line


def test_without_a_fit_figure_the_line_does_not_compare(run: object) -> None:
    cache, learn = run.cache, run.learn  # type: ignore[attr-defined]
    assert "above" not in cache_line(cache, learn.data.valid, None)


def test_a_tuning_on_part_of_the_validation_text_says_how_much(run: object) -> None:
    import dataclasses

    cache, learn = run.cache, run.learn  # type: ignore[attr-defined]
    part = dataclasses.replace(cache, tokens=100)
    whole = len(learn.data.valid.ids)
    assert cache_line(part, learn.data.valid, 317.3).startswith(
        f"cache pointer: on the first 100 of the {whole:,} validation tokens read as one stream"
    )
