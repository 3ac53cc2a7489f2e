"""Hyper-parameter search on Adult: does ``trainwell tune`` beat the defaults, and ``trainwell fit``, on the
official test set?

Runs :func:`trainwell.automl.tune_table` on Adult's 32,561 training rows (20% of them held out to score the
trials; by default ``--arch auto``: trial 0 is the boosted trees' defaults, trial 1 the MLP's, then each trial
picks one), then scores on the 16,281 official test rows, which no trial saw: each defaults' model (its trial
retrained), the best trial's model, and what ``trainwell fit`` keeps on the same rows (``fit_table``, whose
``auto`` chooses between the two defaults by validation loss). Prints them with the search's time and writes
``benchmarks/results/tune_adult.json`` (``tune_adult_mlp.json`` with ``--arch mlp``...).

    python benchmarks/tune_adult.py --trials 20            # --arch mlp or gbdt: one kind
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
    parser.add_argument("--arch", default="auto", choices=["auto", "mlp", "gbdt"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (DATA / "adult.data.gz").is_file():
        print(f"skipped: Adult not found at {DATA} (../shared/data is not shipped)")
        return
    import torch

    import trainwell
    from trainwell.automl import tune_table
    from trainwell.automl.table import _train, _train_trees

    torch.set_num_threads(args.threads)
    train, test = load_split()
    start = time.perf_counter()
    # keep="best": the row "best trial" is the best trial's model even when its gain is within the noise (the
    # default keep="clear" would then hand back the defaults', already scored beside it).
    result = tune_table(train, TARGET, n_trials=args.trials, seed=args.seed, arch=args.arch, keep="best")
    seconds = time.perf_counter() - start
    recipe = result.run.data.recipe
    rows: dict[str, dict[str, Any]] = {}
    for trial in (t for t in result.trials if t["defaults"] and t["state"] == "complete"):
        arch = trial.get("arch", "tabular_mlp")
        retrain = _train_trees if arch == "gbdt" else _train
        learn = retrain(result.run.data, trial["params"], args.seed, [], False)
        rows[f"defaults: {arch} (trial {trial['number']})"] = {
            "valid_roc_auc": trial["value"],
            **test_scores(learn, recipe, test),
        }
    best = f"best trial: {result.arch} ({result.best_trial})"
    rows[best] = {"valid_roc_auc": result.best_value, **test_scores(result.run.learn, recipe, test)}
    fitted = trainwell.fit_table(train, TARGET, seed=args.seed, progress=False)
    rows[f"trainwell fit (auto: {fitted.arch})"] = {
        "valid_roc_auc": fitted.metrics.get("roc_auc"),
        **test_scores(fitted.learn, fitted.data.recipe, test),
    }
    print_table(
        f"Adult: {args.trials} trials (--arch {args.arch}) in {seconds:.0f} s, scored on the official test rows",
        ["model", "valid ROC AUC", "test accuracy", "test ROC AUC"],
        [(name, r["valid_roc_auc"], r["accuracy"], r["roc_auc"]) for name, r in rows.items()],
    )
    states = [t["state"] for t in result.trials]
    path = write_results(
        "tune_adult" if args.arch == "auto" else f"tune_adult_{args.arch}",
        {
            "benchmark": "Adult official split: tune_table on train (20% held out), scored on test",
            "trials": args.trials,
            "arch": args.arch,
            "pruned": states.count("pruned"),
            "search_seconds": seconds,
            "best_arch": result.arch,
            "best_params": result.best_params,
            "default_values": result.default_values,
            "improvement": result.improvement,
            "improvement_interval": result.improvement_interval,
            "rows": rows,
            "trial_values": [t["value"] for t in result.trials],
            "trial_archs": [t.get("arch") for t in result.trials],
            "median_trial_seconds": float(np.median([t["seconds"] for t in result.trials])),
            "machine": machine_info(threads=args.threads),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
