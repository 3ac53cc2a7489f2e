"""Hyper-parameter search for an image classifier: does ``trainwell tune photos/`` beat fit's defaults on held-out
images?

Runs :func:`trainwell.automl.tune_images` on a CIFAR-10 subset laid out as ``train/`` (``--per-class`` images a
class, a fifth held out to score the trials) and ``test/`` (``--test-per-class`` a class, which no trial sees),
then scores on the test images: the best trial's model and the defaults' (trial 0 is exactly what
``fit_images`` trains with the same epochs, so that is retrained). Prints them with the search's time and writes
``benchmarks/results/tune_images.json``.

    python benchmarks/tune_images.py --trials 8 --timeout 8m
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, search_record, write_results
from cifar10 import CACHE, extracted, subset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--timeout", default="8m", help="time for the whole search, e.g. 10m")
    parser.add_argument("--epochs", default="4:12", help="the epochs searched, LOW:HIGH")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (SHARED_DATA / "cifar10" / "cifar10.tgz").is_file():
        print(f"skipped: cifar10 not found under {SHARED_DATA} (../shared/data is not shipped)")
        return
    import torch

    from trainwell.automl.images import tune_images
    from trainwell.vision import fit_images

    torch.set_num_threads(args.threads)
    root = extracted()
    classes = tuple(sorted(path.name for path in (root / "train").iterdir()))
    folder = CACHE / f"cifar10-tune-{args.per_class}-{args.test_per_class}"
    subset(root, "train", classes, args.per_class, folder / "train")
    subset(root, "test", classes, args.test_per_class, folder / "test")
    low, high = (int(part) for part in args.epochs.split(":"))
    start = time.perf_counter()
    # keep="best": the row "best trial" is the best trial's model even when its gain is within the noise.
    result = tune_images(
        folder,
        n_trials=args.trials,
        timeout=args.timeout,
        seed=args.seed,
        keep="best",
        search={"epochs": (low, high)},
    )
    seconds = time.perf_counter() - start
    assert result.run is not None
    rows: dict[str, dict[str, Any]] = {}
    defaults = next(t for t in result.trials if t["defaults"])
    fit_start = time.perf_counter()
    fitted = fit_images(folder, epochs=int(defaults["params"]["epochs"]), seed=args.seed, progress=False)
    fit_seconds = time.perf_counter() - fit_start
    rows["defaults (trial 0)"] = _scores(defaults["value"], fitted.learn.test_scores)
    rows[f"best trial ({result.best_trial})"] = _scores(result.best_value, result.run.learn.test_scores)
    n_test = len(classes) * args.test_per_class
    title = (
        f"CIFAR-10, {args.per_class} images a class: {len(result.trials)} trials in {seconds:.0f} s (the defaults "
        f"alone: {fit_seconds:.0f} s), scored on {n_test:,} test images"
    )
    print_table(
        title,
        ["model", "valid accuracy", "test accuracy", "test ROC AUC"],
        [(name, r["valid_accuracy"], r["accuracy"], r["roc_auc"]) for name, r in rows.items()],
    )
    path = write_results(
        "tune_images",
        {
            "benchmark": f"CIFAR-10 {args.per_class} a class: tune_images on train (20% held out), scored on test",
            "per_class": args.per_class,
            "test_images": n_test,
            "timeout": args.timeout,
            "epochs": args.epochs,
            **search_record(result, seconds, fit_seconds),
            "rows": rows,
            "machine": machine_info(threads=args.threads),
        },
    )
    print(f"wrote {path}")


def _scores(valid_accuracy: float | None, test: dict[str, float] | None) -> dict[str, Any]:
    test = test or {}
    return {
        "valid_accuracy": valid_accuracy,
        "accuracy": test.get("accuracy"),
        "roc_auc": test.get("roc_auc"),
    }


if __name__ == "__main__":
    main()
