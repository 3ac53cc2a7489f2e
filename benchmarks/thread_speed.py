"""torch's threads against one thread, side by side in one process: text, image and table models' epochs and
their predictors' answers.

A user's tour (a load of 7 to 13 on 2 cores) found a text classifier's epoch (the n-gram bag model, 15,000 SST-2
sentences) at 17-20 s on torch's two threads against 1.7-1.9 s with ``OMP_NUM_THREADS=1``, an image CNN's at 46 s
against 21 s, and ``trainwell.load(dir).predict`` of 1,000 Adult rows at 12-115 ms against 7.6-27 ms. Those runs
took turns between processes at a load that moved; here each case runs both variants in one process, taking turns
``--repeats`` times, so a busy spell slows both, and the ratio (torch's threads / one thread: above 1, one thread
is faster) is the result. The one-minute load average is kept beside each pair.

Cases (data read from ``../shared/data``, as ``trainwell fit`` reads it):

- ``text_bag``: one epoch (training and validation) of ``text_classifier_learner(arch="ngram_bag")`` on the first
  ``--text-rows`` SST-2 training sentences;
- ``text_awd``: one epoch of the AWD-LSTM classifier (``arch="awd_lstm"``, padded batches, default sizes, no
  language model) on the first ``--awd-rows`` sentences;
- ``image_cnn``: one epoch of ``vision_learner(arch="auto")`` on ``--images`` CIFAR-10 training images per class
  (and a fifth as many validation images each), unpacked once from ``cifar10.tgz``;
- ``table_predict``: ``learn.predictor().predict`` (what ``trainwell.load(dir)`` returns) of 1,000 raw Adult rows
  by a table MLP, median of ``--calls`` calls;
- ``text_predict``: the same of 1,000 SST-2 sentences by the bag model.

*torch's threads* is the process's setting (one per core) with any :class:`~trainwell.callbacks.threads.OneThread`
removed and a predictor's ``threads`` set to ``None``; *one thread* is ``torch.set_num_threads(1)``. Each fit starts
from the same seed, so the validation loss of both variants is kept too (a bag model's is the same to the last
digits; a network whose float sums are grouped by thread may differ in the last ones).

    python benchmarks/thread_speed.py --repeats 3
    python benchmarks/thread_speed.py --cases text_bag,table_predict --repeats 5

Writes ``benchmarks/results/thread_speed.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, median, print_table, write_results

CASES = ("text_bag", "text_awd", "image_cnn", "table_predict", "text_predict")
VARIANTS = ("torch's threads", "one thread")
SST2 = SHARED_DATA / "sst2" / "train.tsv.gz"
ADULT = SHARED_DATA / "adult"
CIFAR = SHARED_DATA / "cifar10" / "cifar10.tgz"
IMAGE_CACHE = Path.home() / ".cache" / "trainwell-benchmarks" / "thread_speed"


def _threads(variant: str, default: int) -> None:
    import torch

    torch.set_num_threads(default if variant == VARIANTS[0] else 1)


def _free(learn: Any, variant: str) -> Any:
    """``learn`` as the variant trains it: torch's threads drop the OneThread its factory may have added."""
    from trainwell.callbacks.threads import OneThread

    if variant == VARIANTS[0] and learn.get_callback(OneThread) is not None:
        learn.remove_callback(OneThread)
    return learn


