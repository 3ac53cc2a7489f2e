"""Hyper-parameter search for a text classifier: does ``trainwell tune --text`` beat the fast model's defaults on
held-out texts?

Runs :func:`trainwell.automl.tune_texts` on SST-2's 67,349 training sentences (or IMDB's 25,000 reviews; 20% held
out to score the trials), then scores on the held-out split no trial saw (SST-2's dev sentences, IMDB's test
reviews): the defaults' trial (retrained), the best trial's model, and what ``trainwell fit`` trains on the same
rows. Prints them with the search's time and writes ``benchmarks/results/tune_texts_<dataset>.json``.

    python benchmarks/tune_texts.py --dataset sst2 --trials 12
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, search_record, text_frames, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="sst2", choices=["sst2", "imdb"])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--timeout", default=None, help="time for the whole search, e.g. 10m")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (SHARED_DATA / args.dataset).is_dir():
        print(f"skipped: {args.dataset} not found under {SHARED_DATA} (../shared/data is not shipped)")
        return
    import torch

    import trainwell
    from trainwell.automl.texts import _train, tune_texts

    torch.set_num_threads(args.threads)
    train, held, text_col, target, held_name = text_frames(args.dataset)
    start = time.perf_counter()
    # keep="best": the row "best trial" is the best trial's model even when its gain is within the noise.
    result = tune_texts(
        train,
        text_col=text_col,
        target=target,
        test=held,
        n_trials=args.trials,
        timeout=args.timeout,
        seed=args.seed,
        keep="best",
    )
    seconds = time.perf_counter() - start
    data = result.run.data
    rows: dict[str, dict[str, Any]] = {}
    defaults = next(t for t in result.trials if t["defaults"])
    if defaults["state"] == "complete":
        learn = _train(data, defaults["params"], args.seed, [], False)
        rows["defaults (trial 0)"] = _scores(defaults["value"], learn.validate(data.test))
    rows[f"best trial ({result.best_trial})"] = _scores(
        result.best_value, result.run.learn.validate(data.test)
    )
    fit_start = time.perf_counter()
    fitted = trainwell.fit_texts(
        train, text_col=text_col, target=target, test=held, seed=args.seed, progress=False
    )
    fit_seconds = time.perf_counter() - fit_start
    rows["trainwell fit"] = _scores(
        fitted.learn.history[-1].get("roc_auc"), fitted.learn.validate(fitted.data.test)
    )
    title = (
        f"{args.dataset}: {len(result.trials)} trials in {seconds:.0f} s (fit alone: {fit_seconds:.0f} s), "
        f"scored on the {held_name} split ({len(held):,} texts)"
    )
    print_table(
        title,
        ["model", "valid ROC AUC", f"{held_name} accuracy", f"{held_name} ROC AUC"],
        [(name, r["valid_roc_auc"], r["accuracy"], r["roc_auc"]) for name, r in rows.items()],
    )
    path = write_results(
        f"tune_texts_{args.dataset}",
        {
            "benchmark": f"{args.dataset}: tune_texts on train (20% held out), scored on {held_name}",
            **search_record(result, seconds, fit_seconds),
            "rows": rows,
            "machine": machine_info(threads=args.threads),
        },
    )
    print(f"wrote {path}")


def _scores(valid_roc_auc: float | None, held: dict[str, float]) -> dict[str, Any]:
    return {"valid_roc_auc": valid_roc_auc, "accuracy": held["accuracy"], "roc_auc": held["roc_auc"]}


if __name__ == "__main__":
    main()
