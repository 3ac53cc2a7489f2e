"""Text data keeps where each validation row is in the DataFrame given (``data.valid_index``, as a table's bundle
does), and a text model's top losses are named by the DataFrame's own row labels, not by their place in the
shuffled validation split, so ``df.loc[label]`` is the text the loss is of."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import trainwell
from trainwell.interpret import ClassificationInterpretation


def test_text_top_losses_name_the_dataframes_rows_and_valid_index_finds_them() -> None:
    rng = np.random.default_rng(3)
    words = {"pos": ["great", "lovely", "fine"], "neg": ["awful", "dull", "bad"]}
    labels = rng.choice(["pos", "neg"], 120)
    texts = [f"a {rng.choice(words[label])} film number {i}" for i, label in enumerate(labels)]
    texts[5] = "   "  # dropped as empty: positions after it still point into the frame given
    df = pd.DataFrame({"text": texts, "label": labels}, index=np.arange(1000, 1120))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = trainwell.text_data(df, "label", text_col="text", seed=0, drop_empty=True)
    assert data.valid_index is not None and data.train_index is not None
    assert len(data.valid_index) == len(data.texts["valid"])
    assert df.iloc[data.valid_index]["text"].tolist() == data.texts["valid"]
    assert df.iloc[data.train_index]["text"].tolist() == data.texts["train"]
    assert 5 not in set(data.valid_index) | set(data.train_index)
    learn = trainwell.text_classifier_learner(data, progress=False)
    top = ClassificationInterpretation.from_learner(learn).top_losses(4)
    assert top.index.min() >= 1000  # the DataFrame's labels, not positions 0..23 in the validation split
    assert [df.loc[label, "text"] for label in top.index] == top["text"].tolist()
    assert [df.loc[label, "label"] for label in top.index] == top["actual"].tolist()
