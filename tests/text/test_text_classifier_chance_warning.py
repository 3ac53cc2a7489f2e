"""A text classifier that ends at chance is warned of with :class:`BaselineNotBeaten` from Python, as language
models and taggers are (tour54 5b: a ULMFiT classifier at 0.470 on 600 reviews, whose training majority was right
on 0.465 of them, said nothing, as it beat that share by a hair), and the command line says it once."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from typer.testing import CliRunner

from text_samples import reviews
from trainwell.cli.app import app
from trainwell.metrics.label_baselines import BaselineNotBeaten
from trainwell.text import fit_texts, text_classifier_learner, text_data
from trainwell.text.majority import majority_warning


def _said(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(item.message) for item in record if issubclass(item.category, BaselineNotBeaten)]


def test_a_share_above_the_majority_by_less_than_chance_allows_is_warned_of() -> None:
    said = majority_warning(0.47, 0.465, "pos", rows=600)
    assert isinstance(said, BaselineNotBeaten)
    assert str(said).startswith("validation accuracy 0.470 does not beat always answering the training rows'")
    assert "by more than chance allows on 600 rows (its 90% interval starts at 0.43" in str(said)
    assert said.command_line is not None and said.command_line.endswith("train longer (--epochs)")
    assert majority_warning(0.60, 0.465, "pos", rows=600) is None  # clearly above: learned something
    assert majority_warning(0.47, 0.465, "pos", rows=60_000) is None  # 0.005 above on 60,000 rows is real
    timed = majority_warning(0.40, 0.5, "neg", rows=10, budgeted=True)
    assert timed is not None and str(timed).endswith("train longer (a longer time_budget)")
    assert timed.command_line is not None and timed.command_line.endswith("(a longer --time)")


def test_one_step_at_a_tiny_rate_on_a_balanced_set_warns_once() -> None:
    torch.manual_seed(0)
    frame = reviews(200, positive_every=2)  # balanced: the majority is right on about half the rows
    data = text_data(frame, "sentiment", text_col="review", seed=0, batch_size=200)
    learn = text_classifier_learner(data, progress=False, arch_config={"dim": 8})
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        learn.fit(1, 1e-6)  # one batch: one step
    said = _said(record)
    assert len(said) == 1, said
    assert said[0].startswith(f"validation accuracy {learn.history[-1]['accuracy']:.3f} does not beat")
    assert (
        Path(next(w for w in record if issubclass(w.category, BaselineNotBeaten)).filename).name
        == Path(__file__).name
    )  # pointed at the user's fit line


def test_fit_texts_at_chance_warns_and_one_that_learned_does_not() -> None:
    torch.manual_seed(0)
    frame = reviews(200, positive_every=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit_texts(frame, "sentiment", text_col="review", epochs=1, lr=1e-6, batch_size=200, progress=False)
    assert len(_said(record)) == 1
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run = fit_texts(frame, "sentiment", text_col="review", epochs=6, lr=0.05, progress=False)
    assert run.learn.history[-1]["accuracy"] >= 0.95 and _said(record) == []


def test_the_command_line_says_it_once(tmp_path: Path) -> None:
    table = tmp_path / "reviews.csv"
    reviews(200, positive_every=2).to_csv(table, index=False)
    fitted = CliRunner().invoke(
        app,
        ["fit", str(table), "--text", "review", "--target", "sentiment", "--epochs", "1", "--lr", "1e-6",
         "--batch-size", "200", "--out", str(tmp_path / "m")],
    )  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    assert fitted.output.count("does not beat always answering the training rows' most common class") == 1
    assert "train longer (--epochs)" in fitted.output
