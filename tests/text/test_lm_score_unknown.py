"""Scoring texts with a language model counts as unknown only the words it does not know, never the corpus's own
``<unk>`` (PTB's marker for the words it replaced, which the model trained on), and ``trainwell predict`` names
those words as ``generate`` does, with the model's own token: the tour's PTB model counted every ``<unk>`` of
ptb.test.txt in the column ``unknown``, which its documentation called "words outside the vocabulary"."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from text_samples import stories
from trainwell.text.lm_pipeline import fit_language_model
from trainwell.text.lm_predictor import load_lm, unknown_by_text, unknown_texts_note
from trainwell.text.specials import UNK

SIZES = {"emb_size": 8, "hidden_size": 12, "n_layers": 1}


def _ptb_like(texts: list[str]) -> list[str]:
    """PTB's style: every word of the form name<digit> replaced by the corpus itself with <unk>."""
    return [re.sub(r"\bname\d+\b", "<unk>", text) for text in texts]


@pytest.fixture(scope="module")
def ptb_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("score_unknown") / "ptb"
    fit_language_model(_ptb_like(stories(120)), valid=_ptb_like(stories(30, seed=7)), out=out, epochs=1,
                       progress=False, batch_size=8, bptt=12, tune_cache=False, learner_kwargs=SIZES)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def word_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The word tokenizer (stories' own name<digit> words): it also reads a text's <unk> as its xxunk."""
    out = tmp_path_factory.mktemp("score_unknown") / "word"
    fit_language_model(stories(80), out=out, epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                       tune_cache=False, learner_kwargs=SIZES)  # fmt: skip
    return out


def test_the_corpus_marker_is_no_unknown_word_in_a_score(ptb_model: Path) -> None:
    predictor = load_lm(ptb_model)
    assert predictor.recipe.unknown_token == "<unk>" and predictor.recipe.tokenizer_name == "whitespace"
    texts = ["the <unk> saw the cat .", "the zzqx saw the <unk> with the qqxz .", "<unk> zzqx ran ."]
    table = predictor.score_texts(texts)
    assert table.unknown.tolist() == [0, 2, 1]  # it said [1, 3, 1]: each <unk> counted as a word it lacked
    found = unknown_by_text(predictor.recipe, texts)
    assert (found.unknown, found.marked, found.words) == ([0, 2, 1], [1, 1, 1], ["zzqx", "qqxz"])
    # The two kinds add up to the tokens read as the unknown-word token (a whitespace model scores the first too).
    ids, offsets = predictor.recipe.encode_texts(texts)
    unk = predictor.recipe.vocab.unk_id
    read_as_unk = [int((ids[offsets[i] : offsets[i + 1]] == unk).sum()) for i in range(len(texts))]
    assert [u + m for u, m in zip(found.unknown, found.marked, strict=True)] == read_as_unk == [1, 3, 2]


def test_a_line_of_one_unknown_word_counts_it_and_scores_it(ptb_model: Path, tmp_path: Path) -> None:
    # A line holding only 'café' said unknown=0 and the note left it out: a whitespace text's first word was
    # read, never predicted (its one scored token was xxeos). It is now read after the xxeos that ended every
    # line in training, so every word is scored and counted.
    from trainwell.cli.app import app

    predictor = load_lm(ptb_model)
    texts = ["café", "zzqx the cat", "the cat zzqx"]
    table = predictor.score_texts(texts)
    assert table.tokens.tolist() == [2, 4, 4]  # each word and the line's end
    assert table.unknown.tolist() == [1, 1, 1]
    # The first word's prediction is in the score: <unk> after xxeos, then xxeos after <unk>, from a fresh state.
    import torch

    vocab, model = predictor.recipe.vocab, predictor.model
    ids = torch.tensor([[vocab.eos_id, vocab.unk_id, vocab.eos_id]])
    model.reset()  # type: ignore[operator]
    with torch.no_grad():
        log_probs = torch.log_softmax(model(ids[:, :-1]).float(), -1)
    model.reset()  # type: ignore[operator]
    expected = float(log_probs[0, 0, vocab.unk_id] + log_probs[0, 1, vocab.eos_id])
    assert table.log_prob[0] == pytest.approx(expected, rel=1e-4)
    lines = tmp_path / "one.txt"
    lines.write_text("café\nthe cat .\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(ptb_model), str(lines)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert pd.read_csv(io.StringIO(result.stdout)).unknown.tolist() == [1, 0]
    assert "the word 'café' (in 1 of the 2 texts) is not in the model's vocabulary" in " ".join(
        result.stderr.split()
    )


def test_a_word_model_reads_the_marker_as_its_own_token_and_does_not_count_it(word_model: Path) -> None:
    recipe = load_lm(word_model).recipe
    assert (recipe.unknown_token, recipe.unknown_marker) == (UNK, "<unk>")
    texts = ["name3 saw the <unk> .", "Zzqx saw the cat ."]  # the word tokenizer starts each text with xxbos
    found = unknown_by_text(recipe, texts)
    assert (found.unknown, found.marked, found.words) == ([0, 1], [1, 0], ["zzqx"])
    assert unknown_texts_note(recipe, texts) == (
        "the word 'zzqx' (in 1 of the 2 texts) is not in the model's vocabulary: it reads it as the unknown-word "
        "token xxunk, counted in the column unknown; the 1 <unk> the texts write is the corpus's own token for the "
        "words it replaced, read as xxunk too, not counted there"
    )
    assert unknown_texts_note(recipe, ["name3 saw the <unk> ."]) == ""  # the marker alone: nothing to say


def test_cli_predict_names_unknown_words_with_the_models_token(ptb_model: Path, tmp_path: Path) -> None:
    from trainwell.cli.app import app

    lines = tmp_path / "lines.txt"
    lines.write_text(
        "the <unk> saw the cat .\nthe zzqx saw the <unk> .\nthe cat ran to the qqxz with the ffpq with the "
        "wwzk with the jjxv with the kkvz .\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["predict", str(ptb_model), str(lines)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert table.columns.tolist() == ["line", "tokens", "unknown", "log_prob", "perplexity"]
    assert table.unknown.tolist() == [0, 1, 5]
    said = " ".join(result.stderr.split())
    assert (
        "note: the words 'zzqx', 'qqxz', 'ffpq', 'wwzk', 'jjxv' and 1 more (in 2 of the 3 texts) are not in the "
        "model's vocabulary: it reads them as the unknown-word token <unk>, counted in the column unknown; the 2 "
        "<unk> the texts write are the corpus's own token for the words it replaced, not counted there"
    ) in said
    assert "xxunk" not in said and "outside the vocabulary" not in said
    known = CliRunner().invoke(app, ["predict", str(ptb_model), "-"], input="the <unk> saw the cat .\n")
    assert known.exit_code == 0 and "vocabulary" not in known.stderr  # PTB's own <unk> alone: no note
