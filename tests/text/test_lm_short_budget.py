"""A short time budget on a CPU trains a language model with short-budget defaults (smaller batches, a higher
one-cycle peak, the small model, light dropout, one thread), said in one line; the work after training keeps to
the budget (the cache's tuning) or says how far it got (the test text's scoring). Tour60 #8: a char model of Tiny
Shakespeare under ``--time 60s`` trained 15 batches and ended at perplexity 44.9, the trigram's 8.2."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from resume_support import CrashAt
from text_samples import stories
from trainwell.callbacks import Checkpoint
from trainwell.callbacks.budget import TimeBudget
from trainwell.callbacks.threads import OneThread
from trainwell.cli._fit_advice import fit_undertrained_note
from trainwell.text import lm_pipeline
from trainwell.text.cache import stream_probabilities
from trainwell.text.lm_evaluation import ScoringProgress, score_test_texts
from trainwell.text.lm_pipeline import (
    LM_SIZES,
    SHORT_BUDGET_SECONDS,
    fit_language_model,
    short_budget_settings,
)

TINY: dict[str, Any] = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}
pytestmark = pytest.mark.filterwarnings("ignore:the model's perplexity")  # these barely trained models warn


def test_the_rule_holds_for_a_short_budget_on_a_cpu_only() -> None:
    chosen = short_budget_settings(60, on_cpu=True, data_kwargs={}, learner_kwargs={}, lr=None)
    assert chosen is not None
    assert chosen.data == {"batch_size": 32, "bptt": 64} and chosen.lr == 1e-2
    assert chosen.learner == {**LM_SIZES["small"], "drop_mult": 0.1}
    assert chosen.line() == (
        "a 1m budget on a CPU: batch 32 x bptt 64, peak lr 0.01, the small model (64/128x2), dropouts x0.1, one "
        "thread (short-budget defaults, for many more optimizer steps; --batch-size, --lr, --lm-size choose "
        "otherwise)"
    )
    # Long budgets, GPUs and no budget keep the defaults.
    for seconds, on_cpu in ((SHORT_BUDGET_SECONDS + 1, True), (60, False), (None, True)):
        assert (
            short_budget_settings(seconds, on_cpu=on_cpu, data_kwargs={}, learner_kwargs={}, lr=None) is None
        )


def test_what_the_call_sets_is_kept() -> None:
    chosen = short_budget_settings(
        30, on_cpu=True, data_kwargs={"batch_size": 8}, learner_kwargs={"hidden_size": 256}, lr=3e-3
    )
    assert chosen is not None
    assert chosen.data == {"bptt": 64} and chosen.lr is None and chosen.learner == {"drop_mult": 0.1}
    assert chosen.line().startswith("a 30s budget on a CPU: bptt 64, dropouts x0.1, one thread (")
    # A fine-tuned model keeps its size, dropouts and rate: only its batches are smaller.
    tuned = short_budget_settings(
        30, on_cpu=True, data_kwargs={}, learner_kwargs={}, lr=None, pretrained="lm"
    )
    assert tuned is not None and tuned.learner == {} and tuned.lr is None and tuned.data["batch_size"] == 32
    everything = short_budget_settings(
        30,
        on_cpu=True,
        data_kwargs={"batch_size": 8, "bptt": 12},
        learner_kwargs={**TINY, "drop_mult": 1.0},
        lr=3e-3,
    )
    assert everything is None


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("short") / "model"
    return fit_language_model(stories(300), valid=stories(40, seed=7), out=out, epochs=1, time_budget=300,
                              progress=False, min_freq=1, learner_kwargs={"device": "cpu"})  # fmt: skip


def test_a_short_budget_fit_trains_and_saves_with_its_defaults(short_run: Any) -> None:
    learn = short_run.learn
    assert (learn.data.train.batch_size, learn.data.train.bptt) == (32, 64)
    assert short_run.lr == pytest.approx(1e-2)
    assert learn.get_callback(OneThread) is not None
    # The model directory records the sizes and dropouts it was built with: predict rebuilds the same model.
    saved = json.loads((short_run.model_dir / "trainwell.json").read_text())
    config = json.dumps(saved)
    assert '"hidden_size": 128' in config and '"emb_size": 64' in config
    assert learn.model_spec["config"]["weight_p"] == pytest.approx(0.5 * 0.1)
    assert torch.get_num_threads() >= 1  # the process's own setting is back


def test_without_a_budget_the_defaults_are_unchanged(tmp_path: Path) -> None:
    run: Any = fit_language_model(stories(300), valid=stories(40, seed=7), epochs=1, progress=False, min_freq=1,
                             learner_kwargs={"device": "cpu"}, tune_cache=False, bptt=12)  # fmt: skip
    learn = run.learn
    assert learn.data.train.batch_size == 64 and run.lr == pytest.approx(3e-3)
    assert learn.model_spec["config"]["hidden_size"] == 512 and learn.get_callback(OneThread) is None


def test_the_line_is_said_on_standard_error(capsys: pytest.CaptureFixture[str]) -> None:
    fit_language_model(stories(300), valid=stories(40, seed=7), epochs=1, time_budget=120, progress=True,
                       min_freq=1, tune_cache=False, learner_kwargs={**TINY, "device": "cpu"})  # fmt: skip
    err = capsys.readouterr().err
    assert "a 2m budget on a CPU: batch 32 x bptt 64, peak lr 0.01, dropouts x0.1, one thread (" in err


def test_a_large_vocabulary_trains_with_the_sampled_softmax(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lm_pipeline, "SHORT_BUDGET_SAMPLED_ABOVE", 20)  # as PTB's 10,000 words are to 4,096
    run: Any = fit_language_model(stories(300), valid=stories(40, seed=7), epochs=1, time_budget=120, min_freq=1,
                                  tune_cache=False, learner_kwargs={**TINY, "n_samples": 16, "device": "cpu"})  # fmt: skip
    vocab = len(run.learn.recipe.vocab)
    assert vocab > 20 and run.learn.model.decode_in_training is False
    assert f"sampled softmax (16 of its {vocab:,} tokens a batch)" in capsys.readouterr().err
    assert isinstance(run.metrics.get("perplexity"), float)  # validated exactly, over the whole vocabulary
    chosen = fit_language_model(stories(300), valid=stories(40, seed=7), epochs=1, time_budget=120, min_freq=1,
                                tune_cache=False, progress=False,
                                learner_kwargs={**TINY, "train_softmax": "full", "device": "cpu"})  # fmt: skip
    assert chosen.learn.model.decode_in_training is not False  # the call's own choice is kept


def test_a_short_budget_fit_resumes_to_the_same_model(tmp_path: Path) -> None:
    settings: dict[str, Any] = {"valid": stories(40, seed=7), "epochs": 2, "time_budget": 300, "progress": False,
                                "min_freq": 1, "tune_cache": False, "batch_size": 4,
                                "learner_kwargs": {"emb_size": 8, "hidden_size": 12, "n_layers": 1, "device": "cpu"}}  # fmt: skip
    texts = stories(60)
    reference: Any = fit_language_model(texts, **settings).learn
    path = tmp_path / "checkpoint.pt"
    with pytest.raises(KeyboardInterrupt):
        fit_language_model(texts, callbacks=[Checkpoint(path, every_n_batches=1), CrashAt(1, 2)], **settings)
    resumed: Any = fit_language_model(texts, resume_from=path, **settings).learn
    assert resumed.data.train.bptt == 64 and resumed.model_spec == reference.model_spec
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key


def test_the_cache_tuning_keeps_to_what_the_budget_has_left() -> None:
    from trainwell.text import language_model_learner, lm_data

    data: Any = lm_data(stories(200), valid=stories(300, seed=1), batch_size=8, bptt=12, min_freq=1)
    learn = language_model_learner(data, progress=False, **TINY)
    whole = len(data.valid.ids)
    now = [0.0]
    spent = TimeBudget(300, clock=lambda: now[0]).start()
    now[0] = (
        299.0  # training ended a second before the budget: the tuning gets that second, not its 30 s share
    )
    lm_pipeline._tune_cache(learn, spent, clock=_ticking(now, per_call=0.5))
    report = learn.cache_report
    assert whole > lm_pipeline.CACHE_PROBE_TOKENS
    assert report is not None and report.tokens is not None and report.tokens < whole
    assert report.budget_seconds == pytest.approx(1.0)


def _ticking(now: list[float], per_call: float) -> Any:
    """A clock that moves ``per_call`` seconds each time it is read (the tuning's probes take time)."""

    def clock() -> float:
        now[0] += per_call
        return now[0]

    return clock


def test_the_read_reports_its_progress_to_the_end(short_run: Any) -> None:
    seen: list[float] = []
    ids = short_run.learn.data.valid.ids
    stream_probabilities(
        short_run.learn.model, ids, window=50, thetas=(0.3,), rows=2, chunk=64, progress=seen.append
    )
    assert len(seen) > 2 and seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 1


def test_scoring_the_test_text_says_how_far_it_got(short_run: Any, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setattr(ScoringProgress, "EVERY_SECONDS", 0.0)
    texts = stories(30, seed=3)
    quiet = score_test_texts(short_run.learn, texts, progress=False)
    assert capsys.readouterr().err == ""
    said = score_test_texts(short_run.learn, texts)
    err = capsys.readouterr().err
    assert f"of {said.tokens:,} tokens in " in err and "left" in err
    assert err.strip().splitlines()[-1].startswith(f"scoring the test text: {said.tokens:,} tokens in ")
    assert said.perplexity == pytest.approx(quiet.perplexity)  # the lines change nothing of the score


def test_progress_lines_come_every_so_often() -> None:
    times, out = iter([0.0, 4.0, 11.0, 15.0, 30.0]), io.StringIO()
    said = ScoringProgress(1_000, clock=lambda: next(times), stream=out)
    said(0.2)  # 4 s: too soon for a line
    said(0.5)  # 11 s
    said(0.6)  # 15 s: too soon after the last
    said.end()  # 30 s
    assert out.getvalue().splitlines() == [
        "scoring the test text: 500 of 1,000 tokens in 11s, about 11s left",
        "scoring the test text: 1,000 tokens in 30s",
    ]


class _Learn:
    def __init__(self, history: list[dict[str, float]]) -> None:
        self.history, self.time_budget, self.n_epochs = history, None, len(history)


def test_a_language_model_behind_its_trigram_gets_one_message_not_two() -> None:
    falling = [0.9, 0.7, 0.6, 0.52]
    behind = [{"valid_loss": v, "perplexity": 40.0, "perplexity_baseline": 8.2} for v in falling]
    assert fit_undertrained_note(_Learn(behind)) is None  # the trigram's warning says to train longer already
    ahead = [{"valid_loss": v, "perplexity": 7.0, "perplexity_baseline": 8.2} for v in falling]
    note = fit_undertrained_note(_Learn(ahead))
    assert note is not None and "looks under-trained" in note


def test_a_char_models_bands_stop_at_its_vocabulary() -> None:
    from trainwell.text.lm_eval import encode_held_out, loss_by_band, score_ngram
    from trainwell.text.lm_stream import lm_data
    from trainwell.text.ngram import KneserNey

    data: Any = lm_data(
        ["to be, or not to be: that is the question"] * 40, tokenizer="char", batch_size=4, bptt=8
    )
    recipe = data.recipe
    held = encode_held_out(recipe, ["to be or not"])
    scores = score_ngram(KneserNey.fit(data.train.ids.numpy(), len(recipe.vocab), 3), held, "trigram")
    names = [band.name for band in loss_by_band(scores, recipe.vocab, unit="character")]
    characters = len(set("to be, or not to be: that is the question"))
    assert f"all {characters} characters of the vocabulary" in names
    assert not any("most frequent" in name or "ranked" in name for name in names), names
