"""Does keeping the defaults when a search's gain is within the noise (``trainwell tune``'s ``--keep clear``) cost
anything on held-out rows? Titanic, Adult and California housing, each searched with several seeds.

For each dataset and seed, :func:`trainwell.automl.tune_table` runs ``--trials`` trials (``--arch auto``) on the
training rows (20% of them held out to score the trials) with ``keep="best"``, so that the best trial's model is
in hand; the better defaults' trial is trained again with its settings and seed (its validation score is
checked against the search's record). Both are scored on rows no trial saw: Adult's official test rows, and for
Titanic and California a fixed 20% of the rows set aside before the search. What ``keep="clear"`` keeps is
decided from the same search (:func:`trainwell.automl._gain.choose_kept`) by both rules: now, the defaults'
model unless the reality check of the best's gain (its choice among the trials counted) gives a p-value below
0.05; before, the defaults' model when the low bound of the best trial's own 90% interval was at or below 0.
Prints one row per search and a summary, and writes ``benchmarks/results/tune_keep.json``.

    python benchmarks/tune_keep.py --trials 8 --seeds 0 1 2 --datasets titanic california adult
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
from adult import COLUMNS as ADULT_COLUMNS

#: The seed of the held-out split for Titanic and California (the same for every search seed).
SPLIT_SEED = 12345
TARGETS = {"titanic": "Survived", "adult": "income", "california": "median_house_value"}


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rows to search on, held-out rows)``."""
    from trainwell.data.io import read_table

    if name == "adult":
        folder = SHARED_DATA / "adult"
        train = read_table(folder / "adult.data.gz", names=ADULT_COLUMNS)
        test = read_table(folder / "adult.test.gz", names=ADULT_COLUMNS)
        test = test[test["income"].notna()].copy()  # the first line of adult.test is a comment
        test["income"] = test["income"].str.rstrip(".")
        return train.dropna(subset=["income"]).reset_index(drop=True), test.reset_index(drop=True)
    path = (
        SHARED_DATA / "titanic" / "train.csv.gz"
        if name == "titanic"
        else SHARED_DATA / "california_housing" / "housing.csv.gz"
    )
    frame = pd.read_csv(path)
    held = np.random.default_rng(SPLIT_SEED).random(len(frame)) < 0.2
    return frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)


def test_score(learn: Any, recipe: Any, test: pd.DataFrame, target: str) -> float:
    """ROC AUC for a binary target, RMSE for a number, on the held-out rows."""
    from sklearn.metrics import mean_squared_error, roc_auc_score

    import trainwell

    predictor = trainwell.tabular.TabularPredictor(learn.model, learn.task, recipe, {})
    values = predictor.predict_proba(test.drop(columns=[target])).numpy()
    if learn.task.kind == "regression":
        return float(np.sqrt(mean_squared_error(test[target].to_numpy(), values.reshape(-1))))
    truth = (test[target].astype(str) == str(learn.task.classes[1])).to_numpy()
    return float(roc_auc_score(truth, values.reshape(-1)))


