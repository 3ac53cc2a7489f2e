"""A ULMFiT classifier built from a language model trained on whitespace tokens (PTB's style) reads its texts
as that model did: the tour's PTB encoder got a classifier whose default word rules wrote xxbos, xxmaj and
xxup (tokens it never saw in training) and lower-cased what the model read in its own case, silently, from the
command line and from Python's ``text_data(..., **lm_text_settings(lm_dir))``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from classify_tables import sentiment_frame
from typer.testing import CliRunner

from trainwell.core.errors import ConfigError
from trainwell.text import text_classifier_learner, text_data
from trainwell.text.lm_pipeline import fit_language_model
from trainwell.text.tokenize import WordTokenizer
from trainwell.text.ulmfit import lm_text_settings, lm_vocab

SIZES = {"emb_size": 8, "hidden_size": 12, "n_layers": 1}


@pytest.fixture(scope="module")
def ptb_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ws_lm") / "lm"
    texts = sentiment_frame(200, seed=3)["review"].tolist()
    fit_language_model(texts, out=out, epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                       tokenizer="whitespace", tune_cache=False, learner_kwargs=SIZES)  # fmt: skip
    return out


def test_lm_text_settings_give_the_whitespace_models_reading(ptb_lm: Path) -> None:
    settings = lm_text_settings(ptb_lm)
    assert set(settings) == {"vocab", "tokenizer"}  # it gave the vocabulary alone: the default word rules
    tokenizer = settings["tokenizer"]
    assert isinstance(tokenizer, WordTokenizer)
    assert tokenizer("The Cat sat.") == ["The", "Cat", "sat", ".", "xxeos"]  # no xxbos, no xxmaj, its case
    frame = sentiment_frame(60, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the documented route is silent
        data = text_data(frame, "sentiment", text_col="review", batch_format="padded", **settings)
        text_classifier_learner(data, "ulmfit", pretrained=ptb_lm, progress=False)
    config = data.recipe.tokenizer["config"]
    assert (config["case"], config["add_bos"]) == ("keep", False)


def test_a_forced_word_tokenizer_is_warned_of_in_one_line(ptb_lm: Path) -> None:
    frame = sentiment_frame(60, seed=0)
    data = text_data(frame, "sentiment", text_col="review", vocab=lm_vocab(ptb_lm), batch_format="padded")
    with pytest.warns(UserWarning) as caught:
        text_classifier_learner(data, "ulmfit", pretrained=ptb_lm, progress=False)
    said = [str(w.message) for w in caught if "tokenizer differs" in str(w.message)]
    assert said == [
        f"the classifier's word tokenizer differs from the one the language model in '{ptb_lm}' read its "
        "whitespace tokens with (case='mark' (the model's 'keep'), add_bos=True (the model's False), "
        "min_char_repeat=3 (the model's None), min_word_repeat=3 (the model's None), keep_newlines=True (the "
        "model's False)), so its encoder reads tokens it never saw; build the data with "
        "text_data(..., **lm_text_settings(lm_dir))"
    ]


def test_cli_ulmfit_from_a_whitespace_lm_keeps_its_reading(ptb_lm: Path, tmp_path: Path) -> None:
    from trainwell.cli.app import app

    table = tmp_path / "reviews.csv"
    sentiment_frame(80, seed=1).to_csv(table, index=False)
    out = tmp_path / "clf"
    result = CliRunner().invoke(
        app,
        [
            "fit",
            str(table),
            "--text",
            "review",
            "--target",
            "sentiment",
            "--model",
            "ulmfit",
            "--pretrained",
            str(ptb_lm),
            "--epochs",
            "1",
            "--out",
            str(out),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "tokenizer differs" not in result.output
    recipe = json.loads((out / "trainwell.json").read_text())["recipe"]
    config = recipe["tokenizer"]["config"]
    assert (recipe["tokenizer"]["kind"], config["case"], config["add_bos"]) == ("word", "keep", False)


def test_a_character_model_is_refused_in_words(tmp_path: Path) -> None:
    # A character model's vocabulary read as words would make every word unknown: refused, not handed over.
    out = tmp_path / "char_lm"
    fit_language_model(["the cat sat on the mat ."] * 40, out=out, epochs=1, progress=False, batch_size=4, bptt=8,
                       tokenizer="char", tune_cache=False, learner_kwargs=SIZES)  # fmt: skip
    with pytest.raises(
        ConfigError, match=r"reads characters \(a character-level model\), which a text classifier"
    ):
        lm_text_settings(out)
