"""Micro-F1 and sample-averaged F1 beside the macro ``f1`` of a multi-label model: in the fit's history, as
metrics by name, and in the report's per-label section; curly apostrophes read as plain ones in the word
tokenizer and the word-effects table.

GoEmotions' report had no micro-F1 anywhere (``grep -c micro report.html`` gave 0), though Hugging Face and
scikit-learn users quote it, and its word-effects table had ``i’m`` and ``i'm`` as two words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score

from trainwell.metrics import get_metric
from trainwell.report._outputs import f1_averages
from trainwell.text import fit_texts
from trainwell.text._word_effects import WordEffects, word_summary
from trainwell.text.tokenize import WordTokenizer


def _decisions(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.random((60, 5)) < np.array([0.6, 0.3, 0.1, 0.05, 0.0])
    scores = np.clip(truth * 0.5 + rng.random((60, 5)) * 0.6, 0, 1)
    return truth, scores >= 0.5, scores


def test_micro_and_sample_f1_match_scikit_learn_batch_by_batch() -> None:
    truth, predicted, scores = _decisions(0)
    for name, average in (("f1_micro", "micro"), ("f1_samples", "samples"), ("f1", "macro")):
        metric = get_metric(name, "multilabel")
        for start in range(0, 60, 16):  # batches add up to the whole set's figure
            metric.update(
                torch.tensor(scores[start : start + 16]), torch.tensor(truth[start : start + 16] * 1.0)
            )
        expected = f1_score(truth, predicted, average=average, zero_division=0)
        assert abs(metric.compute() - expected) < 1e-9, name


def test_the_report_sentence_gives_the_three_averages_as_scikit_learn() -> None:
    truth, predicted, _ = _decisions(1)
    said = f1_averages(truth, predicted, "text")
    for word, average in (("micro", "micro"), ("macro", "macro"), ("sample-averaged", "samples")):
        figure = f1_score(truth, predicted, average=average, zero_division=0)
        assert f"{word} {figure:.4f}" in said, (word, said)


def test_a_multilabel_text_fit_records_micro_and_sample_f1_beside_macro() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(120):
        words, labels = list(rng.choice([f"w{i}" for i in range(20)], 5)), []
        if rng.random() < 0.5:
            words.append("alpha")
            labels.append("a")
        if rng.random() < 0.3:
            words.append("beta")
            labels.append("b")
        rows.append({"text": " ".join(words), "tags": ";".join(labels)})
    run = fit_texts(
        pd.DataFrame(rows), "tags", label_delim=";", epochs=1, progress=False, tune_thresholds=False
    )
    row = run.learn.history[-1]
    columns = list(row)
    assert columns.index("f1") < columns.index("f1_micro") < columns.index("f1_samples")
    assert 0.0 <= row["f1_micro"] <= 1.0 and 0.0 <= row["f1_samples"] <= 1.0
    assert "f1_micro" in run.metrics


def test_curly_and_plain_apostrophes_are_one_word() -> None:
    tokenizer = WordTokenizer()
    assert tokenizer("I’m sure it’s fine") == tokenizer("I'm sure it's fine")
    effects = [
        WordEffects(["i’m", "happy"], np.array([0.2, 0.5]), "joy", 0.9, np.array([False, True]), 2),
        WordEffects(["I'm", "glad"], np.array([0.4, 0.3]), "joy", 0.8, np.array([False, False]), 2),
    ]
    rows = word_summary(effects, min_texts=1, top=5)
    words = [word for _, word, _, _, _ in rows]
    assert "i'm" in words and "i’m" not in words
    texts = {word: count for _, word, count, _, _ in rows}
    assert texts["i'm"] == 2
