"""How long does decoding phone-sized photos take, with libjpeg's scaled decoding against the full decode?

A folder of photos from a phone is 4032x3024 JPEGs; an image model reads them at 224 pixels (or 128, 64).
``trainwell.vision.io.decode_images`` (what ``image_data`` and ``trainwell fit photos/`` use) asks libjpeg for a
half, a quarter or an eighth of the picture when that still covers the size it is resized to, instead of
decoding all 12 million pixels and throwing most away. This measures images per second both ways, in
alternating rounds in one run (the full decode is the same code with the scaled decoding switched off), and the
mean difference in the resized pixels.

The photos are made here (smooth colour gradients with grain and a few shapes, saved at JPEG quality 90), so
no data set is needed; decoding time depends on the pixel count, not on what the photo shows.

Run: ``python benchmarks/decode_photos.py [--photos 48] [--rounds 3] [--workers 1]``. Writes
``benchmarks/results/decode_photos.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

import trainwell  # noqa: F401  (its version goes in the results)
from _common import machine_info, median, print_table, write_results
from trainwell.vision import io as vision_io

SIZES = (224, 128, 64)
PHOTO = (4032, 3024)


def make_photos(folder: Path, count: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    width, height = PHOTO
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    paths = []
    for index in range(count):
        tint = rng.uniform(0.3, 1.0, 3)
        planes = [(x * tint[0] + y * (1 - tint[0])), (1 - x) * tint[1] + y * 0.3, (x + y) * 0.5 * tint[2]]
        pixels = np.stack([plane * 255 for plane in planes], axis=2)
        pixels += rng.normal(0, 6, (height, width, 1)).astype(np.float32)  # grain
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            left, top = int(rng.integers(0, width - 600)), int(rng.integers(0, height - 600))
            side = int(rng.integers(100, 600))
            draw.ellipse(
                (left, top, left + side, top + side), fill=tuple(int(v) for v in rng.integers(0, 255, 3))
            )
        path = folder / f"IMG_{index:04d}.jpg"
        image.save(path, quality=90)
        paths.append(path)
    return paths


def timed_decode(paths: list[Path], size: int, workers: int, scaled: bool) -> tuple[float, np.ndarray]:
    original = vision_io.open_image

    def full(source: Any, mode: str, at_least: int | None = None) -> Any:
        return original(source, mode)  # the scaled decoding switched off: all pixels decoded

    vision_io.open_image = original if scaled else full  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        images, _ = vision_io.decode_images(paths, (size, size), 3, "crop", n_workers=workers)
        return time.perf_counter() - start, images
    finally:
        vision_io.open_image = original  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="decoding processes (1: this one)")
    args = parser.parse_args()
    rows, results = [], []
    with tempfile.TemporaryDirectory() as scratch:
        paths = make_photos(Path(scratch), args.photos)
        for size in SIZES:
            times: dict[bool, list[float]] = {True: [], False: []}
            decoded: dict[bool, np.ndarray] = {}
            for round_ in range(args.rounds):
                for scaled in (True, False) if round_ % 2 == 0 else (False, True):
                    seconds, decoded[scaled] = timed_decode(paths, size, args.workers, scaled)
                    times[scaled].append(seconds)
            scaled_rate = args.photos / median(times[True])
            full_rate = args.photos / median(times[False])
            difference = float(
                np.abs(decoded[True].astype(np.int16) - decoded[False].astype(np.int16)).mean()
            )
            rows.append(
                (
                    f"{PHOTO[0]}x{PHOTO[1]} -> {size}",
                    scaled_rate,
                    full_rate,
                    scaled_rate / full_rate,
                    difference,
                )
            )
            results.append(
                {
                    "size": size,
                    "scaled_images_per_s": scaled_rate,
                    "full_images_per_s": full_rate,
                    "speedup": scaled_rate / full_rate,
                    "mean_abs_pixel_difference": difference,
                    "scaled_seconds": times[True],
                    "full_seconds": times[False],
                }
            )
    print_table(
        f"Decoding {args.photos} photos ({args.workers} process(es), median of {args.rounds} alternating rounds)",
        ["photo -> side", "scaled decode img/s", "full decode img/s", "speedup", "mean |pixel diff|"],
        rows,
    )
    path = write_results(
        "decode_photos",
        {
            "benchmark": "decode_photos",
            "machine": machine_info(workers=args.workers),
            "photos": args.photos,
            "photo_size": list(PHOTO),
            "results": results,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
