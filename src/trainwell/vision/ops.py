"""Image operations on whole batches, as tensor kernels on CPU or GPU: the parts :class:`~trainwell.vision.augment.Augmentation` is made of.

Images are float tensors ``(B, C, H, W)`` with values in ``[0, 1]``. Every random operation draws per-image
parameters (a few small tensors) from an optional ``torch.Generator`` on the generator's device and moves them to
the batch's device; full-size noise is drawn from a generator on the batch's device seeded from it, so the same
seed gives the same batch whatever the device of the generator. All geometry (crop, flip, rotation, zoom,
translation) is one 2x3 affine matrix per image and one ``grid_sample`` call (:func:`affine_matrices`,
:func:`warp`).
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from trainwell.core.errors import ConfigError, DataError
from trainwell.vision.augment_config import Size as Size
from trainwell.vision.augment_config import _pair as _pair


# ------------------------------------------------------------------------------------------- randomness
def _params_device(generator: torch.Generator | None) -> torch.device:
    return generator.device if generator is not None else torch.device("cpu")


def _uniform(n: int, low: float, high: float, generator: torch.Generator | None) -> torch.Tensor:
    """``n`` draws from U(low, high) on the generator's device (float32)."""
    draws = torch.rand(n, generator=generator, device=_params_device(generator))
    return low + (high - low) * draws


def _log_uniform(n: int, low: float, high: float, generator: torch.Generator | None) -> torch.Tensor:
    return torch.exp(_uniform(n, math.log(low), math.log(high), generator))


