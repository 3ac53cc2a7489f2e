"""How a language model's report words its figures: a perplexity above the vocabulary's size said plainly as
worse than a uniform guess, accuracies to 4 decimals, and no token counts drawn as validation metrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainwell.learner.plots import metric_panels
from trainwell.report import build_report
from trainwell.report._lm import perplexity_meaning
from trainwell.text.lm_learner import fit_language_model

SIZES = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]


def test_a_perplexity_within_the_vocabulary_reads_as_a_choice_among_words() -> None:
    said = perplexity_meaning(120.4, 10_000)
    assert said.startswith(
        "at each step the model is on average as unsure as a choice among 120 equally likely"
    )
    assert "(of 10,000 in its vocabulary)" in said and "uniform" not in said


def test_a_perplexity_above_the_vocabulary_is_worse_than_a_uniform_guess() -> None:
    said = perplexity_meaning(9_581.6, 6_584)
    assert "choice among" not in said  # 9,582 "equally likely words" of 6,584: no such choice
    assert said.startswith(
        "more than the 6,584 words of its vocabulary, so the model does worse than a uniform"
    )
    assert "less than the 1/6,584 a uniform guess gives every word" in said and "train longer" in said


def test_the_report_of_a_model_confidently_wrong_says_it_does_worse_than_a_uniform_guess(
    tmp_path: Path,
) -> None:
    # Trained on one order of six words, judged on the reverse order: every next word is one it was sure of not
    # coming, so its perplexity is far above its vocabulary's dozen tokens.
    line = " ".join(WORDS) + " ."
    out = tmp_path / "model"
    fit_language_model([line] * 300, valid=[line] * 30, out=out, epochs=2, lr=3e-2, progress=False,
                       batch_size=8, bptt=12, min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    test = tmp_path / "reversed.txt"
    test.write_text("\n".join([" ".join(reversed(WORDS)) + " ."] * 40), encoding="utf-8")
    page = build_report(out, test, tmp_path / "report.html").read_text()
    text = re.sub(r"<[^>]+>", " ", page)
    text = " ".join(text.split())
    assert "so the model does worse than a uniform guess over its vocabulary" in text
    assert "as unsure as a choice among" not in text
    # Accuracies to 4 decimals at most, like the report's other shares (not 0.006149).
    section = page[page.index('<section id="metrics">') :]
    table = section[: section.index("</table>")]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells and not [cell for cell in cells if re.fullmatch(r"-?\d+\.\d{5,}", cell.replace(",", ""))]


@pytest.mark.parametrize("columns", [("valid_tokens", "valid_tokens_total")])
def test_token_counts_are_not_drawn_as_validation_metrics(columns: tuple[str, str]) -> None:
    # A language model fitted under a budget records how many validation tokens a pass read: 17,920 of 66,944
    # drew a panel beside its perplexity.
    read, total = columns
    history = [
        {"epoch": 1, "train_loss": 6.1, "valid_loss": 5.9, "perplexity": 365.0, "perplexity_baseline": 97.3,
         read: 17_920, total: 66_944, "time": 41.0},
        {"epoch": 2, "train_loss": 5.1, "valid_loss": 5.0, "perplexity": 148.4, "perplexity_baseline": 97.3,
         read: 17_920, total: 66_944, "time": 40.0},
    ]  # fmt: skip
    assert metric_panels(history) == [["perplexity", "perplexity_baseline"]]
    # Other kinds' columns are picked as before.
    classifier = [
        {"epoch": 1, "train_loss": 0.5, "valid_loss": 0.4, "accuracy": 0.81, "f1": 0.79, "time": 3.0}
    ]
    assert metric_panels(classifier) == [["accuracy", "f1"]]
