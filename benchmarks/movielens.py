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
and NDCG at 10 of trainwell's defaults beside item popularity and EASE (Steck 2019, a closed-form linear
item-item model and one of the strongest simple baselines), all on trainwell's split. Writes
``benchmarks/results/movielens_implicit.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tarfile
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
    folder = CACHE / "ml-100k"
    if not (folder / "u5.test").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(ARCHIVE) as archive:
            archive.extractall(CACHE, filter="data")
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


def ranking_of(scores: np.ndarray, ranking: Any) -> tuple[float, float]:
    """Hit rate and NDCG at 10 of the held-out items under a (users x items) score matrix, ranked exactly as
    trainwell ranks its own model (training items left out, ties counted half)."""
    import torch

    from trainwell.collab.implicit import rank_held_out

    table = torch.as_tensor(scores[:, 1:], dtype=torch.float64)
    return rank_held_out(lambda users: table[users], ranking, np.arange(len(ranking.users)), 10)


def run_implicit(seed: int) -> dict[str, Any]:
    import trainwell
    from trainwell.collab.data import read_ratings

    frame = read_ratings(fold_files(1)[0].with_name("u.data"))[["user", "item", "timestamp"]]
    results: dict[str, Any] = {}
    for arch in ("dot_bias", "collab_nn"):
        start = time.perf_counter()
        run = trainwell.fit_ratings(frame, arch=arch, seed=seed, progress=False)
        row = run.learn.history[-1]
        results[f"trainwell {arch}"] = {
            "hit@10": row["hit@10"],
            "ndcg@10": row["ndcg@10"],
            "seconds": time.perf_counter() - start,
            "epochs": len(run.learn.history),
        }
    data = run.data
    ranking = data.valid.ranking  # type: ignore[union-attr]
    train = data.train
    matrix = np.zeros((data.model_hints["n_users"], ranking.n_items))
    matrix[train.users, train.items] = 1.0  # type: ignore[attr-defined]
    start = time.perf_counter()
    popularity = np.tile(matrix.sum(axis=0), (len(matrix), 1))
    hits, gains = ranking_of(popularity, ranking)
    results["popularity"] = {"hit@10": hits, "ndcg@10": gains, "seconds": time.perf_counter() - start}
    for lam in (50.0, 500.0):
        start = time.perf_counter()
        gram = matrix.T @ matrix + lam * np.eye(matrix.shape[1])
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)
        np.fill_diagonal(weights, 0.0)
        hits, gains = ranking_of(matrix @ weights, ranking)
        results[f"EASE (lambda {lam:g})"] = {
            "hit@10": hits,
            "ndcg@10": gains,
            "seconds": time.perf_counter() - start,
        }
    rows = [(name, r["hit@10"], r["ndcg@10"], r["seconds"]) for name, r in results.items()]
    print_table(
        f"MovieLens 100k as implicit feedback: latest interaction of {len(ranking.users)} users held out, full ranking",
        ["model", "hit@10", "ndcg@10", "train s"],
        rows,
    )
    return {
        "benchmark": "MovieLens 100k as implicit feedback, leave-latest-out, full ranking",
        "users_ranked": len(ranking.users),
        "items": int(ranking.n_items - 1),
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
