"""Judging a language model on held-out text: per-token scores, intervals over texts, the cache pointer kept
from training, paired comparisons with n-gram baselines, and ``trainwell evaluate --task language_model``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from text_samples import stories
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.evaluate.intervals import grouped_mean_ci
from trainwell.text.cache import stream_probabilities
from trainwell.text.lm_eval import (
    MIN_TEXTS,
    HeldOutText,
    PerplexityRatio,
    TokenScores,
    compare,
    encode_held_out,
    loss_by_band,
    score_model,
    score_ngram,
)
from trainwell.text.lm_evaluation import LMEvaluation, evaluate_language_model
from trainwell.text.lm_learner import fit_language_model
from trainwell.text.lm_predictor import load_lm
from trainwell.text.lm_stream import CacheSettings, LMRecipe, LMStreamLoader
from trainwell.text.ngram import KneserNey

SIZES = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """A small language model fitted on 400 stories (cache tuned on 80 more), and its model directory."""
    out = tmp_path_factory.mktemp("lm_eval") / "model"
    run = fit_language_model(stories(400), valid=stories(80, seed=7), out=out, epochs=3, lr=1e-2, progress=False,
                             batch_size=8, bptt=12, min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    assert run.model_dir == out and run.cache is run.learn.cache_report
    return run.learn, out


# ------------------------------------------------------------------------------------------ intervals
def test_grouped_interval_resamples_whole_groups() -> None:
    rng = np.random.default_rng(0)
    level = rng.normal(size=40).repeat(50)  # 40 groups of 50 items sharing their group's level
    values = level + 0.1 * rng.normal(size=level.size)
    groups = np.arange(40).repeat(50)
    point, low, high = grouped_mean_ci(values, groups, n_boot=500)
    _, item_low, item_high = grouped_mean_ci(values, np.arange(values.size), n_boot=500)
    assert point == pytest.approx(values.mean())
    assert low < point < high
    # Items of a group move together: treating them as independent gives a far narrower interval.
    assert (high - low) > 4 * (item_high - item_low)
    assert math.isnan(grouped_mean_ci([1.0, 2.0], [3, 3])[1])  # one group: no spread to resample
    with pytest.raises(ConfigError, match="same number of items"):
        grouped_mean_ci([1.0, 2.0], [0])


# ------------------------------------------------------------------------------------------ scoring
def test_stream_scores_rank_and_first_guess_match_the_softmax() -> None:
    torch.manual_seed(0)
    from trainwell.text.awd_lstm import AWDLSTMLanguageModel

    model = AWDLSTMLanguageModel(vocab_size=30, emb_size=8, hidden_size=12, n_layers=1).eval()
    ids = torch.randint(8, 30, (60,))
    plain = stream_probabilities(model, ids, thetas=(), chunk=7)
    with_cache = stream_probabilities(model, ids, thetas=(0.5,), chunk=7)
    assert plain.p_cache.shape == (0, 59) and torch.allclose(plain.p_model, with_cache.p_model)
    model.reset()
    with torch.no_grad():
        probs = torch.softmax(model(ids[None, :-1])[0], -1)  # one pass over the whole stream
    true = probs.gather(1, ids[1:, None])[:, 0]
    assert torch.allclose(plain.p_model, true, atol=1e-5)
    assert torch.equal(plain.rank, (probs > true[:, None]).sum(1))
    assert torch.allclose(plain.p_top, probs.max(1).values, atol=1e-5)


def test_scores_equal_the_learners_exact_perplexity_and_the_caches_tuning(trained: tuple) -> None:
    learn, _ = trained
    valid = learn.data.valid
    n = len(valid.ids) - 1
    held = HeldOutText(valid.ids.numpy(), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 1, 1)
    scores = score_model(learn.model, held, cache=learn.recipe.cache)
    exact = learn.validate(LMStreamLoader(valid.ids, 1, 10_000))  # one row, one window: the same stream
    assert scores[0].loss == pytest.approx(exact["loss"], rel=1e-5)
    assert learn.validate() == learn.validate(valid)  # the default is the validation stream...
    with pytest.raises(ConfigError, match=r"learn\.validate\(None\): there is no data to read"):
        learn.validate(learn.data.test)  # ...and a test stream the data does not have is not replaced by it
    report = learn.cache_report
    assert scores[0].perplexity == pytest.approx(report.valid_perplexity, rel=1e-5)
    # The settings kept in the recipe are the tuned ones, and scoring with them gives the tuned figure.
    assert learn.recipe.cache == CacheSettings(report.window, report.theta, report.lambda_)
    assert scores[1].name == "trainwell + cache"
    assert scores[1].perplexity == pytest.approx(report.valid_perplexity_cache, rel=1e-5)
    assert scores[1].perplexity < scores[0].perplexity  # the names repeat within a story


def test_a_saved_model_scores_held_out_text_with_its_cache(trained: tuple, tmp_path: Path) -> None:
    learn, out = trained
    stored = json.loads((out / "trainwell.json").read_text())["recipe"]["cache"]
    assert stored == learn.recipe.cache.to_dict()
    test = tmp_path / "test.txt"
    test.write_text("\n".join(stories(60, seed=9)), encoding="utf-8")
    model, cached = load_lm(out).score(test)
    assert model.held_out.n_texts == 60 and model.held_out.grouped_by == "texts"
    perplexity, low, high = model.perplexity_interval()
    assert low < perplexity < high
    assert 0 < model.accuracy(1) <= model.accuracy(5) <= 1
    assert cached.perplexity < model.perplexity and math.isnan(cached.accuracy(1))
    assert len(load_lm(out).score(test, cache=False)) == 1
    # Bits per character: the same total loss over the characters of the texts.
    chars = sum(len(text) + 1 for text in stories(60, seed=9))
    assert model.bits_per_char == pytest.approx(model.nll.sum() / math.log(2) / chars)


def test_few_texts_are_resampled_by_passages(trained: tuple) -> None:
    learn, _ = trained
    held = encode_held_out(learn.recipe, [" ".join(stories(40, seed=2))])
    assert held.n_texts == 1 < MIN_TEXTS and held.grouped_by == "passages"
    assert len(np.unique(held.groups)) > 10
    with pytest.raises(DataError, match="no held-out text"):
        encode_held_out(learn.recipe, [])


def test_paired_comparison_with_a_kneser_ney_trigram(trained: tuple) -> None:
    learn, _ = trained
    held = encode_held_out(learn.recipe, stories(80, seed=5))
    model = score_model(learn.model, held)[0]
    vocab_size = len(learn.recipe.vocab)
    uniform = TokenScores("uniform", np.full(held.n_tokens, math.log(vocab_size)), held)
    ngram = KneserNey.fit(learn.data.train.ids.numpy(), vocab_size, 3)
    trigram = score_ngram(ngram, held, "Kneser-Ney trigram")
    assert trigram.perplexity == pytest.approx(ngram.perplexity(held.ids))
    beats = compare(model, uniform)
    assert beats.outcome == "beats" and beats.ratio == pytest.approx(model.perplexity / vocab_size)
    assert "lower" in beats.sentence()
    assert compare(model, model).outcome == "ties"
    assert "cannot be told apart" in compare(model, model).sentence()
    assert compare(uniform, model).outcome == "loses"
    assert "times" in PerplexityRatio("a", "b", 2.5, 2.2, 2.8, 0.95).sentence()


def test_loss_by_band_covers_every_token(trained: tuple) -> None:
    learn, _ = trained
    held = encode_held_out(learn.recipe, [*stories(30, seed=4), "a zebra nobody knows ."])
    model = score_model(learn.model, held)[0]
    bands = loss_by_band(model, learn.recipe.vocab)
    assert sum(band.tokens for band in bands) == held.n_tokens
    assert sum(band.loss_share for band in bands) == pytest.approx(1.0)
    names = [band.name for band in bands]
    assert names[0].startswith("markers") and names[-1].startswith("unknown words")


# ------------------------------------------------------------------------------------------ recipe
def test_cache_settings_are_written_only_when_tuned(trained: tuple) -> None:
    learn, _ = trained
    data = learn.recipe.to_dict()
    assert LMRecipe.from_dict(data).cache == learn.recipe.cache
    del data["cache"]
    assert LMRecipe.from_dict(data).cache is None  # a recipe from before the cache was kept
    with pytest.raises(ArtifactError, match="cache settings are out of range"):
        LMRecipe.from_dict({**data, "cache": {"window": 500, "theta": 0.5, "lambda": 1.5}})
    with pytest.raises(ArtifactError, match="cache settings are malformed"):
        LMRecipe.from_dict({**data, "cache": {"window": 500}})


def test_a_fit_without_validation_text_keeps_no_cache() -> None:
    run = fit_language_model(stories(30), epochs=1, progress=False, batch_size=4, bptt=8, min_freq=1,
                             valid_pct=0, learner_kwargs=SIZES)  # fmt: skip
    assert run.learn.recipe.cache is None and run.cache is None


# ------------------------------------------------------------------------------------------ evaluate
def test_evaluate_language_model_holds_out_the_last_texts(tmp_path: Path) -> None:
    import trainwell

    corpus = tmp_path / "stories.txt"
    corpus.write_text("\n".join(stories(200, seed=1)), encoding="utf-8")
    # One pass over a small grammar of repeated sentences: the model has learned which word follows which.
    evaluation = trainwell.evaluate_language_model(corpus, epochs=1, lr=2e-2, progress=False, batch_size=8,
                                                   bptt=12, min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    assert evaluation.n_train_texts == 180 and evaluation.held_out.n_texts == 20
    assert f"the last 20 texts of 200 in {corpus}" == evaluation.test_source
    names = [score.name for score in evaluation.scores]
    assert names[-2:] == ["unigram", "Kneser-Ney trigram"]
    assert {score.held_out.n_tokens for score in evaluation.scores} == {evaluation.held_out.n_tokens}
    # An Evaluation like the cross-validations': the best form of the model against the n-grams, on the same tokens
    assert isinstance(evaluation, trainwell.Evaluation) and isinstance(evaluation, LMEvaluation)
    assert evaluation.names == ["trainwell", "unigram", "Kneser-Ney trigram"]
    assert evaluation.metrics[:2] == ["perplexity", "bits_per_char"]
    best = evaluation.best
    assert evaluation.mean("perplexity") == pytest.approx(best.perplexity)
    assert evaluation.mean("bits_per_char") == pytest.approx(best.bits_per_char)
    assert evaluation.interval("perplexity") == pytest.approx(best.perplexity_interval()[1:])
    assert evaluation.mean("perplexity", "unigram") == pytest.approx(evaluation.scores[-2].perplexity)
    verdicts = {(v.metric, v.baseline): v for v in evaluation.verdicts()}
    unigram = verdicts["perplexity", "unigram"]
    assert unigram.outcome == "beats" and unigram.paired is not None and unigram.paired.high < 0
    assert "the paired difference over the same " in unigram.sentence()
    # The verdicts agree with the paired ratios of perplexities the table prints.
    for ratio in evaluation.comparisons():
        assert (
            ratio.outcome
            == {"beats": "beats", "worse": "loses", "within": "ties"}[
                verdicts["perplexity", ratio.other].outcome
            ]
        )
    shown = str(evaluation)
    assert "language model on held-out text" in shown and "than unigram's on the same tokens" in shown
    saved = json.loads(evaluation.save(tmp_path / "evaluation.json").read_text())
    assert saved["task"] == "language_model" and saved["unit"] == "tokens"
    assert (
        saved["trainwell"]["summary"]["perplexity"]["over"] == "8 test passages"
    )  # 20 texts: too few to resample
    assert [v["baseline"] for v in saved["verdicts"] if v["metric"] == "perplexity"] == names[-2:]
    assert [v["other"] for v in saved["perplexity_ratios"]] == ["unigram", "Kneser-Ney trigram"]
    with pytest.raises(DataError, match=r"pass the test text with test='test\.txt'"):
        evaluate_language_model(["one text only ."], progress=False)


def test_cli_evaluate_language_model(tmp_path: Path) -> None:
    from trainwell.cli.app import app

    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text("\n".join(stories(150, seed=1)), encoding="utf-8")
    test.write_text("\n".join(stories(40, seed=2)), encoding="utf-8")
    runner = CliRunner()
    args = ["evaluate", str(train), "--task", "language_model", "--test", str(test), "--epochs", "1"]
    # --tokenizer as fit takes it (evaluate had none, so a PTB model fitted on its own tokens could not be judged
    # as it was trained): whitespace reads each word as one token and ends each line with xxeos.
    result = runner.invoke(app, [*args, "--tokenizer", "whitespace"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    n_tokens = sum(len(line.split()) + 1 for line in stories(40, seed=2)) - 1  # all but the first predicted
    assert f"({n_tokens:,} tokens of" in result.output
    assert "language model on held-out text" in result.output and "Kneser-Ney trigram" in result.output
    assert "bootstrap interval over the test texts" in result.output
    assert "than unigram's on the same tokens" in result.output
    wrong = runner.invoke(app, ["evaluate", str(train), "--task", "language_model", "--target", "y"])
    assert wrong.exit_code != 0 and "--target is not used by a language model" in wrong.output
    bad = runner.invoke(app, [*args, "--tokenizer", "bpe"])
    assert bad.exit_code == 2 and "--tokenizer 'bpe' is not one for a language model: use word" in bad.output
    misplaced = runner.invoke(app, ["evaluate", str(train), "--target", "y", "--test", str(test)])
    assert misplaced.exit_code != 0 and "--test is for language models" in misplaced.output


def test_cli_fit_says_what_the_cache_gave_and_info_shows_it(tmp_path: Path) -> None:
    from trainwell.cli.app import app

    train = tmp_path / "train.txt"
    train.write_text("\n".join(stories(200, seed=1)), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["fit", str(train), "--task", "language_model", "--epochs", "1",
                                 "--out", str(tmp_path / "lm")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "cache pointer: " in result.output
    assert f"trainwell report {tmp_path / 'lm'} --data TEST.txt" in result.output
    info = runner.invoke(app, ["info", str(tmp_path / "lm")])
    assert info.exit_code == 0, info.output
    assert "the next token" in info.output and "vocabulary" in info.output and "cache pointer" in info.output
    assert "text column 'None'" not in info.output


# ------------------------------------------------------------------------------------------ one text at a time
def test_texts_scored_one_by_one_match_the_stream_and_any_batching(trained: tuple) -> None:
    _, out = trained
    predictor = load_lm(out)
    texts = [*stories(12, seed=3), "name2 saw the cat . " * 30, "cat"]
    table = predictor.score_texts(texts)
    assert list(table.columns) == ["tokens", "unknown", "log_prob", "perplexity"]
    for i in (0, 12):  # a short text, and a long one read in several windows below
        alone = score_model(predictor.model, encode_held_out(predictor.recipe, [texts[i]]))[0]
        assert table.log_prob[i] == pytest.approx(-alone.nll.sum(), rel=1e-4)
        assert table.tokens[i] == alone.held_out.n_tokens
    small = predictor.score_texts(texts, max_tokens=16)  # one text per call, in windows of 16 tokens
    assert small.log_prob.tolist() == pytest.approx(table.log_prob.tolist(), rel=1e-4)
    assert table.perplexity[0] == pytest.approx(math.exp(-table.log_prob[0] / table.tokens[0]))
    with pytest.raises(DataError, match=r"texts\[1\] is empty .*: fill or drop that text$"):
        predictor.score_texts(["fine", "   "])
    # One text alone is one row, from the loaded model and from the learner (it was refused: a single string).
    learn, _ = trained
    for predict in (predictor.predict, learn.predict):
        alone = predict(texts[0])
        assert len(alone) == 1 and alone.log_prob[0] == pytest.approx(table.log_prob[0], rel=1e-5)


def test_at_least_one_is_refused_in_words_not_with_a_type_error(trained: tuple) -> None:
    # predict(texts, at_least_one=True) raised Python's "unexpected keyword argument", where every other
    # predictor accepts it and refuses it, in one line, for a model that is not multi-label.
    predictor = load_lm(trained[1])
    with pytest.raises(ConfigError) as caught:
        predictor.predict(["the cat sat ."], at_least_one=True)
    assert str(caught.value) == (
        "at_least_one= is for multi-label models; a language model scores how likely it finds each text "
        "(log_prob, perplexity), not labels: drop it"
    )
    assert len(predictor.predict(["the cat sat ."], at_least_one=False)) == 1


def test_scoring_texts_builds_no_autograd_graph(trained: tuple) -> None:
    # `trainwell predict LM lines.txt` and `POST /score` call score_texts directly: with autograd on, every
    # window kept its graph (memory) and float() on the totals warned "Converting a tensor with
    # requires_grad=True to a scalar" on the command line.
    import warnings

    _, out = trained
    predictor = load_lm(out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = predictor.score_texts(stories(3, seed=5))
    assert table.log_prob.notna().all()
    assert torch.is_grad_enabled()  # the caller's autograd mode is left as it was


def test_cli_predict_scores_each_line(trained: tuple, tmp_path: Path) -> None:
    import io

    import pandas as pd

    from trainwell.cli.app import app

    _, out = trained
    lines = tmp_path / "lines.txt"
    lines.write_text("name1 saw the cat .\n\ncat the saw . name1\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["predict", str(out), str(lines)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert table.line.tolist() == [1, 3]  # the blank line is skipped, and the numbers say so
    assert f"note: skipped 1 blank line of '{lines}' (line 2)" in result.stderr
    assert table.log_prob[0] > table.log_prob[1]
    stdin = runner.invoke(app, ["predict", str(out), "-"], input="name1 saw the cat .\n")
    assert stdin.exit_code == 0
    assert pd.read_csv(io.StringIO(stdin.stdout)).log_prob[0] == pytest.approx(table.log_prob[0], rel=1e-5)
    frame = tmp_path / "texts.csv"
    pd.DataFrame({"review": ["a b"]}).to_csv(frame, index=False)
    wrong = runner.invoke(app, ["predict", str(out), str(frame)])
    assert wrong.exit_code != 0 and "no 'text' column" in wrong.output


def test_a_model_trained_on_a_table_column_is_scored_and_reported_from_that_column(tmp_path: Path) -> None:
    # `fit reviews.csv --text review --task language_model`, then predict and report on a CSV of the same
    # form: both insisted on a column named 'text' ("rename yours to it").
    import pandas as pd

    from trainwell.cli.app import app

    table = tmp_path / "reviews.csv"
    pd.DataFrame({"review": stories(60), "stars": 3}).to_csv(table, index=False)
    out = tmp_path / "lm"
    fit_language_model(table, text_col="review", out=out, epochs=1, lr=1e-2, progress=False, batch_size=4,
                       bptt=8, min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    assert load_lm(out).recipe.text_col == "review"
    runner = CliRunner()
    predicted = runner.invoke(app, ["predict", str(out), str(table)])
    assert predicted.exit_code == 0, predicted.output
    assert predicted.output.startswith("row,tokens,") and len(predicted.output.splitlines()) == 61
    report = runner.invoke(app, ["report", str(out), "--data", str(table)])
    assert report.exit_code == 0, report.output
    assert (out / "report.html").is_file()
    other = tmp_path / "other.csv"
    pd.DataFrame({"text": ["a b c"]}).to_csv(other, index=False)
    wrong = runner.invoke(app, ["predict", str(out), str(other)])
    assert wrong.exit_code == 2 and "has no 'review' column" in wrong.output
    # A model trained on text files keeps reading a table's 'text' column.
    assert LMRecipe.from_dict({**load_lm(out).recipe.to_dict(), "text_col": None}).text_col is None


def test_evaluate_a_fine_tuned_language_model(trained: tuple, tmp_path: Path) -> None:
    from trainwell.cli.app import app

    _, out = trained
    corpus = tmp_path / "more.txt"
    corpus.write_text("\n".join(stories(120, seed=21)), encoding="utf-8")
    evaluation = evaluate_language_model(
        corpus, pretrained=out, epochs=1, progress=False, batch_size=8, bptt=12
    )
    assert evaluation.scores[0].held_out.n_texts == 12
    # Fine-tuned from the stories model: the same grammar, so it starts far ahead of the unigram.
    assert compare(evaluation.best, evaluation.scores[-2]).outcome == "beats"
    wrong = CliRunner().invoke(app, ["evaluate", str(corpus), "--target", "y", "--pretrained", str(out)])
    assert wrong.exit_code != 0 and "--pretrained is for language models" in wrong.output


def test_a_model_trained_on_whole_files_reads_a_text_file_whole(tmp_path: Path) -> None:
    # Files of several lines each: the model learns line breaks inside texts and never a text starting at each
    # line, so a held-out .txt file is read as one such text (one text per line scored ~14x worse in a real run).
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    poems = stories(240)
    for index in range(0, 240, 12):
        (corpus / f"{index}.txt").write_text("\n".join(poems[index : index + 12]) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    run = fit_language_model(corpus, out=out, epochs=2, lr=1e-2, progress=False, batch_size=4, bptt=12,
                             min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    assert run.learn.recipe.documents
    held_out = "\n".join(stories(12, seed=9)) + "\n"
    (tmp_path / "held_out.txt").write_text(held_out, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "held_out.txt").write_text(held_out, encoding="utf-8")
    lm = load_lm(out)
    assert lm.recipe.documents  # kept in the model directory
    as_file = lm.score(tmp_path / "held_out.txt", cache=False)[0]
    as_folder = lm.score(tmp_path / "folder", cache=False)[0]
    assert as_file.held_out.n_texts == 1 and as_file.perplexity == pytest.approx(as_folder.perplexity)
    # A model of one text per line (a .txt corpus, as PTB) keeps reading held-out lines one by one
    lines = tmp_path / "lines.txt"
    lines.write_text("\n".join(stories(200)) + "\n", encoding="utf-8")
    per_line = fit_language_model(lines, epochs=1, progress=False, batch_size=4, bptt=12, min_freq=1,
                                  learner_kwargs=SIZES).learn  # fmt: skip
    assert not per_line.recipe.documents and "documents" not in per_line.recipe.to_dict()


def test_under_a_time_budget_the_cache_is_tuned_on_what_fits_in_its_share(
    trained: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `fit --task language_model --time 1m` tuned the cache on up to 50,000 validation tokens after training,
    # read one at a time: about 70 s more on PTB. Under a budget it now reads what fits in a tenth of it.
    import trainwell.text.cache as cache_module
    from trainwell.callbacks.budget import TimeBudget
    from trainwell.text import lm_pipeline

    learn, _ = trained
    n_valid = len(learn.data.valid.ids)
    assert n_valid > lm_pipeline.CACHE_PROBE_TOKENS  # else there is nothing to cut
    read: list[int] = []
    evaluate_cache = cache_module.evaluate_cache
    monkeypatch.setattr(
        cache_module, "evaluate_cache", lambda model, ids: read.append(len(ids)) or evaluate_cache(model, ids)
    )
    lm_pipeline._tune_cache(learn)
    assert read == [n_valid]
    read.clear()
    lm_pipeline._tune_cache(learn, TimeBudget(0.01))  # a tenth of 10 ms: the probe's 1,000 tokens at most
    assert read == [lm_pipeline.CACHE_PROBE_TOKENS]
    assert learn.cache_report is not None and learn.cache_report.valid_perplexity > 1
    read.clear()
    lm_pipeline._tune_cache(learn, TimeBudget(3600))  # a tenth of an hour: all of it, after the probe
    assert read == [lm_pipeline.CACHE_PROBE_TOKENS, n_valid]


def test_evaluate_reads_a_folder_of_train_valid_test_files_as_those_splits(tmp_path: Path) -> None:
    # The folder's three files were three texts, the last of them (in name order, ptb.valid.txt) the test text
    # and ptb.test.txt trained on: the n-gram baselines then scored text they had counted.
    folder = tmp_path / "ptb"
    folder.mkdir()
    (folder / "ptb.train.txt").write_text("\n".join(stories(150, seed=1)), encoding="utf-8")
    (folder / "ptb.valid.txt").write_text("\n".join(stories(20, seed=2)), encoding="utf-8")
    (folder / "ptb.test.txt").write_text("\n".join(stories(30, seed=3)), encoding="utf-8")
    evaluation = evaluate_language_model(folder, epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                                         learner_kwargs=SIZES, baselines=False)  # fmt: skip
    assert evaluation.n_train_texts == 150 and evaluation.held_out.n_texts == 30
    assert evaluation.test_source == str(folder / "ptb.test.txt")


# ------------------------------------------------------------------------------- scoring in rows, on a budget
def test_held_out_text_read_in_rows_scores_as_the_single_stream(trained: tuple) -> None:
    # evaluate --task language_model scored PTB's 82k test tokens one after the other (minutes on a CPU). The
    # stream is now read in rows side by side, each warmed up on the text before it: the same scores, with and
    # without the cache, as the single read's, to float noise and what the LSTM forgets beyond the context.
    learn, _ = trained
    held = encode_held_out(learn.recipe, stories(300, seed=5))
    cache = CacheSettings(100, learn.recipe.cache.theta, learn.recipe.cache.lambda_)
    one = score_model(learn.model, held, cache=cache, rows=1)
    rows = score_model(learn.model, held, cache=cache, rows=6)
    for single, batched in zip(one, rows, strict=True):
        assert np.abs(batched.nll - single.nll).max() < 1e-3
        assert batched.perplexity == pytest.approx(single.perplexity, rel=1e-5)
    assert np.array_equal(rows[0].rank, one[0].rank)
    assert rows[1].perplexity < rows[0].perplexity  # the cache still helps: each row keeps its own
    # Rows started cold (no context) are what the warm-up avoids: the rows' first tokens lose their history.
    cold = stream_probabilities(learn.model, torch.from_numpy(held.ids), thetas=(), rows=6, context=0)
    cold_loss = float(-cold.p_model.double().log().mean())
    assert abs(cold_loss - one[0].loss) > 10 * abs(rows[0].loss - one[0].loss)


def test_training_share_keeps_the_judging_within_the_calls_time() -> None:
    from trainwell.text._lm_judging import FLOOR, training_share

    assert training_share(50.0, 55.0, 10.0) == pytest.approx(0.9)  # train until 10 s before the deadline
    assert training_share(50.0, 80.0, 10.0) == 1.0  # time to spare: the whole budget, never more
    assert training_share(50.0, 50.0, 40.0) == FLOOR  # never less than half of what is left
    assert training_share(0.0, 10.0, 5.0) == 1.0  # a spent budget: left for the budget to refuse


def test_the_judging_is_ready_before_training_and_its_time_kept_out_of_the_budget(trained: tuple) -> None:
    from itertools import count

    from trainwell.callbacks.budget import TimeBudget
    from trainwell.text._lm_judging import FLOOR, PROBE_COLUMNS, PROBE_WINDOW, JudgingReserve, training_share
    from trainwell.text.cache import positions_read

    learn, _ = trained
    ticks = count()
    clock = lambda: float(next(ticks))  # noqa: E731  a fake clock: each reading is one second after the last
    texts = stories(400, seed=9)
    budget = TimeBudget(1000, clock=lambda: 0.0).start()  # its clock stands still: 1,000 s remain
    reserve = JudgingReserve(texts, budget=budget, deadline=990.0, tune_share=0.1, clock=clock)
    # It prepares (reading its clock at 0 and 1), reads a first probe (2 to 3), times the probe (3 to 4), then
    # reads the deadline (6).
    reserve.before_fit(learn)
    held = reserve.held_out
    assert held is not None and held.n_texts == 400
    assert [score.name for score in reserve.baseline_scores] == ["unigram", "Kneser-Ney trigram"]
    assert reserve.baseline_seconds == 1.0
    rows, positions = positions_read(held.n_tokens, window=PROBE_WINDOW)
    probe = min(held.n_tokens, rows * PROBE_COLUMNS)
    assert probe < held.n_tokens  # a probe, not the whole text
    _, probed = positions_read(probe, window=PROBE_WINDOW, rows=rows, context=0)
    assert reserve.foreseen == pytest.approx(positions / probed)  # one second for the probe, scaled
    remaining, call_left, tuning = 1000.0, 990.0 - 6.0, 0.1 * 1000
    share = training_share(remaining, call_left, reserve.foreseen + tuning)
    assert FLOOR < share < 1 and reserve.reserved == pytest.approx(remaining * (1 - share))
    # The fit then ends when the foreseen scoring and the cache's tuning still end by the deadline.
    assert 6.0 + remaining * share + reserve.foreseen + tuning == pytest.approx(990.0)
    # A deadline near: the scoring fits in what the call has left, but training keeps half of what is left of
    # the budget, and the call ends late (by less than that half).
    near_ticks = count()
    near = JudgingReserve(texts, budget=TimeBudget(300, clock=lambda: 0.0).start(),
                          deadline=6.0 + reserve.foreseen + 100.0, clock=lambda: float(next(near_ticks)))  # fmt: skip
    near.before_fit(learn)
    assert near.reserved == pytest.approx(300.0 * (1 - FLOOR))
    # A deadline nearer than the scoring alone: refused before training (tests/text/test_lm_judging_refusal.py).
    too_near_ticks = count()
    too_near = JudgingReserve(texts, budget=TimeBudget(300, clock=lambda: 0.0).start(), deadline=50.0,
                              clock=lambda: float(next(too_near_ticks)))  # fmt: skip
    with pytest.raises(ConfigError, match="more than the 44s left of the 5m budget"):
        too_near.before_fit(learn)
    # Without a budget it only prepares.
    unbudgeted = JudgingReserve(texts, baselines=False, clock=clock)
    unbudgeted.before_fit(learn)
    assert unbudgeted.held_out is not None and unbudgeted.reserved is None and not unbudgeted.baseline_scores


def test_evaluate_on_a_budget_says_what_the_judging_took(tmp_path: Path) -> None:
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text("\n".join(stories(150, seed=1)), encoding="utf-8")
    test.write_text("\n".join(stories(40, seed=2)), encoding="utf-8")
    # epochs=2: what the judging took is read, not the model (the default 50 epochs were 1,500 batches)
    evaluation = evaluate_language_model(train, test=test, time_budget=30, epochs=2, progress=False, batch_size=8,
                                         bptt=12, min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    timing = evaluation.timing
    assert timing is not None and timing.budget == 30.0
    assert timing.foreseen is not None and timing.reserved is not None and timing.scoring > 0
    assert [score.name for score in evaluation.scores][-2:] == ["unigram", "Kneser-Ney trigram"]
    shown = str(evaluation)
    assert "judging: scoring the model on the test text took" in shown and "of its 30s budget" in shown
    saved = json.loads(evaluation.save(tmp_path / "evaluation.json").read_text())
    assert saved["timing"]["budget_seconds"] == 30.0 and saved["timing"]["scoring_seconds"] > 0
