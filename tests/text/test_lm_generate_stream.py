"""``trainwell generate`` writes its text as it is sampled and says how long a long run will take: ``--n-words
100000`` of a PTB model printed nothing for 45 minutes (tour60 #9). The streamed pieces join into exactly the
text ``generate`` returns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from trainwell.text import lm_sampling
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_predictor import generate_text, pace_warning, stream_generated_text
from trainwell.text.lm_sampling import stream_text
from trainwell.text.lm_stream import lm_data

# Capitals (xxmaj), quotes that open and close, clitics and punctuation: what decoding joins across tokens.
CORPUS = 'The cat sat on the mat . " Yes , " said Tom . We did n\'t go to Paris ! The dog ate a bone . ' * 30


def test_streamed_pieces_join_into_the_generated_text(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    data = lm_data([CORPUS] * 3, batch_size=4, bptt=10, min_freq=1, seed=0)
    learn = language_model_learner(data, emb_size=8, hidden_size=16, n_layers=1, progress=False)
    learn.fit(1)
    # A piece after every token: the hardest case for joining the pieces
    monkeypatch.setattr(lm_sampling, "PACE_SECONDS", 0.0)
    monkeypatch.setattr(lm_sampling, "STREAM_INTERVAL", 0.0)
    for seed in range(6):
        settings = {"temperature": 1.5, "seed": seed}
        whole = generate_text(learn.model, learn.recipe, "The cat", 60, **settings)
        pieces = list(stream_generated_text(learn.model, learn.recipe, "The cat", 60, **settings))
        assert "".join(pieces) == whole, (seed, pieces)
        assert len(pieces) > 10  # written as it came, not at the end
    assert "".join(learn.stream("the dog", 12, seed=3)) == learn.generate("the dog", 12, seed=3)


def test_text_is_yielded_while_ids_are_still_being_drawn() -> None:
    words = ["the", "cat", "sat", "on", "a", "mat"]
    drawn: list[int] = []

    def ids() -> Iterator[int]:
        for step in range(50):
            drawn.append(step)
            yield 2 + step % 4

    ticks = iter(range(1000))  # a second a call: the first piece after the pace is measured, then each id
    paces: list[tuple[int, float]] = []
    seen = []
    for piece in stream_text(
        ids(),
        [0, 1],
        50,
        lambda chosen: " ".join(words[i] for i in chosen),
        lambda token_id: True,
        on_pace=lambda n, seconds: paces.append((n, seconds)),
        clock=lambda: next(ticks),
    ):
        seen.append((len(drawn), piece))
    assert seen[0] == (1, "the cat sat")  # one id drawn, its text written
    assert len(seen) == 50 and seen[-1][0] == 50
    assert "".join(piece for _, piece in seen).split()[:6] == ["the", "cat", "sat", "on", "a", "mat"]
    assert paces == [(1, 1.0)]  # said once, before the first piece


def test_a_long_generation_is_foretold_and_a_short_one_is_not() -> None:
    warning = pace_warning(100_000, 45, 1.0, "word")
    assert warning is not None
    assert str(warning).startswith("generating 100,000 words at about 45 a second here takes about 37m")
    assert warning.command_line.endswith("(Ctrl-C stops it; --n-words asks for fewer)")  # type: ignore[attr-defined]
    assert pace_warning(500, 45, 1.0, "word") is None  # 11 s
    assert "characters" in str(pace_warning(100_000, 1000, 1.0, "character"))
