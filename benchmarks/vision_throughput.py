"""Training throughput of image models: images/second for fp32 vs bf16 autocast, contiguous vs channels_last.

Issue 4 asks what channels_last and bf16 buy on a GPU. This measures full training steps (forward, loss,
backward, optimizer step) through :func:`trainwell.vision.vision_learner` models on synthetic batches already on
the device, so only the model's arithmetic and memory layout differ between rows. Each configuration warms up,
then runs ``--steps`` timed steps (CUDA synchronised); configurations alternate over ``--rounds`` rounds and
the median is reported, as these machines are noisy.

Run: ``python benchmarks/vision_throughput.py [--archs simple_cnn xresnet18 whitened_cnn] [--size 32]
[--batch-size 256] [--steps 20] [--rounds 3] [--device cuda]``. On a CPU, bf16 is usually slower (no bf16
matrix units on most CPUs); the rows are still measured so the table says so. Writes
``benchmarks/results/vision_throughput[_<device>].json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from _common import machine_info, print_table, write_results


def _step_timer(arch: str, args: argparse.Namespace, bf16: bool, channels_last: bool) -> Any:
    """A function running ``args.steps`` training steps and returning their seconds."""
    import torch

    from trainwell.models import create_model

    device = torch.device(args.device)
    config: dict[str, Any] = {"n_out": 10, "in_channels": 3}
    model = create_model(arch, **config).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    x = torch.randn(args.batch_size, 3, args.size, args.size, device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (args.batch_size,), device=device)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def timed() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    for _ in range(3):  # warm-up: kernels chosen, memory allocated
        step()
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["simple_cnn", "xresnet18", "whitened_cnn"])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default=None, help="cuda when available, else cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.device == "cuda":
        torch.backends.cudnn.benchmark = True
    configs = [(arch, bf16, cl) for arch in args.archs for bf16 in (False, True) for cl in (False, True)]
    timers, failures = {}, {}
    for config in configs:  # one configuration that fails is a row saying why, not the end of the run
        try:
            timers[config] = _step_timer(config[0], args, config[1], config[2])
        except RuntimeError as error:
            failures[config] = str(error).splitlines()[0]
    seconds: dict[tuple[str, bool, bool], list[float]] = {config: [] for config in timers}
    for _ in range(args.rounds):
        for config, timer in timers.items():
            seconds[config].append(timer())
    results, rows = [], []
    for arch, bf16, cl in configs:
        precision = "bf16" if bf16 else "fp32"
        layout = "channels_last" if cl else "contiguous"
        if (arch, bf16, cl) in failures:
            error = failures[(arch, bf16, cl)]
            results.append({"arch": arch, "bf16": bf16, "channels_last": cl, "error": error})
            rows.append([arch, precision, layout, f"failed: {error}", "-"])
            continue
        median = statistics.median(seconds[(arch, bf16, cl)])
        rate = args.steps * args.batch_size / median
        base_seconds = seconds.get((arch, False, False))
        speedup = statistics.median(base_seconds) / median if base_seconds else None
        results.append(
            {"arch": arch, "bf16": bf16, "channels_last": cl, "images_per_s": rate, "speedup": speedup}
        )
        rows.append([arch, precision, layout, f"{rate:,.0f}", f"{speedup:.2f}x" if speedup else "-"])
    title = f"training images/s, {args.size}px, batch {args.batch_size}, {args.device}"
    print_table(title, ["arch", "precision", "layout", "images/s", "vs fp32 contiguous"], rows)
    payload = {
        "machine": machine_info(threads=args.threads, device=args.device),
        "config": vars(args),
        "results": results,
    }
    if args.device == "cuda":
        payload["gpu"] = torch.cuda.get_device_name()
    name = "vision_throughput" if args.device == "cpu" else f"vision_throughput_{args.device}"
    print(f"wrote {write_results(name, payload)}")


if __name__ == "__main__":
    main()
