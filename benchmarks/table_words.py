"""What reading a table's text columns as words is worth: scores with the text column read, and left out.

A text column with a value of its own in each row used to be left out of a table model's inputs. It is now read
as the words that tell most of the target (``trainwell.tabular.words``: up to 20 of a name, 100 of free text,
chosen on the training rows). Two real cases, each fitted with the defaults (``arch="auto"``) both ways:

- Titanic (``train.csv``): the passenger's ``Name`` ("Braund, Mr. Owen Harris"), 5-fold cross-validation
  (``evaluate_table``), accuracy and ROC AUC with their 95% intervals.
- IMDB as a table: each review's text and its length in words (a number column), trained on the 25,000
  training reviews and scored on the 25,000 test reviews; without the text only the length is left.

Prints a table and writes ``benchmarks/results/table_words.json``.

    python benchmarks/table_words.py
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, print_table, text_frames, write_results


def titanic(ignore: list[str], seed: int) -> dict[str, Any]:
    import trainwell

    table = pd.read_csv(SHARED_DATA / "titanic" / "train.csv.gz")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluation = trainwell.evaluate_table(
            table, "Survived", cv=5, seed=seed, baselines=False, ignore=ignore
        )
    found: dict[str, Any] = {"seconds": time.perf_counter() - start}
    for name in ("accuracy", "roc_auc"):
        result = evaluation.model.summary()[name]
        found[name] = {"mean": result.mean, "low": result.low, "high": result.high}
    return found


def imdb_table(ignore: list[str]) -> dict[str, Any]:
    import trainwell

    train, test, text, label, _ = text_frames("imdb")
    frames = [
        frame[[text, label]].assign(n_words=frame[text].str.split().str.len()) for frame in (train, test)
    ]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = trainwell.fit_table(frames[0], label, test=frames[1], ignore=ignore, progress=False, seed=0)
    seconds = time.perf_counter() - start
    words = run.data.recipe.words.get(text, [])
    return {
        "seconds": seconds,
        "test_accuracy": run.learn.test_scores["accuracy"],
        "test_roc_auc": run.learn.test_scores["roc_auc"],
        "arch": run.arch,
        "words": len(words),
        "first_words": words[:12],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not SHARED_DATA.exists():
        print(f"skipped: {SHARED_DATA} is absent (the shared datasets are needed)")
        return
    results: dict[str, Any] = {"titanic": {}, "imdb_table": {}}
    rows = []
    titanic([], args.seed)  # warm-up: imports and first-call costs are not the first case's time
    for label, ignore in (("Name read as words", []), ("Name left out", ["Name"])):
        found = titanic(ignore, args.seed)
        results["titanic"][label] = found
        rows.append(
            [
                "Titanic, 5-fold CV",
                label,
                f"accuracy {found['accuracy']['mean']:.4f} [{found['accuracy']['low']:.4f}, "
                f"{found['accuracy']['high']:.4f}]",
                f"ROC AUC {found['roc_auc']['mean']:.4f} [{found['roc_auc']['low']:.4f}, "
                f"{found['roc_auc']['high']:.4f}]",
                f"{found['seconds']:.1f}s",
            ]
        )
    for label, ignore in (("text read as words", []), ("text left out", ["text"])):
        found = imdb_table(ignore)
        results["imdb_table"][label] = found
        rows.append(
            [
                "IMDB as a table (text, n_words), 25k/25k",
                f"{label} ({found['words']} words, {found['arch']})",
                f"test accuracy {found['test_accuracy']:.4f}",
                f"ROC AUC {found['test_roc_auc']:.4f}",
                f"{found['seconds']:.1f}s",
            ]
        )
    print_table("Text columns of a table read as words", ["data", "model", "score", "score", "time"], rows)
    path = write_results("table_words", {"machine": machine_info(), "seed": args.seed, "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