def one_search(name: str, train: pd.DataFrame, test: pd.DataFrame, trials: int, seed: int) -> dict[str, Any]:
    from trainwell.automl import tune_table
    from trainwell.automl._gain import better_defaults, choose_kept
    from trainwell.automl.table import _train, _train_trees

    target = TARGETS[name]
    start = time.perf_counter()
    result = tune_table(train, target, n_trials=trials, seed=seed, keep="best")
    seconds = time.perf_counter() - start
    assert result.run is not None and result.best_trial is not None  # one process: it holds the best learner
    scores = {t["number"]: t["value"] for t in result.trials if t["defaults"] and t["state"] == "complete"}
    defaults = better_defaults(scores, result.direction)
    record = result.trials[defaults]
    retrain = _train_trees if record.get("arch") == "gbdt" else _train
    again = retrain(result.run.data, record["params"], seed, [], False)
    choice = choose_kept("clear", result.best_trial, result.best_value, scores, result.direction,
                         result.improvement_interval, result.metric, result.selection)  # fmt: skip
    # The rule before the reality check: the low bound of the best trial's own interval.
    by_interval = choose_kept("clear", result.best_trial, result.best_value, scores, result.direction,
                              result.improvement_interval, result.metric)  # fmt: skip
    recipe = result.run.data.recipe
    best_test = test_score(result.run.learn, recipe, test, target)
    defaults_test = best_test if result.best_trial == defaults else test_score(again, recipe, test, target)
    sign = 1.0 if result.direction == "maximize" else -1.0
    return {
        "dataset": name,
        "seed": seed,
        "metric": result.metric,
        "sign": sign,
        "seconds": seconds,
        "best_trial": result.best_trial,
        "best_arch": result.arch,
        "defaults_trial": defaults,
        "defaults_arch": record.get("arch"),
        "valid_gain": result.improvement,
        "gain_interval": result.improvement_interval,
        "gain_p_value": None if result.selection is None else result.selection.p_value,
        "trials_compared": None if result.selection is None else result.selection.trials,
        "kept_by_clear": "defaults" if choice.defaults else "best",
        "kept_by_interval": "defaults" if by_interval.defaults else "best",
        "defaults_retrained_exactly": float(again.history[-1][result.metric]) == record["value"],
        "test_best": best_test,
        "test_defaults": defaults_test,
        "test_gain_of_best": sign * (best_test - defaults_test),
        "test_kept_by_clear": defaults_test if choice.defaults else best_test,
        "test_kept_by_interval": defaults_test if by_interval.defaults else best_test,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--datasets", nargs="+", default=["titanic", "california", "adult"], choices=list(TARGETS)
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--results", default="tune_keep", help="the name of the JSON file in benchmarks/results"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    rows = []
    for name in args.datasets:
        train, test = load(name)
        for seed in args.seeds:
            rows.append(one_search(name, train, test, args.trials, seed))
            row = rows[-1]
            print(
                f"{name} seed {seed}: kept {row['kept_by_clear']}, test gain of the best {row['test_gain_of_best']:+.4f}",
                flush=True,
            )
    print_table(
        f"tune --trials {args.trials}: the best trial against the better defaults, validation and held-out rows",
        ["search", "metric", "best (defaults)", "valid gain [90%]", "p (trials)", "kept: check (interval)",
         "test best", "test defaults"],
        [
            (
                f"{r['dataset']} seed {r['seed']}",
                r["metric"],
                f"{r['best_trial']} {r['best_arch']} ({r['defaults_trial']} {r['defaults_arch']})",
                "-" if r["gain_interval"] is None else
                f"{r['valid_gain']:+.4f} [{r['gain_interval'][0]:+.4f}, {r['gain_interval'][1]:+.4f}]",
                "-" if r["gain_p_value"] is None else f"{r['gain_p_value']:.3f} ({r['trials_compared']})",
                f"{r['kept_by_clear']} ({r['kept_by_interval']})",
                r["test_best"],
                r["test_defaults"],
            )
            for r in rows
        ],
    )  # fmt: skip
    for rule in ("clear", "interval"):
        changed = [
            r for r in rows if r[f"kept_by_{rule}"] == "defaults" and r["best_trial"] != r["defaults_trial"]
        ]
        not_worse = sum(r["test_gain_of_best"] <= 0 for r in changed)
        mean = np.mean([r["sign"] * (r[f"test_kept_by_{rule}"] - r["test_best"]) for r in rows])
        name = "the reality check" if rule == "clear" else "the interval rule (before)"
        print(f"{name} kept the defaults in {len(changed)} of {len(rows)} searches; there the defaults were no "
              f"worse on held-out rows in {not_worse} of {len(changed)}; mean held-out score of what it kept "
              f"against the best trial's (positive: better): {mean:+.4f}")  # fmt: skip
    path = write_results(
        args.results,
        {
            "benchmark": "tune --keep clear against --keep best: held-out score of the best trial and the defaults",
            "trials": args.trials,
            "split_seed": SPLIT_SEED,
            "rows": rows,
            "machine": machine_info(threads=args.threads),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
