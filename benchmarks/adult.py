"""Adult (official 32,561 / 16,281 split) through trainwell's public API with default settings.

Prints trainwell's test accuracy and ROC AUC beside scikit-learn's HistGradientBoosting and LogisticRegression
on the same split, with training times, and writes ``benchmarks/results/adult.json``.
Targets (issue 2): accuracy >= 0.86 and AUC >= 0.91 in under 2 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np
import pandas as pd
import torch

from _common import RESULTS_DIR as RESULTS
from _common import SHARED_DATA

DATA = SHARED_DATA / "adult"
COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
TARGET = "income"


def load_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    from trainwell.data.io import read_table

    train = read_table(DATA / "adult.data.gz", names=COLUMNS)
    test = read_table(DATA / "adult.test.gz", names=COLUMNS)
    test = test[test[TARGET].notna()].copy()  # the first line of adult.test is a comment
    test[TARGET] = test[TARGET].str.rstrip(".")
    return train.dropna(subset=[TARGET]).reset_index(drop=True), test.reset_index(drop=True)


def run_trainwell(train: pd.DataFrame, test: pd.DataFrame, seed: int, epochs: int | None) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    import trainwell

    start = time.perf_counter()
    run = trainwell.fit_table(train, TARGET, seed=seed, epochs=epochs, progress=False)
    seconds = time.perf_counter() - start
    predictor = trainwell.tabular.TabularPredictor(run.learn.model, run.learn.task, run.data.recipe, {})
    probability = predictor.predict_proba(test).numpy()
    truth = (test[TARGET] == run.learn.task.classes[1]).to_numpy()
    return {
        "accuracy": float(accuracy_score(truth, probability >= 0.5)),
        "roc_auc": float(roc_auc_score(truth, probability)),
        "seconds": seconds,
        "lr": run.lr,
        "epochs": len(run.learn.history),
        "arch": run.arch,
        "compared": {name: row.get("valid_loss") for name, row in (run.compared or {}).items()},
    }


def run_sklearn(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, dict[str, float]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    features = [c for c in COLUMNS if c != TARGET]
    categorical = [c for c in features if train[c].dtype == object or str(train[c].dtype).startswith("str")]
    numeric = [c for c in features if c not in categorical]
    y_train = (train[TARGET] == ">50K").to_numpy()
    y_test = (test[TARGET] == ">50K").to_numpy()
    models = {
        "HistGradientBoosting": make_pipeline(
            ColumnTransformer(
                [
                    (
                        "cat",
                        OrdinalEncoder(
                            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2
                        ),
                        categorical,
                    )
                ],
                remainder="passthrough",
            ),
            HistGradientBoostingClassifier(
                random_state=seed, categorical_features=list(range(len(categorical)))
            ),
        ),
        "LogisticRegression": make_pipeline(
            ColumnTransformer(
                [
                    (
                        "cat",
                        make_pipeline(
                            SimpleImputer(strategy="constant", fill_value="missing"),
                            OneHotEncoder(handle_unknown="ignore"),
                        ),
                        categorical,
                    ),
                    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                ]
            ),
            LogisticRegression(max_iter=2000),
        ),
    }
    results = {}
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(train[features], y_train)
        seconds = time.perf_counter() - start
        probability = model.predict_proba(test[features])[:, 1]
        results[name] = {
            "accuracy": float(accuracy_score(y_test, probability >= 0.5)),
            "roc_auc": float(roc_auc_score(y_test, probability)),
            "seconds": seconds,
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the default number of epochs")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (the Adult files live in ../shared/data/adult)")
        return 0
    torch.set_num_threads(args.threads)
    train, test = load_split()
    rows = {}
    for seed in args.seeds:
        rows[f"trainwell (seed {seed})"] = run_trainwell(train, test, seed, args.epochs)
    rows.update(run_sklearn(train, test, args.seeds[0]))
    print(f"\nAdult, official split: train {len(train)}, test {len(test)}; {args.threads} threads")
    print(f"{'model':<26}{'accuracy':>10}{'ROC AUC':>10}{'seconds':>10}")
    for name, row in rows.items():
        print(f"{name:<26}{row['accuracy']:>10.4f}{row['roc_auc']:>10.4f}{row['seconds']:>10.1f}")
    tw = [row for name, row in rows.items() if name.startswith("trainwell")]
    summary = {
        "accuracy_mean": float(np.mean([r["accuracy"] for r in tw])),
        "roc_auc_mean": float(np.mean([r["roc_auc"] for r in tw])),
        "seconds_mean": float(np.mean([r["seconds"] for r in tw])),
    }
    print(
        f"trainwell mean over {len(tw)} seed(s): accuracy {summary['accuracy_mean']:.4f}, "
        f"AUC {summary['roc_auc_mean']:.4f}, {summary['seconds_mean']:.1f} s (targets: 0.86, 0.91, < 120 s)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "adult",
        "rows": rows,
        "summary": summary,
        "threads": args.threads,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    (RESULTS / "adult.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
