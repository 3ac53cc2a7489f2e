"""A language model of a corpus with its own ``<unk>`` (PTB) names that token as the corpus writes it: in generate's
warning, in the report's perplexity note, loss bands and hardest texts, and in decoded text. The tour's PTB model
said "the unknown-word token xxunk" and "2.8% of the tokens are words outside the vocabulary" for PTB's own <unk>."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_samples import stories
from trainwell.report import build_report
from trainwell.text.lm_eval import encode_held_out, unknown_words
from trainwell.text.lm_pipeline import fit_language_model
from trainwell.text.lm_predictor import load_lm
from trainwell.text.specials import UNK


def _ptb_like(texts: list[str]) -> list[str]:
    """PTB's style: every word of the form name<digit> replaced by the corpus itself with <unk>."""
    return [re.sub(r"\bname\d+\b", "<unk>", text) for text in texts]


@pytest.fixture(scope="module")
def ptb_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report_lm_unk") / "model"
    fit_language_model(_ptb_like(stories(200)), valid=_ptb_like(stories(40, seed=7)), out=out, epochs=1, lr=1e-2,
                       progress=False, batch_size=8, bptt=12, tune_cache=False,
                       learner_kwargs={"emb_size": 8, "hidden_size": 12, "n_layers": 1})  # fmt: skip
    return out


def test_the_model_names_its_unknown_token_as_the_corpus_writes_it(ptb_model: Path) -> None:
    recipe = load_lm(ptb_model).recipe
    assert (
        recipe.tokenizer_name == "whitespace" and recipe.unknown_token == "<unk>"
    )  # read as a closed vocabulary
    assert recipe.decode(recipe.encode("the <unk> saw")).split() == ["the", "<unk>", "saw"]  # never xxunk
    assert UNK not in recipe.decode(recipe.encode("the zzqx saw"))


def test_generate_warns_with_the_models_own_unknown_token(ptb_model: Path) -> None:
    from trainwell.cli.app import app

    result = CliRunner().invoke(
        app, ["generate", str(ptb_model), "the zzqx", "--n-words", "3", "--seed", "0"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    warned = " ".join(result.stderr.split())
    assert (
        "the prompt's word 'zzqx' is not in the model's vocabulary: it reads it as the unknown-word token <unk>"
        in (warned)
    )
    assert "xxunk" not in warned


def test_unknown_words_tell_the_corpus_marker_from_words_outside_the_vocabulary(ptb_model: Path) -> None:
    recipe = load_lm(ptb_model).recipe
    texts = ["the <unk> saw the <unk> .", "the zzqx saw the qqxz ."]
    found = unknown_words(recipe, texts, encode_held_out(recipe, texts))
    assert (found.token, found.marked, found.unseen) == ("<unk>", 2, 2)
    assert found.band_name() == (
        "unknown words (<unk>: the corpus's own <unk> and words outside the vocabulary)"
    )
    own = unknown_words(recipe, texts[:1], encode_held_out(recipe, texts[:1]))
    assert own.band_name() == "the corpus's own <unk> (words it replaced)"
    assert own.sentence().startswith(
        f"{2 / own.total:.1%} of the tokens are the corpus's own <unk> token (words the corpus itself replaced);"
    )


def test_the_report_on_ptb_text_names_its_own_unk_not_words_outside_the_vocabulary(
    ptb_model: Path, tmp_path: Path
) -> None:
    held_out = tmp_path / "sentences.txt"
    one = _ptb_like(stories(120, seed=11))
    texts = [f"{a} {b}" for a, b in zip(one[::2], one[1::2], strict=True)]  # no text as in training
    held_out.write_text("\n".join(texts) + "\n", encoding="utf-8")
    page = build_report(ptb_model, held_out, tmp_path / "report.html").read_text(encoding="utf-8")
    said = " ".join(page.split())
    assert (
        "of the tokens are the corpus&#x27;s own &lt;unk&gt; token (words the corpus itself replaced)" in said
    )
    assert "the corpus&#x27;s own &lt;unk&gt; (words it replaced)" in said  # the loss band's row
    assert (
        "&lt;unk&gt; is the corpus&#x27;s own token for the words it replaced" in said
    )  # hardest texts' note
    assert "outside the vocabulary" not in said and "xxunk" not in said
