"""Text classification benchmark: the fast n-gram bag on IMDB (25k/25k) and SST-2, with the default settings.

Run ``python benchmarks/text_classify.py --dataset imdb`` (or ``sst2``, or ``all``). Measures test (IMDB) or dev
(SST-2) accuracy and the wall time of the whole job: reading, tokenising, vocabulary, n-grams and training.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["imdb", "sst2", "all"], default="all")
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
    datasets = ["imdb", "sst2"] if args.dataset == "all" else [args.dataset]
    for dataset in datasets:
        if not (SHARED_DATA / dataset).is_dir():
            print(f"skipping {dataset}: {SHARED_DATA / dataset} is missing")
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
