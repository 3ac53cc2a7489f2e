"""trainwell evaluate on a text column: folds, the vocabulary fitted per fold, TF-IDF baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from text_samples import reviews
from trainwell.cli._evaluate_texts import TextFold, evaluate_texts
from trainwell.data.task import infer_task


@pytest.mark.slow
def test_cross_validation_of_texts_beside_tfidf() -> None:
    result = evaluate_texts(reviews(200), "review", "sentiment", k=3)  # default epochs, as trainwell fit
    assert result.model.k == 3 and set(result.baselines) == {"majority class", "tf-idf + logistic"}
    assert result.baselines["majority class"].summary()["accuracy"].mean == pytest.approx(0.5, abs=0.02)
    assert result.baselines["tf-idf + logistic"].summary()["accuracy"].mean > 0.9
    assert result.model.summary()["accuracy"].mean > 0.8


def test_each_fold_fits_its_own_vocabulary() -> None:
    frame = reviews(60)
    frame.loc[:29, "review"] = frame.loc[:29, "review"] + " zebra zebra"  # a word only the first half knows
    task = infer_task(frame["sentiment"])
    fold = TextFold(frame, "review", "sentiment", task, ["accuracy"], epochs=1)
    first, second = np.arange(0, 30), np.arange(30, 60)
    fold(first, second, 0)
    fold(second, first, 1)
    assert "zebra" in fold.vocabularies[0] and "zebra" not in fold.vocabularies[1]


def _topics(n: int, seed: int = 0) -> pd.DataFrame:
    """Texts about sport, food or both, '|'-separated; 'rain' is a rare third label."""
    rng = np.random.default_rng(seed)
    words = {"sport": ["goal", "match", "team"], "food": ["bread", "soup", "cheese"], "rain": ["umbrella"]}
    filler = ["the", "a", "today", "we", "saw", "very", "and"]
    rows = []
    for _ in range(n):
        labels = [name for name in ("sport", "food") if rng.random() < 0.5] or ["sport"]
        if rng.random() < 0.05:
            labels.append("rain")
        tokens = [str(rng.choice(filler)) for _ in range(6)] + [
            str(rng.choice(words[name])) for name in labels
        ]
        rng.shuffle(tokens)
        rows.append((" ".join(tokens), "|".join(labels)))
    return pd.DataFrame(rows, columns=["text", "topic"])


def test_multilabel_texts_are_cross_validated_beside_per_label_tfidf() -> None:
    result = evaluate_texts(_topics(240), "text", "topic", k=3, epochs=4, label_delim="|")
    assert result.task.kind == "multilabel" and not result.model.stratified
    assert set(result.baselines) == {"label priors", "tf-idf + logistic"}
    assert result.baselines["label priors"].summary()["roc_auc"].mean == pytest.approx(0.5, abs=0.05)
    assert result.baselines["tf-idf + logistic"].summary()["roc_auc"].mean > 0.9
    assert result.model.summary()["roc_auc"].mean > 0.9
