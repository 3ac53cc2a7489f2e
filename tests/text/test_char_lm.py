"""A character-level language model (tour54 F1): ``trainwell fit shk/ --task language_model --tokenizer char`` was
refused ("use word or subword or whitespace"), and the only workaround (spaces between the characters, the
whitespace tokenizer) generated space-separated symbols and read a normal prompt as one unknown token. Now every
character is a token, line breaks included, and generated text is the characters joined with nothing between."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainwell.core.errors import ConfigError
from trainwell.text.lm_learner import fit_language_model
from trainwell.text.lm_predictor import load_lm
from trainwell.text.lm_recipe import CharTokenizer, LMRecipe
from trainwell.text.lm_stream import lm_data

VERSE = (
    "ROMEO:\nbut soft, what light through yonder window breaks?\n\n"
    "JULIET:\nit is the east, and juliet is the sun.\n\n"
)


def test_every_character_is_a_token_and_comes_back_joined_with_nothing_between() -> None:
    tokenizer = CharTokenizer()
    tokens = tokenizer.tokenize("to be,\nor")
    assert tokens == ["t", "o", " ", "b", "e", ",", "\n", "o", "r", "xxeos"]
    assert tokenizer.detokenize(tokens) == "to be,\nor\n"  # the end of a text is a line break
    # special tokens other than the end and the unknown character are never characters: dropped
    assert tokenizer.detokenize(["xxbos", "a", "xxunk", "xxmaj", "b"]) == "a\ufffdb"


def test_the_vocabulary_is_the_characters_seen_and_the_recipe_round_trips() -> None:
    data = lm_data([VERSE * 10], tokenizer="char", batch_size=4, bptt=8)
    recipe = data.recipe
    assert recipe.tokenizer_name == "char"
    seen = set(VERSE)
    kept = {token for token in recipe.vocab.itos if len(token) == 1}
    assert kept == seen  # each character once, even one seen a single time; nothing else
    assert " " in kept and "\n" in kept
    again = LMRecipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert isinstance(again.tokenizer, CharTokenizer) and again.vocab.itos == recipe.vocab.itos
    ids = again.encode("ROMEO: é")
    assert again.decode(ids) == "ROMEO: \ufffd\n" and ids.count(again.vocab.unk_id) == 1


def test_an_unknown_tokenizer_names_char_among_the_choices() -> None:
    with pytest.raises(ConfigError, match="word, subword, whitespace, char"):
        lm_data([VERSE * 10], tokenizer="chars")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def char_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("char_lm") / "lm"
    # the tiny model's warning that it did not beat the trigram: not tested here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_language_model([VERSE * 30], out=out, epochs=2, progress=False, tokenizer="char", batch_size=8,
                           bptt=24, learner_kwargs={"emb_size": 16, "hidden_size": 32, "n_layers": 1})  # fmt: skip
    return out


def test_a_char_model_generates_the_corpus_characters_with_lines_and_no_spaces_between(char_lm: Path) -> None:
    predictor = load_lm(char_lm)
    assert predictor.recipe.tokenizer_name == "char"
    text = predictor.generate("ROMEO:", 300, seed=0)
    assert text.startswith("ROMEO:")
    continuation = text[len("ROMEO:") :]
    assert len(continuation) == 300  # one character per token: nothing put between them
    assert set(continuation) <= set(VERSE)
    assert "\n" in continuation  # the model writes lines, as its corpus has
    # the workaround's symptom, 'M N i O / i v': characters with a space between each
    assert not all(continuation[i] == " " for i in range(1, len(continuation), 2))


def test_the_command_line_trains_a_char_model_and_n_tokens_counts_characters(
    char_lm: Path, tmp_path: Path
) -> None:
    from trainwell.cli.app import app

    runner = CliRunner()
    folder = tmp_path / "shk"
    folder.mkdir()
    (folder / "input.txt").write_text(VERSE * 20, encoding="utf-8")
    out = tmp_path / "m"
    done = runner.invoke(
        app, ["fit", str(folder), "--task", "language_model", "--tokenizer", "char", "--epochs", "1",
              "--batch-size", "4", "--out", str(out)], env={"COLUMNS": "300"},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads((out / "trainwell.json").read_text())["recipe"]["tokenizer_name"] == "char"
    said = " ".join(done.output.split())
    assert re.search(r"validation perplexity [\d.]+ per character \([\d.]+ bits per character\)", said), said
    by_tokens = runner.invoke(app, ["generate", str(char_lm), "JULIET:", "--n-tokens", "40", "--seed", "3"])
    by_words = runner.invoke(app, ["generate", str(char_lm), "JULIET:", "--n-words", "40", "--seed", "3"])
    assert by_tokens.exit_code == 0 and by_words.exit_code == 0, by_tokens.output + by_words.output
    assert by_tokens.stdout == by_words.stdout  # --n-words is the same option
    written = by_tokens.stdout[:-1]  # the line break print adds
    assert written.startswith("JULIET:") and len(written) == len("JULIET:") + 40


def test_a_char_model_is_said_to_predict_characters(char_lm: Path) -> None:
    """The report, the server's docs and the baseline warning said "word" of a character model."""
    from trainwell.serve.lm import _unknown_words_said
    from trainwell.text.lm_callbacks import baseline_warning
    from trainwell.text.lm_recipe import predicted_unit as _unit

    predictor = load_lm(char_lm)
    assert _unit(predictor.recipe.tokenizer_name) == "character" and _unit("subword") == "subword"
    assert _unit("whitespace") == "word"
    said = _unknown_words_said(predictor.recipe)
    assert said["app"].startswith("Each character is a token; characters training never met")
    warning = baseline_warning(
        {"perplexity": 9.0, "perplexity_baseline": 8.5}, budgeted=False, unit="character"
    )
    assert warning is not None and "more than character counts" in str(warning)
