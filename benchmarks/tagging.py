"""Sequence labelling on real data: CoNLL-2003 English named entities and UD English EWT parts of speech,
through trainwell's public API with default settings.

Prints each dataset's test score with a 95% bootstrap interval over sentences, its validation score and the
training time, beside baselines run in the same script on the same splits:

- **most frequent tag**: each word gets the tag it wears most often in training (unseen words: the most
  frequent tag), the classic floor of both shared tasks;
- **window logistic regression** (scikit-learn): each word classified alone from hashed features of itself
  and its neighbours (word, lower-cased word, prefixes and suffixes, shape), a strong classical tagger
  without any sequence model.

Writes ``benchmarks/results/tagging.json``.

    python benchmarks/tagging.py                          # both datasets, default epochs
    python benchmarks/tagging.py --dataset conll2003 --epochs 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, write_results

DATASETS = {"conll2003": "conll2003", "ud_ewt": "ud_english_ewt"}


def logistic_baseline(data: Any) -> dict[str, Any]:
    """Window-feature logistic regression (``trainwell.text.tagging.baselines.WindowLogistic``), fitted on the
    training sentences, scored on test."""
    from trainwell.evaluate.tagging import counts_from_tags, per_type_scores
    from trainwell.text.tagging.baselines import WindowLogistic

    start = time.perf_counter()
    model = WindowLogistic().fit(data.sentences["train"], data.tags["train"])
    seconds = time.perf_counter() - start
    counts = counts_from_tags(data.tags["test"], model.predict(data.sentences["test"]), data.task.classes)
    return {"seconds": round(seconds, 1), **_scores(counts), "per_type": per_type_scores(counts)}


def _scores(counts: Any, n_boot: int = 1000) -> dict[str, Any]:
    from trainwell.evaluate.tagging import explain_tagging

    names = (
        ["entity_f1", "entity_precision", "entity_recall", "tag_accuracy"]
        if counts.types
        else ["tag_accuracy"]
    )
    return {
        line.name: [line.value, line.low, line.high] for line in explain_tagging(counts, names, n_boot=n_boot)
    }


def run_dataset(name: str, epochs: int | None, seed: int) -> dict[str, Any]:
    import torch

    from trainwell.evaluate.tagging import per_type_scores, sentence_counts
    from trainwell.text import fit_tagger
    from trainwell.text.tagging.learner import baseline_scores

    folder = SHARED_DATA / DATASETS[name]
    start = time.perf_counter()
    run = fit_tagger(folder, epochs=epochs, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    data, learn = run.data, run.learn
    preds, targets = learn.get_preds(data.test)
    counts = sentence_counts(preds, targets, data.task.classes)
    last = learn.history[-1]
    main = "entity_f1" if data.task.extra["scheme"] == "iob2" else "tag_accuracy"
    baseline = baseline_scores(
        data.sentences["train"],
        data.tags["train"],
        data.sentences["test"],
        data.tags["test"],
        data.task.classes,
    )
    return {
        "dataset": name,
        "main_metric": main,
        "epochs": len(learn.history),
        "seconds": round(seconds, 1),
        "train_words": data.train.n_tokens,
        "words_per_second": round(data.train.n_tokens * len(learn.history) / seconds),
        "valid": {k: last[k] for k in last if k not in ("fit", "epoch", "lr", "time")},
        "test": _scores(counts),
        "test_per_type": per_type_scores(counts),
        "baselines": {
            "most_frequent_tag": {k.removesuffix("_baseline"): v for k, v in baseline.items()},
            "window_logistic_regression": logistic_baseline(data),
        },
        "torch_threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=[*DATASETS, "both"], default="both")
    parser.add_argument("--epochs", type=int, default=None, help="default: the library's choice")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = list(DATASETS) if args.dataset == "both" else [args.dataset]
    missing = [n for n in names if not (SHARED_DATA / DATASETS[n]).is_dir()]
    if missing:
        sys.exit(
            f"skipped: needs {', '.join(str(SHARED_DATA / DATASETS[n]) for n in missing)} (not in the repository)"
        )
    results = [run_dataset(name, args.epochs, args.seed) for name in names]
    rows = []
    for result in results:
        main_metric = result["main_metric"]
        test = result["test"][main_metric]
        rows.append(
            (
                f"{result['dataset']} trainwell bilstm_crf",
                main_metric,
                f"{test[0]:.4f} [{test[1]:.4f}, {test[2]:.4f}]",
                f"{result['valid'][main_metric]:.4f}",
                result["seconds"],
            )
        )
        logistic = result["baselines"]["window_logistic_regression"]
        rows.append(
            (
                f"{result['dataset']} window logistic regression",
                main_metric,
                f"{logistic[main_metric][0]:.4f} [{logistic[main_metric][1]:.4f}, {logistic[main_metric][2]:.4f}]",
                "-",
                logistic["seconds"],
            )
        )
        rows.append(
            (
                f"{result['dataset']} most frequent tag",
                main_metric,
                f"{result['baselines']['most_frequent_tag'][main_metric]:.4f}",
                "-",
                "-",
            )
        )
    print_table(
        "Sequence labelling, test sets", ["model", "metric", "test [95% CI]", "valid", "seconds"], rows
    )
    path = write_results("tagging", {"machine": machine_info(), "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
