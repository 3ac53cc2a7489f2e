"""How long the fast text model's n-grams should be, by corpus size: bigrams against trigrams, all else default.

Run ``python benchmarks/text_ngrams.py`` (``--quick``: rt-polarity and SST-2 only, about a minute). Each row trains
the n-gram bag with the defaults (epochs from the data size, learning rate 2e-3) twice, once with n-grams up to 2
and once up to 3, on the same rows and seed, and gives the accuracy of each and the training token count that
decides the default (``trainwell.text.fitting.TRIGRAM_TOKENS``):

- rt-polarity (Pang and Lee's 10,662 snippets, no official split): 5-fold cross-validation, the same folds;
- SST-2: train -> dev;
- IMDB: training subsets of 5,000, 12,500 and 25,000 reviews, each scored on the same 10,000 test reviews.

Writes ``results/text_ngrams.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from _common import SHARED_DATA, machine_info, print_table, text_frames, write_results


def _accuracy(train: Any, held: Any, text_col: str, target: str, ngrams: int) -> float:
    """Accuracy on ``held`` of the n-gram bag trained on ``train`` with n-grams up to ``ngrams``."""
    import pandas as pd
    import torch

    from trainwell.text import text_classifier_learner, text_data
    from trainwell.text.pipeline import default_epochs

    frame = pd.concat([train.assign(is_valid=False), held.assign(is_valid=True)], ignore_index=True)
    torch.manual_seed(0)
    data = text_data(frame, target, text_col=text_col, valid_col="is_valid", ngrams=ngrams)
    learn = text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(default_epochs(len(data.train)), 2e-3)
    return float(learn.validate()["accuracy"])


def _row(name: str, parts: list[tuple[Any, Any]], text_col: str, target: str) -> dict[str, Any]:
    """Bigrams and trigrams on each (train, held) of ``parts``, their accuracies averaged over the parts."""
    from trainwell.text.tokenize import WordTokenizer

    start = time.perf_counter()
    scores = {n: [_accuracy(train, held, text_col, target, n) for train, held in parts] for n in (2, 3)}
    tokens = sum(map(len, WordTokenizer().tokenize_many(parts[0][0][text_col].tolist())))
    return {
        "data": name,
        "training_tokens": tokens,
        "accuracy_bigrams": round(float(np.mean(scores[2])), 4),
        "accuracy_trigrams": round(float(np.mean(scores[3])), 4),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="rt-polarity and SST-2 only")
    args = parser.parse_args()
    import torch

    from trainwell.text._folders import read_text_folder
    from trainwell.text.fitting import TRIGRAM_TOKENS

    if not (SHARED_DATA / "rt_polarity").is_dir():
        print(
            f"skipped: {SHARED_DATA} has no rt_polarity/ (the shared datasets are not beside this repository)"
        )
        return
    torch.set_num_threads(2)
    rows = []
    mr, _ = read_text_folder(SHARED_DATA / "rt_polarity")
    mr = mr.sample(frac=1, random_state=0).reset_index(drop=True)
    fold = np.arange(len(mr)) % 5
    folds = [(mr[fold != k], mr[fold == k]) for k in range(5)]
    rows.append(_row("rt-polarity, 5-fold CV", folds, "text", "label"))
    train, dev, text_col, target, _held = text_frames("sst2")
    rows.append(_row("SST-2 dev", [(train, dev)], text_col, target))
    if not args.quick:
        train, test, text_col, target, _held = text_frames("imdb")
        test = test.sample(10_000, random_state=0)
        for size in (5_000, 12_500, 25_000):
            subset = train.sample(size, random_state=0)
            rows.append(_row(f"IMDB {size:,} reviews", [(subset, test)], text_col, target))
    for row in rows:
        row["default"] = 3 if row["training_tokens"] >= TRIGRAM_TOKENS else 2
    print_table(
        f"fast text model: n-grams up to 2 or 3 (the default: 3 from {TRIGRAM_TOKENS:,} training tokens)",
        ["data", "training tokens", "bigrams", "trigrams", "default", "s"],
        [
            [
                r["data"],
                r["training_tokens"],
                r["accuracy_bigrams"],
                r["accuracy_trigrams"],
                r["default"],
                r["seconds"],
            ]
            for r in rows
        ],
    )
    write_results("text_ngrams", {"benchmark": "text_ngrams", "machine": machine_info(), "rows": rows})


if __name__ == "__main__":
    main()