def _chosen(n: int, p: float, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """A boolean mask ``(n,)`` on ``device``: which images an operation of probability ``p`` applies to."""
    return (torch.rand(n, generator=generator, device=_params_device(generator)) < p).to(device)


def _generator_on(generator: torch.Generator | None, device: torch.device) -> torch.Generator | None:
    """A generator on ``device`` for full-size noise: the given one, or one seeded from it (cheap to move)."""
    if generator is None or generator.device == device:
        return generator
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
    return torch.Generator(device=device).manual_seed(seed)


def _moved(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``tensor`` on ``device``; from the host to a GPU through pinned memory, so the host does not wait."""
    if tensor.device == device:
        return tensor
    pinned = tensor.device.type == "cpu" and device.type == "cuda"
    return (tensor.pin_memory() if pinned else tensor).to(device, non_blocking=pinned)


def _check_batch(x: torch.Tensor, where: str, *, allow_uint8: bool = False) -> None:
    ok = isinstance(x, torch.Tensor) and x.dim() == 4
    ok = ok and (x.is_floating_point() or (allow_uint8 and x.dtype == torch.uint8))
    if not ok:
        described = f"{tuple(x.shape)} {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
        accepted = " (or uint8 in [0, 255])" if allow_uint8 else ""
        raise DataError(
            f"{where} needs a float image batch (B, C, H, W) with values in [0, 1]{accepted}, "
            f"got {described}; convert with x.float() / 255"
        )


def _per_image(value: float | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A scalar or ``(B,)`` parameter as a ``(B, 1, 1, 1)`` tensor on the batch's device and dtype."""
    if isinstance(value, (int, float)):  # filled on the device: no copy from the host
        return torch.full((1, 1, 1, 1), float(value), dtype=x.dtype, device=x.device)
    tensor = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    return tensor.reshape(-1, 1, 1, 1) if tensor.dim() else tensor.reshape(1, 1, 1, 1)


# --------------------------------------------------------------------------------------------- geometry
def affine_matrices(
    batch_size: int,
    in_size: tuple[int, int],
    out_size: tuple[int, int] | None = None,
    *,
    scale: tuple[float, float] = (1.0, 1.0),
    ratio: tuple[float, float] = (1.0, 1.0),
    flip: bool = False,
    mirrored: torch.Tensor | None = None,
    max_rotate: float = 0.0,
    max_zoom: float = 0.0,
    max_translate: float = 0.0,
    p_affine: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Random ``(B, 2, 3)`` matrices for :func:`warp`: crop, resize, flip, rotate, zoom and shift in one.

    Each image gets a random crop of ``scale`` (a fraction of its area) and aspect ``ratio`` (relative to the
    output's, so 1 never distorts; a crop too wide or tall to fit shrinks), resized to ``out_size``; then,
    with probability ``p_affine``, a rotation of up to ``max_rotate`` degrees, a zoom by a factor in
    ``[1 / (1 + max_zoom), 1 + max_zoom]`` and a shift of up to ``max_translate`` of the output size; and,
    when ``flip``, a horizontal flip half of the time (or of the images where ``mirrored`` is true).
    Rotation is done in pixel units, so non-square images rotate without shearing.

    The matrices map output coordinates to input coordinates in the normalised ``[-1, 1]`` units of
    ``F.affine_grid`` (``align_corners=False``). They are on the generator's device.
    """
    in_h, in_w = in_size
    out_h, out_w = out_size if out_size is not None else in_size
    n = batch_size
    # Crop: sides as fractions of the input. ``ratio`` is the crop's aspect relative to the output's (1 never
    # distorts), converted here to input units. A crop that would not fit shrinks, keeping its aspect.
    area = _uniform(n, scale[0], scale[1], generator)
    if ratio[0] == ratio[1]:
        aspect = torch.full_like(area, ratio[0])
    else:
        aspect = _log_uniform(n, ratio[0], ratio[1], generator)
    aspect = aspect * (out_w * in_h) / (out_h * in_w)
    crop_w, crop_h = torch.sqrt(area * aspect), torch.sqrt(area / aspect)
    overflow = torch.maximum(crop_w, crop_h).clamp(min=1.0)
    crop_w, crop_h = crop_w / overflow, crop_h / overflow
    centre_x = (1 - crop_w) * _uniform(n, -0.5, 0.5, generator)  # crop centre, as a fraction of the input
    centre_y = (1 - crop_h) * _uniform(n, -0.5, 0.5, generator)
    # In the output frame (pixels from the centre): flip, then rotate / zoom / shift.
    applied = _chosen(n, p_affine, generator, area.device).to(area.dtype)
    angle = torch.deg2rad(_uniform(n, -max_rotate, max_rotate, generator)) * applied
    zoom = torch.exp(_uniform(n, -math.log1p(max_zoom), math.log1p(max_zoom), generator) * applied)
    shift_x = _uniform(n, -max_translate, max_translate, generator) * out_w * applied
    shift_y = _uniform(n, -max_translate, max_translate, generator) * out_h * applied
    mirror = 1 - 2 * _chosen(n, 0.5, generator, area.device).to(area.dtype) if flip else torch.ones_like(area)
    if flip and mirrored is not None:
        mirror = 1 - 2 * mirrored.to(device=area.device, dtype=area.dtype)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # Output point q (pixels) -> input point (pixels): D_crop @ (R(angle) / zoom @ (mirror * q) + shift) + c,
    # with D_crop = (crop_w * in_w / out_w, crop_h * in_h / out_h). Normalising: u_in = 2 p_in / in_size and
    # q = u_out * out_size / 2, so the crop's pixel scale cancels to crop_w, crop_h.
    a = crop_w * cos * mirror
    b = -crop_w * sin * out_h / out_w
    c = crop_h * sin * mirror * out_w / out_h
    d = crop_h * cos
    tx = 2 * (crop_w * shift_x / out_w + centre_x)
    ty = 2 * (crop_h * shift_y / out_h + centre_y)
    return torch.stack([torch.stack([a, b, tx], 1), torch.stack([c, d, ty], 1)], 1)  # (B, 2, 3)


def warp(x: torch.Tensor, matrices: torch.Tensor, size: Size | None = None) -> torch.Tensor:
    """Resample each image of ``x`` through its affine matrix in one ``grid_sample`` (bilinear, reflection).

    Args:
        x: images ``(B, C, H, W)``.
        matrices: ``(B, 2, 3)`` from :func:`affine_matrices` (any device; moved to ``x``'s).
        size: output size (``int`` for square, or ``(height, width)``); ``None`` keeps ``(H, W)``.
    """
    _check_batch(x, "warp")
    out_h, out_w = _pair(size) if size is not None else (int(x.shape[-2]), int(x.shape[-1]))
    theta = matrices.to(device=x.device, dtype=x.dtype)
    return F.grid_sample(
        x, _affine_grid(theta, out_h, out_w), mode="bilinear", padding_mode="reflection", align_corners=False
    )


def _affine_grid(theta: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``F.affine_grid(theta, (B, C, height, width), align_corners=False)``, several times faster on CPU.

    Each coordinate is a per-row term plus a per-column term, so one broadcast add per coordinate fills it.
    """
    xs = (torch.arange(width, device=theta.device, dtype=theta.dtype) * 2 + 1) / width - 1  # pixel centres
    ys = (torch.arange(height, device=theta.device, dtype=theta.dtype) * 2 + 1) / height - 1
    grid = torch.empty(theta.shape[0], height, width, 2, device=theta.device, dtype=theta.dtype)
    for axis in range(2):
        by_row = (
            theta[:, axis, 1, None, None] * ys[None, :, None] + theta[:, axis, 2, None, None]
        )  # (B, h, 1)
        by_column = theta[:, axis, 0, None, None] * xs[None, None, :]  # (B, 1, w)
        torch.add(by_row, by_column, out=grid[..., axis])
    return grid


def hflip(x: torch.Tensor) -> torch.Tensor:
    """Mirror every image left to right."""
    return x.flip(-1)


def shift_pixels(x: torch.Tensor, shifts: torch.Tensor, *, reach: int | None = None) -> torch.Tensor:
    """Shift each image of ``x`` by whole pixels ``shifts[i] = (dy, dx)``, filling with reflected borders.

    One reflection pad and one gather for the batch: no resampling, so the pixels are exactly the input's.
    ``reach`` (the largest ``|shift|``, when the caller knows it) spares reading it from ``shifts``: on a GPU that
    read waits for the device.
    """
    _check_batch(x, "shift_pixels")
    if shifts.shape != (x.size(0), 2):
        raise DataError(
            f"shift_pixels needs one (dy, dx) per image, shape ({x.size(0)}, 2); got {tuple(shifts.shape)}"
        )
    if reach is None:
        reach = int(shifts.abs().max()) if shifts.numel() else 0
    if reach == 0:
        return x
    height, width = x.shape[-2:]
    padded = F.pad(x, (reach, reach, reach, reach), mode="reflect")  # (B, C, H + 2r, W + 2r)
    shifts = shifts.to(x.device)
    rows = torch.arange(height, device=x.device)[None, :] + (reach - shifts[:, :1])  # (B, H)
    cols = torch.arange(width, device=x.device)[None, :] + (reach - shifts[:, 1:])  # (B, W)
    batch = torch.arange(x.size(0), device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2)  # a channels-last view of the gathered pixels


# ------------------------------------------------------------------------------------------------ colour
def adjust_brightness_contrast(
    x: torch.Tensor,
    brightness: float | torch.Tensor = 1.0,
    contrast: float | torch.Tensor = 1.0,
    saturation: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """Scale brightness, stretch contrast about each image's mean, blend with grey; each a factor (1 = keep).

    Factors are scalars or ``(B,)`` tensors (one per image). ``saturation`` only acts on 3-channel images.
    Brightness and contrast fold into one multiply-add per pixel: ``b * (c * x + (1 - c) * mean(x))``.
    """
    _check_batch(x, "adjust_brightness_contrast")
    scale_b, scale_c = _per_image(brightness, x), _per_image(contrast, x)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    out = (x * (scale_b * scale_c)).add_(scale_b * (1 - scale_c) * mean)  # addcmul is far slower on CPU
    if saturation is not None and x.shape[1] == 3:
        weights = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        grey = (out * weights).sum(dim=1, keepdim=True)
        out = torch.lerp(grey, out, _per_image(saturation, x))
    return out.clamp_(0, 1)


def random_erasing(
    x: torch.Tensor,
    p: float = 0.5,
    *,
    area: tuple[float, float] = (0.02, 0.25),
    ratio: tuple[float, float] = (0.3, 3.3),
    value: float | None = None,
    generator: torch.Generator | None = None,
    inplace: bool = False,
) -> torch.Tensor:
    """Cutout: with probability ``p`` per image, fill one random rectangle with noise (or ``value``).

    The rectangle covers a fraction ``area`` of the image with height/width ``ratio``. Only the chosen images
    are touched: their masks are built together by comparing row and column indices with per-image bounds.
    ``inplace`` writes into ``x`` (for a pipeline that owns it) instead of a copy.
    """
    _check_batch(x, "random_erasing")
    boxes = erase_boxes(x.shape[0], p, area, ratio, generator)
    return _erase(x, boxes, value, _generator_on(generator, x.device), inplace)


def erase_boxes(
    n: int, p: float, area: tuple[float, float], ratio: tuple[float, float], generator: torch.Generator | None
) -> torch.Tensor:
    """``(n, 5)`` random rectangles for :func:`random_erasing`: chosen (0/1), top, left, height, width.

    Positions and sides are fractions of the image, so the same boxes fit any image size.
    """
    frac = _uniform(n, area[0], area[1], generator)
    aspect = _log_uniform(n, ratio[0], ratio[1], generator)
    box_h, box_w = torch.sqrt(frac * aspect).clamp(max=1), torch.sqrt(frac / aspect).clamp(max=1)
    top = _uniform(n, 0, 1, generator) * (1 - box_h)
    left = _uniform(n, 0, 1, generator) * (1 - box_w)
    chosen = (torch.rand(n, generator=generator, device=_params_device(generator)) < p).to(frac.dtype)
    return torch.stack([chosen, top, left, box_h, box_w], 1)


def _erase(
    x: torch.Tensor,
    boxes: torch.Tensor,
    value: float | None,
    noise_generator: torch.Generator | None,
    inplace: bool,
) -> torch.Tensor:
    # Which images and where are worked out on the boxes' device (the host, from a plan) and moved together.
    index = boxes[:, 0].nonzero().squeeze(1)
    if len(index) == 0:
        return x
    height, width = x.shape[-2:]
    sizes = torch.tensor([height, width, height, width], dtype=boxes.dtype, device=boxes.device)
    pixels = (boxes[index, 1:] * sizes).round()
    if boxes.device != x.device:
        moved = _moved(torch.cat([index.to(pixels.dtype)[:, None], pixels], 1), x.device)
        index, pixels = moved[:, 0].long(), moved[:, 1:]
    top, left, box_h, box_w = (pixels[:, i].view(-1, 1, 1) for i in range(4))
    box_h, box_w = box_h.clamp(min=1), box_w.clamp(min=1)
    rows = torch.arange(height, device=x.device).view(1, height, 1)
    cols = torch.arange(width, device=x.device).view(1, 1, width)
    inside = ((rows >= top) & (rows < top + box_h)) & ((cols >= left) & (cols < left + box_w))  # (k, H, W)
    chosen_images = x[index]  # (k, C, H, W), a copy
    mask = inside.unsqueeze(1).expand_as(chosen_images)
    if value is None:  # noise for the pixels inside the boxes (drawn for whole images: no count to read back)
        noise = torch.rand(chosen_images.shape, generator=noise_generator, device=x.device, dtype=x.dtype)
        chosen_images = torch.where(mask, noise, chosen_images)
    else:
        chosen_images.masked_fill_(mask, float(value))
    out = x if inplace else x.clone()
    out[index] = chosen_images
    return out


# ---------------------------------------------------------------------------------- document degradations
def blur_radius(sigma: float | torch.Tensor) -> int:
    """The kernel radius :func:`gaussian_blur` uses for the largest of ``sigma``: three of them, at least 1."""
    return max(1, math.ceil(3 * float(torch.as_tensor(sigma).max())))


def gaussian_blur(x: torch.Tensor, sigma: float | torch.Tensor, *, radius: int | None = None) -> torch.Tensor:
    """Blur each image with a Gaussian of standard deviation ``sigma`` pixels (scalar or ``(B,)``; 0 = keep).

    Per-image kernels run as one grouped, separable convolution over all ``B * C`` planes. ``radius``
    (:func:`blur_radius` of ``sigma``, when the caller knows it) spares reading ``sigma`` back from a GPU.
    """
    _check_batch(x, "gaussian_blur")
    n, channels, height, width = x.shape
    sigmas = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1).expand(n)
    if radius is None:
        radius = blur_radius(sigmas)
    offsets = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    # sigma 0 gives exp(-inf) = 0 off-centre: an exact identity kernel.
    kernel = torch.exp(-(offsets**2) / (2 * sigmas.clamp(min=1e-6).view(-1, 1) ** 2))
    kernel = (kernel / kernel.sum(dim=1, keepdim=True)).repeat_interleave(channels, 0)  # (B*C, k)
    planes = x.reshape(1, n * channels, height, width)
    planes = F.pad(planes, (radius, radius, radius, radius), mode="replicate")
    planes = F.conv2d(planes, kernel.view(-1, 1, 1, 2 * radius + 1), groups=n * channels)
    planes = F.conv2d(planes, kernel.view(-1, 1, 2 * radius + 1, 1), groups=n * channels)
    return planes.view(n, channels, height, width)


def gaussian_noise(
    x: torch.Tensor, std: float | torch.Tensor, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Add white noise of standard deviation ``std`` (scalar or ``(B,)``), clamped to ``[0, 1]``."""
    _check_batch(x, "gaussian_noise")
    noise = torch.randn(x.shape, generator=_generator_on(generator, x.device), device=x.device, dtype=x.dtype)
    return (x + noise * _per_image(std, x)).clamp(0, 1)


def streaks(
    x: torch.Tensor,
    p: float = 0.5,
    *,
    max_lines: int = 3,
    max_width: int = 2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Scanner and fax streaks: with probability ``p`` per image, 1 to ``max_lines`` lines across the page.

    Each line is horizontal or vertical, 1 to ``max_width`` pixels wide, dark (toner) or light (dropout), and
    partly transparent. The loop runs over line slots (at most ``max_lines``), never over images.
    """
    _check_batch(x, "streaks")
    return _draw_streaks(x, streak_lines(x.shape[0], p, max_lines, max_width, generator))


def streak_lines(
    n: int, p: float, max_lines: int, max_width: int, generator: torch.Generator | None
) -> torch.Tensor:
    """``(n, max_lines, 6)`` random lines for :func:`streaks`.

    Per line: on (0/1), horizontal (0/1), position (a fraction of the page), width (pixels), value (0 dark,
    1 light) and opacity.
    """
    device = _params_device(generator)
    chosen = torch.rand(n, 1, generator=generator, device=device) < p
    count = torch.randint(1, max_lines + 1, (n, 1), generator=generator, device=device)
    on = chosen & (torch.arange(max_lines, device=device) < count)
    horizontal = torch.rand(n, max_lines, generator=generator, device=device) < 0.5
    position = torch.rand(n, max_lines, generator=generator, device=device)
    line_width = torch.randint(1, max_width + 1, (n, max_lines), generator=generator, device=device)
    light = torch.rand(n, max_lines, generator=generator, device=device) < 0.3
    opacity = 0.5 + 0.5 * torch.rand(n, max_lines, generator=generator, device=device)
    return torch.stack(
        [on.float(), horizontal.float(), position, line_width.float(), light.float(), opacity], 2
    )


def _draw_streaks(x: torch.Tensor, lines: torch.Tensor) -> torch.Tensor:
    height, width = x.shape[-2:]
    lines = lines.to(x.device, x.dtype)
    rows = torch.arange(height, device=x.device, dtype=x.dtype).view(1, 1, height, 1)
    cols = torch.arange(width, device=x.device, dtype=x.dtype).view(1, 1, 1, width)
    out = x
    for slot in range(lines.shape[1]):
        on, horizontal, position, line_width, value, opacity = (
            lines[:, slot, i].view(-1, 1, 1, 1) for i in range(6)
        )
        horizontal = horizontal.bool()
        start = torch.where(
            horizontal, position * (height - line_width), position * (width - line_width)
        ).round()
        index = torch.where(horizontal, rows, cols)  # (B, 1, H, W) by broadcasting
        mask = (index >= start) & (index < start + line_width) & on.bool()
        out = torch.where(mask, out * (1 - opacity) + value * opacity, out)
    return out


def low_contrast(
    x: torch.Tensor, factor: float | torch.Tensor, level: float | torch.Tensor = 1.0
) -> torch.Tensor:
    """Faded ink: squeeze towards ``level`` (1 = paper white), keeping a share ``factor`` of the range."""
    _check_batch(x, "low_contrast")
    keep = _per_image(factor, x)
    return x * keep + (1 - keep) * _per_image(level, x)


# ------------------------------------------------------------------------------------------- evaluation
def resize(x: torch.Tensor, size: Size) -> torch.Tensor:
    """Resize whole images to ``size`` (square for an ``int``; aspect not kept), antialiased bilinear."""
    _check_batch(x, "resize")
    target = _pair(size)
    if tuple(x.shape[-2:]) == target:
        return x
    return F.interpolate(x, size=target, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


def center_crop_resize(x: torch.Tensor, size: Size, crop_fraction: float = 1.0) -> torch.Tensor:
    """The largest central region with the aspect of ``size`` (times ``crop_fraction`` a side), resized to it.

    Deterministic: the evaluation counterpart of the random resized crop.
    """
    _check_batch(x, "center_crop_resize")
    if not 0 < crop_fraction <= 1:
        raise ConfigError(
            f"crop_fraction must be in (0, 1], got {crop_fraction!r}; pass e.g. crop_fraction=0.875"
        )
    out_h, out_w = _pair(size)
    height, width = x.shape[-2:]
    scale = min(height / out_h, width / out_w) * crop_fraction
    crop_h, crop_w = max(1, round(out_h * scale)), max(1, round(out_w * scale))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return resize(x[..., top : top + crop_h, left : left + crop_w], (out_h, out_w))


def tta_views(
    x: torch.Tensor, size: Size | None = None, *, flip: bool = True, crop_fraction: float = 0.875
) -> list[torch.Tensor]:
    """Views to average predictions over: the image, its mirror (when ``flip``), and centre and corner crops.

    Every view has the same size (``size``, or the input's) so one model call takes each.
    """
    _check_batch(x, "tta_views")
    out_size = _pair(size) if size is not None else (int(x.shape[-2]), int(x.shape[-1]))
    base = center_crop_resize(x, out_size)
    views = [base] + ([hflip(base)] if flip else [])
    height, width = x.shape[-2:]
    crop_h, crop_w = max(1, round(height * crop_fraction)), max(1, round(width * crop_fraction))
    views.append(center_crop_resize(x, out_size, crop_fraction))
    views.append(resize(x[..., :crop_h, :crop_w], out_size))  # top-left
    views.append(resize(x[..., height - crop_h :, width - crop_w :], out_size))  # bottom-right
    return views
