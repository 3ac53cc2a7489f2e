"""``trainwell generate`` writes its text as it is sampled and says how long a long run will take: ``--n-words
100000`` of a PTB model printed nothing for 45 minutes (tour60 #9). What it writes, what ``generate`` returns and
what the stream yields are the text of the tokens a decoding of the model's own logits chooses, computed here
apart from the sampler: the whole text fed afresh for each token, no carried state, the same masks and draws.
(``generate`` joins the stream's pieces, so comparing those two alone would test nothing.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.text import lm_sampling
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_predictor import generate_text, pace_warning, stream_generated_text
from trainwell.text.lm_sampling import stream_text
from trainwell.text.lm_stream import lm_data
from trainwell.text.specials import BOS, FAKE_PREFIX, MAJ, PAD, UNK, UP

# Capitals (xxmaj), quotes that open and close, clitics and punctuation: what decoding joins across tokens.
CORPUS = 'The cat sat on the mat . " Yes , " said Tom . We did n\'t go to Paris ! The dog ate a bone . ' * 30


def reference_text(model: Any, recipe: Any, prompt: str, n_words: int, **settings: Any) -> str:
    """The prompt, then the text of ``n_words`` tokens each chosen from the logits of the whole text so far, fed
    from a zeroed state (``temperature`` 0: the likeliest; else drawn from the softmax at that temperature with a
    generator seeded ``seed``), never padding, start, unknown or filler tokens, and a case mark never after
    another nor last: the sampler's rules, applied without its incremental state."""
    temperature, seed = settings.get("temperature", 1.0), settings.get("seed")
    itos = recipe.vocab.itos
    prompt_ids = list(recipe.encode(prompt))
    while len(prompt_ids) > 1 and prompt_ids[-1] == recipe.vocab.eos_id:
        prompt_ids.pop()  # a prompt is continued, not ended
    never = [i for i, token in enumerate(itos) if token in (PAD, BOS, UNK) or token.startswith(FAKE_PREFIX)]
    marks = [i for i, token in enumerate(itos) if token in (MAJ, UP)]
    generator = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    ids = list(prompt_ids)
    model.eval()
    with torch.no_grad():
        for step in range(n_words):
            model.reset()
            logits = model(torch.tensor([ids]))[0, -1].float()
            logits[never] = float("-inf")
            if ids[-1] in marks or step == n_words - 1:
                logits[marks] = float("-inf")
            if temperature == 0:
                ids.append(int(logits.argmax()))
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                ids.append(int(torch.multinomial(probs, 1, generator=generator)))
    model.reset()
    decoded_prompt, decoded = recipe.decode(prompt_ids), recipe.decode(ids)
    assert decoded.startswith(decoded_prompt)  # the prompt is echoed as written, the rest as decoded
    return prompt + decoded[len(decoded_prompt) :]


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    torch.manual_seed(0)
    data = lm_data([CORPUS] * 3, batch_size=4, bptt=10, min_freq=1, seed=0)
    learn = language_model_learner(data, emb_size=8, hidden_size=16, n_layers=1, progress=False)
    learn.fit_one_cycle(4, 1e-2)  # enough to follow its context: a feed of the wrong token changes the text
    out = tmp_path_factory.mktemp("gen") / "lm"
    learn.export(out)
    return learn, out


@pytest.mark.parametrize(
    "settings",
    [
        {"temperature": 0.0},
        {"temperature": 1.5, "seed": 0},
        {"temperature": 1.5, "seed": 5},
        {"temperature": 0.7, "seed": 2},
    ],
)
def test_generated_and_streamed_text_is_the_models_own_decoding(
    lm: tuple[Any, Path], settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    learn, _ = lm
    model, recipe = learn.model, learn.recipe
    expected = reference_text(model, recipe, "The cat", 60, **settings)
    assert len(expected) > len("The cat") + 20  # sixty tokens of text (greedy: dots), not a stray few
    assert generate_text(model, recipe, "The cat", 60, **settings) == expected
    # A piece after every token: the hardest case for joining the pieces
    monkeypatch.setattr(lm_sampling, "PACE_SECONDS", 0.0)
    monkeypatch.setattr(lm_sampling, "STREAM_INTERVAL", 0.0)
    pieces = list(stream_generated_text(model, recipe, "The cat", 60, **settings))
    assert "".join(pieces) == expected, pieces
    # written as it came, not at the end (the greedy text here is dots alone, which decoding joins as one run)
    assert len(pieces) > (1 if settings["temperature"] == 0 else 10)
    assert learn.generate("the dog", 12, **settings) == reference_text(
        model, recipe, "the dog", 12, **settings
    )


def test_the_cli_writes_the_models_own_decoding(lm: tuple[Any, Path]) -> None:
    _, out = lm
    loaded = trainwell.load(out)
    for args, settings in (
        (["--temperature", "0"], {"temperature": 0.0}),
        (["--temperature", "1.2", "--seed", "3"], {"temperature": 1.2, "seed": 3}),
    ):
        written = CliRunner().invoke(app, ["generate", str(out), "The dog", "--n-words", "40", *args])
        assert written.exit_code == 0, written.output
        expected = reference_text(loaded.model, loaded.recipe, "The dog", 40, **settings)
        assert written.stdout == expected + "\n"


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
