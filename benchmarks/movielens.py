"""MovieLens 100k, the five official folds (u1-u5: 80,000 ratings to train, 20,000 to test each), through
trainwell's public API with default settings.

Prints each model's test RMSE and MAE (mean over the folds, and per fold) with its training time, beside
baselines computed in the same run on the same folds: the global mean, user and item biases fitted by
regularised alternating least squares (``trainwell.collab.baselines.BiasBaseline``: Koren's baseline predictor,
Surprise's ``BaselineOnly``),
and, when the package ``scikit-surprise`` is installed, Surprise's SVD and SVD++ with their default settings.
Writes ``benchmarks/results/movielens.json``.

    python benchmarks/movielens.py              # all five folds
    python benchmarks/movielens.py --folds 1    # u1 only

Implicit feedback (``--implicit``): the 100,000 ratings read as interactions (the rating ignored), each user's
latest one held out by timestamp, ranked among every item the user has not rated (full ranking): hit rate
and NDCG at 10 of trainwell's defaults beside the two baselines every implicit fit reports (item popularity,
and EASE: Steck 2019, a closed-form linear item-item model and one of the strongest simple baselines, its
regularisation chosen on the training interactions), each with a 95% bootstrap interval over users, and the
paired difference of NDCG (model minus baseline, same users), all on trainwell's split. Writes
``benchmarks/results/movielens_implicit.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, write_results

ARCHIVE = SHARED_DATA / "movielens_100k" / "ml-100k.tgz"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "trainwell-benchmarks" / "ml100k"
COLUMNS = ["user", "item", "rating", "timestamp"]


def fold_files(fold: int) -> tuple[Path, Path]:
    from trainwell.core.archives import unpacked

    folder = Path(unpacked(ARCHIVE))  # ml-100k/, unpacked once as trainwell fit ml-100k.tgz unpacks it
    return folder / f"u{fold}.base", folder / f"u{fold}.test"


def rmse_mae(predicted: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    error = predicted - actual
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))


def run_trainwell(train: pd.DataFrame, test: pd.DataFrame, arch: str, seed: int) -> dict[str, Any]:
    import trainwell

    frame = pd.concat([train, test], ignore_index=True)
    splits = (np.arange(len(train)), np.arange(len(train), len(frame)))
    start = time.perf_counter()
    run = trainwell.fit_ratings(frame, arch=arch, splits=splits, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    predictor = trainwell.load(run.learn.export(CACHE / f"model-{arch}"))
    predicted = predictor.predict_proba(test).numpy()
    rmse, mae = rmse_mae(predicted, test["rating"].to_numpy(dtype=np.float64))
    return {"rmse": rmse, "mae": mae, "seconds": seconds, "epochs": len(run.learn.history), "lr": run.lr}


def run_global_mean(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    start = time.perf_counter()
    mean = float(train["rating"].mean())
    rmse, mae = rmse_mae(np.full(len(test), mean), test["rating"].to_numpy(dtype=np.float64))
    return {"rmse": rmse, "mae": mae, "seconds": time.perf_counter() - start}


def run_biases(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    """rating ~ mean + b_user + b_item (trainwell.collab.baselines.BiasBaseline, Surprise's defaults)."""
    from trainwell.collab.baselines import BiasBaseline

    start = time.perf_counter()
    model = BiasBaseline.fit(train["user"], train["item"], train["rating"])
    predicted = model.predict(test["user"], test["item"])
    rmse, mae = rmse_mae(predicted, test["rating"].to_numpy(dtype=np.float64))
    return {"rmse": rmse, "mae": mae, "seconds": time.perf_counter() - start}


def run_surprise(train: pd.DataFrame, test: pd.DataFrame, name: str, seed: int) -> dict[str, Any] | None:
    try:
        import surprise
    except ImportError:
        return None
    reader = surprise.Reader(rating_scale=(1, 5))
    trainset = surprise.Dataset.load_from_df(train[["user", "item", "rating"]], reader).build_full_trainset()
    algorithm = {"SVD": surprise.SVD, "SVD++": surprise.SVDpp}[name](random_state=seed)
    start = time.perf_counter()
    algorithm.fit(trainset)
    seconds = time.perf_counter() - start
    predicted = np.array(
        [algorithm.predict(u, i).est for u, i in zip(test["user"], test["item"], strict=True)]
    )
    rmse, mae = rmse_mae(predicted, test["rating"].to_numpy(dtype=np.float64))
    return {"rmse": rmse, "mae": mae, "seconds": seconds}


#: The library's recommenders on implicit feedback; ``ease`` is the baseline itself, fitted as a servable model.
ARCHS_IMPLICIT = ("dot_bias", "collab_nn", "ease")


def run_implicit(seed: int) -> dict[str, Any]:
    import trainwell
    from trainwell.collab.data import read_ratings
    from trainwell.collab.implicit import RankingMetrics
    from trainwell.evaluate.ranking import compare_rankings, explain_ranking

    frame = read_ratings(fold_files(1)[0].with_name("u.data"))[["user", "item", "timestamp"]]
    results: dict[str, Any] = {}
    ranking: Any = None
    for arch in ARCHS_IMPLICIT:
        start = time.perf_counter()
        run = trainwell.fit_ratings(frame, arch=arch, seed=seed, progress=False)
        seconds = time.perf_counter() - start  # ease: its closed-form fit, λ search included, and validation
        found = next(c for c in run.learn.callbacks if isinstance(c, RankingMetrics))
        ranking = ranking or found  # the baselines are read from the first fit's validation
        lines = {line.name: line for line in explain_ranking(found.ranks, found.k)}
        results[f"trainwell {arch}"] = {
            **{name: lines[name].value for name in ("hit@10", "ndcg@10")},
            **{f"{name}_ci": [lines[name].low, lines[name].high] for name in ("hit@10", "ndcg@10")},
            "seconds": seconds,
            "epochs": len(run.learn.history),
            "ndcg@10_minus": {
                c.baseline: {"difference": c.difference, "ci": [c.low, c.high], "verdict": c.verdict}
                for c in compare_rankings(found.ranks, found.k)
            },
        }
    assert ranking is not None
    for name in ("popularity", "ease"):
        lines = {line.name: line for line in explain_ranking(ranking.ranks, ranking.k)}
        results[
            name if name == "popularity" else f"EASE (lambda {ranking.ease_lambda:g}, chosen on training)"
        ] = {
            "hit@10": lines[f"hit@10_{name}"].value,
            "ndcg@10": lines[f"ndcg@10_{name}"].value,
            "hit@10_ci": [lines[f"hit@10_{name}"].low, lines[f"hit@10_{name}"].high],
            "ndcg@10_ci": [lines[f"ndcg@10_{name}"].low, lines[f"ndcg@10_{name}"].high],
        }
    rows = [
        (
            name,
            f"{r['hit@10']:.4f} [{r['hit@10_ci'][0]:.4f}, {r['hit@10_ci'][1]:.4f}]",
            f"{r['ndcg@10']:.4f} [{r['ndcg@10_ci'][0]:.4f}, {r['ndcg@10_ci'][1]:.4f}]",
            f"{r['seconds']:.1f}" if "seconds" in r else "-",
        )
        for name, r in results.items()
    ]
    print_table(
        f"MovieLens 100k as implicit feedback: latest interaction of {len(ranking.rows)} users held out, full "
        "ranking (95% intervals over users)",
        ["model", "hit@10", "ndcg@10", "train s"],
        rows,
    )
    for arch in ARCHS_IMPLICIT:
        for baseline, c in results[f"trainwell {arch}"]["ndcg@10_minus"].items():
            print(
                f"trainwell {arch} ndcg@10 minus {baseline}: {c['difference']:+.4f} "
                f"[{c['ci'][0]:+.4f}, {c['ci'][1]:+.4f}] ({c['verdict']}, paired over users)"
            )
    return {
        "benchmark": "MovieLens 100k as implicit feedback, leave-latest-out, full ranking",
        "users_ranked": len(ranking.rows),
        "items": int(ranking.ranking.n_items - 1),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--no-svdpp", action="store_true", help="skip Surprise's SVD++ (about a minute a fold)"
    )
    parser.add_argument("--implicit", action="store_true", help="the implicit-feedback benchmark instead")
    args = parser.parse_args()
    if not ARCHIVE.is_file():
        print(f"skipped: MovieLens 100k not found at {ARCHIVE} (../shared/data is not shipped)")
        return
    import torch

    torch.set_num_threads(args.threads)
    if args.implicit:
        payload = run_implicit(args.seed)
        payload.update(seed=args.seed, machine=machine_info(threads=args.threads))
        print(f"wrote {write_results('movielens_implicit', payload)}")
        return
    from trainwell.collab.data import read_ratings

    models = ["trainwell dot_bias", "trainwell collab_nn", "global mean", "biases (ALS)", "Surprise SVD"]
    if not args.no_svdpp:
        models.append("Surprise SVD++")
    per_fold: dict[str, list[dict[str, Any]]] = {name: [] for name in models}
    for fold in args.folds:
        base, test_file = fold_files(fold)
        train, test = read_ratings(base), read_ratings(test_file)
        assert list(train.columns) == COLUMNS, train.columns
        for name in models:
            if name.startswith("trainwell"):
                result: dict[str, Any] | None = run_trainwell(train, test, name.split()[1], args.seed)
            elif name == "global mean":
                result = run_global_mean(train, test)
            elif name == "biases (ALS)":
                result = run_biases(train, test)
            else:
                result = run_surprise(train, test, name.split()[1], args.seed)
            if result is None:
                continue
            result["fold"] = fold
            per_fold[name].append(result)
            print(
                f"u{fold} {name}: RMSE {result['rmse']:.4f}, MAE {result['mae']:.4f}, {result['seconds']:.1f} s"
            )
    rows = []
    summary: dict[str, Any] = {}
    for name, results in per_fold.items():
        if not results:
            summary[name] = "not installed (pip install scikit-surprise)"
            continue
        rmse = float(np.mean([r["rmse"] for r in results]))
        mae = float(np.mean([r["mae"] for r in results]))
        seconds = float(np.mean([r["seconds"] for r in results]))
        summary[name] = {"rmse_mean": rmse, "mae_mean": mae, "seconds_mean": seconds, "folds": results}
        rows.append((name, rmse, mae, seconds, " ".join(f"{r['rmse']:.4f}" for r in results)))
    print_table(
        f"MovieLens 100k, folds {args.folds} (test RMSE / MAE, mean over folds)",
        ["model", "RMSE", "MAE", "train s", "RMSE per fold"],
        rows,
    )
    path = write_results(
        "movielens",
        {
            "benchmark": "MovieLens 100k, official folds u1-u5 (80k train / 20k test each)",
            "folds": args.folds,
            "seed": args.seed,
            "settings": "trainwell.fit_ratings defaults (AdamW lr 5e-3, wd 0.1, 5 epochs, batch 512, 50 factors)",
            "machine": machine_info(threads=args.threads),
            "results": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
