"""Rare category values on small tables: what ``min_category_count`` does to the MLP's held-out scores.

A value seen in few training rows (a ticket number, a cabin) gets an embedding row trained on those rows alone,
and a value prediction meets for the first time used to read as "missing" (code 0), a row no training row of a
column without gaps ever reached. With ``min_category_count=3`` (the default) values seen in fewer than 3 rows
share one code with the unseen ones, so that code is trained. For each table and seed, the MLP (``fit_table``,
``arch="mlp"``, default epochs and learning-rate finder) is fitted with ``min_category_count`` 1 (every value its
own code: the old behaviour) and 3, on the same rows, and scored on held-out rows: log loss and ROC AUC for a
binary target, RMSE for a number. Titanic and California: a fixed 20% set aside (as in ``tune_keep.py``); Adult:
a 2,000-row sample of its training rows, scored on its official test rows. Boosted trees are shown for scale.
Prints a table and writes ``benchmarks/results/small_tables.json``.

    python benchmarks/small_tables.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, write_results
from tune_keep import TARGETS, load

SAMPLES = {"titanic": None, "adult": 2000, "california": 2000}


def held_out_scores(run: Any, test: pd.DataFrame, target: str) -> dict[str, float]:
    from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

    import trainwell

    predictor = trainwell.tabular.TabularPredictor(run.learn.model, run.learn.task, run.data.recipe, {})
    values = predictor.predict_proba(test.drop(columns=[target])).numpy().reshape(-1)
    if run.learn.task.kind == "regression":
        return {"rmse": float(np.sqrt(mean_squared_error(test[target].to_numpy(), values)))}
    truth = (test[target].astype(str) == str(run.learn.task.classes[1])).to_numpy()
    return {
        "log_loss": float(log_loss(truth, np.clip(values, 1e-7, 1 - 1e-7))),
        "roc_auc": float(roc_auc_score(truth, values)),
    }


def one_fit(
    train: pd.DataFrame, test: pd.DataFrame, target: str, arch: str, seed: int, min_count: int
) -> dict:
    import trainwell

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = trainwell.fit_table(
            train, target, arch=arch, seed=seed, progress=False, min_category_count=min_count
        )
    return {"seconds": time.perf_counter() - start, **held_out_scores(run, test, target)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=list(SAMPLES), choices=list(SAMPLES))
    args = parser.parse_args()
    if not SHARED_DATA.exists():
        print(f"skipped: {SHARED_DATA} is absent (the shared datasets are needed)")
        return
    results: dict[str, Any] = {}
    rows = []
    for name in args.datasets:
        train, test = load(name)
        if SAMPLES[name] is not None:
            train = train.sample(SAMPLES[name], random_state=0).reset_index(drop=True)
        target = TARGETS[name]
        runs: dict[str, list[dict]] = {
            "mlp, every value (1)": [],
            "mlp, rare grouped (3)": [],
            "gbdt (3)": [],
        }
        for seed in args.seeds:
            runs["mlp, every value (1)"].append(one_fit(train, test, target, "mlp", seed, 1))
            runs["mlp, rare grouped (3)"].append(one_fit(train, test, target, "mlp", seed, 3))
            runs["gbdt (3)"].append(one_fit(train, test, target, "gbdt", seed, 3))
        results[name] = {"train_rows": len(train), "test_rows": len(test), "runs": runs}
        for label, found in runs.items():
            keys = [k for k in ("log_loss", "roc_auc", "rmse") if k in found[0]]
            means = {k: float(np.mean([f[k] for f in found])) for k in keys}
            results[name].setdefault("means", {})[label] = means
            rows.append(
                [
                    name,
                    label,
                    *(f"{k} {v:.4f}" for k, v in means.items()),
                    f"{np.mean([f['seconds'] for f in found]):.1f}s",
                ]
            )
    width = max(len(r) for r in rows)
    rows = [r[:-1] + [""] * (width - len(r)) + r[-1:] for r in rows]
    print_table(
        f"held-out scores, mean of seeds {args.seeds}",
        ["table", "model (min_category_count)", *["score"] * (width - 3), "fit"],
        rows,
    )
    write_results("small_tables", {"machine": machine_info(), "seeds": args.seeds, "results": results})


if __name__ == "__main__":
    main()
