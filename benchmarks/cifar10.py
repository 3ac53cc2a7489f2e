"""CIFAR-10 (JPEG folders, 50k/10k) with the library's defaults: test accuracy against wall time on the CPU.

Extracts ``../shared/data/cifar10/cifar10.tgz`` once into a cache folder, then runs the path ``trainwell fit``
takes: :func:`trainwell.vision.fit_images` on ``train/`` with ``test/`` as the validation set. Every epoch's
test accuracy and cumulative time are recorded, so the table is accuracy against wall time. Target on 2 CPU
cores: >= 85% within 20 minutes. Writes ``benchmarks/results/cifar10.json``.

``--recipe speedrun`` runs the named fast recipe (:mod:`trainwell.vision.speedrun`: whitened CNN, Nesterov SGD at
batch 1024, 10 epochs) and writes ``cifar10_speedrun.json``, with the TTA accuracy at the end as well (the
recipe's views: one-pixel shifts and mirror images, as airbench's); on a
GPU this is the time-to-94% run (airbench94: 94.0% in 3.8 s on an A100).

``--transfer`` runs the transfer experiment instead: pretrain on 5 classes (all their training images), then
fine-tune on the other 5 with 100 images per class, against the same architecture trained from scratch on
those 500 images; both are scored on the 5,000 test images of those 5 classes. A third run fine-tunes with the
500 images' own normalisation statistics (as vision_learner did before it kept the pretrained model's), and
``--repeats N`` averages each target run over N seeds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from _common import SHARED_DATA, machine_info, write_results

ARCHIVE = SHARED_DATA / "cifar10" / "cifar10.tgz"
CACHE = Path.home() / ".cache" / "trainwell-benchmarks"
FIRST, SECOND = ("airplane", "automobile", "bird", "cat", "deer"), ("dog", "frog", "horse", "ship", "truck")


def extracted() -> Path:
    """The JPEG folders of ``cifar10.tgz``, unpacked once as ``trainwell fit cifar10.tgz`` unpacks it."""
    from trainwell.core.archives import unpacked

    return Path(unpacked(ARCHIVE))


def subset(root: Path, split: str, classes: tuple[str, ...], per_class: int | None, into: Path) -> Path:
    """A folder of symlinks to ``per_class`` images of each of ``classes`` (all when None)."""
    for label in classes:
        target = into / label
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((root / split / label).glob("*.jpg"))[:per_class]:
            link = target / path.name
            if not link.exists():
                link.symlink_to(path)
    return into


def full_run(args: argparse.Namespace) -> dict[str, object]:
    from trainwell.vision import fit_images

    root = extracted()
    start = time.perf_counter()
    run = fit_images(
        root / "train",
        valid=root / "test",
        arch=args.arch,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        cache=True,  # decoded once into ~/.cache/trainwell/images; later runs memory-map it
        recipe=args.recipe,
        learner_kwargs=_arch_config(args),
        time_budget=args.time,
    )
    seconds = time.perf_counter() - start
    tta_accuracy = None
    if args.recipe:
        probabilities, targets = run.learn.tta()  # type: ignore[attr-defined]
        tta_accuracy = float((probabilities.argmax(1) == targets).float().mean())
        print(f"test accuracy with TTA (one-pixel shifts and mirror images): {tta_accuracy:.4f}")
    elapsed, rows = 0.0, []
    for row in run.learn.history:
        elapsed += float(row["time"])
        rows.append(
            {"epoch": int(row["epoch"]) + 1, "train_seconds": elapsed, "test_accuracy": row["accuracy"]}
        )
    print("| epoch | training s (cumulative) | test accuracy |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row['epoch']} | {row['train_seconds']:.0f} | {row['test_accuracy']:.4f} |")
    arch = run.learn.model_spec["config"]["arch"] if run.learn.model_spec else args.arch
    if args.channels:
        arch = f"{arch} channels={args.channels}"
    if args.recipe:
        arch = f"{arch} (recipe {args.recipe})"
    print(
        f"{arch}: {run.metrics['accuracy']:.4f} after {seconds:.0f} s in all (decoding included); target >= 0.85 in 1200 s"
    )
    return {
        "benchmark": "cifar10",
        "arch": arch,
        "total_seconds": seconds,
        "test_accuracy": run.metrics["accuracy"],
        "test_accuracy_tta": tta_accuracy,
        "device": str(run.learn.device),
        "curve": rows,
        "lr": run.lr,
        "batch_size": run.data.train.batch_size,  # type: ignore[attr-defined]
        "time_budget": run.budget.summary() if run.budget else None,
    }


def _arch_config(args: argparse.Namespace) -> dict[str, object] | None:
    if args.channels:
        return {"arch_config": {"channels": args.channels}}
    if args.widths:
        return {"arch_config": {"widths": args.widths}}
    return None


def transfer_run(args: argparse.Namespace) -> dict[str, object]:
    from trainwell.core.seeding import seed_everything
    from trainwell.vision import fit_images, image_data, vision_learner
    from trainwell.vision.normalisation import Normalisation, apply

    root = extracted()
    work = CACHE / "cifar10-transfer"
    pre_train = subset(root, "train", FIRST, None, work / "pre-train")
    pre_test = subset(root, "test", FIRST, None, work / "pre-test")
    small = subset(root, "train", SECOND, 100, work / "small-train")
    target_test = subset(root, "test", SECOND, None, work / "target-test")
    start = time.perf_counter()
    pretrained = fit_images(
        pre_train,
        valid=pre_test,
        arch=args.arch,
        epochs=args.pre_epochs,
        out=work / "pretrained",
        seed=args.seed,
    )
    pre_seconds = time.perf_counter() - start
    results: dict[str, dict[str, object]] = {}
    for name in ("fine_tune", "fine_tune_own_statistics", "scratch"):
        accuracies, seconds = [], 0.0
        for seed in range(args.seed, args.seed + args.repeats):
            seed_everything(seed)
            data = image_data(small, valid=target_test, seed=seed)
            begin = time.perf_counter()
            if name.startswith("fine_tune"):
                learn = vision_learner(data, args.arch, pretrained=work / "pretrained")
                if name == "fine_tune_own_statistics":  # as before the fix: the 500 images' own mean and std
                    own = Normalisation(data.recipe.mean, data.recipe.std, "the new images")  # type: ignore[union-attr]
                    apply(learn.model, own)
                learn.fine_tune(args.epochs, learn.lr, freeze_epochs=2)
            else:
                learn = vision_learner(data, args.arch)
                learn.fit_one_cycle(args.epochs + 2, learn.lr)
            accuracies.append(float(learn.history[-1]["accuracy"]))
            seconds += time.perf_counter() - begin
        results[name] = {
            "test_accuracy": sum(accuracies) / len(accuracies),
            "test_accuracies": accuracies,
            "seconds": seconds / len(accuracies),
        }
    print(f"| model | images | test accuracy (5 classes; mean of {args.repeats} seeds) | seconds |")
    print("|---|---|---|---|")
    print(
        f"| pretrained on {', '.join(FIRST)} | 25000 | {pretrained.metrics['accuracy']:.4f} | {pre_seconds:.0f} |"
    )
    for name, result in results.items():
        each = ", ".join(f"{value:.4f}" for value in result["test_accuracies"])  # type: ignore[attr-defined]
        print(
            f"| {name} on 500 images | 500 | {result['test_accuracy']:.4f} ({each}) | {result['seconds']:.0f} |"
        )
    return {
        "benchmark": "cifar10_transfer",
        "arch": args.arch,
        "pretrain": {
            "classes": FIRST,
            "test_accuracy": pretrained.metrics["accuracy"],
            "seconds": pre_seconds,
        },
        "target": {"classes": SECOND, "images_per_class": 100, **results},
        "margin": results["fine_tune"]["test_accuracy"] - results["scratch"]["test_accuracy"],  # type: ignore[operator]
        "normalisation_margin": results["fine_tune"]["test_accuracy"]  # type: ignore[operator]
        - results["fine_tune_own_statistics"]["test_accuracy"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfer", action="store_true", help="run the transfer experiment")
    parser.add_argument("--arch", default="auto")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="transfer: seeds of each target run, averaged")
    parser.add_argument("--pre-epochs", type=int, default=5, help="transfer: epochs on the first 5 classes")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--channels", type=int, nargs="+", default=None, help="simple_cnn stage widths")
    parser.add_argument("--widths", type=int, nargs="+", default=None, help="whitened_cnn group widths")
    parser.add_argument("--recipe", choices=["speedrun"], default=None, help="a named training recipe")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--time", type=float, default=None, help="a time budget in seconds (fit --time), decoding included"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default=None, help="results file stem (default: cifar10[_recipe])")
    args = parser.parse_args()
    if not ARCHIVE.is_file():
        print(f"skipped: {ARCHIVE} not found (CIFAR-10 lives in ../shared/data/cifar10)")
        return 0
    torch.set_num_threads(args.threads)
    if args.transfer:
        args.epochs = args.epochs or 8
        payload = transfer_run(args)
        name = "cifar10_transfer"
    else:
        payload = full_run(args)
        name = args.name or (f"cifar10_{args.recipe}" if args.recipe else "cifar10")
    payload["machine"] = machine_info(threads=args.threads)
    print(f"wrote {write_results(name, payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
