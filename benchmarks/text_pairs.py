"""What reading two texts as a pair is worth, on two pair tasks made from IMDB's reviews.

GLUE's MRPC, SNLI and Quora's question pairs are not in ../shared/data, so the pair task here is made from real
text that is: two sentences of one IMDB review (``same``) against two sentences of two reviews (``different``),
half and half; the training pairs come from the 25,000 training reviews, the test pairs from the 25,000 test
reviews (no review on both sides). What tells them apart is what the sides share (a film's or an actor's name,
a topic, a tone), the thing a pair model reads and one bag of both sentences' words does not.

The second task asks whether two reviews agree: two IMDB reviews (their first 100 words), ``agree`` when both
are positive or both negative, ``differ`` otherwise; 20,000 training pairs from the training reviews, 10,000 test
pairs from the test reviews. Each side's sentiment decides it, and no word both sides share does: a product of
the two sides' readings, which the pair model's head reads (``[w, u * v, |u - v|]``) and a bag cannot.

Four models on the same pairs, each with its defaults:

- trainwell, the pair: ``fit_texts(text_col=["sentence1", "sentence2"])``: each side tokenised alone, the bag
  reading the words both share and those only one holds (``trainwell.text.fields``);
- trainwell, one text: the two sentences joined as one column, one bag of n-grams (what a user had before);
- TF-IDF (words and bigrams) + logistic regression on the joined text: ``trainwell evaluate``'s text baseline;
- TF-IDF cosine similarity of the two sentences, fitted on the training sentences, through a logistic
  regression: the classic unsupervised measure of how alike two texts are.

Prints a table and writes ``benchmarks/results/text_pairs.json``.

    python benchmarks/text_pairs.py [--train-pairs 40000] [--agree-pairs 20000] [--test-pairs 10000]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, text_frames, write_results

#: Sentences of this many words, from reviews holding two of them or more.
MIN_WORDS, MAX_WORDS = 6, 60
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|<br\s*/?>\s*(?:<br\s*/?>\s*)*")


def review_sentences(texts: pd.Series) -> list[list[str]]:
    """Each review's sentences of :data:`MIN_WORDS` to :data:`MAX_WORDS` words (HTML line breaks end one too)."""
    found = []
    for text in texts:
        sentences = [part.strip() for part in _SENTENCE_END.split(text)]
        found.append([s for s in sentences if MIN_WORDS <= len(s.split()) <= MAX_WORDS])
    return found


def sentence_pairs(texts: pd.Series, n_pairs: int, seed: int) -> pd.DataFrame:
    """``n_pairs`` pairs, half of two sentences of one review, half of sentences of two reviews; every
    sentence drawn at random from the reviews holding two or more."""
    rng = np.random.default_rng(seed)
    reviews = [sentences for sentences in review_sentences(texts) if len(sentences) >= 2]
    rows = []
    for index in range(n_pairs):
        first = int(rng.integers(len(reviews)))
        if index % 2 == 0:
            a, b = rng.choice(len(reviews[first]), size=2, replace=False)
            rows.append((reviews[first][a], reviews[first][b], "same"))
        else:
            second = int(rng.integers(len(reviews) - 1))
            second += second >= first  # another review
            rows.append(
                (
                    reviews[first][int(rng.integers(len(reviews[first])))],
                    reviews[second][int(rng.integers(len(reviews[second])))],
                    "different",
                )
            )
    order = rng.permutation(len(rows))
    return pd.DataFrame([rows[i] for i in order], columns=["sentence1", "sentence2", "label"])


def review_pairs(frame: pd.DataFrame, text: str, label: str, n_pairs: int, seed: int) -> pd.DataFrame:
    """``n_pairs`` pairs of two different reviews (their first 100 words), ``agree`` when their labels are the
    same, ``differ`` otherwise."""
    rng = np.random.default_rng(seed)
    first = rng.integers(len(frame), size=n_pairs)
    second = (first + rng.integers(1, len(frame), size=n_pairs)) % len(frame)
    words = frame[text].str.replace(r"<br\s*/?>", " ", regex=True).str.split().str[:100].str.join(" ")
    labels = frame[label].to_numpy()
    return pd.DataFrame(
        {
            "sentence1": words.to_numpy()[first],
            "sentence2": words.to_numpy()[second],
            "label": np.where(labels[first] == labels[second], "same", "different"),
        }
    )


