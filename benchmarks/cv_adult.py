"""5-fold cross-validation on Adult's training file: trainwell against classical baselines, with intervals.

Runs ``trainwell evaluate``'s code path (:func:`trainwell.evaluate_table`) on the 32,561 rows
of ``adult.data``: stratified folds, the recipe fitted per fold, the learning-rate finder and default epochs
per fold, and the majority-class, logistic and HistGradientBoosting baselines on the same folds. Also gives a
bootstrap interval over the pooled out-of-fold predictions. Prints the table and the time, and writes
``benchmarks/results/cv_adult.json``. Target: under 5 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

import torch

from _common import machine_info, write_results
from adult import DATA, TARGET, load_split

if TYPE_CHECKING:
    from trainwell.evaluate import Evaluation


def pooled_bootstrap(evaluation: Evaluation, seed: int) -> dict[str, list[float]]:
    """Bootstrap intervals of accuracy and ROC AUC over all out-of-fold predictions pooled."""
    from trainwell.evaluate import bootstrap_ci
    from trainwell.metrics import functional

    task = evaluation.task.kind
    preds = torch.cat([p for _, p, _ in evaluation.predictions])
    targets = torch.cat([t for _, _, t in evaluation.predictions])

    def accuracy(p: torch.Tensor, t: torch.Tensor) -> float:
        return functional.accuracy(p, t, task)

    def roc_auc(p: torch.Tensor, t: torch.Tensor) -> float:
        return functional.roc_auc(p, t, task)

    return {
        "accuracy": list(bootstrap_ci(accuracy, preds, targets, 1000, seed=seed)),
        "roc_auc": list(bootstrap_ci(roc_auc, preds, targets, 1000, seed=seed)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="override the default number of epochs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--arch",
        default="auto",
        choices=["auto", "mlp", "gbdt"],
        help="the model cross-validated (fit's --arch)",
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (the Adult files live in ../shared/data/adult)")
        return 0
    torch.set_num_threads(args.threads)
    from rich.console import Console

    from trainwell.evaluate.evaluation import MODEL_NAME
    from trainwell.tabular.evaluation import evaluate_table

    train, _ = load_split()
    start = time.perf_counter()
    evaluation = evaluate_table(train, TARGET, cv=args.cv, seed=args.seed, epochs=args.epochs, arch=args.arch)
    seconds = time.perf_counter() - start
    Console(width=200).print(f"Adult train file: {len(train)} rows; {args.threads} threads; {seconds:.1f} s")
    evaluation.show(Console(width=200))
    pooled = pooled_bootstrap(evaluation, args.seed)
    for name, (point, low, high) in pooled.items():
        print(f"{MODEL_NAME} pooled out-of-fold {name}: {point:.4f} [{low:.4f}, {high:.4f}] (95% bootstrap)")
    print(f"total {seconds:.1f} s (target < 300 s); learning rates per fold: {evaluation.lrs}")
    payload = {
        "benchmark": "cv_adult" if args.arch == "auto" else f"cv_adult_{args.arch}",
        "arch": args.arch,
        "rows": len(train),
        "cv": args.cv,
        "seconds": seconds,
        "result": evaluation.to_dict(),
        "pooled_bootstrap_95": pooled,
        "machine": machine_info(threads=args.threads),
    }
    print(f"wrote {write_results(payload['benchmark'], payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
