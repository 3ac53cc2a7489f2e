"""The language-model report judges only what its figures can show (tour T48): a model whose first guesses all
sit near one probability has no calibration to judge, and a model worse than a Kneser-Ney trigram is warned of
as the fit warned on the terminal."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from lm_scores import token_scores

from trainwell.report._lm import _calibration_section


def test_first_guesses_all_in_one_tenth_of_probability_have_no_calibration_to_judge() -> None:
    # The tour's model: 10,230 tokens, every first guess near p = 0.08, right 8% of the time.
    page = _calibration_section(token_scores(np.linspace(0.07, 0.09, 10_230), 0.08))
    assert "Calibration cannot be judged yet" in page and "never confident" in page
    assert "matches how often it is right" not in page and "<img" not in page
    assert "is never above 9.0% over all 10,230 tokens" in page


def test_first_guesses_all_in_a_narrow_confident_band_are_not_judged_either() -> None:
    page = _calibration_section(token_scores(np.linspace(0.91, 0.99, 500), 0.95))
    assert "stays between 91.0% and 99.0% over all 500 tokens, too narrow a range" in page
    assert "never confident" not in page and "<img" not in page


def test_first_guesses_spread_over_the_range_are_judged() -> None:
    page = _calibration_section(token_scores(np.repeat([0.05, 0.35, 0.75], [400, 300, 300]), 0.35))
    assert "<img" in page and "cannot be judged" not in page
    assert "matches how often it is right" in page  # stated 35.0%, right 35.0%


def test_a_few_stray_confident_tokens_do_not_make_a_calibration() -> None:
    p_top = np.concatenate([np.full(990, 0.08), [0.5] * 5, [0.9] * 5])  # two bins of 5 tokens: too few
    assert "Calibration cannot be judged yet" in _calibration_section(token_scores(p_top, 0.08))


def test_a_model_worse_than_the_trigram_is_a_warning_in_the_report() -> None:
    from trainwell.report._lm import _perplexity_section
    from trainwell.text.lm_eval import UnknownWords  # noqa: F401  (the section's own type)

    scores = token_scores(np.repeat([0.05, 0.35, 0.75], [400, 300, 300]), 0.2)
    history = [{"epoch": 0, "perplexity": 317.3, "perplexity_baseline": 42.2}]
    predictor = SimpleNamespace(
        recipe=SimpleNamespace(vocab=["w"] * 1000, cache=None, tokenizer_name="word"),
        metadata={"training": {"history": history}},
    )
    unknown = SimpleNamespace(sentence=lambda: "")
    page = _perplexity_section([scores], predictor, 0, unknown)  # type: ignore[arg-type]
    assert (
        "<p>Warning: at the end of training its validation perplexity, 317.3, was 7.5 times the 42.2 of a "
        "Kneser-Ney trigram counted on the training text: it has not yet learned more than word counts"
        in page
    )
    history[0]["perplexity"] = 30.0
    assert "Warning" not in _perplexity_section([scores], predictor, 0, unknown)  # type: ignore[arg-type]


def test_the_texts_continuation_shows_the_files_words_with_the_unknown_ones_marked() -> None:
    # The tour's continuations read "noble master! ... xxunk" where the file had words the vocabulary lacks.
    from trainwell.report._lm import _own_words
    from trainwell.text.lm_eval import encode_held_out
    from trainwell.text.lm_recipe import LMRecipe, WhitespaceTokenizer
    from trainwell.text.vocab import Vocab

    recipe = LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the", "cat", "sat"]], min_freq=1))
    held = encode_held_out(recipe, ["the cat sat on the <mat>", "the cat sat"])
    predictor = SimpleNamespace(recipe=recipe)
    shown = _own_words(predictor, held, 0, 6)  # type: ignore[arg-type]
    assert "xxunk" not in shown
    assert shown.startswith("the cat sat <mark title=")
    assert ">on</mark> the <mark" in shown and ">&lt;mat&gt;</mark>" in shown  # escaped as the file wrote it
    assert _own_words(predictor, held, 0, 3) == "the cat sat"  # no unknown word: decoded as before
