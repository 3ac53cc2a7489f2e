"""``generate`` says which words of the prompt the model does not know: ``trainwell generate tslm "xyzzy quantum
blockchain"`` printed a continuation conditioned on three unknown-word tokens, with no word about it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_samples import stories
from trainwell.text.lm_learner import fit_language_model
from trainwell.text.lm_predictor import load_lm, unknown_prompt_words, unknown_words_warning

BASELINE = "is not below the"


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generate_unknown") / "lm"
    fit_language_model(stories(80), out=out, epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                       learner_kwargs={"emb_size": 8, "hidden_size": 12, "n_layers": 1})  # fmt: skip
    return out


def test_python_generate_warns_naming_the_unknown_words(lm_dir: Path) -> None:
    predictor = load_lm(lm_dir)
    with pytest.warns(UserWarning) as caught:
        text = predictor.generate("xyzzy quantum blockchain", 5, seed=0)
    assert text.startswith("xyzzy quantum blockchain")
    messages = [str(warning.message) for warning in caught]
    assert messages == [
        "the prompt's words 'xyzzy', 'quantum', 'blockchain' (all 3 of its words) are not in the model's "
        "vocabulary: it reads them as the unknown-word token xxunk, so the continuation cannot follow them"
    ]
    assert caught[0].filename == __file__  # attributed to the caller's line, not to trainwell's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor.generate("name3 saw the", 3, seed=0)  # every word known: nothing said


def test_a_prompt_partly_unknown_counts_and_names_at_most_five(lm_dir: Path) -> None:
    recipe = load_lm(lm_dir).recipe
    unknown, n_words = unknown_prompt_words(recipe, "name3 saw zebra the zebra")
    assert unknown == ["zebra"] and n_words == 4  # each word once
    assert unknown_words_warning(unknown, n_words).startswith(
        "the prompt's word 'zebra' is not in the model's"
    )
    many = [f"w{i}" for i in range(8)]
    said = unknown_words_warning(many, 10)
    assert "'w0', 'w1', 'w2', 'w3', 'w4' and 3 more (8 of its 10)" in said and "'w5'" not in said


def test_the_command_line_warns_in_one_line_on_stderr(lm_dir: Path) -> None:
    from trainwell.cli.app import app

    result = CliRunner().invoke(
        app, ["generate", str(lm_dir), "xyzzy name3 quantum", "--n-words", "4", "--seed", "0"],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("xyzzy name3 quantum")
    # the tiny model's caution that it did not beat the trigram (tests/cli/test_generate_baseline_caution.py)
    warned = [line for line in result.stderr.splitlines() if line.strip() and BASELINE not in line]
    assert warned == [
        "warning: the prompt's words 'xyzzy', 'quantum' (2 of its 3) are not in the model's vocabulary: it reads "
        "them as the unknown-word token xxunk, so the continuation cannot follow them"
    ]
    known = CliRunner().invoke(
        app, ["generate", str(lm_dir), "name3 saw the", "--n-words", "3", "--seed", "0"]
    )
    assert known.exit_code == 0
    assert [line for line in known.stderr.splitlines() if line.strip() and BASELINE not in line] == []


def test_predict_says_when_texts_score_worse_than_a_uniform_guess(lm_dir: Path, tmp_path: Path) -> None:
    # `trainwell predict tslm one.txt` wrote a perplexity of 178,241 over a vocabulary of 6,584 words, no more.
    from trainwell.cli.app import app

    vocab_size = len(load_lm(lm_dir).recipe.vocab)
    lines = tmp_path / "texts.txt"
    lines.write_text("name3 saw the cat .\n" + " ".join(["xyzzy"] * 40) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(lm_dir), str(lines)])
    assert result.exit_code == 0, result.output
    perplexities = [float(line.split(",")[-1]) for line in result.stdout.splitlines()[1:]]
    worse = sum(value > vocab_size for value in perplexities)
    said = [line for line in result.stderr.splitlines() if "uniform guess" in line]
    if worse:
        which = "every text" if worse == len(perplexities) else f"{worse} of the {len(perplexities)} texts"
        assert said == [
            f"warning: {which} scored a perplexity above the {vocab_size:,} words of the model's vocabulary: the "
            "model does worse there than a uniform guess over its words (it has not learned text like this; train "
            "longer, or on text like it)"
        ]
    else:
        assert said == []

    import pandas as pd

    from trainwell.cli import _common
    from trainwell.cli.predict_cmd import _say_worse_than_uniform

    _common._shown.clear()
    _say_worse_than_uniform(pd.DataFrame({"perplexity": [12.0, 9000.0]}), 6584)
    _say_worse_than_uniform(pd.DataFrame({"perplexity": [12.0]}), 6584)  # within: nothing said
    assert "9000.0" not in str(_common._shown) and len(_common._shown) == 1
    assert next(iter(_common._shown)).startswith("1 of the 2 texts scored a perplexity above the 6,584 words")
