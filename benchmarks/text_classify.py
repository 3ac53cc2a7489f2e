"""Text classification benchmark: the fast n-gram bag on IMDB (25k/25k), SST-2 and GoEmotions, with the default
settings.

Run ``python benchmarks/text_classify.py --dataset imdb`` (or ``sst2``, ``goemotions``, or ``all``). Measures test
(IMDB) or dev (SST-2) accuracy and the wall time of the whole job: reading, tokenising, vocabulary, n-grams and
training. GoEmotions (43k Reddit comments, 28 emotions, multi-label) reports test macro ROC AUC and F1 at 0.5,
beside a TF-IDF (uni+bigrams) one-vs-rest logistic regression fitted in the same run on the same rows.
Torch uses 2 threads (``--threads``), as on the reference 2-core machine. Writes ``results/<dataset>.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _common import SHARED_DATA, held_out_result, machine_info, print_table, text_frames, write_results

REFERENCES = {
    "imdb": {
        "TF-IDF unigrams + logistic regression (measured here, 11 s)": 0.889,
        "TF-IDF bigrams + logistic regression (measured here, 34 s)": 0.904,
        "NBSVM bigrams (Wang and Manning 2012)": 0.912,
    },
    "sst2": {},
}


def run(dataset: str, epochs: int | None, extra: dict[str, Any]) -> dict[str, Any]:
    from trainwell.text import fit_texts

    train, held, text_col, target, held_name = text_frames(dataset)
    start = time.perf_counter()
    run_ = fit_texts(
        train,
        text_col=text_col,
        target=target,
        test=held,
        valid_pct=0.0,
        epochs=epochs,
        progress=False,
        **extra,
    )
    wall = time.perf_counter() - start
    recipe: Any = run_.data.recipe
    return {
        "dataset": dataset,
        **held_out_result(run_, train, held, held_name, wall),
        "epochs": len(run_.learn.history),
        "lr": run_.lr,
        "recipe": {k: v for k, v in recipe.to_dict().items() if k not in ("vocab", "tokenizer")},
        "vocab_size": len(recipe.vocab),
        "architecture": run_.learn.model_spec,
        "settings": extra,
    }


def run_goemotions(epochs: int | None, extra: dict[str, Any]) -> dict[str, Any]:
    """The multi-label case: 28 labels, most of them rare (test macro ROC AUC and F1)."""
    import numpy as np
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.multiclass import OneVsRestClassifier

    from trainwell.text import fit_texts

    folder = SHARED_DATA / "goemotions"
    names = (folder / "emotions.txt").read_text().split()

    def read(split: str) -> pd.DataFrame:
        frame = pd.read_csv(folder / f"{split}.tsv.gz", sep="\t", header=None, names=["text", "ids", "rater"],
                            quoting=3, keep_default_na=False)  # fmt: skip
        frame["emotions"] = (
            frame["ids"].astype(str).map(lambda ids: ";".join(names[int(i)] for i in ids.split(",")))
        )
        return frame[["text", "emotions"]]

    train, test = read("train"), read("test")
    start = time.perf_counter()
    run_ = fit_texts(train, text_col="text", target="emotions", label_delim=";", test=test, valid_pct=0.0,
                     epochs=epochs, progress=False, **extra)  # fmt: skip
    wall = time.perf_counter() - start
    scores = run_.learn.validate(run_.data.test)
    classes = list(run_.data.task.classes)

    def matrix(frame: pd.DataFrame) -> np.ndarray:
        rows = frame["emotions"].str.split(";")
        return np.array([[name in row for name in classes] for row in rows], dtype=np.int64)

    y_train, y_test = matrix(train), matrix(test)
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    baseline = OneVsRestClassifier(LogisticRegression(max_iter=1000, C=4.0))
    baseline.fit(vectorizer.fit_transform(train["text"]), y_train)
    probabilities = baseline.predict_proba(vectorizer.transform(test["text"]))
    baseline_s = time.perf_counter() - start
    present = y_test.sum(0) > 0
    return {
        "dataset": "goemotions",
        "train_rows": len(train),
        "test_rows": len(test),
        "test_roc_auc": scores["roc_auc"],
        "test_f1": scores["f1"],
        "wall_s": wall,
        "epochs": len(run_.learn.history),
        "lr": run_.lr,
        "settings": extra,
        "tfidf_logistic": {
            "test_roc_auc": float(
                roc_auc_score(y_test[:, present], probabilities[:, present], average="macro")
            ),
            "test_f1": float(f1_score(y_test, probabilities >= 0.5, average="macro", zero_division=0)),
            "seconds": baseline_s,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["imdb", "sst2", "goemotions", "all"], default="all")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--ngrams", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--dim", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    extra: dict[str, Any] = {"seed": args.seed} if args.seed else {}
    if args.ngrams is not None:
        extra["ngrams"] = args.ngrams
    if args.lr is not None:
        extra["lr"] = args.lr
    if args.dim is not None:
        extra["arch_config"] = {"dim": args.dim}
    datasets = ["imdb", "sst2", "goemotions"] if args.dataset == "all" else [args.dataset]
    for dataset in datasets:
        if not (SHARED_DATA / dataset).is_dir():
            print(f"skipping {dataset}: {SHARED_DATA / dataset} is missing")
            continue
        if dataset == "goemotions":
            result = run_goemotions(args.epochs, extra)
            other = result["tfidf_logistic"]
            print_table(
                "goemotions: test, 28 labels (macro over labels)",
                ["model", "ROC AUC", "F1 at 0.5", "wall s"],
                [
                    ["ngram_bag (trainwell defaults)", f"{result['test_roc_auc']:.4f}", f"{result['test_f1']:.4f}",
                     f"{result['wall_s']:.1f}"],
                    ["TF-IDF uni+bigrams + logistic regression (same run)", f"{other['test_roc_auc']:.4f}",
                     f"{other['test_f1']:.4f}", f"{other['seconds']:.1f}"],
                ],
            )  # fmt: skip
            write_results(
                "goemotions", {"benchmark": "goemotions", "machine": machine_info(), "result": result}
            )
            continue
        result = run(dataset, args.epochs, extra)
        key = "test_accuracy" if dataset == "imdb" else "dev_accuracy"
        rows = [["ngram_bag (trainwell defaults)", f"{result[key]:.4f}", f"{result['wall_s']:.1f}"]]
        rows += [[label, f"{value:.4f}", ""] for label, value in REFERENCES[dataset].items()]
        print_table(f"{dataset}: {key.replace('_', ' ')}", ["model", "accuracy", "wall s"], rows)
        name = dataset if args.threads == 2 else f"{dataset}_threads{args.threads}"
        name += f"_seed{args.seed}" if args.seed else ""
        write_results(
            name,
            {
                "benchmark": dataset,
                "machine": machine_info(),
                "result": result,
                "references": REFERENCES[dataset],
            },
        )


if __name__ == "__main__":
    main()
