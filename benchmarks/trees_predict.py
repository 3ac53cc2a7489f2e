"""Prediction speed of boosted trees held as tensors (``--arch gbdt``) beside scikit-learn's own predictor.

The same fitted HistGradientBoosting estimator is read into a :class:`GradientBoostedTrees` (exactly as
``trainwell fit --arch gbdt`` does), then both predict the same test rows, in alternating rounds: scikit-learn's
compiled predictor (``_raw_predict``), trainwell's walk as ``predict`` and ``serve`` run it (pairs at a leaf
leave the walk), and the fixed-depth walk an ONNX export traces. The outputs must agree to float32 rounding.

Cases: Adult's official test rows (binary, early stopping as fit does), Adult with ``occupation`` as a
14-class target and 60 rounds (840 trees), and California housing (regression, the last 20% of rows).
Writes ``benchmarks/results/trees_predict.json``.

``--against REV`` also times the walk of an earlier git revision on the same trees, in the same alternating
rounds, so a change to the walk is measured before and after in one run:
``OMP_NUM_THREADS=1 python benchmarks/trees_predict.py --against 383f99e`` (one thread each: on a shared
machine, threads of both compete with the other work).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from _common import REPO_ROOT, SHARED_DATA, machine_info, median, print_table, write_results
from adult import load_split


def cases() -> list[tuple[str, Any, Any, str, list[str], dict[str, Any]]]:
    """(name, training frame, test frame, target, columns ignored, boosting settings) for each case."""
    from trainwell.data.io import read_table

    train, test = load_split()
    occupation_train = train.dropna(subset=["occupation"]).reset_index(drop=True)
    occupation_test = test.dropna(subset=["occupation"]).reset_index(drop=True)
    housing = read_table(SHARED_DATA / "california_housing" / "housing.csv.gz")
    cut = int(len(housing) * 0.8)
    return [
        ("Adult income, binary", train, test, "income", [], {}),
        ("Adult occupation, 14 classes", occupation_train, occupation_test, "occupation", ["income"],
         {"max_iter": 60, "early_stopping": False}),
        ("California housing, regression", housing.iloc[:cut], housing.iloc[cut:], "median_house_value", [], {}),
    ]  # fmt: skip


def trees_at(revision: str) -> Any:
    """``GradientBoostedTrees`` as ``src/trainwell/tabular/gbdt.py`` was at git ``revision``, imported under
    another name and left out of the model registry (which holds today's "gbdt")."""
    source = subprocess.run(["git", "show", f"{revision}:src/trainwell/tabular/gbdt.py"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    source = source.replace('@register_model("gbdt", application="tabular")\n', "")
    folder = Path(tempfile.mkdtemp(prefix="trees-"))
    path = folder / f"gbdt_at_{revision.replace('/', '_')}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module.GradientBoostedTrees


def measure(name: str, train: Any, test: Any, target: str, ignore: list[str], settings: dict[str, Any],
            rounds: int, earlier: tuple[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    import torch
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from trainwell.tabular import tabular_data
    from trainwell.tabular.gbdt import DEFAULT_SETTINGS, MAX_CATEGORIES, tree_inputs, trees_from_sklearn

    data = tabular_data(train, target, ignore=ignore, seed=0)
    x_cat, x_cont, y = data.train.tensors  # type: ignore[attr-defined]
    hints = data.model_hints
    cardinalities = list(hints["cardinalities"])
    categorical = [card - 1 <= MAX_CATEGORIES for card in cardinalities] + [False] * int(hints["n_cont"])
    chosen = {**DEFAULT_SETTINGS, **settings}
    regression = data.task.kind == "regression"
    kind = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
    estimator = kind(categorical_features=np.array(categorical), random_state=0, **chosen)
    labels = y.reshape(len(y)).double().numpy() if regression else y.reshape(len(y)).long().numpy()
    estimator.fit(tree_inputs(x_cat, x_cont), labels)
    model, config = trees_from_sklearn(estimator, cardinalities, int(hints["n_cont"]), data.task.n_outputs,
                                       categorical, chosen)  # fmt: skip
    model.eval()
    test_cat, test_cont = data.recipe.transform(test)
    rows = tree_inputs(test_cat, test_cont)
    tables = model._tables(test_cat.device)
    codes = test_cat.to(model.threshold.dtype)
    inputs = torch.cat([codes.masked_fill(test_cat == 0, float("nan")), test_cont.float()], dim=1)

    def fixed_depth() -> torch.Tensor:  # the walk an export traces: every pair, every step
        return model._walk(inputs, tables, leave_leaves=False)

    calls = [("scikit-learn", lambda: estimator._raw_predict(rows)), ("trainwell", lambda: model(test_cat, test_cont)),
             ("trainwell, fixed depth", fixed_depth)]  # fmt: skip
    if earlier is not None:
        revision, trees_class = earlier
        before = trees_class(**config)
        before.load_state_dict(model.state_dict())
        before.eval()
        calls.append((f"trainwell at {revision}", lambda: before(test_cat, test_cont)))
    times: dict[str, list[float]] = {label: [] for label, _ in calls}
    with torch.no_grad():
        expected = estimator._raw_predict(rows).reshape(len(rows), -1)
        got = model(test_cat, test_cont).numpy()
        same_leaves = bool(torch.equal(fixed_depth(), model._walk(inputs, tables)))
        if earlier is not None:
            assert np.allclose(before(test_cat, test_cont).numpy(), got, rtol=1e-6, atol=1e-6)
        for _ in range(rounds):
            for label, call in calls:
                start = time.perf_counter()
                call()
                times[label].append(time.perf_counter() - start)
    seconds = {label: median(values) for label, values in times.items()}
    scale = float(np.abs(expected).max()) or 1.0
    before_ratio = {} if earlier is None else {
        "against": earlier[0], "ratio_to_sklearn_before": seconds[f"trainwell at {earlier[0]}"] / seconds["scikit-learn"]}  # fmt: skip
    return {
        "case": name,
        "rows": len(rows),
        "trees": int(model.feature.shape[0]),
        "max_depth": model.max_depth,
        "seconds": seconds,
        "rows_per_s": {label: len(rows) / value for label, value in seconds.items()},
        "ratio_to_sklearn": seconds["trainwell"] / seconds["scikit-learn"],
        "fixed_depth_ratio": seconds["trainwell, fixed depth"] / seconds["trainwell"],
        "max_difference_relative": float(np.abs(got - expected).max()) / scale,
        "same_leaves_both_walks": same_leaves,
        **before_ratio,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating timing rounds (the median is kept)"
    )
    parser.add_argument(
        "--against", metavar="REV", help="also time the walk of this git revision (e.g. main), same rounds"
    )
    args = parser.parse_args()
    if not (SHARED_DATA / "adult").is_dir() or not (SHARED_DATA / "california_housing").is_dir():
        print(f"skipped: needs {SHARED_DATA}/adult and {SHARED_DATA}/california_housing (../shared/data)")
        return 0
    import torch

    import trainwell

    earlier = None if args.against is None else (args.against, trees_at(args.against))
    results = [measure(*case, rounds=args.rounds, earlier=earlier) for case in cases()]
    before = [] if earlier is None else [f"at {earlier[0]} s", f"ratio at {earlier[0]}"]
    print_table(
        "Boosted trees: predicting the test rows (median of alternating rounds)",
        ["case", "rows", "trees", "scikit-learn s", "trainwell s", "ratio", *before, "fixed-depth walk s",
         "max rel. diff"],
        [[r["case"], r["rows"], r["trees"], f"{r['seconds']['scikit-learn']:.3f}", f"{r['seconds']['trainwell']:.3f}",
          f"{r['ratio_to_sklearn']:.2f}x",
          *([] if earlier is None else [f"{r['seconds'][f'trainwell at {earlier[0]}']:.3f}",
                                        f"{r['ratio_to_sklearn_before']:.2f}x"]),
          f"{r['seconds']['trainwell, fixed depth']:.3f}", f"{r['max_difference_relative']:.1e}"] for r in results],
    )  # fmt: skip
    path = write_results(
        "trees_predict",
        {"cases": results, "machine": machine_info(torch=torch.__version__, trainwell=trainwell.__version__)},
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
