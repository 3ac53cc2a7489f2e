"""Batch augmentation for images as whole-batch tensor operations, on CPU or GPU.

Why our own and not torchvision: torchvision is an optional extra on this platform, and its v2 transforms draw
one set of random parameters per call, so a batch is augmented either identically or in a Python loop over
images. Here every function draws per-image parameters (a few small tensors) and then touches the pixels in a
handful of batched kernels: all geometry (random resized crop, flip, rotation, zoom, translation) becomes ONE
2x3 affine matrix per image and ONE ``grid_sample`` call.

Images are float tensors ``(B, C, H, W)`` with values in ``[0, 1]``. Randomness comes from an optional
``torch.Generator``: per-image parameters are drawn on the generator's device and moved to the batch's device,
and full-size noise is drawn from a generator on the batch's device seeded from it, so the same seed gives the
same batch whatever the device of the generator.

Example:
    >>> import torch
    >>> aug = Augmentation.default(32)
    >>> out = aug(torch.rand(8, 3, 40, 48), generator=torch.Generator().manual_seed(0))
    >>> tuple(out.shape), bool(out.min() >= 0), bool(out.max() <= 1)
    ((8, 3, 32, 32), True, True)
"""

from __future__ import annotations

import torch

from trainwell.core.errors import ConfigError
from trainwell.vision.augment_config import AugmentationConfig
from trainwell.vision.ops import (
    _check_batch,
    _draw_streaks,
    _erase,
    _generator_on,
    _moved,
    _pair,
    _params_device,
    _uniform,
    adjust_brightness_contrast,
    affine_matrices,
    blur_radius,
    center_crop_resize,
    erase_boxes,
    gaussian_blur,
    gaussian_noise,
    low_contrast,
    shift_pixels,
    streak_lines,
    warp,
)

CPU_CHUNK_BYTES = 3 * 2**20
"""Bytes of float images one step of :class:`Augmentation` works on, on the CPU: about what stays in cache."""


