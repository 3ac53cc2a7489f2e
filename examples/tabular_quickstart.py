"""Tabular quickstart: from a DataFrame to a saved model and predictions on raw rows, in six lines.

Run it with ``python examples/tabular_quickstart.py [MODEL_DIR]``. It trains on the 4,000-row sample of UCI
Adult shipped inside the package (no download) in a few seconds on a CPU, writes the model to ``MODEL_DIR``
(default: a temporary folder, removed afterwards), loads it back and predicts the first five rows.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

import trainwell


def quickstart(model_dir: Path) -> pd.DataFrame:
    """Train, export to ``model_dir``, reload and return predictions for the first rows."""
    trainwell.seed_everything(0)  # the model's initial weights; tabular_data's seed covers split and order
    df = trainwell.datasets.adult_sample()

    data = trainwell.tabular_data(df, target="income")
    learn = trainwell.tabular_learner(data)
    found = learn.lr_find()
    learn.fit_one_cycle(3, found.suggestion)  # None (no clear suggestion) keeps the learner's default lr
    learn.export(model_dir)
    predictions = trainwell.load(model_dir).predict(df.head())

    suggestion = "none" if found.suggestion is None else f"{found.suggestion:.2e}"
    print(f"lr_find suggested {suggestion}; validation after 3 epochs: {learn.validate()}")
    return predictions.assign(actual=df["income"].head().to_numpy())


def main() -> None:
    if len(sys.argv) > 1:
        print(quickstart(Path(sys.argv[1])).to_string())
        return
    with tempfile.TemporaryDirectory() as folder:
        print(quickstart(Path(folder) / "adult_model").to_string())


if __name__ == "__main__":
    main()