def _epoch(build: Callable[[], Any], variant: str, default: int) -> dict[str, float]:
    """Seconds (clock and CPU) of one epoch of a fresh Learner from ``build``, and its validation loss."""
    from trainwell.core.seeding import seed_everything

    _threads(variant, default)
    seed_everything(0)
    learn = _free(build(), variant)
    wall, cpu = time.perf_counter(), time.process_time()
    learn.fit_one_cycle(1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": wall, "cpu_seconds": cpu, "valid_loss": float(learn.history[-1]["valid_loss"])}


def _predicts(predictor: Any, rows: Any, variant: str, default: int, calls: int) -> dict[str, float]:
    """Median milliseconds (clock and CPU) of ``calls`` predictions of ``rows``, after one to warm up."""
    _threads(variant, default)
    predictor.threads = None if variant == VARIANTS[0] else 1
    predictor.predict(rows)
    walls, cpus = [], []
    for _ in range(calls):
        wall, cpu = time.perf_counter(), time.process_time()
        predictor.predict(rows)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return {"ms": median(walls), "cpu_ms": median(cpus)}


def _sst2(rows: int) -> Any:
    from trainwell.data.io import read_table

    return read_table(SST2).head(rows).reset_index(drop=True)


def _text_builder(frame: Any, arch: str) -> Callable[[], Any]:
    from trainwell.text import text_classifier_learner, text_data

    data = text_data(
        frame, "label", text_col="sentence", seed=0, batch_format="bag" if arch == "ngram_bag" else "padded"
    )
    return lambda: text_classifier_learner(data, arch, progress=False)


def _image_builder(per_class: int) -> Callable[[], Any]:
    from trainwell.core.archives import unpacked
    from trainwell.vision import image_data, vision_learner

    root = Path(unpacked(CIFAR))
    into = IMAGE_CACHE / f"cifar10_{per_class}"
    for split, count in (("train", per_class), ("test", max(1, per_class // 5))):
        for folder in sorted((root / split).iterdir()):
            target = into / split / folder.name
            target.mkdir(parents=True, exist_ok=True)
            for path in sorted(folder.glob("*.jpg"))[:count]:
                link = target / path.name
                if not link.exists():
                    link.symlink_to(path)
    data = image_data(into / "train", valid=into / "test", seed=0)
    return lambda: vision_learner(data, progress=False)


def _table_predictor() -> tuple[Any, Any]:
    from trainwell.data.io import read_table
    from trainwell.tabular import tabular_data, tabular_learner

    data = tabular_data(ADULT, "class", seed=0)
    learn = tabular_learner(data, progress=False)
    learn.fit_one_cycle(1)
    names = getattr(data.train, "header_names", None)  # the columns its .names file declares
    rows = read_table(ADULT / "adult.data.gz", names=names).head(1000)
    return learn.predictor(), rows


def run_case(name: str, args: argparse.Namespace, default: int) -> list[dict[str, Any]]:
    """``args.repeats`` pairs of the two variants' measures of case ``name``, the load after each pair."""
    if name in ("text_bag", "text_awd", "text_predict"):
        needed = SST2
    elif name == "image_cnn":
        needed = CIFAR
    else:
        needed = ADULT
    if not needed.exists():
        print(f"skipped {name}: needs {needed} (the shared datasets are not shipped with the repository)")
        return []
    if name == "text_bag":
        build = _text_builder(_sst2(args.text_rows), "ngram_bag")
    elif name == "text_awd":
        build = _text_builder(_sst2(args.awd_rows), "awd_lstm")
    elif name == "image_cnn":
        build = _image_builder(args.images)
    elif name == "table_predict":
        predictor, rows = _table_predictor()
    else:
        learn = _text_builder(_sst2(args.text_rows), "ngram_bag")()
        learn.fit_one_cycle(1)
        predictor, rows = learn.predictor(), _sst2(1000)["sentence"].tolist()
    pairs = []
    for _ in range(args.repeats):
        pair: dict[str, Any] = {}
        for variant in VARIANTS if len(pairs) % 2 == 0 else VARIANTS[::-1]:  # each goes first in turn
            if name.endswith("_predict"):
                pair[variant] = _predicts(predictor, rows, variant, default, args.calls)
            else:
                pair[variant] = _epoch(build, variant, default)
        pair["load_average_1min"] = os.getloadavg()[0]
        pairs.append(pair)
        print(name, pair, flush=True)
    _threads(VARIANTS[0], default)
    return pairs


def summary_row(name: str, pairs: list[dict[str, Any]]) -> list[Any]:
    unit = "ms" if name.endswith("_predict") else "seconds"
    many, one = ([pair[variant][unit] for pair in pairs] for variant in VARIANTS)
    ratios = [a / b for a, b in zip(many, one, strict=True)]
    loads = [pair["load_average_1min"] for pair in pairs]
    return [
        name,
        f"{median(many):.3g} {unit[:2] if unit == 'ms' else 's'}",
        f"{median(one):.3g} {unit[:2] if unit == 'ms' else 's'}",
        f"{median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
        f"{min(loads):.1f}-{max(loads):.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated among {', '.join(CASES)}")
    parser.add_argument("--repeats", type=int, default=3, help="pairs of the two variants, taking turns")
    parser.add_argument("--calls", type=int, default=8, help="predictions timed per variant and pair")
    parser.add_argument(
        "--text-rows", type=int, default=15_000, help="SST-2 sentences of the bag model's epoch"
    )
    parser.add_argument("--awd-rows", type=int, default=1_000, help="SST-2 sentences of the AWD-LSTM's epoch")
    parser.add_argument("--images", type=int, default=100, help="CIFAR-10 training images per class")
    parser.add_argument("--name", default="thread_speed", help="results file stem")
    args = parser.parse_args()
    import torch

    import trainwell  # noqa: F401  (its OpenMP settings, as a user's process has them)

    warnings.filterwarnings("ignore", category=UserWarning)  # the data's notes, said once per fit

    default = torch.get_num_threads()
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])  # its first call imports torch._dynamo (seconds)
    results = {}
    for name in args.cases.split(","):
        if name not in CASES:
            raise SystemExit(f"unknown case {name!r}; choose among {', '.join(CASES)}")
        results[name] = run_case(name, args, default)
    rows = [summary_row(name, pairs) for name, pairs in results.items() if pairs]
    print_table(
        f"torch's {default} threads against one (median of {args.repeats} pairs)",
        ["case", VARIANTS[0], VARIANTS[1], "ratio (min-max)", "load"],
        rows,
    )
    payload = {
        "benchmark": "thread_speed",
        "machine": machine_info(default_threads=default),
        "settings": vars(args),
        "cases": results,
    }
    print(f"wrote {write_results(args.name, payload)}")


if __name__ == "__main__":
    main()
