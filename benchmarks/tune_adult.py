"""Hyper-parameter search on Adult: does ``trainwell tune`` beat the defaults on the official test set?

Runs :func:`trainwell.automl.tune_table` on Adult's 32,561 training rows (20% of them held out to score the
trials; trial 0 is the defaults), then scores on the 16,281 official test rows, which no trial saw: the
defaults' model (trial 0 retrained) and the best trial's model. Prints both with the search's time and
writes ``benchmarks/results/tune_adult.json``.

    python benchmarks/tune_adult.py --trials 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, print_table, write_results
from adult import DATA, TARGET, load_split


def test_scores(learn: Any, recipe: Any, test: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    import trainwell

    predictor = trainwell.tabular.TabularPredictor(learn.model, learn.task, recipe, {})
    probability = predictor.predict_proba(test).numpy()
    truth = (test[TARGET] == learn.task.classes[1]).to_numpy()
    return {
        "accuracy": float(accuracy_score(truth, probability >= 0.5)),
        "roc_auc": float(roc_auc_score(truth, probability)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (DATA / "adult.data.gz").is_file():
        print(f"skipped: Adult not found at {DATA} (../shared/data is not shipped)")
        return
    import torch

    from trainwell.automl import tune_table
    from trainwell.automl.table import _train

    torch.set_num_threads(args.threads)
    train, test = load_split()
    start = time.perf_counter()
    result = tune_table(train, TARGET, n_trials=args.trials, seed=args.seed)
    seconds = time.perf_counter() - start
    recipe = result.run.data.recipe
    defaults = next(t for t in result.trials if t["defaults"])
    default_learn = _train(result.run.data, defaults["params"], args.seed, [], False)
    rows = {
        "defaults (trial 0)": {
            "valid_roc_auc": defaults["value"],
            **test_scores(default_learn, recipe, test),
        },
        "best trial": {"valid_roc_auc": result.best_value, **test_scores(result.run.learn, recipe, test)},
    }
    print_table(
        f"Adult: {args.trials} trials in {seconds:.0f} s, scored on the official test rows",
        ["model", "valid ROC AUC", "test accuracy", "test ROC AUC"],
        [(name, r["valid_roc_auc"], r["accuracy"], r["roc_auc"]) for name, r in rows.items()],
    )
    states = [t["state"] for t in result.trials]
    path = write_results(
        "tune_adult",
        {
            "benchmark": "Adult official split: tune_table on train (20% held out), scored on test",
            "trials": args.trials,
            "pruned": states.count("pruned"),
            "search_seconds": seconds,
            "best_params": result.best_params,
            "rows": rows,
            "trial_values": [t["value"] for t in result.trials],
            "median_trial_seconds": float(np.median([t["seconds"] for t in result.trials])),
            "machine": machine_info(threads=args.threads),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
