"""MNIST (60k/10k official split) with the library's defaults: test accuracy against wall time.

The same code path as ``trainwell fit`` on images: :func:`trainwell.vision.fit_images` with the arrays read from
the IDX files in ``../shared/data/mnist`` (default architecture, augmentation, batch size, epochs and learning
rate), then the test accuracy, plain and with test-time augmentation. Target: >= 99.5% within 4 minutes of
training on 2 CPU cores. Writes ``benchmarks/results/mnist.json``.
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import MNIST_DIR, machine_info, write_results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the default number of epochs")
    parser.add_argument("--arch", default="auto")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        print(f"skipped: {MNIST_DIR} not found (MNIST's IDX files live in ../shared/data/mnist)")
        return 0
    torch.set_num_threads(args.threads)
    from trainwell.vision import fit_images, read_idx

    x_train = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")[: args.limit]
    y_train = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")[: args.limit]
    x_test = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    y_test = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    start = time.perf_counter()
    run = fit_images(
        x_train,
        labels=y_train,
        valid=(x_test, y_test),
        arch=args.arch,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    train_seconds = time.perf_counter() - start
    accuracy = run.metrics["accuracy"]
    probabilities, targets = run.learn.tta()  # type: ignore[attr-defined]
    tta_accuracy = float((probabilities.argmax(1) == targets).float().mean())
    arch = run.learn.model_spec["config"]["arch"] if run.learn.model_spec else args.arch
    epochs = len(run.learn.history)
    print("| images | arch | epochs | train s | test acc | test acc (TTA) |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(x_train)} | {arch} | {epochs} | {train_seconds:.0f} | {accuracy:.4f} | {tta_accuracy:.4f} |"
    )
    print("target: >= 0.995 within 240 s of training on 2 cores")
    payload = {
        "benchmark": "mnist",
        "train_images": len(x_train),
        "test_images": len(x_test),
        "arch": arch,
        "epochs": epochs,
        "lr": run.lr,
        "batch_size": run.data.train.batch_size,  # type: ignore[attr-defined]
        "train_seconds": train_seconds,
        "test_accuracy": accuracy,
        "test_accuracy_tta": tta_accuracy,
        "history": run.learn.history,
        "machine": machine_info(threads=args.threads),
    }
    print(f"wrote {write_results('mnist', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
