"""Text classification benchmark: the fast n-gram bag on IMDB (25k/25k), SST-2 and GoEmotions, with the default
settings.

Run ``python benchmarks/text_classify.py --dataset imdb`` (or ``sst2``, ``goemotions``, or ``all``). Measures test
(IMDB) or dev (SST-2) accuracy and the wall time of the whole job: reading, tokenising, vocabulary, n-grams and
training. GoEmotions (43k Reddit comments, 28 emotions, multi-label) trains on the training split with the dev
split as validation rows (where the per-label decision thresholds are chosen), and again on a small sample
(``--small``, 3,000 texts, a fifth of them validation rows); it reports test macro ROC AUC, and macro F1 at 0.5
and at the per-label thresholds, beside a TF-IDF (uni+bigrams) one-vs-rest logistic regression fitted in the
same run on the same rows, its thresholds chosen the same way on the same validation rows.
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


def read_goemotions(split: str) -> Any:
    """One GoEmotions split as a frame: ``text`` and ``emotions`` (names joined by ``;``)."""
    import pandas as pd

    folder = SHARED_DATA / "goemotions"
    names = (folder / "emotions.txt").read_text().split()
    frame = pd.read_csv(folder / f"{split}.tsv.gz", sep="\t", header=None, names=["text", "ids", "rater"],
                        quoting=3, keep_default_na=False)  # fmt: skip
    frame["emotions"] = (
        frame["ids"].astype(str).map(lambda ids: ";".join(names[int(i)] for i in ids.split(",")))
    )
    return frame[["text", "emotions"]]


def run_goemotions(epochs: int | None, extra: dict[str, Any], small: int = 0) -> dict[str, Any]:
    """The multi-label case: 28 labels, most of them rare (test macro ROC AUC, and F1 at 0.5 and at per-label
    thresholds chosen on the validation rows).

    All 43,410 training texts with the official dev set (5,426) as validation rows; or, with ``small``, that
    many training texts at random, a fifth of them held out for validation as ``trainwell fit`` does by
    default. The TF-IDF logistic regression fits the same training rows and chooses its thresholds the same
    way (``choose_thresholds``) on the same validation rows. Every figure is on the 5,427 test texts.
    """
    import numpy as np
    import pandas as pd
    import torch
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.multiclass import OneVsRestClassifier

    from trainwell.metrics.thresholds import choose_thresholds
    from trainwell.text import fit_texts

    train, test = read_goemotions("train"), read_goemotions("test")
    if small:
        frame = train.sample(n=small, random_state=0).reset_index(drop=True)
        n_fit = len(frame) - len(frame) // 5
        splits = (list(range(n_fit)), list(range(n_fit, len(frame))))
    else:
        frame = pd.concat([train, read_goemotions("dev")], ignore_index=True)
        splits = (list(range(len(train))), list(range(len(train), len(frame))))
    fit_rows, valid_rows = frame.iloc[splits[0]], frame.iloc[splits[1]]
    start = time.perf_counter()
    run_ = fit_texts(frame, text_col="text", target="emotions", label_delim=";", test=test, splits=splits,
                     epochs=epochs, progress=False, **extra)  # fmt: skip
    wall = time.perf_counter() - start
    scores = run_.learn.validate(run_.data.test)
    test_probabilities, _ = run_.learn.get_preds(run_.data.test)
    classes = list(run_.data.task.classes)

    def matrix(rows: pd.DataFrame) -> np.ndarray:
        labels = rows["emotions"].str.split(";")
        return np.array([[name in row for name in classes] for row in labels], dtype=np.int64)

    y_fit, y_valid, y_test = matrix(fit_rows), matrix(valid_rows), matrix(test)
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    seen = y_fit.sum(0) > 0  # a small sample may miss a label: its probability stays 0
    baseline = OneVsRestClassifier(LogisticRegression(max_iter=1000, C=4.0))
    baseline.fit(vectorizer.fit_transform(fit_rows["text"]), y_fit[:, seen])

    def baseline_proba(texts: pd.Series) -> np.ndarray:
        out = np.zeros((len(texts), len(classes)))
        out[:, seen] = baseline.predict_proba(vectorizer.transform(texts))
        return out

    valid_probabilities, probabilities = baseline_proba(valid_rows["text"]), baseline_proba(test["text"])
    baseline_s = time.perf_counter() - start
    chosen = choose_thresholds(torch.as_tensor(valid_probabilities), torch.as_tensor(y_valid)).thresholds
    present = y_test.sum(0) > 0
    summary = run_.thresholds
    return {
        "dataset": "goemotions" if not small else f"goemotions_{small}",
        "train_rows": len(fit_rows),
        "valid_rows": len(valid_rows),
        "test_rows": len(test),
        "test_roc_auc": scores["roc_auc"],
        "test_f1": scores["f1"],
        "test_f1_at_0.5": float(
            f1_score(y_test, test_probabilities.numpy() >= 0.5, average="macro", zero_division=0)
        ),
        "valid_f1_cross_fitted": summary.cross_fitted.get("f1") if summary else None,
        "valid_f1_in_sample": summary.in_sample_f1 if summary else None,
        "wall_s": wall,
        "epochs": len(run_.learn.history),
        "lr": run_.lr,
        "ngrams": run_.data.recipe.ngrams,  # type: ignore[union-attr]
        "settings": extra,
        "tfidf_logistic": {
            "test_roc_auc": float(
                roc_auc_score(y_test[:, present], probabilities[:, present], average="macro")
            ),
            "test_f1": float(
                f1_score(y_test, probabilities >= np.array(chosen), average="macro", zero_division=0)
            ),
            "test_f1_at_0.5": float(f1_score(y_test, probabilities >= 0.5, average="macro", zero_division=0)),
            "seconds": baseline_s,
        },
    }


def goemotions_rows(result: dict[str, Any]) -> list[list[str]]:
    other, rows = result["tfidf_logistic"], f"{result['train_rows']}/{result['valid_rows']}"
    return [
        [f"ngram_bag (trainwell defaults), {rows}", f"{result['test_roc_auc']:.4f}",
         f"{result['test_f1_at_0.5']:.4f}", f"{result['test_f1']:.4f}", f"{result['wall_s']:.1f}"],
        [f"TF-IDF uni+bigrams + logistic regression, {rows}", f"{other['test_roc_auc']:.4f}",
         f"{other['test_f1_at_0.5']:.4f}", f"{other['test_f1']:.4f}", f"{other['seconds']:.1f}"],
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["imdb", "sst2", "goemotions", "all"], default="all")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--ngrams", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--dim", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--small", type=int, default=3000, help="goemotions: also a run on this many texts (0: no)"
    )
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
            small = run_goemotions(args.epochs, extra, small=args.small) if args.small else None
            print_table(
                "goemotions: test, 28 labels (macro over labels); rows = training/validation texts",
                ["model", "ROC AUC", "F1 at 0.5", "F1, per-label thresholds", "wall s"],
                goemotions_rows(result) + (goemotions_rows(small) if small else []),
            )
            payload = {"benchmark": "goemotions", "machine": machine_info(), "result": result}
            if small:
                payload["small"] = small
            write_results("goemotions", payload)
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
