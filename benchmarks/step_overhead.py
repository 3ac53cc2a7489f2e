"""Where an image training step's time goes: the library's loop against a hand loop, on the CPU or a GPU.

On an H200 the CIFAR-10 defaults (simple_cnn, batch 128) ran ~9.7 ms a step where the bare model trains at
~136k images/s (under 1 ms a step): something outside the model's arithmetic bounds them there. This splits a
step's time into its parts, each measured as steps/s of a loop that adds one part to the last:

- ``model``: forward, loss, backward and the optimizer's step on a batch already on the device (the floor);
- ``+ augmentation``: the same with the data's batch augmentation applied to each batch, as ``AugmentBatch`` does;
- ``learner``: ``learn.fit`` over the same batches (loader, augmentation, callbacks, schedule, everything).

For each it also counts, per step, the operators dispatched (``aten::`` calls, each a kernel launch or more on
a GPU) and, on CUDA, the kernel launches and the host waits (``cudaStreamSynchronize``/``cudaDeviceSynchronize``
and copies), from one profiled pass. Synthetic uint8 images (only time is measured); configurations alternate
over ``--rounds`` and the median is reported.

Run: ``python benchmarks/step_overhead.py [--device cuda] [--recipes defaults speedrun] [--steps 50]``.
Writes ``benchmarks/results/step_overhead[_<device>].json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from typing import Any

import numpy as np
import torch

from _common import machine_info, print_table, write_results

SYNC_EVENTS = ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _build(recipe: str, args: argparse.Namespace) -> tuple[Any, Any]:
    """The data and Learner ``trainwell fit`` would build for ``--steps`` batches of synthetic images."""
    from trainwell.vision.pipeline import image_learner

    rng = np.random.default_rng(0)
    batch = args.batch_size or (1024 if recipe == "speedrun" else 128)
    n = batch * args.steps
    images = rng.integers(0, 256, (n + batch, args.size, args.size, 3), dtype=np.uint8)
    labels = np.arange(n + batch) % 10
    data, learn, _epochs, _schedule = image_learner(
        images[:n],
        labels[:n],
        valid=(images[n:], labels[n:]),
        batch_size=batch,
        recipe=None if recipe == "defaults" else recipe,
        progress=False,
        learner_kwargs={"device": str(args.device)},
    )
    return data, learn


def _augmenter(learn: Any) -> Any:
    from trainwell.vision.transform import AugmentBatch

    return next(cb for cb in learn.callbacks if isinstance(cb, AugmentBatch))


def _loops(data: Any, learn: Any, device: torch.device) -> dict[str, Any]:
    """One function per loop, each running one epoch of training steps."""
    learn.fit(1, 1e-3)  # creates the optimizer, warms every path up
    model, opt, loss_func = learn.model, learn.opt, learn.loss_func  # the hand loops train the same ones
    batches = [tuple(t.to(device) for t in batch) for batch in data.train]
    augment = _augmenter(learn)

    class _Stand:  # what AugmentBatch.before_batch reads of a Learner
        training, epoch, iteration = True, 0, 0
        xb: tuple[torch.Tensor, ...] = ()

    stand = _Stand()

    def hand(with_augmentation: bool) -> None:
        model.train()
        for i, (x, y) in enumerate(batches):
            if with_augmentation:
                stand.xb, stand.iteration = (x,), i
                augment.before_batch(stand)
                x = stand.xb[0]
            else:
                x = x.float().div_(255.0)
            loss = loss_func(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

    return {
        "model": lambda: hand(False),
        "+ augmentation": lambda: hand(True),
        "learner": lambda: learn.fit(1, 1e-3),
    }


def _timed(run: Any, device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    run()
    _sync(device)
    return time.perf_counter() - start


def _profiled(run: Any, device: torch.device, steps: int) -> dict[str, float]:
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        run()
        _sync(device)
    counts: Counter[str] = Counter()
    for event in prof.events():
        name = event.name
        if name.startswith("aten::"):
            counts["aten"] += 1
        elif name in ("cudaLaunchKernel", "cuLaunchKernel", "cudaLaunchKernelExC"):
            counts["launches"] += 1
        elif name in SYNC_EVENTS:
            counts["syncs"] += 1
        elif name.startswith("cudaMemcpy"):
            counts["copies"] += 1
    return {key: counts[key] / steps for key in ("aten", "launches", "syncs", "copies")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--recipes", nargs="+", default=["defaults", "speedrun"])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=None, help="default: each recipe's own")
    parser.add_argument("--steps", type=int, default=50, help="training steps per timed loop")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.device = torch.device(args.device)
    records: list[dict[str, Any]] = []
    rows = []
    for recipe in args.recipes:
        data, learn = _build(recipe, args)
        loops = _loops(data, learn, args.device)
        batch = data.train.batch_size
        steps = len(data.train)
        seconds: dict[str, list[float]] = {name: [] for name in loops}
        for round_number in range(args.rounds):
            for name, run in loops.items():
                seconds[name].append(_timed(run, args.device))
                print(f"{recipe}, round {round_number + 1}: {name} {seconds[name][-1]:.2f}s", flush=True)
        floor = statistics.median(seconds["model"]) / steps
        for name, run in loops.items():
            per_step = statistics.median(seconds[name]) / steps
            counts = _profiled(run, args.device, steps)
            record = {
                "recipe": recipe,
                "loop": name,
                "batch_size": batch,
                "steps": steps,
                "ms_per_step": per_step * 1e3,
                "images_per_s": batch / per_step,
                "times_floor": per_step / floor,
                "seconds": seconds[name],
                **{f"{key}_per_step": value for key, value in counts.items()},
            }
            records.append(record)
            rows.append(
                [
                    f"{recipe} (batch {batch})",
                    name,
                    f"{record['ms_per_step']:.2f}",
                    f"{record['images_per_s']:,.0f}",
                    f"{record['times_floor']:.2f}x",
                    f"{counts['aten']:.0f}",
                    f"{counts['launches']:.0f}",
                    f"{counts['syncs'] + counts['copies']:.1f}",
                ]
            )
    print_table(
        f"Time per training step on {args.device} ({args.size} px, median of {args.rounds} rounds)",
        ["recipe", "loop", "ms/step", "images/s", "vs model", "aten ops", "launches", "waits+copies"],
        rows,
    )
    payload = {
        "benchmark": "step_overhead",
        "machine": machine_info(threads=args.threads, device=str(args.device)),
        "config": {key: str(value) if key == "device" else value for key, value in vars(args).items()},
        "results": records,
    }
    suffix = "" if args.device.type == "cpu" else f"_{args.device.type}"
    print(f"wrote {write_results(args.name or f'step_overhead{suffix}', payload)}")


if __name__ == "__main__":
    main()
