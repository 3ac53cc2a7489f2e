"""Text regression: a review's star rating (IMDB's 1-4 and 7-10 out of 10) predicted from its text.

IMDB's file names hold each review's rating (``0_9.txt``: 9 stars), kept in ../shared/data/imdb as the column
``rating``: a number to predict from the text, the task of a readability score or a review's stars. The ratings
are whole numbers, which ``fit_texts`` reads as classes unless told ``task="regression"``, as here.

Models on the same rows, each with its defaults, scored on held-out reviews (RMSE, MAE and R² in stars):

- trainwell: ``fit_texts(task="regression")``, the fast bag of n-grams (the whole job, reading to scoring);
- TF-IDF (words, or words and bigrams) + ridge regression (scikit-learn, alpha 1), answers clipped to the
  training range as trainwell's are: ``trainwell evaluate``'s text baseline for a regression;
- the training ratings' mean.

Two sizes: all 25,000 training reviews, and 3,000 of them (``--small``); the test reviews are 25,000 (or
``--test-rows`` of them, drawn at random). Prints a table and writes ``benchmarks/results/imdb_ratings.json``.

    python benchmarks/text_regression.py [--small 3000] [--test-rows 25000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, write_results


def scores(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    error = predicted - actual
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "r2": float(1 - np.mean(error**2) / np.var(actual)),
    }


def run_size(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    from trainwell.text import fit_texts

    actual = test["rating"].to_numpy(dtype=float)
    models: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    run = fit_texts(
        train, text_col="text", target="rating", task="regression", test=test, valid_pct=0.0, progress=False
    )
    predicted, targets = run.learn.get_preds(run.data.test)  # in stars, in the test rows' order
    seconds = time.perf_counter() - start
    assert targets is not None and np.allclose(targets.reshape(-1).numpy(), actual)
    models["trainwell, fast n-gram bag"] = {
        **scores(predicted.reshape(-1).numpy().astype(float), actual),
        "seconds": seconds,
        "epochs": len(run.learn.history),
        "architecture": run.learn.model_spec,
    }
    low, high = train["rating"].min(), train["rating"].max()
    for name, ngrams in (("TF-IDF words + ridge", (1, 1)), ("TF-IDF words and bigrams + ridge", (1, 2))):
        start = time.perf_counter()
        vectorizer = TfidfVectorizer(ngram_range=ngrams, min_df=2, sublinear_tf=True)
        ridge = Ridge(alpha=1.0).fit(vectorizer.fit_transform(train["text"]), train["rating"])
        answers = np.clip(ridge.predict(vectorizer.transform(test["text"])), low, high)
        models[name] = {**scores(answers, actual), "seconds": time.perf_counter() - start}
    models["the training ratings' mean"] = {
        **scores(np.full(len(test), train["rating"].mean()), actual),
        "seconds": 0.0,
    }
    return {"train_rows": len(train), "test_rows": len(test), "models": models}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=3000, help="training reviews of the small run (0: none)")
    parser.add_argument("--test-rows", type=int, default=25000, help="test reviews scored (at most 25,000)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    folder = SHARED_DATA / "imdb"
    if not (folder / "train.csv.gz").is_file():
        sys.exit(f"skipped: {folder} is absent (IMDB's reviews with their ratings; see its SOURCE.md)")
    train = pd.read_csv(folder / "train.csv.gz")[["text", "rating"]]
    test = pd.read_csv(folder / "test.csv.gz")[["text", "rating"]]
    if args.test_rows < len(test):
        test = test.sample(args.test_rows, random_state=0).reset_index(drop=True)
    sizes = {"all": run_size(train, test)}
    if args.small:
        sizes[f"small_{args.small}"] = run_size(train.sample(args.small, random_state=0), test)
    rows = [
        (
            size,
            name,
            f"{model['rmse']:.4f}",
            f"{model['mae']:.4f}",
            f"{model['r2']:.4f}",
            f"{model['seconds']:.0f}",
        )
        for size, found in sizes.items()
        for name, model in found["models"].items()
    ]
    print_table("IMDB ratings from review text (test)", ["training", "model", "RMSE", "MAE", "R²", "s"], rows)
    payload = {"benchmark": "imdb_ratings", "sizes": sizes, "machine": machine_info(threads=args.threads)}
    print(f"wrote {write_results('imdb_ratings', payload)}")


if __name__ == "__main__":
    main()