class Augmentation(AugmentationConfig):
    """The training-time augmentation pipeline: the settings of :class:`~trainwell.vision.augment_config.
    AugmentationConfig` (every field, preset, check and ``to_dict``/``from_dict`` are its), applied to batches.

    The bare constructor changes nothing (every operation is off); start from a preset and adjust with
    ``dataclasses.replace``. Calling it applies, in order: geometry (one warp: random resized crop, flip,
    rotate, zoom, translate), colour, document degradations (low contrast, blur, noise, streaks), then random
    erasing. Each operation draws per image whether it applies (``p_*``) and how strongly.

    Example:
        >>> import json, dataclasses
        >>> aug = dataclasses.replace(Augmentation.digits(28), max_rotate=15.0)
        >>> Augmentation.from_dict(json.loads(json.dumps(aug.to_dict()))) == aug
        True
    """

    def __call__(
        self,
        x: torch.Tensor,
        generator: torch.Generator | None = None,
        *,
        mirrored: torch.Tensor | None = None,
        shared: bool = False,
    ) -> torch.Tensor:
        """Augment a batch ``(B, C, H, W)``, float in ``[0, 1]`` or uint8; returns floats in ``[0, 1]``.

        ``mirrored`` (one bool per image) decides the flips instead of the generator, when ``flip`` is on
        (:func:`alternating_flips` makes it). ``shared``: one draw of every random choice for the whole batch
        (every image gets the same crop, flip, colour...: a test-time view), the same as augmenting each image
        alone with a generator seeded alike, but in one pass; pixels filled at random (noise, random erasing:
        :meth:`fills_at_random`) still differ image by image.

        A float batch comes back as ``x`` itself when nothing applies. Every random parameter is drawn for the
        whole batch first; then the pixels are processed, on the CPU in chunks of about
        :data:`CPU_CHUNK_BYTES` so that each step's tensors stay in cache (several times faster there than
        one pass over a large batch, and the same result). The same seed gives the same batch on the same
        device.
        """
        _check_batch(x, "Augmentation", allow_uint8=True)
        if x.is_floating_point() and not self._changes_pixels():
            return x
        n, channels = x.shape[:2]
        in_size = (int(x.shape[-2]), int(x.shape[-1]))
        out_size = _pair(self.size) if self.size is not None else in_size
        plan_device = generator.device if generator is not None else torch.device("cpu")
        if shared and mirrored is not None:
            raise ConfigError("Augmentation takes mirrored= or shared=True, not both: shared draws one flip")
        # Given flips (alternating_flips of the batch, on its device) are applied after the move, on the batch's
        # device: reading a GPU batch's flips here would make the host wait for the device at every batch.
        mirror_later = mirrored is not None and bool(self.flip)
        drawn_mirrored = torch.zeros(n, dtype=torch.bool, device=plan_device) if mirror_later else mirrored
        plan = self._plan(1 if shared else n, in_size, out_size, generator, drawn_mirrored)
        if shared:
            plan = {name: value.expand(n, *value.shape[1:]).contiguous() for name, value in plan.items()}
        if "blur" in plan and not bool((plan["blur"] > 0).any()):
            del plan["blur"]  # decided while the plan is on the host
        # What the rendering reads on the host is read here, before the move (on a GPU, a read waits for it).
        reach = int(plan["shifts"].abs().max()) if "shifts" in plan and n else None
        radius = blur_radius(plan["blur"]) if "blur" in plan else None
        host_boxes = plan.get("erase")  # _erase picks its images and pixels on the host
        plan = move_plan(plan, x.device)
        if mirror_later and "matrices" in plan:
            assert mirrored is not None
            # A flip negates the matrices' first column (see affine_matrices), exactly as drawing it would.
            flip_sign = 1 - 2 * mirrored.to(device=x.device, dtype=plan["matrices"].dtype)
            plan["matrices"][:, :, 0] *= flip_sign[:, None]
        noise_generator = _generator_on(generator, x.device) if self.fills_at_random() else None
        largest = 4 * channels * max(in_size[0] * in_size[1], out_size[0] * out_size[1])
        chunk = n if x.device.type != "cpu" else max(1, CPU_CHUNK_BYTES // largest)
        if chunk >= n:
            return self._render(x, plan, noise_generator, reach, radius, host_boxes)
        dtype = x.dtype if x.is_floating_point() else torch.float32
        out = torch.empty((n, channels, *out_size), dtype=dtype)
        for start in range(0, n, chunk):
            part = slice(start, start + chunk)
            out[part] = self._render(x[part], {k: v[part] for k, v in plan.items()}, noise_generator)
        return out

    def _plan(
        self,
        n: int,
        in_size: tuple[int, int],
        out_size: tuple[int, int],
        generator: torch.Generator | None,
        mirrored: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Every random choice for ``n`` images, each a tensor whose first dimension is the image."""
        plan: dict[str, torch.Tensor] = {}
        if self._geometric():
            plan["matrices"] = affine_matrices(
                n,
                in_size,
                out_size,
                scale=(self.min_scale, self.max_scale),
                ratio=(self.min_ratio, self.max_ratio),
                flip=bool(self.flip),
                mirrored=mirrored,
                max_rotate=self.max_rotate,
                max_zoom=self.max_zoom,
                max_translate=self.max_translate,
                p_affine=self.p_affine,
                generator=generator,
            )
        if self.pixel_shift > 0:
            plan["shifts"] = torch.randint(
                -self.pixel_shift,
                self.pixel_shift + 1,
                (n, 2),
                generator=generator,
                device=_params_device(generator),
            )
        if self.p_color > 0 and (self.brightness > 0 or self.contrast > 0 or self.saturation > 0):
            for name in ("brightness", "contrast", "saturation"):
                strength = getattr(self, name)
                if name != "saturation" or strength > 0:
                    plan[name] = self._factor(n, self.p_color, 1 - strength, 1 + strength, generator)
        if self.low_contrast_p > 0:
            plan["fade"] = self._factor(n, self.low_contrast_p, self.min_contrast, 1.0, generator)
            plan["fade_level"] = _uniform(n, 0.7, 1.0, generator)
        if self.blur_p > 0 and self.max_blur > 0:
            plan["blur"] = self._factor(n, self.blur_p, 0.0, self.max_blur, generator, neutral=0.0)
        if self.noise_p > 0 and self.max_noise > 0:
            plan["noise"] = self._factor(n, self.noise_p, 0.0, self.max_noise, generator, neutral=0.0)
        if self.streak_p > 0:
            plan["streaks"] = streak_lines(n, self.streak_p, self.max_streaks, 2, generator)
        if self.erase_p > 0:
            area = (self.erase_min_area, self.erase_max_area)
            plan["erase"] = erase_boxes(n, self.erase_p, area, (0.3, 3.3), generator)
        return plan

    def _render(
        self,
        x: torch.Tensor,
        plan: dict[str, torch.Tensor],
        noise_generator: torch.Generator | None,
        reach: int | None = None,
        radius: int | None = None,
        host_boxes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Apply ``plan`` to the images ``x`` (its rows match them); ``reach`` (the largest pixel shift),
        ``radius`` (the blur kernel's) and ``host_boxes`` (the erasing boxes), when known on the host; else read
        from the plan."""
        owned = False  # whether x is this call's own intermediate, safe to overwrite
        to_unit = x.dtype == torch.uint8  # scaled by 1 / 255 after the warp, on the (often smaller) output
        if to_unit:
            x, owned = x.float(), True
        if "matrices" in plan:
            x = warp(x, plan["matrices"], self.size)
            x = (x.mul_(1 / 255) if to_unit else x).clamp_(0, 1)  # bilinear stays in range but for rounding
            owned = True
        else:
            x = x.mul_(1 / 255) if to_unit else x
            if self.size is not None:
                x = center_crop_resize(x, self.size)
        if "shifts" in plan:
            x, owned = shift_pixels(x, plan["shifts"], reach=reach), True
        if "brightness" in plan:
            x = adjust_brightness_contrast(x, plan["brightness"], plan["contrast"], plan.get("saturation"))
            owned = True
        if "fade" in plan:
            x, owned = low_contrast(x, plan["fade"], plan["fade_level"]), True
        if "blur" in plan and (plan["blur"].device.type != "cpu" or bool((plan["blur"] > 0).any())):
            x, owned = gaussian_blur(x, plan["blur"], radius=radius), True
        if "noise" in plan:
            x, owned = gaussian_noise(x, plan["noise"], generator=noise_generator), True
        if "streaks" in plan:
            x, owned = _draw_streaks(x, plan["streaks"]), True
        if "erase" in plan:
            boxes = host_boxes if host_boxes is not None else plan["erase"]
            x = _erase(x, boxes, self.erase_value, noise_generator, inplace=owned)
        return x

    @staticmethod
    def _factor(
        n: int, p: float, low: float, high: float, generator: torch.Generator | None, neutral: float = 1.0
    ) -> torch.Tensor:
        """Per-image strengths: uniform in ``[low, high]`` where applied (chance ``p``), else ``neutral``."""
        chosen = torch.rand(n, generator=generator, device=_params_device(generator)) < p
        return torch.where(
            chosen, _uniform(n, low, high, generator), torch.full((n,), neutral, device=chosen.device)
        )


def move_plan(plan: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """``plan``'s tensors on ``device``, moved in one copy per dtype (a handful of small copies per batch each
    cost a launch, and a plain one a wait for the device); to a GPU from pinned memory, without waiting."""
    if all(value.device == device for value in plan.values()):
        return plan
    moved: dict[str, torch.Tensor] = {}
    by_dtype: dict[torch.dtype, list[str]] = {}
    for name, value in plan.items():
        by_dtype.setdefault(value.dtype, []).append(name)
    for names in by_dtype.values():
        flat = [plan[name].reshape(-1) for name in names]
        packed = _moved(torch.cat(flat) if len(flat) > 1 else flat[0].contiguous(), device)
        for name, part in zip(names, packed.split([len(f) for f in flat]), strict=True):
            moved[name] = part.view(plan[name].shape)
    return {name: moved[name] for name in plan}


def alternating_flips(images: torch.Tensor, epoch: int) -> torch.Tensor:
    """Which images to mirror in ``epoch`` for ``flip="alternate"``: a fixed random half, swapped every epoch.

    The per-image choice is the parity of the image's pixel sum (its ``uint8`` values, or floats in ``[0, 1]``
    scaled to them): random across images, the same for one image in every epoch, and needing no index of where
    the image sits in the data set.
    """
    pixels = images if not images.is_floating_point() else (images * 255).round()
    parity = pixels.flatten(1).sum(1, dtype=torch.int64) % 2
    return (parity + epoch) % 2 == 1