def trainwell_pair(train: pd.DataFrame, test: pd.DataFrame, *, joined: bool) -> dict[str, Any]:
    from trainwell.text import fit_texts

    if joined:
        train, test = (
            frame.assign(both=frame["sentence1"] + " " + frame["sentence2"]) for frame in (train, test)
        )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = fit_texts(
            train,
            text_col="both" if joined else ["sentence1", "sentence2"],
            target="label",
            test=test,
            progress=False,
            seed=0,
        )
    seconds = time.perf_counter() - start
    scores = run.learn.test_scores
    return {"test_accuracy": scores["accuracy"], "test_roc_auc": scores["roc_auc"], "seconds": seconds}


def tfidf_joined(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline

    start = time.perf_counter()
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(C=4.0, max_iter=1000),
    )
    joined = [frame["sentence1"] + " " + frame["sentence2"] for frame in (train, test)]
    model.fit(joined[0], train["label"] == "same")
    probability = model.predict_proba(joined[1])[:, 1]
    truth = (test["label"] == "same").to_numpy()
    return {
        "test_accuracy": float(((probability >= 0.5) == truth).mean()),
        "test_roc_auc": float(roc_auc_score(truth, probability)),
        "seconds": time.perf_counter() - start,
    }


def tfidf_cosine(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(min_df=2, sublinear_tf=True)
    vectorizer.fit(pd.concat([train["sentence1"], train["sentence2"]]))

    def cosine(frame: pd.DataFrame) -> np.ndarray:
        a, b = vectorizer.transform(frame["sentence1"]), vectorizer.transform(frame["sentence2"])
        return np.asarray(a.multiply(b).sum(axis=1)).reshape(-1, 1)  # rows are L2-normalised

    model = LogisticRegression().fit(cosine(train), train["label"] == "same")
    probability = model.predict_proba(cosine(test))[:, 1]
    truth = (test["label"] == "same").to_numpy()
    return {
        "test_accuracy": float(((probability >= 0.5) == truth).mean()),
        "test_roc_auc": float(roc_auc_score(truth, probability)),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-pairs", type=int, default=40_000)
    parser.add_argument("--test-pairs", type=int, default=10_000)
    parser.add_argument("--agree-pairs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (SHARED_DATA / "imdb").exists():
        print(f"skipped: {SHARED_DATA / 'imdb'} is absent (the shared datasets are needed)")
        return
    reviews_train, reviews_test, text, label, _ = text_frames("imdb")
    tasks = {
        "same_review": (
            "IMDB sentence pairs, same review or not",
            "two sentences of one IMDB review (same) or of two reviews (different), half and half",
            sentence_pairs(reviews_train[text], args.train_pairs, args.seed),
            sentence_pairs(reviews_test[text], args.test_pairs, args.seed + 1),
        ),
        "reviews_agree": (
            "IMDB review pairs, their sentiments agree or not",
            "two IMDB reviews (first 100 words): same when both are positive or both negative",
            review_pairs(reviews_train, text, label, args.agree_pairs, args.seed),
            review_pairs(reviews_test, text, label, args.test_pairs, args.seed + 1),
        ),
    }
    payload: dict[str, Any] = {"machine": machine_info(), "seed": args.seed, "tasks": {}}
    for key, (title, task, train, test) in tasks.items():
        models: dict[str, tuple[Any, dict[str, Any]]] = {
            "trainwell, the two sentences as a pair": (trainwell_pair, {"joined": False}),
            "trainwell, the two sentences as one text": (trainwell_pair, {"joined": True}),
            "TF-IDF + logistic regression, one text": (tfidf_joined, {}),
            "TF-IDF cosine similarity + logistic regression": (tfidf_cosine, {}),
        }
        results: dict[str, Any] = {}
        rows = []
        for name, (run, options) in models.items():
            found = run(train, test, **options)
            results[name] = found
            rows.append((name, found["test_accuracy"], found["test_roc_auc"], found["seconds"]))
        print_table(
            f"{title}: {len(train):,} training / {len(test):,} test pairs",
            ["model", "test accuracy", "test ROC AUC", "seconds"],
            rows,
        )
        payload["tasks"][key] = {
            "task": task,
            "train_pairs": len(train),
            "test_pairs": len(test),
            "models": results,
        }
    write_results("text_pairs", payload)


if __name__ == "__main__":
    main()
