"""How fast is the batch augmentation pipeline against the usual per-image Pillow pipeline? Images per second.

Both sides do the same operations to the same images, from decoded uint8 pixels to a float
batch ``(B, 3, S, S)`` in ``[0, 1]``:

(a) batch: :class:`trainwell.vision.augment.Augmentation` on the uint8 batch (converted to floats inside, a
    cache-sized chunk at a time) with a random resized crop (35-100% of the area, aspect 3/4-4/3) to ``S``
    px, flip, rotation up to 10 degrees, brightness and contrast 0.2 (75% of images), random erasing (25% of
    images): one warp for the geometry, then a few batched ops;
(b) Pillow, one image at a time: ``Image.resize(box=crop)``, ``transpose`` (flip), ``rotate``,
    ``ImageEnhance.Brightness`` / ``Contrast``, then to a tensor, erasing by slicing, and ``torch.stack``.

Cases: CIFAR-10-sized 32x32 RGB to 32 px, and 128x128 RGB to 64 px. Pixels are the first CIFAR-10 test images
read straight from ``../shared/data/cifar10/cifar10.tgz`` (upscaled by Pillow for the 128 px case) when the
archive is there, random uint8 images otherwise (decoding is not timed, so the content barely matters).
Rounds alternate which side goes first, after an untimed warm-up; the median and the fastest rounds are
reported (other processes on a shared machine slow a round by whole multiples). Target: ratio >= 3.

Run: ``python benchmarks/vision_augment.py [--images 2048] [--batch-size 256] [--rounds 5] [--threads 1]``
(``--quick`` for a small smoke run). Writes ``benchmarks/results/vision_augment.json`` (``--name`` to choose).
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
import tarfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageEnhance

import trainwell
from _common import SHARED_DATA, machine_info, median, print_table, write_results
from trainwell.vision.augment import Augmentation

CIFAR_ARCHIVE = SHARED_DATA / "cifar10" / "cifar10.tgz"
CASES = ((32, 32), (128, 64))  # (input side, output side)
TARGET_RATIO = 3.0
SCALE, RATIO, MAX_ROTATE, COLOUR, P_COLOUR, ERASE_P = (0.35, 1.0), (3 / 4, 4 / 3), 10.0, 0.2, 0.75, 0.25
ERASE_AREA, ERASE_RATIO = (0.02, 0.25), (0.3, 3.3)


def batch_augmentation(out_side: int) -> Augmentation:
    return Augmentation(
        size=out_side,
        flip=True,
        max_rotate=MAX_ROTATE,
        p_affine=1.0,
        min_scale=SCALE[0],
        max_scale=SCALE[1],
        min_ratio=RATIO[0],
        max_ratio=RATIO[1],
        brightness=COLOUR,
        contrast=COLOUR,
        p_color=P_COLOUR,
        erase_p=ERASE_P,
        erase_min_area=ERASE_AREA[0],
        erase_max_area=ERASE_AREA[1],
    )


# ----------------------------------------------------------------------------------------------- images
def load_images(count: int, side: int, seed: int) -> tuple[np.ndarray, str]:
    """``(count, side, side, 3)`` uint8 pixels: CIFAR-10 test images when the archive is there, else noise."""
    if CIFAR_ARCHIVE.is_file():
        images = []
        with tarfile.open(CIFAR_ARCHIVE, "r:gz") as archive:
            for member in archive:  # streamed: the test folders come first, so this stops early
                if member.isfile() and member.name.endswith(".jpg"):
                    stream = archive.extractfile(member)
                    assert stream is not None
                    image = Image.open(io.BytesIO(stream.read())).convert("RGB")
                    if image.size != (side, side):
                        image = image.resize((side, side), Image.Resampling.BICUBIC)
                    images.append(np.asarray(image))
                    if len(images) == count:
                        break
        return np.stack(images), f"CIFAR-10 test JPEGs from {CIFAR_ARCHIVE.name}" + (
            f" upscaled to {side} px" if side != 32 else ""
        )
    print(f"note: {CIFAR_ARCHIVE} not found; timing on random uint8 images instead")
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, side, side, 3), dtype=np.uint8), "random uint8"


# --------------------------------------------------------------------------------------------- the sides
def run_batch(pixels: torch.Tensor, out_side: int, batch_size: int, seed: int) -> float:
    """Seconds to augment every image in batches; ``pixels`` is uint8 ``(N, 3, H, W)``."""
    augment = batch_augmentation(out_side)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for first in range(0, len(pixels), batch_size):
        out = augment(pixels[first : first + batch_size], generator)  # uint8 in, floats in [0, 1] out
    elapsed = time.perf_counter() - start
    assert out.shape[-2:] == (out_side, out_side)
    return elapsed


def pillow_one(image: Image.Image, out_side: int, rng: random.Random) -> torch.Tensor:
    """The same operations as :func:`batch_augmentation`, the way a per-image Dataset does them."""
    width, height = image.size
    area = rng.uniform(*SCALE) * width * height
    aspect = math.exp(rng.uniform(math.log(RATIO[0]), math.log(RATIO[1])))
    crop_w, crop_h = math.sqrt(area * aspect), math.sqrt(area / aspect)
    shrink = max(crop_w / width, crop_h / height, 1.0)
    crop_w, crop_h = crop_w / shrink, crop_h / shrink
    left, top = rng.uniform(0, width - crop_w), rng.uniform(0, height - crop_h)
    image = image.resize(
        (out_side, out_side), Image.Resampling.BILINEAR, box=(left, top, left + crop_w, top + crop_h)
    )
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = image.rotate(rng.uniform(-MAX_ROTATE, MAX_ROTATE), Image.Resampling.BILINEAR)
    if rng.random() < P_COLOUR:
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(1 - COLOUR, 1 + COLOUR))
        image = ImageEnhance.Contrast(image).enhance(rng.uniform(1 - COLOUR, 1 + COLOUR))
    tensor = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)
    if rng.random() < ERASE_P:
        frac = rng.uniform(*ERASE_AREA)
        ratio = math.exp(rng.uniform(math.log(ERASE_RATIO[0]), math.log(ERASE_RATIO[1])))
        box_h = min(out_side, max(1, round(math.sqrt(frac * ratio) * out_side)))
        box_w = min(out_side, max(1, round(math.sqrt(frac / ratio) * out_side)))
        y, x = rng.randint(0, out_side - box_h), rng.randint(0, out_side - box_w)
        tensor[:, y : y + box_h, x : x + box_w] = torch.rand(3, box_h, box_w)
    return tensor


def run_pillow(images: list[Image.Image], out_side: int, batch_size: int, seed: int) -> float:
    rng = random.Random(seed)
    start = time.perf_counter()
    for first in range(0, len(images), batch_size):
        out = torch.stack([pillow_one(image, out_side, rng) for image in images[first : first + batch_size]])
    elapsed = time.perf_counter() - start
    assert out.shape[-2:] == (out_side, out_side)
    return elapsed


# ------------------------------------------------------------------------------------------------ driver
def time_case(args: argparse.Namespace, in_side: int, out_side: int) -> dict[str, Any]:
    array, source = load_images(args.images, in_side, args.seed)
    pil_images = [Image.fromarray(image) for image in array]
    pixels = torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()
    sides: dict[str, Callable[[], float]] = {
        "batch": lambda: run_batch(pixels, out_side, args.batch_size, args.seed),
        "pillow": lambda: run_pillow(pil_images, out_side, args.batch_size, args.seed),
    }
    for run in sides.values():  # warm-up, untimed
        run()
    seconds: dict[str, list[float]] = {"batch": [], "pillow": []}
    for index in range(args.rounds):
        order = ("batch", "pillow") if index % 2 == 0 else ("pillow", "batch")
        for name in order:
            seconds[name].append(sides[name]())
    count = len(array)
    batch_rate = [count / s for s in seconds["batch"]]
    pillow_rate = [count / s for s in seconds["pillow"]]
    return {
        "case": f"{in_side}->{out_side}",
        "input_side": in_side,
        "output_side": out_side,
        "images": count,
        "source": source,
        "batch_seconds": seconds["batch"],
        "pillow_seconds": seconds["pillow"],
        "batch_images_per_s_median": median(batch_rate),
        "pillow_images_per_s_median": median(pillow_rate),
        "ratio_median": median([b / p for b, p in zip(batch_rate, pillow_rate, strict=True)]),
        "ratio_of_fastest": max(batch_rate) / max(pillow_rate),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2048, help="images per case (a multiple of the batch)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side, alternating")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (Pillow uses one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke run: 512 images, 2 rounds")
    parser.add_argument("--name", default="vision_augment", help="results file stem")
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.rounds = 512, 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = machine_info()["load_average_1min"]
    print(
        f"{args.images} images per case, batches of {args.batch_size}, {args.rounds} rounds, "
        f"{torch.get_num_threads()} torch thread(s), CPU"
    )
    results = []
    for in_side, out_side in CASES:
        results.append(time_case(args, in_side, out_side))
        print(f"case {results[-1]['case']} done", flush=True)
    print_table(
        "Augmentation: batch tensor pipeline vs per-image Pillow, images per second (median of rounds)",
        ["case", "source", "batch img/s", "pillow img/s", "ratio (median)", "ratio (fastest)"],
        [
            [
                r["case"],
                r["source"].split(" from ")[0],
                r["batch_images_per_s_median"],
                r["pillow_images_per_s_median"],
                r["ratio_median"],
                r["ratio_of_fastest"],
            ]
            for r in results
        ],
    )
    worst = min(r["ratio_median"] for r in results)
    verdict = "meets" if worst >= TARGET_RATIO else "misses"
    print(f"smallest median ratio {worst:.2f} ({verdict} the >= {TARGET_RATIO:g}x target)")
    payload = {
        "benchmark": "vision_augment",
        "machine": machine_info(threads=torch.get_num_threads(), load_average_1min_before=load_before),
        "config": {
            "images": args.images,
            "batch_size": args.batch_size,
            "rounds": args.rounds,
            "seed": args.seed,
            "quick": args.quick,
            "augmentation": batch_augmentation(CASES[0][1]).to_dict() | {"size": "output side"},
            "trainwell": trainwell.__version__,
        },
        "cases": results,
        "summary": {
            "smallest_ratio_median": worst,
            "target_ratio": TARGET_RATIO,
            "meets_target": worst >= TARGET_RATIO,
        },
    }
    path = write_results(args.name, payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
