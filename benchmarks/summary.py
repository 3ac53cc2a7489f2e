"""Print the README's benchmark table (Markdown) from ``benchmarks/results/*.json``.

The README table is this script's output, pasted: numbers come from recorded runs, never typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def rows() -> list[tuple[str, str, str, str]]:
    table: list[tuple[str, str, str, str]] = []
    adult = _load("adult")
    if adult:
        s = adult["summary"]
        hgb = adult["rows"].get("HistGradientBoosting", {})
        logistic = adult["rows"].get("LogisticRegression", {})
        table.append(
            (
                "Adult, official split (`benchmarks/adult.py`)",
                f"test accuracy {s['accuracy_mean']:.4f}, ROC AUC {s['roc_auc_mean']:.4f}, {s['seconds_mean']:.0f} s",
                ">= 0.86, >= 0.91, < 120 s",
                f"HistGradientBoosting {hgb.get('accuracy', float('nan')):.4f} / {hgb.get('roc_auc', float('nan')):.4f}; "
                f"LogisticRegression {logistic.get('accuracy', float('nan')):.4f} / "
                f"{logistic.get('roc_auc', float('nan')):.4f}",
            )
        )
    overhead = _load("overhead")
    if overhead:
        s = overhead["summary"]
        table.append(
            (
                "Learner vs hand loop, MNIST MLP (`benchmarks/overhead.py`)",
                f"epoch time ratio {s['ratio_median']:.3f} (median of {len(overhead['rounds'])} alternating rounds)",
                "<= 1.05",
                f"accuracy {s['learner_accuracy_final']:.4f} vs {s['hand_accuracy_final']:.4f}; "
                f"{s['learner_epoch_s_median']:.2f} s vs {s['hand_epoch_s_median']:.2f} s per epoch",
            )
        )
    imports = _load("import_time")
    if imports:
        cases = imports["cases"]
        extra = cases["torch + trainwell"]["extra_over_torch_s"]
        learner = cases["trainwell.Learner"]["extra_over_torch_s"]
        table.append(
            (
                "Import time (`benchmarks/import_time.py`)",
                f"`import trainwell` {extra:+.3f} s over torch; `trainwell.Learner` {learner:+.3f} s",
                "< 0.3 s",
                f"torch alone {cases['torch']['median_s']:.2f} s (median of {imports['machine'].get('repeat', '?')})",
            )
        )
    cv = _load("cv_adult")
    if cv:
        ours = cv["result"]["trainwell"]["summary"]["roc_auc"]
        hgb = cv["result"]["baselines"]["HistGradientBoosting"]["summary"]["roc_auc"]
        table.append(
            (
                f"Adult {cv['cv']}-fold CV with baselines (`benchmarks/cv_adult.py`)",
                f"ROC AUC {ours['mean']:.4f} [{ours['low']:.4f}, {ours['high']:.4f}] in {cv['seconds']:.0f} s",
                "< 300 s",
                f"HistGradientBoosting {hgb['mean']:.4f} [{hgb['low']:.4f}, {hgb['high']:.4f}] on the same folds",
            )
        )
    serve = _load("serve_load")
    if serve:
        by_level = {(name, r["concurrency"]): r for name, rows in serve["results"].items() for r in rows}
        ours, naive = by_level.get(("trainwell", 64)), by_level.get(("naive", 64))
        if ours and naive:
            table.append(
                (
                    "HTTP serving, Adult model, 1-row requests (`benchmarks/serve_load.py`)",
                    f"{ours['requests_per_s']:.0f} req/s at concurrency 64 "
                    f"({serve['summary']['throughput_ratio_c64']:.1f}x naive); p99 at concurrency 1 "
                    f"{serve['summary']['p99_ratio_c1']:.2f}x naive",
                    ">= 2x naive throughput; p99 no worse",
                    f"naive one-request-per-forward FastAPI: {naive['requests_per_s']:.0f} req/s at concurrency 64"
                    + (
                        f"; onnxruntime backend {serve['summary']['onnx_vs_torch_throughput_ratio_c64']:.2f}x torch"
                        if "onnx_vs_torch_throughput_ratio_c64" in serve["summary"]
                        else ""
                    ),
                )
            )
    return table


def main() -> None:
    print("| benchmark | trainwell | target | beside it |")
    print("| --- | --- | --- | --- |")
    for row in rows():
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
